//! One action's daemon calls on one container: inspect first (so that the action can be
//! idempotent where Docker is not), then the call, then what the container says afterwards.

use std::time::{Duration, Instant};

use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::{
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder,
    StartContainerOptions, StopContainerOptionsBuilder,
};

use super::{Action, ActionError, Outcome, Target};
use crate::engine::exit::{ExitContext, ExitReading, read_exit};
use crate::engine::{Endpoint, EngineError, RunState, daemon_message, status_code};

/// Added to a stop's grace period for the HTTP request's own timeout, so that the client never
/// cuts off a stop that the daemon is still carrying out.
const REQUEST_MARGIN: Duration = Duration::from_secs(30);

/// A container's state as the action layer needs it.
struct Observed {
    state: RunState,
    exit: Option<ExitReading>,
}

fn observe(inspect: &ContainerInspectResponse, context: ExitContext) -> Observed {
    let state = inspect.state.as_ref();
    let run_state = state
        .and_then(|s| s.status)
        .map(|s| RunState::parse(s.as_ref()))
        .unwrap_or(RunState::Unknown);
    let oom_killed = state.and_then(|s| s.oom_killed).unwrap_or(false);
    let has_run = state
        .and_then(|s| s.finished_at.as_deref())
        .and_then(crate::engine::model::parse_docker_time)
        .is_some();
    let exit = state
        .and_then(|s| s.exit_code)
        .filter(|_| has_run || run_state == RunState::Exited)
        .map(|code| {
            read_exit(
                code,
                ExitContext {
                    oom_killed,
                    ..context
                },
            )
        });
    Observed {
        state: run_state,
        exit,
    }
}

/// One action on one container of one endpoint: what each call's error becomes.
struct Call<'a> {
    endpoint: &'a Endpoint,
    verb: &'static str,
    target: &'a Target,
    id: &'a str,
}

impl Call<'_> {
    fn engine_err(&self, source: EngineError) -> ActionError {
        ActionError::Engine {
            verb: self.verb,
            target: self.target.name.clone(),
            source,
        }
    }

    fn refused(&self, reason: String) -> ActionError {
        ActionError::Refused {
            verb: self.verb,
            target: self.target.name.clone(),
            reason,
        }
    }

    fn no_such_container(&self) -> ActionError {
        ActionError::NoSuchContainer {
            verb: self.verb,
            target: self.target.name.clone(),
        }
    }

    /// A daemon error: gone (404), refused (409, 400, 500), or the endpoint's reading of it.
    fn daemon_err(&self, e: bollard::errors::Error) -> ActionError {
        match status_code(&e) {
            Some(404) => self.no_such_container(),
            Some(409 | 400 | 500) => self.refused(daemon_message(&e)),
            _ => self.engine_err(self.endpoint.error(e)),
        }
    }

    fn not_running(&self, before: &Observed) -> ActionError {
        self.refused(format!("it is not running (state: {})", before.state))
    }

    /// The container as it is now; `None` when it is gone.
    async fn inspect(&self) -> Result<Option<ContainerInspectResponse>, ActionError> {
        self.endpoint
            .inspect(self.id)
            .await
            .map_err(|e| self.engine_err(e))
    }
}

pub(super) async fn run(
    endpoint: &Endpoint,
    action: &Action,
    target: &Target,
) -> Result<Outcome, ActionError> {
    let call = Call {
        endpoint,
        verb: action.verb(),
        target,
        id: target.id.0.as_str(),
    };
    let Some(before) = call.inspect().await? else {
        return match action {
            Action::Remove { .. } => Ok(Outcome::AlreadyGone),
            _ => Err(call.no_such_container()),
        };
    };
    let before = observe(&before, ExitContext::default());
    match action {
        Action::Start => start(&call, &before).await,
        Action::Stop { timeout_s } => stop(&call, &before, *timeout_s).await,
        Action::Restart { timeout_s } => restart(&call, *timeout_s).await,
        Action::Kill { signal } => kill(&call, &before, signal).await,
        Action::Pause => pause(&call, &before).await,
        Action::Unpause => unpause(&call, &before).await,
        Action::Remove { force, volumes } => remove(&call, &before, *force, *volumes).await,
    }
}

async fn start(call: &Call<'_>, before: &Observed) -> Result<Outcome, ActionError> {
    if before.state == RunState::Running || before.state == RunState::Restarting {
        return Ok(Outcome::AlreadyRunning);
    }
    if before.state == RunState::Paused {
        return Err(call.refused("it is paused (unpause it instead)".into()));
    }
    match call
        .endpoint
        .client()
        .start_container(call.id, None::<StartContainerOptions>)
        .await
    {
        Ok(()) => Ok(Outcome::Started),
        Err(e) if status_code(&e) == Some(304) => Ok(Outcome::AlreadyRunning),
        Err(e) => Err(call.daemon_err(e)),
    }
}

/// The client for a call that may take `timeout_s` (a stop's grace) and the margin.
fn patient(call: &Call<'_>, timeout_s: u64) -> bollard::Docker {
    call.endpoint
        .client()
        .clone()
        .with_timeout(Duration::from_secs(timeout_s) + REQUEST_MARGIN)
}

async fn stop(call: &Call<'_>, before: &Observed, timeout_s: u64) -> Result<Outcome, ActionError> {
    if !before.state.is_up() {
        return Ok(Outcome::AlreadyStopped {
            exit: before.exit.clone(),
        });
    }
    let started = Instant::now();
    let options = StopContainerOptionsBuilder::default()
        .t(i32::try_from(timeout_s).unwrap_or(i32::MAX))
        .build();
    match patient(call, timeout_s)
        .stop_container(call.id, Some(options))
        .await
    {
        Ok(()) => {}
        Err(e) if status_code(&e) == Some(304) => {}
        Err(e) => return Err(call.daemon_err(e)),
    }
    let ran_out = started.elapsed() >= Duration::from_secs(timeout_s);
    let after = call.inspect().await?;
    let context = ExitContext {
        oom_killed: false,
        stop_timed_out: ran_out.then_some(timeout_s),
    };
    Ok(Outcome::Stopped {
        exit: after.and_then(|a| observe(&a, context).exit),
    })
}

async fn restart(call: &Call<'_>, timeout_s: u64) -> Result<Outcome, ActionError> {
    let options = RestartContainerOptionsBuilder::default()
        .t(i32::try_from(timeout_s).unwrap_or(i32::MAX))
        .build();
    patient(call, timeout_s)
        .restart_container(call.id, Some(options))
        .await
        .map_err(|e| call.daemon_err(e))?;
    Ok(Outcome::Restarted)
}

async fn kill(call: &Call<'_>, before: &Observed, signal: &str) -> Result<Outcome, ActionError> {
    if !before.state.is_up() {
        return Err(call.not_running(before));
    }
    let options = KillContainerOptionsBuilder::default()
        .signal(signal)
        .build();
    call.endpoint
        .client()
        .kill_container(call.id, Some(options))
        .await
        .map_err(|e| call.daemon_err(e))?;
    // Whether the process is gone after a signal is the signal's business; read the exit if it
    // already happened.
    let after = call.inspect().await?;
    let exit = after
        .map(|a| observe(&a, ExitContext::default()))
        .filter(|o| !o.state.is_up())
        .and_then(|o| o.exit);
    Ok(Outcome::Killed {
        signal: signal.to_string(),
        exit,
    })
}

async fn pause(call: &Call<'_>, before: &Observed) -> Result<Outcome, ActionError> {
    match before.state {
        RunState::Paused => Ok(Outcome::AlreadyPaused),
        RunState::Running => {
            call.endpoint
                .client()
                .pause_container(call.id)
                .await
                .map_err(|e| call.daemon_err(e))?;
            Ok(Outcome::Paused)
        }
        _ => Err(call.not_running(before)),
    }
}

async fn unpause(call: &Call<'_>, before: &Observed) -> Result<Outcome, ActionError> {
    match before.state {
        RunState::Paused => {
            call.endpoint
                .client()
                .unpause_container(call.id)
                .await
                .map_err(|e| call.daemon_err(e))?;
            Ok(Outcome::Unpaused)
        }
        _ => Ok(Outcome::NotPaused),
    }
}

async fn remove(
    call: &Call<'_>,
    before: &Observed,
    force: bool,
    volumes: bool,
) -> Result<Outcome, ActionError> {
    if before.state.is_up() && !force {
        return Err(call.refused(format!(
            "it is {} (stop it first, or remove with --force)",
            before.state
        )));
    }
    let options = RemoveContainerOptionsBuilder::default()
        .force(force)
        .v(volumes)
        .build();
    match call
        .endpoint
        .client()
        .remove_container(call.id, Some(options))
        .await
    {
        Ok(()) => Ok(Outcome::Removed),
        Err(e) if status_code(&e) == Some(404) => Ok(Outcome::AlreadyGone),
        Err(e) => Err(call.daemon_err(e)),
    }
}
