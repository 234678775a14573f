//! The keeper's background tasks, supervised: each is spawned with what it is about ([`Task`]),
//! so that one that ends without its result (it panicked, or was cancelled) is known by what it
//! was doing: it is reported (`log::error!`, a `task_failed` decision, a `keeper.task_failed`
//! note in the store) and the keeper's marks for it are cleared, so that the project, container
//! or job it was about is kept again instead of silently never again.

use std::collections::HashMap;
use std::future::Future;

use serde_json::json;
use tokio::task::{JoinError, JoinSet};

use super::{Done, Keeper, RestartFailed};
use crate::engine::ContainerId;

/// What a background task of the keeper is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Task {
    /// Restarting (or starting) a kept container.
    Restart { id: ContainerId, name: String },
    /// A reconcile pass over the projects.
    Reconcile,
    /// A GC pass.
    Gc,
    /// A run of job `index`.
    Job { index: usize },
    /// Inspecting the containers whose restart is being verified.
    Verify,
    /// The alerts task (restarted when it fails).
    Alerts,
}

impl Task {
    /// The word in the decision log and the store's note.
    pub(super) fn word(&self) -> &'static str {
        match self {
            Self::Restart { .. } => "restart",
            Self::Reconcile => "reconcile",
            Self::Gc => "gc",
            Self::Job { .. } => "job",
            Self::Verify => "verify",
            Self::Alerts => "alerts",
        }
    }
}

/// How a supervised task ended.
#[derive(Debug)]
pub(super) enum Joined {
    /// With its result.
    Done(Done),
    /// Without one: `reason` says why (`panicked: ...`, `was cancelled`).
    Failed { task: Task, reason: String },
}

/// The keeper's running tasks, each with what it is about.
#[derive(Default)]
pub(super) struct Tasks {
    set: JoinSet<Done>,
    about: HashMap<tokio::task::Id, Task>,
}

impl Tasks {
    /// Spawns `work` as `task`.
    pub(super) fn spawn(&mut self, task: Task, work: impl Future<Output = Done> + Send + 'static) {
        let handle = self.set.spawn(work);
        self.about.insert(handle.id(), task);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The next task to end, with its result or why it has none; `None` when none runs.
    pub(super) async fn join_next(&mut self) -> Option<Joined> {
        let joined = self.set.join_next_with_id().await?;
        Some(match joined {
            Ok((id, done)) => {
                self.about.remove(&id);
                Joined::Done(done)
            }
            Err(e) => {
                let task = self.about.remove(&e.id());
                let reason = failure(e);
                match task {
                    Some(task) => Joined::Failed { task, reason },
                    // Every task is spawned through `spawn`: this is not reached.
                    None => Joined::Failed {
                        task: Task::Verify,
                        reason: format!("an unknown task {reason}"),
                    },
                }
            }
        })
    }

    pub(super) fn abort_all(&mut self) {
        self.set.abort_all();
    }
}

/// Why a task ended without a result, with the panic's message when it panicked.
fn failure(e: JoinError) -> String {
    if !e.is_panic() {
        return "was cancelled".to_string();
    }
    let payload = e.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    format!("panicked: {message}")
}

impl Keeper {
    /// A task ended: its result is taken in, or its failure reported and its marks cleared.
    pub(super) fn joined(&mut self, joined: Joined) {
        match joined {
            Joined::Done(done) => self.finished(done),
            Joined::Failed { task, reason } => self.task_failed(task, &reason),
        }
    }

    /// A task ended without a result: said (a log line, a decision, a note in the store), and
    /// what it held released: a restart counts as one that failed, a pass or a job's run as
    /// ended, so the next one goes.
    fn task_failed(&mut self, task: Task, reason: &str) {
        let (subject, id, what) = match &task {
            Task::Restart { id, name } => {
                (name.clone(), id.0.clone(), format!("restart of {name}"))
            }
            Task::Reconcile => (String::new(), String::new(), "reconcile pass".to_string()),
            Task::Gc => (String::new(), String::new(), "GC pass".to_string()),
            Task::Job { index } => {
                let name = self
                    .setup
                    .jobs
                    .get(*index)
                    .map_or_else(|| format!("#{index}"), |j| j.name.clone());
                (name.clone(), String::new(), format!("run of job {name}"))
            }
            Task::Verify => (String::new(), String::new(), "verification".to_string()),
            Task::Alerts => (String::new(), String::new(), "alerts task".to_string()),
        };
        let said = format!("the keeper's {what} {reason}; released, it is kept again");
        log::error!("keep: {said}");
        self.setup.log.log(
            "task_failed",
            &subject,
            (!id.is_empty()).then_some(id.as_str()),
            &said,
            json!({ "task": task.word() }),
        );
        self.note(
            &id,
            "keeper.task_failed",
            json!({ "name": subject, "task": task.word(), "reason": said }),
        );
        match task {
            Task::Restart { id, name } => {
                self.restarted(id, &name, Err(RestartFailed::Task(reason.to_string())))
            }
            Task::Reconcile => self.reconciling = false,
            Task::Gc => self.collecting = false,
            Task::Job { index } => {
                self.jobs_running = self.jobs_running.saturating_sub(1);
                self.scheduler.finished(index);
            }
            Task::Verify => self.verifying = false,
            Task::Alerts => self.start_alerts(),
        }
    }
}

#[cfg(test)]
#[path = "supervise_tests.rs"]
mod tests;
