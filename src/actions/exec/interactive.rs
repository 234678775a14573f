//! An interactive exec: the operator's terminal handed to a shell in the container (a TTY, the
//! operator's `TERM`, the terminal's size and its resizes) and given back when the shell ends,
//! the operator detaches, or fleetdeck is told to end. With no command named, the first shell
//! the container has is picked. Refused under read-only and on a container that is not
//! running; audited, one line per exec, with the command that ran.

use std::sync::OnceLock;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use serde::Serialize;

use super::terminal::{Tty, pump};
use super::{
    DEFAULT_SHELLS, ExecRequest, VERB, create_exec, daemon_error, ensure_running, exit_code,
    run_captured,
};
use crate::actions::{ActionContext, ActionError, AuditFacts, Target};
use crate::engine::Endpoint;

/// How an interactive exec ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum InteractiveOutcome {
    /// The command ended with this code.
    Exited { code: i64 },
    /// The operator pressed the detach keys: the command goes on in the container.
    Detached,
    /// fleetdeck was told to end (SIGTERM, SIGHUP): the terminal was given back first.
    Interrupted { signal: String },
}

impl InteractiveOutcome {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Exited { .. } => "exited",
            Self::Detached => "detached",
            Self::Interrupted { .. } => "interrupted",
        }
    }

    fn code(&self) -> Option<i64> {
        match self {
            Self::Exited { code } => Some(*code),
            _ => None,
        }
    }
}

/// What an interactive exec reports.
#[derive(Debug)]
pub struct InteractiveReport {
    pub target: Target,
    /// The command that ran (the shell chosen, when none was named).
    pub command: Vec<String>,
    pub result: Result<InteractiveOutcome, ActionError>,
    pub duration: Duration,
    pub audit_error: Option<String>,
}

/// The first of [`DEFAULT_SHELLS`] the container can run.
async fn pick_shell(endpoint: &Endpoint, target: &Target) -> Result<Vec<String>, ActionError> {
    for shell in DEFAULT_SHELLS {
        let probe = vec![shell.to_string(), "-c".into(), "exit 0".into()];
        let request = ExecRequest::default();
        // A missing binary is an exit code of 126/127, or on some daemons a refused start.
        match run_captured(endpoint, target, &request, &probe, 4096, None).await {
            Ok(result) if result.exit_code == 0 => return Ok(vec![shell.to_string()]),
            Ok(_) | Err(ActionError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Err(ActionError::Refused {
        verb: VERB,
        target: target.name.clone(),
        reason: format!(
            "it has no shell ({} not found); name a command: fleetdeck exec {} -- CMD",
            DEFAULT_SHELLS.join(" and "),
            target.name
        ),
    })
}

/// Runs a shell (or `request.command`) in the running container `target` with a TTY on the
/// operator's terminal, until it ends or the operator detaches (`detach_keys`, Docker's
/// syntax: `ctrl-]` by default). Raw mode is entered through `tty` for the duration only and
/// left again on every path; stdin and stdout are this function's until it returns.
pub async fn exec_interactive(
    ctx: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    detach_keys: &str,
    tty: &mut dyn Tty,
) -> InteractiveReport {
    // The shell picked when the request names no command: known only once the work has begun,
    // and wanted by the audit line and the report whatever the outcome.
    let picked = OnceLock::new();
    let command = || picked.get().unwrap_or(&request.command).clone();
    let work = interactive(ctx, target, request, detach_keys, tty, &picked);
    let done = ctx
        .audited(VERB, &target.name, work, |result| {
            let mut parameters = request.audit_parameters("interactive");
            parameters["command"] = serde_json::json!(command());
            AuditFacts {
                target_id: target.id.0.clone(),
                target_name: target.name.clone(),
                parameters,
                result: match result {
                    Ok(o) => Ok((o.word(), o.code())),
                    Err(e) => Err(e.to_string()),
                },
            }
        })
        .await;
    InteractiveReport {
        target: target.clone(),
        command: command(),
        result: done.result,
        duration: done.duration,
        audit_error: done.audit_error,
    }
}

async fn interactive(
    ctx: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    detach_keys: &str,
    tty: &mut dyn Tty,
    picked: &OnceLock<Vec<String>>,
) -> Result<InteractiveOutcome, ActionError> {
    let endpoint = &ctx.endpoint;
    ensure_running(endpoint, target).await?;
    let command = if request.command.is_empty() {
        let shell = pick_shell(endpoint, target).await?;
        picked.get_or_init(|| shell)
    } else {
        &request.command
    };
    let term = std::env::var("TERM")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "xterm".into());
    let mut env = vec![format!("TERM={term}")];
    env.extend(request.env.iter().cloned());
    let options = CreateExecOptions {
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(true),
        detach_keys: Some(detach_keys),
        cmd: Some(command.iter().map(String::as_str).collect()),
        env: Some(env.iter().map(String::as_str).collect()),
        user: request.user.as_deref(),
        working_dir: request.working_dir.as_deref(),
        ..Default::default()
    };
    let docker = &endpoint.client();
    let exec = create_exec(endpoint, target, options).await?;
    let start = StartExecOptions {
        detach: false,
        tty: true,
        output_capacity: None,
    };
    let StartExecResults::Attached { output, input } = docker
        .start_exec(&exec.id, Some(start))
        .await
        .map_err(|e| daemon_error(endpoint, target, e))?
    else {
        return Err(ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: "the daemon did not attach the exec".into(),
        });
    };

    tty.enter_raw().map_err(|e| ActionError::Refused {
        verb: VERB,
        target: target.name.clone(),
        reason: format!("cannot put the terminal in raw mode: {e}"),
    })?;
    let session = pump(endpoint, target, &exec.id, output, input, tty).await;
    // Whatever happened, the terminal goes back as it was before anything else is reported.
    let _ = tty.leave_raw();
    let interrupted = session?;
    if let Some(signal) = interrupted {
        return Ok(InteractiveOutcome::Interrupted { signal });
    }
    match exit_code(endpoint, target, &exec.id).await? {
        Some(code) => Ok(InteractiveOutcome::Exited { code }),
        None => Ok(InteractiveOutcome::Detached),
    }
}
