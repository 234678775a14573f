//! The action layer: the one place that mutates containers (and builds images). The console,
//! the CLI, reconcile and GC all call it; none of them talks to bollard for a mutation.
//!
//! Every action inspects first, to be idempotent where Docker is not (start on a running
//! container says "already running"), and after a stop, to read the exit code. All go through
//! one audited wrapper (`ActionContext::audited`), which builds the audit line.
mod audited;
pub mod build;
mod calls;
pub mod compose;
pub mod exec;
pub mod files;
pub mod objects;
pub mod run;
pub mod stack;
pub mod swarm;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use serde::Serialize;

pub(crate) use audited::AuditFacts;

use crate::audit::AuditLog;
use crate::engine::exit::ExitReading;
use crate::engine::{ContainerId, Endpoint, EngineError};

/// The stop timeout when none is configured, in seconds (Docker's own default).
pub const DEFAULT_STOP_TIMEOUT: u64 = 10;
/// How many targets an action runs on at once.
pub const DEFAULT_PARALLELISM: usize = 32;

/// What a user intends, the same from a key, the command line or a script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    Start,
    Stop { timeout_s: u64 },
    Restart { timeout_s: u64 },
    Kill { signal: String },
    Pause,
    Unpause,
    Remove { force: bool, volumes: bool },
}

impl Action {
    /// The verb, as the CLI spells it.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop { .. } => "stop",
            Self::Restart { .. } => "restart",
            Self::Kill { .. } => "kill",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
            Self::Remove { .. } => "rm",
        }
    }

    /// Whether the action destroys something and so is confirmed first.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Self::Kill { .. } | Self::Remove { .. })
    }

    /// The parameters, for the audit line.
    fn parameters(&self) -> serde_json::Value {
        match self {
            Self::Stop { timeout_s } | Self::Restart { timeout_s } => {
                serde_json::json!({ "timeout_s": timeout_s })
            }
            Self::Kill { signal } => serde_json::json!({ "signal": signal }),
            Self::Remove { force, volumes } => {
                serde_json::json!({ "force": force, "volumes": volumes })
            }
            Self::Start | Self::Pause | Self::Unpause => serde_json::json!({}),
        }
    }
}

/// A container an action is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub id: ContainerId,
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Started,
    AlreadyRunning,
    Stopped {
        exit: Option<ExitReading>,
    },
    AlreadyStopped {
        exit: Option<ExitReading>,
    },
    Restarted,
    Killed {
        signal: String,
        exit: Option<ExitReading>,
    },
    Paused,
    AlreadyPaused,
    Unpaused,
    NotPaused,
    Removed,
    AlreadyGone,
}

impl Outcome {
    /// The snake_case word for scripts and the audit line.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::AlreadyRunning => "already_running",
            Self::Stopped { .. } => "stopped",
            Self::AlreadyStopped { .. } => "already_stopped",
            Self::Restarted => "restarted",
            Self::Killed { .. } => "killed",
            Self::Paused => "paused",
            Self::AlreadyPaused => "already_paused",
            Self::Unpaused => "unpaused",
            Self::NotPaused => "not_paused",
            Self::Removed => "removed",
            Self::AlreadyGone => "already_gone",
        }
    }

    /// The exit reading, where the outcome has one.
    pub fn exit(&self) -> Option<&ExitReading> {
        match self {
            Self::Stopped { exit } | Self::AlreadyStopped { exit } | Self::Killed { exit, .. } => {
                exit.as_ref()
            }
            _ => None,
        }
    }

    /// A line for people: "stopped: exit 143: stopped by SIGTERM".
    pub fn describe(&self) -> String {
        let with_exit = |word: &str, exit: &Option<ExitReading>| match exit {
            Some(e) => format!("{word}: {e}"),
            None => word.to_string(),
        };
        match self {
            Self::Started => "started".into(),
            Self::AlreadyRunning => "already running".into(),
            Self::Stopped { exit } => with_exit("stopped", exit),
            Self::AlreadyStopped { exit } => with_exit("already stopped", exit),
            Self::Restarted => "restarted".into(),
            Self::Killed { signal, exit } => with_exit(&format!("sent {signal}"), exit),
            Self::Paused => "paused".into(),
            Self::AlreadyPaused => "already paused".into(),
            Self::Unpaused => "unpaused".into(),
            Self::NotPaused => "not paused (nothing to do)".into(),
            Self::Removed => "removed".into(),
            Self::AlreadyGone => "already gone".into(),
        }
    }
}

/// Why an action failed, naming the container and the cause.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("refused to {verb} '{target}': fleetdeck is read-only (--read-only)")]
    ReadOnly { verb: &'static str, target: String },
    #[error("cannot {verb} '{target}': no such container")]
    NoSuchContainer { verb: &'static str, target: String },
    #[error("cannot {verb} '{target}': {reason}")]
    Refused {
        verb: &'static str,
        target: String,
        reason: String,
    },
    #[error("cannot {verb} '{target}': {source}")]
    Engine {
        verb: &'static str,
        target: String,
        #[source]
        source: EngineError,
    },
}

impl ActionError {
    /// What went wrong, without the verb and the target (for a caller that says what it was
    /// doing itself: "creating shop-web-2: <reason>").
    pub fn reason(&self) -> String {
        match self {
            Self::ReadOnly { .. } => "refused: fleetdeck is read-only (--read-only)".into(),
            Self::NoSuchContainer { .. } => "no such container".into(),
            Self::Refused { reason, .. } => reason.clone(),
            Self::Engine { source, .. } => source.to_string(),
        }
    }

    /// Whether the daemon could not be reached (as opposed to refusing).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Engine {
                source: EngineError::Unreachable { .. },
                ..
            }
        )
    }
}

/// The result of one action on one target, for every caller to report.
#[derive(Debug)]
pub struct ActionReport {
    /// The short name of the host the action went to.
    pub host: String,
    pub target: Target,
    pub action: Action,
    pub result: Result<Outcome, ActionError>,
    pub duration: Duration,
    /// Set when the audit line could not be written: reported, never dropped silently.
    pub audit_error: Option<String>,
}

impl ActionReport {
    /// One line for people: "stopped web-1: exit 143: stopped by SIGTERM (0.4 s)".
    pub fn describe(&self) -> String {
        let secs = self.duration.as_secs_f64();
        match &self.result {
            Ok(outcome) => format!("{}: {} ({secs:.1} s)", self.target.name, outcome.describe()),
            Err(err) => err.to_string(),
        }
    }

    /// The JSON form for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let (ok, outcome, exit, error) = match &self.result {
            Ok(o) => (
                true,
                Some(o.word()),
                o.exit()
                    .map(|e| serde_json::to_value(e).unwrap_or_default()),
                None,
            ),
            Err(e) => (false, None, None, Some(e.to_string())),
        };
        serde_json::json!({
            "host": self.host,
            "target": { "id": self.target.id, "name": self.target.name },
            "action": self.action.verb(),
            "parameters": self.action.parameters(),
            "ok": ok,
            "outcome": outcome,
            "message": self.describe(),
            "exit": exit,
            "error": error,
            "duration_ms": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "audit_error": self.audit_error,
        })
    }
}

/// Everything an action needs: the daemon, the audit log and the read-only switch.
#[derive(Debug, Clone)]
pub struct ActionContext {
    pub endpoint: Endpoint,
    pub audit: Option<Arc<AuditLog>>,
    pub read_only: bool,
}

impl ActionContext {
    /// Runs `action` on `target`, audits it, and reports.
    pub async fn execute(&self, action: &Action, target: &Target) -> ActionReport {
        let done = self
            .audited(
                action.verb(),
                &target.name,
                calls::run(&self.endpoint, action, target),
                |result| AuditFacts {
                    target_id: target.id.0.clone(),
                    target_name: target.name.clone(),
                    parameters: action.parameters(),
                    result: match result {
                        Ok(o) => Ok((o.word(), o.exit().map(|e| e.code))),
                        Err(e) => Err(e.to_string()),
                    },
                },
            )
            .await;
        ActionReport {
            host: self.endpoint.name.clone(),
            target: target.clone(),
            action: action.clone(),
            result: done.result,
            duration: done.duration,
            audit_error: done.audit_error,
        }
    }

    /// Runs `action` on every target, `parallelism` at a time; reports come back in the order
    /// of `targets`.
    pub async fn execute_many(
        &self,
        action: &Action,
        targets: &[Target],
        parallelism: usize,
    ) -> Vec<ActionReport> {
        stream::iter(targets)
            .map(|target| self.execute(action, target))
            .buffered(parallelism.max(1))
            .collect()
            .await
    }
}

/// Every container of `group` (labelled `fleetdeck.group=GROUP` by `run --group`), as targets,
/// sorted by name: one list call filtered by the label.
pub async fn group_targets(endpoint: &Endpoint, group: &str) -> Result<Vec<Target>, EngineError> {
    let filter = format!("{}={group}", run::GROUP_LABEL);
    let filters = std::collections::HashMap::from([("label".to_string(), vec![filter])]);
    let mut targets: Vec<Target> = endpoint
        .list(&filters)
        .await?
        .into_iter()
        .map(|c| Target {
            id: c.id,
            name: c.name,
        })
        .collect();
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exit::{ExitContext, read_exit};

    #[test]
    fn destructive_actions_are_kill_and_remove() {
        assert!(
            Action::Kill {
                signal: "SIGKILL".into()
            }
            .is_destructive()
        );
        assert!(
            Action::Remove {
                force: false,
                volumes: false
            }
            .is_destructive()
        );
        assert!(!Action::Stop { timeout_s: 10 }.is_destructive());
        assert!(!Action::Start.is_destructive());
    }

    #[test]
    fn outcomes_describe_themselves() {
        let exit = read_exit(143, ExitContext::default());
        assert_eq!(
            Outcome::Stopped { exit: Some(exit) }.describe(),
            "stopped: exit 143: stopped by SIGTERM"
        );
        assert_eq!(Outcome::AlreadyRunning.word(), "already_running");
        assert_eq!(Outcome::AlreadyGone.describe(), "already gone");
    }

    #[test]
    fn report_json_has_fields() {
        let report = ActionReport {
            host: "local".into(),
            target: Target {
                id: ContainerId("abc".into()),
                name: "web-1".into(),
            },
            action: Action::Stop { timeout_s: 3 },
            result: Ok(Outcome::Stopped {
                exit: Some(read_exit(143, ExitContext::default())),
            }),
            duration: Duration::from_millis(412),
            audit_error: None,
        };
        let json = report.to_json();
        assert_eq!(json["ok"], true);
        assert_eq!(json["outcome"], "stopped");
        assert_eq!(json["exit"]["code"], 143);
        assert_eq!(json["exit"]["meaning"]["kind"], "sigterm");
        assert_eq!(json["duration_ms"], 412);
        assert_eq!(json["parameters"]["timeout_s"], 3);
        assert_eq!(json["target"]["name"], "web-1");
    }
}
