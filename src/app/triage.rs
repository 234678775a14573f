//! The triage view's state: the problems the rules of [`crate::triage`] find in the fleet,
//! worst first, recomputed here (in `update`, never in render) when the fleet, the stats, the
//! GPU report or the clock changes; the recent events the rules read ([`History`], fed from
//! every fleet event the console applies, bounded per container and by the fleet); and the
//! view's cursor. A problem's suggested action runs through the same keys, effects and confirm
//! step as in the list: the action applies to the selected problem's container.

use std::collections::HashMap;

use crate::actions::Target;
use crate::config::keys::ConsoleCommand;
use crate::engine::{ContainerId, FleetUpdate};
use crate::gpu::GpuState;
use crate::triage::{
    self, Context, History, MemoryUse, Observations, Problem, ProblemKind, Severity, StuckWatch,
    Suggestion,
};

use super::{AppState, Base, Effect, Msg};

/// What a message means for the problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    Nothing,
    /// What the rules read changed.
    Inputs,
    /// Find them now: the clock moved (the rules about time may fire; once a second, whatever
    /// the rate of events), or a fresh list of the fleet came.
    Now,
    /// The screen changed size.
    Resize,
}

/// What `msg` means for the problems (looked at before `update` applies it).
pub(super) fn trigger(state: &AppState, msg: &Msg) -> Trigger {
    match msg {
        Msg::Tick(_) | Msg::Fleet(FleetUpdate::Snapshot(..)) => Trigger::Now,
        Msg::Fleet(_) | Msg::Gpu(_) | Msg::Vitals(_) => Trigger::Inputs,
        // Only a limited container's memory can be near its limit.
        Msg::Stats(s)
            if state
                .fleet
                .get(&s.id)
                .is_some_and(|c| c.memory_limit.is_some()) =>
        {
            Trigger::Inputs
        }
        Msg::Resize { .. } => Trigger::Resize,
        _ => Trigger::Nothing,
    }
}

/// Finds the problems again when due: on the clock, and before the next frame while the view
/// is shown ([`Msg::Frame`]); otherwise the change waits for the next tick (a storm of events
/// costs one pass a second, or one per frame while the view is shown).
pub(super) fn after(state: &mut AppState, trigger: Trigger) {
    match trigger {
        Trigger::Now => refresh(state),
        Trigger::Inputs => {
            state.triage.stale = true;
            state.dirty |= state.base == Base::Triage;
        }
        Trigger::Resize => clamp(state),
        Trigger::Nothing => {}
    }
}

/// The triage view's state.
#[derive(Debug, Clone, Default)]
pub struct TriageState {
    /// What the rules remember of recent events.
    pub history: History,
    /// Worst first, then most recent first.
    pub problems: Vec<Problem>,
    /// Index into `problems`.
    pub selected: usize,
    /// The first problem on screen.
    pub offset: usize,
    /// Whether the fleet, the stats or the GPU report changed since the problems were found.
    pub stale: bool,
    /// The running containers' vitals over the last window (fed by the vitals watch).
    pub stuck: StuckWatch,
    /// What the stuck rules read: the watch's findings, hung calls, last log lines.
    pub observed: Observations,
    /// The containers throttled at their last reading (the CPU chart marks their seconds).
    pub throttled: super::stuck::Throttled,
}

impl TriageState {
    /// The worst severity among the problems, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.problems.iter().map(|p| p.severity).max()
    }

    /// The selected problem.
    pub fn selected_problem(&self) -> Option<&Problem> {
        self.problems.get(self.selected)
    }
}

/// The command a suggestion is carried out by.
pub fn suggestion_command(suggestion: Suggestion) -> ConsoleCommand {
    match suggestion {
        Suggestion::Logs => ConsoleCommand::Logs,
        Suggestion::Inspect => ConsoleCommand::Inspect,
        Suggestion::Restart => ConsoleCommand::Restart,
        Suggestion::Start => ConsoleCommand::Start,
        Suggestion::Remove => ConsoleCommand::Remove,
        Suggestion::Continue => ConsoleCommand::Continue,
    }
}

/// Whether a problem is about the swarm (a service, a node, the managers), not a container.
pub fn is_swarm(kind: ProblemKind) -> bool {
    matches!(
        kind,
        ProblemKind::ServiceDegraded
            | ProblemKind::TasksFailing
            | ProblemKind::UpdateStopped
            | ProblemKind::NodeUnavailable
            | ProblemKind::QuorumShort
    )
}

/// The next step the view shows for a problem: the command that does it and its word.
pub fn next_step(p: &Problem) -> (ConsoleCommand, &'static str) {
    match p.kind {
        ProblemKind::GpuOverThreshold => (suggestion_command(p.suggestion), "GPU pane"),
        ProblemKind::ServiceDegraded | ProblemKind::TasksFailing => {
            (ConsoleCommand::Logs, "service logs")
        }
        ProblemKind::UpdateStopped => (ConsoleCommand::Inspect, "service"),
        ProblemKind::NodeUnavailable => (ConsoleCommand::Inspect, "node"),
        ProblemKind::QuorumShort => (ConsoleCommand::Inspect, "nodes"),
        _ => (suggestion_command(p.suggestion), p.suggestion.as_str()),
    }
}

/// `l` on a Swarm problem: a service's logs (every task merged); `false` when the selected
/// problem is a container's.
pub(super) fn swarm_logs(state: &mut AppState, effects: &mut Vec<Effect>) -> bool {
    let Some(problem) = state.triage.selected_problem().filter(|p| is_swarm(p.kind)) else {
        return false;
    };
    let service = state
        .swarm
        .snapshot
        .as_ref()
        .and_then(|s| s.services.iter().find(|s| s.name == problem.subject))
        .cloned();
    match service {
        Some(service) => super::swarm_act::open_service_logs(state, service, effects),
        None => state.set_status(
            "logs: a node's problem has no logs here (Enter opens the Nodes view)",
            true,
        ),
    }
    true
}

/// Enter on a Swarm problem: the Services view on its service, or the Nodes view on its node.
fn inspect_swarm(state: &mut AppState, problem: &Problem, effects: &mut Vec<Effect>) {
    use super::swarm::SwarmPane;
    let node = matches!(
        problem.kind,
        ProblemKind::NodeUnavailable | ProblemKind::QuorumShort
    );
    let pane = if node {
        SwarmPane::Nodes
    } else {
        SwarmPane::Services
    };
    super::swarm::open(state, pane, effects);
    let index = state.swarm.snapshot.as_ref().and_then(|s| {
        if node {
            s.nodes.iter().position(|n| n.hostname == problem.subject)
        } else {
            s.services.iter().position(|v| v.name == problem.subject)
        }
    });
    state.swarm.selected = index.unwrap_or(0);
}

/// What the view draws of a problem: a change here is a change on screen.
fn shown(
    p: &Problem,
) -> (
    &Option<ContainerId>,
    &str,
    ProblemKind,
    Severity,
    &str,
    Suggestion,
) {
    (
        &p.container_id,
        &p.subject,
        p.kind,
        p.severity,
        &p.reason,
        p.suggestion,
    )
}

/// Records what the rules must remember of a fleet update (before the fleet applies it).
pub(super) fn record(state: &mut AppState, update: &FleetUpdate) {
    if let FleetUpdate::Event(event) = update {
        state.triage.history.record(event);
    }
}

/// Forgets the history of containers no longer in the fleet (after a fresh list).
pub(super) fn prune(state: &mut AppState) {
    let fleet = &state.fleet;
    state.triage.history.retain(|id| fleet.get(id).is_some());
}

/// Runs the rules again; marks the screen dirty when the view (if shown) or the status bar's
/// count would change.
pub(super) fn refresh(state: &mut AppState) {
    let memory: HashMap<ContainerId, MemoryUse> = state
        .stats
        .iter()
        .filter_map(|(id, s)| {
            Some((
                id.clone(),
                MemoryUse {
                    used: s.memory_used,
                    limit: s.memory_limit?,
                },
            ))
        })
        .collect();
    let gpu = match &state.gpu {
        GpuState::Available { report, .. } => Some(report),
        _ => None,
    };
    let ctx = Context {
        history: &state.triage.history,
        memory: &memory,
        gpu,
        now: state.now,
        thresholds: &state.settings.thresholds,
        observed: &state.triage.observed,
    };
    let mut problems = triage::evaluate(state.fleet.containers(), &ctx);
    // On a manager, the swarm's problems beside the containers'.
    let swarm = super::swarm::problems(state);
    if !swarm.is_empty() {
        problems.extend(swarm);
        problems.sort_by(triage::order);
    }
    let view = &mut state.triage;
    let same_view = view.problems.len() == problems.len()
        && view
            .problems
            .iter()
            .zip(&problems)
            .all(|(a, b)| shown(a) == shown(b));
    let same_count = view.problems.len() == problems.len()
        && view.worst() == problems.iter().map(|p| p.severity).max();
    // The cursor stays on the same problem where it still exists.
    let keep = view
        .selected_problem()
        .map(|p| (p.container_id.clone(), p.subject.clone(), p.kind));
    view.problems = problems;
    if let Some((id, subject, kind)) = keep
        && let Some(i) = view
            .problems
            .iter()
            .position(|p| p.container_id == id && p.subject == subject && p.kind == kind)
    {
        view.selected = i;
    }
    view.stale = false;
    clamp(state);
    state.dirty |= !same_count || (state.base == Base::Triage && !same_view);
}

/// How many problems fit on screen now.
pub fn page(state: &AppState) -> usize {
    crate::geometry::visible_problems(state.panes().triage).max(1)
}

fn clamp(state: &mut AppState) {
    let page = page(state);
    let view = &mut state.triage;
    view.selected = view.selected.min(view.problems.len().saturating_sub(1));
    if view.selected < view.offset {
        view.offset = view.selected;
    } else if view.selected >= view.offset + page {
        view.offset = view.selected + 1 - page;
    }
    view.offset = view.offset.min(view.problems.len().saturating_sub(page));
}

/// Opens the triage view, or goes back to the list from it.
pub(super) fn toggle(state: &mut AppState) {
    if state.base == Base::Triage {
        state.base = Base::List;
        state.clamp_selection();
        return;
    }
    state.base = Base::Triage;
    state.inspect = None;
    if state.triage.stale {
        refresh(state);
    }
    clamp(state);
}

/// Moves the cursor.
pub(super) fn move_selection(state: &mut AppState, command: ConsoleCommand) {
    let last = state.triage.problems.len().saturating_sub(1);
    state.triage.selected = super::scroll(state.triage.selected, last, page(state), command);
    clamp(state);
}

/// The selected problem's container, as an action's target (none for a GPU's problem, or a
/// container gone since).
pub(super) fn target(state: &AppState) -> Option<Target> {
    let id = state.triage.selected_problem()?.container_id.as_ref()?;
    state.fleet.get(id).map(AppState::target_of)
}

/// Inspect from the triage view: the problem's container; a GPU's problem opens the GPU pane.
pub(super) fn inspect(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some(problem) = state.triage.selected_problem() else {
        state.set_status("inspect: no problem selected", true);
        return;
    };
    if problem.kind == ProblemKind::GpuOverThreshold {
        state.base = Base::Gpu;
        return;
    }
    if is_swarm(problem.kind) {
        let problem = problem.clone();
        return inspect_swarm(state, &problem, effects);
    }
    match target(state) {
        Some(t) => super::inspect::inspect_container(state, t.id, t.name, effects),
        None => state.set_status("inspect: that container is gone", true),
    }
}

#[cfg(test)]
#[path = "triage_tests.rs"]
mod tests;
