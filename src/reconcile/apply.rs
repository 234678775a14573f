//! STUB of the apply step (the real one is built on another branch and replaces this file at
//! merge): the same items and signatures, no daemon calls. Every mutating step is reported as
//! skipped ("not built"); the others as what they are.

use serde::Serialize;

use super::compose::Project;
use super::plan::{self, Plan, PlanOptions};
use crate::actions::ActionContext;
use crate::engine::{ContainerId, Endpoint, EngineError};

/// How to apply.
pub struct ApplyOptions {
    pub remove_orphans: bool,
    pub wait_timeout: std::time::Duration,
    pub parallelism: usize,
    pub pull_timeout: std::time::Duration,
}

/// One step's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub step: plan::Step,
    pub ok: bool,
    pub outcome: String,
    pub error: Option<String>,
    pub container: Option<ContainerId>,
}

/// Every step's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub project: String,
    pub outcomes: Vec<StepOutcome>,
}

impl ApplyReport {
    /// Whether every step succeeded.
    pub fn ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.ok)
    }
}

/// Runs `plan` (stub: changes nothing).
pub async fn apply(
    _ctx: &ActionContext,
    project: &Project,
    plan: &Plan,
    _opts: &ApplyOptions,
    progress: Option<tokio::sync::mpsc::Sender<StepOutcome>>,
) -> ApplyReport {
    let mut outcomes = Vec::new();
    for step in &plan.steps {
        let mutates = step.action.mutates();
        let outcome = StepOutcome {
            step: step.clone(),
            ok: !mutates,
            outcome: if mutates {
                "skipped".to_string()
            } else {
                step.action.word().to_string()
            },
            error: mutates.then(|| "not built".to_string()),
            container: step.container.clone(),
        };
        if let Some(tx) = &progress {
            let _ = tx.send(outcome.clone()).await;
        }
        outcomes.push(outcome);
    }
    ApplyReport {
        project: project.name.clone(),
        outcomes,
    }
}

/// Plans `project` against the daemon's containers now.
pub async fn plan_live(
    endpoint: &Endpoint,
    project: &Project,
    opts: &PlanOptions,
) -> Result<Plan, EngineError> {
    let actual = endpoint.list(&std::collections::HashMap::new()).await?;
    Ok(plan::plan(project, &actual, opts))
}
