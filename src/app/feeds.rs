//! What `update` exchanges with the loop's side channels, as messages and effects rather than
//! reads of the state from outside: the console's own log lines come in as `Msg::ConsoleLog`
//! and are kept in a bounded ring the log pane draws (at most `[logs] buffer_lines`); the
//! container names the GPU feed attributes processes with go out as `Effect::GpuNames`, at
//! most once per GPU sample and only when the fleet changed since the last hand-over.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Local};

use super::{AppState, Effect};

/// The fewest lines the console's log keeps, whatever the configuration says.
const MIN_LINES: usize = 10;

/// One line of the console's own log: what it did, and warnings from the libraries under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleLogLine {
    /// When it was logged, in local time (the pane shows the wall clock).
    pub at: DateTime<Local>,
    pub level: log::Level,
    pub text: String,
}

/// The side channels' part of the state.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    /// The console's own log, oldest first.
    pub console_log: VecDeque<ConsoleLogLine>,
    /// The fleet generation whose names the GPU feed was last handed.
    gpu_names_for: Option<u64>,
}

/// Keeps a log line, dropping the oldest beyond the configured depth.
pub(super) fn on_console_log(state: &mut AppState, line: ConsoleLogLine) {
    let depth = state.settings.logs.buffer_lines.max(MIN_LINES);
    let log = &mut state.feeds.console_log;
    while log.len() >= depth {
        log.pop_front();
    }
    log.push_back(line);
    state.dirty |= state.show_log;
}

/// Hands the GPU feed the fleet's id → name map when the fleet changed since the last time
/// (called once per sample, so an event storm costs nothing here).
pub(super) fn hand_gpu_names(state: &mut AppState, effects: &mut Vec<Effect>) {
    let generation = state.fleet.generation;
    if state.feeds.gpu_names_for == Some(generation) {
        return;
    }
    state.feeds.gpu_names_for = Some(generation);
    let names: HashMap<String, String> = state
        .fleet
        .containers()
        .map(|c| (c.id.0.clone(), c.name.clone()))
        .collect();
    effects.push(Effect::GpuNames(names));
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{container, fleet, state};
    use super::super::{Msg, update};
    use super::*;
    use crate::engine::{FleetUpdate, RunState};
    use crate::gpu::GpuState;

    fn line(text: &str) -> ConsoleLogLine {
        ConsoleLogLine {
            at: DateTime::<Local>::default(),
            level: log::Level::Info,
            text: text.into(),
        }
    }

    fn gpu_names(effects: &[Effect]) -> Vec<&HashMap<String, String>> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::GpuNames(names) => Some(names),
                _ => None,
            })
            .collect()
    }

    fn sample() -> Msg {
        Msg::Gpu(Box::new(GpuState::Unavailable {
            reason: crate::gpu::Unavailable::NoDevices,
        }))
    }

    #[test]
    fn the_console_log_keeps_the_configured_depth() {
        let mut s = state();
        s.settings.logs.buffer_lines = 12;
        for i in 0..30 {
            let _ = update(&mut s, Msg::ConsoleLog(line(&format!("line {i}"))));
        }
        let kept: Vec<&str> = s
            .feeds
            .console_log
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(kept.len(), 12);
        assert_eq!(kept.first(), Some(&"line 18"));
        assert_eq!(kept.last(), Some(&"line 29"));
        // A depth under the floor keeps the floor.
        s.settings.logs.buffer_lines = 0;
        let _ = update(&mut s, Msg::ConsoleLog(line("more")));
        assert_eq!(s.feeds.console_log.len(), MIN_LINES);
    }

    #[test]
    fn a_log_line_is_drawn_only_while_the_log_is_shown() {
        let mut s = state();
        s.dirty = false;
        let _ = update(&mut s, Msg::ConsoleLog(line("hidden")));
        assert!(!s.dirty);
        s.show_log = true;
        let _ = update(&mut s, Msg::ConsoleLog(line("shown")));
        assert!(s.dirty);
    }

    #[test]
    fn gpu_names_go_out_once_per_fleet_change() {
        let mut s = state();
        let first = update(&mut s, sample());
        let names = gpu_names(&first);
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].len(), fleet().len());
        assert!(gpu_names(&update(&mut s, sample())).is_empty());
        let mut more = fleet();
        more.push(container("extra", "busybox", RunState::Running));
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Snapshot(
                crate::engine::LOCAL_HOST.to_string(),
                more,
            )),
        );
        // Only a GPU sample hands them over.
        let names = update(&mut s, sample());
        let names = gpu_names(&names);
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].len(), fleet().len() + 1);
        assert!(names[0].values().any(|n| n == "extra"));
    }
}
