//! The logs pane's streams: one engine log stream per container shown (or one Swarm service's
//! stream, every task merged), all sending on one
//! bounded channel that the event loop reads. Opening replaces what was open; closing drops the
//! handles (which ends the stream tasks) and the receiver (which discards what they had sent).
//! Saving the pane's lines is done here too, off the loop, in a task that reports back.

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::actions::Target;
use crate::app::Msg;
use crate::app::logs::{LogsMsg, ServiceLogMsg};
use crate::engine::Endpoint;
use crate::engine::logs::{LogHandle, LogMessage, LogRequest, LogsOptions, open};
use crate::engine::swarm::ServiceRow;
use crate::engine::swarm::logs::{ServiceLogEvent, ServiceLogHandle, ServiceLogRequest};

/// What the pane's streams are: a stream per container, or one service's (every task merged
/// by the manager).
enum Source {
    Containers {
        _handles: Vec<LogHandle>,
        rx: mpsc::Receiver<LogMessage>,
    },
    Service {
        _handle: ServiceLogHandle,
        rx: mpsc::Receiver<ServiceLogEvent>,
    },
}

/// The open streams of the logs pane.
pub struct LogStreams {
    source: Source,
    /// Every stream has ended and the channel is closed.
    exhausted: bool,
}

impl LogStreams {
    /// Opens a following stream per target, each from its own host.
    pub fn open(targets: &[(Endpoint, Target)], options: &LogsOptions) -> Self {
        let capacity = options.channel_batches.max(1) * targets.len().clamp(1, 4);
        let (tx, rx) = mpsc::channel(capacity);
        let request = LogRequest {
            follow: true,
            tail: options.tail,
            since: None,
        };
        let handles = targets
            .iter()
            .map(|(endpoint, t)| open(endpoint, t.id.clone(), request.clone(), options, tx.clone()))
            .collect();
        Self {
            source: Source::Containers {
                _handles: handles,
                rx,
            },
            exhausted: false,
        }
    }

    /// Follows every task of `service` through the manager `endpoint`: each task's tail (as
    /// many lines as a container's), merged by time, then what comes.
    pub fn open_service(endpoint: &Endpoint, service: ServiceRow, options: &LogsOptions) -> Self {
        let (tx, rx) = mpsc::channel(options.channel_batches.max(1) * 4);
        let request = ServiceLogRequest {
            service,
            follow: true,
            tail: options.tail,
            max_line_bytes: options.max_line_bytes,
            keep_sgr: options.keep_sgr,
        };
        Self {
            source: Source::Service {
                _handle: crate::engine::swarm::logs::open(endpoint, request, tx),
                rx,
            },
            exhausted: false,
        }
    }

    /// Whether [`Self::recv`] can still give something.
    pub fn live(this: &Option<Self>) -> bool {
        this.as_ref().is_some_and(|s| !s.exhausted)
    }

    /// The next message for the pane, stamped with when it came; `None` once every stream has
    /// ended (then [`Self::live`] is false).
    pub async fn recv(this: &mut Option<Self>) -> Option<LogsMsg> {
        let streams = this.as_mut()?;
        let message = match &mut streams.source {
            Source::Containers { rx, .. } => rx.recv().await.map(|message| LogsMsg::Stream {
                message,
                at: std::time::Instant::now(),
            }),
            Source::Service { rx, .. } => rx.recv().await.map(|event| LogsMsg::Service {
                event: service_msg(event),
                at: std::time::Instant::now(),
            }),
        };
        if message.is_none() {
            streams.exhausted = true;
        }
        message
    }
}

/// A service stream's event, owned for the pane.
fn service_msg(event: ServiceLogEvent) -> ServiceLogMsg {
    match event {
        ServiceLogEvent::Lines(lines) => ServiceLogMsg::Lines(lines),
        ServiceLogEvent::CaughtUp => ServiceLogMsg::CaughtUp,
        ServiceLogEvent::Failed(e) => ServiceLogMsg::Failed(e.to_string()),
        ServiceLogEvent::Ended => ServiceLogMsg::Ended,
    }
}

/// Writes `contents` to a new file `file_name` in the working directory (or the temporary
/// directory when that cannot be written) and tells the status line where.
pub fn save(file_name: String, contents: String, lines: usize, tx: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let mut tried = Vec::new();
        let dirs = [std::env::current_dir().ok(), Some(std::env::temp_dir())];
        let mut notice = None;
        for dir in dirs.into_iter().flatten() {
            let path: PathBuf = dir.join(&file_name);
            match write_new(&path, contents.as_bytes()).await {
                Ok(()) => {
                    notice = Some(Msg::Notice {
                        text: format!("saved {lines} lines to {}", path.display()),
                        is_error: false,
                    });
                    break;
                }
                Err(e) => tried.push(format!("{}: {e}", path.display())),
            }
        }
        let notice = notice.unwrap_or_else(|| Msg::Notice {
            text: format!("save failed: {}", tried.join("; ")),
            is_error: true,
        });
        let _ = tx.send(notice).await;
    });
}

async fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await?;
    file.write_all(bytes).await?;
    file.flush().await
}
