//! The console's own log pane ("fleetdeck log"), drawn from `state.feeds.console_log` alone:
//! one `HH:MM:SS:LEVEL:text` line per record, as the log widget it replaces wrote them, the
//! newest at the bottom once the pane is full; a long line wraps under a 9-column indent, and
//! errors and warnings take the theme's colours. Only the lines that fit are formatted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use crate::app::AppState;
use crate::app::feeds::ConsoleLogLine;
use crate::sanitize::printable;

/// The indent of a record's continuation lines.
const INDENT: usize = 9;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let block = Block::bordered().title(Span::styled(" fleetdeck log ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    if width <= INDENT || height == 0 {
        return;
    }
    // From the newest back, until the pane is full.
    let mut shown: Vec<Line<'static>> = Vec::new();
    for record in state.feeds.console_log.iter().rev() {
        if shown.len() >= height {
            break;
        }
        let mut lines = format(record, width, theme);
        lines.reverse();
        shown.extend(lines);
    }
    shown.truncate(height);
    shown.reverse();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// One record's lines at `width` columns.
fn format(record: &ConsoleLogLine, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let style = match record.level {
        log::Level::Error => theme.error(),
        log::Level::Warn => theme.warn(),
        _ => Style::default(),
    };
    let level = match record.level {
        log::Level::Error => "ERROR",
        log::Level::Warn => "WARN ",
        log::Level::Info => "INFO ",
        log::Level::Debug => "DEBUG",
        log::Level::Trace => "TRACE",
    };
    let mut text = record.text.lines();
    let head = format!(
        "{}:{level}:{}",
        record.at.format("%H:%M:%S"),
        text.next().unwrap_or_default()
    );
    let mut out = Vec::new();
    wrap(&printable(&head), width, false, style, &mut out);
    for rest in text {
        wrap(&printable(rest), width, true, style, &mut out);
    }
    out
}

/// Cuts `text` into lines of `width` characters, every line but the first (of a first line)
/// indented.
fn wrap(text: &str, width: usize, indent_first: bool, style: Style, out: &mut Vec<Line<'static>>) {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let mut indent = indent_first;
    loop {
        let room = if indent { width - INDENT } else { width };
        let end = (at + room).min(chars.len());
        let piece: String = chars[at..end].iter().collect();
        let pad = if indent {
            " ".repeat(INDENT)
        } else {
            String::new()
        };
        out.push(Line::styled(format!("{pad}{piece}"), style));
        at = end;
        indent = true;
        if at >= chars.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Local, TimeZone};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::Msg;
    use crate::app::fixture::state;
    use crate::app::update;

    fn text_of(terminal: &Terminal<TestBackend>) -> Vec<String> {
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn the_pane_shows_the_newest_lines_of_the_state() {
        let mut s = state();
        let at = Local
            .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        for (i, level) in [log::Level::Info, log::Level::Error, log::Level::Info]
            .into_iter()
            .enumerate()
        {
            let text = if i == 2 {
                "stopped web-1: exit 143 (SIGTERM) in 0.4 s and a tail that wraps".to_string()
            } else {
                format!("line {i}")
            };
            let line = ConsoleLogLine { at, level, text };
            let _ = update(&mut s, Msg::ConsoleLog(line));
        }
        let theme = Theme::from_config(&crate::config::ThemeConfig::default(), true);
        let mut terminal = Terminal::new(TestBackend::new(40, 6)).expect("terminal");
        terminal
            .draw(|f| render(f, f.area(), &s, &theme))
            .expect("draw");
        let rows = text_of(&terminal);
        assert!(rows[0].starts_with("┌ fleetdeck log "), "{rows:?}");
        // Four rows: the oldest line does not fit; the newest wraps under the indent.
        assert_eq!(rows[1], "│12:00:00:ERROR:line 1                 │");
        assert_eq!(rows[2], "│12:00:00:INFO :stopped web-1: exit 143│");
        assert_eq!(rows[3], "│          (SIGTERM) in 0.4 s and a tai│");
        assert_eq!(rows[4], "│         l that wraps                 │");
        assert_eq!(rows[5], "└──────────────────────────────────────┘");
    }
}
