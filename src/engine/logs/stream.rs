//! One task per followed container. [`open`] spawns it; it fetches the tail, says when it has
//! caught up, then follows the container live. When the container stops, the daemon ends the
//! stream: the task waits (on the events stream, not a polling loop) for it to start again,
//! inserts a "restarted at T" marker and re-opens the stream from the last line it saw, so
//! nothing is shown twice and nothing is lost. Lines go out in batches over a bounded channel:
//! a slow reader slows the stream down rather than growing a queue. Dropping the
//! [`LogHandle`] closes the stream, so a pane opens streams for what it shows and drops them
//! when it stops showing them.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum};
use bollard::query_parameters::{EventsOptionsBuilder, LogsOptionsBuilder};
use chrono::{DateTime, Utc};
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::pace::Pace;
use super::{Demuxer, LogLine, LogsOptions, Tail};
use crate::engine::model::parse_docker_time;
use crate::engine::{ContainerId, Endpoint, daemon_message, is_transport_error, status_code};

/// Consecutive failures to reach the daemon before a stream gives up.
const MAX_FAILURES: u32 = 8;

/// What to fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRequest {
    /// Keep following after the tail (across restarts) until the handle is dropped.
    pub follow: bool,
    pub tail: Tail,
    /// Only lines at or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// What a stream sends.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// Lines in order (possibly a "restarted at T" marker among them).
    Lines(Vec<LogLine>),
    /// The tail has been sent; what follows is live (following streams only).
    CaughtUp,
    /// The stream is over; nothing follows.
    Ended(LogEnd),
}

/// Why a stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEnd {
    /// Everything asked for was sent (not following).
    Complete,
    /// The container was removed.
    Removed,
    /// The daemon refused or could not be reached; the message says which.
    Failed(String),
}

/// One event of one container's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMessage {
    pub container: ContainerId,
    pub event: LogEvent,
}

/// An open stream. Dropping it closes the stream.
#[derive(Debug)]
pub struct LogHandle {
    container: ContainerId,
    task: JoinHandle<()>,
}

impl LogHandle {
    pub fn container(&self) -> &ContainerId {
        &self.container
    }

    /// Whether the stream task has ended (after [`LogEvent::Ended`], or when its receiver went).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for LogHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens `container`'s logs: a task (on the current tokio runtime) that sends
/// [`LogMessage`]s on `tx` until it ends or the handle is dropped.
pub fn open(
    endpoint: &Endpoint,
    container: ContainerId,
    request: LogRequest,
    options: &LogsOptions,
    tx: mpsc::Sender<LogMessage>,
) -> LogHandle {
    let follower = Follower {
        endpoint: endpoint.clone(),
        container: container.clone(),
        request,
        options: options.clone(),
        tx,
        tty: false,
        started_at: None,
        last_time: None,
        at_last_time: 0,
    };
    LogHandle {
        container,
        task: tokio::spawn(follower.run()),
    }
}

/// How one request to the logs endpoint ended.
enum Pumped {
    Ended,
    /// The receiver is gone: stop quietly.
    Closed,
    Failed(bollard::errors::Error),
}

/// What waiting for the container to run again found.
enum Waited {
    Restarted(Option<DateTime<Utc>>),
    /// Running, same start: the stream ended for another reason (the connection).
    Same,
    Removed,
    Closed,
    Failed(String),
}

/// Where the next live request starts, and the failures in a row so far.
struct Resume {
    tail: Tail,
    since: Option<DateTime<Utc>>,
    failures: u32,
}

/// One request's output, read into batches of lines.
struct Batcher {
    demux: Demuxer,
    /// The most lines in a batch.
    lines: usize,
    /// How long a batch waits for more lines: the batch delay while lines come faster than
    /// it, nothing after a quiet spell (zero delay: only what is ready).
    pace: Pace,
}

impl Batcher {
    /// Takes `item` and what is ready, and — while lines come faster than the batch delay —
    /// what comes within it, up to a batch: a flood goes out in a few large batches rather
    /// than one wake-up per line, and a quiet stream's line goes out at once. `Some` when the
    /// request ended (its last lines are in `batch`).
    async fn gather<S>(
        &mut self,
        mut item: Option<Result<LogOutput, bollard::errors::Error>>,
        stream: &mut S,
        batch: &mut Vec<LogLine>,
    ) -> Option<Pumped>
    where
        S: Stream<Item = Result<LogOutput, bollard::errors::Error>> + Unpin,
    {
        let delay = self.pace.wait(tokio::time::Instant::now());
        let deadline = tokio::time::Instant::now() + delay;
        let done = loop {
            match item {
                Some(Ok(output)) => self.demux.push_output(&output, batch),
                Some(Err(e)) => break Some(Pumped::Failed(e)),
                None => break Some(Pumped::Ended),
            }
            if batch.len() >= self.lines {
                break None;
            }
            item = match stream.next().now_or_never() {
                Some(next) => next,
                None if delay.is_zero() => break None,
                None => match tokio::time::timeout_at(deadline, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => break None,
                },
            };
        };
        if done.is_some() {
            self.demux.finish(batch);
        }
        done
    }
}

/// Which lines of a request were sent before (or come before `since`).
struct Skip {
    /// Resuming: the time of the last line sent.
    resume_after: Option<DateTime<Utc>>,
    /// How many more lines at exactly `resume_after` were sent.
    same: usize,
    since: Option<DateTime<Utc>>,
}

impl Skip {
    fn apply(&mut self, batch: &mut Vec<LogLine>) {
        match (self.resume_after, self.since) {
            // Resuming: skip what was sent, lines at exactly the last time included (two
            // lines can share a timestamp where the clock is coarse).
            (Some(after), _) => batch.retain(|l| match l.time {
                Some(t) if t < after => false,
                Some(t) if t == after && self.same > 0 => {
                    self.same -= 1;
                    false
                }
                _ => true,
            }),
            (None, Some(since)) => batch.retain(|l| l.time.is_none_or(|t| t >= since)),
            (None, None) => {}
        }
    }
}

struct Follower {
    endpoint: Endpoint,
    container: ContainerId,
    request: LogRequest,
    options: LogsOptions,
    tx: mpsc::Sender<LogMessage>,
    tty: bool,
    /// The start time of the run being followed.
    started_at: Option<DateTime<Utc>>,
    /// The time of the last line sent: where a re-opened stream resumes.
    last_time: Option<DateTime<Utc>>,
    /// How many lines sent had exactly `last_time`.
    at_last_time: usize,
}

fn started_at(inspect: &ContainerInspectResponse) -> Option<DateTime<Utc>> {
    inspect
        .state
        .as_ref()
        .and_then(|s| s.started_at.as_deref())
        .and_then(parse_docker_time)
}

fn backoff(failures: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << failures.min(5))).min(Duration::from_secs(5))
}

impl Follower {
    async fn run(mut self) {
        if let Some(end) = self.follow().await {
            self.send(LogEvent::Ended(end)).await;
        }
    }

    async fn send(&self, event: LogEvent) -> bool {
        self.tx
            .send(LogMessage {
                container: self.container.clone(),
                event,
            })
            .await
            .is_ok()
    }

    fn failure(&self, error: &bollard::errors::Error) -> LogEnd {
        if status_code(error) == Some(404) {
            LogEnd::Removed
        } else {
            LogEnd::Failed(format!(
                "logs of {}: {}",
                self.container.short(),
                daemon_message(error)
            ))
        }
    }

    /// The whole life of the stream; `None` when the receiver went away.
    async fn follow(&mut self) -> Option<LogEnd> {
        match self.endpoint.inspect(&self.container.0).await {
            Ok(Some(inspect)) => {
                self.tty = inspect.config.as_ref().and_then(|c| c.tty).unwrap_or(false);
                self.started_at = started_at(&inspect);
            }
            Ok(None) => return Some(LogEnd::Removed),
            Err(e) => return Some(LogEnd::Failed(e.to_string())),
        }
        let request = self.request.clone();
        // `--tail 0 -f` is one request: no window between a tail and the follow.
        let backlog = !(request.follow && request.tail == Tail::Last(0));
        if backlog {
            match self.pump(false, request.tail, request.since).await {
                Pumped::Ended => {}
                Pumped::Closed => return None,
                Pumped::Failed(e) => return Some(self.failure(&e)),
            }
        }
        if !request.follow {
            return Some(LogEnd::Complete);
        }
        if !self.send(LogEvent::CaughtUp).await {
            return None;
        }
        self.follow_live(backlog).await
    }

    /// Follows the container live, across its restarts and breaks of the connection.
    async fn follow_live(&mut self, backlog: bool) -> Option<LogEnd> {
        let mut at = Resume {
            tail: if backlog { Tail::All } else { Tail::Last(0) },
            since: self.request.since,
            failures: 0,
        };
        loop {
            if self.last_time.is_some() {
                // Resume after the last line seen (lines at or before it are skipped).
                at.tail = Tail::All;
                at.since = self.last_time;
            }
            let pumped = self.pump(true, at.tail, at.since).await;
            if let ControlFlow::Break(end) = self.live_ended(pumped, &mut at.failures).await {
                return end;
            }
            let waited = self.wait_for_start().await;
            if let ControlFlow::Break(end) = self.waited(waited, &mut at).await {
                return end;
            }
        }
    }

    /// How a live request ended: go on (after a pause, for a break of the connection), or
    /// end the stream with what to say (`None`: the receiver went away).
    async fn live_ended(&self, pumped: Pumped, failures: &mut u32) -> ControlFlow<Option<LogEnd>> {
        match pumped {
            Pumped::Ended => *failures = 0,
            Pumped::Closed => return ControlFlow::Break(None),
            Pumped::Failed(e) if is_transport_error(&e) => {
                *failures += 1;
                if *failures > MAX_FAILURES {
                    return ControlFlow::Break(Some(self.failure(&e)));
                }
                tokio::time::sleep(backoff(*failures)).await;
            }
            // The daemon refuses (409) the logs of a container that is dead or marked for
            // removal, which inspect hides while it still runs: that is an end.
            Pumped::Failed(e) if status_code(&e) == Some(409) || self.is_going().await => {
                return ControlFlow::Break(Some(LogEnd::Removed));
            }
            Pumped::Failed(e) => return ControlFlow::Break(Some(self.failure(&e))),
        }
        ControlFlow::Continue(())
    }

    /// What waiting for the container to run again found: where the next request starts,
    /// or the end of the stream.
    async fn waited(&self, waited: Waited, at: &mut Resume) -> ControlFlow<Option<LogEnd>> {
        match waited {
            Waited::Restarted(started) => {
                if let Some(t) = started {
                    let marker = LogEvent::Lines(vec![LogLine::restarted(t)]);
                    if !self.send(marker).await {
                        return ControlFlow::Break(None);
                    }
                }
                if self.last_time.is_none() {
                    // Nothing seen yet: the new run's lines are the ones after its start.
                    at.tail = Tail::All;
                    at.since = match (self.request.since, started) {
                        (Some(s), Some(a)) => Some(s.max(a)),
                        (s, a) => s.or(a),
                    };
                }
            }
            Waited::Same => {
                at.failures += 1;
                if at.failures > MAX_FAILURES {
                    return ControlFlow::Break(Some(LogEnd::Failed(format!(
                        "logs of {}: the daemon keeps closing the stream",
                        self.container.short()
                    ))));
                }
                tokio::time::sleep(backoff(at.failures)).await;
            }
            Waited::Removed => return ControlFlow::Break(Some(LogEnd::Removed)),
            Waited::Closed => return ControlFlow::Break(None),
            Waited::Failed(message) => return ControlFlow::Break(Some(LogEnd::Failed(message))),
        }
        ControlFlow::Continue(())
    }

    /// One request to the logs endpoint, its lines sent in batches.
    async fn pump(&mut self, follow: bool, tail: Tail, since: Option<DateTime<Utc>>) -> Pumped {
        // The daemon takes whole seconds; the exact bound is applied to the lines below.
        let since_secs = since
            .and_then(|t| i32::try_from(t.timestamp()).ok())
            .unwrap_or(0);
        let options = LogsOptionsBuilder::default()
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .tail(&tail.query())
            .since(since_secs)
            .build();
        let mut stream = self.endpoint.docker.logs(&self.container.0, Some(options));
        let mut batcher = Batcher {
            demux: Demuxer::new(self.tty, true, self.options.max_line_bytes)
                .keep_sgr(self.options.keep_sgr),
            lines: self.options.batch_lines.max(1),
            pace: Pace::new(if follow {
                self.options.batch_delay
            } else {
                Duration::ZERO
            }),
        };
        let mut skip = Skip {
            resume_after: self.last_time,
            same: self.at_last_time,
            since,
        };
        let mut batch: Vec<LogLine> = Vec::new();
        loop {
            let item = tokio::select! {
                item = stream.next() => item,
                () = self.tx.closed() => return Pumped::Closed,
            };
            let done = batcher.gather(item, &mut stream, &mut batch).await;
            skip.apply(&mut batch);
            self.note_times(&batch);
            if !batch.is_empty() {
                if !self.send(LogEvent::Lines(std::mem::take(&mut batch))).await {
                    return Pumped::Closed;
                }
                batcher.pace.sent(tokio::time::Instant::now());
            }
            if let Some(done) = done {
                return done;
            }
        }
    }

    /// Notes the time of the last line sent, and how many lines had it.
    fn note_times(&mut self, batch: &[LogLine]) {
        for t in batch.iter().filter_map(|l| l.time) {
            match self.last_time {
                Some(last) if t == last => self.at_last_time += 1,
                Some(last) if t < last => {}
                _ => {
                    self.last_time = Some(t);
                    self.at_last_time = 1;
                }
            }
        }
    }

    /// Whether the container is gone or on its way out (removing, dead).
    async fn is_going(&self) -> bool {
        match self.endpoint.inspect(&self.container.0).await {
            Ok(None) => true,
            Ok(Some(inspect)) => matches!(
                inspect.state.and_then(|s| s.status),
                Some(ContainerStateStatusEnum::REMOVING | ContainerStateStatusEnum::DEAD)
            ),
            Err(_) => false,
        }
    }

    /// After the stream ended: waits until the container runs again (or is removed).
    async fn wait_for_start(&mut self) -> Waited {
        let id = self.container.0.clone();
        let filters = HashMap::from([
            ("type", vec!["container"]),
            ("container", vec![id.as_str()]),
            ("event", vec!["start", "destroy"]),
        ]);
        let mut failures = 0;
        loop {
            // Look, then follow the events from just before the look: a start or a destroy
            // between the two is replayed, not missed (the subscription is only made when the
            // stream is first polled, after the inspect; a destroy missed there left the
            // stream waiting for good).
            let look_at = Utc::now();
            let since = format!(
                "{}.{:09}",
                look_at.timestamp(),
                look_at.timestamp_subsec_nanos()
            );
            let options = EventsOptionsBuilder::default()
                .since(&since)
                .filters(&filters)
                .build();
            let mut events = self.endpoint.docker.events(Some(options));
            match self.endpoint.inspect(&id).await {
                Ok(None) => return Waited::Removed,
                Ok(Some(inspect)) => {
                    failures = 0;
                    let state = inspect.state.as_ref();
                    let removing = matches!(
                        state.and_then(|s| s.status),
                        Some(ContainerStateStatusEnum::REMOVING | ContainerStateStatusEnum::DEAD)
                    );
                    let running = state.and_then(|s| s.running).unwrap_or(false)
                        && !state.and_then(|s| s.restarting).unwrap_or(false)
                        && !removing;
                    if running {
                        let started = started_at(&inspect);
                        if started != self.started_at {
                            self.started_at = started;
                            return Waited::Restarted(started);
                        }
                        return Waited::Same;
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures > MAX_FAILURES {
                        return Waited::Failed(e.to_string());
                    }
                    tokio::time::sleep(backoff(failures)).await;
                    continue;
                }
            }
            let event = tokio::select! {
                event = events.next() => event,
                () = self.tx.closed() => return Waited::Closed,
            };
            match event {
                Some(Ok(message)) if message.action.as_deref() == Some("destroy") => {
                    return Waited::Removed;
                }
                // A start: look again.
                Some(Ok(_)) => {}
                // The events stream broke: subscribe again after a pause.
                Some(Err(_)) | None => {
                    failures += 1;
                    tokio::time::sleep(backoff(failures)).await;
                }
            }
        }
    }
}
