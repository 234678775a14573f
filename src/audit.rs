//! The audit log: every mutation, from any caller, appended as one JSON line to a file (by
//! default `$XDG_STATE_HOME/fleetdeck/audit.jsonl`). This module knows only its own record,
//! [`AuditEntry`]; the layers above build one from what they did. A failed write is an error the
//! caller reports; it is never dropped silently.
//!
//! Writes never block an async worker: one writer thread per log does the file I/O, fed by a
//! channel, so lines land in the order they were appended. [`AuditLog::append`] waits for the
//! writer's acknowledgement, so a caller that has its answer knows its line is on disk (or why
//! not), and dropping the log waits for any line still queued.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tokio::sync::oneshot;

/// A failed audit write, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the audit log {}: {source}", path.display())]
pub struct AuditError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// `user@host` of whoever ran fleetdeck.
    pub who: String,
    pub endpoint: String,
    pub target_id: String,
    pub target_name: String,
    pub action: String,
    pub parameters: serde_json::Value,
    pub ok: bool,
    /// `stopped`, `already_running`, ... or `error`.
    pub outcome: String,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

fn rfc3339<S: serde::Serializer>(time: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// What a mutation did, for its audit line: everything but the time and who, which the entry
/// adds itself.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub endpoint: &'a str,
    pub target_id: &'a str,
    pub target_name: &'a str,
    /// `stop`, `rm`, `exec`, `run`, ...
    pub action: &'a str,
    pub parameters: serde_json::Value,
    /// The outcome word and the exit code, or the error.
    pub result: Result<(&'a str, Option<i64>), String>,
    pub duration: std::time::Duration,
}

impl AuditEntry {
    /// The audit line for a record, stamped now and with this process's user.
    pub fn record(record: AuditRecord<'_>) -> Self {
        let (ok, outcome, exit_code, error) = match record.result {
            Ok((word, code)) => (true, word.to_string(), code, None),
            Err(e) => (false, "error".to_string(), None, Some(e)),
        };
        Self {
            time: Utc::now(),
            who: who(),
            endpoint: record.endpoint.to_string(),
            target_id: record.target_id.to_string(),
            target_name: record.target_name.to_string(),
            action: record.action.to_string(),
            parameters: record.parameters,
            ok,
            outcome,
            exit_code,
            error,
            duration_ms: u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// `user@host` of this process.
pub fn who() -> String {
    let uid = uzers::get_current_uid();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!(
        "{}@{host}",
        user_name(
            uid,
            uzers::get_user_by_uid(uid).map(|u| u.name().to_owned())
        )
    )
}

/// The user's name from the system's user database (NSS: /etc/passwd, LDAP, ...), or `uidN`
/// when the database has no entry for the uid (a container's arbitrary uid, say).
fn user_name(uid: u32, from_database: Option<std::ffi::OsString>) -> String {
    match from_database {
        Some(name) if !name.is_empty() => name.to_string_lossy().into_owned(),
        _ => format!("uid{uid}"),
    }
}

/// The default audit file: `$XDG_STATE_HOME/fleetdeck/audit.jsonl` (`~/.local/state/...`).
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("fleetdeck")
        .join("audit.jsonl")
}

/// One line for the writer, and where to say how it went.
struct Job {
    line: Vec<u8>,
    done: oneshot::Sender<std::io::Result<()>>,
}

/// An append-only JSON-lines file, written by one thread of its own: appends from concurrent
/// actions are serialised in the order they are made, and never block an async worker.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// `None` once dropped, or when the writer thread could not be started.
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
}

impl AuditLog {
    /// A log at `path`, with its writer thread started (the file is created on the first line).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let (tx, rx) = mpsc::channel::<Job>();
        let file = path.clone();
        let writer = std::thread::Builder::new()
            .name("fleetdeck-audit".into())
            .spawn(move || {
                // Ends when the log is dropped (the last sender with it).
                for job in rx {
                    let _ = job.done.send(write_line(&file, &job.line));
                }
            })
            .ok();
        Self {
            path,
            jobs: writer.is_some().then_some(tx),
            writer,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (one `write` call, on a file opened for append) through the writer, and
    /// waits until it is written or has failed.
    pub async fn append(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let err = |source| AuditError {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| err(std::io::Error::other(e)))?;
        line.push(b'\n');
        let stopped = || err(std::io::Error::other("the audit writer is not running"));
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        let (done, written) = oneshot::channel();
        jobs.send(Job { line, done }).map_err(|_| stopped())?;
        written.await.map_err(|_| stopped())?.map_err(err)
    }
}

impl Drop for AuditLog {
    /// Lets the writer finish what is queued (a line whose caller stopped waiting included)
    /// before the log goes, so that nothing appended is lost at exit.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Appends `line` to the file: created private (`0600`, its folder `0700`) if missing; an
/// existing file others can read is warned about once.
fn write_line(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let mut file = crate::private_file::open_append(path, "audit log")?;
    file.write_all(line)
}

#[cfg(test)]
mod tests {

    #[test]
    fn who_names_the_user_from_the_user_database() {
        assert_eq!(user_name(0, Some("root".into())), "root");
        assert_eq!(user_name(4242, None), "uid4242");
        assert_eq!(user_name(4242, Some("".into())), "uid4242");
        // This process's own uid is in the database here (root or the CI user).
        let me = who();
        let (user, host) = me.split_once('@').expect("user@host");
        assert!(!user.is_empty() && !host.is_empty(), "{me}");
        if uzers::get_user_by_uid(uzers::get_current_uid()).is_some() {
            assert!(
                !user.starts_with("uid"),
                "a user with a database entry is named: {me}"
            );
        }
    }
    use super::*;
    use std::time::Duration;

    fn entry() -> AuditEntry {
        AuditEntry::record(AuditRecord {
            endpoint: "unix:///var/run/docker.sock",
            target_id: "abc",
            target_name: "web-1",
            action: "pause",
            parameters: serde_json::json!({}),
            result: Ok(("paused", None)),
            duration: Duration::from_millis(5),
        })
    }

    #[tokio::test]
    async fn appends_one_line_per_entry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path().join("nested/audit.jsonl"));
        let entry = entry();
        log.append(&entry).await.expect("first write");
        log.append(&entry).await.expect("second write");
        let text = std::fs::read_to_string(log.path()).expect("readable");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "pause");
        assert_eq!(lines[0]["outcome"], "paused");
        assert_eq!(lines[0]["target_name"], "web-1");
        assert_eq!(lines[0]["duration_ms"], 5);
        assert!(lines[0]["who"].as_str().is_some_and(|w| w.contains('@')));
        assert!(lines[0]["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[tokio::test]
    async fn concurrent_appends_keep_the_order_they_were_made_in() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let entries: Vec<AuditEntry> = (0..50)
            .map(|n| AuditEntry {
                target_name: format!("c{n}"),
                ..entry()
            })
            .collect();
        // Each append is queued when first polled: join_all polls them in order.
        futures_util::future::join_all(entries.iter().map(|e| log.append(e)))
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .expect("all written");
        let text = std::fs::read_to_string(log.path()).expect("readable");
        let names: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json line");
                v["target_name"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        let expected: Vec<String> = (0..50).map(|n| format!("c{n}")).collect();
        assert_eq!(names, expected);
    }

    #[tokio::test]
    async fn failed_write_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A directory where the file should be: the open fails.
        let log = AuditLog::new(dir.path());
        let err = log
            .append(&entry())
            .await
            .expect_err("cannot append to a directory");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
}
