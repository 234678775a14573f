//! The Swarm views: Services (NAME as `docker service ls` shows it, STACK, MODE, REPLICAS
//! `running/desired`, IMAGE, PORTS, UPDATE, AGE), a service's Tasks (a slot's older tasks
//! folded into a count), Nodes, Stacks, and Secrets/Configs (name and age only). Only the rows
//! on screen are formatted; a replica count short of its desired number is drawn as a warning.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::swarm::{SwarmPane, SwarmState, age};
use crate::engine::swarm::{NodeRow, ServiceRow, TaskRow};
use crate::sanitize::printable;

/// A column: its header and its width (the last one takes what is left).
type Columns = &'static [(&'static str, usize)];

const SERVICES: Columns = &[
    ("NAME", 24),
    ("STACK", 10),
    ("MODE", 10),
    ("REPLICAS", 9),
    ("IMAGE", 26),
    ("PORTS", 16),
    ("UPDATE", 12),
    ("AGE", 5),
];
const TASKS: Columns = &[
    ("NAME", 18),
    ("NODE", 12),
    ("DESIRED", 8),
    ("CURRENT", 9),
    ("SINCE", 6),
    ("EXIT", 5),
    ("OLDER", 6),
    ("ERROR", 30),
];
const NODES: Columns = &[
    ("HOSTNAME", 18),
    ("ROLE", 8),
    ("AVAILABILITY", 13),
    ("STATUS", 8),
    ("MANAGER", 12),
    ("ENGINE", 10),
    ("TASKS", 6),
    ("LABELS", 20),
];
const STACKS: Columns = &[("STACK", 24), ("SERVICES", 9), ("REPLICAS", 9)];
const OBJECTS: Columns = &[("KIND", 7), ("NAME", 40), ("AGE", 6), ("UPDATED", 8)];

fn columns(pane: SwarmPane) -> Columns {
    match pane {
        SwarmPane::Services => SERVICES,
        SwarmPane::Tasks => TASKS,
        SwarmPane::Nodes => NODES,
        SwarmPane::Stacks => STACKS,
        SwarmPane::Objects => OBJECTS,
    }
}

/// Cells laid out in the columns' widths, fit to `width` (the last column takes the rest).
fn row(cells: &[String], cols: Columns, width: usize) -> String {
    let mut text = String::new();
    for (i, (cell, (_, w))) in cells.iter().zip(cols).enumerate() {
        if i + 1 == cols.len() {
            text.push_str(&printable(cell));
        } else {
            text.push_str(&pad(&fit(&printable(cell), *w), *w));
            text.push(' ');
        }
    }
    fit(&text, width)
}

/// The cells of row `i` of the shown view, and whether it is short of what it wants.
fn cells(
    swarm: &SwarmState,
    i: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<(Vec<String>, bool)> {
    let snapshot = swarm.snapshot.as_ref()?;
    match swarm.pane {
        SwarmPane::Services => snapshot.services.get(i).map(|s| service_cells(s, now)),
        SwarmPane::Tasks => swarm
            .task_lines()
            .get(i)
            .map(|line| task_cells(line.task, line.older, now)),
        SwarmPane::Nodes => snapshot.nodes.get(i).map(node_cells),
        SwarmPane::Stacks => {
            let lines = swarm.stack_lines();
            let s = lines.get(i)?;
            let cells = vec![
                s.name.clone(),
                s.services.to_string(),
                format!("{}/{}", s.running, s.desired),
            ];
            Some((cells, s.running < s.desired))
        }
        SwarmPane::Objects => {
            let lines = swarm.object_lines();
            let o = lines.get(i)?;
            let cells = vec![
                o.kind.to_string(),
                o.object.name.clone(),
                age(now, o.object.created),
                age(now, o.object.updated),
            ];
            Some((cells, false))
        }
    }
}

fn service_cells(s: &ServiceRow, now: chrono::DateTime<chrono::Utc>) -> (Vec<String>, bool) {
    let cells = vec![
        s.name.clone(),
        s.stack.clone().unwrap_or_default(),
        s.mode.clone(),
        s.replicas_text(),
        s.image.clone(),
        s.ports.join(","),
        s.update_state.clone().unwrap_or_default(),
        age(now, s.created),
    ];
    (cells, s.running < s.desired)
}

fn task_cells(
    t: &TaskRow,
    older: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<String>, bool) {
    let cells = vec![
        t.name.clone(),
        t.node.clone(),
        t.desired_state.clone(),
        t.state.clone(),
        age(now, t.since),
        // Docker says 0 while a task's container runs: an exit only once it ended.
        t.exit_code
            .filter(|_| !t.running())
            .map(|c| c.to_string())
            .unwrap_or_default(),
        if older > 0 {
            format!("+{older}")
        } else {
            String::new()
        },
        t.error.clone().unwrap_or_default(),
    ];
    (cells, t.failed() || (t.wanted() && !t.running()))
}

fn node_cells(n: &NodeRow) -> (Vec<String>, bool) {
    let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let cells = vec![
        n.hostname.clone(),
        n.role.clone(),
        n.availability.clone(),
        n.status.clone(),
        n.manager_status.clone(),
        n.engine.clone(),
        n.tasks_running.map(|t| t.to_string()).unwrap_or_default(),
        labels.join(","),
    ];
    (cells, n.status != "ready" || n.availability != "active")
}

fn title(state: &AppState) -> String {
    let swarm = &state.swarm;
    let manager = swarm
        .snapshot
        .as_ref()
        .map(|s| format!(" @{}", s.manager))
        .unwrap_or_default();
    match (swarm.pane, swarm.shown_service()) {
        (SwarmPane::Tasks, Some(service)) => format!(
            " Tasks of {} {}{manager} ",
            service.name,
            service.replicas_text()
        ),
        (pane, _) => format!(" {} ({}){manager} ", pane.title(), swarm.len()),
    }
}

/// Draws the shown Swarm view in `area`.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(title(state), theme.title()))
        .border_style(theme.muted());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let swarm = &state.swarm;
    let cols = columns(swarm.pane);
    let header: Vec<String> = cols.iter().map(|(h, _)| (*h).to_string()).collect();
    let mut lines = vec![Line::styled(row(&header, cols, width), theme.header())];
    let body = height.saturating_sub(1);
    if let Some(why) = &swarm.error {
        lines.push(Line::styled(fit(&printable(why), width), theme.error()));
    } else if swarm.snapshot.is_none() {
        lines.push(Line::styled("reading the swarm manager…", theme.muted()));
    } else if swarm.is_empty() {
        lines.push(Line::styled("nothing here", theme.muted()));
    }
    let start = swarm.selected.saturating_sub(body.saturating_sub(1));
    for i in start..start + body.saturating_sub(lines.len() - 1) {
        let Some((cells, short)) = cells(swarm, i, state.now) else {
            break;
        };
        let style = if i == swarm.selected {
            theme.selected()
        } else if short {
            theme.warn()
        } else {
            Style::default()
        };
        lines.push(Line::styled(row(&cells, cols, width), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;
