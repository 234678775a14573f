//! The triage view: the fleet's problems, worst first (severity, then the most recent), each
//! with its container (or service, or node), what is wrong, one line of why, and the suggested next action with the
//! key that does it. Wide terminals show a problem on one line; narrow ones on two (the why
//! under the rest). Severity is a glyph and a word, never colour alone. Only the problems on
//! screen are formatted; the list itself is computed in `update`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::triage::{is_swarm, next_step};
use crate::geometry::{lines_per_problem, list_geometry};
use crate::sanitize::printable;
use crate::triage::{Problem, Severity};

/// A severity as a glyph and a word.
pub fn severity_text(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "‼ critical",
        Severity::Error => "✖ error",
        Severity::Warning => "▲ warning",
    }
}

fn severity_style(theme: &Theme, severity: Severity) -> Style {
    match severity {
        Severity::Critical | Severity::Error => theme.error(),
        Severity::Warning => theme.warn(),
    }
}

/// The next action and its key: "r restart".
fn next_text(state: &AppState, p: &Problem) -> String {
    let (command, word) = next_step(p);
    let key = state
        .keymap
        .keys(command)
        .first()
        .map_or_else(|| ":".into(), ToString::to_string);
    format!("{key} {word}")
}

/// The status bar's count of problems, in every view: "‼ 3 problems (t)", styled by the worst.
pub fn status_span(state: &AppState, theme: &Theme) -> Span<'static> {
    let problems = &state.triage.problems;
    let Some(worst) = state.triage.worst() else {
        return Span::styled(" ✓ no problems ", theme.muted());
    };
    let glyph = severity_text(worst).split(' ').next().unwrap_or_default();
    let noun = if problems.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    let key = state
        .keymap
        .keys(crate::config::keys::ConsoleCommand::Triage)
        .first()
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    Span::styled(
        format!(" {glyph} {} {noun}{key} ", problems.len()),
        severity_style(theme, worst),
    )
}

fn title_line(state: &AppState, theme: &Theme) -> Line<'static> {
    let problems = &state.triage.problems;
    let mut spans = vec![Span::styled(" triage ", theme.title())];
    if problems.is_empty() {
        spans.push(Span::styled("no problems ", theme.ok()));
        return Line::from(spans);
    }
    let noun = if problems.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    spans.push(Span::raw(format!("{} {noun} ", problems.len())));
    for severity in [Severity::Critical, Severity::Error, Severity::Warning] {
        let n = problems.iter().filter(|p| p.severity == severity).count();
        if n > 0 {
            spans.push(Span::styled(
                format!("· {n} {} ", severity.as_str()),
                severity_style(theme, severity),
            ));
        }
    }
    Line::from(spans)
}

/// Draws the triage view.
const SEV_W: usize = 10;
const KIND_W: usize = 17;
const NEXT_W: usize = 14;

/// The widths a frame's rows share: the pane's, the name column's (fitted to the names on
/// screen) and its title, and whether the reason fits on the problem's line.
struct Columns {
    width: usize,
    name_w: usize,
    /// CONTAINER, or NAME when Swarm problems (a service, a node) are listed too.
    name_title: &'static str,
    one_line: bool,
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let geometry = list_geometry(area);
    if geometry.bordered {
        frame.render_widget(Block::bordered().title(title_line(state, theme)), area);
    }
    let view = &state.triage;
    let inner = geometry.inner;
    let visible = &view.problems[view.offset.min(view.problems.len())..];
    let name_w = visible
        .iter()
        .take(usize::from(geometry.body.height))
        .map(|p| printable(&p.subject).width())
        .chain(std::iter::once(9))
        .max()
        .unwrap_or(9)
        .min(28);
    let columns = Columns {
        width: usize::from(inner.width),
        name_w,
        name_title: if view.problems.iter().any(|p| is_swarm(p.kind)) {
            "NAME"
        } else {
            "CONTAINER"
        },
        one_line: lines_per_problem(inner) == 1,
    };
    if let Some(header) = geometry.header.filter(|_| !view.problems.is_empty()) {
        frame.render_widget(
            Paragraph::new(Line::raw(header_text(&columns))).style(theme.header()),
            header,
        );
    }
    let body = geometry.body;
    if view.problems.is_empty() {
        no_problems(frame, body, state, columns.width, theme);
        return;
    }
    let per = lines_per_problem(inner);
    let buf = frame.buffer_mut();
    for (i, p) in visible.iter().enumerate() {
        let Ok(dy) = u16::try_from(i * per) else {
            break;
        };
        if usize::from(dy) + per > usize::from(body.height) {
            break;
        }
        let selected = view.offset + i == view.selected;
        let row = Rect::new(
            body.x,
            body.y + dy,
            body.width,
            u16::try_from(per).unwrap_or(1),
        );
        problem_row(buf, row, state, p, selected, &columns, theme);
    }
}

/// The column titles, fitted to the pane.
fn header_text(columns: &Columns) -> String {
    let mut text = format!(
        "  {} {} {} ",
        pad("SEVERITY", SEV_W),
        pad(columns.name_title, columns.name_w),
        pad("PROBLEM", KIND_W)
    );
    if columns.one_line {
        let why_w = columns.width.saturating_sub(text.width() + NEXT_W + 1);
        text.push_str(&pad("WHY", why_w));
        text.push(' ');
    }
    text.push_str("NEXT");
    fit(&text, columns.width)
}

/// No problems: how many containers were checked, and for what.
fn no_problems(frame: &mut Frame<'_>, body: Rect, state: &AppState, width: usize, theme: &Theme) {
    let lines = vec![
        Line::styled(
            format!("  ✓ no problems in {} containers", state.fleet.len()),
            theme.ok(),
        ),
        Line::raw(""),
        Line::styled(
            fit(
                "  Checked: OOM kills, crash loops, health checks, non-zero exits, stuck \
                 states, memory near the limit, GPU memory over the threshold, CPU \
                 throttling, stopped processes, pids limits, memory pressure, hung calls.",
                width,
            ),
            theme.muted(),
        ),
    ];
    frame.render_widget(Paragraph::new(lines), body);
}

/// One problem in `row`: severity, container, kind, (the reason,) the next step; the reason
/// on a line of its own when it does not fit.
fn problem_row(
    buf: &mut ratatui::buffer::Buffer,
    row: Rect,
    state: &AppState,
    p: &Problem,
    selected: bool,
    columns: &Columns,
    theme: &Theme,
) {
    let row_style = if selected {
        theme.selected()
    } else {
        Style::new()
    };
    if selected {
        buf.set_style(row, row_style);
    }
    let lead = if selected { "›" } else { " " };
    let why = printable(&p.reason);
    let name_w = columns.name_w;
    let mut spans = vec![
        Span::raw(format!("{lead} ")),
        Span::styled(
            pad(severity_text(p.severity), SEV_W),
            severity_style(theme, p.severity),
        ),
        Span::raw(" "),
        Span::raw(pad(&fit(&printable(&p.subject), name_w), name_w)),
        Span::raw(" "),
        Span::raw(pad(p.kind.title(), KIND_W)),
        Span::raw(" "),
    ];
    let used: usize = spans.iter().map(Span::width).sum();
    if columns.one_line {
        let why_w = columns.width.saturating_sub(used + NEXT_W + 1);
        spans.push(Span::styled(pad(&fit(&why, why_w), why_w), theme.muted()));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(next_text(state, p), theme.key()));
    let line = Line::from(spans).patch_style(row_style);
    buf.set_line(row.x, row.y, &line, row.width);
    if !columns.one_line {
        let indent = 4;
        let why_line = Line::from(vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(
                fit(&why, columns.width.saturating_sub(indent)),
                theme.muted(),
            ),
        ])
        .patch_style(row_style);
        buf.set_line(row.x, row.y + 1, &why_line, row.width);
    }
}

#[cfg(test)]
#[path = "triage_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "triage_stuck_tests.rs"]
mod stuck_tests;
