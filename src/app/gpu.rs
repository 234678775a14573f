//! The GPU pane's state: the last [`GpuState`] the sampler sent (a ready, attributed report,
//! or why there is none), and the pane's scroll. Sampling NVML and reading `/proc` happen off
//! the event loop (see `tui::gpu`); here a report is only stored, and the screen marked dirty
//! when what it shows changed.

use crate::config::keys::ConsoleCommand;
use crate::geometry::{pane_inner, wrap_words};
use crate::gpu::{GpuReport, GpuState};
use crate::sanitize::printable;

use super::{AppState, Base};
use crate::config::Column;

impl AppState {
    /// The GPU report, when there is one with at least one GPU: the list shows its GPU column
    /// only then.
    pub fn gpu_report(&self) -> Option<&GpuReport> {
        match &self.gpu {
            GpuState::Available { report, .. } if !report.gpus.is_empty() => Some(report),
            _ => None,
        }
    }
}

/// The per-container memory the list shows, for comparing two reports.
fn list_key(state: &AppState) -> Option<Vec<(String, u64)>> {
    state.gpu_report().map(|r| {
        r.containers
            .iter()
            .map(|c| (c.id.clone(), c.memory_used_bytes))
            .collect()
    })
}

/// Stores a new GPU state.
pub(super) fn on_state(state: &mut AppState, new: GpuState) {
    let same = match (&state.gpu, &new) {
        (GpuState::Available { report: a, .. }, GpuState::Available { report: b, .. }) => a == b,
        (a, b) => a == b,
    };
    let list_before = list_key(state);
    let charted = if let GpuState::Available { report, .. } = &new {
        state.history.record_gpus(report);
        true
    } else {
        false
    };
    state.gpu = new;
    let list_changed = list_key(state) != list_before;
    if list_changed && state.sort.column == Column::Gpu {
        state.recompute_rows();
    }
    state.dirty |= (state.base == Base::Gpu && (!same || charted))
        || (state.base != Base::Gpu && list_changed);
}

/// Opens the GPU pane, or goes back to the list from it.
pub(super) fn toggle(state: &mut AppState) {
    if state.base == Base::Gpu {
        state.base = Base::List;
        state.clamp_selection();
        return;
    }
    state.base = Base::Gpu;
    state.inspect = None;
    state.gpu_scroll = 0;
}

/// How many lines the pane has at this inner width: a count over the state, no text built
/// (render draws exactly these lines).
pub fn line_count(state: &AppState, width: usize) -> usize {
    match &state.gpu {
        GpuState::Unknown => 1,
        // The reason wrapped, a blank line, the note that the rest works.
        GpuState::Unavailable { reason } => {
            wrap_words(&printable(&reason.to_string()), width.saturating_sub(2)).len() + 2
        }
        GpuState::Available { report, .. } => {
            // Three lines per GPU; per table a blank line, a title, and a header over its rows
            // (or one line saying there are none).
            let table = |rows: usize| 2 + if rows == 0 { 1 } else { 1 + rows };
            3 * report.gpus.len() + table(report.processes.len()) + table(report.containers.len())
        }
    }
}

/// (lines, page): how many lines the pane has and how many fit.
pub fn geometry(state: &AppState) -> (usize, usize) {
    let Some(pane) = state.panes().gpu else {
        return (0, 0);
    };
    let inner = pane_inner(pane);
    (
        line_count(state, usize::from(inner.width)),
        usize::from(inner.height),
    )
}

/// Scrolls the pane.
pub(super) fn scroll(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = geometry(state);
    let max = lines.saturating_sub(page);
    state.gpu_scroll = super::scroll(state.gpu_scroll, max, page.max(1), command);
}
