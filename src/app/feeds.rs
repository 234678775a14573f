//! What `update` exchanges with the loop's side channels, as messages and effects rather than
//! reads of the state from outside: the console's own log reaches tui-logger's buffer (which
//! the log pane's widget alone reads) and `update` hears only that there is more
//! (`Msg::ConsoleLogged`: draw the pane, if shown); the keys of the pane's per-target level
//! filter go out as `Effect::ConsoleLogKey`; the container names the GPU feed attributes
//! processes with go out as `Effect::GpuNames`, at most once per GPU sample and only when the
//! fleet changed since the last hand-over.

use std::collections::HashMap;

use super::state::Overlay;
use super::{AppState, Effect};
use crate::config::keys::{KeyChord, KeyName};

/// The log pane's keys while it has them, as the footer shows them.
pub const LOG_KEYS: &[(&str, &str)] = &[
    ("Esc", "done"),
    ("\u{2191}\u{2193}", "target"),
    ("\u{2190}\u{2192}", "levels shown"),
    ("f", "this target only"),
    ("space", "hide off"),
    ("PgUp/PgDn", "scroll"),
];

/// A key for the log pane's widget: the target list and its level shown per target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLogKey {
    /// The previous / next target in the list.
    Up,
    Down,
    /// Show one level fewer / more of the selected target.
    Fewer,
    More,
    /// Hide / show the targets whose level shown is off.
    HideOff,
    /// Show only the selected target's records / all again.
    Focus,
    PageUp,
    PageDown,
    /// Stop scrolling: follow the newest record again.
    Follow,
}

/// The side channels' part of the state.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    /// The fleet generation whose names the GPU feed was last handed.
    gpu_names_for: Option<u64>,
}

/// More of the console's own log is in the pane's buffer: drawn if the pane is shown.
pub(super) fn on_console_logged(state: &mut AppState) {
    state.dirty |= state.show_log;
}

/// Shows the log pane and gives it the keys (its target list is shown meanwhile).
pub(super) fn open_log_keys(state: &mut AppState) {
    state.show_log = true;
    state.overlay = Some(Overlay::ConsoleLog);
    state.clamp_selection();
}

/// A key while the log pane has the keys: Esc (or q) gives them back; the rest go to its
/// widget.
pub(super) fn on_log_key(state: &mut AppState, key: KeyChord, effects: &mut Vec<Effect>) {
    use ConsoleLogKey as K;
    let widget_key = match key.key {
        KeyName::Esc | KeyName::Char('q') => {
            state.overlay = None;
            effects.push(Effect::ConsoleLogKey(K::Follow));
            return;
        }
        KeyName::Up | KeyName::Char('k') => K::Up,
        KeyName::Down | KeyName::Char('j') => K::Down,
        KeyName::Left | KeyName::Char('h') | KeyName::Char('-') => K::Fewer,
        KeyName::Right | KeyName::Char('l') | KeyName::Char('+') => K::More,
        KeyName::Char(' ') => K::HideOff,
        KeyName::Char('f') => K::Focus,
        KeyName::PageUp => K::PageUp,
        KeyName::PageDown => K::PageDown,
        KeyName::End | KeyName::Char('G') => K::Follow,
        _ => return,
    };
    effects.push(Effect::ConsoleLogKey(widget_key));
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
    use crate::app::state::Overlay;
    use crate::engine::{FleetUpdate, RunState};
    use crate::gpu::GpuState;

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
    fn the_log_pane_is_drawn_for_new_records_only_while_it_is_shown() {
        let mut s = state();
        s.dirty = false;
        let _ = update(&mut s, Msg::ConsoleLogged);
        assert!(!s.dirty);
        s.show_log = true;
        let _ = update(&mut s, Msg::ConsoleLogged);
        assert!(s.dirty);
    }

    fn log_keys(effects: &[Effect]) -> Vec<ConsoleLogKey> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::ConsoleLogKey(k) => Some(*k),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn t_gives_the_log_pane_the_keys_until_esc() {
        use crate::config::keys::{KeyChord, KeyName};
        let mut s = state();
        let key = |k| Msg::Key(KeyChord::plain(k));
        let _ = update(&mut s, key(KeyName::Char('T')));
        assert!(s.show_log);
        assert_eq!(s.overlay, Some(Overlay::ConsoleLog));
        assert_eq!(s.key_mode(), None, "the pane's keys, not the list's");
        let selected = s.selected;
        let mut keys = Vec::new();
        for k in [
            KeyName::Down,
            KeyName::Char('j'),
            KeyName::Right,
            KeyName::Left,
            KeyName::Char(' '),
            KeyName::Char('f'),
            KeyName::PageUp,
            KeyName::Char('s'),
        ] {
            keys.extend(log_keys(&update(&mut s, key(k))));
        }
        use ConsoleLogKey as K;
        assert_eq!(
            keys,
            [
                K::Down,
                K::Down,
                K::More,
                K::Fewer,
                K::HideOff,
                K::Focus,
                K::PageUp
            ],
            "s stops nothing here"
        );
        assert_eq!(s.selected, selected, "the list did not move");
        let back = update(&mut s, key(KeyName::Esc));
        assert_eq!(log_keys(&back), [K::Follow]);
        assert_eq!(s.overlay, None);
        assert!(s.show_log, "the pane stays shown");
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
