//! The normalised project a compose file set describes: every value interpolated, list and map
//! forms brought to one form, relative paths made absolute, defaults applied, replicas resolved
//! and profiles filtered. This is what the hash covers and what the planner compares against.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model_ext::is_default;
pub use super::model_ext::*;

/// A compose project, ready to plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// Top-level `secrets` by their key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, super::secrets::FileSource>,
    /// Top-level `configs` by their key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, super::secrets::FileSource>,
    /// What the file set says that fleetdeck accepts and does not act on (Swarm-only keys,
    /// `develop`, ...), one line each, to be shown once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The Swarm facts of `secrets` and `configs` (for `--swarm`; not serialised).
    #[serde(skip)]
    pub swarm: super::swarm::SwarmObjects,
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
    /// `None`: the daemon's default (on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub name: String,
    /// The image to run; with `build:` and no `image:`, `PROJECT-SERVICE` (compose v2).
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
    /// `labels`, over the `label_file` contents.
    pub labels: BTreeMap<String, String>,
    pub restart: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    /// `deploy.replicas` / `scale`; 1 by default.
    pub replicas: u32,
    /// `deploy.resources.limits` and `.reservations.memory`, `mem_limit`, `cpus`, `cpu_*`,
    /// `mem_*`, `memswap_limit`, `pids_limit`, `oom_kill_disable`.
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
    // Keys added later: each is left out of the JSON (and so of the hash) when empty.
    /// `expose`: `PORT/PROTO`, a range expanded, sorted, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub stdin_open: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub tty: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    /// `gpus` and `deploy.resources.reservations.devices`, in that order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_requests: Vec<DeviceRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    /// `cgroup`: the cgroup namespace, `host` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    /// `SERVICE[:ro|rw]` or `container:NAME[:ro|rw]`, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// `SERVICE[:ALIAS]`, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `CONTAINER[:ALIAS]`, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    /// `secrets:` references, targets filled in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<super::secrets::FileRef>,
    /// `configs:` references, targets filled in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<super::secrets::FileRef>,
    /// `deploy:`'s Swarm-only parts, as written (for `--swarm`; not serialised, not hashed).
    #[serde(skip)]
    pub swarm: super::swarm::SwarmService,
}

impl ServiceSpec {
    /// A service of one replica of `image`, every other key at compose's default (attached to
    /// the `default` network).
    pub fn new(name: &str, image: &str) -> Self {
        Self {
            name: name.to_string(),
            image: image.to_string(),
            replicas: 1,
            networks: BTreeMap::from([("default".to_string(), NetworkAttachment::default())]),
            ..Self::default()
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
    /// A path of an image (`source`: the image).
    Image,
    /// A Windows named pipe.
    Npipe,
    /// A Swarm cluster volume.
    Cluster,
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
    /// Volume or image: the path inside it to mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    /// Bind: `enabled`, `disabled`, `writable` or `readonly` (sub-mounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<String>,
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
    /// `deploy.resources.reservations.memory` / `mem_reservation`, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<u64>,
    /// `memswap_limit`, bytes (`-1`: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memswap_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_swappiness: Option<i64>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub oom_kill_disable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    /// Windows only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    /// Windows only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<i64>,
}

/// A service's place on one network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkAttachment {
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// The order networks are joined in: highest first (compose's `priority`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub priority: i64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub gw_priority: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
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

/// When the image is pulled (or built).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullPolicy {
    /// Pull when the image is not present (compose's default; also `if_not_present`).
    #[default]
    Missing,
    Always,
    Never,
    /// `build`: build the image, never pull it.
    Build,
    /// `daily`, `weekly`, `every_<duration>`: pull when the image is older than this many
    /// seconds (fleetdeck checks it as `missing`).
    Refresh(u64),
}
