//! One step carried out through the action layer, and the service's image made present by its
//! pull policy. Every error says what was being done ("creating shop-web-2: ...").

use std::time::Duration;

use super::{Run, StepOutcome};
use crate::actions::compose::Mutation;
use crate::actions::{Action as Act, DEFAULT_STOP_TIMEOUT, Target};
use crate::engine::ContainerId;
use crate::reconcile::body::create_request;
use crate::reconcile::compose::{PullPolicy, ServiceSpec};
use crate::reconcile::plan::{Action, Step};

/// The outcome of a step that changes nothing.
pub(super) fn passive(step: &Step) -> StepOutcome {
    match &step.action {
        Action::Conflict { holder } => StepOutcome::new(
            step,
            false,
            "conflict",
            Some(format!(
                "the name {} is held by container {} that is not this project's: left untouched",
                step.name,
                holder.short()
            )),
        ),
        Action::Orphan => StepOutcome::new(step, true, "orphan", None),
        _ => StepOutcome::new(step, true, "unchanged", None),
    }
}

/// Makes the service's image present per its pull policy; gives its id when known.
pub(super) async fn ensure_image(
    run: &Run<'_>,
    spec: &ServiceSpec,
) -> Result<Option<String>, String> {
    let endpoint = &run.ctx.endpoint;
    let image = &spec.image;
    let present = endpoint
        .image_id(image)
        .await
        .map_err(|e| format!("inspecting image {image}: {e}"))?;
    let pull = match (spec.pull_policy, &present) {
        (PullPolicy::Never, None) => {
            return Err(format!(
                "image {image} is not on the daemon and the pull policy of {} is never",
                spec.name
            ));
        }
        (PullPolicy::Always, _) | (PullPolicy::Missing | PullPolicy::Refresh(_), None) => true,
        _ => false,
    };
    if !pull {
        return Ok(present);
    }
    let done = run.ctx.pull_image(image, run.opts.pull_timeout).await;
    if let Err(e) = done.result {
        return Err(format!("pulling {image}: {}", e.reason()));
    }
    endpoint
        .image_id(image)
        .await
        .map_err(|e| format!("inspecting image {image}: {e}"))
}

fn stop_timeout(spec: Option<&ServiceSpec>) -> u64 {
    spec.and_then(|s| s.stop_grace_period)
        .map_or(DEFAULT_STOP_TIMEOUT, |d: Duration| d.as_secs())
}

/// A mutation's result as `doing NAME: reason`, with an audit failure counted as one.
fn check<T>(done: Mutation<T>, doing: &str, name: &str) -> Result<T, String> {
    match (done.result, done.audit_error) {
        (Err(e), _) => Err(format!("{doing} {name}: {}", e.reason())),
        (Ok(_), Some(a)) => Err(format!(
            "{doing} {name}: done, but the audit line failed: {a}"
        )),
        (Ok(v), None) => Ok(v),
    }
}

async fn act(run: &Run<'_>, action: &Act, target: &Target, doing: &str) -> Result<(), String> {
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
    let result = match (&step.action, spec) {
        (Action::Create, Some(spec)) => create(run, spec, step, image_id).await,
        (Action::Recreate { .. }, Some(spec)) => recreate(run, spec, step, image_id).await,
        (Action::Start, _) => match &step.container {
            Some(id) => act(run, &Act::Start, &target(id, &step.name), "starting")
                .await
                .map(|()| (id.clone(), "started")),
            None => Err(format!("starting {}: no container", step.name)),
        },
        (Action::Remove { .. }, _) => match &step.container {
            Some(id) => remove(run, spec, &target(id, &step.name), true)
                .await
                .map(|()| (id.clone(), "removed")),
            None => Err(format!("removing {}: no container", step.name)),
        },
        (Action::Create | Action::Recreate { .. }, None) => Err(format!(
            "creating {}: its service is not in the files",
            step.name
        )),
        (Action::Unchanged | Action::Orphan | Action::Conflict { .. }, _) => {
            return passive(step);
        }
    };
    match result {
        Ok((id, word)) => {
            let mut outcome = StepOutcome::new(step, true, word, None);
            outcome.container = Some(id);
            outcome
        }
        Err(e) => StepOutcome::failed(step, e),
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
) -> Result<(ContainerId, &'static str), String> {
    let request = create_request(run.project, spec, number(step), &step.name, image_id);
    let id = check(
        run.ctx.create_container(&request).await,
        "creating",
        &step.name,
    )?;
    act(run, &Act::Start, &target(&id, &step.name), "starting").await?;
    Ok((id, "created"))
}

/// Stops and removes `t`; `volumes`: its anonymous volumes too (not on a recreate, whose new
/// container is made before the old one goes).
async fn remove(
    run: &Run<'_>,
    spec: Option<&ServiceSpec>,
    t: &Target,
    volumes: bool,
) -> Result<(), String> {
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
) -> Result<(ContainerId, &'static str), String> {
    let Some(old) = &step.container else {
        return Err(format!("recreating {}: no container", step.name));
    };
    let temp = format!("{}_{}", old.short(), step.name);
    let request = create_request(run.project, spec, number(step), &temp, image_id);
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
    Ok((new, "recreated"))
}
