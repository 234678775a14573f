//! The terminal plumbing of an interactive exec, in one place: the [`Tty`] trait through which
//! the caller lends its terminal (raw mode, size; the crossterm side is
//! `crate::session::tty::TerminalTty`, above this layer), the stdin reader, and the loop that
//! copies the terminal to the exec and back and passes resizes on. The console, having left its
//! alternate screen, gets stdin and stdout back when the call ends: the stdin reader polls and
//! is joined before returning, so it never keeps a key pressed afterwards.

use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bollard::container::LogOutput;
use bollard::exec::ResizeExecOptions;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{VERB, daemon_error};
use crate::actions::{ActionError, Target};
use crate::engine::Endpoint;

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

pub(super) type Output = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
>;
pub(super) type Input = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

/// Copies the terminal to the exec and back, passes resizes on, until the output ends.
/// Returns the signal's name when fleetdeck was told to end.
pub(super) async fn pump(
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
