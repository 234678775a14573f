//! A captured exec: the command runs without a TTY, its stdout and stderr are kept (each up to a
//! limit, with a `truncated` flag, and also passed in full to a tee as they come) and its exit
//! code read. Refused under read-only, on a container that is not running, and without a
//! command; audited, one line per exec.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;

use super::{
    Capture, ExecRequest, StreamKind, VERB, create_exec, daemon_error, ensure_running, exit_code,
};
use crate::actions::{ActionContext, ActionError, AuditFacts, Target};
use crate::engine::Endpoint;

/// Sees every chunk of a captured exec's output as it comes, in full.
pub type Tee<'a> = &'a mut (dyn FnMut(StreamKind, &[u8]) + Send);

/// The result of a captured exec.
#[derive(Debug, Clone)]
pub struct ExecCapture {
    pub exit_code: i64,
    pub stdout: Capture,
    pub stderr: Capture,
}

/// What a captured exec reports, for every caller.
#[derive(Debug)]
pub struct ExecReport {
    pub target: Target,
    pub request: ExecRequest,
    pub result: Result<ExecCapture, ActionError>,
    pub duration: Duration,
    /// Set when the audit line could not be written.
    pub audit_error: Option<String>,
}

impl ExecReport {
    /// The JSON form for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let duration_ms = u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX);
        let mut json = serde_json::json!({
            "target": { "id": self.target.id, "name": self.target.name },
            "command": self.request.command,
            "duration_ms": duration_ms,
            "audit_error": self.audit_error,
        });
        match &self.result {
            Ok(c) => {
                json["ok"] = true.into();
                json["exit_code"] = c.exit_code.into();
                json["stdout"] = c.stdout.text().into();
                json["stdout_truncated"] = c.stdout.truncated.into();
                json["stdout_bytes"] = c.stdout.total.into();
                json["stderr"] = c.stderr.text().into();
                json["stderr_truncated"] = c.stderr.truncated.into();
                json["stderr_bytes"] = c.stderr.total.into();
                json["truncated"] = (c.stdout.truncated || c.stderr.truncated).into();
                json["error"] = serde_json::Value::Null;
            }
            Err(e) => {
                json["ok"] = false.into();
                json["exit_code"] = serde_json::Value::Null;
                json["error"] = e.to_string().into();
            }
        }
        json
    }
}

/// Runs `command` without a TTY, captures its output, and returns its exit code.
/// Every chunk also goes to `tee`, in full (the capture alone is bounded).
pub(crate) async fn run_captured(
    endpoint: &Endpoint,
    target: &Target,
    request: &ExecRequest,
    command: &[String],
    limit: usize,
    mut tee: Option<Tee<'_>>,
) -> Result<ExecCapture, ActionError> {
    let options = CreateExecOptions {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        cmd: Some(command.iter().map(String::as_str).collect()),
        env: Some(request.env.iter().map(String::as_str).collect()),
        user: request.user.as_deref(),
        working_dir: request.working_dir.as_deref(),
        ..Default::default()
    };
    let docker = &endpoint.client();
    let exec = create_exec(endpoint, target, options).await?;
    let started = docker
        .start_exec(&exec.id, None::<StartExecOptions>)
        .await
        .map_err(|e| daemon_error(endpoint, target, e))?;
    let mut stdout = Capture::new(limit);
    let mut stderr = Capture::new(limit);
    if let StartExecResults::Attached { mut output, .. } = started {
        while let Some(chunk) = output.next().await {
            let chunk = chunk.map_err(|e| daemon_error(endpoint, target, e))?;
            let (kind, bytes) = match chunk {
                LogOutput::StdErr { message } => (StreamKind::Stderr, message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    (StreamKind::Stdout, message)
                }
                LogOutput::StdIn { .. } => continue,
            };
            match kind {
                StreamKind::Stdout => stdout.push(&bytes),
                StreamKind::Stderr => stderr.push(&bytes),
            }
            if let Some(tee) = tee.as_mut() {
                tee(kind, &bytes);
            }
        }
    }
    let exit_code = exit_code(endpoint, target, &exec.id)
        .await?
        .ok_or_else(|| ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: "the daemon did not report the command's exit code".into(),
        })?;
    Ok(ExecCapture {
        exit_code,
        stdout,
        stderr,
    })
}

/// Runs `request.command` in the running container `target` without a TTY, and captures its
/// stdout and stderr (each up to `limit` bytes) and exit code. `tee`, when given, sees every
/// chunk as it comes, in full: the CLI prints through it.
pub async fn exec_captured(
    ctx: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    limit: usize,
    tee: Option<Tee<'_>>,
) -> ExecReport {
    let work = async {
        if request.command.is_empty() {
            return Err(ActionError::Refused {
                verb: VERB,
                target: target.name.clone(),
                reason: "no command given (a captured exec needs one: -- CMD...)".into(),
            });
        }
        ensure_running(&ctx.endpoint, target).await?;
        run_captured(&ctx.endpoint, target, request, &request.command, limit, tee).await
    };
    let done = ctx
        .audited(VERB, &target.name, work, |result| AuditFacts {
            target_id: target.id.0.clone(),
            target_name: target.name.clone(),
            parameters: request.audit_parameters("captured"),
            result: match result {
                Ok(c) => Ok(("exited", Some(c.exit_code))),
                Err(e) => Err(e.to_string()),
            },
        })
        .await;
    ExecReport {
        target: target.clone(),
        request: request.clone(),
        result: done.result,
        duration: done.duration,
        audit_error: done.audit_error,
    }
}
