//! Compose reconcile, the pure half: compose files read into a normalised [`compose::Project`],
//! a config hash per service ([`hash`]), the `depends_on` order ([`order`]) and a planner that
//! compares the project with the containers the daemon has ([`plan`]). Nothing here talks to
//! the daemon; applying a plan is the action layer's job.
//!
//! Containers are named and labelled as Docker Compose v2 does, so `docker compose ps` sees a
//! project fleetdeck made; the label keys are below.

pub mod apply;
pub mod body;
mod body_more;
pub mod compose;
pub mod files;
pub mod hash;
pub mod order;
pub mod plan;
pub mod stack;

#[cfg(test)]
mod body_more_tests;
#[cfg(test)]
mod body_tests;
#[cfg(test)]
mod hash_tests;
#[cfg(test)]
mod plan_prop_tests;
#[cfg(test)]
mod plan_tests;

pub use crate::engine::model::{COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL};

/// The replica number of a container within its service (`1`, `2` ...).
pub const COMPOSE_NUMBER_LABEL: &str = "com.docker.compose.container-number";
/// `True` on `docker compose run` containers, `False` on service containers.
pub const COMPOSE_ONEOFF_LABEL: &str = "com.docker.compose.oneoff";
/// The hash of the service config the container was made from.
pub const COMPOSE_HASH_LABEL: &str = "com.docker.compose.config-hash";
pub const COMPOSE_WORKING_DIR_LABEL: &str = "com.docker.compose.project.working_dir";
pub const COMPOSE_CONFIG_FILES_LABEL: &str = "com.docker.compose.project.config_files";
/// The image id the container was made from (compose sets it after a pull).
pub const COMPOSE_IMAGE_LABEL: &str = "com.docker.compose.image";
/// fleetdeck's owner label: the same key and value that `actions::run` puts on run containers
/// (`fleetdeck.owner=fleetdeck`), repeated here because this layer may not name `actions`.
pub const OWNER_LABEL: &str = "fleetdeck.owner";
pub const OWNER_VALUE: &str = "fleetdeck";
/// Per-field hashes of the service config (`field=8hex,...`), so a plan can say which fields
/// changed from the labels alone, without keeping the old config anywhere.
pub const FIELD_HASHES_LABEL: &str = "fleetdeck.compose.field-hashes";
