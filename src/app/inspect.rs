//! The inspect pane's scroll range: how many lines the pane has, counted from the state without
//! building (or styling) any of them, and how many fit. Render draws exactly these lines (it
//! uses the same count for its scroll position), so `update` and render agree on the range.

use super::{AppState, InspectView};
use crate::geometry;

/// How many lines the inspect pane has for `view`: one per line `ui::inspect` draws.
pub fn line_count(state: &AppState, view: &InspectView) -> usize {
    let live = state.fleet.get(&view.id);
    // The name.
    let mut n = 1;
    if let Some(c) = live {
        // The state, then one line of times if there is one, then the last signal.
        n += 1;
        let time = if c.state.is_up() {
            c.started_at.is_some()
        } else {
            c.finished_at.is_some()
        };
        n += usize::from(time || c.created.is_some());
        n += usize::from(c.last_signal.is_some());
    }
    n += usize::from(view.error.is_some());
    let Some(detail) = view.detail.as_ref() else {
        // "loading …" unless the fetch failed.
        return n + usize::from(view.error.is_none());
    };
    n += usize::from(detail.error.is_some());
    // Health, and the last checks when there is a health check.
    n += 1;
    if live
        .and_then(|c| c.health)
        .or(detail.container.health)
        .is_some()
    {
        n += detail.health_log.len().min(5);
    }
    // Image, command, entrypoint; workdir and user when set; restart, resources.
    n += 3;
    n += usize::from(detail.working_dir.is_some());
    n += usize::from(detail.user.is_some());
    n += 2;
    // A list field takes one line per value, or one saying "none".
    let ports = live.map_or(detail.container.ports.len(), |c| c.ports.len());
    n += ports.max(1);
    n += detail.mounts.len().max(1);
    n += detail.networks.len().max(1);
    n += detail.labels().len().max(1);
    n += detail.env.len().max(1);
    n
}

/// (lines of content, lines that fit): what `update` needs to bound the scroll.
pub fn geometry(state: &AppState) -> (usize, usize) {
    let Some(view) = &state.inspect else {
        return (0, 0);
    };
    (
        line_count(state, view),
        geometry::page(state.panes().inspect),
    )
}
