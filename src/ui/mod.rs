//! Pure rendering of the console from `&AppState`: one module per pane ([`list`], [`inspect`],
//! [`triage`], [`gpu`], [`help`], [`confirm`], [`status`], [`banner`]), laid out by [`layout`],
//! styled by [`theme`].
//! No clock, no await, no Docker here: every relative time is computed from `state.now`, and
//! only the rows on screen are formatted. `ViewState` holds what is render-side only: the theme.

pub mod banner;
pub mod confirm;
pub mod console_log;
pub mod gpu;
pub mod help;
pub mod inspect;
pub mod layout;
pub mod list;
pub mod logs;
pub mod status;
pub mod theme;
pub mod triage;

#[cfg(test)]
mod tests;

use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{AppState, Overlay};
use theme::Theme;

/// Render-side state: the theme.
pub struct ViewState {
    pub theme: Theme,
}

impl ViewState {
    pub fn new(theme: Theme) -> Self {
        Self { theme }
    }
}

/// Cuts `text` to `width` columns, ending with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Pads `text` with spaces to `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    if w >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

/// Draws one frame.
pub fn render(frame: &mut Frame<'_>, state: &AppState, view: &mut ViewState) {
    let area = frame.area();
    let panes = layout::panes(area, state);
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
        console_log::render(frame, r, state, theme);
    }
    match state.overlay {
        Some(Overlay::Help) => help::render(frame, area, state, theme),
        Some(Overlay::Confirm) => confirm::render(frame, area, state, theme),
        _ => {}
    }
}
