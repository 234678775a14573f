//! Pure rendering of the console from `&AppState`: one module per pane ([`list`], [`inspect`],
//! [`triage`], [`gpu`], [`compose`], [`help`], [`confirm`], [`status`], [`banner`]), laid out by
//! [`crate::geometry`] (the same layout `update` reads), styled by [`theme`].
//! No clock, no await, no Docker here: every relative time is computed from `state.now`, and
//! only the rows on screen are formatted. `ViewState` holds what is render-side only: the theme.

pub mod banner;
pub mod charts;
pub mod compose;
pub mod confirm;
pub mod console_log;
pub mod gpu;
pub mod help;
pub mod inspect;
pub mod list;
pub mod logs;
pub mod objects;
pub mod spark;
pub mod status;
pub mod swarm;
pub mod theme;
pub mod triage;

#[cfg(test)]
mod charts_tests;
#[cfg(test)]
mod compose_tests;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod objects_tests;
#[cfg(test)]
mod podman_tests;
#[cfg(test)]
mod tests;

use ratatui::Frame;

use crate::app::{AppState, Overlay};
pub use crate::geometry::{fit, pad};
use theme::Theme;

/// Render-side state: the theme.
pub struct ViewState {
    pub theme: Theme,
    /// The console log pane's widget state; the loop keeps a handle to carry out the pane's
    /// keys (`Effect::ConsoleLogKey`).
    pub console_log: std::sync::Arc<console_log::LogPaneState>,
}

impl ViewState {
    pub fn new(theme: Theme) -> Self {
        Self {
            theme,
            console_log: std::sync::Arc::default(),
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
        if state.base == crate::app::Base::Swarm {
            swarm::render(frame, r, state, theme);
        } else {
            triage::render(frame, r, state, theme);
        }
    }
    if let Some(r) = panes.gpu {
        gpu::render(frame, r, state, theme);
    }
    if let Some(r) = panes.plan {
        compose::render(frame, r, state, theme);
    }
    if let Some(r) = panes.objects {
        objects::render(frame, r, state, theme);
    }
    if let Some(r) = panes.status {
        status::render(frame, r, state, theme);
    }
    if let Some(r) = panes.footer {
        status::render_footer(frame, r, state, theme);
    }
    if let Some(r) = panes.log {
        console_log::render(frame, r, state, theme, &view.console_log);
    }
    match state.overlay {
        Some(Overlay::Help) => help::render(frame, area, state, theme),
        Some(Overlay::Confirm) => confirm::render(frame, area, state, theme),
        _ => {}
    }
}
