//! The audit log: every mutation, from any caller, appended as one JSON line to a file (by
//! default `$XDG_STATE_HOME/fleetdeck/audit.jsonl`). A failed write is an error the caller
//! reports; it is never dropped silently.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::actions::ActionReport;

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

impl AuditEntry {
    /// The audit line for an action's report.
    pub fn from_report(report: &ActionReport, endpoint: &str) -> Self {
        let json = report.to_json();
        let (ok, outcome, exit_code, error) = match &report.result {
            Ok(o) => (true, o.word().to_string(), o.exit().map(|e| e.code), None),
            Err(e) => (false, "error".to_string(), None, Some(e.to_string())),
        };
        Self {
            time: Utc::now(),
            who: who(),
            endpoint: endpoint.to_string(),
            target_id: report.target.id.0.clone(),
            target_name: report.target.name.clone(),
            action: report.action.verb().to_string(),
            parameters: json["parameters"].clone(),
            ok,
            outcome,
            exit_code,
            error,
            duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// What an action that is not an [`crate::actions::Action`] (exec, run) did, for its audit line.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub endpoint: &'a str,
    pub target_id: &'a str,
    pub target_name: &'a str,
    /// `exec`, `run`.
    pub action: &'a str,
    pub parameters: serde_json::Value,
    /// The outcome word and the exit code, or the error.
    pub result: Result<(&'a str, Option<i64>), String>,
    pub duration: std::time::Duration,
}

impl AuditEntry {
    /// The audit line for exec and run, whose outcomes are not an [`crate::actions::Outcome`].
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
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self")
                .map(|m| format!("uid{}", m.uid()))
                .unwrap_or_else(|_| "unknown".into())
        });
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// The default audit file: `$XDG_STATE_HOME/fleetdeck/audit.jsonl` (`~/.local/state/...`).
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("fleetdeck")
        .join("audit.jsonl")
}

/// An append-only JSON-lines file. Appends from concurrent actions are serialised.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    lock: Mutex<()>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (one `write` call, on a file opened for append).
    pub fn append(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let err = |source| AuditError {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| err(std::io::Error::other(e)))?;
        line.push(b'\n');
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(parent) = self.path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(err)?;
        file.write_all(&line).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, Outcome, Target};
    use crate::engine::ContainerId;
    use std::time::Duration;

    fn report() -> ActionReport {
        ActionReport {
            target: Target {
                id: ContainerId("abc".into()),
                name: "web-1".into(),
            },
            action: Action::Pause,
            result: Ok(Outcome::Paused),
            duration: Duration::from_millis(5),
            audit_error: None,
        }
    }

    #[test]
    fn appends_one_line_per_entry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = AuditLog::new(dir.path().join("nested/audit.jsonl"));
        let entry = AuditEntry::from_report(&report(), "unix:///var/run/docker.sock");
        log.append(&entry).expect("first write");
        log.append(&entry).expect("second write");
        let text = std::fs::read_to_string(log.path()).expect("readable");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "pause");
        assert_eq!(lines[0]["outcome"], "paused");
        assert_eq!(lines[0]["target_name"], "web-1");
        assert!(lines[0]["who"].as_str().is_some_and(|w| w.contains('@')));
        assert!(lines[0]["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn failed_write_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A directory where the file should be: the open fails.
        let log = AuditLog::new(dir.path());
        let entry = AuditEntry::from_report(&report(), "x");
        let err = log
            .append(&entry)
            .expect_err("cannot append to a directory");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
}
