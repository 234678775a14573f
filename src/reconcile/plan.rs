//! The planner: the project the files describe against the containers the daemon has, into one
//! [`Step`] per container, wanted or present. Pure: no daemon, no clock.
//!
//! Compose v2 conventions: a service's containers are `PROJECT-SERVICE-N` (or its
//! `container_name`), labelled with the project, the service, the number, `oneoff=False` and
//! the config hash (see [`container_labels`]). A container is *this project's* when its
//! project label is the project's name and it is not a one-off; only those are ever started,
//! recreated or removed. A name a service's scale would use (`-1` .. `-N`, or its
//! `container_name`) held by any other container is a [`Action::Conflict`]: that container is
//! never touched, and it takes one of the service's slots, so the plan stays the same (and
//! converges) until it is gone.
//!
//! Per service: the containers kept are the lowest-numbered ones up to the scale, the rest are
//! removed (scale down removes the highest numbers); new ones are numbered from the highest
//! existing number + 1 (gaps are not filled), skipping any name another container holds. A kept container is recreated when its config
//! hash differs (or, when the image id the service's image resolves to is given, when the
//! container was made from another one), or when it is dead; started when it is created or
//! exited; otherwise unchanged. A container of this project whose service is gone from the file
//! is an orphan: reported, and removed only with `remove_orphans`. Containers of services left
//! out by profiles are not planned at all.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::compose::{Project, PullPolicy, ServiceSpec};
use super::hash::{changed_fields_from_label, config_hash, field_hashes_label};
use super::order::levels;
use super::{
    COMPOSE_CONFIG_FILES_LABEL, COMPOSE_HASH_LABEL, COMPOSE_IMAGE_LABEL, COMPOSE_NUMBER_LABEL,
    COMPOSE_ONEOFF_LABEL, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, COMPOSE_WORKING_DIR_LABEL,
    FIELD_HASHES_LABEL, OWNER_LABEL, OWNER_VALUE,
};
use crate::engine::model::{Container, ContainerId, RunState};

/// How to plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Remove this project's containers whose service is no longer in the files.
    pub remove_orphans: bool,
    /// Image reference → the image id it resolves to now, where known (after a pull). A kept
    /// container whose `com.docker.compose.image` label differs is recreated (`image`).
    pub image_ids: BTreeMap<String, String>,
    /// Images known to be missing from the daemon: a service with `build:` whose image is
    /// missing is built (a `build` step), and its kept containers recreated.
    pub missing_images: BTreeSet<String>,
    /// `--build`: build every service that has `build:`, present or not.
    pub build: bool,
    /// `--pull`: compare every service's image id with its containers' (`plan_live` resolves
    /// them; nothing is pulled by a plan).
    pub pull: bool,
}

impl PlanOptions {
    /// Whether `spec`'s image is built by this plan.
    pub fn builds(&self, spec: &ServiceSpec) -> bool {
        spec.build.is_some()
            && (self.build
                || spec.pull_policy == PullPolicy::Build
                || self.missing_images.contains(&spec.image))
    }
}

/// Why a container is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoveReason {
    /// A replica beyond the service's scale.
    ScaleDown,
    /// Its service is no longer in the files (with `remove_orphans`).
    Orphan,
}

/// What to do with one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Build the service's image (its step names the image, not a container).
    Build,
    Create,
    /// The config differs: the fields that changed (`config` when the container does not say).
    Recreate {
        changed: Vec<String>,
    },
    /// Present, matching, not running.
    Start,
    Unchanged,
    Remove {
        reason: RemoveReason,
    },
    /// This project's, of a service no longer in the files; kept (no `remove_orphans`).
    Orphan,
    /// The wanted name is held by a container that is not this project's (or not this
    /// service's): never touched, and the wanted container is not made.
    Conflict {
        holder: ContainerId,
    },
}

impl Action {
    /// The word `fleetdeck plan` prints.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Create => "create",
            Self::Recreate { .. } => "recreate",
            Self::Start => "start",
            Self::Unchanged => "unchanged",
            Self::Remove { .. } => "remove",
            Self::Orphan => "orphan",
            Self::Conflict { .. } => "conflict",
        }
    }

    /// Whether carrying it out changes the daemon.
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Self::Build | Self::Create | Self::Recreate { .. } | Self::Start | Self::Remove { .. }
        )
    }
}

/// One container's line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The service (for an orphan, its service label; empty when it has none).
    pub service: String,
    /// The container's name, existing or to be made.
    pub name: String,
    /// The replica number, existing or to be made (`None`: an existing one without a number).
    pub number: Option<u32>,
    /// The existing container the step is about (`None` for a create).
    pub container: Option<ContainerId>,
    #[serde(flatten)]
    pub action: Action,
}

/// The whole plan, services in `depends_on` order, then orphans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub project: String,
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether nothing would change.
    pub fn is_noop(&self) -> bool {
        !self.steps.iter().any(|s| s.action.mutates())
    }

    /// How many steps of each word.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for step in &self.steps {
            *out.entry(step.action.word()).or_insert(0) += 1;
        }
        out
    }
}

/// The name of replica `number` of `spec`: its `container_name`, else `PROJECT-SERVICE-N`.
pub fn container_name(project: &str, spec: &ServiceSpec, number: u32) -> String {
    match &spec.container_name {
        Some(name) => name.clone(),
        None => format!("{project}-{}-{number}", spec.name),
    }
}

/// The labels a container of `spec` is made with: the service's own, then compose's and
/// fleetdeck's (which a service label cannot override). `image_id`: the id the image resolved
/// to, when known.
pub fn container_labels(
    project: &Project,
    spec: &ServiceSpec,
    number: u32,
    image_id: Option<&str>,
) -> BTreeMap<String, String> {
    let mut labels = spec.labels.clone();
    let files: Vec<String> = project
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let ours = [
        (COMPOSE_PROJECT_LABEL, project.name.clone()),
        (COMPOSE_SERVICE_LABEL, spec.name.clone()),
        (COMPOSE_NUMBER_LABEL, number.to_string()),
        (COMPOSE_ONEOFF_LABEL, "False".to_string()),
        (COMPOSE_HASH_LABEL, config_hash(spec)),
        (
            COMPOSE_WORKING_DIR_LABEL,
            project.working_dir.display().to_string(),
        ),
        (COMPOSE_CONFIG_FILES_LABEL, files.join(",")),
        (OWNER_LABEL, OWNER_VALUE.to_string()),
        (FIELD_HASHES_LABEL, field_hashes_label(spec)),
    ];
    labels.extend(ours.into_iter().map(|(k, v)| (k.to_string(), v)));
    if let Some(id) = image_id {
        labels.insert(COMPOSE_IMAGE_LABEL.to_string(), id.to_string());
    }
    labels
}

/// Whether `container` is one of `project`'s service containers (its project label, not a
/// one-off).
pub fn is_ours(project: &str, container: &Container) -> bool {
    container
        .labels
        .get(COMPOSE_PROJECT_LABEL)
        .map(String::as_str)
        == Some(project)
        && !container
            .labels
            .get(COMPOSE_ONEOFF_LABEL)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn number_of(container: &Container) -> Option<u32> {
    container.labels.get(COMPOSE_NUMBER_LABEL)?.parse().ok()
}

/// The replica number whose name (for `spec` in `project`) is `name`, if any.
fn slot_of(project: &str, spec: &ServiceSpec, name: &str) -> Option<u32> {
    if let Some(fixed) = &spec.container_name {
        return (fixed == name).then_some(1);
    }
    let digits = name.strip_prefix(&format!("{project}-{}-", spec.name))?;
    let k: u32 = digits.parse().ok()?;
    (k >= 1 && k.to_string() == digits).then_some(k)
}

fn clean(name: &str) -> &str {
    name.strip_prefix('/').unwrap_or(name)
}

/// What a kept container of `spec` needs.
fn kept_action(spec: &ServiceSpec, hash: &str, c: &Container, opts: &PlanOptions) -> Action {
    let mut changed = Vec::new();
    if c.labels.get(COMPOSE_HASH_LABEL).map(String::as_str) != Some(hash) {
        let label = c.labels.get(FIELD_HASHES_LABEL).map(String::as_str);
        changed = changed_fields_from_label(label, spec)
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| vec!["config".to_string()]);
    }
    let new_image = opts.builds(spec)
        || opts
            .image_ids
            .get(&spec.image)
            .is_some_and(|id| c.labels.get(COMPOSE_IMAGE_LABEL) != Some(id));
    if new_image && !changed.iter().any(|f| f == "image") {
        changed.push("image".to_string());
    }
    if matches!(c.state, RunState::Dead | RunState::Removing) {
        changed.push("state".to_string());
    }
    if !changed.is_empty() {
        return Action::Recreate { changed };
    }
    match c.state {
        RunState::Created | RunState::Exited => Action::Start,
        _ => Action::Unchanged,
    }
}

/// Plans `project` against the daemon's containers `actual`.
pub fn plan(project: &Project, actual: &[Container], opts: &PlanOptions) -> Plan {
    let mut by_service: BTreeMap<&str, Vec<&Container>> = BTreeMap::new();
    let mut orphans: Vec<&Container> = Vec::new();
    for c in actual.iter().filter(|c| is_ours(&project.name, c)) {
        let service = c
            .labels
            .get(COMPOSE_SERVICE_LABEL)
            .map_or("", String::as_str);
        if project.service(service).is_some() {
            by_service.entry(service).or_default().push(c);
        } else if !project.disabled_services.iter().any(|d| d == service) {
            orphans.push(c);
        }
    }
    let order: Vec<&ServiceSpec> = match levels(&project.services) {
        Ok(levels) => levels
            .iter()
            .flatten()
            .filter_map(|name| project.service(name))
            .collect(),
        Err(_) => project.services.iter().collect(),
    };
    let mut steps = Vec::new();
    for spec in order {
        let existing = by_service.remove(spec.name.as_str()).unwrap_or_default();
        if opts.builds(spec) {
            steps.push(Step {
                service: spec.name.clone(),
                name: spec.image.clone(),
                number: None,
                container: None,
                action: Action::Build,
            });
        }
        steps.extend(service_steps(project, spec, existing, actual, opts));
    }
    orphans.sort_by(|a, b| clean(&a.name).cmp(clean(&b.name)));
    steps.extend(orphans.into_iter().map(|c| orphan_step(c, opts)));
    Plan {
        project: project.name.clone(),
        steps,
    }
}

/// One service's steps: its containers kept, recreated or scaled down, the names others hold,
/// the new replicas; in replica order.
fn service_steps(
    project: &Project,
    spec: &ServiceSpec,
    mut existing: Vec<&Container>,
    actual: &[Container],
    opts: &PlanOptions,
) -> Vec<Step> {
    let hash = config_hash(spec);
    existing.sort_by_key(|c| (number_of(c).unwrap_or(u32::MAX), clean(&c.name).to_string()));
    let wanted = if spec.container_name.is_some() {
        spec.replicas.min(1)
    } else {
        spec.replicas
    };
    // Names a scale of `wanted` would use that another container holds: each takes a slot
    // (reported, never touched) so that the plan is the same until that container goes.
    let conflicts: Vec<(u32, &Container)> = actual
        .iter()
        .filter(|c| {
            !is_ours(&project.name, c) || c.labels.get(COMPOSE_SERVICE_LABEL) != Some(&spec.name)
        })
        .filter_map(|c| Some((slot_of(&project.name, spec, clean(&c.name))?, c)))
        .filter(|(k, _)| *k <= wanted)
        .collect();
    let budget = usize::try_from(wanted)
        .unwrap_or(usize::MAX)
        .saturating_sub(conflicts.len());
    let step = |name: String, number: Option<u32>, container, action| Step {
        service: spec.name.clone(),
        name,
        number,
        container,
        action,
    };
    let mut steps = Vec::new();
    for (i, c) in existing.iter().enumerate() {
        let action = if i < budget {
            kept_action(spec, &hash, c, opts)
        } else {
            Action::Remove {
                reason: RemoveReason::ScaleDown,
            }
        };
        let name = clean(&c.name).to_string();
        steps.push(step(name, number_of(c), Some(c.id.clone()), action));
    }
    for (k, holder) in &conflicts {
        let action = Action::Conflict {
            holder: holder.id.clone(),
        };
        let name = container_name(&project.name, spec, *k);
        steps.push(step(name, Some(*k), None, action));
    }
    // New replicas: numbered from the highest existing + 1, past any name already held.
    let mut next = existing
        .iter()
        .filter_map(|c| number_of(c))
        .chain(conflicts.iter().map(|(k, _)| *k))
        .max()
        .unwrap_or(0);
    let mut missing = budget.saturating_sub(existing.len());
    while missing > 0 && next < u32::MAX {
        next += 1;
        let name = container_name(&project.name, spec, next);
        if actual.iter().any(|c| clean(&c.name) == name) {
            continue;
        }
        missing -= 1;
        steps.push(step(name, Some(next), None, Action::Create));
    }
    steps.sort_by_key(|s| (s.number.unwrap_or(u32::MAX), s.name.clone()));
    steps
}

/// A container of the project whose service is gone from the files.
fn orphan_step(c: &Container, opts: &PlanOptions) -> Step {
    Step {
        service: c
            .labels
            .get(COMPOSE_SERVICE_LABEL)
            .cloned()
            .unwrap_or_default(),
        name: clean(&c.name).to_string(),
        number: number_of(c),
        container: Some(c.id.clone()),
        action: if opts.remove_orphans {
            Action::Remove {
                reason: RemoveReason::Orphan,
            }
        } else {
            Action::Orphan
        },
    }
}
