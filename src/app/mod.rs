//! The console's state and its pure `update(state, msg) -> effects`: no I/O, no terminal, no
//! clock (the time comes in with `Msg::Tick`), no await, no import of `ui`. Everything that
//! enters the console is a [`Msg`]; everything the console wants done outside is an [`Effect`]
//! the loop carries out. Keys resolve through the [`keymap`] table ([`input`]); destructive
//! commands, and any action on more than one container, go through a confirm step first
//! ([`confirm`]).
//!
//! The state ([`state`]) keeps the list's rows (filtered, grouped, sorted) and its scroll
//! offset, recomputed here when something they depend on changes, so that render only formats
//! what is on screen. The work per message does not grow with the fleet: a fleet event, a detail
//! or a stats sample updates its container in place, and the rows are rebuilt only when the
//! order can change, once, before the next frame ([`Msg::Frame`]) or key. Each pane's part of `update` is its own module ([`list`], [`inspect`],
//! [`logs`], [`triage`], [`gpu`], [`help`]). Geometry (how many rows fit, where a click landed)
//! comes from [`crate::geometry`], the one place that lays out the screen, shared with render.

pub mod command;
pub mod compose;
mod compose_status;
pub mod confirm;
pub mod copy;
pub mod feeds;
pub mod filter;
pub mod gpu;
pub mod help;
pub mod history;
pub mod input;
pub mod inspect;
pub mod keymap;
pub mod list;
pub mod logs;
pub mod messages;
pub mod objects;
pub mod rows;
pub mod state;
pub mod stuck;
pub mod swarm;
pub mod swarm_act;
pub mod triage;

#[cfg(test)]
mod compose_tests;
#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod objects_tests;
#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod tests;

use ratatui::layout::Rect;

use crate::engine::stats::StatsSample;
use crate::engine::{ContainerId, FleetUpdate, RunState};

pub use command::run_command_line;
pub use confirm::PendingAction;
pub use input::run_command;
pub use inspect::InspectView;
pub use messages::{ActionDone, Effect, LoadError, MouseMsg, Msg};
pub use state::{AppState, Base, Overlay, Settings, StatsSource, StatusLine};

use input::scroll;

/// Applies one message; returns what the loop must do. Pure: no I/O, no clock.
#[must_use = "the effects are what the loop must carry out"]
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    let triage_trigger = triage::trigger(state, &msg);
    if state.rows_stale && matches!(msg, Msg::Key(_) | Msg::Mouse(_)) {
        // A key acts on the rows as drawn from the current fleet.
        state.recompute_rows();
    }
    match msg {
        Msg::Key(key) => input::on_key(state, key, &mut effects),
        Msg::Mouse(mouse) => input::on_mouse(state, mouse, &mut effects),
        Msg::Resize { width, height } => {
            state.viewport = Rect::new(0, 0, width, height);
            state.clamp_selection();
            state.dirty = true;
        }
        Msg::Fleet(fleet_update) => {
            objects::on_fleet(state, &fleet_update, &mut effects);
            on_fleet(state, fleet_update, &mut effects);
        }
        Msg::ActionsDone(done) => {
            stuck::on_actions_done(state, &done);
            confirm::on_actions_done(state, &done);
        }
        Msg::Detail { id, result } => inspect::on_detail(state, &id, result),
        Msg::History { id, result } => inspect::on_history(state, &id, result),
        Msg::UndeliveredAlerts(n) => {
            state.dirty |= state.undelivered_alerts != n;
            state.undelivered_alerts = n;
        }
        Msg::Stats(sample) => on_stats(state, sample),
        Msg::StatsUnreadable(ids) => {
            let fleet = &state.fleet;
            state.stats_unreadable = ids
                .into_iter()
                .filter(|id| fleet.get(id).is_some_and(|c| c.state == RunState::Running))
                .collect();
        }
        Msg::Frame => on_frame(state),
        Msg::Tick(now) => on_tick(state, now, &mut effects),
        Msg::Notice { text, is_error } => {
            state.set_status(text, is_error);
            state.dirty = true;
        }
        Msg::Logs(msg) => {
            if let logs::LogsMsg::Stream { message, .. } = &msg {
                stuck::on_log_message(state, message);
            }
            logs::on_msg(state, msg);
        }
        Msg::Vitals(readings) => stuck::on_vitals(state, readings),
        Msg::Gpu(gpu_state) => {
            feeds::hand_gpu_names(state, &mut effects);
            gpu::on_state(state, *gpu_state);
        }
        Msg::ConsoleLogged => feeds::on_console_logged(state),
        Msg::Compose(msg) => compose::on_msg(state, msg, &mut effects),
        Msg::Objects(msg) => objects::on_msg(state, msg, &mut effects),
        Msg::Swarm(msg) => swarm::on_msg(state, msg),
    }
    swarm::sync_watch(state, &mut effects);
    triage::after(state, triage_trigger);
    state.sync_stats(&mut effects);
    stuck::on_log_effects(state, &effects);
    effects
}

/// Before a frame: the rows and the triage view brought up to date (put off until now).
fn on_frame(state: &mut AppState) {
    if state.rows_stale {
        state.recompute_rows();
        state.dirty = true;
    }
    if state.triage.stale && state.base == Base::Triage {
        triage::refresh(state);
    }
}

/// The clock's second: redrawn only when the clock's text changed.
fn on_tick(state: &mut AppState, now: chrono::DateTime<chrono::Utc>, effects: &mut Vec<Effect>) {
    let before = state.clock_text(state.now);
    let after = state.clock_text(now);
    state.now = now;
    state.dirty |= before != after;
    state.sync_sampler(effects);
}

/// A stats sample: kept for a container that is followed (a stream asked for, or with cgroup
/// stats any running one); the screen is marked when what it shows changed on screen, and a
/// CPU/memory sort is redone at the next frame, not per sample.
fn on_stats(state: &mut AppState, sample: StatsSample) {
    let followed = state.watched.contains(&sample.id)
        || (matches!(state.settings.stats_source, StatsSource::Cgroup { .. })
            && state
                .fleet
                .get(&sample.id)
                .is_some_and(|c| c.state == RunState::Running));
    if !followed {
        return;
    }
    // The charts draw the raw figures, not the steadied ones.
    let throttled = state.triage.throttled.0.contains(&sample.id);
    state.history.record_marked(&sample, throttled);
    let charted = state
        .settings
        .columns
        .contains(&crate::config::Column::Trend)
        || state.inspect.as_ref().is_some_and(|v| v.id == sample.id);
    // A figure that barely moved keeps the value on screen: an idle container whose CPU
    // wobbles between 0.0 % and 0.1 % redraws nothing (and writes nothing to the terminal).
    let mut sample = sample;
    if let Some(before) = state.stats.get(&sample.id) {
        steady(&mut sample, before);
    }
    // Only what the screen shows counts: one decimal of CPU, the memory text.
    let shown = |s: &StatsSample| {
        (
            s.cpu_percent.map(|c| (c * 10.0).round() as i64),
            crate::present::bytes(s.memory_used),
            s.memory_limit,
        )
    };
    let now_shown = shown(&sample);
    let id = sample.id.clone();
    let before = state.stats.insert(id.clone(), sample);
    if !charted && before.as_ref().map(shown) == Some(now_shown) {
        return;
    }
    if rows::sorts_by_stats(state.sort) {
        state.rows_stale = true;
        state.dirty = true;
    } else if state.watched.contains(&id)
        || state
            .visible_rows()
            .iter()
            .any(|r| matches!(r, rows::Row::Container(c) if *c == id))
    {
        state.dirty = true;
    }
}

/// Keeps `before`'s CPU and memory in `sample` where they moved less than the console shows as
/// a change: CPU by less than half a point (or 5 % of its value, when larger), memory by less
/// than 1 MiB (or 2 %).
fn steady(sample: &mut StatsSample, before: &StatsSample) {
    if let (Some(old), Some(new)) = (before.cpu_percent, sample.cpu_percent)
        && (new - old).abs() < (old.abs() * 0.05).max(0.5)
    {
        sample.cpu_percent = Some(old);
    }
    let (old, new) = (before.memory_used, sample.memory_used);
    if old.abs_diff(new) < (old / 50).max(1 << 20) {
        sample.memory_used = old;
    }
}

/// A change of the fleet: the marks and rows follow; the inspect pane refetches its container's
/// details, or closes when it went away. A list rebuilds the rows; an event or a detail only
/// when it changed where its container is listed (then at the next frame or key).
fn on_fleet(state: &mut AppState, fleet_update: FleetUpdate, effects: &mut Vec<Effect>) {
    let touched = match &fleet_update {
        FleetUpdate::Event(e) => Some(e.id.clone()),
        FleetUpdate::Refreshed(c) => Some(c.id.clone()),
        FleetUpdate::Snapshot(..)
        | FleetUpdate::Running(..)
        | FleetUpdate::Connection(..)
        | FleetUpdate::Object(_)
        | FleetUpdate::Engine(..) => None,
    };
    let listed = matches!(
        fleet_update,
        FleetUpdate::Snapshot(..) | FleetUpdate::Running(..)
    );
    let snapshot = matches!(fleet_update, FleetUpdate::Snapshot(..));
    let connection = matches!(fleet_update, FleetUpdate::Connection(..));
    let key_before = touched
        .as_ref()
        .and_then(|id| state.fleet.get(id))
        .map(|c| state.row_inputs().key(c));
    triage::record(state, &fleet_update);
    if !state.fleet.apply(fleet_update) {
        return;
    }
    state.dirty = true;
    if compose::on_fleet(state, touched.as_ref()) {
        // The missing rows follow the plan.
        state.rows_stale = true;
    }
    if connection {
        // The banner of a lost connection takes a line from the list.
        state.clamp_selection();
    }
    if listed {
        if snapshot {
            triage::prune(state);
            let fleet = &state.fleet;
            state.marks.retain(|id| fleet.get(id).is_some());
            let running =
                |id: &ContainerId| fleet.get(id).is_some_and(|c| c.state == RunState::Running);
            state.stats.retain(|id, _| running(id));
            state.history.containers.retain(|id, _| running(id));
            state.stats_unreadable.retain(|id| running(id));
        }
        state.recompute_rows();
        state.sync_sampler(effects);
    }
    if let Some(id) = &touched {
        let key_after = state.fleet.get(id).map(|c| state.row_inputs().key(c));
        if key_after != key_before {
            state.rows_stale = true;
        }
        state.forget(id);
    }
    if state.base == Base::Inspect
        && let Some(view) = &state.inspect
    {
        if state.fleet.get(&view.id).is_none() {
            let name = view.name.clone();
            state.base = Base::List;
            state.clamp_selection();
            state.inspect = None;
            state.set_status(format!("{name} was removed"), false);
        } else if touched.as_ref() == Some(&view.id) || snapshot {
            effects.push(Effect::FetchDetail(view.id.clone()));
        }
    }
}
