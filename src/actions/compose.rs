//! The mutations a compose project needs beyond start, stop and remove: create a network, a
//! volume, a container (from a create body the reconcile layer builds), rename a container,
//! pull an image, and remove a network or a volume; a create also writes the secrets and
//! configs given by value into the container (never into its audit line). Each goes through the one audited wrapper
//! (refused under `--read-only`, one audit line), and each error says what was being done.
//! The inputs are Docker's own create bodies: what a compose service means is reconcile's
//! business, carrying it out is this layer's.

use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, NetworkConnectRequest, NetworkCreateRequest,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveVolumeOptionsBuilder, RenameContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::run::with_default_tag;
use super::{ActionContext, ActionError, AuditFacts, Target};
use crate::engine::{ContainerId, Endpoint, daemon_message, status_code};

/// A mutation's result, and the audit line's failure if writing it failed (reported, never
/// dropped silently).
#[derive(Debug)]
pub struct Mutation<T> {
    pub result: Result<T, ActionError>,
    pub audit_error: Option<String>,
}

impl<T> From<super::audited::Audited<T>> for Mutation<T> {
    fn from(done: super::audited::Audited<T>) -> Self {
        Self {
            result: done.result,
            audit_error: done.audit_error,
        }
    }
}

/// A container to create: its name, Docker's create body (attached to at most one network),
/// the further networks it joins and the files written into it before it is started.
#[derive(Debug, Clone, Default)]
pub struct ContainerCreate {
    pub name: String,
    /// `platform` (`linux/amd64`): the create request's query parameter.
    pub platform: Option<String>,
    pub body: ContainerCreateBody,
    /// Network name → endpoint (aliases), connected after the create.
    pub more_networks: Vec<(String, EndpointSettings)>,
    /// Secrets and configs given by value, copied in after the create (the archive API).
    pub files: Vec<super::files::FileCopy>,
}

fn refused(verb: &'static str, target: &str, e: &bollard::errors::Error) -> ActionError {
    ActionError::Refused {
        verb,
        target: target.to_string(),
        reason: daemon_message(e),
    }
}

pub(super) fn failed(
    endpoint: &Endpoint,
    verb: &'static str,
    target: &str,
    e: bollard::errors::Error,
) -> ActionError {
    if status_code(&e).is_some() {
        refused(verb, target, &e)
    } else {
        ActionError::Engine {
            verb,
            target: target.to_string(),
            source: endpoint.error(e),
        }
    }
}

pub(super) fn facts<T>(
    id: impl FnOnce(&T) -> String,
    name: &str,
    parameters: serde_json::Value,
    word: &'static str,
    result: &Result<T, ActionError>,
) -> AuditFacts {
    AuditFacts {
        target_id: result.as_ref().map(id).unwrap_or_default(),
        target_name: name.to_string(),
        parameters,
        result: match result {
            Ok(_) => Ok((word, None)),
            Err(e) => Err(e.to_string()),
        },
    }
}

impl ActionContext {
    /// Creates a network; gives its id.
    pub async fn create_network(&self, request: NetworkCreateRequest) -> Mutation<String> {
        const VERB: &str = "create network";
        let name = request.name.clone();
        let parameters = serde_json::json!({
            "driver": request.driver, "labels": request.labels, "internal": request.internal,
        });
        let endpoint = &self.endpoint;
        let work = async {
            match endpoint.client().create_network(request).await {
                Ok(created) => Ok(created.id),
                Err(e) => Err(failed(endpoint, VERB, &name, e)),
            }
        };
        let done = self
            .audited(VERB, &name, work, |r| {
                facts(String::clone, &name, parameters, "created", r)
            })
            .await;
        done.into()
    }

    /// Creates a named volume.
    pub async fn create_volume(&self, request: VolumeCreateRequest) -> Mutation<()> {
        const VERB: &str = "create volume";
        let name = request.name.clone().unwrap_or_default();
        let parameters = serde_json::json!({ "driver": request.driver, "labels": request.labels });
        let endpoint = &self.endpoint;
        let work = async {
            match endpoint.client().create_volume(request).await {
                Ok(_) => Ok(()),
                Err(e) => Err(failed(endpoint, VERB, &name, e)),
            }
        };
        let done = self
            .audited(VERB, &name, work, |r| {
                facts(|()| name.clone(), &name, parameters, "created", r)
            })
            .await;
        done.into()
    }

    /// Pulls `image` (`:latest` when it names no tag), giving up after `timeout`.
    pub async fn pull_image(&self, image: &str, timeout: Duration) -> Mutation<()> {
        const VERB: &str = "pull";
        let reference = with_default_tag(image);
        let endpoint = &self.endpoint;
        let work = async {
            let options = CreateImageOptionsBuilder::default()
                .from_image(&reference)
                .build();
            let client = endpoint.client().clone().with_timeout(timeout);
            let pull = async {
                let mut stream = client.create_image(Some(options), None, None);
                while let Some(step) = stream.next().await {
                    match step {
                        Ok(info) => {
                            if let Some(detail) = info.error_detail {
                                return Err(detail
                                    .message
                                    .unwrap_or_else(|| "unknown error".into()));
                            }
                        }
                        Err(e) => return Err(daemon_message(&e)),
                    }
                }
                Ok(())
            };
            match tokio::time::timeout(timeout, pull).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(reason)) => Err(ActionError::Refused {
                    verb: VERB,
                    target: reference.clone(),
                    reason,
                }),
                Err(_) => Err(ActionError::Refused {
                    verb: VERB,
                    target: reference.clone(),
                    reason: format!("no answer within {} s", timeout.as_secs()),
                }),
            }
        };
        let parameters = serde_json::json!({ "timeout_ms": timeout.as_millis() as u64 });
        let done = self
            .audited(VERB, &reference, work, |r| {
                facts(|()| String::new(), &reference, parameters, "pulled", r)
            })
            .await;
        done.into()
    }

    /// Creates a container (not started) and connects it to its further networks; a failed
    /// connect removes it again, so a create either happens whole or not at all.
    pub async fn create_container(&self, create: &ContainerCreate) -> Mutation<ContainerId> {
        const VERB: &str = "create";
        let name = create.name.as_str();
        let endpoint = &self.endpoint;
        let work = async {
            let mut options = CreateContainerOptionsBuilder::default().name(name);
            if let Some(platform) = &create.platform {
                options = options.platform(platform);
            }
            let options = options.build();
            let created = endpoint
                .client()
                .create_container(Some(options), create.body.clone())
                .await
                .map_err(|e| failed(endpoint, VERB, name, e))?;
            // Its further networks and its files: a failure removes it again.
            let finished = async {
                for (network, settings) in &create.more_networks {
                    let request = NetworkConnectRequest {
                        container: created.id.clone(),
                        endpoint_config: Some(settings.clone()),
                    };
                    endpoint
                        .client()
                        .connect_network(network, request)
                        .await
                        .map_err(|e| super::files::FinishError::Connect {
                            network: network.clone(),
                            reason: daemon_message(&e),
                        })?;
                }
                super::files::copy_in(endpoint, &created.id, &create.files).await
            };
            if let Err(reason) = finished.await {
                let options = RemoveContainerOptionsBuilder::default().force(true).build();
                let _ = endpoint
                    .client()
                    .remove_container(&created.id, Some(options))
                    .await;
                return Err(ActionError::Refused {
                    verb: VERB,
                    target: name.to_string(),
                    reason: reason.to_string(),
                });
            }
            Ok(ContainerId(created.id))
        };
        let parameters = serde_json::json!({
            "image": create.body.image,
            "labels": create.body.labels.as_ref().map(|l| l.len()),
            "networks": create.more_networks.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "files": create.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        });
        let done = self
            .audited(VERB, name, work, |r| {
                facts(
                    |id: &ContainerId| id.0.clone(),
                    name,
                    parameters,
                    "created",
                    r,
                )
            })
            .await;
        done.into()
    }

    /// Renames `target` to `new_name`.
    pub async fn rename_container(&self, target: &Target, new_name: &str) -> Mutation<()> {
        const VERB: &str = "rename";
        let endpoint = &self.endpoint;
        let work = async {
            let options = RenameContainerOptionsBuilder::default()
                .name(new_name)
                .build();
            endpoint
                .client()
                .rename_container(&target.id.0, options)
                .await
                .map_err(|e| failed(endpoint, VERB, &target.name, e))
        };
        let parameters = serde_json::json!({ "new_name": new_name });
        let done = self
            .audited(VERB, &target.name, work, |r| {
                facts(
                    |()| target.id.0.clone(),
                    &target.name,
                    parameters,
                    "renamed",
                    r,
                )
            })
            .await;
        done.into()
    }

    /// Removes a network (gone already: done).
    pub async fn remove_network(&self, name: &str) -> Mutation<()> {
        let client = self.endpoint.client();
        self.remove_daemon_object("remove network", name, name, client.remove_network(name))
            .await
    }

    /// Removes a volume (gone already: done).
    pub async fn remove_volume(&self, name: &str) -> Mutation<()> {
        let options = RemoveVolumeOptionsBuilder::default().force(false).build();
        let client = self.endpoint.client();
        self.remove_daemon_object(
            "remove volume",
            name,
            name,
            client.remove_volume(name, Some(options)),
        )
        .await
    }

    /// The removal of a daemon object (a network, a volume; a Swarm service, secret, config),
    /// audited under `id`; a 404 (gone already) is done.
    pub(super) async fn remove_daemon_object(
        &self,
        verb: &'static str,
        id: &str,
        name: &str,
        call: impl std::future::Future<Output = Result<(), bollard::errors::Error>>,
    ) -> Mutation<()> {
        let endpoint = &self.endpoint;
        let work = async {
            match call.await {
                Ok(()) => Ok(()),
                Err(e) if status_code(&e) == Some(404) => Ok(()),
                Err(e) => Err(failed(endpoint, verb, name, e)),
            }
        };
        self.audited(verb, name, work, |r| {
            facts(
                |()| id.to_string(),
                name,
                serde_json::json!({}),
                "removed",
                r,
            )
        })
        .await
        .into()
    }
}
