//! The console's compose effects, carried out off the loop: reading the `-f` files (file I/O,
//! on a blocking thread) and running a plan through [`crate::reconcile::apply::apply`] with a
//! progress channel. What comes back is a [`ComposeMsg`] on the loop's message channel; what
//! the console's own log (the log pane) should keep is logged here: a load error, each line
//! of a build's or pull's output (also shown on the status line), each failed step with its
//! error, and the apply's summary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::effects::LOG_TARGET;
use crate::actions::ActionContext;
use crate::app::compose::{ComposeMsg, SharedProject, apply_summary};
use crate::app::{LoadError, Msg};
use crate::engine::Endpoint;
use crate::reconcile::apply::{self, ApplyOptions};
use crate::reconcile::compose::{self, LoadOptions};
use crate::reconcile::plan::Plan;

/// How long a service may take to become healthy (or complete) before its dependants start.
const WAIT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long an image pull may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(600);

/// Reads the files on a blocking thread; sends `ComposeMsg::Loaded`, then the image id each
/// service's image names on `endpoint` now (`ComposeMsg::Images`: the "image changed" mark).
pub fn load(
    files: Vec<PathBuf>,
    project_name: Option<String>,
    endpoint: Endpoint,
    tx: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        let read = tokio::task::spawn_blocking(move || {
            let mut options = LoadOptions::new(files);
            options.project_name = project_name;
            compose::load(&options)
        })
        .await;
        let result = match read {
            Ok(Ok(project)) => {
                log::info!(target: LOG_TARGET, "compose: read project {}", project.name);
                for line in &project.warnings {
                    log::warn!(target: LOG_TARGET, "compose: {line}");
                }
                Ok(SharedProject(Arc::new(project)))
            }
            Ok(Err(e)) => Err(LoadError::Compose(e.to_string())),
            Err(e) => Err(LoadError::Task {
                what: "reading the compose files",
                why: e.to_string(),
            }),
        };
        if let Err(e) = &result {
            log::error!(target: LOG_TARGET, "compose: {e}");
        }
        let project = result.as_ref().ok().map(|p| Arc::clone(&p.0));
        let _ = tx.send(Msg::Compose(ComposeMsg::Loaded(result))).await;
        let Some(project) = project else {
            return;
        };
        let mut ids = BTreeMap::new();
        for spec in &project.services {
            if ids.contains_key(&spec.image) {
                continue;
            }
            match endpoint.image_id(&spec.image).await {
                Ok(Some(id)) => {
                    ids.insert(spec.image.clone(), id);
                }
                Ok(None) => {}
                Err(e) => {
                    log::warn!(target: LOG_TARGET, "compose: inspecting image {}: {e}", spec.image);
                }
            }
        }
        let _ = tx.send(Msg::Compose(ComposeMsg::Images(ids))).await;
    });
}

/// Runs `plan`; sends a `ComposeMsg::Step` per step as it is done, then `ComposeMsg::Applied`.
pub fn run(
    context: ActionContext,
    project: SharedProject,
    plan: Plan,
    parallelism: usize,
    tx: mpsc::Sender<Msg>,
) {
    log::info!(target: LOG_TARGET, "apply {}: {} steps", plan.project, plan.steps.len());
    tokio::spawn(async move {
        let (progress_tx, mut progress_rx) = mpsc::channel(64);
        let forward_tx = tx.clone();
        let forward = tokio::spawn(async move {
            while let Some(outcome) = progress_rx.recv().await {
                let msg = Msg::Compose(ComposeMsg::Step(Box::new(outcome)));
                if forward_tx.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let options = ApplyOptions {
            remove_orphans: false,
            wait_timeout: WAIT_TIMEOUT,
            parallelism: parallelism.max(1),
            pull_timeout: PULL_TIMEOUT,
            pull: false,
        };
        let (events_tx, mut events_rx) = mpsc::channel::<apply::Progress>(64);
        let events_forward_tx = tx.clone();
        let events = tokio::spawn(async move {
            while let Some(p) = events_rx.recv().await {
                log::info!(target: LOG_TARGET, "{} {} | {}", p.service, p.kind, p.line);
                let msg = Msg::Compose(ComposeMsg::Progress(Box::new(p)));
                if events_forward_tx.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let report = apply::apply_with(
            &context,
            &project.0,
            &plan,
            &options,
            Some(progress_tx),
            Some(events_tx),
        )
        .await;
        // Every step's and progress line's message goes before the report's.
        let _ = forward.await;
        let _ = events.await;
        for o in report.outcomes.iter().filter(|o| !o.ok) {
            let why = o.error.as_deref().unwrap_or(o.outcome.as_str());
            log::error!(
                target: LOG_TARGET,
                "apply {}: {} {} failed: {why}",
                report.project,
                o.step.action.word(),
                o.step.name
            );
        }
        let (summary, failed) = apply_summary(&report);
        if failed {
            log::error!(target: LOG_TARGET, "{} {summary}", report.project);
        } else {
            log::info!(target: LOG_TARGET, "{} {summary}", report.project);
        }
        let _ = tx
            .send(Msg::Compose(ComposeMsg::Applied(Box::new(report))))
            .await;
    });
}
