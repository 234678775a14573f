//! The console's state and its pure `update(state, msg) -> effects`: no I/O, no terminal, no
//! clock (the time comes in with `Msg::Tick`), no await, no import of `ui`. Everything that
//! enters the console is a [`Msg`]; everything the console wants done outside is an [`Effect`]
//! the loop carries out. Keys resolve through the [`keymap`] table ([`input`]); destructive
//! commands, and any action on more than one container, go through a confirm step first
//! ([`confirm`]).
//!
//! The state ([`state`]) keeps the list's rows (filtered, grouped, sorted) and its scroll
//! offset, recomputed here when something they depend on changes, so that render only formats
//! what is on screen. Each pane's part of `update` is its own module ([`list`], [`inspect`],
//! [`logs`], [`triage`], [`gpu`], [`help`]). Geometry (how many rows fit, where a click landed)
//! comes from [`crate::geometry`], the one place that lays out the screen, shared with render.

pub mod command;
pub mod compose;
pub mod confirm;
pub mod feeds;
pub mod filter;
pub mod gpu;
pub mod help;
pub mod input;
pub mod inspect;
pub mod keymap;
pub mod list;
pub mod logs;
pub mod messages;
pub mod rows;
pub mod state;
pub mod triage;

#[cfg(test)]
mod compose_tests;
#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

use ratatui::layout::Rect;

use crate::config::Column;
use crate::engine::FleetUpdate;
use crate::engine::stats::StatsSample;

pub use command::run_command_line;
pub use confirm::PendingAction;
pub use input::run_command;
pub use inspect::InspectView;
pub use messages::{ActionDone, Effect, MouseMsg, Msg};
pub use state::{AppState, Base, Overlay, Settings, StatusLine};

use input::scroll;

/// Applies one message; returns what the loop must do. Pure: no I/O, no clock.
#[must_use = "the effects are what the loop must carry out"]
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    let triage_trigger = triage::trigger(state, &msg);
    match msg {
        Msg::Key(key) => input::on_key(state, key, &mut effects),
        Msg::Mouse(mouse) => input::on_mouse(state, mouse, &mut effects),
        Msg::Resize { width, height } => {
            state.viewport = Rect::new(0, 0, width, height);
            state.clamp_selection();
            state.dirty = true;
        }
        Msg::Fleet(fleet_update) => on_fleet(state, fleet_update, &mut effects),
        Msg::ActionsDone(done) => confirm::on_actions_done(state, &done),
        Msg::Detail { id, result } => {
            if let Some(view) = state.inspect.as_mut().filter(|v| v.id == id) {
                match result {
                    Ok(detail) => {
                        view.detail = Some(detail);
                        view.error = None;
                    }
                    Err(e) => view.error = Some(e),
                }
                state.dirty = true;
            }
        }
        Msg::History { id, result } => {
            if let Some(view) = state.inspect.as_mut().filter(|v| v.id == id) {
                view.history = match result {
                    Ok(rows) => inspect::InspectHistory::Loaded(rows),
                    Err(why) => inspect::InspectHistory::Unavailable(why),
                };
                state.dirty = true;
            }
        }
        Msg::Stats(sample) => {
            if state.watched.contains(&sample.id) {
                // Only what the screen shows counts: one decimal of CPU, the memory text.
                let shown = |s: &StatsSample| {
                    (
                        s.cpu_percent.map(|c| (c * 10.0).round() as i64),
                        crate::present::bytes(s.memory_used),
                        s.memory_limit,
                    )
                };
                let now_shown = shown(&sample);
                let before = state.stats.insert(sample.id.clone(), sample);
                let resort = matches!(state.sort.column, Column::Cpu | Column::Memory);
                if resort {
                    state.recompute_rows();
                }
                state.dirty |= resort || before.as_ref().map(shown) != Some(now_shown);
            }
        }
        Msg::Tick(now) => {
            let before = state.clock_text(state.now);
            let after = state.clock_text(now);
            state.now = now;
            state.dirty |= before != after;
        }
        Msg::Notice { text, is_error } => {
            state.set_status(text, is_error);
            state.dirty = true;
        }
        Msg::Logs(msg) => logs::on_msg(state, msg),
        Msg::Gpu(gpu_state) => {
            feeds::hand_gpu_names(state, &mut effects);
            gpu::on_state(state, *gpu_state);
        }
        Msg::ConsoleLog(line) => feeds::on_console_log(state, line),
        Msg::Compose(msg) => compose::on_msg(state, msg, &mut effects),
    }
    triage::after(state, triage_trigger);
    state.sync_stats(&mut effects);
    effects
}

/// A change of the fleet: the marks and rows follow; the inspect pane refetches its container's
/// details, or closes when it went away.
fn on_fleet(state: &mut AppState, fleet_update: FleetUpdate, effects: &mut Vec<Effect>) {
    let touched = match &fleet_update {
        FleetUpdate::Event(e) => Some(e.id.clone()),
        FleetUpdate::Refreshed(c) => Some(c.id.clone()),
        FleetUpdate::Snapshot(_) | FleetUpdate::Connection(_) => None,
    };
    let snapshot = matches!(fleet_update, FleetUpdate::Snapshot(_));
    triage::record(state, &fleet_update);
    if !state.fleet.apply(fleet_update) {
        return;
    }
    if snapshot {
        triage::prune(state);
    }
    state.dirty = true;
    let fleet = &state.fleet;
    state.marks.retain(|id| fleet.get(id).is_some());
    compose::on_fleet(state, touched.as_ref());
    state.recompute_rows();
    if state.base == Base::Inspect
        && let Some(view) = &state.inspect
    {
        if state.fleet.get(&view.id).is_none() {
            let name = view.name.clone();
            state.base = Base::List;
            state.inspect = None;
            state.set_status(format!("{name} was removed"), false);
        } else if touched.as_ref() == Some(&view.id) || snapshot {
            effects.push(Effect::FetchDetail(view.id.clone()));
        }
    }
}
