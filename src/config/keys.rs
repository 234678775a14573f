//! The key bindings as data: a key chord (`s`, `G`, `ctrl-k`, `enter`, `pgdn`), the console
//! commands a key can be bound to, and the `[keys]` section that maps one to the other. The
//! defaults live here and in `assets/config.toml`; the console's keymap table, its help overlay
//! and its footer are all built from this one map. No terminal library is imported here: the
//! console translates its terminal's key events into [`KeyChord`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    /// A printable character; its case is the shift state (`G` is shift-g).
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A key with its modifiers, as bound in `[keys]` and as the console receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub key: KeyName,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyChord {
    /// A key with no modifier.
    pub const fn plain(key: KeyName) -> Self {
        Self {
            key,
            ctrl: false,
            alt: false,
        }
    }

    /// A character with no modifier.
    pub const fn char(c: char) -> Self {
        Self::plain(KeyName::Char(c))
    }

    /// Ctrl and a character.
    pub const fn ctrl(c: char) -> Self {
        Self {
            key: KeyName::Char(c),
            ctrl: true,
            alt: false,
        }
    }
}

/// Why a key name in the config could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown key '{0}' (use a character, or ctrl-x, alt-x, enter, esc, space, tab, backtab, backspace, delete, insert, up, down, left, right, home, end, pgup, pgdn, f1..f12)"
)]
pub struct KeyParseError(pub String);

impl FromStr for KeyChord {
    type Err = KeyParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || KeyParseError(text.to_string());
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        // A lone "-" is the minus key, not a modifier separator.
        while rest.chars().count() > 1 {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower
                .strip_prefix("ctrl-")
                .or_else(|| lower.strip_prefix("c-"))
            {
                ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("alt-")
                .or_else(|| lower.strip_prefix("m-"))
            {
                alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                // Ctrl with a letter is case-insensitive in terminals.
                KeyName::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            (None, _) => return Err(bad()),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyName::Enter,
                "esc" | "escape" => KeyName::Esc,
                "space" => KeyName::Char(' '),
                "tab" => KeyName::Tab,
                "backtab" | "shift-tab" => KeyName::BackTab,
                "backspace" | "bs" => KeyName::Backspace,
                "delete" | "del" => KeyName::Delete,
                "insert" | "ins" => KeyName::Insert,
                "up" => KeyName::Up,
                "down" => KeyName::Down,
                "left" => KeyName::Left,
                "right" => KeyName::Right,
                "home" => KeyName::Home,
                "end" => KeyName::End,
                "pgup" | "pageup" => KeyName::PageUp,
                "pgdn" | "pgdown" | "pagedown" => KeyName::PageDown,
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=12).contains(&n) => KeyName::F(n),
                    _ => return Err(bad()),
                },
            },
        };
        Ok(Self { key, ctrl, alt })
    }
}

impl fmt::Display for KeyChord {
    /// The form people read in the help and the footer: `Ctrl-k`, `Enter`, `PgDn`, `G`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.key {
            KeyName::Char(' ') => f.write_str("Space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::Enter => f.write_str("Enter"),
            KeyName::Esc => f.write_str("Esc"),
            KeyName::Tab => f.write_str("Tab"),
            KeyName::BackTab => f.write_str("Shift-Tab"),
            KeyName::Backspace => f.write_str("Backspace"),
            KeyName::Delete => f.write_str("Del"),
            KeyName::Insert => f.write_str("Ins"),
            KeyName::Up => f.write_str("↑"),
            KeyName::Down => f.write_str("↓"),
            KeyName::Left => f.write_str("←"),
            KeyName::Right => f.write_str("→"),
            KeyName::Home => f.write_str("Home"),
            KeyName::End => f.write_str("End"),
            KeyName::PageUp => f.write_str("PgUp"),
            KeyName::PageDown => f.write_str("PgDn"),
            KeyName::F(n) => write!(f, "F{n}"),
        }
    }
}

impl<'de> Deserialize<'de> for KeyChord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// Everything a key can be bound to in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleCommand {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Mark,
    Start,
    Stop,
    Restart,
    Pause,
    Kill,
    Remove,
    Inspect,
    Logs,
    Exec,
    Filter,
    CommandLine,
    Help,
    Quit,
    Back,
    ToggleStopped,
    Collapse,
    SortNext,
    SortReverse,
    ToggleLog,
    LogLevels,
    Reveal,
    Confirm,
    Cancel,
    LogSearch,
    SearchNext,
    SearchPrev,
    LogFilter,
    Follow,
    Timestamps,
    Wrap,
    SaveLogs,
    Triage,
    Gpu,
    /// Apply the compose plan (in the plan pane; asks first).
    Apply,
    Copy,
    /// Send SIGCONT: wake a stopped process (asks first).
    Continue,
    /// The host views: remove the selected image, volume or network.
    ObjectRemove,
    ObjectForceRemove,
    Prune,
    Pull,
    Refresh,
    /// The Swarm views: one more replica of the selected service.
    ScaleUp,
    /// One replica less.
    ScaleDown,
    /// A new image for the selected service (asks for it).
    ServiceUpdate,
    /// Every task of the service replaced (`docker service update --force`).
    ServiceRestart,
    /// Back to the service's previous spec.
    ServiceRollback,
    /// The service and its tasks removed (asks first).
    ServiceRemove,
    /// The selected node's availability: drain, pause, active.
    NodeDrain,
    NodePause,
    NodeActivate,
    /// The selected node made a manager, or a worker again.
    NodePromote,
    NodeDemote,
}

impl ConsoleCommand {
    /// Every command, in the order the help lists them.
    pub const ALL: [Self; 59] = [
        Self::Up,
        Self::Down,
        Self::Top,
        Self::Bottom,
        Self::PageUp,
        Self::PageDown,
        Self::Inspect,
        Self::Mark,
        Self::Start,
        Self::Stop,
        Self::Restart,
        Self::Pause,
        Self::Kill,
        Self::Continue,
        Self::Remove,
        Self::Logs,
        Self::Exec,
        Self::Filter,
        Self::CommandLine,
        Self::ToggleStopped,
        Self::Collapse,
        Self::SortNext,
        Self::SortReverse,
        Self::Reveal,
        Self::ToggleLog,
        Self::LogLevels,
        Self::Help,
        Self::Back,
        Self::Quit,
        Self::Confirm,
        Self::Cancel,
        Self::LogSearch,
        Self::SearchNext,
        Self::SearchPrev,
        Self::LogFilter,
        Self::Follow,
        Self::Timestamps,
        Self::Wrap,
        Self::SaveLogs,
        Self::Triage,
        Self::Gpu,
        Self::Apply,
        Self::Copy,
        Self::ObjectRemove,
        Self::ObjectForceRemove,
        Self::Prune,
        Self::Pull,
        Self::Refresh,
        Self::ScaleUp,
        Self::ScaleDown,
        Self::ServiceUpdate,
        Self::ServiceRestart,
        Self::ServiceRollback,
        Self::ServiceRemove,
        Self::NodeDrain,
        Self::NodePause,
        Self::NodeActivate,
        Self::NodePromote,
        Self::NodeDemote,
    ];

    /// The name used in `[keys]` (snake_case).
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Mark => "mark",
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Pause => "pause",
            Self::Kill => "kill",
            Self::Remove => "remove",
            Self::Inspect => "inspect",
            Self::Logs => "logs",
            Self::Exec => "exec",
            Self::Filter => "filter",
            Self::CommandLine => "command_line",
            Self::Help => "help",
            Self::Quit => "quit",
            Self::Back => "back",
            Self::ToggleStopped => "toggle_stopped",
            Self::Collapse => "collapse",
            Self::SortNext => "sort_next",
            Self::SortReverse => "sort_reverse",
            Self::ToggleLog => "toggle_log",
            Self::LogLevels => "log_levels",
            Self::Reveal => "reveal",
            Self::Confirm => "confirm",
            Self::Cancel => "cancel",
            Self::LogSearch => "log_search",
            Self::SearchNext => "search_next",
            Self::SearchPrev => "search_prev",
            Self::LogFilter => "log_filter",
            Self::Follow => "follow",
            Self::Timestamps => "timestamps",
            Self::Wrap => "wrap",
            Self::SaveLogs => "save_logs",
            Self::Triage => "triage",
            Self::Gpu => "gpu",
            Self::Apply => "apply",
            Self::Copy => "copy",
            Self::Continue => "continue",
            Self::ObjectRemove => "object_remove",
            Self::ObjectForceRemove => "object_force_remove",
            Self::Prune => "prune",
            Self::Pull => "pull",
            Self::Refresh => "refresh",
            Self::ScaleUp => "scale_up",
            Self::ScaleDown => "scale_down",
            Self::ServiceUpdate => "service_update",
            Self::ServiceRestart => "service_restart",
            Self::ServiceRollback => "service_rollback",
            Self::ServiceRemove => "service_remove",
            Self::NodeDrain => "node_drain",
            Self::NodePause => "node_pause",
            Self::NodeActivate => "node_activate",
            Self::NodePromote => "node_promote",
            Self::NodeDemote => "node_demote",
        }
    }

    /// The keys a command has when the config does not rebind it.
    pub fn default_keys(self) -> Vec<KeyChord> {
        use KeyName as K;
        let c = KeyChord::char;
        let p = KeyChord::plain;
        match self {
            Self::Up => vec![c('k'), p(K::Up)],
            Self::Down => vec![c('j'), p(K::Down)],
            Self::Top => vec![c('g'), p(K::Home)],
            Self::Bottom => vec![c('G'), p(K::End)],
            Self::PageUp => vec![p(K::PageUp)],
            Self::PageDown => vec![p(K::PageDown)],
            Self::Mark => vec![c(' ')],
            Self::Start => vec![c('u')],
            Self::Stop => vec![c('s')],
            Self::Restart => vec![c('r')],
            Self::Pause => vec![c('p')],
            Self::Kill => vec![KeyChord::ctrl('k')],
            Self::Remove => vec![c('d')],
            Self::Inspect => vec![p(K::Enter), c('i')],
            Self::Logs => vec![c('l')],
            Self::Exec => vec![c('e')],
            Self::Filter => vec![c('/')],
            Self::CommandLine => vec![c(':')],
            Self::Help => vec![c('?')],
            Self::Quit => vec![c('q'), KeyChord::ctrl('c')],
            Self::Back => vec![p(K::Esc)],
            Self::ToggleStopped => vec![c('a')],
            Self::Collapse => vec![c('z')],
            Self::SortNext => vec![c('o')],
            Self::SortReverse => vec![c('O')],
            Self::ToggleLog => vec![c('L')],
            Self::LogLevels => vec![c('T')],
            Self::Reveal => vec![c('v')],
            Self::Confirm => vec![c('y')],
            Self::Cancel => vec![c('n'), p(K::Esc)],
            Self::LogSearch => vec![c('/')],
            Self::SearchNext => vec![c('n')],
            Self::SearchPrev => vec![c('N')],
            Self::LogFilter => vec![c('&')],
            Self::Follow => vec![c('f')],
            Self::Timestamps => vec![c('t')],
            Self::Wrap => vec![c('W')],
            Self::SaveLogs => vec![c('w')],
            Self::Triage => vec![c('t')],
            Self::Gpu => vec![c('6'), p(K::F(6))],
            Self::Apply => vec![c('A')],
            Self::Copy => vec![c('y')],
            Self::Continue => vec![c('C')],
            Self::ObjectRemove => vec![c('d')],
            Self::ObjectForceRemove => vec![c('D')],
            Self::Prune => vec![c('P')],
            Self::Pull => vec![c('U')],
            Self::Refresh => vec![c('R')],
            Self::ScaleUp => vec![c('+')],
            Self::ScaleDown => vec![c('-')],
            Self::ServiceUpdate => vec![c('U')],
            Self::ServiceRestart => vec![c('R')],
            Self::ServiceRollback => vec![c('b')],
            Self::ServiceRemove => vec![c('d')],
            Self::NodeDrain => vec![c('D')],
            Self::NodePause => vec![c('p')],
            Self::NodeActivate => vec![c('a')],
            Self::NodePromote => vec![c('>')],
            Self::NodeDemote => vec![c('<')],
        }
    }
}

impl fmt::Display for ConsoleCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `[keys]` section: every command's keys. What the file leaves out keeps its default; a
/// command the file names gets exactly the keys listed (a list, or one key as a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysConfig(pub BTreeMap<ConsoleCommand, Vec<KeyChord>>);

impl Default for KeysConfig {
    fn default() -> Self {
        Self(
            ConsoleCommand::ALL
                .iter()
                .map(|c| (*c, c.default_keys()))
                .collect(),
        )
    }
}

impl KeysConfig {
    /// The keys bound to `command` (empty if unbound).
    pub fn keys(&self, command: ConsoleCommand) -> &[KeyChord] {
        self.0.get(&command).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// One key or a list of keys.
struct KeyList(Vec<KeyChord>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = KeyList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key (\"s\", \"ctrl-k\") or a list of keys")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyList, E> {
                v.parse().map(|k| KeyList(vec![k])).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<KeyChord>()? {
                    keys.push(k);
                }
                Ok(KeyList(keys))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

impl<'de> Deserialize<'de> for KeysConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = BTreeMap::<ConsoleCommand, KeyList>::deserialize(deserializer)?;
        let mut keys = Self::default();
        for (command, list) in given {
            keys.0.insert(command, list.0);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_parse() {
        let parse = |s: &str| s.parse::<KeyChord>();
        assert_eq!(parse("s"), Ok(KeyChord::char('s')));
        assert_eq!(parse("G"), Ok(KeyChord::char('G')));
        assert_eq!(parse("ctrl-k"), Ok(KeyChord::ctrl('k')));
        assert_eq!(parse("Ctrl-K"), Ok(KeyChord::ctrl('k')));
        assert_eq!(parse("space"), Ok(KeyChord::char(' ')));
        assert_eq!(parse("-"), Ok(KeyChord::char('-')));
        assert_eq!(parse("pgdn"), Ok(KeyChord::plain(KeyName::PageDown)));
        assert_eq!(parse("F5"), Ok(KeyChord::plain(KeyName::F(5))));
        assert_eq!(
            parse("alt-x"),
            Ok(KeyChord {
                key: KeyName::Char('x'),
                ctrl: false,
                alt: true
            })
        );
        assert!(parse("ctrl-").is_err());
        assert!(parse("hyper-x").is_err());
        assert!(parse("f13").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn chords_display_for_people() {
        assert_eq!(KeyChord::ctrl('k').to_string(), "Ctrl-k");
        assert_eq!(KeyChord::char(' ').to_string(), "Space");
        assert_eq!(KeyChord::plain(KeyName::PageUp).to_string(), "PgUp");
    }

    #[test]
    fn every_command_has_default_keys() {
        let keys = KeysConfig::default();
        for c in ConsoleCommand::ALL {
            assert!(!keys.keys(c).is_empty(), "{c} has no default key");
        }
    }
}
