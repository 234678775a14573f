//! The project's networks and volumes, made before any container: those the services use,
//! labelled as compose labels them (`com.docker.compose.project`, `.network` / `.volume`, and
//! the file's own labels). One list call each; a create only for what is missing; an external
//! one must exist already.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};

use super::{Outcome, Run, StepError, StepOutcome};
use crate::reconcile::COMPOSE_PROJECT_LABEL;
use crate::reconcile::compose::MountKind;
use crate::reconcile::plan::{Action, Plan, Step};

/// The network label compose puts on a project's networks (its key in the file).
pub const COMPOSE_NETWORK_LABEL: &str = "com.docker.compose.network";
/// The volume label compose puts on a project's volumes (its key in the file).
pub const COMPOSE_VOLUME_LABEL: &str = "com.docker.compose.volume";

fn resource_step(kind: &str, name: &str) -> Step {
    Step {
        service: format!("({kind})"),
        name: name.to_string(),
        number: None,
        container: None,
        action: Action::Create,
    }
}

fn labels(
    project: &str,
    key_label: &str,
    key: &str,
    own: &BTreeMap<String, String>,
) -> HashMap<String, String> {
    let mut out: HashMap<String, String> =
        own.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    out.insert(COMPOSE_PROJECT_LABEL.into(), project.into());
    out.insert(key_label.into(), key.into());
    out
}

/// Makes the missing networks and volumes; `Err` says why the services cannot be made.
pub(super) async fn ensure(run: &Run<'_>, plan: &Plan) -> Result<(), StepError> {
    let makes = plan
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::Create | Action::Recreate { .. }));
    if !makes {
        return Ok(());
    }
    let index = ensure_networks(run, 0).await?;
    ensure_volumes(run, index).await?;
    Ok(())
}

/// The networks the services join that are not there yet, made; gives the next record index.
async fn ensure_networks(run: &Run<'_>, mut index: usize) -> Result<usize, StepError> {
    let project = run.project;
    let mut keys: Vec<&str> = project
        .services
        .iter()
        .filter(|s| s.network_mode.is_none())
        .flat_map(|s| s.networks.keys().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(index);
    }
    let present = run
        .ctx
        .endpoint
        .list_networks(&HashMap::new())
        .await
        .map_err(|e| StepError::daemon("listing networks", e))?;
    for key in keys {
        let Some(spec) = project.networks.get(key) else {
            continue;
        };
        if present.iter().any(|n| n.name == spec.name) {
            continue;
        }
        if spec.external {
            return Err(StepError::ExternalMissing {
                kind: "network",
                name: spec.name.clone(),
            });
        }
        let request = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            internal: Some(spec.internal),
            attachable: Some(spec.attachable),
            enable_ipv6: spec.enable_ipv6.then_some(true),
            enable_ipv4: spec.enable_ipv4,
            ipam: spec.ipam.as_ref().map(ipam),
            options: options(&spec.driver_opts),
            labels: Some(labels(
                &project.name,
                COMPOSE_NETWORK_LABEL,
                key,
                &spec.labels,
            )),
            ..NetworkCreateRequest::default()
        };
        let done = run.ctx.create_network(request).await;
        record_made(run, index, "network", &spec.name, &done).await?;
        index += 1;
    }
    Ok(index)
}

/// The named volumes the services mount that are not there yet, made.
async fn ensure_volumes(run: &Run<'_>, mut index: usize) -> Result<usize, StepError> {
    let project = run.project;
    let mut keys: Vec<&str> = project
        .services
        .iter()
        .flat_map(|s| s.volumes.iter())
        .filter(|m| m.kind == MountKind::Volume)
        .filter_map(|m| m.source.as_deref())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(index);
    }
    let present = run
        .ctx
        .endpoint
        .list_volumes(&HashMap::new())
        .await
        .map_err(|e| StepError::daemon("listing volumes", e))?;
    for key in keys {
        let Some(spec) = project.volumes.get(key) else {
            continue;
        };
        if present.iter().any(|v| v.name == spec.name) {
            continue;
        }
        if spec.external {
            return Err(StepError::ExternalMissing {
                kind: "volume",
                name: spec.name.clone(),
            });
        }
        let request = VolumeCreateRequest {
            name: Some(spec.name.clone()),
            driver: spec.driver.clone(),
            driver_opts: options(&spec.driver_opts),
            labels: Some(labels(
                &project.name,
                COMPOSE_VOLUME_LABEL,
                key,
                &spec.labels,
            )),
            ..VolumeCreateRequest::default()
        };
        let done = run.ctx.create_volume(request).await;
        record_made(run, index, "volume", &spec.name, &done).await?;
        index += 1;
    }
    Ok(index)
}

/// A driver's options as the create requests take them; none when there are none.
fn options(opts: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!opts.is_empty()).then(|| opts.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Records a network or volume made for the project. A failed create ends the apply (the
/// containers need it); a failed audit line is reported on the step and the apply goes on.
async fn record_made<T>(
    run: &Run<'_>,
    index: usize,
    kind: &'static str,
    name: &str,
    done: &crate::actions::compose::Mutation<T>,
) -> Result<(), StepError> {
    let step = resource_step(kind, name);
    let failure = match (&done.result, &done.audit_error) {
        (Err(e), _) => Some(StepError::Action {
            doing: format!("creating {kind}"),
            name: name.to_string(),
            reason: e.reason(),
        }),
        (Ok(_), Some(a)) => Some(StepError::ResourceAudit {
            kind,
            name: name.to_string(),
            audit: a.to_string(),
        }),
        (Ok(_), None) => None,
    };
    let outcome = match &failure {
        Some(why) => StepOutcome::failed(&step, why.to_string()),
        None => StepOutcome::new(&step, true, Outcome::Created, None),
    };
    run.record(index, outcome).await;
    match failure {
        Some(why) if done.result.is_err() => Err(why),
        _ => Ok(()),
    }
}

/// A network's `ipam:` as Docker's create request takes it.
fn ipam(i: &crate::reconcile::compose::Ipam) -> bollard::models::Ipam {
    let map = |m: &std::collections::BTreeMap<String, String>| {
        (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    bollard::models::Ipam {
        driver: i.driver.clone(),
        config: (!i.config.is_empty()).then(|| {
            i.config
                .iter()
                .map(|p| bollard::models::IpamConfig {
                    subnet: p.subnet.clone(),
                    ip_range: p.ip_range.clone(),
                    gateway: p.gateway.clone(),
                    auxiliary_addresses: map(&p.aux_addresses),
                })
                .collect()
        }),
        options: map(&i.options),
    }
}
