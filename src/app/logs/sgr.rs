//! The colours of a log line. A stream opened for colour keeps the line's SGR sequences in its
//! text, every other sequence already removed by the engine ([`crate::sanitize::keep_sgr`]);
//! what the pane keeps is that text, so that its byte bound counts the colours too. The text
//! is read in two ways: [`plain`] (no sequences: what search, the filter, saving and copying
//! see) and [`styled`] (the plain text and the style of each run of it, parsed by
//! `ansi-to-tui`), which only the rows on screen pay for.

use std::borrow::Cow;

use ansi_to_tui::IntoText;
use ratatui::style::Style;

use crate::sanitize::strip_escapes;

/// The text without any sequence. Borrows (without allocating) a line with none.
pub fn plain(text: &str) -> Cow<'_, str> {
    strip_escapes(text)
}

/// A line's plain text and where each style starts in it (byte offsets, ascending; before the
/// first run the text has no style of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styled<'a> {
    pub text: Cow<'a, str>,
    pub runs: Vec<(usize, Style)>,
}

/// Parses the SGR sequences of `text` into styles. A line without an escape costs a scan and
/// no allocation; one the parser refuses is shown plain.
pub fn styled(text: &str) -> Styled<'_> {
    if !text.contains('\u{1b}') {
        return Styled {
            text: Cow::Borrowed(text),
            runs: Vec::new(),
        };
    }
    let Ok(parsed) = text.to_text() else {
        return Styled {
            text: plain(text),
            runs: Vec::new(),
        };
    };
    let mut out = String::with_capacity(text.len());
    let mut runs: Vec<(usize, Style)> = Vec::new();
    // The engine gives one line, but a parser may see several: they are joined.
    for line in parsed.lines {
        for span in line.spans {
            if span.content.is_empty() {
                continue;
            }
            let style = line.style.patch(span.style);
            if runs.last().is_none_or(|(_, last)| *last != style) {
                runs.push((out.len(), style));
            }
            out.push_str(&span.content);
        }
    }
    // A sequence with no text after it leaves no run; nor does a run of the default style at
    // the start.
    if runs
        .first()
        .is_some_and(|(at, s)| *at == 0 && *s == Style::new())
    {
        runs.remove(0);
    }
    Styled {
        text: Cow::Owned(out),
        runs,
    }
}

/// The style at byte `at`, and where the next run starts (or `to`).
pub fn run_at(runs: &[(usize, Style)], at: usize, to: usize) -> (Option<Style>, usize) {
    let i = runs.partition_point(|(start, _)| *start <= at);
    let style = i.checked_sub(1).and_then(|i| runs.get(i)).map(|(_, s)| *s);
    let next = runs.get(i).map_or(to, |(start, _)| (*start).min(to));
    (style, next)
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use super::*;

    #[test]
    fn sgr_becomes_styles_on_the_plain_text() {
        let s = styled("\u{1b}[31mRED\u{1b}[0m \u{1b}[1mBOLD\u{1b}[0m tail");
        assert_eq!(s.text, "RED BOLD tail");
        assert_eq!(s.runs.len(), 4, "{:?}", s.runs);
        assert_eq!(s.runs[0], (0, Style::new().fg(Color::Red)));
        assert_eq!(s.runs[1].0, 3);
        assert_eq!(s.runs[2].0, 4);
        assert!(s.runs[2].1.add_modifier.contains(Modifier::BOLD));
        assert_eq!(s.runs[3].0, 8);
        assert!(!s.runs[3].1.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn every_kind_of_sgr() {
        let cases: [(&str, Style); 9] = [
            ("\u{1b}[38;5;196mx", Style::new().fg(Color::Indexed(196))),
            ("\u{1b}[48;5;21mx", Style::new().bg(Color::Indexed(21))),
            ("\u{1b}[38;2;1;2;3mx", Style::new().fg(Color::Rgb(1, 2, 3))),
            ("\u{1b}[92mx", Style::new().fg(Color::LightGreen)),
            ("\u{1b}[2mx", Style::new().add_modifier(Modifier::DIM)),
            ("\u{1b}[3mx", Style::new().add_modifier(Modifier::ITALIC)),
            (
                "\u{1b}[4mx",
                Style::new().add_modifier(Modifier::UNDERLINED),
            ),
            ("\u{1b}[7mx", Style::new().add_modifier(Modifier::REVERSED)),
            (
                "\u{1b}[1;33;44mx",
                Style::new()
                    .fg(Color::Yellow)
                    .bg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
            ),
        ];
        for (text, style) in cases {
            let s = styled(text);
            assert_eq!(s.text, "x", "{text:?}");
            assert_eq!(s.runs, [(0, style)], "{text:?}");
        }
        // Resets: all, then one attribute.
        let s = styled("\u{1b}[1;4ma\u{1b}[22mb\u{1b}[24mc\u{1b}[0md");
        assert_eq!(s.text, "abcd");
        let at = |i: usize| run_at(&s.runs, i, 4).0.unwrap_or_default();
        assert!(
            at(0)
                .add_modifier
                .contains(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert!(!at(1).add_modifier.contains(Modifier::BOLD));
        assert!(at(1).add_modifier.contains(Modifier::UNDERLINED));
        assert!(
            !at(2)
                .add_modifier
                .intersects(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(at(3).fg, Some(Color::Reset));
    }

    #[test]
    fn plain_lines_cost_nothing() {
        let s = styled("no colour here");
        assert!(matches!(s.text, Cow::Borrowed(_)));
        assert!(s.runs.is_empty());
        assert!(matches!(plain("plain"), Cow::Borrowed(_)));
        assert_eq!(plain("\u{1b}[31mred\u{1b}[0m"), "red");
    }

    #[test]
    fn runs_are_found_by_offset() {
        let red = Style::new().fg(Color::Red);
        let runs = [(2, red), (5, Style::new())];
        assert_eq!(run_at(&runs, 0, 8), (None, 2));
        assert_eq!(run_at(&runs, 2, 8), (Some(red), 5));
        assert_eq!(run_at(&runs, 3, 4), (Some(red), 4));
        assert_eq!(run_at(&runs, 6, 8), (Some(Style::new()), 8));
    }
}
