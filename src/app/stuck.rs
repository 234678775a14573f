//! The console's side of the stuck rules: readings of the running containers' vitals (from
//! the loop's vitals watch, every few seconds) go into the triage view's [`StuckWatch`], and
//! its findings into the [`crate::triage::Observations`] the rules read; an action that timed
//! out for one container while the host answers is a hung call; the logs pane's lines say when
//! a followed container last wrote (the silence check, for those opted in). Which containers
//! are throttled now is kept, so that the CPU chart marks the seconds they were.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::messages::verb_word;
use super::{ActionDone, AppState, Effect};
use crate::engine::logs::{LogEvent, LogMessage};
use crate::engine::vitals::Vitals;
use crate::engine::{ContainerId, RunState};
use crate::triage::HungCall;

/// The window the watch keeps readings for: the throttling rule's minute.
const WINDOW_S: i64 = 60;

/// The containers throttled in their last reading, as the CPU chart marks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttled(pub HashSet<ContainerId>);

/// A batch of readings: observed, the stopped containers forgotten, the findings handed to
/// the rules.
pub(super) fn on_vitals(state: &mut AppState, readings: Vec<Vitals>) {
    let watch = &mut state.triage.stuck;
    for v in readings {
        watch.observe(v, WINDOW_S);
    }
    let fleet = &state.fleet;
    watch.retain(|id| fleet.get(id).is_some_and(|c| c.state == RunState::Running));
    let observed = watch.observed();
    let floor = state.settings.thresholds.throttled_pct;
    state.triage.throttled = Throttled(
        observed
            .iter()
            .filter(|(_, o)| o.throttle.is_some_and(|t| t.recent_pct >= floor))
            .map(|(id, _)| id.clone())
            .collect(),
    );
    state.triage.observed.containers = observed;
}

/// Actions whose error says the daemon did not answer in time for their container, while
/// another action of the batch got its answer: hung calls for those containers.
pub(super) fn on_actions_done(state: &mut AppState, done: &[ActionDone]) {
    let hung = |d: &ActionDone| {
        d.result
            .as_ref()
            .is_err_and(|e| e.contains("no answer within"))
    };
    // One container alone, or some of several: the daemon answers for the others.
    let answered = done.len() == 1 || done.iter().any(|d| !hung(d));
    if !answered {
        return;
    }
    let now: DateTime<Utc> = state.now;
    for d in done.iter().filter(|d| hung(d)) {
        let call = HungCall {
            call: verb_word(&d.action).to_string(),
            at: now,
        };
        state.triage.observed.hung.insert(d.target.id.clone(), call);
        state.triage.stale = true;
    }
}

/// A logs pane message: the time of a followed container's newest line (lines without a
/// time count as now).
pub(super) fn on_log_message(state: &mut AppState, message: &LogMessage) {
    let LogEvent::Lines(lines) = &message.event else {
        return;
    };
    let Some(last) = lines.last() else {
        return;
    };
    let at = last.time.unwrap_or(state.now);
    let entry = state
        .triage
        .observed
        .last_log
        .entry(message.container.clone())
        .or_insert(None);
    *entry = Some(entry.map_or(at, |t| t.max(at)));
}

/// The logs pane's streams, from the effects of one update: opened (closing others) or closed.
pub(super) fn on_log_effects(state: &mut AppState, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::OpenLogs(targets) => {
                let ids: Vec<ContainerId> = targets.iter().map(|t| t.id.clone()).collect();
                on_logs_opened(state, &ids);
            }
            Effect::CloseLogs => on_logs_opened(state, &[]),
            _ => {}
        }
    }
}

/// The logs pane opened on `ids` (closing others): only these are followed now.
fn on_logs_opened(state: &mut AppState, ids: &[ContainerId]) {
    let last_log = &mut state.triage.observed.last_log;
    last_log.retain(|id, _| ids.contains(id));
    for id in ids {
        last_log.entry(id.clone()).or_insert(None);
    }
}
