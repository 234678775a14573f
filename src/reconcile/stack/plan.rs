//! The plan of a stack: what the file wants ([`super::convert::Desired`]) against what the
//! manager has ([`Current`]): each service, network, secret and config to create, update
//! (with the fields that differ), leave unchanged or remove (it carries the stack's label and
//! the file no longer names it). An external object the manager lacks, and a config whose
//! content changed (Swarm keeps configs and secrets immutable), are conflicts: applying the
//! plan skips them and says why.
//!
//! As `docker stack deploy`, a service whose image the file names as before keeps the image
//! the manager resolved (a digest) and its force-update counter, so that neither counts as a
//! change. A secret's content cannot be read back, so an existing secret is unchanged.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, Service, ServiceSpec};
use serde::Serialize;

use super::compare::changed_fields;
use super::convert::Desired;
use super::{IMAGE_LABEL, NAMESPACE_LABEL};

pub use crate::engine::stack_reads::ObjectInfo;

/// What the manager has.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The stack's services (labelled with its name).
    pub services: Vec<Service>,
    /// Whether the services' health checks were read (see
    /// [`crate::engine::Endpoint::services_labelled_with_health`]): without them a health check
    /// is not compared.
    pub health_read: bool,
    /// Every network (the stack's are those labelled with its name; the others may be
    /// external ones).
    pub networks: Vec<ObjectInfo>,
    /// Every secret, and every config.
    pub secrets: Vec<ObjectInfo>,
    pub configs: Vec<ObjectInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Network,
    Secret,
    Config,
    Service,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::Secret => "secret",
            Self::Config => "config",
            Self::Service => "service",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    Create,
    Update { changed: Vec<String> },
    Unchanged,
    Remove,
    Conflict { reason: String },
}

impl Action {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update { .. } => "update",
            Self::Unchanged => "unchanged",
            Self::Remove => "remove",
            Self::Conflict { .. } => "conflict",
        }
    }
}

/// What a step sends to the manager.
#[derive(Debug, Clone, Default)]
pub enum Payload {
    #[default]
    None,
    Network(NetworkCreateRequest),
    Secret(SecretSpec),
    Config(ConfigSpec),
    /// The spec, and the version of the service it updates.
    Service(Box<ServiceSpec>, Option<u64>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub kind: Kind,
    pub name: String,
    #[serde(flatten)]
    pub action: Action,
    /// The object's id, when it exists.
    pub id: Option<String>,
    #[serde(skip)]
    pub payload: Payload,
}

#[derive(Debug, Clone, Default)]
pub struct StackPlan {
    pub stack: String,
    /// Networks, secrets, configs, services: creates and updates in that order, then the
    /// removals (services first).
    pub steps: Vec<Step>,
}

impl StackPlan {
    /// Whether applying changes nothing.
    pub fn is_noop(&self) -> bool {
        self.steps.iter().all(|s| s.action == Action::Unchanged)
    }

    /// `(word, count)` for each action present.
    pub fn counts(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.steps {
            *counts.entry(s.action.word()).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(w, n)| (w.to_string(), n))
            .collect()
    }
}

fn labelled(labels: &HashMap<String, String>, stack: &str) -> bool {
    labels.get(NAMESPACE_LABEL).map(String::as_str) == Some(stack)
}

fn step(kind: Kind, name: &str, action: Action, id: Option<String>, payload: Payload) -> Step {
    Step {
        kind,
        name: name.to_string(),
        action,
        id,
        payload,
    }
}

/// The plan that brings `current` to `desired`.
pub fn plan(desired: &Desired, current: &Current) -> StackPlan {
    let mut steps = object_steps(desired, current);
    let network_names: HashMap<&str, &str> = current
        .networks
        .iter()
        .map(|n| (n.id.as_str(), n.name.as_str()))
        .collect();
    for want in &desired.services {
        steps.push(service_step(want, current, &network_names));
    }
    steps.extend(removals(desired, current));
    StackPlan {
        stack: desired.stack.clone(),
        steps,
    }
}

/// The networks, secrets and configs the file wants.
fn object_steps(desired: &Desired, current: &Current) -> Vec<Step> {
    let mut steps = Vec::new();
    for n in &desired.networks {
        let found = by_name(&current.networks, &n.name);
        steps.push(there_or_create(Kind::Network, &n.name, found, || {
            Payload::Network(n.clone())
        }));
    }
    for name in &desired.external_networks {
        if by_name(&current.networks, name).is_none() {
            let reason = format!(
                "external network {name} not found: create a swarm-scoped network before the stack is deployed"
            );
            steps.push(conflict(Kind::Network, name, reason, None));
        }
    }
    for s in &desired.secrets {
        let name = s.name.clone().unwrap_or_default();
        let found = by_name(&current.secrets, &name);
        steps.push(there_or_create(Kind::Secret, &name, found, || {
            Payload::Secret(s.clone())
        }));
    }
    for c in &desired.configs {
        let name = c.name.clone().unwrap_or_default();
        steps.push(match by_name(&current.configs, &name) {
            Some(o) if o.data.is_some() && o.data != c.data => {
                let reason = "its content changed, and Swarm configs cannot be changed: give it a new name (or take the stack down first)".to_string();
                conflict(Kind::Config, &name, reason, Some(o.id))
            }
            found => there_or_create(Kind::Config, &name, found, || Payload::Config(c.clone())),
        });
    }
    steps.extend(missing_externals(desired, current));
    steps
}

/// The daemon's object of that name.
fn by_name(list: &[ObjectInfo], name: &str) -> Option<ObjectInfo> {
    list.iter().find(|o| o.name == name).cloned()
}

/// Unchanged when the daemon has it, else created from `payload`.
fn there_or_create(
    kind: Kind,
    name: &str,
    found: Option<ObjectInfo>,
    payload: impl FnOnce() -> Payload,
) -> Step {
    match found {
        Some(o) => step(kind, name, Action::Unchanged, Some(o.id), Payload::None),
        None => step(kind, name, Action::Create, None, payload()),
    }
}

fn conflict(kind: Kind, name: &str, reason: String, id: Option<String>) -> Step {
    step(kind, name, Action::Conflict { reason }, id, Payload::None)
}

/// The external secrets and configs the daemon does not have: conflicts.
fn missing_externals(desired: &Desired, current: &Current) -> Vec<Step> {
    let mut steps = Vec::new();
    for (kind, names, list) in [
        (Kind::Secret, &desired.external_secrets, &current.secrets),
        (Kind::Config, &desired.external_configs, &current.configs),
    ] {
        for name in names.iter().filter(|n| by_name(list, n).is_none()) {
            let reason = format!("external {} {name} not found", kind.word());
            steps.push(conflict(kind, name, reason, None));
        }
    }
    steps
}

/// What carries the stack's label and the file does not name: services first.
fn removals(desired: &Desired, current: &Current) -> Vec<Step> {
    let stack = desired.stack.as_str();
    let mut removals = Vec::new();
    let wanted = |name: &str| {
        desired
            .services
            .iter()
            .any(|s| s.name.as_deref() == Some(name))
    };
    for svc in &current.services {
        let spec = svc.spec.clone().unwrap_or_default();
        let name = spec.name.clone().unwrap_or_default();
        if labelled(&spec.labels.unwrap_or_default(), stack) && !wanted(&name) {
            removals.push(step(
                Kind::Service,
                &name,
                Action::Remove,
                svc.id.clone(),
                Payload::None,
            ));
        }
    }
    let object_removals = [
        (
            Kind::Network,
            &current.networks,
            desired
                .networks
                .iter()
                .map(|n| n.name.clone())
                .collect::<Vec<_>>(),
        ),
        (
            Kind::Secret,
            &current.secrets,
            desired
                .secrets
                .iter()
                .filter_map(|s| s.name.clone())
                .collect(),
        ),
        (
            Kind::Config,
            &current.configs,
            desired
                .configs
                .iter()
                .filter_map(|c| c.name.clone())
                .collect(),
        ),
    ];
    for (kind, list, keep) in object_removals {
        for o in list
            .iter()
            .filter(|o| labelled(&o.labels, stack) && !keep.contains(&o.name))
        {
            removals.push(step(
                kind,
                &o.name,
                Action::Remove,
                Some(o.id.clone()),
                Payload::None,
            ));
        }
    }
    removals
}

/// What the manager would be sent for `want`, given the service it has (docker's rules for
/// an update: the resolved image kept when the file's image is unchanged, the force counter
/// kept).
pub fn effective(want: &ServiceSpec, have: Option<&ServiceSpec>) -> ServiceSpec {
    let mut spec = want.clone();
    let Some(have) = have else {
        return spec;
    };
    let file_image = want.labels.as_ref().and_then(|l| l.get(IMAGE_LABEL));
    let had_image = have.labels.as_ref().and_then(|l| l.get(IMAGE_LABEL));
    let current_image = have
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.clone());
    if let Some(task) = spec.task_template.as_mut() {
        if file_image.is_some()
            && file_image == had_image
            && let Some(c) = task.container_spec.as_mut()
        {
            c.image = current_image;
        }
        task.force_update = have.task_template.as_ref().and_then(|t| t.force_update);
    }
    spec
}

/// The manager keeps a service's networks by id: the names they stand for, as the file has
/// them.
pub fn with_network_names(spec: &mut ServiceSpec, names: &HashMap<&str, &str>) {
    let task = spec.task_template.as_mut();
    for n in task.and_then(|t| t.networks.as_mut()).into_iter().flatten() {
        if let Some(name) = n.target.as_deref().and_then(|id| names.get(id)) {
            n.target = Some((*name).to_string());
        }
    }
}

fn service_step(want: &ServiceSpec, current: &Current, names: &HashMap<&str, &str>) -> Step {
    let name = want.name.clone().unwrap_or_default();
    let found = current
        .services
        .iter()
        .find(|s| s.spec.as_ref().and_then(|spec| spec.name.as_deref()) == Some(name.as_str()));
    let Some(found) = found else {
        let payload = Payload::Service(Box::new(want.clone()), None);
        return step(Kind::Service, &name, Action::Create, None, payload);
    };
    let mut have = found.spec.clone().unwrap_or_default();
    with_network_names(&mut have, names);
    let spec = effective(want, Some(&have));
    let changed = if current.health_read {
        changed_fields(&spec, &have)
    } else {
        // The manager's health check was not read: it cannot be compared.
        let mut unread = spec.clone();
        if let Some(c) = unread
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        {
            c.health_check = None;
        }
        changed_fields(&unread, &have)
    };
    let version = found.version.as_ref().and_then(|v| v.index);
    let action = if changed.is_empty() {
        Action::Unchanged
    } else {
        Action::Update { changed }
    };
    let payload = Payload::Service(Box::new(spec), version);
    step(Kind::Service, &name, action, found.id.clone(), payload)
}

/// Fills in the ids of the secrets and configs `spec` refers to (by name), once they exist.
pub fn with_ids(
    spec: &mut ServiceSpec,
    secrets: &HashMap<String, String>,
    configs: &HashMap<String, String>,
) {
    let Some(c) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return;
    };
    for r in c.secrets.iter_mut().flatten() {
        r.secret_id = r.secret_name.as_ref().and_then(|n| secrets.get(n).cloned());
    }
    for r in c.configs.iter_mut().flatten() {
        r.config_id = r.config_name.as_ref().and_then(|n| configs.get(n).cloned());
    }
}
