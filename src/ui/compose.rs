//! The compose project on screen: the list's drift column (a container's mark: `✓` in sync,
//! `≠ env,image` drifted, `▸ stopped`, `− extra`, `orphan`, `conflict`; `missing` for a
//! container the files want that does not exist) and those missing rows' cells, and the plan
//! pane (`:plan`, `:apply`): the counts, the apply's progress or outcome, then one line per
//! step (action, container, service, changed fields, the step's outcome once applied). Only
//! the steps on screen are formatted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::compose::{ComposeState, Drift, MissingRow};
use crate::config::Column;
use crate::config::keys::ConsoleCommand;
use crate::engine::ContainerId;
use crate::geometry::{PLAN_HEAD_LINES, pane_inner, plan_page, scroll_position};
use crate::reconcile::plan::{Action, RemoveReason, Step};
use crate::sanitize::printable;

/// The drift column's width: marks longer than this are cut.
pub const DRIFT_WIDTH: usize = 10;

/// The drift cell of container `id`: its mark, or nothing when it is not the project's.
pub fn drift_cell(state: &AppState, theme: &Theme, id: &ContainerId) -> (String, Style) {
    let Some(drift) = state.compose.as_ref().and_then(|c| c.drift_of(id)) else {
        return (String::new(), Style::new());
    };
    let style = match drift {
        Drift::InSync => theme.ok(),
        Drift::Drifted(_) | Drift::Stopped | Drift::Extra | Drift::Orphan => theme.warn(),
        Drift::Conflict => theme.error(),
    };
    (printable(&drift.mark()).into_owned(), style)
}

/// A missing row's cell in `column`: the name, the image, `○ not created`, the service.
pub fn missing_cell(m: &MissingRow, column: Column, theme: &Theme) -> (String, Style) {
    let c = &m.container;
    match column {
        Column::Name => (printable(&c.name).into_owned(), theme.muted()),
        Column::Image => (printable(&c.image).into_owned(), theme.muted()),
        Column::State => ("○ not created".into(), theme.warn()),
        Column::Status => (format!("service {}", printable(&m.service)), theme.muted()),
        _ => (String::new(), Style::new()),
    }
}

fn action_style(action: &Action, theme: &Theme) -> Style {
    match action {
        Action::Build | Action::Create | Action::Start => theme.ok(),
        Action::Recreate { .. } | Action::Orphan => theme.warn(),
        Action::Remove { .. } | Action::Conflict { .. } => theme.error(),
        Action::Unchanged => theme.muted(),
    }
}

/// What a step changes, in words.
fn changes(state: &AppState, step: &Step) -> String {
    match &step.action {
        Action::Recreate { changed } => changed.join(", "),
        Action::Start => "stopped".into(),
        Action::Remove {
            reason: RemoveReason::ScaleDown,
        } => "beyond the scale".into(),
        Action::Remove {
            reason: RemoveReason::Orphan,
        }
        | Action::Orphan => "not in the files".into(),
        Action::Conflict { holder } => {
            let name = state
                .fleet
                .get(holder)
                .map_or_else(|| holder.short().to_string(), |c| c.name.clone());
            format!("held by {name}")
        }
        Action::Build => "image".into(),
        Action::Create | Action::Unchanged => String::new(),
    }
}

/// Column widths of the step lines: (action, container, service).
fn step_widths(width: usize) -> (usize, usize, usize) {
    let container = width.saturating_sub(2 + 10 + 1 + 14 + 1 + 16).clamp(12, 32);
    (10, container, 14)
}

fn step_line(
    state: &AppState,
    compose: &ComposeState,
    step: &Step,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let (wa, wc, ws) = step_widths(width);
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(
            pad(step.action.word(), wa),
            action_style(&step.action, theme),
        ),
        Span::raw(format!(
            " {} {} ",
            pad(&fit(&printable(&step.name), wc), wc),
            pad(&fit(&printable(&step.service), ws), ws)
        )),
    ];
    let used = 2 + wa + 1 + wc + 1 + ws + 1;
    let mut room = width.saturating_sub(used);
    let what = printable(&changes(state, step)).into_owned();
    if !what.is_empty() {
        let text = fit(&what, room);
        room = room.saturating_sub(text.chars().count() + 2);
        spans.push(Span::raw(text));
        spans.push(Span::raw("  "));
    }
    if let Some(o) = compose
        .outcome_of(&step.name)
        .filter(|o| o.step.action.mutates())
    {
        let (text, style) = if o.ok {
            (format!("✓ {}", o.outcome), theme.ok())
        } else {
            let why = o.error.as_deref().unwrap_or(o.outcome.as_str());
            (format!("✖ {why}"), theme.error())
        };
        spans.push(Span::styled(fit(&printable(&text), room), style));
    }
    Line::from(spans)
}

/// The pane's first lines: the counts, then the apply's state (or the read error).
fn head_lines(
    state: &AppState,
    compose: &ComposeState,
    width: usize,
    theme: &Theme,
) -> [Line<'static>; 2] {
    let counts = match &compose.plan {
        Some(plan) if plan.steps.is_empty() => {
            Line::styled("no services in the files", theme.muted())
        }
        Some(plan) => {
            let text: Vec<String> = plan
                .counts()
                .iter()
                .map(|(word, n)| format!("{n} {word}"))
                .collect();
            Line::styled(fit(&text.join(" · "), width), theme.header())
        }
        None if compose.loading => Line::styled("reading the compose files …", theme.muted()),
        None => Line::styled(
            "no plan: the compose files could not be read",
            theme.muted(),
        ),
    };
    let apply_key = state.keymap.keys_text(ConsoleCommand::Apply);
    let second = if let Some(e) = &compose.error {
        Line::styled(fit(&format!("✖ {}", printable(e)), width), theme.error())
    } else if compose.applying {
        let total = compose.plan.as_ref().map_or(0, |p| p.steps.len());
        Line::styled(
            format!(
                "applying … {} of {total} steps done",
                compose.outcomes.len()
            ),
            theme.warn(),
        )
    } else if let Some((text, failed)) = &compose.summary {
        let style = if *failed { theme.error() } else { theme.ok() };
        Line::styled(fit(&format!("last {}", printable(text)), width), style)
    } else if compose.plan.as_ref().is_some_and(|p| p.is_noop()) {
        Line::styled("in sync: nothing to apply", theme.ok())
    } else if state.settings.read_only {
        Line::styled("read-only: apply is unavailable", theme.muted())
    } else if compose.plan.is_some() {
        Line::styled(
            format!("{apply_key} applies it (asks first)"),
            theme.muted(),
        )
    } else {
        Line::raw("")
    };
    [counts, second]
}

/// Draws the plan pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let Some(compose) = state.compose.as_deref() else {
        return;
    };
    let inner = pane_inner(area);
    let width = usize::from(inner.width);
    let steps = compose
        .plan
        .as_ref()
        .map_or(&[][..], |p| p.steps.as_slice());
    let page = plan_page(Some(inner));
    if inner != area {
        let name = compose
            .project_name()
            .map_or_else(String::new, |n| format!("{} ", printable(n)));
        let position = scroll_position(compose.scroll, page, steps.len());
        frame.render_widget(
            Block::bordered()
                .title(Span::styled(format!(" plan {name}"), theme.title()))
                .title_bottom(Line::from(position).right_aligned()),
            area,
        );
    }
    let (wa, wc, ws) = step_widths(width);
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(page + usize::from(PLAN_HEAD_LINES));
    lines.extend(head_lines(state, compose, width, theme));
    lines.push(Line::styled(
        format!(
            "  {} {} {} CHANGES",
            pad("ACTION", wa),
            pad("CONTAINER", wc),
            pad("SERVICE", ws)
        ),
        theme.header(),
    ));
    lines.extend(
        steps
            .iter()
            .skip(compose.scroll)
            .take(page)
            .map(|step| step_line(state, compose, step, width, theme)),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
