//! The normalised project a compose file set describes: every value interpolated, list and map
//! forms brought to one form, relative paths made absolute, defaults applied, replicas resolved
//! and profiles filtered. This is what the hash covers and what the planner compares against.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A compose project, ready to plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The normalised project name (`[a-z0-9][a-z0-9_-]*`).
    pub name: String,
    /// The project directory: the first file's directory (compose's `project.working_dir`).
    pub working_dir: PathBuf,
    /// The files, in the order given (compose's `project.config_files`).
    pub config_files: Vec<PathBuf>,
    /// The active services, in file order.
    pub services: Vec<ServiceSpec>,
    /// Services left out because none of their profiles is active: their containers are
    /// neither planned nor orphans.
    pub disabled_services: Vec<String>,
    /// Declared networks by their key, plus `default` when a service uses it.
    pub networks: BTreeMap<String, NetworkSpec>,
    /// Declared named volumes by their key.
    pub volumes: BTreeMap<String, VolumeSpec>,
    /// Top-level `secrets` by their key (values masked when serialised).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, super::secrets::FileSource>,
    /// Top-level `configs` by their key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, super::secrets::FileSource>,
}

impl Project {
    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// A top-level network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// The daemon's name: `name:`, else `PROJECT_KEY` (an external one: `name:` or the key).
    pub name: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: bool,
}

/// A top-level named volume.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VolumeSpec {
    /// The daemon's name: `name:`, else `PROJECT_KEY` (an external one: `name:` or the key).
    pub name: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// One service, normalised. Field names are the compose keys (the hash's changed-field names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub name: String,
    pub image: String,
    /// `build:`; left out of the hash (a new image shows as the `image` change). Without
    /// `image:` the image is named `PROJECT-SERVICE`, as compose v2 names it.
    pub build: Option<super::build::BuildSpec>,
    /// `None`: the image's own. A string command is split as a shell would (quotes, `\`).
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `env_file` contents, then `environment` over them; a variable named without a value is
    /// taken from the environment the file set was interpolated with, or left out.
    pub environment: BTreeMap<String, String>,
    pub ports: Vec<PortSpec>,
    pub volumes: Vec<Mount>,
    pub labels: BTreeMap<String, String>,
    pub restart: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    /// `deploy.replicas` / `scale`; 1 by default.
    pub replicas: u32,
    /// `deploy.resources.limits`, `mem_limit`, `cpus`.
    pub limits: Limits,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    /// Network key → attachment. `default` when neither `networks` nor `network_mode` is given.
    pub networks: BTreeMap<String, NetworkAttachment>,
    pub network_mode: Option<String>,
    pub depends_on: BTreeMap<String, Dependency>,
    pub container_name: Option<String>,
    pub init: Option<bool>,
    pub read_only: bool,
    /// Sorted, without duplicates.
    pub cap_add: Vec<String>,
    /// Sorted, without duplicates.
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub tmpfs: Vec<String>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub shm_size: Option<u64>,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<Duration>,
    /// `host:ip` entries (map form and `host=ip` brought to this form).
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub logging: Option<Logging>,
    pub profiles: Vec<String>,
    pub pull_policy: PullPolicy,
    /// `secrets:` (left out of the serialised form, and so of the hash, when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<super::secrets::FileRef>,
    /// `configs:`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<super::secrets::FileRef>,
}

impl ServiceSpec {
    /// A service of one replica of `image`, every other key at compose's default (attached to
    /// the `default` network).
    pub fn new(name: &str, image: &str) -> Self {
        Self {
            name: name.to_string(),
            image: image.to_string(),
            build: None,
            command: None,
            entrypoint: None,
            environment: BTreeMap::new(),
            ports: Vec::new(),
            volumes: Vec::new(),
            labels: BTreeMap::new(),
            restart: None,
            healthcheck: None,
            replicas: 1,
            limits: Limits::default(),
            user: None,
            working_dir: None,
            hostname: None,
            networks: BTreeMap::from([("default".to_string(), NetworkAttachment::default())]),
            network_mode: None,
            depends_on: BTreeMap::new(),
            container_name: None,
            init: None,
            read_only: false,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            security_opt: Vec::new(),
            tmpfs: Vec::new(),
            ulimits: BTreeMap::new(),
            shm_size: None,
            stop_signal: None,
            stop_grace_period: None,
            extra_hosts: Vec::new(),
            dns: Vec::new(),
            logging: None,
            profiles: Vec::new(),
            pull_policy: PullPolicy::Missing,
            secrets: Vec::new(),
            configs: Vec::new(),
        }
    }
}

/// One published or exposed port (a range is expanded into one per port).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortSpec {
    pub target: u16,
    /// A host port, or a host range (`8000-8010`) when one container port takes any of them.
    pub published: Option<String>,
    pub host_ip: Option<String>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
}

/// One entry of `volumes:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub kind: MountKind,
    /// Bind: the absolute host path. Volume: the top-level volume key (`None`: anonymous).
    /// Tmpfs: `None`.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// Bind: `z` / `Z` (SELinux relabel), from the short syntax or `bind.selinux`.
    pub selinux: Option<String>,
    pub propagation: Option<String>,
    /// Bind: create the host path when missing (compose's default: true).
    pub create_host_path: bool,
    /// Volume: do not copy the image's content into a new volume.
    pub nocopy: bool,
    pub tmpfs_size: Option<u64>,
    pub tmpfs_mode: Option<u32>,
}

/// A health check; `disable: true` or `test: ["NONE"]` gives `Disabled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Healthcheck {
    Disabled,
    Check {
        /// `["CMD", ...]` or `["CMD-SHELL", "..."]` (a string test is the latter); `None`: the
        /// image's test with these timings.
        test: Option<Vec<String>>,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        retries: Option<u64>,
        start_period: Option<Duration>,
        start_interval: Option<Duration>,
    },
}

/// Resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Limits {
    /// CPUs in billionths (Docker's `NanoCpus`): `0.5` → 500 000 000.
    pub nano_cpus: Option<u64>,
    /// Bytes.
    pub memory: Option<u64>,
    pub pids: Option<i64>,
}

/// A service's place on one network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkAttachment {
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

/// One `depends_on` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub condition: Condition,
    /// Restart this service when the dependency is updated (compose's `restart:`).
    pub restart: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Logging {
    pub driver: Option<String>,
    pub options: BTreeMap<String, String>,
}

/// When the image is pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullPolicy {
    /// Pull when the image is not present (compose's default; also `if_not_present`).
    #[default]
    Missing,
    Always,
    Never,
    /// Build the image, every time (`pull_policy: build`).
    Build,
}
