//! `y`: copy to the operator's clipboard with OSC 52, which works over SSH and in tmux (with
//! `set-clipboard on`). `update` picks the text and says on the status line what was copied and
//! how many bytes; the loop writes the sequence ([`Effect::Copy`]). In the list: the selected
//! container's full id; in the logs pane: the lines on screen, or the line of the current
//! search match while a search is on; in inspect: the section at the top of the pane (its
//! plain text, secrets masked unless revealed). `ui.clipboard = false` turns it off.

use super::keymap::KeyMode;
use super::{AppState, Effect, InspectView};
use crate::engine::Container;
use crate::engine::detail::{ContainerDetail, MASK};
use std::borrow::Cow;

use crate::sanitize::{printable, strip_escapes};

/// `y` in a main view (list, inspect).
pub(super) fn run(state: &mut AppState, mode: KeyMode, effects: &mut Vec<Effect>) {
    if !clipboard_on(state) {
        return;
    }
    let picked = if mode == KeyMode::Inspect {
        state
            .inspect
            .as_ref()
            .and_then(|view| section_at(state, view, view.scroll))
            .map(|(label, text)| {
                let name = state.inspect.as_ref().map_or("", |v| v.name.as_str());
                (text, format!("{name}'s {label}"))
            })
    } else {
        state
            .selected_container()
            .map(|c| (c.id.0.clone(), format!("{}'s id", printable(&c.name))))
    };
    match picked {
        Some((text, what)) => offer(state, text, what, effects),
        None => state.set_status("copy: nothing selected to copy", true),
    }
}

/// Whether `y` may copy; says why not on the status line.
pub(super) fn clipboard_on(state: &mut AppState) -> bool {
    if !state.settings.clipboard {
        state.set_status("copy: the clipboard is off (ui.clipboard = false)", true);
    }
    state.settings.clipboard
}

/// Asks the loop to copy `text` (each line without control characters or escape sequences, so
/// that pasting it runs nothing), and says so.
pub(super) fn offer(state: &mut AppState, text: String, what: String, effects: &mut Vec<Effect>) {
    let text = if text
        .split('\n')
        .any(|l| matches!(strip_escapes(l), Cow::Owned(_)))
    {
        text.split('\n')
            .map(strip_escapes)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        text
    };
    if text.is_empty() {
        state.set_status(format!("copy: {what} is empty"), true);
        return;
    }
    state.set_status(format!("copied {what} ({} bytes)", text.len()), false);
    effects.push(Effect::Copy { text, what });
}

/// The inspect section that line `line` of the pane belongs to: its name and its plain text.
/// Walks the pane's lines in the order [`super::inspect::line_count`] counts them (and
/// `ui::inspect` draws them).
/// The sections of the pane, in order: each a label, its height in lines, and its text.
type Sections = Vec<(String, usize, String)>;

pub fn section_at(state: &AppState, view: &InspectView, line: usize) -> Option<(String, String)> {
    let mut sections: Sections = Vec::new();
    let live = state.fleet.get(&view.id);
    sections.push(("id".into(), header_height(live), view.id.0.clone()));
    if let Some(error) = &view.error {
        sections.push(("error".into(), 1, error.clone()));
    }
    let Some(detail) = view.detail.as_ref() else {
        return pick(sections, line);
    };
    if let Some(error) = &detail.error {
        sections.push(("error".into(), 1, error.clone()));
    }
    sections.push(health(live, detail));
    plain_fields(&mut sections, detail);
    list_fields(&mut sections, live, detail, view);
    pick(sections, line)
}

/// The name and the state, its times and the last signal: the container itself.
fn header_height(live: Option<&Container>) -> usize {
    let mut header = 1;
    if let Some(c) = live {
        header += 1;
        let time = if c.state.is_up() {
            c.started_at.is_some()
        } else {
            c.finished_at.is_some()
        };
        header += usize::from(time || c.created.is_some());
        header += usize::from(c.last_signal.is_some());
    }
    header
}

/// The health verdict and the first line of each of its last five checks.
fn health(live: Option<&Container>, detail: &ContainerDetail) -> (String, usize, String) {
    let health = live.and_then(|c| c.health).or(detail.container.health);
    let checks: Vec<String> = if health.is_some() {
        detail
            .health_log
            .iter()
            .rev()
            .take(5)
            .map(|c| c.output.lines().next().unwrap_or("").to_string())
            .collect()
    } else {
        Vec::new()
    };
    let health_text = match health {
        Some(h) => std::iter::once(format!("{h:?}").to_lowercase())
            .chain(checks.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n"),
        None => "no health check".into(),
    };
    ("health".into(), 1 + checks.len(), health_text)
}

/// Image, command, entrypoint, workdir, user, restart policy and resources: a line each.
fn plain_fields(sections: &mut Sections, detail: &ContainerDetail) {
    sections.push(("image".into(), 1, detail.container.image.clone()));
    sections.push(("command".into(), 1, detail.cmd.join(" ")));
    sections.push(("entrypoint".into(), 1, detail.entrypoint.join(" ")));
    if let Some(dir) = &detail.working_dir {
        sections.push(("workdir".into(), 1, dir.clone()));
    }
    if let Some(user) = &detail.user {
        sections.push(("user".into(), 1, user.clone()));
    }
    sections.push((
        "restart policy".into(),
        1,
        detail.restart_policy.clone().unwrap_or_else(|| "no".into()),
    ));
    let limits = &detail.limits;
    let resources: Vec<String> = [
        ("memory", limits.memory_bytes),
        ("memory_swap", limits.memory_swap_bytes),
        ("nano_cpus", limits.nano_cpus),
        ("pids", limits.pids),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
    .collect();
    sections.push(("resources".into(), 1, resources.join("\n")));
}

/// Ports, mounts, networks, labels, env (secrets masked unless revealed) and history.
fn list_fields(
    sections: &mut Sections,
    live: Option<&Container>,
    detail: &ContainerDetail,
    view: &InspectView,
) {
    let ports: Vec<String> = live
        .map_or(&detail.container.ports, |c| &c.ports)
        .iter()
        .map(ToString::to_string)
        .collect();
    list(sections, "ports", ports);
    let mounts = detail
        .mounts
        .iter()
        .map(|m| {
            let ro = if m.read_only { " (ro)" } else { "" };
            format!("{} {} -> {}{ro}", m.kind, m.source, m.destination)
        })
        .collect();
    list(sections, "mounts", mounts);
    list(sections, "networks", detail.networks.clone());
    let labels = detail
        .labels()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    list(sections, "labels", labels);
    let env = detail
        .env
        .iter()
        .map(|v| {
            let value = if v.secret && !view.reveal {
                MASK
            } else {
                v.value.as_str()
            };
            format!("{}={value}", v.key)
        })
        .collect();
    list(sections, "env", env);
    list(
        sections,
        "history",
        crate::app::inspect::history_lines(view),
    );
}

/// A list field: one line per value, or one saying "none".
fn list(sections: &mut Vec<(String, usize, String)>, label: &str, values: Vec<String>) {
    sections.push((label.into(), values.len().max(1), values.join("\n")));
}

/// The section holding line `line` (the last one past the end).
fn pick(sections: Vec<(String, usize, String)>, line: usize) -> Option<(String, String)> {
    let mut start = 0;
    let mut last = None;
    for (label, lines, text) in sections {
        if line < start + lines {
            return Some((label, text));
        }
        start += lines;
        last = Some((label, text));
    }
    last
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
