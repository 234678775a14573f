//! Acting on containers from the console: a key or a `:` command becomes an action on its
//! targets, refused under `--read-only`, asked about first ([`PendingAction`], the confirm
//! dialog) when destructive or on more than one container, then sent to the action layer as an
//! [`Effect::RunAction`]; the results come back as [`ActionDone`]s and become the status line.
//! Exec (one running container, handed to the loop) is checked here too.

use super::messages::{verb_ing, verb_word};
use super::{ActionDone, AppState, Effect, Overlay};
use crate::actions::{Action, Target};
use crate::config::keys::ConsoleCommand;
use crate::engine::{ContainerId, RunState};

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub action: Action,
    pub targets: Vec<Target>,
    /// Targets that are Swarm task containers (name, service): the swarm replaces what is
    /// stopped or removed.
    pub swarm_tasks: Vec<(String, String)>,
}

impl PendingAction {
    /// What will be done to which containers, in words: "kill (SIGKILL) web-1, web-2".
    pub fn question(&self) -> String {
        let verb = match &self.action {
            Action::Kill { signal } => format!("kill ({signal})"),
            Action::Remove { force: true, .. } => "force-remove".into(),
            other => verb_word(other).to_string(),
        };
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        let count = match names.len() {
            1 => String::new(),
            n => format!("{n} containers: "),
        };
        let mut question = format!("{verb} {count}{}", names.join(", "));
        for (name, service) in &self.swarm_tasks {
            question.push_str(". ");
            question.push_str(&crate::engine::swarm::task_warning(name, service));
        }
        question
    }
}

/// A key in the confirm dialog ([`KeyMode::Confirm`]): yes sends the action, no says so.
pub(super) fn run_command(
    state: &mut AppState,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    match command {
        ConsoleCommand::Confirm => {
            state.overlay = None;
            if let Some(pending) = state.confirm.take() {
                dispatch(state, pending.action, pending.targets, effects);
            } else if !super::objects::answer(state, true, effects)
                && !super::swarm_act::answer(state, true, effects)
            {
                super::compose::answer(state, true, effects);
            }
        }
        ConsoleCommand::Cancel => {
            state.overlay = None;
            if let Some(pending) = state.confirm.take() {
                state.set_status(format!("cancelled: {}", pending.question()), false);
            } else if !super::objects::answer(state, false, effects)
                && !super::swarm_act::answer(state, false, effects)
            {
                super::compose::answer(state, false, effects);
            }
        }
        _ => {}
    }
}

/// An action key in a main view (start, stop, restart, pause, kill, remove): the action, with
/// the configured timeout or signal; pause unpauses when every target is paused.
pub(super) fn request_command(
    state: &mut AppState,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    let timeout_s = state.settings.stop_timeout_s;
    let action = match command {
        ConsoleCommand::Start => Action::Start,
        ConsoleCommand::Stop => Action::Stop { timeout_s },
        ConsoleCommand::Restart => Action::Restart { timeout_s },
        ConsoleCommand::Pause => {
            let ids: Vec<ContainerId> = state.targets().into_iter().map(|t| t.id).collect();
            let all_paused = !ids.is_empty()
                && ids.iter().all(|id| {
                    state
                        .fleet
                        .get(id)
                        .is_some_and(|c| c.state == RunState::Paused)
                });
            if all_paused {
                Action::Unpause
            } else {
                Action::Pause
            }
        }
        ConsoleCommand::Kill => Action::Kill {
            signal: state.settings.kill_signal.clone(),
        },
        // Through the audited kill: asked about first like any kill.
        ConsoleCommand::Continue => Action::Kill {
            signal: "SIGCONT".into(),
        },
        ConsoleCommand::Remove => Action::Remove {
            force: false,
            volumes: false,
        },
        _ => return,
    };
    request(state, action, effects);
}

/// An action from a key: refused when read-only, confirmed when destructive or bulk.
pub(super) fn request(state: &mut AppState, action: Action, effects: &mut Vec<Effect>) {
    if state.settings.read_only {
        state.set_status(
            format!(
                "read-only: {} is unavailable (fleetdeck was started with --read-only)",
                verb_word(&action)
            ),
            true,
        );
        return;
    }
    let targets = state.targets();
    if targets.is_empty() {
        state.set_status(
            format!("{}: no container selected", verb_word(&action)),
            true,
        );
        return;
    }
    confirm_or_dispatch(state, action, targets, effects);
}

/// Asks first when the action is destructive or on several containers; else sends it.
pub(super) fn confirm_or_dispatch(
    state: &mut AppState,
    action: Action,
    targets: Vec<Target>,
    effects: &mut Vec<Effect>,
) {
    // A Swarm task container: the orchestrator replaces what is stopped or removed.
    let swarm_tasks: Vec<(String, String)> = if matches!(
        action,
        Action::Stop { .. } | Action::Kill { .. } | Action::Remove { .. } | Action::Pause
    ) {
        targets
            .iter()
            .filter_map(|t| state.fleet.get(&t.id))
            .filter_map(|c| {
                let service = crate::engine::swarm::task_service(&c.labels)?;
                Some((c.name.clone(), service.to_string()))
            })
            .collect()
    } else {
        Vec::new()
    };
    if action.is_destructive() || targets.len() > 1 || !swarm_tasks.is_empty() {
        state.confirm = Some(PendingAction {
            action,
            targets,
            swarm_tasks,
        });
        state.overlay = Some(Overlay::Confirm);
        return;
    }
    dispatch(state, action, targets, effects);
}

/// Sends an action to the action layer and says so.
fn dispatch(state: &mut AppState, action: Action, targets: Vec<Target>, effects: &mut Vec<Effect>) {
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    state.set_status(
        format!("{} {} …", verb_ing(&action), names.join(", ")),
        false,
    );
    state.marks.clear();
    effects.push(Effect::RunAction { action, targets });
}

/// Exec into the one selected container, if it is running (not under `--read-only`).
pub(super) fn exec(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.settings.read_only {
        state.set_status(
            "read-only: exec is unavailable (fleetdeck was started with --read-only)",
            true,
        );
        return;
    }
    match state.targets().as_slice() {
        [one] => match state.fleet.get(&one.id).map(|c| c.state) {
            Some(RunState::Running) => effects.push(Effect::Exec(one.clone())),
            Some(other) => state.set_status(
                format!(
                    "exec: {} is not running ({}): start it first",
                    one.name,
                    other.as_str()
                ),
                true,
            ),
            None => state.set_status(format!("exec: {} is gone", one.name), true),
        },
        [] => state.set_status("exec: no container selected", true),
        _ => state.set_status("exec: select one container (not several)", true),
    }
}

/// The results of one request: the status line says what happened (or what failed first).
pub(super) fn on_actions_done(state: &mut AppState, done: &[ActionDone]) {
    state.dirty = true;
    let Some(first) = done.first() else {
        return;
    };
    if done.len() == 1 {
        state.set_status(first.describe(), !first.ok());
        return;
    }
    let failed: Vec<&ActionDone> = done.iter().filter(|d| !d.ok()).collect();
    let verb = verb_word(&first.action);
    if failed.is_empty() {
        let names: Vec<&str> = done.iter().map(|d| d.target.name.as_str()).collect();
        let slowest = done.iter().map(|d| d.duration).max().unwrap_or_default();
        state.set_status(
            format!(
                "{verb}: {n} of {n} done in {:.1} s: {}",
                slowest.as_secs_f64(),
                names.join(", "),
                n = done.len()
            ),
            false,
        );
    } else {
        let first_error = failed.first().map(|d| d.describe()).unwrap_or_default();
        state.set_status(
            format!(
                "{verb}: {} of {} failed: {first_error}",
                failed.len(),
                done.len()
            ),
            true,
        );
    }
}
