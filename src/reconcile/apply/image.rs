//! A service's image made present before its containers are made: built (a `build` step of
//! the plan, or a service with `build:` whose image is missing), else pulled per its pull
//! policy (`apply --pull` pulls every image that has no `build:`). The daemon's build output
//! and each pull's status go to the apply's progress as they come, a line at a time. A pull
//! that fails while the daemon has the image already is said (a progress line) and the image
//! there used, so that a tag moved locally still takes effect where no registry answers.

use tokio::sync::mpsc;

use super::{Progress, Run, StepError};
use crate::actions::build::BuildRequest;
use crate::reconcile::compose::{BuildSpec, PullPolicy, ServiceSpec};

/// The build request of `spec`'s image.
pub fn build_request(spec: &ServiceSpec, build: &BuildSpec) -> BuildRequest {
    BuildRequest {
        tag: spec.image.clone(),
        context: build.context.clone(),
        dockerfile: build.dockerfile.clone(),
        dockerfile_inline: build.dockerfile_inline.clone(),
        args: build.args.clone(),
        target: build.target.clone(),
        labels: build.labels.clone(),
        network: build.network.clone(),
        shm_size: build.shm_size,
        extra_host: build.extra_hosts.first().cloned(),
        cache_from: build.cache_from.clone(),
        no_cache: build.no_cache,
        pull: build.pull,
    }
}

/// Sends one progress line of `service`.
async fn note(run: &Run<'_>, service: &str, kind: &'static str, line: String) {
    if let Some(tx) = &run.events {
        let _ = tx
            .send(Progress {
                service: service.to_string(),
                kind,
                line,
            })
            .await;
    }
}

/// Builds `spec`'s image, its output sent as progress; gives the image id, or why not
/// ("building IMAGE: step 2/3 RUN exit 3 failed: ...").
pub(super) async fn build(run: &Run<'_>, spec: &ServiceSpec) -> Result<String, StepError> {
    let Some(build) = &spec.build else {
        return Err(StepError::NoBuild(spec.image.clone()));
    };
    if !build.ignored.is_empty() {
        let line = format!(
            "ignored (BuildKit only, the daemon builds with the classic builder): {}",
            build.ignored.join(", ")
        );
        note(run, &spec.name, "build", line).await;
    }
    let request = build_request(spec, build);
    let (tx, mut rx) = mpsc::channel::<String>(64);
    let forward = async {
        while let Some(line) = rx.recv().await {
            note(run, &spec.name, "build", line).await;
        }
    };
    let (done, ()) = tokio::join!(run.ctx.build_image(&request, Some(tx)), forward);
    match (done.result, done.audit_error) {
        (Err(e), _) => Err(StepError::Action {
            doing: "building".into(),
            name: spec.image.clone(),
            reason: e.reason(),
        }),
        (Ok(_), Some(a)) => Err(StepError::Audit {
            doing: "building".into(),
            name: spec.image.clone(),
            audit: a.to_string(),
        }),
        (Ok(id), None) => Ok(id),
    }
}

/// Makes the service's image present per its pull policy; gives its id when known.
pub(super) async fn ensure(run: &Run<'_>, spec: &ServiceSpec) -> Result<Option<String>, StepError> {
    let endpoint = &run.ctx.endpoint;
    let image = &spec.image;
    let present = endpoint
        .image_id(image)
        .await
        .map_err(|e| StepError::daemon(format!("inspecting image {image}"), e))?;
    if spec.build.is_some() {
        // Built, never pulled: what is missing is built now.
        return match present {
            Some(id) => Ok(Some(id)),
            None => build(run, spec).await.map(Some),
        };
    }
    let pull = match (spec.pull_policy, &present) {
        (PullPolicy::Never | PullPolicy::Build, None) => {
            return Err(StepError::NeverPulled {
                image: image.clone(),
                service: spec.name.clone(),
            });
        }
        (PullPolicy::Always, _) | (PullPolicy::Missing | PullPolicy::Refresh(_), None) => true,
        _ => run.opts.pull,
    };
    if !pull {
        return Ok(present);
    }
    note(run, &spec.name, "pull", format!("pulling {image}")).await;
    let done = run.ctx.pull_image(image, run.opts.pull_timeout).await;
    if let Err(e) = done.result {
        let why = StepError::Action {
            doing: "pulling".into(),
            name: image.clone(),
            reason: e.reason(),
        };
        if present.is_none() {
            note(run, &spec.name, "pull", why.to_string()).await;
            return Err(why);
        }
        // The image is on the daemon (no registry reached, say): said, and used as it is.
        let line = format!("{why}; using the image the daemon has");
        note(run, &spec.name, "pull", line).await;
        return Ok(present);
    }
    note(run, &spec.name, "pull", format!("pulled {image}")).await;
    endpoint
        .image_id(image)
        .await
        .map_err(|e| StepError::daemon(format!("inspecting image {image}"), e))
}
