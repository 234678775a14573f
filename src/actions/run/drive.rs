//! Driving a run's container through its life: pull by the pull policy, create, attach, start,
//! wait (SIGTERM, a grace period, then SIGKILL on timeout), read the exit (OOM from inspect),
//! and remove the container on every path: exit, failure, timeout and interruption.

use std::future::Future;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;

use super::{
    DEFAULT_TIMEOUT, Owner, PullPolicy, RunOptions, RunOutcome, RunSpec, RunStatus, VERB,
    with_default_tag,
};
use crate::actions::ActionError;
use crate::actions::exec::Capture;
use crate::engine::exit::{ExitContext, read_exit};
use crate::engine::{Container, ContainerId, Endpoint, daemon_message, from_inspect, status_code};

async fn ensure_image(
    endpoint: &Endpoint,
    image: &str,
    policy: PullPolicy,
) -> Result<(), ActionError> {
    let refused = |reason: String| ActionError::Refused {
        verb: VERB,
        target: image.to_string(),
        reason,
    };
    let present = match endpoint.client().inspect_image(image).await {
        Ok(_) => true,
        Err(e) if status_code(&e) == Some(404) => false,
        Err(e) => {
            return Err(ActionError::Engine {
                verb: VERB,
                target: image.to_string(),
                source: endpoint.error(e),
            });
        }
    };
    match policy {
        PullPolicy::Never if !present => {
            return Err(refused(
                "the image is not on the daemon and the pull policy is never".into(),
            ));
        }
        PullPolicy::Never => return Ok(()),
        PullPolicy::IfNotPresent if present => return Ok(()),
        _ => {}
    }
    let reference = with_default_tag(image);
    let options = CreateImageOptionsBuilder::default()
        .from_image(&reference)
        .build();
    // A pull may take long: the client's usual request timeout does not apply.
    let client = endpoint.client().clone().with_timeout(DEFAULT_TIMEOUT);
    let mut pull = client.create_image(Some(options), None, None);
    let mut failure = None;
    while let Some(step) = pull.next().await {
        match step {
            Ok(info) => {
                if let Some(detail) = info.error_detail {
                    failure = detail.message.or(Some("unknown error".into()));
                }
            }
            Err(e) => {
                failure = Some(daemon_message(&e));
                break;
            }
        }
    }
    match failure {
        None => Ok(()),
        Some(why) if present => Err(refused(format!(
            "pulling it failed (pull policy always): {why}"
        ))),
        Some(why) => Err(refused(format!(
            "the image is not on the daemon and pulling it failed: {why}"
        ))),
    }
}

/// Runs `spec`; `on_created` is told of the container as soon as it exists (before it starts),
/// so that a caller can record it even if this process is killed before the run ends.
pub(super) async fn run_inner(
    endpoint: &Endpoint,
    spec: &RunSpec,
    options: &RunOptions,
    interrupt: impl Future<Output = String>,
    on_created: impl FnOnce(&Container),
) -> Result<RunOutcome, ActionError> {
    let mut interrupt = std::pin::pin!(interrupt);
    let interrupted = |signal: String| ActionError::Refused {
        verb: VERB,
        target: spec.image.clone(),
        reason: format!("interrupted by {signal} before the container was created"),
    };
    // Pulling is safe to abandon: nothing of ours exists yet.
    tokio::select! {
        pulled = ensure_image(endpoint, &spec.image, options.pull) => pulled?,
        signal = &mut interrupt => return Err(interrupted(signal)),
    }

    // Creating is not raced with the interrupt (an abandoned create could still make a
    // container nobody removes); a signal meanwhile is seen right after.
    let owner = options.owner.clone().unwrap_or_else(Owner::current);
    let body = spec.create_body(&owner);
    let mut create = CreateContainerOptionsBuilder::default();
    if let Some(name) = &spec.name {
        create = create.name(name);
    }
    let created = endpoint
        .client()
        .create_container(Some(create.build()), body)
        .await
        .map_err(|e| match status_code(&e) {
            Some(404) => ActionError::Refused {
                verb: VERB,
                target: spec.image.clone(),
                reason: format!("the image is not on the daemon: {}", daemon_message(&e)),
            },
            Some(400 | 409 | 500) => ActionError::Refused {
                verb: VERB,
                target: spec.image.clone(),
                reason: format!("the daemon refused to create it: {}", daemon_message(&e)),
            },
            _ => ActionError::Engine {
                verb: VERB,
                target: spec.image.clone(),
                source: endpoint.error(e),
            },
        })?;
    let id = ContainerId(created.id);
    let container = match endpoint.inspect(&id.0).await {
        Ok(Some(i)) => from_inspect(&i),
        _ => None,
    };
    let container = container.unwrap_or_else(|| Container::new(id.clone(), String::new()));
    let name = container.name.clone();
    on_created(&container);

    let memory_limited = spec.memory.is_some();
    let driven = drive(endpoint, &id, options, memory_limited, &mut interrupt).await;
    let (removed, remove_error) = remove(endpoint, &id).await;
    let mut outcome = driven.map_err(|reason| ActionError::Refused {
        verb: VERB,
        target: if name.is_empty() {
            spec.image.clone()
        } else {
            name.clone()
        },
        reason: match &remove_error {
            None => reason.to_string(),
            Some(e) => format!("{reason}; and removing the container failed: {e}"),
        },
    })?;
    outcome.id = id;
    outcome.name = name;
    outcome.removed = removed;
    outcome.remove_error = remove_error;
    Ok(outcome)
}

/// Removes the container, force, with its anonymous volumes. Gone already counts as removed.
async fn remove(endpoint: &Endpoint, id: &ContainerId) -> (bool, Option<String>) {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let mut last = None;
    // A removal already in progress (409) finishes on its own; ask again a few times.
    for _ in 0..20 {
        match endpoint
            .client()
            .remove_container(&id.0, Some(options.clone()))
            .await
        {
            Ok(()) => return (true, None),
            Err(e) if status_code(&e) == Some(404) => return (true, None),
            Err(e) if status_code(&e) == Some(409) => {
                last = Some(daemon_message(&e));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return (false, Some(daemon_message(&e))),
        }
    }
    (false, last)
}

/// Waits for the container to stop. Any answer from the wait endpoint means it has (a non-zero
/// exit comes back as an error); the exit itself is read from an inspect afterwards.
async fn wait_stopped(endpoint: &Endpoint, id: &ContainerId, limit: Duration) {
    let client = endpoint.client().clone().with_timeout(limit);
    let mut wait = client.wait_container(&id.0, None::<WaitContainerOptions>);
    let _ = wait.next().await;
}

async fn kill(endpoint: &Endpoint, id: &ContainerId, signal: &str) {
    let options = KillContainerOptionsBuilder::default()
        .signal(signal)
        .build();
    // "Not running" is what the kill wanted anyway.
    let _ = endpoint.client().kill_container(&id.0, Some(options)).await;
}

/// Why a created container could not be driven to its end (the caller names the container).
#[derive(Debug, thiserror::Error)]
enum DriveError {
    #[error("cannot attach to its output: {0}")]
    Attach(String),
    #[error("the daemon refused to start it: {0}")]
    Start(String),
    #[error("cannot read how it ended: {0}")]
    ReadEnd(crate::engine::EngineError),
}

/// The task that collects the container's output, stdout and stderr, each up to `limit`.
type Collector = tokio::task::JoinHandle<(Capture, Capture)>;

/// Attaches, starts, waits; on timeout SIGTERM, grace, SIGKILL. Errors are reasons (the caller
/// names the container).
async fn drive(
    endpoint: &Endpoint,
    id: &ContainerId,
    options: &RunOptions,
    memory_limited: bool,
    interrupt: &mut std::pin::Pin<&mut impl Future<Output = String>>,
) -> Result<RunOutcome, DriveError> {
    let limit = options.output_limit;
    let collector = attach(endpoint, id, limit).await?;
    let abort = collector.abort_handle();
    if let Err(e) = endpoint
        .client()
        .start_container(&id.0, None::<StartContainerOptions>)
        .await
    {
        abort.abort();
        return Err(DriveError::Start(daemon_message(&e)));
    }
    let status = match wait_or_stop(endpoint, id, options, interrupt).await {
        Waited::Ended(status) => status,
        Waited::Interrupted(signal) => {
            abort.abort();
            return Ok(interrupted_outcome(signal));
        }
    };
    // The attach stream ends with the container; the bound only guards a stuck stream.
    let (stdout, stderr) = match tokio::time::timeout(Duration::from_secs(10), collector).await {
        Ok(Ok(captured)) => captured,
        _ => {
            abort.abort();
            (Capture::new(limit), Capture::new(limit))
        }
    };
    let (exit, oom_killed) = read_end(endpoint, id, memory_limited).await?;
    Ok(RunOutcome {
        id: id.clone(),
        name: String::new(),
        status,
        exit,
        oom_killed,
        stdout,
        stderr,
        removed: false,
        remove_error: None,
    })
}

/// Attaches to the container's output (before it starts, so that nothing is missed) and
/// collects it in a task.
async fn attach(
    endpoint: &Endpoint,
    id: &ContainerId,
    limit: usize,
) -> Result<Collector, DriveError> {
    let attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .logs(true)
        .stdout(true)
        .stderr(true)
        .build();
    let attached = endpoint
        .client()
        .attach_container(&id.0, Some(attach))
        .await
        .map_err(|e| DriveError::Attach(daemon_message(&e)))?;
    let mut output = attached.output;
    Ok(tokio::spawn(async move {
        let mut stdout = Capture::new(limit);
        let mut stderr = Capture::new(limit);
        while let Some(Ok(chunk)) = output.next().await {
            match chunk {
                LogOutput::StdErr { message } => stderr.push(&message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.push(&message)
                }
                LogOutput::StdIn { .. } => {}
            }
        }
        (stdout, stderr)
    }))
}

/// How waiting for the container ended.
enum Waited {
    /// It stopped (exited, or was stopped past its timeout).
    Ended(RunStatus),
    /// The run was interrupted by this signal first.
    Interrupted(String),
}

/// Waits for the container to stop; past the timeout SIGTERM, the grace period, then
/// SIGKILL; unless the run is interrupted meanwhile.
async fn wait_or_stop(
    endpoint: &Endpoint,
    id: &ContainerId,
    options: &RunOptions,
    interrupt: &mut std::pin::Pin<&mut impl Future<Output = String>>,
) -> Waited {
    let wait_limit = options.timeout + options.grace + Duration::from_secs(60);
    tokio::select! {
        () = wait_stopped(endpoint, id, wait_limit) => Waited::Ended(RunStatus::Exited),
        () = tokio::time::sleep(options.timeout) => {
            kill(endpoint, id, "SIGTERM").await;
            tokio::select! {
                () = wait_stopped(endpoint, id, wait_limit) => {}
                () = tokio::time::sleep(options.grace) => {
                    kill(endpoint, id, "SIGKILL").await;
                    // SIGKILL cannot be caught; the bound only guards against a stuck daemon.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(30),
                        wait_stopped(endpoint, id, wait_limit),
                    )
                    .await;
                }
                signal = &mut *interrupt => return Waited::Interrupted(signal),
            }
            Waited::Ended(RunStatus::TimedOut)
        }
        signal = &mut *interrupt => Waited::Interrupted(signal),
    }
}

/// How the container ended: its exit read, and whether the OOM killer ended it.
async fn read_end(
    endpoint: &Endpoint,
    id: &ContainerId,
    memory_limited: bool,
) -> Result<(Option<crate::engine::exit::ExitReading>, bool), DriveError> {
    let inspect = endpoint.inspect(&id.0).await.map_err(DriveError::ReadEnd)?;
    let mut state = inspect.and_then(|i| i.state);
    let mut oom_killed = state.as_ref().and_then(|s| s.oom_killed).unwrap_or(false);
    // The daemon records an OOM kill from an event that can come a moment after the exit
    // (with an init process, the OOM killer takes the child and init exits 137): give it
    // that moment before reading 137 as a plain SIGKILL.
    if !oom_killed && memory_limited && state.as_ref().and_then(|s| s.exit_code) == Some(137) {
        if let Some(again) = oom_recorded(endpoint, id).await {
            oom_killed = true;
            state = Some(again);
        }
    }
    let exit = state.and_then(|s| s.exit_code).map(|code| {
        read_exit(
            code,
            ExitContext {
                oom_killed,
                stop_timed_out: None,
            },
        )
    });
    Ok((exit, oom_killed))
}

/// The container's state once the daemon has recorded an OOM kill, asked five times over half
/// a second; `None` when it never does.
async fn oom_recorded(
    endpoint: &Endpoint,
    id: &ContainerId,
) -> Option<bollard::models::ContainerState> {
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let again = endpoint
            .inspect(&id.0)
            .await
            .ok()
            .flatten()
            .and_then(|i| i.state);
        if again.as_ref().and_then(|s| s.oom_killed) == Some(true) {
            return again;
        }
    }
    None
}

fn interrupted_outcome(signal: String) -> RunOutcome {
    RunOutcome {
        id: ContainerId(String::new()),
        name: String::new(),
        status: RunStatus::Interrupted(signal),
        exit: None,
        oom_killed: false,
        stdout: Capture::default(),
        stderr: Capture::default(),
        removed: false,
        remove_error: None,
    }
}
