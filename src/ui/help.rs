//! The help overlay: every key of the current view, drawn from the keymap table (the same one
//! that dispatches keys, so the two cannot drift). Mutations are marked unavailable under
//! `--read-only`. Scrolls when the terminal is short.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use crate::app::AppState;
use crate::app::help::{COMPOSE_NOTE, NOTES, TEXT_KEYS, line_count, mode};
use crate::app::keymap::KeyMode;
use crate::geometry::{help_popup, inner, scroll_position};
use crate::sanitize::printable;

const KEYS_WIDTH: usize = 16;

/// The overlay's lines.
pub fn lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let mode = mode(state.base);
    let mut lines = vec![Line::styled(
        format!("Keys in the {} view", mode.name()),
        theme.header(),
    )];
    for info in state.keymap.commands(mode) {
        let keys = state.keymap.keys_text(info.command);
        let unavailable = info.mutates && state.settings.read_only;
        let mut spans = vec![Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key())];
        if unavailable {
            spans.push(Span::styled(
                format!("{} (unavailable: read-only)", info.description),
                theme.muted(),
            ));
        } else {
            spans.push(Span::raw(info.description));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("In a confirm dialog", theme.header()));
    for info in state.keymap.commands(KeyMode::Confirm) {
        let keys = state.keymap.keys_text(info.command);
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key()),
            Span::raw(info.description),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Typing a filter or a command", theme.header()));
    for (keys, what) in TEXT_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key()),
            Span::raw(what),
        ]));
    }
    lines.push(Line::raw(""));
    for note in NOTES {
        lines.push(Line::styled(note, theme.muted()));
    }
    if state.compose.is_some() {
        lines.push(Line::styled(COMPOSE_NOTE, theme.muted()));
    }
    if state.fleet.several_hosts() {
        let hosts: Vec<String> = state
            .fleet
            .connections
            .iter()
            .map(|(host, c)| {
                let word = match c {
                    crate::engine::Connection::Connected { .. } => "connected",
                    crate::engine::Connection::Connecting => "connecting",
                    crate::engine::Connection::Disconnected { .. } => "unreachable",
                };
                match state.fleet.engines.get(host) {
                    Some(engine) => format!("{host} ({word}, {})", engine.short()),
                    None => format!("{host} ({word})"),
                }
            })
            .collect();
        let note = format!(
            "Hosts: {}. Each action, log, exec and inspect goes to the container's own host; targets are NAME@HOST.",
            hosts.join(", ")
        );
        lines.push(Line::styled(printable(&note).into_owned(), theme.muted()));
    } else if let Some((host, engine)) = state.fleet.engines.iter().next() {
        let note = format!("Engine: {} ({}, host {host}).", engine.short(), engine.name);
        lines.push(Line::styled(printable(&note).into_owned(), theme.muted()));
    }
    if let Some(note) = crate::app::help::stuck_note(state) {
        lines.push(Line::styled(printable(&note).into_owned(), theme.muted()));
    }
    let source = state.settings.stats_source.describe();
    lines.push(Line::styled(printable(&source).into_owned(), theme.muted()));
    lines
}

/// Draws the help overlay.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let content = lines(state, theme);
    // The count `update` scrolls by; the box is sized from it too.
    let total = line_count(state);
    debug_assert_eq!(
        content.len(),
        total,
        "help: the line count and the lines disagree"
    );
    let popup = help_popup(area, total);
    let page = usize::from(inner(popup).height);
    let position = scroll_position(state.help_scroll, page, total);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(" help · ? or Esc closes ", theme.title()))
        .title_bottom(Line::from(position).right_aligned());
    let scroll = u16::try_from(state.help_scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(content).block(block).scroll((scroll, 0)),
        popup,
    );
}
