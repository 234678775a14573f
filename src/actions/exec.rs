//! Exec: a command run inside a running container, two ways. [`exec_captured`] runs it without a
//! TTY and captures stdout and stderr (each bounded, with a `truncated` flag) and the exit code;
//! [`exec_interactive`] hands the operator's terminal to a shell in the container (a TTY, the
//! operator's `TERM`, the terminal's size and its resizes) and gives it back when the shell
//! ends. Both refuse under read-only and on a container that is not running, and both are
//! audited, one line per exec.
//!
//! The terminal itself stays the caller's: this module never imports crossterm. The caller
//! passes a [`Tty`] that enters and leaves raw mode and reads the size; the console, having
//! left its alternate screen, passes its own, and gets stdin and stdout back when the call ends
//! (the stdin reader polls and is joined before returning, so it never keeps a key pressed
//! afterwards).

use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{ActionContext, ActionError, Target};
use crate::audit::{AuditEntry, AuditRecord};
use crate::engine::{Endpoint, EngineError, RunState, daemon_message, status_code};

/// How much of each stream a captured exec (or run) keeps, unless told otherwise: 1 MiB.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;
/// The detach keys of an interactive exec: Ctrl-] (telnet's escape). Docker's default,
/// Ctrl-P Ctrl-Q, would hold back every Ctrl-P (shell history, editors) until the next key.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-]";
/// The shells tried, in order, when an interactive exec names no command.
pub const DEFAULT_SHELLS: [&str; 2] = ["bash", "sh"];

const VERB: &str = "exec";

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
    fn audit_parameters(&self, mode: &str) -> serde_json::Value {
        let env_names: Vec<&str> = self
            .env
            .iter()
            .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k))
            .collect();
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

/// The operator's terminal, as an interactive exec needs it. Implemented by the caller's
/// terminal module (the CLI's is built on crossterm), so that the action layer never owns the
/// terminal.
pub trait Tty {
    /// The size, as (columns, rows); `None` when it cannot be read.
    fn size(&self) -> Option<(u16, u16)>;
    /// Enters raw mode: every key goes to the container as typed, Ctrl-C included.
    fn enter_raw(&mut self) -> std::io::Result<()>;
    /// Leaves the raw mode that `enter_raw` entered (and nothing else).
    fn leave_raw(&mut self) -> std::io::Result<()>;
}

/// Writes the audit line; returns the write error, if any.
pub(crate) fn audit(ctx: &ActionContext, record: AuditRecord<'_>) -> Option<String> {
    let audit = ctx.audit.as_ref()?;
    audit
        .append(&AuditEntry::record(record))
        .err()
        .map(|e| e.to_string())
}

/// Maps a daemon error of an exec call to the action error.
fn daemon_error(endpoint: &Endpoint, target: &Target, e: bollard::errors::Error) -> ActionError {
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

/// Refuses unless the container exists and is running (not paused, not restarting).
async fn ensure_running(endpoint: &Endpoint, target: &Target) -> Result<(), ActionError> {
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
async fn exit_code(
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

/// Runs `command` without a TTY, captures its output, and returns its exit code.
/// Every chunk also goes to `tee`, in full (the capture alone is bounded).
async fn run_captured(
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
    let docker = endpoint.client();
    let exec = docker
        .create_exec(&target.id.0, options)
        .await
        .map_err(|e| daemon_error(endpoint, target, e))?;
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
    let started = Instant::now();
    let result = if ctx.read_only {
        Err(ActionError::ReadOnly {
            verb: VERB,
            target: target.name.clone(),
        })
    } else if request.command.is_empty() {
        Err(ActionError::Refused {
            verb: VERB,
            target: target.name.clone(),
            reason: "no command given (a captured exec needs one: -- CMD...)".into(),
        })
    } else {
        match ensure_running(&ctx.endpoint, target).await {
            Ok(()) => {
                run_captured(&ctx.endpoint, target, request, &request.command, limit, tee).await
            }
            Err(e) => Err(e),
        }
    };
    let duration = started.elapsed();
    let audit_error = if ctx.read_only {
        None
    } else {
        audit(
            ctx,
            AuditRecord {
                endpoint: &ctx.endpoint.address,
                target_id: &target.id.0,
                target_name: &target.name,
                action: VERB,
                parameters: request.audit_parameters("captured"),
                result: match &result {
                    Ok(c) => Ok(("exited", Some(c.exit_code))),
                    Err(e) => Err(e.to_string()),
                },
                duration,
            },
        )
    };
    ExecReport {
        target: target.clone(),
        request: request.clone(),
        result,
        duration,
        audit_error,
    }
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

/// Reads stdin in a thread that polls (so that it can be told to stop, and stops before the
/// exec returns: a reader left blocked would eat the console's next key).
struct StdinPump {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl StdinPump {
    fn start(tx: mpsc::Sender<Vec<u8>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("fleetdeck-exec-stdin".into())
            .spawn(move || pump_stdin(&flag, &tx))
            .ok();
        Self { stop, handle }
    }

    /// Stops the reader and waits for it (at most one poll interval).
    async fn finish(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

impl Drop for StdinPump {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pump_stdin(stop: &AtomicBool, tx: &mpsc::Sender<Vec<u8>>) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdin = std::io::stdin();
    let fd = stdin.as_fd();
    let interval = Timespec {
        tv_sec: 0,
        tv_nsec: 50_000_000,
    };
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, Some(&interval)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return,
        }
        let revents = fds[0].revents();
        if !revents.contains(PollFlags::IN) {
            if revents.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                return;
            }
            continue;
        }
        // Straight from the descriptor: std's buffered stdin could keep bytes for itself.
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if tx.blocking_send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => continue,
            Err(_) => return,
        }
    }
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
    let started = Instant::now();
    let mut command = request.command.clone();
    let result = if ctx.read_only {
        Err(ActionError::ReadOnly {
            verb: VERB,
            target: target.name.clone(),
        })
    } else {
        interactive(ctx, target, request, detach_keys, tty, &mut command).await
    };
    let duration = started.elapsed();
    let audit_error = if ctx.read_only {
        None
    } else {
        let mut parameters = request.audit_parameters("interactive");
        parameters["command"] = serde_json::json!(command);
        audit(
            ctx,
            AuditRecord {
                endpoint: &ctx.endpoint.address,
                target_id: &target.id.0,
                target_name: &target.name,
                action: VERB,
                parameters,
                result: match &result {
                    Ok(o) => Ok((o.word(), o.code())),
                    Err(e) => Err(e.to_string()),
                },
                duration,
            },
        )
    };
    InteractiveReport {
        target: target.clone(),
        command,
        result,
        duration,
        audit_error,
    }
}

async fn interactive(
    ctx: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    detach_keys: &str,
    tty: &mut dyn Tty,
    command: &mut Vec<String>,
) -> Result<InteractiveOutcome, ActionError> {
    let endpoint = &ctx.endpoint;
    ensure_running(endpoint, target).await?;
    if command.is_empty() {
        *command = pick_shell(endpoint, target).await?;
    }
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
    let docker = endpoint.client();
    let exec = docker
        .create_exec(&target.id.0, options)
        .await
        .map_err(|e| daemon_error(endpoint, target, e))?;
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

type Output = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
>;
type Input = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

/// Copies the terminal to the exec and back, passes resizes on, until the output ends.
/// Returns the signal's name when fleetdeck was told to end.
async fn pump(
    endpoint: &Endpoint,
    target: &Target,
    exec_id: &str,
    mut output: Output,
    mut input: Input,
    tty: &mut dyn Tty,
) -> Result<Option<String>, ActionError> {
    use tokio::signal::unix::{SignalKind, signal};
    let signal_err = |e: std::io::Error| ActionError::Refused {
        verb: VERB,
        target: target.name.clone(),
        reason: format!("cannot listen for terminal signals: {e}"),
    };
    let mut winch = signal(SignalKind::window_change()).map_err(signal_err)?;
    let mut term = signal(SignalKind::terminate()).map_err(signal_err)?;
    let mut hup = signal(SignalKind::hangup()).map_err(signal_err)?;

    let resize = |size: Option<(u16, u16)>| async move {
        if let Some((width, height)) = size.filter(|(w, h)| *w > 0 && *h > 0) {
            // A failed resize only leaves the old size: not worth ending the session for.
            let _ = endpoint
                .client()
                .resize_exec(exec_id, ResizeExecOptions { height, width })
                .await;
        }
    };
    resize(tty.size()).await;

    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(64);
    let stdin = StdinPump::start(tx);
    let mut stdout = tokio::io::stdout();
    let mut stdin_open = true;
    let result = loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(chunk)) => {
                    let bytes = chunk.into_bytes();
                    if stdout.write_all(&bytes).await.is_err() || stdout.flush().await.is_err() {
                        break Ok(None);
                    }
                }
                Some(Err(e)) => break Err(daemon_error(endpoint, target, e)),
                None => break Ok(None),
            },
            keys = rx.recv(), if stdin_open => match keys {
                Some(keys) => {
                    if input.write_all(&keys).await.is_err() || input.flush().await.is_err() {
                        stdin_open = false;
                    }
                }
                None => {
                    stdin_open = false;
                    let _ = input.shutdown().await;
                }
            },
            _ = winch.recv() => resize(tty.size()).await,
            _ = term.recv() => break Ok(Some("SIGTERM".to_string())),
            _ = hup.recv() => break Ok(Some("SIGHUP".to_string())),
        }
    };
    stdin.finish().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_limit_and_counts_the_rest() {
        let mut c = Capture::new(10);
        c.push(b"hello ");
        assert!(!c.truncated);
        c.push(b"world, again");
        assert!(c.truncated);
        assert_eq!(c.bytes, b"hello worl");
        assert_eq!(c.total, 18);
        c.push(b"more");
        assert_eq!(c.bytes.len(), 10);
        assert_eq!(c.total, 22);
    }

    #[test]
    fn capture_at_exactly_the_limit_is_not_truncated() {
        let mut c = Capture::new(4);
        c.push(b"abcd");
        assert!(!c.truncated);
        c.push(b"");
        assert!(!c.truncated);
    }

    #[test]
    fn capture_text_drops_a_character_cut_by_the_limit() {
        let mut c = Capture::new(4);
        c.push("abcé".as_bytes()); // 5 bytes: é is cut in half
        assert!(c.truncated);
        assert_eq!(c.text(), "abc");
        let mut whole = Capture::new(10);
        whole.push(b"a\xffb");
        assert_eq!(
            whole.text(),
            "a\u{fffd}b",
            "invalid bytes inside still show"
        );
    }

    #[test]
    fn audit_parameters_name_variables_without_values() {
        let request = ExecRequest {
            command: vec!["env".into()],
            env: vec!["TOKEN=secret".into(), "PLAIN".into()],
            ..ExecRequest::default()
        };
        let json = request.audit_parameters("captured");
        assert_eq!(json["env"], serde_json::json!(["TOKEN", "PLAIN"]));
        assert!(!json.to_string().contains("secret"));
    }
}
