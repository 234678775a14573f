//! The status bar (the last outcome in words, errors in the error style; or the filter or
//! command being typed) and the footer of key hints, drawn from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fit;
use super::theme::Theme;
use crate::app::{AppState, Overlay};
use crate::sanitize::printable;

/// Draws the status bar.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let width = usize::from(area.width);
    let mut right = vec![super::triage::status_span(state, theme)];
    if state.undelivered_alerts > 0 {
        let n = state.undelivered_alerts;
        let noun = if n == 1 { "alert" } else { "alerts" };
        right.insert(
            0,
            Span::styled(format!(" ✉ {n} undelivered {noun} "), theme.error()),
        );
    }
    if state.settings.read_only {
        right.push(Span::styled(" READ-ONLY ", theme.warn()));
    }
    let right_width: usize = right.iter().map(Span::width).sum();
    let room = width.saturating_sub(right_width);
    let left = match &state.overlay {
        Some(Overlay::Filter { .. }) => Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(fit(
                &format!("{}▏", printable(&state.input)),
                room.saturating_sub(1),
            )),
        ]),
        Some(Overlay::LogInput(kind)) => {
            let prompt = match kind {
                crate::app::logs::LogInput::Search => "search /",
                crate::app::logs::LogInput::Filter => "filter &",
            };
            Line::from(vec![
                Span::styled(prompt, theme.key()),
                Span::raw(fit(
                    &format!("{}▏", printable(&state.input)),
                    room.saturating_sub(prompt.len()),
                )),
            ])
        }
        Some(Overlay::Command) => Line::from(vec![
            Span::styled(":", theme.key()),
            Span::raw(fit(
                &format!("{}▏", printable(&state.input)),
                room.saturating_sub(1),
            )),
        ]),
        _ => match &state.status {
            Some(s) if s.is_error => Line::styled(
                fit(&format!("✖ {}", printable(&s.text)), room),
                theme.error(),
            ),
            Some(s) => Line::raw(fit(&printable(&s.text), room)),
            // The running containers are in, the full list is still coming.
            None if state.fleet.listing => Line::styled(fit("listing…", room), theme.muted()),
            None => Line::raw(""),
        },
    };
    let pad = room.saturating_sub(left.width());
    let mut spans = left.spans;
    if let Some(first) = spans.first_mut()
        && left.style != ratatui::style::Style::default()
    {
        first.style = left.style.patch(first.style);
    }
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Draws the footer: the most used keys of the current view.
pub fn render_footer(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    if state.overlay == Some(Overlay::ConsoleLog) {
        let spans = crate::app::feeds::LOG_KEYS.iter().flat_map(|(key, word)| {
            [
                Span::styled(*key, theme.key()),
                Span::styled(format!(" {word}  "), theme.muted()),
            ]
        });
        frame.render_widget(Paragraph::new(Line::from(spans.collect::<Vec<_>>())), area);
        return;
    }
    let Some(mode) = state.key_mode() else {
        let line = Line::from(vec![
            Span::styled("Enter", theme.key()),
            Span::raw(" apply  "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let mut spans = Vec::new();
    for info in state.keymap.commands(mode).filter(|i| i.footer) {
        if info.mutates && state.settings.read_only {
            continue;
        }
        let Some(key) = state.keymap.keys(info.command).first() else {
            continue;
        };
        let word = info.command.name().replace('_', " ");
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::styled(format!(" {word}  "), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
