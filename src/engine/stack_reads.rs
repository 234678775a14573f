//! The reads a stack deploy needs from a Swarm manager: whether the host is one, a stack's
//! services (by the stack's label), and every network, secret and config (by name and
//! label; a config's content too, to see whether it changed; a secret's content is never
//! given back by the manager). One list call each; nothing here changes the daemon.

use std::collections::HashMap;

use bollard::models::{HealthConfig, LocalNodeState, Service};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptionsBuilder,
};

use super::{Endpoint, EngineError};

/// Sets each service's health check from the Engine's own answer (`raw`: the `/services` JSON
/// array), by id: `Spec.TaskTemplate.ContainerSpec.Healthcheck`, which bollard's model drops.
pub fn with_health_checks(services: &mut [Service], raw: &serde_json::Value) {
    let Some(entries) = raw.as_array() else {
        return;
    };
    for entry in entries {
        let Some(id) = entry.get("ID").and_then(|v| v.as_str()) else {
            continue;
        };
        let health = entry
            .pointer("/Spec/TaskTemplate/ContainerSpec/Healthcheck")
            .and_then(|v| serde_json::from_value::<HealthConfig>(v.clone()).ok());
        let Some(service) = services.iter_mut().find(|s| s.id.as_deref() == Some(id)) else {
            continue;
        };
        if let Some(container) = service
            .spec
            .as_mut()
            .and_then(|s| s.task_template.as_mut())
            .and_then(|t| t.container_spec.as_mut())
        {
            container.health_check = health;
        }
    }
}

/// A Swarm object (network, secret, config) as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    pub id: String,
    pub name: String,
    pub labels: HashMap<String, String>,
    /// A config's content, base64 (`None` for networks and secrets).
    pub data: Option<String>,
}

/// Where a host stands in a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwarmRole {
    /// Not in a swarm (or joining, or in error).
    None,
    Worker,
    Manager,
}

impl Endpoint {
    /// Whether this host is a Swarm manager, a worker, or in no swarm (`/info`).
    pub async fn swarm_role(&self) -> Result<SwarmRole, EngineError> {
        let info = self.guarded(self.docker.info()).await?;
        let swarm = info.swarm.unwrap_or_default();
        Ok(match swarm.local_node_state {
            Some(LocalNodeState::ACTIVE) if swarm.control_available == Some(true) => {
                SwarmRole::Manager
            }
            Some(LocalNodeState::ACTIVE) => SwarmRole::Worker,
            _ => SwarmRole::None,
        })
    }

    /// The services labelled `label=value`.
    pub async fn services_labelled(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<Service>, EngineError> {
        let filters = HashMap::from([("label".to_string(), vec![format!("{label}={value}")])]);
        let options = ListServicesOptionsBuilder::default()
            .filters(&filters)
            .build();
        self.guarded(self.docker.list_services(Some(options))).await
    }

    /// The services labelled `label=value`, each with its health check, and whether the health
    /// checks could be read: bollard's model names the field `HealthCheck` where the Engine
    /// answers `Healthcheck`, so it drops it; the Engine's own JSON is read for it where this
    /// host's transport allows a plain GET (the unix socket, plain tcp: [`super::objects::raw`]).
    pub async fn services_labelled_with_health(
        &self,
        label: &str,
        value: &str,
    ) -> Result<(Vec<Service>, bool), EngineError> {
        let mut services = self.services_labelled(label, value).await?;
        if !self.speaks_raw() {
            return Ok((services, false));
        }
        let filters = serde_json::json!({ "label": [format!("{label}={value}")] }).to_string();
        let path = self.api_path(&format!(
            "/services?filters={}",
            super::endpoint::percent_encoded(&filters)
        ));
        let read = tokio::time::timeout(
            self.timeout(),
            super::objects::raw::get_json(&self.address, &path),
        )
        .await;
        match read {
            Ok(Ok(raw)) => {
                with_health_checks(&mut services, &raw);
                Ok((services, true))
            }
            Ok(Err(e)) => {
                log::debug!("{}: the services' health checks unread: {e}", self.name);
                Ok((services, false))
            }
            Err(_) => {
                log::debug!(
                    "{}: the services' health checks unread: timed out",
                    self.name
                );
                Ok((services, false))
            }
        }
    }

    /// Every network.
    pub async fn network_objects(&self) -> Result<Vec<ObjectInfo>, EngineError> {
        let list = self
            .guarded(self.docker.list_networks(None::<ListNetworksOptions>))
            .await?;
        Ok(list
            .into_iter()
            .map(|n| ObjectInfo {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: n.labels.unwrap_or_default(),
                data: None,
            })
            .collect())
    }

    /// Every secret (names and labels; the manager never gives the content back).
    pub async fn secret_objects(&self) -> Result<Vec<ObjectInfo>, EngineError> {
        let list = self
            .guarded(self.docker.list_secrets(None::<ListSecretsOptions>))
            .await?;
        Ok(list
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                ObjectInfo {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: spec.labels.unwrap_or_default(),
                    data: None,
                }
            })
            .collect())
    }

    /// Every config, with its content.
    pub async fn config_objects(&self) -> Result<Vec<ObjectInfo>, EngineError> {
        let list = self
            .guarded(self.docker.list_configs(None::<ListConfigsOptions>))
            .await?;
        Ok(list
            .into_iter()
            .map(|c| {
                let spec = c.spec.unwrap_or_default();
                ObjectInfo {
                    id: c.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: spec.labels.unwrap_or_default(),
                    data: spec.data,
                }
            })
            .collect())
    }
}
