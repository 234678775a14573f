//! Pure rendering of the console from `&AppState`: one module per pane ([`list`], [`inspect`],
//! [`triage`], [`gpu`], [`help`], [`confirm`], [`status`], [`banner`]), laid out by
//! [`crate::geometry`] (the same layout `update` reads), styled by [`theme`].
//! No clock, no await, no Docker here: every relative time is computed from `state.now`, and
//! only the rows on screen are formatted. `ViewState` holds what is render-side only: the theme
//! and the log widget's state.

pub mod banner;
pub mod confirm;
pub mod gpu;
pub mod help;
pub mod inspect;
pub mod list;
pub mod logs;
pub mod status;
pub mod theme;
pub mod triage;

#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::text::Span;
use ratatui::widgets::Block;

use crate::app::{AppState, Overlay};
pub use crate::geometry::{fit, pad};
use theme::Theme;

/// Render-side state: the theme and the log pane's widget state.
pub struct ViewState {
    pub theme: Theme,
    pub log: tui_logger::TuiWidgetState,
}

impl ViewState {
    pub fn new(theme: Theme) -> Self {
        Self {
            theme,
            log: tui_logger::TuiWidgetState::new(),
        }
    }
}

/// Draws one frame.
pub fn render(frame: &mut Frame<'_>, state: &AppState, view: &mut ViewState) {
    let area = frame.area();
    let panes = crate::geometry::panes(area, state.screen());
    let theme = &view.theme;
    if let Some(r) = panes.banner {
        banner::render(frame, r, state, theme);
    }
    if let Some(r) = panes.list {
        list::render(frame, r, state, theme);
    }
    if let Some(r) = panes.inspect {
        inspect::render(frame, r, state, theme);
    }
    if let Some(r) = panes.logs {
        logs::render(frame, r, state, theme);
    }
    if let Some(r) = panes.triage {
        triage::render(frame, r, state, theme);
    }
    if let Some(r) = panes.gpu {
        gpu::render(frame, r, state, theme);
    }
    if let Some(r) = panes.status {
        status::render(frame, r, state, theme);
    }
    if let Some(r) = panes.footer {
        status::render_footer(frame, r, state, theme);
    }
    if let Some(r) = panes.log {
        let widget = tui_logger::TuiLoggerWidget::default()
            .block(Block::bordered().title(Span::styled(" fleetdeck log ", theme.title())))
            .style_error(theme.error())
            .style_warn(theme.warn())
            .output_target(false)
            .output_file(false)
            .output_line(false)
            .output_timestamp(Some("%H:%M:%S".into()))
            .state(&view.log);
        frame.render_widget(widget, r);
    }
    match state.overlay {
        Some(Overlay::Help) => help::render(frame, area, state, theme),
        Some(Overlay::Confirm) => confirm::render(frame, area, state, theme),
        _ => {}
    }
}
