//! The keymap: a table `(mode, key) -> command`, built from the config's `[keys]` map and the
//! static [`COMMANDS`] table that says in which modes each command applies and what it does.
//! Key handling, the help overlay and the footer all read this one table, so they cannot drift.

use std::collections::HashMap;

use crate::config::keys::{ConsoleCommand, KeyChord, KeysConfig};

/// The modes keys are looked up in. The filter and command-line inputs are text fields: their
/// keys edit text and are not bindable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyMode {
    List,
    Inspect,
    Help,
    Confirm,
    /// The logs pane.
    Logs,
    /// The triage view: problems first.
    Triage,
    /// The GPU pane.
    Gpu,
    /// The compose plan pane.
    Plan,
    /// The host views: images, volumes, networks, disk usage.
    Objects,
    /// The Swarm views: services, tasks, nodes, stacks, secrets and configs.
    Swarm,
}

impl KeyMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Inspect => "inspect",
            Self::Help => "help",
            Self::Confirm => "confirm",
            Self::Logs => "logs",
            Self::Triage => "triage",
            Self::Gpu => "GPU",
            Self::Plan => "plan",
            Self::Objects => "host",
            Self::Swarm => "Swarm",
        }
    }
}

/// What the table knows about one command.
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    pub command: ConsoleCommand,
    /// The modes in which its keys act.
    pub modes: &'static [KeyMode],
    pub description: &'static str,
    /// Whether it changes a container (unavailable with `--read-only`).
    pub mutates: bool,
    /// Whether the footer shows it.
    pub footer: bool,
}

/// The actions: on the selected container, or the selected problem's in the triage view.
const LI: &[KeyMode] = &[KeyMode::List, KeyMode::Inspect, KeyMode::Triage];
/// Inspect: the selected container, or the selected problem's; in the Swarm views, a
/// service's tasks.
const LT: &[KeyMode] = &[KeyMode::List, KeyMode::Triage, KeyMode::Swarm];
/// The views the triage and GPU keys open (and close, pressed again).
const VIEWS: &[KeyMode] = &[
    KeyMode::List,
    KeyMode::Inspect,
    KeyMode::Triage,
    KeyMode::Gpu,
    KeyMode::Swarm,
];
/// Logs: a container's, a problem's, a service's (every task merged).
const LOGS: &[KeyMode] = &[
    KeyMode::List,
    KeyMode::Inspect,
    KeyMode::Triage,
    KeyMode::Swarm,
];
/// The Swarm views.
const S: &[KeyMode] = &[KeyMode::Swarm];
const L: &[KeyMode] = &[KeyMode::List];
const I: &[KeyMode] = &[KeyMode::Inspect];
const C: &[KeyMode] = &[KeyMode::Confirm];
/// List, inspect, help, the logs pane, triage, GPU and the plan pane.
const LIHX: &[KeyMode] = &[
    KeyMode::List,
    KeyMode::Inspect,
    KeyMode::Help,
    KeyMode::Logs,
    KeyMode::Triage,
    KeyMode::Gpu,
    KeyMode::Plan,
    KeyMode::Objects,
    KeyMode::Swarm,
];
/// The host views.
const O: &[KeyMode] = &[KeyMode::Objects];
/// The compose plan pane.
const P: &[KeyMode] = &[KeyMode::Plan];
/// The command line: where the actions act, and the plan pane (`:plan`, `:apply`).
const LIP: &[KeyMode] = &[
    KeyMode::List,
    KeyMode::Inspect,
    KeyMode::Triage,
    KeyMode::Plan,
    KeyMode::Objects,
    KeyMode::Swarm,
];
/// The logs pane.
const X: &[KeyMode] = &[KeyMode::Logs];
/// What `y` copies from: the list, inspect, the logs pane.
const COPY: &[KeyMode] = &[KeyMode::List, KeyMode::Inspect, KeyMode::Logs];

const fn info(
    command: ConsoleCommand,
    modes: &'static [KeyMode],
    description: &'static str,
    mutates: bool,
    footer: bool,
) -> CommandInfo {
    CommandInfo {
        command,
        modes,
        description,
        mutates,
        footer,
    }
}

/// Every command: where it acts and what it does, in the order the help lists them.
pub const COMMANDS: &[CommandInfo] = {
    use ConsoleCommand as Cmd;
    &[
        info(Cmd::Up, LIHX, "move up / scroll up", false, false),
        info(Cmd::Down, LIHX, "move down / scroll down", false, false),
        info(Cmd::Top, LIHX, "go to the top", false, false),
        info(Cmd::Bottom, LIHX, "go to the bottom", false, false),
        info(Cmd::PageUp, LIHX, "page up", false, false),
        info(Cmd::PageDown, LIHX, "page down", false, false),
        info(Cmd::Apply, P, "apply the plan (asks first)", true, true),
        info(
            Cmd::Inspect,
            LT,
            "inspect (a project: fold it; a service: its tasks)",
            false,
            true,
        ),
        info(
            Cmd::Mark,
            L,
            "mark / unmark for a bulk action",
            false,
            false,
        ),
        info(Cmd::Start, LI, "start", true, true),
        info(Cmd::Stop, LI, "stop (SIGTERM, then SIGKILL)", true, true),
        info(Cmd::Restart, LI, "restart", true, true),
        info(Cmd::Pause, LI, "pause / unpause", true, false),
        info(Cmd::Kill, LI, "kill (asks first)", true, false),
        info(
            Cmd::Continue,
            LI,
            "SIGCONT: wake a stopped one (asks first)",
            true,
            false,
        ),
        info(Cmd::Remove, LI, "remove (asks first)", true, true),
        info(
            Cmd::Logs,
            LOGS,
            "logs (a service: every task merged)",
            false,
            false,
        ),
        info(Cmd::Exec, LI, "exec a shell", false, false),
        info(
            Cmd::Filter,
            L,
            "filter: name, image, label, state (!negates)",
            false,
            true,
        ),
        info(
            Cmd::CommandLine,
            LIP,
            "command line (:stop web-1, :sort mem, :q)",
            false,
            false,
        ),
        info(
            Cmd::ToggleStopped,
            L,
            "show / hide stopped containers",
            false,
            false,
        ),
        info(
            Cmd::Collapse,
            L,
            "fold / unfold the compose project",
            false,
            false,
        ),
        info(Cmd::SortNext, L, "sort by the next column", false, false),
        info(Cmd::SortReverse, L, "reverse the sort", false, false),
        info(Cmd::Reveal, I, "reveal / mask secret values", false, true),
        info(
            Cmd::ToggleLog,
            LOGS,
            "show / hide fleetdeck's own log",
            false,
            false,
        ),
        info(
            Cmd::LogLevels,
            LOGS,
            "fleetdeck's log: its keys (levels shown per target)",
            false,
            false,
        ),
        info(Cmd::Help, LIHX, "help (this list)", false, true),
        info(
            Cmd::Back,
            LIHX,
            "back (clear marks, then the filter)",
            false,
            false,
        ),
        info(Cmd::Quit, LIHX, "quit (in help: close it)", false, true),
        info(Cmd::Confirm, C, "yes, do it", false, true),
        info(Cmd::Cancel, C, "no, cancel", false, true),
        info(
            Cmd::LogSearch,
            X,
            "search (regex), highlighted",
            false,
            true,
        ),
        info(Cmd::SearchNext, X, "next match", false, false),
        info(Cmd::SearchPrev, X, "previous match", false, false),
        info(
            Cmd::LogFilter,
            X,
            "filter: only lines matching a regex",
            false,
            true,
        ),
        info(
            Cmd::Follow,
            X,
            "pause / resume following (bottom: to the end)",
            false,
            true,
        ),
        info(Cmd::Timestamps, X, "timestamps on / off", false, false),
        info(Cmd::Wrap, X, "wrap long lines on / off", false, false),
        info(
            Cmd::SaveLogs,
            X,
            "save the lines held to a file",
            false,
            true,
        ),
        info(
            Cmd::Triage,
            VIEWS,
            "triage: problems first (again: back)",
            false,
            false,
        ),
        info(
            Cmd::Gpu,
            VIEWS,
            "GPU memory per GPU, process, container",
            false,
            false,
        ),
        info(
            Cmd::ObjectRemove,
            O,
            "remove the image, volume or network (asks first)",
            true,
            true,
        ),
        info(
            Cmd::ObjectForceRemove,
            O,
            "force-remove the image (asks first)",
            true,
            false,
        ),
        info(
            Cmd::Prune,
            O,
            "prune: what goes and the bytes it frees, then asks",
            true,
            true,
        ),
        info(Cmd::Pull, O, "pull the image's tag again", true, false),
        info(
            Cmd::Refresh,
            O,
            "read the lists and the disk usage again",
            false,
            false,
        ),
        info(Cmd::ScaleUp, S, "service: one replica more", true, true),
        info(Cmd::ScaleDown, S, "service: one replica less", true, true),
        info(
            Cmd::ServiceUpdate,
            S,
            "service: update to a new image (asks for it)",
            true,
            false,
        ),
        info(
            Cmd::ServiceRestart,
            S,
            "service: rolling restart (every task replaced)",
            true,
            false,
        ),
        info(
            Cmd::ServiceRollback,
            S,
            "service: roll back to the previous spec",
            true,
            false,
        ),
        info(
            Cmd::ServiceRemove,
            S,
            "service: remove (asks first)",
            true,
            false,
        ),
        info(
            Cmd::NodeDrain,
            S,
            "node: drain, its tasks move (asks first)",
            true,
            false,
        ),
        info(Cmd::NodePause, S, "node: pause, no new tasks", true, false),
        info(Cmd::NodeActivate, S, "node: active again", true, false),
        info(Cmd::NodePromote, S, "node: promote to manager", true, false),
        info(
            Cmd::NodeDemote,
            S,
            "node: demote to worker (asks first)",
            true,
            false,
        ),
        info(
            Cmd::Copy,
            COPY,
            "copy (OSC 52): the id / the lines on screen / the section",
            false,
            false,
        ),
    ]
};

/// What the table says about `command`.
pub fn command_info(command: ConsoleCommand) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|i| i.command == command)
}

/// Two commands bound to one key in one mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "in the config's [keys], '{key}' is bound to both {first} and {second} (in the {mode} view)"
)]
pub struct KeymapError {
    pub key: String,
    pub first: ConsoleCommand,
    pub second: ConsoleCommand,
    pub mode: &'static str,
}

/// The resolved keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    keys: KeysConfig,
    lookup: HashMap<(KeyMode, KeyChord), ConsoleCommand>,
}

impl Default for Keymap {
    fn default() -> Self {
        // The defaults have no conflicts (a unit test holds this).
        Self::new(&KeysConfig::default()).unwrap_or_else(|_| Self {
            keys: KeysConfig::default(),
            lookup: HashMap::new(),
        })
    }
}

impl Keymap {
    /// Builds the table; a key bound twice in one mode is an error.
    pub fn new(keys: &KeysConfig) -> Result<Self, KeymapError> {
        let mut lookup = HashMap::new();
        for info in COMMANDS {
            for key in keys.keys(info.command) {
                for mode in info.modes {
                    if let Some(first) = lookup.insert((*mode, *key), info.command)
                        && first != info.command
                    {
                        return Err(KeymapError {
                            key: key.to_string(),
                            first,
                            second: info.command,
                            mode: mode.name(),
                        });
                    }
                }
            }
        }
        Ok(Self {
            keys: keys.clone(),
            lookup,
        })
    }

    /// The command `key` runs in `mode`.
    pub fn lookup(&self, mode: KeyMode, key: KeyChord) -> Option<ConsoleCommand> {
        self.lookup.get(&(mode, key)).copied()
    }

    /// The keys bound to `command`.
    pub fn keys(&self, command: ConsoleCommand) -> &[KeyChord] {
        self.keys.keys(command)
    }

    /// The keys of `command` as people read them: "j/↓".
    pub fn keys_text(&self, command: ConsoleCommand) -> String {
        self.keys(command)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The commands that act in `mode` and have a key, in help order.
    pub fn commands(&self, mode: KeyMode) -> impl Iterator<Item = &'static CommandInfo> + '_ {
        COMMANDS
            .iter()
            .filter(move |i| i.modes.contains(&mode) && !self.keys(i.command).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_no_conflicts_and_cover_every_command() {
        let map = Keymap::new(&KeysConfig::default()).expect("defaults are consistent");
        for c in ConsoleCommand::ALL {
            assert!(command_info(c).is_some(), "{c} missing from COMMANDS");
        }
        assert_eq!(
            map.lookup(KeyMode::List, KeyChord::ctrl('k')),
            Some(ConsoleCommand::Kill)
        );
        assert_eq!(
            map.lookup(KeyMode::List, KeyChord::char('k')),
            Some(ConsoleCommand::Up)
        );
        assert_eq!(map.keys_text(ConsoleCommand::Down), "j/↓");
    }

    #[test]
    fn a_key_bound_twice_is_an_error() {
        let mut keys = KeysConfig::default();
        keys.0
            .insert(ConsoleCommand::Stop, vec![KeyChord::char('r')]);
        let err = Keymap::new(&keys).expect_err("r is restart");
        assert!(err.to_string().contains("'r'"), "{err}");
        assert!(err.to_string().contains("restart"), "{err}");
    }
}
