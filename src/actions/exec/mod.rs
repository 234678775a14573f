//! Exec: a command run inside a running container, two ways. [`exec_captured`] runs it without a
//! TTY and captures stdout and stderr (each bounded, with a `truncated` flag) and the exit code;
//! [`exec_interactive`] hands the operator's terminal to a shell in the container (a TTY, the
//! operator's `TERM`, the terminal's size and its resizes) and gives it back when the shell
//! ends. Both refuse under read-only and on a container that is not running, and both are
//! audited, one line per exec.
//!
//! Here: the request, the bounded capture and what both ways share (the running check, the
//! exit-code read, the daemon errors); `captured` and `interactive` are the two ways, and
//! `terminal` is all the terminal plumbing of the interactive way (the [`Tty`] trait the caller
//! implements, the stdin reader, the copy loop). The terminal itself stays the caller's: the
//! action layer never imports crossterm.

mod captured;
mod interactive;
mod terminal;

#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::Serialize;

use super::{ActionError, Target};
use crate::engine::{Endpoint, EngineError, RunState, daemon_message, status_code};

pub(crate) use captured::run_captured;
pub use captured::{ExecCapture, ExecReport, Tee, exec_captured};
pub use interactive::{InteractiveOutcome, InteractiveReport, exec_interactive};
pub use terminal::Tty;

/// How much of each stream a captured exec (or run) keeps, unless told otherwise: 1 MiB.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;
/// The detach keys of an interactive exec: Ctrl-] (telnet's escape). Docker's default,
/// Ctrl-P Ctrl-Q, would hold back every Ctrl-P (shell history, editors) until the next key.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-]";
/// The shells tried, in order, when an interactive exec names no command.
pub const DEFAULT_SHELLS: [&str; 2] = ["bash", "sh"];

pub(super) const VERB: &str = "exec";

/// What to run in the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecRequest {
    /// The command; empty means a shell (interactive: bash if the image has it, else sh).
    pub command: Vec<String>,
    /// `user`, `user:group`, `uid` or `uid:gid`; the container's user when `None`.
    pub user: Option<String>,
    /// The working directory; the container's when `None`.
    pub working_dir: Option<String>,
    /// Extra `KEY=value` variables.
    pub env: Vec<String>,
}

impl ExecRequest {
    /// The parameters for the audit line: the command, user and directory, and only the names of
    /// the variables (their values may be secrets).
    pub(super) fn audit_parameters(&self, mode: &str) -> serde_json::Value {
        let env_names = crate::actions::audited::env_names(&self.env);
        serde_json::json!({
            "mode": mode,
            "command": self.command,
            "user": self.user,
            "working_dir": self.working_dir,
            "env": env_names,
        })
    }
}

/// One stream's output, kept up to a limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// The first `limit` bytes.
    pub bytes: Vec<u8>,
    /// Whether more came than was kept.
    pub truncated: bool,
    /// How many bytes came in all.
    pub total: u64,
    limit: usize,
}

impl Capture {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Keeps what fits under the limit, counts the rest.
    pub fn push(&mut self, chunk: &[u8]) {
        self.total = self.total.saturating_add(chunk.len() as u64);
        let room = self.limit.saturating_sub(self.bytes.len());
        if chunk.len() > room {
            self.truncated = true;
        }
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    /// The text, lossily decoded; a character cut in half by the limit is left out rather than
    /// shown as a replacement character.
    pub fn text(&self) -> String {
        let mut bytes = self.bytes.as_slice();
        if self.truncated
            && let Err(e) = std::str::from_utf8(bytes)
            && e.error_len().is_none()
        {
            bytes = &bytes[..e.valid_up_to()];
        }
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Which stream a chunk of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdout,
    Stderr,
}

/// Maps a daemon error of an exec call to the action error.
pub(super) fn daemon_error(
    endpoint: &Endpoint,
    target: &Target,
    e: bollard::errors::Error,
) -> ActionError {
    match status_code(&e) {
        Some(404) => ActionError::NoSuchContainer {
            verb: VERB,
            target: target.name.clone(),
        },
        Some(409 | 400 | 500) => ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: daemon_message(&e),
        },
        _ => ActionError::Engine {
            verb: VERB,
            target: target.name.clone(),
            source: endpoint.error(e),
        },
    }
}

/// Creates the exec instance; a refusal names the container.
pub(super) async fn create_exec(
    endpoint: &Endpoint,
    target: &Target,
    options: bollard::exec::CreateExecOptions<&str>,
) -> Result<bollard::exec::CreateExecResults, ActionError> {
    endpoint
        .client()
        .create_exec(&target.id.0, options)
        .await
        .map_err(|e| daemon_error(endpoint, target, e))
}

/// Refuses unless the container exists and is running (not paused, not restarting).
pub(super) async fn ensure_running(
    endpoint: &Endpoint,
    target: &Target,
) -> Result<(), ActionError> {
    let engine_err = |source: EngineError| ActionError::Engine {
        verb: VERB,
        target: target.name.clone(),
        source,
    };
    let Some(inspect) = endpoint.inspect(&target.id.0).await.map_err(engine_err)? else {
        return Err(ActionError::NoSuchContainer {
            verb: VERB,
            target: target.name.clone(),
        });
    };
    let state = inspect
        .state
        .as_ref()
        .and_then(|s| s.status)
        .map(|s| RunState::parse(s.as_ref()))
        .unwrap_or(RunState::Unknown);
    match state {
        RunState::Running => Ok(()),
        RunState::Paused => Err(ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: "it is paused (unpause it first)".into(),
        }),
        other => Err(ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: format!("it is not running (state: {other}); start it first"),
        }),
    }
}

/// The exit code of a finished exec. The output stream can end a moment before the daemon
/// records the code, so a few inspects are allowed for it.
pub(super) async fn exit_code(
    endpoint: &Endpoint,
    target: &Target,
    exec_id: &str,
) -> Result<Option<i64>, ActionError> {
    for attempt in 0..50 {
        let inspect = endpoint
            .client()
            .inspect_exec(exec_id)
            .await
            .map_err(|e| daemon_error(endpoint, target, e))?;
        if inspect.running != Some(true) {
            return Ok(inspect.exit_code);
        }
        if attempt < 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(None)
}
