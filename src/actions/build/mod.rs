//! Building an image through the daemon's build API (the classic builder: the daemon here is
//! 20.10, and no registry is reached), audited like every mutation and refused under
//! `--read-only`. The context goes as a tar stream ([`context`]) honouring `.dockerignore`
//! ([`dockerignore`]); the daemon's output comes back a line at a time on an optional
//! progress channel. A failed build names its failing step ("step 3/4 RUN exit 3: ..."); the
//! image is tagged only when every step passed, and the intermediate containers are removed
//! whatever happens (`forcerm`), so a failed build leaves no tag and no container behind.
//!
//! The audit line names the image, the context, the Dockerfile and the target, and the build
//! arguments by name only (their values may be secrets).

pub mod context;
pub mod dockerignore;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bollard::query_parameters::{BuildImageOptions, BuildImageOptionsBuilder};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::compose::Mutation;
use super::{ActionContext, ActionError, AuditFacts};
use crate::engine::daemon_message;
use context::{ContextSpec, EXTRA_DOCKERFILE, ExtraDockerfile};

/// One image to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildRequest {
    /// The tag the image gets (`PROJECT-SERVICE` or the service's `image:`).
    pub tag: String,
    /// The absolute context directory.
    pub context: PathBuf,
    /// The Dockerfile, relative to the context or absolute.
    pub dockerfile: String,
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub network: Option<String>,
    pub shm_size: Option<u64>,
    pub extra_host: Option<String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    pub pull: bool,
}

impl BuildRequest {
    /// The archive to send and the Dockerfile's name in it.
    fn context_spec(&self) -> (ContextSpec, String) {
        let inside = self.context.join(&self.dockerfile);
        let relative = inside
            .strip_prefix(&self.context)
            .ok()
            .filter(|r| !r.starts_with(".."))
            .map(|r| r.to_string_lossy().into_owned());
        let (dockerfile, extra) = match (&self.dockerfile_inline, relative) {
            (Some(text), _) => (
                EXTRA_DOCKERFILE.to_string(),
                Some(ExtraDockerfile::Inline(text.clone())),
            ),
            (None, Some(rel)) => (rel, None),
            (None, None) => (
                EXTRA_DOCKERFILE.to_string(),
                Some(ExtraDockerfile::File(inside)),
            ),
        };
        let spec = ContextSpec {
            dir: self.context.clone(),
            dockerfile: dockerfile.clone(),
            extra,
        };
        (spec, dockerfile)
    }
}

/// What the daemon says about the step it is on: `Step 3/4 : RUN exit 3` → `3/4 RUN exit 3`.
fn step_of(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("Step ")?;
    let (count, instruction) = rest.split_once(" : ")?;
    Some(format!("{count} {}", instruction.trim()))
}

impl ActionContext {
    /// Builds `request`, sending each line of the daemon's output to `progress`; gives the
    /// image id.
    pub async fn build_image(
        &self,
        request: &BuildRequest,
        progress: Option<mpsc::Sender<String>>,
    ) -> Mutation<String> {
        const VERB: &str = "build";
        let tag = request.tag.as_str();
        let work = self.run_build(request, progress);
        let parameters = serde_json::json!({
            "context": request.context.display().to_string(),
            "dockerfile": if request.dockerfile_inline.is_some() { "(inline)" } else { request.dockerfile.as_str() },
            "target": request.target,
            "args": request.args.keys().collect::<Vec<_>>(),
            "no_cache": request.no_cache,
            "pull": request.pull,
        });
        let done = self
            .audited(VERB, tag, work, |r| AuditFacts {
                target_id: r.as_ref().ok().cloned().unwrap_or_default(),
                target_name: tag.to_string(),
                parameters,
                result: match r {
                    Ok(_) => Ok(("built", None)),
                    Err(e) => Err(e.to_string()),
                },
            })
            .await;
        done.into()
    }

    async fn run_build(
        &self,
        request: &BuildRequest,
        progress: Option<mpsc::Sender<String>>,
    ) -> Result<String, ActionError> {
        let refused = |reason: String| ActionError::Refused {
            verb: "build",
            target: request.tag.clone(),
            reason,
        };
        if !request.context.is_dir() {
            return Err(refused(format!(
                "the context {} is not a directory",
                request.context.display()
            )));
        }
        let (spec, dockerfile) = request.context_spec();
        let (rx, walker) = context::stream(spec);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|piece| (piece, rx))
        });
        let client = self.endpoint.client();
        let mut output = client.build_image(
            request.options(&dockerfile),
            None,
            Some(bollard::body_try_stream(body)),
        );
        let mut read = BuildOutput::default();
        while let Some(item) = output.next().await {
            read.take(item, progress.as_ref()).await;
        }
        // The walk's own error says more than the broken request it caused.
        if let Ok(Err(e)) = walker.await {
            return Err(refused(format!("reading the context: {e}")));
        }
        if let Some(why) = read.failure {
            return Err(refused(match read.step {
                Some(s) => format!("step {s} failed: {why}"),
                None => why,
            }));
        }
        match read.image_id {
            Some(id) => Ok(id),
            None => self
                .endpoint
                .image_id(&request.tag)
                .await
                .ok()
                .flatten()
                .ok_or_else(|| refused("the daemon did not name the image it built".into())),
        }
    }
}

impl BuildRequest {
    /// The build API's query for this request, with `dockerfile` the name in the archive.
    fn options(&self, dockerfile: &str) -> BuildImageOptions {
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(dockerfile)
            .t(&self.tag)
            .rm(true)
            .forcerm(true)
            .nocache(self.no_cache);
        if !self.args.is_empty() {
            options = options.buildargs(&self.args.clone().into_iter().collect());
        }
        if !self.labels.is_empty() {
            options = options.labels(&self.labels.clone().into_iter().collect());
        }
        if let Some(target) = &self.target {
            options = options.target(target);
        }
        if let Some(network) = &self.network {
            options = options.networkmode(network);
        }
        if let Some(size) = self.shm_size.and_then(|s| i32::try_from(s).ok()) {
            options = options.shmsize(size);
        }
        if let Some(host) = &self.extra_host {
            options = options.extrahosts(host);
        }
        if !self.cache_from.is_empty() {
            options = options.cachefrom(&self.cache_from);
        }
        if self.pull {
            options = options.pull("1");
        }
        options.build()
    }
}

/// What the daemon's build output said so far: the step it is on, the image it built, why
/// it failed.
#[derive(Default)]
struct BuildOutput {
    step: Option<String>,
    image_id: Option<String>,
    failure: Option<String>,
}

impl BuildOutput {
    /// Reads one item of the output, sending each line of it to `progress`.
    async fn take(
        &mut self,
        item: Result<bollard::models::BuildInfo, bollard::errors::Error>,
        progress: Option<&mpsc::Sender<String>>,
    ) {
        match item {
            Ok(info) => {
                if let Some(text) = &info.stream {
                    self.lines(text, progress).await;
                }
                if let Some(id) = info.aux.as_ref().and_then(|a| a.id.clone()) {
                    self.image_id = Some(id);
                }
                if let Some(detail) = info.error_detail {
                    self.failure = Some(detail.message.unwrap_or_else(|| "unknown error".into()));
                }
            }
            // The failing step's own words, without bollard's prefix.
            Err(bollard::errors::Error::DockerStreamError { error }) => self.failure = Some(error),
            Err(e) => self.failure = Some(daemon_message(&e)),
        }
    }

    /// Notes the step each line names and sends the lines on.
    async fn lines(&mut self, text: &str, progress: Option<&mpsc::Sender<String>>) {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(s) = step_of(line) {
                self.step = Some(s);
            }
            if let Some(tx) = progress {
                let _ = tx.send(line.trim_end().to_string()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_line_is_read() {
        assert_eq!(
            step_of("Step 3/4 : RUN exit 3\n").as_deref(),
            Some("3/4 RUN exit 3")
        );
        assert_eq!(step_of(" ---> Running in abc"), None);
    }

    #[test]
    fn an_inline_or_outside_dockerfile_gets_a_name_of_its_own() {
        let mut r = BuildRequest {
            context: PathBuf::from("/ctx"),
            dockerfile: "sub/Dockerfile".into(),
            ..BuildRequest::default()
        };
        assert_eq!(r.context_spec().1, "sub/Dockerfile");
        r.dockerfile = "/elsewhere/Dockerfile".into();
        assert_eq!(r.context_spec().1, EXTRA_DOCKERFILE);
        r.dockerfile = "Dockerfile".into();
        r.dockerfile_inline = Some("FROM scratch".into());
        assert_eq!(r.context_spec().1, EXTRA_DOCKERFILE);
    }
}
