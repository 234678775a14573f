//! What `run` and `apply` write to the history store: the container a run made and how it
//! ended (create, start, OOM, die with the exit code, destroy when removed), and each
//! container an apply made or started (its row, and an `apply.*` note). The store is
//! optional: one that cannot be opened was a warning already, and the command runs the same.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::actions::run::{
    KIND_LABEL, OWNER_HOST_LABEL, OWNER_LABEL, OWNER_PID_LABEL, RunReport, RunSpec,
};
use crate::engine::{Container, ContainerEvent, Endpoint, EventAction, RunState, from_inspect};
use crate::reconcile::apply::StepOutcome;
use crate::store::StoreWriter;

fn event(container: &Container, action: EventAction, time: DateTime<Utc>) -> ContainerEvent {
    let mut attributes: HashMap<String, String> = container
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    attributes.insert("name".into(), container.name.clone());
    attributes.insert("image".into(), container.image.clone());
    if let EventAction::Die(Some(code)) = action {
        attributes.insert("exitCode".into(), code.to_string());
    }
    ContainerEvent {
        host: container.host.clone(),
        id: container.id.clone(),
        name: Some(container.name.clone()),
        image: Some(container.image.clone()),
        action,
        time: Some(time),
        pod: container.pod.clone(),
        attributes,
    }
}

/// Records the container a run just made (its row and a `create` event at `began`), before
/// it starts.
pub fn created(writer: &StoreWriter, host: &str, container: &Container, began: DateTime<Utc>) {
    let mut container = container.clone();
    container.created.get_or_insert(began);
    writer.record_container(host, &container);
    writer.record_event(host, &event(&container, EventAction::Create, began));
}

/// Records a finished run: started at `began`, the report says how it ended (its `create` was
/// recorded when the container was made, [`created`]).
pub fn run(
    writer: &StoreWriter,
    host: &str,
    spec: &RunSpec,
    report: &RunReport,
    began: DateTime<Utc>,
) {
    let Ok(outcome) = &report.result else { return };
    let mut container = Container::new(outcome.id.clone(), outcome.name.clone());
    container.image = report.image.clone();
    let mut labels: BTreeMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.insert(OWNER_LABEL.into(), "fleetdeck".into());
    labels.insert(KIND_LABEL.into(), "run".into());
    labels.insert(OWNER_PID_LABEL.into(), std::process::id().to_string());
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        labels.insert(OWNER_HOST_LABEL.into(), name.trim().to_string());
    }
    container.set_labels(labels);
    let ended = Utc::now();
    let code = outcome.exit.as_ref().map(|e| e.code);
    container.state = RunState::Exited;
    container.exit_code = code;
    container.oom_killed = outcome.oom_killed;
    container.created = Some(began);
    container.started_at = Some(began);
    container.finished_at = Some(ended);
    writer.record_container(host, &container);
    writer.record_event(host, &event(&container, EventAction::Start, began));
    if outcome.oom_killed {
        writer.record_event(host, &event(&container, EventAction::Oom, ended));
    }
    writer.record_event(host, &event(&container, EventAction::Die(code), ended));
    writer.record_note(
        host,
        &container.id.0,
        "run.exit",
        serde_json::json!({ "status": outcome.status.word(), "exit_code": code }),
    );
    if outcome.removed {
        writer.record_event(host, &event(&container, EventAction::Destroy, Utc::now()));
    }
}

/// Records the containers an apply made, recreated or started: their rows as the daemon has
/// them now, and an `apply.<outcome>` note each.
pub async fn apply(
    writer: &StoreWriter,
    endpoint: &Endpoint,
    project: &str,
    outcomes: &[StepOutcome],
) {
    for o in outcomes {
        let Some(id) = &o.container else { continue };
        if !o.outcome.made_it_run() {
            continue;
        }
        if let Ok(Some(inspect)) = endpoint.inspect(&id.0).await
            && let Some(container) = from_inspect(&inspect)
        {
            writer.record_container(&endpoint.address, &container);
        }
        writer.record_note(
            &endpoint.address,
            &id.0,
            &format!("apply.{}", o.outcome),
            serde_json::json!({ "project": project, "service": o.step.service, "name": o.step.name }),
        );
    }
}

/// Waits (off the async threads) until the writer has written everything, and closes it.
pub async fn finish(writer: StoreWriter) {
    let done = tokio::task::spawn_blocking(move || {
        let result = writer.flush();
        let lost = writer.lost();
        drop(writer);
        (result, lost)
    })
    .await;
    match done {
        Ok((result, lost)) => {
            if let Err(e) = result {
                log::warn!("history not fully recorded: {e}");
            }
            if let Some(lost) = lost {
                log::warn!("{lost}");
            }
        }
        Err(e) => log::warn!("history not fully recorded: the store's flush ended: {e}"),
    }
}
