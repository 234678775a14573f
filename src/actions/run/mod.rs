//! Run: a one-shot container with the full parameter set and safe defaults, a timeout, and
//! captured output, that never outlives the run. [`RunSpec`] (in `spec`) is the container as a
//! user asks for it, and [`RunSpec::create_body`] the Docker config built from it, a pure
//! function; `drive` pulls, creates, starts, waits, times out and removes the container on
//! every path; [`run_container`] here is the audited entry point and its report. A crash of
//! fleetdeck itself leaves a container labelled with its owner's pid and host, for a GC to find.
//! The string forms of the CLI (`16m`, `127.0.0.1:8080:80/tcp`, ...) are parsed by the CLI.

mod drive;
mod spec;

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use super::exec::Capture;
use super::{ActionContext, ActionError, AuditFacts};
use crate::engine::exit::ExitReading;
use crate::engine::{Container, ContainerId};

pub use spec::{
    DeviceSpec, GROUP_LABEL, GpuSpec, HealthSpec, KIND_LABEL, LogSpec, OWNER_HOST_LABEL,
    OWNER_ID_LABEL, OWNER_KIND_LABEL, OWNER_LABEL, OWNER_PID_LABEL, OWNER_START_LABEL, Owner,
    PROTECTED_UNTIL_LABEL, PortSpec, PullPolicy, RestartSpec, RunSpec, Ulimit, device_request,
    process_start, stat_start_time, this_host, with_default_tag,
};

const VERB: &str = "run";

/// Default limit on a run: one hour.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Default grace between SIGTERM and SIGKILL when the timeout runs out.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// How a run is carried out (as opposed to what runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub pull: PullPolicy,
    pub timeout: Duration,
    pub grace: Duration,
    /// Bytes kept of each of stdout and stderr.
    pub output_limit: usize,
    /// Who the container is labelled as owned by; `None`: this process.
    pub owner: Option<Owner>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            pull: PullPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            grace: DEFAULT_GRACE,
            output_limit: super::exec::DEFAULT_OUTPUT_LIMIT,
            owner: None,
        }
    }
}

/// How the container's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// It exited by itself.
    Exited,
    /// The timeout ran out: SIGTERM, then SIGKILL after the grace period.
    TimedOut,
    /// fleetdeck was interrupted (the signal's name): the container was removed at once.
    Interrupted(String),
}

impl RunStatus {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Exited => "exited",
            Self::TimedOut => "timed_out",
            Self::Interrupted(_) => "interrupted",
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub id: ContainerId,
    pub name: String,
    pub status: RunStatus,
    pub exit: Option<ExitReading>,
    pub oom_killed: bool,
    pub stdout: Capture,
    pub stderr: Capture,
    /// Whether the container is gone (it always should be; `remove_error` says why not).
    pub removed: bool,
    pub remove_error: Option<String>,
}

/// The report of a run, for every caller.
#[derive(Debug)]
pub struct RunReport {
    pub image: String,
    pub result: Result<RunOutcome, ActionError>,
    pub duration: Duration,
    pub audit_error: Option<String>,
}

impl RunReport {
    /// The JSON form for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let duration_ms = u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX);
        match &self.result {
            Ok(o) => serde_json::json!({
                "ok": true,
                "id": o.id,
                "short_id": o.id.short(),
                "name": o.name,
                "image": self.image,
                "status": o.status.word(),
                "signal": match &o.status { RunStatus::Interrupted(s) => Some(s), _ => None },
                "exit_code": o.exit.as_ref().map(|e| e.code),
                "exit": o.exit,
                "oom_killed": o.oom_killed,
                "stdout": o.stdout.text(),
                "stdout_truncated": o.stdout.truncated,
                "stdout_bytes": o.stdout.total,
                "stderr": o.stderr.text(),
                "stderr_truncated": o.stderr.truncated,
                "stderr_bytes": o.stderr.total,
                "truncated": o.stdout.truncated || o.stderr.truncated,
                "duration_ms": duration_ms,
                "removed": o.removed,
                "remove_error": o.remove_error,
                "error": null,
                "audit_error": self.audit_error,
            }),
            Err(e) => serde_json::json!({
                "ok": false,
                "image": self.image,
                "error": e.to_string(),
                "duration_ms": duration_ms,
                "audit_error": self.audit_error,
            }),
        }
    }
}

/// Runs `spec` under `options` and reports. `interrupt` resolves (to the signal's name) when
/// fleetdeck is told to stop: the container is then removed at once. The container is removed
/// on every path.
pub async fn run_container(
    ctx: &ActionContext,
    spec: &RunSpec,
    options: &RunOptions,
    interrupt: impl Future<Output = String>,
) -> RunReport {
    run_container_noting(ctx, spec, options, interrupt, |_| {}).await
}

/// [`run_container`], telling `created` of the container as soon as it exists (before it
/// starts): `fleetdeck run` records it then, so that its history survives this process being
/// killed before the run ends.
pub async fn run_container_noting(
    ctx: &ActionContext,
    spec: &RunSpec,
    options: &RunOptions,
    interrupt: impl Future<Output = String>,
    created: impl FnOnce(&Container),
) -> RunReport {
    let work = drive::run_inner(&ctx.endpoint, spec, options, interrupt, created);
    let done = ctx
        .audited(VERB, &spec.image, work, |result| {
            let (target_id, target_name) = match result {
                Ok(o) => (o.id.0.clone(), o.name.clone()),
                Err(_) => (String::new(), spec.name.clone().unwrap_or_default()),
            };
            let mut parameters = spec.audit_parameters();
            parameters["timeout_ms"] = u64::try_from(options.timeout.as_millis())
                .unwrap_or(u64::MAX)
                .into();
            parameters["pull"] = serde_json::to_value(options.pull).unwrap_or_default();
            AuditFacts {
                target_id,
                target_name,
                parameters,
                result: match result {
                    Ok(o) => Ok((o.status.word(), o.exit.as_ref().map(|e| e.code))),
                    Err(e) => Err(e.to_string()),
                },
            }
        })
        .await;
    RunReport {
        image: spec.image.clone(),
        result: done.result,
        duration: done.duration,
        audit_error: done.audit_error,
    }
}
