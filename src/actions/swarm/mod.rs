//! The Swarm mutations: a service scaled, its image updated, a rolling restart forced, an
//! update rolled back, the service removed; a node's availability set (active, pause, drain),
//! a node promoted or demoted. Each asks the manager for the object's current spec and version
//! and sends it back changed (the manager schedules: fleetdeck never places a task itself),
//! through the one audited wrapper (refused under `--read-only`, one audit line). The call
//! returns once the manager has accepted the new spec; following the rollout is a read.

use bollard::models::{NodeSpecAvailabilityEnum, NodeSpecRoleEnum, ServiceSpec};
use bollard::query_parameters::{InspectServiceOptions, UpdateNodeOptions, UpdateServiceOptions};
use serde::Serialize;

use super::compose::Mutation;
use super::{ActionContext, ActionError, AuditFacts};
use crate::engine::{Endpoint, daemon_message, status_code};

/// A change to a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ServiceAction {
    /// Replicas of a replicated service.
    Scale { replicas: u64 },
    /// A new image (a rolling update, per the service's update config).
    UpdateImage { image: String },
    /// Every task replaced, the spec otherwise unchanged (`docker service update --force`).
    ForceRestart,
    /// Back to the previous spec (`docker service rollback`).
    Rollback,
    /// The service and its tasks removed.
    Remove,
}

impl ServiceAction {
    /// The verb, as the audit line and messages say it.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Scale { .. } => "service scale",
            Self::UpdateImage { .. } => "service update",
            Self::ForceRestart => "service restart",
            Self::Rollback => "service rollback",
            Self::Remove => "service rm",
        }
    }

    /// Whether it destroys something (asked for in the console, `--yes` headless).
    pub fn is_destructive(&self) -> bool {
        matches!(self, Self::Remove)
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A node's availability for tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Active,
    Pause,
    Drain,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pause => "pause",
            Self::Drain => "drain",
        }
    }

    fn to_spec(self) -> NodeSpecAvailabilityEnum {
        match self {
            Self::Active => NodeSpecAvailabilityEnum::ACTIVE,
            Self::Pause => NodeSpecAvailabilityEnum::PAUSE,
            Self::Drain => NodeSpecAvailabilityEnum::DRAIN,
        }
    }
}

/// A change to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum NodeAction {
    Availability { availability: Availability },
    Promote,
    Demote,
}

impl NodeAction {
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Availability {
                availability: Availability::Active,
            } => "node activate",
            Self::Availability {
                availability: Availability::Pause,
            } => "node pause",
            Self::Availability {
                availability: Availability::Drain,
            } => "node drain",
            Self::Promote => "node promote",
            Self::Demote => "node demote",
        }
    }

    /// Draining moves every task off the node, demoting takes a manager's vote: both asked for.
    pub fn is_disruptive(&self) -> bool {
        matches!(
            self,
            Self::Availability {
                availability: Availability::Drain
            } | Self::Demote
        )
    }
}

/// What a Swarm action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmOutcome {
    /// `scaled`, `updated`, `restarting`, `rolling_back`, `removed`, `already_gone`,
    /// `unchanged`, `availability_set`, `promoted`, `demoted`.
    pub outcome: &'static str,
    /// The id of the service or node acted on.
    pub id: String,
    /// What the manager warned about while accepting the spec.
    pub warnings: Vec<String>,
}

fn failed(
    endpoint: &Endpoint,
    verb: &'static str,
    target: &str,
    e: bollard::errors::Error,
) -> ActionError {
    if status_code(&e).is_some() {
        ActionError::Refused {
            verb,
            target: target.to_string(),
            reason: daemon_message(&e),
        }
    } else {
        ActionError::Engine {
            verb,
            target: target.to_string(),
            source: endpoint.error(e),
        }
    }
}

fn facts(
    verb_target: &str,
    parameters: serde_json::Value,
    result: &Result<SwarmOutcome, ActionError>,
) -> AuditFacts {
    AuditFacts {
        target_id: result.as_ref().map(|o| o.id.clone()).unwrap_or_default(),
        target_name: verb_target.to_string(),
        parameters,
        result: match result {
            Ok(o) => Ok((o.outcome, None)),
            Err(e) => Err(e.to_string()),
        },
    }
}

impl ActionContext {
    /// Carries out `action` on the service named `service` (name or id) on this manager.
    pub async fn service_action(
        &self,
        service: &str,
        action: &ServiceAction,
    ) -> Mutation<SwarmOutcome> {
        let verb = action.verb();
        let work = service_work(&self.endpoint, service, action);
        let parameters = action.parameters();
        self.audited(verb, service, work, |r| facts(service, parameters, r))
            .await
            .into()
    }

    /// Carries out `action` on the node `node` (hostname or id) through this manager.
    pub async fn node_action(&self, node: &str, action: &NodeAction) -> Mutation<SwarmOutcome> {
        let verb = action.verb();
        let work = node_work(&self.endpoint, node, *action);
        let parameters = serde_json::to_value(action).unwrap_or_default();
        self.audited(verb, node, work, |r| facts(node, parameters, r))
            .await
            .into()
    }
}

fn done(outcome: &'static str, id: String) -> SwarmOutcome {
    SwarmOutcome {
        outcome,
        id,
        warnings: Vec::new(),
    }
}

/// The service as the manager has it; `None` when it is gone and `action` removes it.
async fn inspect_service(
    endpoint: &Endpoint,
    name: &str,
    action: &ServiceAction,
) -> Result<Option<bollard::models::Service>, ActionError> {
    let verb = action.verb();
    let options = Some(InspectServiceOptions {
        insert_defaults: false,
    });
    match endpoint.client().inspect_service(name, options).await {
        Ok(service) => Ok(Some(service)),
        Err(e) if status_code(&e) == Some(404) && *action == ServiceAction::Remove => Ok(None),
        Err(e) if status_code(&e) == Some(404) => Err(ActionError::Refused {
            verb,
            target: name.to_string(),
            reason: "no such service".into(),
        }),
        Err(e) => Err(failed(endpoint, verb, name, e)),
    }
}

async fn service_work(
    endpoint: &Endpoint,
    name: &str,
    action: &ServiceAction,
) -> Result<SwarmOutcome, ActionError> {
    let verb = action.verb();
    let client = endpoint.client();
    let Some(service) = inspect_service(endpoint, name, action).await? else {
        return Ok(done("already_gone", String::new()));
    };
    let id = service.id.clone().unwrap_or_else(|| name.to_string());
    if *action == ServiceAction::Remove {
        client
            .delete_service(&id)
            .await
            .map_err(|e| failed(endpoint, verb, name, e))?;
        return Ok(done("removed", id));
    }
    let refuse = |reason: &str| ActionError::Refused {
        verb,
        target: name.to_string(),
        reason: reason.to_string(),
    };
    let version = service
        .version
        .as_ref()
        .and_then(|v| v.index)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| refuse("the manager gave no version of its spec"))?;
    let mut spec = service.spec.unwrap_or_default();
    let Some(outcome) = change_spec(&mut spec, action).map_err(|r| refuse(&r))? else {
        return Ok(done("unchanged", id));
    };
    let options = UpdateServiceOptions {
        version,
        rollback: (*action == ServiceAction::Rollback).then(|| "previous".to_string()),
        ..UpdateServiceOptions::default()
    };
    let response = client
        .update_service(&id, spec, options, None)
        .await
        .map_err(|e| failed(endpoint, verb, name, e))?;
    Ok(SwarmOutcome {
        outcome,
        id,
        warnings: response.warnings.unwrap_or_default(),
    })
}

/// Changes `spec` as `action` asks; `Ok(None)` when it already is so (nothing to send), `Err`
/// with the reason when the service cannot take it.
fn change_spec(
    spec: &mut ServiceSpec,
    action: &ServiceAction,
) -> Result<Option<&'static str>, String> {
    match action {
        ServiceAction::Scale { replicas } => {
            let replicated = spec
                .mode
                .as_mut()
                .and_then(|m| m.replicated.as_mut())
                .ok_or("only a replicated service can be scaled (this one is global or a job)")?;
            let wanted = i64::try_from(*replicas).map_err(|_| "too many replicas")?;
            if replicated.replicas == Some(wanted) {
                return Ok(None);
            }
            replicated.replicas = Some(wanted);
            Ok(Some("scaled"))
        }
        ServiceAction::UpdateImage { image } => {
            let container = spec
                .task_template
                .get_or_insert_with(Default::default)
                .container_spec
                .get_or_insert_with(Default::default);
            if container.image.as_deref() == Some(image.as_str()) {
                return Ok(None);
            }
            container.image = Some(image.clone());
            Ok(Some("updated"))
        }
        ServiceAction::ForceRestart => {
            let template = spec.task_template.get_or_insert_with(Default::default);
            template.force_update = Some(template.force_update.unwrap_or(0).wrapping_add(1));
            Ok(Some("restarting"))
        }
        // The manager takes the previous spec itself (the body is ignored with rollback=previous).
        ServiceAction::Rollback => Ok(Some("rolling_back")),
        ServiceAction::Remove => Ok(Some("removed")),
    }
}

async fn node_work(
    endpoint: &Endpoint,
    name: &str,
    action: NodeAction,
) -> Result<SwarmOutcome, ActionError> {
    let verb = action.verb();
    let client = endpoint.client();
    let node = client.inspect_node(name).await.map_err(|e| {
        if status_code(&e) == Some(404) {
            ActionError::Refused {
                verb,
                target: name.to_string(),
                reason: "no such node".into(),
            }
        } else {
            failed(endpoint, verb, name, e)
        }
    })?;
    let id = node.id.clone().unwrap_or_else(|| name.to_string());
    let version = node
        .version
        .as_ref()
        .and_then(|v| v.index)
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(0);
    let mut spec = node.spec.unwrap_or_default();
    let (before, outcome) = match action {
        NodeAction::Availability { availability } => {
            let before = spec.availability == Some(availability.to_spec());
            spec.availability = Some(availability.to_spec());
            (before, "availability_set")
        }
        NodeAction::Promote => {
            let before = spec.role == Some(NodeSpecRoleEnum::MANAGER);
            spec.role = Some(NodeSpecRoleEnum::MANAGER);
            (before, "promoted")
        }
        NodeAction::Demote => {
            let before = spec.role == Some(NodeSpecRoleEnum::WORKER);
            spec.role = Some(NodeSpecRoleEnum::WORKER);
            (before, "demoted")
        }
    };
    if before {
        return Ok(SwarmOutcome {
            outcome: "unchanged",
            id,
            warnings: Vec::new(),
        });
    }
    client
        .update_node(&id, spec, UpdateNodeOptions { version })
        .await
        .map_err(|e| failed(endpoint, verb, name, e))?;
    Ok(SwarmOutcome {
        outcome,
        id,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use bollard::models::{ServiceSpecMode, ServiceSpecModeReplicated};

    use super::*;

    fn replicated(n: i64) -> ServiceSpec {
        ServiceSpec {
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated { replicas: Some(n) }),
                ..ServiceSpecMode::default()
            }),
            ..ServiceSpec::default()
        }
    }

    #[test]
    fn scale_changes_the_replicas_or_nothing() {
        let mut spec = replicated(4);
        let scale = ServiceAction::Scale { replicas: 6 };
        assert_eq!(change_spec(&mut spec, &scale), Ok(Some("scaled")));
        assert_eq!(
            spec.mode
                .and_then(|m| m.replicated)
                .and_then(|r| r.replicas),
            Some(6)
        );
        let mut spec = replicated(6);
        assert_eq!(change_spec(&mut spec, &scale), Ok(None));
        let mut global = ServiceSpec {
            mode: Some(ServiceSpecMode {
                global: Some(Default::default()),
                ..ServiceSpecMode::default()
            }),
            ..ServiceSpec::default()
        };
        assert!(change_spec(&mut global, &scale).is_err());
    }

    #[test]
    fn force_restart_bumps_force_update_and_image_updates_change_the_image() {
        let mut spec = replicated(1);
        assert_eq!(
            change_spec(&mut spec, &ServiceAction::ForceRestart),
            Ok(Some("restarting"))
        );
        assert_eq!(
            change_spec(&mut spec, &ServiceAction::ForceRestart),
            Ok(Some("restarting"))
        );
        assert_eq!(
            spec.task_template.as_ref().and_then(|t| t.force_update),
            Some(2)
        );
        let update = ServiceAction::UpdateImage {
            image: "web:2".into(),
        };
        assert_eq!(change_spec(&mut spec, &update), Ok(Some("updated")));
        assert_eq!(change_spec(&mut spec, &update), Ok(None));
    }

    #[test]
    fn only_remove_is_destructive_and_drain_and_demote_are_disruptive() {
        assert!(ServiceAction::Remove.is_destructive());
        assert!(!ServiceAction::Rollback.is_destructive());
        assert!(NodeAction::Demote.is_disruptive());
        assert!(
            NodeAction::Availability {
                availability: Availability::Drain
            }
            .is_disruptive()
        );
        assert!(!NodeAction::Promote.is_disruptive());
        assert_eq!(
            ServiceAction::Scale { replicas: 3 }.parameters()["replicas"],
            3
        );
    }
}
