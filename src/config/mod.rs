//! The configuration file: TOML in the XDG config directory, every key optional, the commented
//! default shipped in `assets/config.toml`. A bad file is an error naming the file, the line
//! and what is wrong; fleetdeck never starts half-configured.

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
    pub stop_timeout_s: u64,
    pub kill_signal: String,
    pub parallelism: usize,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self {
            stop_timeout_s: crate::actions::DEFAULT_STOP_TIMEOUT,
            kill_signal: "SIGKILL".into(),
            parallelism: crate::actions::DEFAULT_PARALLELISM,
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

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub actions: ActionsConfig,
    pub audit: AuditConfig,
}

/// Where the config file is looked for when `--config` names none.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("fleetdeck").join("config.toml"))
}

impl Config {
    /// Parses `text`, naming `path` and the line in any error.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                message: e.message().to_string(),
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
    fn unknown_keys_are_rejected() {
        let err = Config::parse("[actions]\nstop_timeout = 3\n", Path::new("c.toml"))
            .expect_err("unknown key");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("stop_timeout"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err =
            Config::load(Some(Path::new("/nonexistent/fleetdeck.toml"))).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/fleetdeck.toml"));
    }
}
