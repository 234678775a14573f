//! The container list: one line per row on screen (and only those), grouped by compose
//! project, with the state as a glyph and a word, the uptime or the exit, restarts, CPU, memory
//! and ports (and GPU memory, where there is a GPU). Columns that do not fit are dropped, least
//! important first. With a compose file, a narrow drift column follows the name and the
//! project's missing containers are listed in its group ([`super::compose`]).

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::compose::{DRIFT_WIDTH, drift_cell, missing_cell};
use super::spark::{blocks, cpu_max};
use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::rows::Row;
use crate::config::Column;
use crate::engine::{Connection, Container};
use crate::geometry::list_geometry;
use crate::present::{bytes, status_text_on_screen};
use crate::sanitize::printable;
use unicode_width::UnicodeWidthStr;

/// Columns in the order they are dropped last-first when the terminal is narrow.
const PRIORITY: [Column; 12] = [
    Column::Name,
    Column::Host,
    Column::State,
    Column::Status,
    // Where there is a GPU, its memory is what the operator came for.
    Column::Gpu,
    Column::Cpu,
    Column::Memory,
    Column::Restarts,
    Column::Image,
    Column::Ports,
    Column::Id,
    Column::Trend,
];

/// (min, max) width of a column's cells.
fn bounds(column: Column) -> (usize, usize) {
    match column {
        Column::Name => (12, 48),
        Column::Image => (10, 28),
        Column::State => (9, 21),
        Column::Status => (14, 30),
        Column::Restarts => (3, 3),
        Column::Cpu => (6, 6),
        Column::Memory => (8, 19),
        Column::Gpu => (8, 9),
        Column::Ports => (10, 40),
        Column::Id => (12, 12),
        Column::Trend => (6, 12),
        Column::Host => (4, 16),
    }
}

/// The width a column is given when there is room: enough for its usual content
/// (`running ♥ healthy`, `exited (137) · 4s ago`, `512.0 MiB / 1.0 GiB`).
fn natural(column: Column) -> usize {
    match column {
        Column::Name => 32,
        Column::Image => 20,
        Column::State => 21,
        Column::Status => 26,
        Column::Restarts => 3,
        Column::Cpu => 6,
        Column::Memory => 19,
        Column::Gpu => 9,
        Column::Ports => 20,
        Column::Id => 12,
        Column::Trend => 12,
        Column::Host => 10,
    }
}

fn title(column: Column) -> &'static str {
    match column {
        Column::Name => "NAME",
        Column::Image => "IMAGE",
        Column::State => "STATE",
        Column::Status => "STATUS",
        Column::Restarts => "RST",
        Column::Cpu => "CPU",
        Column::Memory => "MEMORY",
        Column::Gpu => "GPU MEM",
        Column::Ports => "PORTS",
        Column::Id => "ID",
        Column::Trend => "CPU TREND",
        Column::Host => "HOST",
    }
}

/// The trend cell: the container's last `width` CPU samples as a sparkline.
fn trend(state: &AppState, c: &Container, width: usize) -> String {
    let Some(ring) = state.history.of(&c.id) else {
        return "-".into();
    };
    let cpu = || {
        ring.newest(width)
            .map(|p| f64::from(p.cpu_percent.unwrap_or(0.0)))
    };
    blocks(cpu(), cpu_max(cpu()), width)
}

/// The cell text of one column for one container, `width` cells wide at most.
fn cell(
    state: &AppState,
    theme: &Theme,
    c: &Container,
    (column, width): (Column, usize),
) -> (String, Style) {
    let stats = state.stats.get(&c.id);
    match column {
        // Made safe with every other cell, in `write_cells`.
        Column::Name => (c.name.clone(), Style::new()),
        Column::Image => (c.image.clone(), Style::new()),
        Column::State => {
            let (word, style) = theme.state(c);
            // Health belongs to a running container: an exited one keeps its last health in
            // the model (Docker's inspect does too), but showing it reads as a live verdict.
            let health = c
                .health
                .filter(|_| c.state == crate::engine::RunState::Running);
            match health {
                Some(h) => {
                    let (health, hstyle) = theme.health(h);
                    // The worse of the two colours the cell.
                    let style = if h == crate::engine::Health::Unhealthy {
                        hstyle
                    } else {
                        style
                    };
                    (format!("{word} {health}"), style)
                }
                None => (word.to_string(), style),
            }
        }
        Column::Status => (status_text_on_screen(c, state.now), Style::new()),
        Column::Restarts => (
            c.restart_count
                .map_or_else(|| "-".into(), |n| n.to_string()),
            if c.restart_count.unwrap_or(0) > 0 {
                theme.warn()
            } else {
                Style::new()
            },
        ),
        Column::Cpu => (
            stats
                .and_then(|s| s.cpu_percent)
                .map_or_else(|| "-".into(), |p| format!("{p:.1}%")),
            Style::new(),
        ),
        Column::Memory => (
            stats.map_or_else(
                || "-".into(),
                |s| match s.memory_limit {
                    Some(limit) => format!("{} / {}", bytes(s.memory_used), bytes(limit)),
                    None => bytes(s.memory_used),
                },
            ),
            Style::new(),
        ),
        Column::Gpu => (
            state
                .gpu_report()
                .and_then(|r| r.container_memory(&c.id.0))
                .map_or_else(|| "-".into(), bytes),
            Style::new(),
        ),
        Column::Ports => (
            c.ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            theme.muted(),
        ),
        Column::Id => (c.id.short().to_string(), theme.muted()),
        Column::Host => (printable(&c.host).into_owned(), theme.muted()),
        Column::Trend => (trend(state, c, width), theme.ok()),
    }
}

/// Whether a column must be shown whole (it is what the operator reads first).
fn protected(column: Column) -> bool {
    matches!(column, Column::State | Column::Status)
}

/// Chooses the columns that fit in `width` and their widths: the least important columns are
/// dropped until the state and status columns can be shown whole.
fn widths(state: &AppState, width: usize) -> Vec<(Column, usize)> {
    let configured = &state.settings.columns;
    // The mark/cursor column takes 2 cells; the drift column its own, with a gap.
    let drift = if state.shows_drift() {
        DRIFT_WIDTH + 1
    } else {
        0
    };
    let available = width.saturating_sub(2 + drift);
    // The GPU column only where there is a GPU.
    let gpu = state.gpu_report().is_some();
    // The HOST column whenever there are several hosts (first, unless placed in the config).
    let hosts = state.fleet.several_hosts();
    let mut chosen: Vec<Column> = PRIORITY
        .iter()
        .filter(|c| {
            (configured.contains(c) || (hosts && **c == Column::Host))
                && (gpu || **c != Column::Gpu)
        })
        .copied()
        .collect();
    // What each column wants does not depend on what the rows hold: at a given width the
    // set of columns and their widths stay put as statuses grow and shrink, and a long cell
    // is cut, not its column.
    let wanted = |c: Column| natural(c).clamp(bounds(c).0, bounds(c).1);
    loop {
        let gaps = chosen.len().saturating_sub(1);
        let mins: usize = chosen.iter().map(|c| bounds(*c).0).sum::<usize>() + gaps;
        if mins > available && chosen.len() > 1 {
            chosen.pop();
            continue;
        }
        let mut spare = available.saturating_sub(mins);
        let mut sized: Vec<(Column, usize)> = chosen.iter().map(|c| (*c, bounds(*c).0)).collect();
        // Protected columns grow first, then the rest in priority order.
        let mut order: Vec<usize> = (0..sized.len()).collect();
        order.sort_by_key(|i| !protected(sized[*i].0));
        for i in order {
            let (column, w) = &mut sized[i];
            let grow = wanted(*column).saturating_sub(*w).min(spare);
            *w += grow;
            spare -= grow;
        }
        let truncated = sized.iter().any(|(c, w)| protected(*c) && *w < wanted(*c));
        if truncated && chosen.len() > 3 {
            chosen.pop();
            continue;
        }
        // Leftover space goes to the names first (they are what the operator reads and
        // types), up to their widest, then to the last flexible column shown.
        if let Some((_, w)) = sized.iter_mut().find(|(c, _)| *c == Column::Name) {
            let grow = bounds(Column::Name).1.saturating_sub(*w).min(spare);
            *w += grow;
            spare -= grow;
        }
        if let Some((_, w)) = sized
            .iter_mut()
            .rev()
            .find(|(c, _)| matches!(c, Column::Ports | Column::Image | Column::Name))
        {
            *w += spare;
        }
        // Show them in the configured order.
        sized.sort_by_key(|(c, _)| {
            configured
                .iter()
                .position(|x| x == c)
                .map_or(0, |at| at + 1)
        });
        return sized;
    }
}

/// The block title: counts, marks, sort and filter.
fn title_line(state: &AppState, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(" containers ", theme.title())];
    let listed = state.listed_count();
    let total = state.fleet.len();
    spans.push(Span::raw(if listed == total {
        format!("{total} ")
    } else {
        format!("{listed} of {total} ")
    }));
    if !state.marks.is_empty() {
        spans.push(Span::styled(
            format!("· {} marked ", state.marks.len()),
            theme.marked(),
        ));
    }
    let arrow = if state.sort.descending { "↓" } else { "↑" };
    spans.push(Span::raw(format!(
        "· sort {} {arrow} ",
        state.sort.column.name()
    )));
    if !state.filter.is_empty() {
        spans.push(Span::styled(
            format!("· filter: {} ", printable(&state.filter.text)),
            theme.warn(),
        ));
    }
    if !state.show_stopped {
        spans.push(Span::raw("· running only "));
    }
    if let Some(engine) = engine_word(state) {
        spans.push(Span::styled(
            format!("· {} ", printable(&engine)),
            theme.muted(),
        ));
    }
    Line::from(spans)
}

/// The engine the one host is (`podman 4.3.1`), once it said; with several hosts each is in
/// the help's host line instead.
fn engine_word(state: &AppState) -> Option<String> {
    if state.fleet.several_hosts() {
        return None;
    }
    state.fleet.engines.values().next().map(|e| e.short())
}

fn empty_text(state: &AppState) -> String {
    if state.fleet.is_empty() {
        return match &state.fleet.connection {
            Connection::Connecting => format!("connecting to {} …", state.settings.endpoint),
            Connection::Disconnected { .. } => {
                "no containers known (the daemon is unreachable)".into()
            }
            Connection::Connected { .. } => "no containers on this daemon".into(),
        };
    }
    if !state.filter.is_empty() {
        return format!(
            "no container matches the filter '{}' (Esc clears it)",
            printable(&state.filter.text)
        );
    }
    "no running containers (a shows the stopped ones)".into()
}

/// Draws the list pane.
/// The list's columns this frame, and where the drift column goes (after the name, or first
/// when the name is not shown; `drift` false: not shown at all).
struct Layout {
    columns: Vec<(Column, usize)>,
    drift: bool,
    drift_after: Option<Column>,
}

/// Where one row is drawn, and how.
struct RowAt {
    body: Rect,
    y: u16,
    selected: bool,
    style: Style,
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let geometry = list_geometry(area);
    if geometry.bordered {
        let block = Block::bordered().title(title_line(state, theme));
        frame.render_widget(block, area);
    }
    let width = usize::from(geometry.inner.width);
    let visible_rows = state.visible_rows();
    let columns = widths(state, width);
    // The drift column follows the name (or leads, when the name is not shown).
    let drift_after = columns
        .iter()
        .any(|(c, _)| *c == Column::Name)
        .then_some(Column::Name);
    let layout = Layout {
        columns,
        drift: state.shows_drift(),
        drift_after,
    };
    if let Some(header) = geometry.header {
        frame.render_widget(
            Paragraph::new(header_line(state, &layout)).style(theme.header()),
            header,
        );
    }
    let body = geometry.body;
    if state.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("  {}", empty_text(state)),
                theme.muted(),
            )),
            body,
        );
        return;
    }
    // Cells are written straight into the buffer at their column: no padding to lay out, so
    // the cost is the text on screen, not the width of the terminal.
    let buf = frame.buffer_mut();
    for (i, row) in visible_rows.iter().enumerate() {
        let Ok(dy) = u16::try_from(i) else { break };
        let selected = state.offset + i == state.selected;
        let at = RowAt {
            body,
            y: body.y + dy,
            selected,
            style: if selected {
                theme.selected()
            } else {
                Style::new()
            },
        };
        if selected {
            // The reverse bar spans the row: readable without colour.
            buf.set_style(Rect::new(body.x, at.y, body.width, 1), at.style);
        }
        match row {
            Row::Group { .. } => {
                let line = group_line(row, theme).patch_style(at.style);
                buf.set_line(body.x, at.y, &line, body.width);
            }
            Row::Container(id) => {
                if let Some(c) = state.fleet.get(id) {
                    container_row(buf, &at, state, c, &layout, theme);
                }
            }
            Row::Missing(name) => {
                if let Some(m) = state.compose.as_ref().and_then(|c| c.missing_row(name)) {
                    missing_row(buf, &at, m, &layout, theme);
                }
            }
        }
    }
}

/// A project's header row: folded or not, its name, how many containers and how many up.
fn group_line(row: &Row, theme: &Theme) -> Line<'static> {
    let Row::Group {
        key,
        count,
        up,
        collapsed,
    } = row
    else {
        return Line::default();
    };
    let fold = if *collapsed { "▸" } else { "▾" };
    let name = printable(&crate::app::rows::group_title(key)).into_owned();
    let noun = if *count == 1 {
        "container"
    } else {
        "containers"
    };
    Line::from(vec![
        Span::styled(format!("{fold} {name}"), theme.title()),
        Span::styled(format!("  {count} {noun}, {up} up"), theme.muted()),
    ])
}

/// The column titles, the sort column's with its direction.
fn header_line(state: &AppState, layout: &Layout) -> Line<'static> {
    let columns = &layout.columns;
    let mut spans = vec![Span::raw("  ")];
    if layout.drift && layout.drift_after.is_none() {
        spans.push(Span::raw(format!("{} ", pad("DRIFT", DRIFT_WIDTH))));
    }
    for (i, (column, w)) in columns.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        if layout.drift && i > 0 && Some(columns[i - 1].0) == layout.drift_after {
            spans.push(Span::raw(format!("{} ", pad("DRIFT", DRIFT_WIDTH))));
        }
        let mut text = title(*column).to_string();
        if *column == state.sort.column {
            text.push_str(if state.sort.descending {
                " ↓"
            } else {
                " ↑"
            });
        }
        spans.push(Span::raw(pad(&fit(&text, *w), *w)));
    }
    Line::from(spans)
}

/// A container's row: its mark (or the selection's lead), then its cells.
fn container_row(
    buf: &mut Buffer,
    at: &RowAt,
    state: &AppState,
    c: &Container,
    layout: &Layout,
    theme: &Theme,
) {
    let marked = state.marks.contains(&c.id);
    let (lead, lead_style) = if marked {
        ("✓", theme.marked())
    } else if at.selected {
        ("›", Style::new())
    } else {
        (" ", Style::new())
    };
    buf.set_stringn(at.body.x, at.y, lead, 1, at.style.patch(lead_style));
    let mut cells = Vec::with_capacity(layout.columns.len() + 1);
    let drift_cell = layout.drift.then(|| drift_cell(state, theme, &c.id));
    if layout.drift_after.is_none()
        && let Some((text, style)) = &drift_cell
    {
        cells.push((text.clone(), *style, DRIFT_WIDTH, None));
    }
    for (column, w) in &layout.columns {
        let (text, style) = cell(state, theme, c, (*column, *w));
        // Memory without its limit, when the two do not fit.
        let short = (*column == Column::Memory)
            .then(|| state.stats.get(&c.id).map(|s| bytes(s.memory_used)))
            .flatten();
        let style = if marked && *column == Column::Name {
            theme.marked()
        } else {
            style
        };
        cells.push((text, style, *w, short));
        if Some(*column) == layout.drift_after
            && let Some((text, style)) = &drift_cell
        {
            cells.push((text.clone(), *style, DRIFT_WIDTH, None));
        }
    }
    let right = at.body.x + at.body.width;
    write_cells(buf, (at.body.x + 2, at.y), right, at.style, cells);
}

/// A container the compose file wants and the daemon does not have.
fn missing_row(
    buf: &mut Buffer,
    at: &RowAt,
    m: &crate::app::compose::MissingRow,
    layout: &Layout,
    theme: &Theme,
) {
    let lead = if at.selected { "›" } else { " " };
    buf.set_stringn(at.body.x, at.y, lead, 1, at.style);
    let mut cells = Vec::with_capacity(layout.columns.len() + 1);
    let drift_cell = ("missing".to_string(), theme.warn(), DRIFT_WIDTH, None);
    if layout.drift_after.is_none() {
        cells.push(drift_cell.clone());
    }
    for (column, w) in &layout.columns {
        let (text, style) = missing_cell(m, *column, theme);
        cells.push((text, style, *w, None));
        if Some(*column) == layout.drift_after {
            cells.push(drift_cell.clone());
        }
    }
    let right = at.body.x + at.body.width;
    write_cells(buf, (at.body.x + 2, at.y), right, at.style, cells);
}

/// One cell: its text, style, width, and a shorter text for when the width is cut.
type Cell = (String, Style, usize, Option<String>);

/// Writes a row's cells from `(x, y)` up to `right`, one space apart, each cut to its width.
/// Every cell is made safe here, whatever its column: most of them are the daemon's words (a
/// name, an image, a port's address, an id), and a cell reads no better for a sequence's tail.
fn write_cells(buf: &mut Buffer, (mut x, y): (u16, u16), right: u16, row: Style, cells: Vec<Cell>) {
    for (text, style, w, short) in cells {
        if x >= right {
            break;
        }
        let w = w.min(usize::from(right - x));
        let text = printable(&text);
        let text = match short {
            Some(short) if text.width() > w => Cow::Owned(short),
            _ => text,
        };
        buf.set_stringn(x, y, fit(&text, w), w, row.patch(style));
        x = x.saturating_add(u16::try_from(w + 1).unwrap_or(u16::MAX));
    }
}
