//! The store: the fleet's history in an embedded SQLite file (`$XDG_STATE_HOME/fleetdeck/fleet.db`
//! by default), so that "what happened overnight" has an answer after the daemon's own bounded
//! event log (lost when the daemon restarts) has forgotten it.
//!
//! Two tables: `containers` (one row per container ever seen: name, image, owner, group, last
//! state, exit, OOM, times, labels) and `events` (time, host, container, action, exit code,
//! attributes). The schema is versioned (`PRAGMA user_version`, [`schema`]); the file is in WAL
//! mode, so readers never wait for the writer.
//!
//! Writing goes through a [`StoreWriter`]: a handle to one thread that owns the connection.
//! `record_*` never block (a bounded channel; what does not fit is counted as dropped), and the
//! thread writes in batches (one transaction per batch, at most every ~200 ms) and applies the
//! [`Retention`] now and then. Reading is [`Store`]: a read-only connection for `history`,
//! triage and the console's inspect.
//!
//! Every failure is a [`StoreError`] naming the file and the cause (locked, read-only, corrupt,
//! from a newer fleetdeck); callers carry on without history, never panic.

pub mod alerts;
mod health;
mod read;
mod rows;
pub mod schema;
mod writer;

#[cfg(test)]
mod open_tests;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use alerts::{AlertEntry, AlertRow, AlertUpdate, DeliveryState};
pub use read::{ContainerRow, EventRow, HistoryQuery, Store, Triage, TriageKind};
pub use writer::StoreWriter;

/// Labels the store reads a container's owner and group from (the run action and the keeper
/// write them; the store, below the action layer, names them here).
pub const KIND_LABEL: &str = "fleetdeck.kind";
pub const OWNER_ID_LABEL: &str = "fleetdeck.owner.id";
pub const OWNER_HOST_LABEL: &str = "fleetdeck.owner.host";
pub const OWNER_PID_LABEL: &str = "fleetdeck.owner.pid";
pub const GROUP_LABEL: &str = "fleetdeck.group";

/// The note a keeper writes when it gives up on a container (read back by triage).
pub const NOTE_GIVE_UP: &str = "keeper.give_up";

/// The note GC writes when it removed a container (its row is then marked removed).
pub const NOTE_GC_REMOVE: &str = "gc.remove";

/// How long the store is kept: events older than `max_age` go, and the oldest beyond
/// `max_rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_age: Duration,
    pub max_rows: u64,
}

impl Default for Retention {
    fn default() -> Self {
        StoreConfig::default().retention()
    }
}

/// A store that cannot be used, naming the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot create the store's folder for {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the store {}: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the store {} is locked by another process (still locked after {}s)", path.display(), schema::BUSY_TIMEOUT.as_secs())]
    Locked { path: PathBuf },
    #[error("the store {} is read-only: fleetdeck cannot write its history there", path.display())]
    ReadOnly { path: PathBuf },
    #[error("the store {} is corrupt or not a fleetdeck database ({detail}); move it away and a new one is made", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("the store {} has schema version {found}, newer than this fleetdeck knows ({known})", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot open the store {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the store {}: {source}", path.display())]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the store {} cannot grow: the disk (or its quota) is full", path.display())]
    Full { path: PathBuf },
    #[error("the store {}: its writer has stopped ({reason})", path.display())]
    WriterGone { path: PathBuf, reason: String },
}

impl StoreError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Missing { path }
            | Self::CreateDir { path, .. }
            | Self::Create { path, .. }
            | Self::Locked { path }
            | Self::ReadOnly { path }
            | Self::Full { path }
            | Self::Corrupt { path, .. }
            | Self::TooNew { path, .. }
            | Self::Open { path, .. }
            | Self::Sql { path, .. }
            | Self::WriterGone { path, .. } => path,
        }
    }

    /// Classifies a SQLite error about `path`: locked, read-only and corrupt files get their
    /// own variant, anything else is `Sql`.
    pub fn from_sqlite(path: &Path, source: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Locked { path },
            Some(ErrorCode::ReadOnly) => Self::ReadOnly { path },
            Some(ErrorCode::DiskFull) => Self::Full { path },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Self::Corrupt {
                path,
                detail: source.to_string(),
            },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                Self::Open { path, source }
            }
            _ => Self::Sql { path, source },
        }
    }
}

/// The config's `[store]` section (every key optional).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Record history at all (`run`, `apply`, the keeper) and read it (`history`, triage,
    /// inspect).
    pub enabled: bool,
    /// The file; default `$XDG_STATE_HOME/fleetdeck/fleet.db`.
    pub path: Option<PathBuf>,
    /// Events older than this many days are deleted.
    pub retention_days: u64,
    /// At most this many events are kept (the oldest go first).
    pub max_rows: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            path: None,
            retention_days: 30,
            max_rows: 1_000_000,
        }
    }
}

impl StoreConfig {
    /// The configured file, else the default.
    pub fn path(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(default_path)
    }

    pub fn retention(&self) -> Retention {
        Retention {
            max_age: Duration::from_secs(self.retention_days.saturating_mul(86_400)),
            max_rows: self.max_rows,
        }
    }
}

/// The default store: `$XDG_STATE_HOME/fleetdeck/fleet.db` (`~/.local/state/...`).
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("fleetdeck")
        .join("fleet.db")
}
