//! The configuration file: TOML in the XDG config directory, every key optional, the commented
//! default shipped in `assets/config.toml`. A bad file is an error naming the file, the line
//! and what is wrong; fleetdeck never starts half-configured.
//!
//! Sections: `[actions]`, `[audit]`, and for the console `[keys]` (see [`keys`]), `[theme]`,
//! `[ui]` (columns, stopped containers shown, mouse, stats source and streams, frame rates) and
//! `[logs]`; for `fleetdeck keep`, `[keeper]`, `[jobs.NAME]` (see [`keeper`]) and
//! `[[alerts]]` (see [`alerts`]).

pub use crate::duration;
pub mod alerts;
pub mod gc;
pub mod gpu;
pub mod hosts;
pub mod keeper;
pub mod keys;

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The commented default configuration (`fleetdeck --print-config`).
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/config.toml");

/// A configuration that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad config file {}, line {line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActionsConfig {
    /// Seconds a stop waits after SIGTERM (a number, or a duration string: "1m").
    #[serde(deserialize_with = "duration::seconds")]
    pub stop_timeout_s: u64,
    pub kill_signal: String,
    pub parallelism: usize,
    /// The console's `e`: this command (split on whitespace); empty = bash if present, else sh.
    pub exec_shell: String,
    /// The keys that detach from a console exec (Docker's syntax).
    pub detach_keys: String,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self {
            stop_timeout_s: crate::actions::DEFAULT_STOP_TIMEOUT,
            kill_signal: "SIGKILL".into(),
            parallelism: crate::actions::DEFAULT_PARALLELISM,
            exec_shell: String::new(),
            detach_keys: crate::actions::exec::DEFAULT_DETACH_KEYS.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    pub path: Option<PathBuf>,
    pub enabled: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            path: None,
            enabled: true,
        }
    }
}

/// Whether the console uses colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorMode {
    /// Colours unless the `NO_COLOR` environment variable is set (and not empty).
    #[default]
    Auto,
    /// Always colours, even with `NO_COLOR`.
    Always,
    /// Never colours: bold, dim and reverse only.
    Never,
}

/// One of the 16 colours every terminal has (so that the console reads over any SSH link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorName {
    /// The terminal's own foreground or background.
    Default,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
}

/// The `[theme]` section: the colour switch and the palette, in the 16 terminal colours.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    pub color: ColorMode,
    /// Titles, the selection bar, headers.
    pub accent: ColorName,
    /// Running, healthy, success messages.
    pub ok: ColorName,
    /// Paused, starting, restarting, the disconnected banner.
    pub warn: ColorName,
    /// Exited with an error, unhealthy, error messages.
    pub error: ColorName,
    /// Secondary text: stopped containers, hints.
    pub muted: ColorName,
}

impl Default for ThemeConfig {
    fn default() -> Self {
        Self {
            color: ColorMode::Auto,
            accent: ColorName::Cyan,
            ok: ColorName::Green,
            warn: ColorName::Yellow,
            error: ColorName::Red,
            muted: ColorName::DarkGray,
        }
    }
}

/// A column of the container list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    Image,
    /// Run state and health, as a glyph and a word.
    State,
    /// Uptime, or the exit read briefly ("exited (137) OOM · 3m ago").
    Status,
    Restarts,
    Cpu,
    #[serde(alias = "mem")]
    Memory,
    /// GPU memory held by the container's processes (shown only where there is a GPU).
    Gpu,
    Ports,
    Id,
    /// CPU over the last samples as a one-row sparkline (not shown by default).
    Trend,
    /// The host's short name (shown first by itself whenever the console has several hosts).
    Host,
}

impl Column {
    /// The default columns, in order.
    pub const DEFAULT: [Self; 9] = [
        Self::Name,
        Self::Image,
        Self::State,
        Self::Status,
        Self::Restarts,
        Self::Cpu,
        Self::Memory,
        Self::Gpu,
        Self::Ports,
    ];

    /// The word used in the config, `:sort` and the header.
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Image => "image",
            Self::State => "state",
            Self::Status => "status",
            Self::Restarts => "restarts",
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Gpu => "gpu",
            Self::Ports => "ports",
            Self::Id => "id",
            Self::Trend => "trend",
            Self::Host => "host",
        }
    }

    /// Parses a column name as `:sort` accepts it (`mem` for memory).
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "name" => Self::Name,
            "image" => Self::Image,
            "state" => Self::State,
            "status" | "uptime" => Self::Status,
            "restarts" | "restart" => Self::Restarts,
            "cpu" => Self::Cpu,
            "memory" | "mem" => Self::Memory,
            "gpu" => Self::Gpu,
            "ports" | "port" => Self::Ports,
            "id" => Self::Id,
            "trend" => Self::Trend,
            "host" => Self::Host,
            _ => return None,
        })
    }
}

/// The `[ui]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// The list's columns, in order (narrow terminals drop the least important first).
    pub columns: Vec<Column>,
    /// Whether stopped containers are listed at start (one key toggles it).
    pub show_stopped: bool,
    /// Whether mouse clicks and the wheel are captured.
    pub mouse: bool,
    /// At most this many stats streams are open at once (one per running row on screen).
    pub max_stats_streams: usize,
    /// The most frames drawn per second for changes from the daemon (fleet, logs); a key is
    /// drawn as soon as it is handled.
    pub max_fps: u32,
    /// `y` copies to the clipboard with OSC 52 (works over SSH; in tmux with `set-clipboard
    /// on`); false turns it off.
    pub clipboard: bool,
    /// The most frames drawn per second for stats samples and detail fills alone.
    pub background_fps: u32,
    /// Where CPU and memory come from: `auto` (the cgroup files for a local daemon, else the
    /// stats API) or `api` (always the stats API, for the rows on screen).
    pub stats_source: StatsSourceConfig,
    /// Samples of CPU and memory kept per running container (and of memory per GPU) for the
    /// charts: 120 is two minutes at one sample a second.
    pub history_samples: usize,
}

/// `ui.stats_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StatsSourceConfig {
    /// The cgroup files when the daemon is local and they are readable; else the stats API.
    #[default]
    Auto,
    /// The stats API streams only.
    Api,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            columns: Column::DEFAULT.to_vec(),
            show_stopped: true,
            mouse: true,
            max_stats_streams: 32,
            max_fps: 30,
            clipboard: true,
            background_fps: 2,
            stats_source: StatsSourceConfig::Auto,
            history_samples: 120,
        }
    }
}

/// The `[logs]` section: the logs pane's streams and buffer, and the console's own log pane.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    /// Lines the console's own log keeps.
    pub buffer_lines: usize,
    /// Lines fetched from each container before following.
    pub tail: u64,
    /// Lines the logs pane keeps (all its containers together).
    pub max_lines: usize,
    /// Bytes of text the logs pane keeps.
    pub max_bytes: usize,
    /// A longer line is cut into pieces of this many bytes.
    pub max_line_bytes: usize,
    /// Milliseconds a live batch waits for more lines while they come faster than this (fewer
    /// wake-ups under a flood; a line after a quiet spell goes at once); a number,
    /// or a duration string ("50ms").
    #[serde(deserialize_with = "duration::millis")]
    pub batch_delay_ms: u64,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            buffer_lines: 2000,
            tail: crate::engine::logs::DEFAULT_TAIL,
            max_lines: crate::engine::logs::DEFAULT_MAX_LINES,
            max_bytes: crate::engine::logs::DEFAULT_MAX_BYTES,
            max_line_bytes: crate::engine::logs::DEFAULT_MAX_LINE_BYTES,
            batch_delay_ms: 20,
        }
    }
}

impl LogsConfig {
    /// The engine's stream options for these settings.
    pub fn options(&self) -> crate::engine::logs::LogsOptions {
        crate::engine::logs::LogsOptions {
            tail: crate::engine::logs::Tail::Last(self.tail),
            max_lines: self.max_lines.max(1),
            max_bytes: self.max_bytes.max(1),
            max_line_bytes: self.max_line_bytes.max(1),
            batch_delay: std::time::Duration::from_millis(self.batch_delay_ms),
            ..Default::default()
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub actions: ActionsConfig,
    pub audit: AuditConfig,
    pub keys: keys::KeysConfig,
    pub theme: ThemeConfig,
    pub ui: UiConfig,
    pub logs: LogsConfig,
    /// `[triage]`: the limits of the triage rules.
    pub triage: crate::triage::Thresholds,
    /// `[gpu]`: the GPU memory threshold and the console's sampling interval.
    pub gpu: gpu::GpuConfig,
    /// `[keeper]`: `fleetdeck keep`'s restart budget, backoff and intervals.
    pub keeper: keeper::KeeperConfig,
    /// `[gc]`: what the keeper's GC prunes besides containers (images; off by default).
    pub gc: gc::GcConfig,
    /// `[jobs.NAME]`: scheduled one-shot runs of the keeper.
    pub jobs: std::collections::BTreeMap<String, keeper::JobConfig>,
    /// `[store]`: the history file, its retention, and the switch.
    pub store: crate::store::StoreConfig,
    /// `[daemon]`: the timeout of every daemon call.
    pub daemon: hosts::DaemonConfig,
    /// `[[hosts]]`: the daemons to show when no `--host` / `--context` names them.
    pub hosts: Vec<hosts::HostConfig>,
    /// `[[alerts]]`: the keeper's alert rules (see [`alerts`]).
    pub alerts: alerts::AlertRules,
}

/// Where the config file is looked for when `--config` names none.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("fleetdeck").join("config.toml"))
}

impl Config {
    /// Parses `text`, naming `path` and the line in any error.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line_at = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
            let (line, message) = match alerts::located(e.message()) {
                Some((at, message)) => (line_at(at), message),
                None => (e.span().map_or(1, |span| line_at(span.start)), e.message()),
            };
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                message: message.to_string(),
            }
        })
    }

    /// Loads the named file (which must exist), or the default location if it exists, or the
    /// defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => match default_path() {
                Some(p) => (p, false),
                None => return Ok(Self::default()),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_parses_to_the_defaults() {
        let parsed = Config::parse(DEFAULT_CONFIG, Path::new("assets/config.toml"))
            .expect("the shipped default parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "[actions]\nstop_timeout_s = 10\nparallelism = \"many\"\n";
        let err = Config::parse(text, Path::new("/etc/f.toml")).expect_err("bad type");
        let ConfigError::Parse { line, path, .. } = &err else {
            panic!("expected a parse error, got {err:?}");
        };
        assert_eq!(*line, 3);
        assert_eq!(path, Path::new("/etc/f.toml"));
        assert!(err.to_string().contains("/etc/f.toml, line 3"));
    }

    #[test]
    fn silence_rules_are_read_and_a_bad_glob_is_an_error_at_its_line() {
        let text = "[[triage.silent]]\ncontainers = [\"web-*\"]\nafter = \"10m\"\n";
        let config = Config::parse(text, Path::new("c.toml")).expect("a silence rule");
        assert_eq!(config.triage.silent.len(), 1);
        assert_eq!(config.triage.silent[0].after_s("web-1"), Some(600));
        assert_eq!(config.triage.silent[0].after_s("db-1"), None);
        let bad = "[triage]\n\n[[triage.silent]]\ncontainers = [\"web-[\"]\nafter = \"10m\"\n";
        let err = Config::parse(bad, Path::new("c.toml")).expect_err("a bad glob");
        assert!(err.to_string().contains("web-["), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::parse("[actions]\nstop_timeout = 3\n", Path::new("c.toml"))
            .expect_err("unknown key");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("stop_timeout"), "{err}");
    }

    #[test]
    fn keys_can_be_rebound() {
        use keys::{ConsoleCommand, KeyChord};
        let text = "[keys]\nstop = \"x\"\nkill = [\"ctrl-x\", \"K\"]\n";
        let config = Config::parse(text, Path::new("c.toml")).expect("valid keys");
        assert_eq!(
            config.keys.keys(ConsoleCommand::Stop),
            &[KeyChord::char('x')]
        );
        assert_eq!(
            config.keys.keys(ConsoleCommand::Kill),
            &[KeyChord::ctrl('x'), KeyChord::char('K')]
        );
        // What the file leaves out keeps its default.
        assert_eq!(
            config.keys.keys(ConsoleCommand::Start),
            &[KeyChord::char('u')]
        );
    }

    #[test]
    fn bad_key_name_names_the_line() {
        let text = "[ui]\nmouse = true\n\n[keys]\nstop = \"s\"\nkill = \"hyper-k\"\n";
        let err = Config::parse(text, Path::new("c.toml")).expect_err("bad key");
        let msg = err.to_string();
        assert!(msg.contains("line 6"), "{msg}");
        assert!(msg.contains("hyper-k"), "{msg}");
        let err = Config::parse("[keys]\nstpo = \"s\"\n", Path::new("c.toml"))
            .expect_err("unknown command");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("stpo"), "{err}");
    }

    #[test]
    fn bad_theme_and_columns_name_the_line() {
        let err = Config::parse("[theme]\naccent = \"mauve\"\n", Path::new("c.toml"))
            .expect_err("not one of the 16 colours");
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = Config::parse(
            "[ui]\ncolumns = [\"name\", \"colour\"]\n",
            Path::new("c.toml"),
        )
        .expect_err("unknown column");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err =
            Config::load(Some(Path::new("/nonexistent/fleetdeck.toml"))).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/fleetdeck.toml"));
    }
}
