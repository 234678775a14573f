//! One step carried out through the action layer. Every error says what was being done
//! ("creating shop-web-2: ...").

use std::time::Duration;

use super::{Outcome, Run, StepError, StepOutcome};
use crate::actions::compose::Mutation;
use crate::actions::{Action as Act, DEFAULT_STOP_TIMEOUT, Target};
use crate::engine::ContainerId;
use crate::reconcile::COMPOSE_IMAGE_LABEL;
use crate::reconcile::body::create_request;
use crate::reconcile::compose::ServiceSpec;
use crate::reconcile::files::{carry_anonymous_volumes, unavailable};
use crate::reconcile::plan::{Action, Step};

/// The outcome of a step that changes nothing.
pub(super) fn passive(step: &Step) -> StepOutcome {
    match &step.action {
        Action::Conflict { holder } => StepOutcome::new(
            step,
            false,
            Outcome::Conflict,
            Some(format!(
                "the name {} is held by container {} that is not this project's: left untouched",
                step.name,
                holder.short()
            )),
        ),
        Action::Orphan => StepOutcome::new(step, true, Outcome::Orphan, None),
        _ => StepOutcome::new(step, true, Outcome::Unchanged, None),
    }
}

fn stop_timeout(spec: Option<&ServiceSpec>) -> u64 {
    spec.and_then(|s| s.stop_grace_period)
        .map_or(DEFAULT_STOP_TIMEOUT, |d: Duration| d.as_secs())
}

/// A mutation's result as `doing NAME: reason`, with an audit failure counted as one.
fn check<T>(done: Mutation<T>, doing: &str, name: &str) -> Result<T, StepError> {
    match (done.result, done.audit_error) {
        (Err(e), _) => Err(StepError::Action {
            doing: doing.to_string(),
            name: name.to_string(),
            reason: e.reason(),
        }),
        (Ok(_), Some(a)) => Err(StepError::Audit {
            doing: doing.to_string(),
            name: name.to_string(),
            audit: a.to_string(),
        }),
        (Ok(v), None) => Ok(v),
    }
}

async fn act(run: &Run<'_>, action: &Act, target: &Target, doing: &str) -> Result<(), StepError> {
    let report = run.ctx.execute(action, target).await;
    check(
        Mutation {
            result: report.result.map(|_| ()),
            audit_error: report.audit_error,
        },
        doing,
        &target.name,
    )
}

/// Carries out `step` (of `spec`, or an orphan's without one).
pub(super) async fn run_step(
    run: &Run<'_>,
    spec: Option<&ServiceSpec>,
    step: &Step,
    image_id: Option<&str>,
) -> StepOutcome {
    if let Some(outcome) = image_unchanged(run, step, image_id).await {
        return outcome;
    }
    let result = match (&step.action, spec) {
        (Action::Create, Some(spec)) => create(run, spec, step, image_id).await,
        (Action::Recreate { .. }, Some(spec)) => recreate(run, spec, step, image_id).await,
        (Action::Start, _) => match &step.container {
            Some(id) => act(run, &Act::Start, &target(id, &step.name), "starting")
                .await
                .map(|()| (id.clone(), Outcome::Started)),
            None => Err(StepError::NoContainer {
                doing: "starting",
                name: step.name.clone(),
            }),
        },
        (Action::Remove { .. }, _) => match &step.container {
            Some(id) => remove(run, spec, &target(id, &step.name), true)
                .await
                .map(|()| (id.clone(), Outcome::Removed)),
            None => Err(StepError::NoContainer {
                doing: "removing",
                name: step.name.clone(),
            }),
        },
        (Action::Create | Action::Recreate { .. }, None) => {
            Err(StepError::NotInFiles(step.name.clone()))
        }
        // A build is carried out before the service's other steps (see `Run::service`).
        (Action::Build | Action::Unchanged | Action::Orphan | Action::Conflict { .. }, _) => {
            return passive(step);
        }
    };
    match result {
        Ok((id, word)) => {
            let mut outcome = StepOutcome::new(step, true, word, None);
            outcome.container = Some(id);
            outcome
        }
        Err(e) => StepOutcome::failed(step, e.to_string()),
    }
}

fn target(id: &ContainerId, name: &str) -> Target {
    Target {
        id: id.clone(),
        name: name.to_string(),
    }
}

fn number(step: &Step) -> u32 {
    step.number.unwrap_or(1)
}

async fn create(
    run: &Run<'_>,
    spec: &ServiceSpec,
    step: &Step,
    image_id: Option<&str>,
) -> Result<(ContainerId, Outcome), StepError> {
    if let Some(why) = unavailable(run.project, spec) {
        return Err(StepError::Unavailable {
            doing: "creating",
            name: step.name.clone(),
            why,
        });
    }
    let request = create_request(run.project, spec, number(step), &step.name, image_id);
    let id = check(
        run.ctx.create_container(&request).await,
        "creating",
        &step.name,
    )?;
    act(run, &Act::Start, &target(&id, &step.name), "starting").await?;
    Ok((id, Outcome::Created))
}

/// Stops and removes `t`; `volumes`: its anonymous volumes too (not on a recreate, whose new
/// container is made before the old one goes).
async fn remove(
    run: &Run<'_>,
    spec: Option<&ServiceSpec>,
    t: &Target,
    volumes: bool,
) -> Result<(), StepError> {
    let stop = Act::Stop {
        timeout_s: stop_timeout(spec),
    };
    act(run, &stop, t, "stopping").await?;
    let rm = Act::Remove {
        force: false,
        volumes,
    };
    act(run, &rm, t, "removing").await
}

/// The new container first (under `OLDID_NAME`, as compose names it), then the old one stopped
/// and removed, then the new one renamed and started. A failure before the old one is gone
/// removes the new one again.
async fn recreate(
    run: &Run<'_>,
    spec: &ServiceSpec,
    step: &Step,
    image_id: Option<&str>,
) -> Result<(ContainerId, Outcome), StepError> {
    let Some(old) = &step.container else {
        return Err(StepError::NoContainer {
            doing: "recreating",
            name: step.name.clone(),
        });
    };
    if let Some(why) = unavailable(run.project, spec) {
        return Err(StepError::Unavailable {
            doing: "recreating",
            name: step.name.clone(),
            why,
        });
    }
    let temp = format!("{}_{}", old.short(), step.name);
    let mut request = create_request(run.project, spec, number(step), &temp, image_id);
    match run.ctx.endpoint.inspect(&old.0).await {
        Ok(Some(inspect)) => carry_anonymous_volumes(run.project, &inspect, &mut request),
        Ok(None) => {}
        Err(e) => {
            let doing = format!("recreating {}: inspecting it", step.name);
            return Err(StepError::daemon(doing, e));
        }
    }
    let new = check(run.ctx.create_container(&request).await, "creating", &temp)?;
    let new_target = target(&new, &temp);
    let old_target = target(old, &step.name);
    if let Err(e) = remove(run, Some(spec), &old_target, false).await {
        let rm = Act::Remove {
            force: true,
            volumes: false,
        };
        let _ = run.ctx.execute(&rm, &new_target).await;
        return Err(e);
    }
    check(
        run.ctx.rename_container(&new_target, &step.name).await,
        &format!("renaming {temp} to"),
        &step.name,
    )?;
    act(run, &Act::Start, &target(&new, &step.name), "starting").await?;
    Ok((new, Outcome::Recreated))
}

/// Restarts an unchanged container of `spec` because a dependency with `restart: true` was
/// recreated (compose's `depends_on.restart`).
pub(super) async fn restart(run: &Run<'_>, spec: &ServiceSpec, step: &Step) -> StepOutcome {
    let Some(id) = &step.container else {
        return passive(step);
    };
    let action = Act::Restart {
        timeout_s: stop_timeout(Some(spec)),
    };
    match act(run, &action, &target(id, &step.name), "restarting").await {
        Ok(()) => StepOutcome::new(step, true, Outcome::Restarted, None),
        Err(e) => StepOutcome::failed(step, e.to_string()),
    }
}

/// A recreate planned only for a new image (`--build`, `pull_policy: build`, `--pull`) whose
/// image turned out the same (the build cache made the same image): the container is kept,
/// as compose keeps it; started when it is not running. `None`: recreate as planned.
async fn image_unchanged(
    run: &Run<'_>,
    step: &Step,
    image_id: Option<&str>,
) -> Option<StepOutcome> {
    let Action::Recreate { changed } = &step.action else {
        return None;
    };
    let (Some(new), Some(id)) = (image_id, &step.container) else {
        return None;
    };
    if changed.len() != 1 || changed[0] != "image" {
        return None;
    }
    let inspect = run.ctx.endpoint.inspect(&id.0).await.ok()??;
    let config = inspect.config.as_ref()?;
    let old = config.labels.as_ref()?.get(COMPOSE_IMAGE_LABEL)?;
    if old != new {
        return None;
    }
    let running = inspect.state.as_ref().and_then(|s| s.running) == Some(true);
    if running {
        return Some(StepOutcome::new(step, true, Outcome::Unchanged, None));
    }
    Some(
        match act(run, &Act::Start, &target(id, &step.name), "starting").await {
            Ok(()) => StepOutcome::new(step, true, Outcome::Started, None),
            Err(e) => StepOutcome::failed(step, e.to_string()),
        },
    )
}
