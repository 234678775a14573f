//! What both front ends share (the console in `tui` and the subcommands in `cli`): the globals
//! (config and global flags), the connection to the daemon, the action context, the exit codes
//! and the error that maps to them, and the terminal side of an interactive exec. Neither front
//! end imports the other; both import this.

pub mod hosts;
pub mod logging;
pub mod stats_source;
pub mod swarm;
pub mod tty;

use std::path::PathBuf;
use std::sync::Arc;

use crate::actions::ActionContext;
use crate::audit::AuditLog;
use crate::config::{Config, ConfigError};
use crate::engine::{Endpoint, EngineError};
use crate::reconcile::compose::{self, LoadOptions, Project};
use crate::store::{Store, StoreError, StoreWriter};

/// The exit codes, as `--help` and the README document them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (including idempotent no-ops: start on a running container, rm of a gone one)
  1  one or more targets failed (each target reports its own outcome); apply/down: a step
     failed or was skipped (each outcome says what was done and what was not)
  2  bad usage: unknown flag, unknown or ambiguous target, rm/kill/down without --yes and no
     terminal; a compose file that cannot be used (FILE:LINE: KEY: why; nothing is changed)
  3  a Docker daemon could not be reached (with several hosts, the others still answer)
  4  refused: --read-only forbids mutations (apply/down: there was something to change)
  5  gpu: no NVIDIA GPU can be read (the reason is printed)
  6  triage: the fleet has problems (they are listed)
  exec, run: the command's own exit code; 124 run timed out; 130/143 run interrupted (SIGINT/
     SIGTERM); 125 fleetdeck could not run it (not running, no shell, no image, daemon refused)";

/// What a run of the CLI ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    SomeFailed,
    Usage,
    Unreachable,
    ReadOnly,
    NoGpu,
    Problems,
    /// The exit code of a process fleetdeck ran for the user (`exec`, `run`).
    Process(u8),
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::SomeFailed => 1,
            Self::Usage => 2,
            Self::Unreachable => 3,
            Self::ReadOnly => 4,
            Self::NoGpu => 5,
            Self::Problems => 6,
            Self::Process(code) => code,
        }
    }
}

/// Errors that end a CLI run, each mapped to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    ReadOnly(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            Self::Usage(_) | Self::Config(_) => Exit::Usage,
            Self::Engine(EngineError::Unreachable { .. }) => Exit::Unreachable,
            Self::Engine(EngineError::Daemon { .. }) | Self::Output(_) | Self::Store(_) => {
                Exit::SomeFailed
            }
            Self::ReadOnly(_) => Exit::ReadOnly,
        }
    }
}

/// What every subcommand gets: the config and the global flags.
#[derive(Debug)]
pub struct Globals {
    pub config: Config,
    /// `--host` (repeatable): `URL` or `NAME=URL`.
    pub hosts: Vec<String>,
    /// `--context` (repeatable).
    pub contexts: Vec<String>,
    /// `--timeout`: over the config's `[daemon] timeout`.
    pub timeout: Option<std::time::Duration>,
    pub read_only: bool,
    pub audit_file: Option<PathBuf>,
    /// `-f FILE`... given before any subcommand (the console's compose files).
    pub compose_files: Vec<PathBuf>,
    /// `-p NAME` given before any subcommand.
    pub project_name: Option<String>,
    /// `--store FILE` / `FLEETDECK_STORE`: the history store, over the config's `[store] path`.
    pub store_file: Option<PathBuf>,
    /// `-v` (repeatable) and `FLEETDECK_LOG`: how much fleetdeck's own log keeps.
    pub verbosity: logging::Verbosity,
}

impl Globals {
    /// The compose project of `files` (these, else the globals' `-f`, else `compose.yaml` /
    /// `docker-compose.yml` in the current directory), named by `project_name` (else the
    /// globals' `-p`, else as compose names it). A file that cannot be used is a usage error
    /// naming the file, the line and the key.
    pub fn compose_project(
        &self,
        files: &[PathBuf],
        project_name: Option<&str>,
        profiles: &[String],
    ) -> Result<Project, CliError> {
        let mut files: Vec<PathBuf> = if files.is_empty() {
            self.compose_files.clone()
        } else {
            files.to_vec()
        };
        if files.is_empty() {
            let here = std::env::current_dir()?;
            let found = compose::default_file(&here).ok_or_else(|| {
                CliError::Usage(format!(
                    "no compose file: give -f FILE, or put compose.yaml or docker-compose.yml in {}",
                    here.display()
                ))
            })?;
            files.push(found);
        }
        let mut options = LoadOptions::new(files);
        options.project_name = project_name
            .map(str::to_string)
            .or_else(|| self.project_name.clone());
        options.profiles = profiles.to_vec();
        compose::load(&options).map_err(|e| CliError::Usage(e.to_string()))
    }

    /// The history store's file: `--store`, else the config's `[store] path`, else the default.
    pub fn store_path(&self) -> PathBuf {
        self.store_file
            .clone()
            .unwrap_or_else(|| self.config.store.path())
    }

    /// A writer for the history store, when it is enabled; a store that cannot be opened is a
    /// warning on stderr (naming the file and the cause), and the command runs without it.
    pub fn store_writer(&self) -> Option<StoreWriter> {
        if !self.config.store.enabled {
            return None;
        }
        match StoreWriter::open(&self.store_path(), self.config.store.retention()) {
            Ok(writer) => Some(writer),
            Err(e) => {
                // Through the log: stderr for a subcommand, the log pane in the console
                // (never written under the console's screen).
                log::warn!("not recording history: {e}");
                None
            }
        }
    }

    /// [`Globals::store_writer`], opened off the async threads: opening migrates the schema
    /// and applies the retention (a DELETE over up to `max_rows` events), which must not hold
    /// a runtime worker meanwhile (the keeper's watchers and timers run there).
    pub async fn store_writer_off_thread(&self) -> Option<StoreWriter> {
        if !self.config.store.enabled {
            return None;
        }
        let (path, retention) = (self.store_path(), self.config.store.retention());
        let opened = tokio::task::spawn_blocking(move || StoreWriter::open(&path, retention)).await;
        match opened {
            Ok(Ok(writer)) => Some(writer),
            Ok(Err(e)) => {
                log::warn!("not recording history: {e}");
                None
            }
            Err(e) => {
                log::warn!("not recording history: opening the store {e}");
                None
            }
        }
    }

    /// The history store, read-only: `Ok(None)` when it is disabled or not made yet.
    pub fn store_reader(&self) -> Result<Option<Store>, StoreError> {
        if !self.config.store.enabled {
            return Ok(None);
        }
        match Store::open_read(&self.store_path()) {
            Ok(store) => Ok(Some(store)),
            Err(StoreError::Missing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The action context: endpoint, audit log, read-only switch.
    pub fn action_context(&self, endpoint: Endpoint) -> ActionContext {
        let audit = self.config.audit.enabled.then(|| {
            let path = self
                .audit_file
                .clone()
                .or_else(|| self.config.audit.path.clone())
                .unwrap_or_else(crate::audit::default_path);
            Arc::new(AuditLog::new(path))
        });
        ActionContext {
            endpoint,
            audit,
            read_only: self.read_only,
        }
    }
}

/// Resolves when fleetdeck gets SIGINT or SIGTERM, to the signal's name. The handlers are in
/// place as soon as this returns, so a signal that comes while work is being set up is seen
/// right after.
pub fn interrupt() -> Result<impl std::future::Future<Output = String>, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => "SIGINT".to_string(),
            _ = term.recv() => "SIGTERM".to_string(),
        }
    })
}
