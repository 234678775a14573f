//! The disconnected banner: the daemon went away at a time, how many reconnects were tried,
//! and that what is shown is what was known then.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};

use super::theme::Theme;
use crate::app::AppState;
use crate::engine::Connection;
use crate::present::ago;
use crate::sanitize::printable;

/// The banner's text, if the daemon is unreachable.
pub fn text(state: &AppState) -> Option<String> {
    if state.fleet.several_hosts() {
        return hosts_text(state);
    }
    let Connection::Disconnected {
        since,
        attempts,
        error,
    } = &state.fleet.connection
    else {
        return None;
    };
    Some(format!(
        "⚠ daemon {} unreachable since {} ({}) · reconnect attempt {attempts} · showing what was known then · {}",
        state.settings.endpoint,
        since.format("%H:%M:%S UTC"),
        ago(*since, state.now),
        printable(error)
    ))
}

/// With several hosts: each host that is not connected, with its state (connecting, or
/// unreachable since when, the attempt and the cause); the rest answer as usual.
fn hosts_text(state: &AppState) -> Option<String> {
    let mut parts = Vec::new();
    let mut up = 0;
    for (host, connection) in &state.fleet.connections {
        match connection {
            Connection::Connected { .. } => up += 1,
            Connection::Connecting => parts.push(format!("{} connecting…", printable(host))),
            Connection::Disconnected {
                since,
                attempts,
                error,
            } => parts.push(format!(
                "{} unreachable since {} ({}), attempt {attempts}: {}",
                printable(host),
                since.format("%H:%M:%S UTC"),
                ago(*since, state.now),
                printable(error)
            )),
        }
    }
    if parts.is_empty() {
        return None;
    }
    let total = state.fleet.connections.len();
    Some(format!(
        "⚠ {} · {up} of {total} hosts connected",
        parts.join(" · ")
    ))
}

/// Draws the banner.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    if let Some(text) = text(state) {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.banner())
                .wrap(Wrap { trim: true }),
            area,
        );
    }
}
