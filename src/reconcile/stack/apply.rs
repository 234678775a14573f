//! Carrying a stack plan out on a manager, through the action layer: networks, secrets and
//! configs first, then services (their secret and config ids filled in), then the removals,
//! services before the networks, secrets and configs they used. A removed service's tasks
//! keep its networks for a moment after it is gone, so a removal of a network, secret or
//! config the manager refuses is tried again, once a second, for up to [`REMOVE_PATIENCE`].
//! A conflict is skipped, and so is everything that needed what failed before it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::NAMESPACE_LABEL;
use super::plan::{Action, Current, Kind, Payload, StackPlan, Step, with_ids};
use crate::actions::ActionContext;
use crate::actions::compose::Mutation;
use crate::engine::{Endpoint, EngineError};

/// How long a refused removal of a network, secret or config is tried again.
pub const REMOVE_PATIENCE: Duration = Duration::from_secs(60);

/// What became of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub kind: Kind,
    pub name: String,
    /// `created`, `updated`, `unchanged`, `removed`, `failed`, `skipped`, `conflict`.
    pub outcome: &'static str,
    pub ok: bool,
    pub id: Option<String>,
    pub error: Option<String>,
    /// The manager's warnings (an update's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What the manager has of stack `stack`: its services, and every network, secret, config.
pub async fn current(endpoint: &Endpoint, stack: &str) -> Result<Current, EngineError> {
    let (services, health_read) = endpoint
        .services_labelled_with_health(NAMESPACE_LABEL, stack)
        .await?;
    Ok(Current {
        services,
        health_read,
        networks: endpoint.network_objects().await?,
        secrets: endpoint.secret_objects().await?,
        configs: endpoint.config_objects().await?,
    })
}

fn outcome<T>(step: &Step, done: Mutation<T>, word: &'static str) -> (StepOutcome, Option<T>) {
    let mut o = StepOutcome {
        kind: step.kind,
        name: step.name.clone(),
        outcome: word,
        ok: true,
        id: step.id.clone(),
        error: done.audit_error.map(|e| format!("audit log: {e}")),
        warnings: Vec::new(),
    };
    match done.result {
        Ok(value) => (o, Some(value)),
        Err(e) => {
            o.ok = false;
            o.outcome = "failed";
            o.error = Some(e.to_string());
            (o, None)
        }
    }
}

fn plain(step: &Step, word: &'static str, ok: bool, error: Option<String>) -> StepOutcome {
    StepOutcome {
        kind: step.kind,
        name: step.name.clone(),
        outcome: word,
        ok,
        id: step.id.clone(),
        error,
        warnings: Vec::new(),
    }
}

/// Ids by name of the objects of `kind` that exist, planned or made.
struct Made {
    secrets: HashMap<String, String>,
    configs: HashMap<String, String>,
    failed: bool,
}

/// Applies `plan`; `current` gives the ids of the external secrets and configs. Each outcome
/// goes to `report` as it comes.
pub async fn apply(
    ctx: &ActionContext,
    plan: &StackPlan,
    current: &Current,
    mut report: impl FnMut(&StepOutcome),
) -> Vec<StepOutcome> {
    let ids = |list: &[super::plan::ObjectInfo]| -> HashMap<String, String> {
        list.iter()
            .map(|o| (o.name.clone(), o.id.clone()))
            .collect()
    };
    let mut made = Made {
        secrets: ids(&current.secrets),
        configs: ids(&current.configs),
        failed: false,
    };
    let mut outcomes = Vec::new();
    for step in &plan.steps {
        let o = run_step(ctx, step, &mut made).await;
        made.failed |= !o.ok && step.action != Action::Remove && step.kind != Kind::Service;
        report(&o);
        outcomes.push(o);
    }
    outcomes
}

async fn run_step(ctx: &ActionContext, step: &Step, made: &mut Made) -> StepOutcome {
    match (&step.action, &step.payload) {
        (Action::Unchanged, _) => plain(step, "unchanged", true, None),
        (Action::Conflict { reason }, _) => plain(step, "conflict", false, Some(reason.clone())),
        (Action::Remove, _) => remove(ctx, step).await,
        (_, Payload::Network(request)) => {
            outcome(step, ctx.create_network(request.clone()).await, "created").0
        }
        (_, Payload::Secret(spec)) => {
            let (mut o, id) = outcome(step, ctx.create_secret(spec.clone()).await, "created");
            if let Some(id) = id {
                made.secrets.insert(step.name.clone(), id.clone());
                o.id = Some(id);
            }
            o
        }
        (_, Payload::Config(spec)) => {
            let (mut o, id) = outcome(step, ctx.create_config(spec.clone()).await, "created");
            if let Some(id) = id {
                made.configs.insert(step.name.clone(), id.clone());
                o.id = Some(id);
            }
            o
        }
        (_, Payload::Service(spec, version)) => {
            if made.failed {
                let why = "skipped: an object it may need was not made".to_string();
                return plain(step, "skipped", false, Some(why));
            }
            let mut spec = (**spec).clone();
            with_ids(&mut spec, &made.secrets, &made.configs);
            match (&step.id, version) {
                (Some(id), Some(version)) => {
                    let done = ctx.update_service(id, *version, spec).await;
                    let (mut o, warnings) = outcome(step, done, "updated");
                    o.warnings = warnings.unwrap_or_default();
                    o
                }
                _ => {
                    let (mut o, id) = outcome(step, ctx.create_service(spec).await, "created");
                    o.id = id.or(o.id);
                    o
                }
            }
        }
        (_, Payload::None) => plain(step, "skipped", false, Some("nothing to send".into())),
    }
}

async fn remove(ctx: &ActionContext, step: &Step) -> StepOutcome {
    let id = step.id.clone().unwrap_or_else(|| step.name.clone());
    if step.kind == Kind::Service {
        return outcome(step, ctx.remove_service(&id, &step.name).await, "removed").0;
    }
    let started = Instant::now();
    loop {
        let done = match step.kind {
            Kind::Network => ctx.remove_network(&id).await,
            Kind::Secret => ctx.remove_secret(&id, &step.name).await,
            _ => ctx.remove_config(&id, &step.name).await,
        };
        let refused_for_now = done.result.as_ref().is_err_and(|e| !e.is_unreachable())
            && !ctx.read_only
            && started.elapsed() < REMOVE_PATIENCE;
        if !refused_for_now {
            return outcome(step, done, "removed").0;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
