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

use super::fit;
use super::theme::Theme;
use crate::app::AppState;
use crate::app::logs::rows::{self, Piece};
use crate::app::logs::{LogsView, format_rate};
use crate::engine::logs::LogStream;
use crate::geometry::pane_inner;

/// The name column's colours, by container (the name itself says which, colour only helps).
const NAME_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::LightRed,
];

/// What a line is drawn with.
struct Styles {
    muted: Style,
    error: Style,
    name_width: usize,
    names: Vec<Style>,
    matched: Style,
    /// Whether the containers' own colours are drawn (not under `NO_COLOR` or `color = "never"`).
    color: bool,
}

impl Styles {
    fn new(theme: &Theme, view: &LogsView) -> Self {
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
            name_width: rows::name_width(view),
            names,
            matched: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            color: theme.color,
        }
    }

    fn of(&self, piece: Piece) -> Style {
        match piece {
            Piece::Gutter(LogStream::Stdout) | Piece::Space => Style::new(),
            Piece::Gutter(LogStream::Stderr) => self.error,
            Piece::Gutter(LogStream::Marker) | Piece::Separator | Piece::Stamp => self.muted,
            Piece::Name(source) => self.names.get(source).copied().unwrap_or_default(),
            Piece::Text(LogStream::Marker) => self.muted,
            Piece::Text(_) => Style::new(),
            Piece::Styled(style) if self.color => style,
            Piece::Styled(_) => Style::new(),
            Piece::Match => self.matched,
        }
    }
}

/// The styled rows of entry `k` (see [`rows::entry_rows`]).
fn entry_rows(
    view: &LogsView,
    k: usize,
    width: usize,
    max_rows: usize,
    styles: &Styles,
) -> Vec<Line<'static>> {
    rows::entry_rows(view, k, width, max_rows, styles.name_width)
        .into_iter()
        .map(|row| {
            Line::from(
                row.into_iter()
                    .map(|(text, piece)| Span::styled(text, styles.of(piece)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
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

/// Whose lines: a service's (with its `task@node` count), a container, or the containers.
fn who(view: &LogsView) -> String {
    match (&view.service, view.sources.as_slice()) {
        (Some(service), tasks) => {
            let plural = if tasks.len() == 1 { "" } else { "s" };
            format!("service {service} ({} task{plural}@node)", tasks.len())
        }
        (None, [one]) => one.name.clone(),
        (None, many) => {
            let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            format!("{} containers: {}", many.len(), names.join(", "))
        }
    }
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

    let who = who(view);
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
