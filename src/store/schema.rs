//! The store's schema and its versions: `PRAGMA user_version` says which of [`MIGRATIONS`] a
//! file has; opening for writing brings it up to [`VERSION`], each step in its own transaction.
//! A new version is one more entry at the end of [`MIGRATIONS`] (never edit an old one).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::StoreError;

/// How long a statement waits for another process's lock before the file counts as locked.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Version 1: the two tables and their indexes.
const V1: &str = "
CREATE TABLE containers (
    id TEXT PRIMARY KEY,
    short_id TEXT NOT NULL,
    host TEXT NOT NULL,
    name TEXT,
    image TEXT,
    owner_kind TEXT,
    owner_id TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    grp TEXT,
    status TEXT,
    exit_code INTEGER,
    oom INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    removed_at INTEGER,
    labels TEXT,
    gc_protected_until INTEGER
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    host TEXT NOT NULL,
    container_id TEXT NOT NULL,
    action TEXT NOT NULL,
    exit_code INTEGER,
    attributes TEXT
);
CREATE INDEX events_container_time ON events(container_id, time);
CREATE INDEX events_time ON events(time);
";

/// Version 2: containers found by name (`history web-1` for a container the daemon no longer
/// has) without a scan.
const V2: &str = "CREATE INDEX containers_name ON containers(name);";

/// Every migration, in order: entry `i` brings a file from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, super::alerts::V3];

/// The schema version this fleetdeck writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The file's schema version (0 for a new, empty file).
pub fn version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| StoreError::from_sqlite(path, e))
}

/// Brings the file up to `target` (at most [`VERSION`]), one transaction per step. A file from
/// a newer fleetdeck is refused, never downgraded.
///
/// Each step takes the write lock first (an IMMEDIATE transaction) and reads the version again
/// under it: another process creating the same fresh file at the same moment either finished
/// that step (then it is skipped here) or waits for this one, so neither runs a step twice.
pub fn migrate(conn: &mut Connection, path: &Path, target: i64) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let target = target.min(VERSION);
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let found = version(&tx, path)?;
        if found > VERSION {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known: VERSION,
            });
        }
        if found >= target {
            return tx.commit().map_err(sql);
        }
        let Some(migration) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return tx.commit().map_err(sql);
        };
        tx.execute_batch(migration).map_err(sql)?;
        tx.pragma_update(None, "user_version", found + 1)
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
    }
}

/// Opens `path` for writing: makes its folder, refuses a write-protected file (also for root,
/// who could write it anyway), turns on WAL and brings the schema up to date.
pub fn open_write(path: &Path) -> Result<Connection, StoreError> {
    // Private, as shells keep their history: the file 0600 (SQLite gives its journal files
    // the same mode), its folder 0700; an existing file others can read is warned about once.
    crate::private_file::create_parent(path).map_err(|source| StoreError::CreateDir {
        path: path.to_path_buf(),
        source,
    })?;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().readonly()
    {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    crate::private_file::ensure(path, "store").map_err(|source| StoreError::Create {
        path: path.to_path_buf(),
        source,
    })?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(
            |source| match StoreError::from_sqlite(path, source) {
                StoreError::Sql { path, source } => StoreError::Open { path, source },
                other => other,
            },
        )?;
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    let sql = |e| StoreError::from_sqlite(path, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    // Reading the version first: a file that is not SQLite fails here, named as corrupt.
    version(&conn, path)?;
    let mode = journal_mode_wal(&conn).map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("store {}: journal mode {mode}, not WAL", path.display());
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    conn.pragma_update(None, "cache_size", -16_384)
        .map_err(sql)?;
    migrate(&mut conn, path, VERSION)?;
    Ok(conn)
}

/// Turns WAL on. Switching a file's journal mode takes an exclusive lock, and SQLite answers
/// "busy" at once (its busy handler is not asked) while another connection reads the file: a
/// second process opening a fresh store at the same moment. Tried again for up to
/// [`BUSY_TIMEOUT`].
fn journal_mode_wal(conn: &Connection) -> Result<String, rusqlite::Error> {
    let start = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0)) {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Opens `path` read-only, checking that it is a fleetdeck store this version can read.
pub fn open_read(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(
            |source| match StoreError::from_sqlite(path, source) {
                StoreError::Sql { path, source } => StoreError::Open { path, source },
                other => other,
            },
        )?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    match version(&conn, path)? {
        0 => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "no fleetdeck tables (schema version 0)".into(),
        }),
        found if found > VERSION => Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: VERSION,
        }),
        _ => Ok(conn),
    }
}
