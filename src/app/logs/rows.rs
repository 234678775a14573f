//! The logs pane's rows, without style: what each entry's text is (gutter, name column,
//! timestamp, the line cut to what can show, search matches marked) and how it breaks into
//! screen rows. Render styles these pieces; `update` counts them (to know which entry is on top
//! while following with wrap on). One function for both, so the two cannot disagree.

use ratatui::layout::Rect;

use super::LogsView;
use crate::engine::logs::LogStream;
use crate::geometry::{cut, fit, pad, wrap_pieces};

/// The widest the name column gets.
pub const NAME_WIDTH: usize = 20;

/// What a piece of a row is; render picks its style from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// `!` stderr, `»` a marker, a space for stdout.
    Gutter(LogStream),
    /// The name column, of this source.
    Name(usize),
    /// ` │ ` after the name column.
    Separator,
    /// The space after the gutter when there is no name column.
    Space,
    Stamp,
    /// The line's text, of a line of this stream.
    Text(LogStream),
    /// A search match.
    Match,
}

/// The name column's width: the longest name (at most [`NAME_WIDTH`]) when merged, else 0.
pub fn name_width(view: &LogsView) -> usize {
    if view.merged() {
        view.sources
            .iter()
            .map(|s| unicode_width::UnicodeWidthStr::width(s.name.as_str()))
            .max()
            .unwrap_or(0)
            .min(NAME_WIDTH)
    } else {
        0
    }
}

/// Entry `k`'s text in pieces, its line cut to what `max_rows` rows of `width` can show.
fn entry_pieces(
    view: &LogsView,
    k: usize,
    width: usize,
    max_rows: usize,
    name_width: usize,
) -> Vec<(String, Piece)> {
    let Some((line, source)) = view.entry(k) else {
        return Vec::new();
    };
    let mut parts: Vec<(String, Piece)> = Vec::new();
    let gutter = match line.stream {
        LogStream::Stdout => " ",
        LogStream::Stderr => "!",
        LogStream::Marker => "»",
    };
    parts.push((gutter.to_string(), Piece::Gutter(line.stream)));
    if name_width > 0 {
        let name = view.sources.get(source).map_or("?", |s| s.name.as_str());
        parts.push((pad(&fit(name, name_width), name_width), Piece::Name(source)));
        parts.push((" │ ".to_string(), Piece::Separator));
    } else {
        parts.push((" ".to_string(), Piece::Space));
    }
    if view.timestamps {
        let stamp = line
            .time
            .map_or_else(|| "-".repeat(12), |t| t.format("%H:%M:%S%.3f").to_string());
        parts.push((format!("{stamp} "), Piece::Stamp));
    }
    let budget = width.saturating_mul(if view.wrap { max_rows.max(1) } else { 1 });
    let text = cut(&line.text, budget);
    let plain = Piece::Text(line.stream);
    match &view.search {
        Some(search) if line.stream != LogStream::Marker => {
            let mut at = 0;
            for m in search.regex.find_iter(text) {
                if m.start() > at {
                    parts.push((text[at..m.start()].to_string(), plain));
                }
                if m.end() > m.start() {
                    parts.push((m.as_str().to_string(), Piece::Match));
                }
                at = m.end();
            }
            if at < text.len() {
                parts.push((text[at..].to_string(), plain));
            }
        }
        _ => parts.push((text.to_string(), plain)),
    }
    parts
}

/// The rows of entry `k` at `width` columns: one (cut) without wrap, at most `max_rows` with.
pub fn entry_rows(
    view: &LogsView,
    k: usize,
    width: usize,
    max_rows: usize,
    name_width: usize,
) -> Vec<Vec<(String, Piece)>> {
    if view.entry(k).is_none() {
        return Vec::new();
    }
    let pieces = entry_pieces(view, k, width, max_rows, name_width);
    wrap_pieces(pieces, width, if view.wrap { max_rows.max(1) } else { 1 })
}

/// The index of the first entry drawn while following (the one at the top of `body`).
pub fn follow_top(view: &LogsView, body: Rect) -> usize {
    let entries = view.entries();
    let height = usize::from(body.height);
    if !view.wrap {
        return entries.saturating_sub(height);
    }
    let name_width = name_width(view);
    let mut used = 0;
    let mut k = entries;
    while k > 0 && used < height {
        k -= 1;
        used += entry_rows(view, k, usize::from(body.width), height, name_width).len();
    }
    k
}
