//! Mutations of the host's other objects: remove an image (force), a volume, a network; pull
//! an image (with its progress); and prune ([`prune`]: a plan that says what goes and the
//! bytes it frees, then each removal). Each goes through the one audited wrapper, so each is
//! refused under `--read-only`, counted against the host's breaker and written to the audit
//! log like any container action.

pub mod prune;

use bollard::query_parameters::{
    CreateImageOptionsBuilder, RemoveImageOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;
use serde::Serialize;

use super::{ActionContext, ActionError, AuditFacts};
use crate::engine::objects::ObjectKind;
use crate::engine::{Endpoint, daemon_message, status_code};

/// An image, volume or network an action is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectTarget {
    pub kind: ObjectKind,
    /// What the daemon is called with: an image's id or tag, a volume's name, a network's id.
    pub id: String,
    /// What people read: a tag, a name.
    pub name: String,
}

/// What a removal or a pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectOutcome {
    Removed,
    /// It was gone already (someone else removed it): nothing to do.
    AlreadyGone,
    Pulled,
    /// The build cache was pruned.
    Pruned,
}

impl ObjectOutcome {
    pub fn word(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::AlreadyGone => "already_gone",
            Self::Pulled => "pulled",
            Self::Pruned => "pruned",
        }
    }
}

/// The result of one action on one object.
#[derive(Debug)]
pub struct ObjectReport {
    pub host: String,
    pub target: ObjectTarget,
    pub verb: &'static str,
    pub result: Result<ObjectOutcome, ActionError>,
    /// Bytes the daemon said it freed, where it says (a build-cache prune).
    pub freed: Option<u64>,
    pub audit_error: Option<String>,
}

impl ObjectReport {
    /// One line for people.
    pub fn describe(&self) -> String {
        match &self.result {
            Ok(o) => format!(
                "{} {}: {}",
                self.verb,
                self.target.name,
                o.word().replace('_', " ")
            ),
            Err(e) => e.to_string(),
        }
    }
}

/// The audit verb of removing an object of `kind`.
pub fn remove_verb(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Image => "rmi",
        ObjectKind::Volume => "volume-rm",
        ObjectKind::Network => "network-rm",
    }
}

fn engine_error(
    endpoint: &Endpoint,
    verb: &'static str,
    name: &str,
    e: bollard::errors::Error,
) -> ActionError {
    if status_code(&e).is_some_and(|s| s == 409 || s == 400 || s == 403) {
        return ActionError::Refused {
            verb,
            target: name.to_string(),
            reason: daemon_message(&e),
        };
    }
    ActionError::Engine {
        verb,
        target: name.to_string(),
        source: endpoint.error(e),
    }
}

/// The removal's daemon call; a 404 is "already gone".
async fn remove_call(
    endpoint: &Endpoint,
    target: &ObjectTarget,
    force: bool,
) -> Result<ObjectOutcome, ActionError> {
    let docker = endpoint.client();
    let verb = remove_verb(target.kind);
    let result = match target.kind {
        ObjectKind::Image => {
            let options = RemoveImageOptionsBuilder::default().force(force).build();
            docker
                .remove_image(&target.id, Some(options), None)
                .await
                .map(|_| ())
        }
        ObjectKind::Volume => {
            let options = RemoveVolumeOptionsBuilder::default().force(force).build();
            docker.remove_volume(&target.id, Some(options)).await
        }
        ObjectKind::Network => docker.remove_network(&target.id).await,
    };
    match result {
        Ok(()) => Ok(ObjectOutcome::Removed),
        Err(e) if status_code(&e) == Some(404) => Ok(ObjectOutcome::AlreadyGone),
        Err(e) => Err(engine_error(endpoint, verb, &target.name, e)),
    }
}

impl ActionContext {
    /// Removes an image (`force`: also one a stopped container uses, or one of several tags),
    /// a volume or a network, audited.
    pub async fn remove_object(&self, target: &ObjectTarget, force: bool) -> ObjectReport {
        let verb = remove_verb(target.kind);
        let parameters = serde_json::json!({ "kind": target.kind, "force": force });
        let done = self
            .audited(
                verb,
                &target.name,
                remove_call(&self.endpoint, target, force),
                |r| facts(target, parameters, r),
            )
            .await;
        ObjectReport {
            host: self.endpoint.name.clone(),
            target: target.clone(),
            verb,
            result: done.result,
            freed: None,
            audit_error: done.audit_error,
        }
    }

    /// Pulls `reference` (`repo:tag`), each progress line handed to `progress` ("Downloading
    /// 3.1MB/8MB"), audited.
    pub async fn pull(&self, reference: &str, mut progress: impl FnMut(String)) -> ObjectReport {
        let target = ObjectTarget {
            kind: ObjectKind::Image,
            id: reference.to_string(),
            name: reference.to_string(),
        };
        let endpoint = &self.endpoint;
        let work = async {
            let options = CreateImageOptionsBuilder::default()
                .from_image(reference)
                .build();
            let mut stream = endpoint.client().create_image(Some(options), None, None);
            while let Some(item) = stream.next().await {
                let info = item.map_err(|e| engine_error(endpoint, "pull", reference, e))?;
                if let Some(error) = info.error_detail.and_then(|d| d.message) {
                    return Err(ActionError::Refused {
                        verb: "pull",
                        target: reference.to_string(),
                        reason: error,
                    });
                }
                let done = info
                    .progress_detail
                    .and_then(|d| Some((d.current?, d.total?)));
                let done = done.map(|(current, total)| {
                    let size = |n: i64| crate::present::bytes(u64::try_from(n).unwrap_or(0));
                    format!("{}/{}", size(current), size(total))
                });
                let line = [info.id, info.status, done]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !line.is_empty() {
                    progress(line);
                }
            }
            Ok(ObjectOutcome::Pulled)
        };
        let parameters = serde_json::json!({ "kind": "image" });
        let done = self
            .audited("pull", reference, work, |r| facts(&target, parameters, r))
            .await;
        ObjectReport {
            host: self.endpoint.name.clone(),
            target,
            verb: "pull",
            result: done.result,
            freed: None,
            audit_error: done.audit_error,
        }
    }
}

fn facts(
    target: &ObjectTarget,
    parameters: serde_json::Value,
    result: &Result<ObjectOutcome, ActionError>,
) -> AuditFacts {
    AuditFacts {
        target_id: target.id.clone(),
        target_name: target.name.clone(),
        parameters,
        result: match result {
            Ok(o) => Ok((o.word(), None)),
            Err(e) => Err(e.to_string()),
        },
    }
}
