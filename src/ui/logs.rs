//! The logs pane: the lines of one container, or of several merged with a coloured name column.
//! Each line has a gutter that tells the stream apart without colour (`!` stderr, `»` a marker
//! fleetdeck wrote), optional timestamps (UTC), search matches highlighted in reverse video,
//! and long lines cut or wrapped. Only the lines on screen are read from the buffer and
//! formatted (and of each, at most a screenful of text), so a frame costs O(lines on screen)
//! whatever the buffer holds. The borders say whether the pane follows or is paused (with the
//! count of new lines), the rate, the filter, and how many old lines were dropped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::layout::{self, pane_inner};
use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::logs::{LogsView, format_rate};
use crate::engine::logs::LogStream;

/// The widest the name column gets.
const NAME_WIDTH: usize = 20;
/// The name column's colours, by container (the name itself says which, colour only helps).
const NAME_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::LightRed,
];

/// The pane's body (the lines) for the current state.
pub fn body(state: &AppState) -> Option<Rect> {
    layout::panes(state.viewport, state).logs.map(pane_inner)
}

/// How many rows of lines fit.
pub fn page(state: &AppState) -> usize {
    body(state).map_or(0, |b| usize::from(b.height))
}

/// The index of the first entry drawn while following (the one at the top of the screen).
pub fn follow_top(state: &AppState) -> usize {
    let (Some(view), Some(body)) = (state.logs.as_deref(), body(state)) else {
        return 0;
    };
    let entries = view.entries();
    let height = usize::from(body.height);
    if !view.wrap {
        return entries.saturating_sub(height);
    }
    let styles = Styles::new(&Theme::plain(), view);
    let mut used = 0;
    let mut k = entries;
    while k > 0 && used < height {
        k -= 1;
        used += entry_rows(view, k, usize::from(body.width), height, &styles).len();
    }
    k
}

/// What a line is drawn with.
struct Styles {
    muted: Style,
    error: Style,
    name_width: usize,
    names: Vec<Style>,
    matched: Style,
}

impl Styles {
    fn new(theme: &Theme, view: &LogsView) -> Self {
        let name_width = if view.merged() {
            view.sources
                .iter()
                .map(|s| unicode_width::UnicodeWidthStr::width(s.name.as_str()))
                .max()
                .unwrap_or(0)
                .min(NAME_WIDTH)
        } else {
            0
        };
        let names = (0..view.sources.len())
            .map(|i| {
                if theme.color {
                    Style::new().fg(NAME_COLORS[i % NAME_COLORS.len()])
                } else {
                    Style::new().add_modifier(Modifier::BOLD)
                }
            })
            .collect();
        Self {
            muted: theme.muted(),
            error: theme.error(),
            name_width,
            names,
            matched: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }
}

/// `text` cut to at most `cells` columns.
fn cut(text: &str, cells: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > cells {
            return &text[..i];
        }
    }
    text
}

/// The rows of entry `k` at `width` columns: one (cut) without wrap, at most `max_rows` with.
fn entry_rows(
    view: &LogsView,
    k: usize,
    width: usize,
    max_rows: usize,
    styles: &Styles,
) -> Vec<Line<'static>> {
    let Some((line, source)) = view.entry(k) else {
        return Vec::new();
    };
    let mut parts: Vec<(String, Style)> = Vec::new();
    let (gutter, gutter_style) = match line.stream {
        LogStream::Stdout => (" ", Style::new()),
        LogStream::Stderr => ("!", styles.error),
        LogStream::Marker => ("»", styles.muted),
    };
    parts.push((gutter.to_string(), gutter_style));
    if styles.name_width > 0 {
        let name = view.sources.get(source).map_or("?", |s| s.name.as_str());
        let style = styles.names.get(source).copied().unwrap_or_default();
        parts.push((pad(&fit(name, styles.name_width), styles.name_width), style));
        parts.push((" │ ".to_string(), styles.muted));
    } else {
        parts.push((" ".to_string(), Style::new()));
    }
    if view.timestamps {
        let stamp = line
            .time
            .map_or_else(|| "-".repeat(12), |t| t.format("%H:%M:%S%.3f").to_string());
        parts.push((format!("{stamp} "), styles.muted));
    }
    let budget = width.saturating_mul(if view.wrap { max_rows.max(1) } else { 1 });
    let text = cut(&line.text, budget);
    let text_style = match line.stream {
        LogStream::Marker => styles.muted,
        _ => Style::new(),
    };
    match &view.search {
        Some(search) if line.stream != LogStream::Marker => {
            let mut at = 0;
            for m in search.regex.find_iter(text) {
                if m.start() > at {
                    parts.push((text[at..m.start()].to_string(), text_style));
                }
                if m.end() > m.start() {
                    parts.push((m.as_str().to_string(), styles.matched));
                }
                at = m.end();
            }
            if at < text.len() {
                parts.push((text[at..].to_string(), text_style));
            }
        }
        _ => parts.push((text.to_string(), text_style)),
    }
    wrap_parts(parts, width, if view.wrap { max_rows.max(1) } else { 1 })
}

/// Cuts styled text into rows of `width` cells, at most `max_rows`.
fn wrap_parts(parts: Vec<(String, Style)>, width: usize, max_rows: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (text, style) in parts {
        let mut piece = String::new();
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                if !piece.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut piece), style));
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                used = 0;
                if rows.len() >= max_rows {
                    return rows;
                }
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            row.push(Span::styled(piece, style));
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

/// The rows on screen.
fn screen_rows(view: &LogsView, body: Rect, styles: &Styles) -> Vec<Line<'static>> {
    let (width, height) = (usize::from(body.width), usize::from(body.height));
    let entries = view.entries();
    let mut rows = Vec::with_capacity(height);
    if view.follow {
        let mut k = entries;
        let mut chunks: Vec<Vec<Line<'static>>> = Vec::new();
        let mut used = 0;
        while k > 0 && used < height {
            k -= 1;
            let chunk = entry_rows(view, k, width, height, styles);
            used += chunk.len();
            chunks.push(chunk);
        }
        for chunk in chunks.into_iter().rev() {
            rows.extend(chunk);
        }
        let extra = rows.len().saturating_sub(height);
        rows.drain(..extra);
    } else {
        let mut k = view.entry_at(view.top);
        while k < entries && rows.len() < height {
            rows.extend(entry_rows(view, k, width, height, styles));
            k += 1;
        }
        rows.truncate(height);
    }
    rows
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Draws the pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let Some(view) = state.logs.as_deref() else {
        return;
    };
    let styles = Styles::new(theme, view);
    let inner = pane_inner(area);
    let bordered = inner != area;
    let mut rows = screen_rows(view, inner, &styles);
    if rows.is_empty() {
        let text = if view.merging() {
            let waiting = view.sources.iter().filter(|s| !s.caught_up).count();
            format!(" gathering the tails to merge by time ({waiting} to come)…")
        } else if let Some(f) = &view.filter {
            format!(
                " no line matches '{}' (of {} held)",
                crate::sanitize::printable(&f.pattern.text),
                view.buffer().len()
            )
        } else {
            " no lines yet".to_string()
        };
        rows.push(Line::styled(text, theme.muted()));
    }
    let paragraph = Paragraph::new(rows);
    if !bordered {
        frame.render_widget(paragraph, area);
        return;
    }

    let who = match view.sources.as_slice() {
        [one] => one.name.clone(),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            format!("{} containers: {}", many.len(), names.join(", "))
        }
    };
    let mode = if view.follow { "following" } else { "paused" };
    let mut title = format!(
        " logs {} · {mode} · {} lines/s",
        who,
        format_rate(view.lines_per_second)
    );
    if let Some(f) = &view.filter {
        title.push_str(&format!(" · filter /{}/", f.pattern.text));
    }
    if let Some(s) = &view.search {
        title.push_str(&format!(" · search /{}/", s.text));
    }
    title.push(' ');
    let width = usize::from(area.width).saturating_sub(4);
    let mut bottom_left = vec![Span::raw(format!(
        " {} lines ",
        group(view.buffer().len() as u64)
    ))];
    if view.dropped() > 0 {
        bottom_left.push(Span::styled(
            format!("· {} older dropped ", group(view.dropped())),
            theme.warn(),
        ));
    }
    let mut block = Block::bordered()
        .title(Span::styled(fit(&title, width), theme.title()))
        .title_bottom(Line::from(bottom_left));
    if !view.follow {
        let keys = state
            .keymap
            .keys(crate::config::keys::ConsoleCommand::Bottom)
            .first()
            .map(|k| format!(" · {k} follows"))
            .unwrap_or_default();
        block = block.title_bottom(
            Line::styled(
                format!(" paused, {} new lines{keys} ", group(view.new_since_pause)),
                theme.warn(),
            )
            .right_aligned(),
        );
    }
    frame.render_widget(paragraph.block(block), area);
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
