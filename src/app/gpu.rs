//! The GPU pane's state: the last [`GpuState`] the sampler sent (a ready, attributed report,
//! or why there is none), and the pane's scroll. Sampling NVML and reading `/proc` happen off
//! the event loop (see `tui::gpu`); here a report is only stored, and the screen marked dirty
//! when what it shows changed.

use crate::config::keys::ConsoleCommand;
use crate::gpu::{GpuReport, GpuState};

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
    state.gpu = new;
    let list_changed = list_key(state) != list_before;
    if list_changed && state.sort.column == Column::Gpu {
        state.recompute_rows();
    }
    state.dirty |= (state.base == Base::Gpu && !same) || (state.base != Base::Gpu && list_changed);
}

/// Opens the GPU pane, or goes back to the list from it.
pub(super) fn toggle(state: &mut AppState) {
    if state.base == Base::Gpu {
        state.base = Base::List;
        return;
    }
    state.base = Base::Gpu;
    state.inspect = None;
    state.gpu_scroll = 0;
}

/// Scrolls the pane.
pub(super) fn scroll(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = crate::ui::gpu::geometry(state);
    let max = lines.saturating_sub(page);
    state.gpu_scroll = super::scroll(state.gpu_scroll, max, page.max(1), command);
}
