//! A service's logs: every task's output read through the manager (`/tasks/ID/logs`, which
//! reaches the node the task ran on), each line named `task@node`, the tails merged by time,
//! then, when following, every running task followed and new tasks picked up as the swarm
//! starts them (the task list read again at a modest rate). Same escape stripping as
//! container logs ([`crate::engine::logs::Demuxer`]).

use std::collections::HashSet;
use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream};
use serde::Serialize;
use tokio::sync::mpsc;

use super::model::{NodeRow, ServiceRow, TaskRow};
use crate::engine::logs::{Demuxer, LogStream, Tail};
use crate::engine::{Endpoint, EngineError};

/// How often a followed service's task list is read again for new tasks.
const TASK_POLL: Duration = Duration::from_secs(2);
/// How many tasks' tails are read at once.
const TAIL_CONCURRENCY: usize = 8;

/// One line of a service's logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceLogLine {
    pub time: Option<DateTime<Utc>>,
    pub stream: LogStream,
    /// The task's name (`web.3`) and the node's hostname.
    pub task: String,
    pub node: String,
    pub text: String,
}

impl ServiceLogLine {
    /// `task@node`, the column the line is shown under.
    pub fn source(&self) -> String {
        format!("{}@{}", self.task, self.node)
    }
}

/// What a service's log stream sends.
#[derive(Debug)]
pub enum ServiceLogEvent {
    /// Lines; the first batch (every task's tail) in time order, then as they come.
    Lines(Vec<ServiceLogLine>),
    /// The tails are sent; what follows is live.
    CaughtUp,
    /// A read failed (the stream goes on with the other tasks when following).
    Failed(EngineError),
    /// Nothing more comes (not following).
    Ended,
}

/// What to read of a service's logs.
#[derive(Debug, Clone)]
pub struct ServiceLogRequest {
    pub service: ServiceRow,
    pub follow: bool,
    pub tail: Tail,
    pub max_line_bytes: usize,
    /// Keep the lines' SGR sequences (colours), as [`crate::engine::logs::LogsOptions::keep_sgr`].
    pub keep_sgr: bool,
}

impl Endpoint {
    /// One task's logs from this manager: the last `tail` lines, then, with `follow`, on until
    /// the task's container ends. Lines come in batches, as read.
    pub fn task_logs(
        &self,
        task_id: &str,
        follow: bool,
        tail: Tail,
        (max_line_bytes, keep_sgr): (usize, bool),
    ) -> impl Stream<Item = Result<Vec<(DateTimeOpt, LogStream, String)>, EngineError>> + use<>
    {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(follow)
            .timestamps(true)
            .tail(&tail.query())
            .build();
        let endpoint = self.clone();
        let mut demuxer = Demuxer::new(false, true, max_line_bytes).keep_sgr(keep_sgr);
        self.docker
            .task_logs(task_id, Some(options))
            .map(move |chunk| match chunk {
                Ok(output) => {
                    let mut lines = Vec::new();
                    demuxer.push_output(&output, &mut lines);
                    Ok(lines
                        .into_iter()
                        .map(|l| (l.time, l.stream, l.text))
                        .collect())
                }
                Err(e) => Err(endpoint.error(e)),
            })
    }
}

/// A line's time, when the daemon gave one.
pub type DateTimeOpt = Option<DateTime<Utc>>;

/// Starts reading `request`'s service logs into `tx`; the reading stops when the handle is
/// dropped (or `tx` closes).
pub fn open(
    endpoint: &Endpoint,
    request: ServiceLogRequest,
    tx: mpsc::Sender<ServiceLogEvent>,
) -> ServiceLogHandle {
    let endpoint = endpoint.clone();
    ServiceLogHandle {
        task: tokio::spawn(run(endpoint, request, tx)),
    }
}

/// A running service log stream; dropping it stops the reading.
#[derive(Debug)]
pub struct ServiceLogHandle {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ServiceLogHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn current_tasks(
    endpoint: &Endpoint,
    service: &ServiceRow,
) -> Result<Vec<TaskRow>, EngineError> {
    let nodes: Vec<NodeRow> = endpoint.nodes().await?;
    endpoint.service_tasks(service, &nodes).await
}

fn named(task: &TaskRow, lines: Vec<(DateTimeOpt, LogStream, String)>) -> Vec<ServiceLogLine> {
    let node = if task.node.is_empty() {
        task.node_id.chars().take(12).collect()
    } else {
        task.node.clone()
    };
    lines
        .into_iter()
        .map(|(time, stream, text)| ServiceLogLine {
            time,
            stream,
            task: task.name.clone(),
            node: node.clone(),
            text,
        })
        .collect()
}

/// Every task's tail, read a few at once, merged by time.
async fn tails(
    endpoint: &Endpoint,
    tasks: &[TaskRow],
    request: &ServiceLogRequest,
) -> Result<Vec<ServiceLogLine>, EngineError> {
    let with_output: Vec<TaskRow> = tasks
        .iter()
        .filter(|t| t.container_id.is_some())
        .cloned()
        .collect();
    let (tail, line) = (request.tail, (request.max_line_bytes, request.keep_sgr));
    let read = stream::iter(with_output)
        .map(|task| {
            let logs = endpoint.task_logs(&task.id, false, tail, line);
            async move {
                let mut lines = Vec::new();
                let mut logs = Box::pin(logs);
                while let Some(batch) = logs.next().await {
                    lines.extend(named(&task, batch?));
                }
                Ok::<_, EngineError>(lines)
            }
        })
        .buffer_unordered(TAIL_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut all = Vec::new();
    for lines in read {
        all.extend(lines?);
    }
    all.sort_by_key(|l| l.time);
    Ok(all)
}

async fn run(endpoint: Endpoint, request: ServiceLogRequest, tx: mpsc::Sender<ServiceLogEvent>) {
    let tasks = match current_tasks(&endpoint, &request.service).await {
        Ok(tasks) => tasks,
        Err(e) => {
            let _ = tx.send(ServiceLogEvent::Failed(e)).await;
            return;
        }
    };
    match tails(&endpoint, &tasks, &request).await {
        Ok(lines) if !lines.is_empty() => {
            let _ = tx.send(ServiceLogEvent::Lines(lines)).await;
        }
        Ok(_) => {}
        Err(e) => {
            let _ = tx.send(ServiceLogEvent::Failed(e)).await;
        }
    }
    if !request.follow {
        let _ = tx.send(ServiceLogEvent::Ended).await;
        return;
    }
    if tx.send(ServiceLogEvent::CaughtUp).await.is_err() {
        return;
    }
    follow(endpoint, request, tasks, tx).await;
}

/// Follows every running task, and the tasks that start later, until `tx` closes.
async fn follow(
    endpoint: Endpoint,
    request: ServiceLogRequest,
    first: Vec<TaskRow>,
    tx: mpsc::Sender<ServiceLogEvent>,
) {
    let mut followed: HashSet<String> = HashSet::new();
    let mut readers = tokio::task::JoinSet::new();
    let mut tasks = first;
    let mut initial = true;
    loop {
        for task in tasks
            .iter()
            .filter(|t| t.wanted() && t.container_id.is_some())
        {
            if !followed.insert(task.id.clone()) {
                continue;
            }
            // A task already running had its tail sent; one that started since, all of it.
            let tail = if initial { Tail::Last(0) } else { Tail::All };
            let logs = endpoint.task_logs(
                &task.id,
                true,
                tail,
                (request.max_line_bytes, request.keep_sgr),
            );
            let (task, tx) = (task.clone(), tx.clone());
            readers.spawn(async move {
                let mut logs = Box::pin(logs);
                while let Some(batch) = logs.next().await {
                    let event = match batch {
                        Ok(lines) => ServiceLogEvent::Lines(named(&task, lines)),
                        Err(e) => ServiceLogEvent::Failed(e),
                    };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
            });
        }
        initial = false;
        tokio::select! {
            () = tokio::time::sleep(TASK_POLL) => {}
            () = tx.closed() => return,
        }
        while readers.try_join_next().is_some() {}
        match current_tasks(&endpoint, &request.service).await {
            Ok(now) => tasks = now,
            Err(e) => {
                if tx.send(ServiceLogEvent::Failed(e)).await.is_err() {
                    return;
                }
            }
        }
    }
}
