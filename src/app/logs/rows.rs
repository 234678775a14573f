//! The logs pane's rows, without style: what each entry's text is (gutter, name column,
//! timestamp, the line cut to what can show, search matches marked) and how it breaks into
//! screen rows. Render styles these pieces; `update` counts them (to know which entry is on top
//! while following with wrap on). One function for both, so the two cannot disagree.

use ratatui::layout::Rect;
use ratatui::style::Style;

use super::{LogsView, sgr};
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
    /// The line's text where the container gave it a style of its own (SGR colours, bold, …):
    /// render uses it when the console has colours.
    Styled(Style),
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
    let styled = sgr::styled(&line.text);
    let text = cut(&styled.text, budget);
    let runs = styled.runs.as_slice();
    let plain = Piece::Text(line.stream);
    match &view.search {
        Some(search) if line.stream != LogStream::Marker => {
            let mut at = 0;
            for m in search.regex.find_iter(text) {
                push_runs(&mut parts, text, at, m.start(), runs, plain);
                if m.end() > m.start() {
                    parts.push((m.as_str().to_string(), Piece::Match));
                }
                at = m.end();
            }
            push_runs(&mut parts, text, at, text.len(), runs, plain);
        }
        _ => push_runs(&mut parts, text, 0, text.len(), runs, plain),
    }
    parts
}

/// Pushes `text[from..to]` cut where its style changes.
fn push_runs(
    parts: &mut Vec<(String, Piece)>,
    text: &str,
    from: usize,
    to: usize,
    runs: &[(usize, Style)],
    plain: Piece,
) {
    let mut at = from;
    while at < to {
        let (style, next) = sgr::run_at(runs, at, to);
        let Some(piece) = text.get(at..next) else {
            return;
        };
        parts.push((piece.to_string(), style.map_or(plain, Piece::Styled)));
        at = next;
    }
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
