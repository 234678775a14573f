//! The help overlay's part of `update`: opening, closing and scrolling it. What it lists (the
//! keys of the main view's mode, then the confirm dialog's, then the text fields' and the
//! command line's) is counted here from the keymap table without building any line, for the
//! scroll range; render draws exactly these lines and sizes its box from the same count. The
//! last line says where the CPU and memory figures come from (cgroup files or the stats API).

use super::keymap::KeyMode;
use super::{AppState, Base, Overlay};
use crate::config::keys::ConsoleCommand;
use crate::geometry;

/// The keys of the text fields (filter, command line, logs search), as the overlay lists them.
pub const TEXT_KEYS: [(&str, &str); 4] = [
    ("Enter", "apply"),
    ("Esc", "cancel"),
    ("Backspace", "delete a character"),
    ("Ctrl-u", "clear"),
];

/// The notes at the end of the overlay.
pub const NOTES: [&str; 5] = [
    "Commands: :stop NAME…  :start  :restart  :kill [-s SIG]  :rm [-f]",
    "          :sort COLUMN [asc|desc]  :filter TEXT  :stopped  :q",
    "Swarm (on a manager): :services  :nodes  :stacks  :secrets",
    "          :scale NAME=N  :update NAME IMAGE  (full or short name)",
    "Filter: web  !exited  state:unhealthy  image:nginx  label:env=prod",
];

/// The note added when the console was started with a compose file (`-f`).
pub const COMPOSE_NOTE: &str =
    "Compose: :plan reads the files again and shows the plan  :apply runs it (asks first)";

/// The note saying which triage checks cannot run, once: all the stuck checks that read this
/// machine's files, without them (a remote daemon, unreadable files, the stats API chosen);
/// with several hosts, those checks on every host but the first.
pub fn stuck_note(state: &AppState) -> Option<String> {
    let checks = crate::engine::vitals::UNAVAILABLE_REMOTE.join(", ");
    match &state.settings.stats_source {
        super::StatsSource::Api { why } => Some(format!(
            "Triage: these checks cannot run here ({why}): {checks}"
        )),
        super::StatsSource::Cgroup { .. } if state.fleet.several_hosts() => Some(format!(
            "Triage: on hosts but the first, these checks cannot run (no files here): {checks}"
        )),
        super::StatsSource::Cgroup { .. } => None,
    }
}

/// The mode whose keys the overlay lists over `base`.
pub fn mode(base: Base) -> KeyMode {
    match base {
        Base::List => KeyMode::List,
        Base::Inspect => KeyMode::Inspect,
        Base::Logs => KeyMode::Logs,
        Base::Triage => KeyMode::Triage,
        Base::Swarm => KeyMode::Swarm,
        Base::Gpu => KeyMode::Gpu,
        Base::Plan => KeyMode::Plan,
        Base::Objects => KeyMode::Objects,
    }
}

/// How many lines the overlay has: a title and the keys of each section, blank lines between.
pub fn line_count(state: &AppState) -> usize {
    let view = state.keymap.commands(mode(state.base)).count();
    let confirm = state.keymap.commands(KeyMode::Confirm).count();
    // The notes end with the line saying where the stats come from.
    let compose = usize::from(state.compose.is_some());
    // The hosts' line: with several hosts, or with one whose engine said which it is.
    let hosts = usize::from(state.fleet.several_hosts() || !state.fleet.engines.is_empty());
    let stuck = usize::from(stuck_note(state).is_some());
    (1 + view)
        + 1
        + (1 + confirm)
        + 1
        + (1 + TEXT_KEYS.len())
        + 1
        + NOTES.len()
        + compose
        + hosts
        + stuck
        + 1
}

/// (lines of content, lines that fit).
pub fn geometry(state: &AppState) -> (usize, usize) {
    let count = line_count(state);
    (count, geometry::help_page(state.viewport, count))
}

/// Opens the overlay at its top.
pub(super) fn open(state: &mut AppState) {
    state.help_scroll = 0;
    state.overlay = Some(Overlay::Help);
}

/// A key while the overlay is open: close it, or scroll.
pub(super) fn run_command(state: &mut AppState, command: ConsoleCommand) {
    match command {
        ConsoleCommand::Help | ConsoleCommand::Back | ConsoleCommand::Quit => state.overlay = None,
        other => scroll(state, other),
    }
}

/// Scrolls the overlay within its lines.
pub(super) fn scroll(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = geometry(state);
    let max = lines.saturating_sub(page);
    state.help_scroll = super::scroll(state.help_scroll, max, page.max(1), command);
}
