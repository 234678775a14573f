//! The console's reader of the swarm manager, while a Swarm view is open: it finds the first
//! manager among the hosts, reads what the view shows (services with their counts; nodes with
//! their running tasks; the shown service's tasks; secrets and configs), then reads again on
//! each of the manager's service/node/secret/config events and, for the task-driven counts on
//! screen (tasks have no events on a manager), every [`REFRESH`] while a service has not
//! converged and every [`SETTLED_REFRESH`] once all have (the triage view's read of every task:
//! every [`SETTLED_REFRESH`]). Nothing is read while no
//! Swarm view is open: the reader is stopped with the view.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use super::effects::LOG_TARGET;
use crate::actions::ActionContext;
use crate::app::Msg;
use crate::app::swarm::{SwarmMsg, SwarmPane, SwarmSnapshot, SwarmWatch};
use crate::app::swarm_act::{SwarmDone, SwarmRequest};
use crate::engine::swarm::ServiceRow;
use crate::engine::{Endpoint, EngineError};

/// How often the counts on screen are read again between events while they move: a service
/// short of its replicas or over them, or updating.
pub const REFRESH: Duration = Duration::from_secs(2);
/// How often they are read again once every service has converged (a task that dies then is
/// seen within this, and followed at [`REFRESH`] until the service has recovered); and the
/// triage view's read of every task for its Swarm rules, whatever the services do (the
/// console's pace for the containers' vitals too).
pub const SETTLED_REFRESH: Duration = Duration::from_secs(10);
/// Events closer together than this cause one read.
const SETTLE: Duration = Duration::from_millis(200);

/// The reader: started with the first Swarm view, stopped when the views close.
#[derive(Debug, Default)]
pub struct SwarmFeed {
    running: Option<(watch::Sender<SwarmWatch>, tokio::task::JoinHandle<()>)>,
}

impl SwarmFeed {
    /// Reads for `watch` from now on (`None`: stop reading).
    pub fn set(
        &mut self,
        watch: Option<SwarmWatch>,
        endpoints: Vec<Endpoint>,
        tx: mpsc::Sender<Msg>,
    ) {
        match (watch, &self.running) {
            (None, _) => {
                if let Some((_, task)) = self.running.take() {
                    task.abort();
                }
            }
            (Some(w), Some((sender, task))) if !task.is_finished() => {
                let _ = sender.send(w);
            }
            (Some(w), _) => {
                let (sender, receiver) = watch::channel(w);
                let task = tokio::spawn(run(endpoints, receiver, tx));
                self.running = Some((sender, task));
            }
        }
    }
}

impl Drop for SwarmFeed {
    fn drop(&mut self) {
        if let Some((_, task)) = self.running.take() {
            task.abort();
        }
    }
}

async fn manager_of(endpoints: &[Endpoint]) -> Option<Endpoint> {
    for endpoint in endpoints {
        if let Ok(info) = endpoint.swarm_info().await
            && info.manager
        {
            return Some(endpoint.clone());
        }
    }
    None
}

/// One read of what `watch` shows.
async fn read(manager: &Endpoint, watch: &SwarmWatch) -> Result<SwarmSnapshot, EngineError> {
    let services = manager.services().await?;
    let mut snapshot = SwarmSnapshot {
        manager: manager.name.clone(),
        ..SwarmSnapshot::default()
    };
    match watch.pane {
        SwarmPane::Nodes => snapshot.nodes = manager.nodes_with_tasks().await?,
        SwarmPane::Tasks => {
            snapshot.nodes = manager.nodes().await?;
            if let Some(service) = services
                .iter()
                .find(|s| Some(&s.id) == watch.service.as_ref())
            {
                snapshot.tasks = manager.service_tasks(service, &snapshot.nodes).await?;
            }
        }
        SwarmPane::Objects => {
            snapshot.secrets = manager.secrets().await?;
            snapshot.configs = manager.configs().await?;
        }
        SwarmPane::Services | SwarmPane::Stacks => {}
    }
    if watch.problems {
        // What the Swarm rules of the triage view read: every task, every node.
        snapshot.nodes = manager.nodes().await?;
        snapshot.tasks = manager
            .tasks(&Default::default(), &services, &snapshot.nodes)
            .await?;
    }
    snapshot.services = services;
    Ok(snapshot)
}

/// Runs a Swarm action through the manager's action context (audited, refused read-only), in
/// a task; the answer comes back as `SwarmMsg::Done`.
pub(super) fn run_action(
    request: SwarmRequest,
    context: Option<ActionContext>,
    tx: mpsc::Sender<Msg>,
) {
    log::info!(target: LOG_TARGET, "{}", request.describe());
    tokio::spawn(async move {
        let done = match context {
            None => SwarmDone {
                result: Err(format!(
                    "host '{}' is not one of this console's",
                    request.manager()
                )),
                request,
                warnings: Vec::new(),
                audit_error: None,
            },
            Some(context) => {
                let mutation = match &request {
                    SwarmRequest::Service { name, action, .. } => {
                        context.service_action(name, action).await
                    }
                    SwarmRequest::Node { name, action, .. } => {
                        context.node_action(name, action).await
                    }
                };
                let (result, warnings) = match mutation.result {
                    Ok(outcome) => (Ok(outcome.outcome), outcome.warnings),
                    Err(e) => (Err(e.to_string()), Vec::new()),
                };
                SwarmDone {
                    request,
                    result,
                    warnings,
                    audit_error: mutation.audit_error,
                }
            }
        };
        let _ = tx.send(Msg::Swarm(SwarmMsg::Done(done))).await;
    });
}

/// How long the reader waits for an event before it reads `watch` again, after `last`.
fn pace(watch: &SwarmWatch, last: Option<&SwarmSnapshot>) -> Duration {
    let settled = last.is_some_and(|s| s.services.iter().all(ServiceRow::converged));
    if watch.problems || settled {
        SETTLED_REFRESH
    } else {
        REFRESH
    }
}

async fn run(
    endpoints: Vec<Endpoint>,
    mut watch: watch::Receiver<SwarmWatch>,
    tx: mpsc::Sender<Msg>,
) {
    let Some(manager) = manager_of(&endpoints).await else {
        let names: Vec<&str> = endpoints.iter().map(|e| e.name.as_str()).collect();
        let why = format!("no host is a swarm manager ({})", names.join(", "));
        let _ = tx.send(Msg::Swarm(SwarmMsg::Failed(why))).await;
        return;
    };
    let mut events = Box::pin(manager.swarm_events());
    let mut last: Option<SwarmSnapshot> = None;
    loop {
        let current = watch.borrow_and_update().clone();
        let msg = match read(&manager, &current).await {
            Ok(snapshot) => {
                // An unchanged read is not sent: an idle view costs no redraw.
                if last.as_ref() == Some(&snapshot) {
                    None
                } else {
                    last = Some(snapshot.clone());
                    Some(SwarmMsg::Snapshot(Box::new(snapshot)))
                }
            }
            Err(e) => Some(SwarmMsg::Failed(e.to_string())),
        };
        if let Some(msg) = msg
            && tx.send(Msg::Swarm(msg)).await.is_err()
        {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(pace(&current, last.as_ref())) => {}
            changed = watch.changed() => if changed.is_err() { return },
            event = events.next() => match event {
                Some(Ok(_)) => tokio::time::sleep(SETTLE).await,
                // The stream broke (the manager restarted): follow it again.
                Some(Err(_)) | None => {
                    tokio::time::sleep(REFRESH).await;
                    events = Box::pin(manager.swarm_events());
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(services: Vec<ServiceRow>) -> SwarmSnapshot {
        SwarmSnapshot {
            services,
            ..SwarmSnapshot::default()
        }
    }

    #[test]
    fn counts_that_move_are_read_often_and_settled_ones_seldom() {
        let services = SwarmWatch {
            pane: SwarmPane::Services,
            service: None,
            problems: false,
        };
        assert_eq!(pace(&services, None), REFRESH, "nothing read yet");
        let settled = snapshot(vec![
            ServiceRow::sample(4, 4, None),
            ServiceRow::sample(2, 2, Some("completed")),
        ]);
        assert_eq!(pace(&services, Some(&settled)), SETTLED_REFRESH);
        let short = snapshot(vec![
            ServiceRow::sample(4, 4, None),
            ServiceRow::sample(1, 2, None),
        ]);
        assert_eq!(pace(&services, Some(&short)), REFRESH, "a replica missing");
        let updating = snapshot(vec![ServiceRow::sample(4, 4, Some("updating"))]);
        assert_eq!(
            pace(&services, Some(&updating)),
            REFRESH,
            "an update under way"
        );

        let triage = SwarmWatch {
            problems: true,
            ..services
        };
        assert_eq!(pace(&triage, Some(&short)), SETTLED_REFRESH, "every task");
    }
}
