//! The container a run asks for, as plain data, and the Docker create body built from it: a pure
//! function, no daemon involved. Safe defaults: never privileged unless asked,
//! `no-new-privileges`, every capability dropped unless added back, an init process, swap
//! limited to the memory limit; [`RunSpec::warnings`] names the limits left unset. Every run
//! container is labelled with its owner's pid and host, for a GC to find one left behind.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, HealthConfig, HostConfig,
    HostConfigLogConfig, PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use serde::Serialize;

/// Labels every run container carries, so that a GC can find one whose owner is gone.
pub const OWNER_LABEL: &str = "fleetdeck.owner";
pub const OWNER_PID_LABEL: &str = "fleetdeck.owner.pid";
pub const OWNER_HOST_LABEL: &str = "fleetdeck.owner.host";
pub const KIND_LABEL: &str = "fleetdeck.kind";
/// The owner process's start time (field 22 of `/proc/PID/stat`, clock ticks since boot), so
/// that a pid reused by another process is not taken for the owner.
pub const OWNER_START_LABEL: &str = "fleetdeck.owner.start";
/// What owns it: `process` (a `fleetdeck run`) or `keeper` (a job of a `fleetdeck keep`).
pub const OWNER_KIND_LABEL: &str = "fleetdeck.owner.kind";
/// The keeper instance that owns it (with kind `keeper`).
pub const OWNER_ID_LABEL: &str = "fleetdeck.owner.id";
/// The group a container belongs to (`run --group G`): `stop`, `rm` and `gc` act on a group.
pub const GROUP_LABEL: &str = "fleetdeck.group";
/// An RFC 3339 time before which GC leaves the container alone (`run --protect-for D`).
pub const PROTECTED_UNTIL_LABEL: &str = "fleetdeck.gc.protected-until";

/// When to pull the image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullPolicy {
    /// Pull every time.
    Always,
    /// Pull only when the daemon does not have the image.
    #[default]
    IfNotPresent,
    /// Never pull: a missing image is an error.
    Never,
}

/// A published port: `[ip:]host:container[/proto]` or `container[/proto]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortSpec {
    pub host_ip: Option<String>,
    /// `None`: the daemon picks a free port.
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

/// A resource limit: `name=soft[:hard]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// A device: `host[:container[:permissions]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSpec {
    pub host: String,
    pub container: String,
    pub permissions: String,
}

/// GPUs asked for with `--gpus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuSpec {
    All,
    Count(i64),
    Devices(Vec<String>),
}

/// The restart policy: `no`, `always`, `unless-stopped`, `on-failure[:N]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestartSpec {
    pub name: String,
    pub max_retries: Option<i64>,
}

/// A healthcheck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HealthSpec {
    /// `NONE`: switch off the image's healthcheck.
    Disabled,
    /// A shell command (`CMD-SHELL`) and its timing.
    Command {
        command: String,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        retries: Option<i64>,
        start_period: Option<Duration>,
    },
}

/// The log driver and its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSpec {
    pub driver: String,
    pub options: BTreeMap<String, String>,
}

/// A container as a user asks for it. Everything defaults to "unset" except the safe defaults:
/// `init` on, nothing privileged, every capability dropped (`cap_drop: None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSpec {
    pub image: String,
    pub name: Option<String>,
    /// The command (after the image's entrypoint); the image's when empty.
    pub command: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=value`.
    pub env: Vec<String>,
    /// Bind mounts and volumes: `src:dst[:opts]`.
    pub volumes: Vec<String>,
    pub ports: Vec<PortSpec>,
    /// `none`, `host`, `bridge`, a network's name, `container:NAME`.
    pub network: Option<String>,
    pub cpus: Option<f64>,
    /// Bytes.
    pub memory: Option<i64>,
    /// Bytes of memory plus swap; the memory limit (no swap) when unset and memory is set.
    pub memory_swap: Option<i64>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub hostname: Option<String>,
    pub dns: Vec<String>,
    /// `name:ip`.
    pub extra_hosts: Vec<String>,
    pub init: bool,
    pub pids_limit: Option<i64>,
    pub ulimits: Vec<Ulimit>,
    /// Path → mount options (`size=64m`), possibly empty.
    pub tmpfs: BTreeMap<String, String>,
    pub read_only_root: bool,
    /// Bytes.
    pub shm_size: Option<i64>,
    pub cap_add: Vec<String>,
    /// `None`: drop `ALL`. Given: exactly these are dropped instead.
    pub cap_drop: Option<Vec<String>>,
    pub privileged: bool,
    pub devices: Vec<DeviceSpec>,
    pub gpus: Option<GpuSpec>,
    pub restart: Option<RestartSpec>,
    pub healthcheck: Option<HealthSpec>,
    pub log: Option<LogSpec>,
}

impl RunSpec {
    /// A spec for `image` with the safe defaults and nothing else.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            name: None,
            command: Vec::new(),
            entrypoint: None,
            env: Vec::new(),
            volumes: Vec::new(),
            ports: Vec::new(),
            network: None,
            cpus: None,
            memory: None,
            memory_swap: None,
            user: None,
            working_dir: None,
            labels: BTreeMap::new(),
            hostname: None,
            dns: Vec::new(),
            extra_hosts: Vec::new(),
            init: true,
            pids_limit: None,
            ulimits: Vec::new(),
            tmpfs: BTreeMap::new(),
            read_only_root: false,
            shm_size: None,
            cap_add: Vec::new(),
            cap_drop: None,
            privileged: false,
            devices: Vec::new(),
            gpus: None,
            restart: None,
            healthcheck: None,
            log: None,
        }
    }

    /// What is left unbounded, for a warning before the run.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.memory.is_none() {
            warnings.push(
                "no memory limit (--memory): the container may use all of the host's memory"
                    .to_string(),
            );
        }
        if self.pids_limit.is_none() {
            warnings.push(
                "no pids limit (--pids-limit): a fork bomb in the container can exhaust the host"
                    .to_string(),
            );
        }
        if self.privileged {
            warnings.push("--privileged: the container has full access to the host".to_string());
        }
        warnings
    }

    /// The Docker create body, labelled with `owner`. Pure: no daemon involved.
    pub fn create_body(&self, owner: &Owner) -> ContainerCreateBody {
        let (exposed, bindings) = self.port_bindings();
        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: non_empty(self.command.clone()),
            entrypoint: self.entrypoint.clone(),
            env: non_empty(self.env.clone()),
            user: self.user.clone(),
            working_dir: self.working_dir.clone(),
            hostname: self.hostname.clone(),
            labels: Some(self.labels_with(owner)),
            exposed_ports: non_empty(exposed),
            healthcheck: self.healthcheck.as_ref().map(health_config),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            open_stdin: Some(false),
            host_config: Some(self.host_config(bindings)),
            ..ContainerCreateBody::default()
        }
    }

    /// The user's labels, and fleetdeck's: the owner (process or keeper) and the kind.
    fn labels_with(&self, owner: &Owner) -> HashMap<String, String> {
        let mut labels: HashMap<String, String> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(OWNER_LABEL.into(), "fleetdeck".into());
        labels.insert(OWNER_PID_LABEL.into(), owner.pid.to_string());
        labels.insert(OWNER_HOST_LABEL.into(), owner.host.clone());
        if let Some(start) = owner.start {
            labels.insert(OWNER_START_LABEL.into(), start.to_string());
        }
        match &owner.keeper {
            Some(id) => {
                labels.insert(OWNER_KIND_LABEL.into(), "keeper".into());
                labels.insert(OWNER_ID_LABEL.into(), id.clone());
            }
            None => {
                labels.insert(OWNER_KIND_LABEL.into(), "process".into());
            }
        }
        labels
            .entry(KIND_LABEL.into())
            .or_insert_with(|| "run".into());
        labels
    }

    /// The exposed ports (`80/tcp`, each once) and their bindings on the host.
    fn port_bindings(&self) -> (Vec<String>, PortBindings) {
        let mut exposed = Vec::new();
        let mut bindings: PortBindings = HashMap::new();
        for p in &self.ports {
            let key = format!("{}/{}", p.container_port, p.protocol);
            if !exposed.contains(&key) {
                exposed.push(key.clone());
            }
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.clone(),
                    host_port: p.host_port.map(|n| n.to_string()),
                });
        }
        (exposed, bindings)
    }

    /// The host config: resources, mounts, network, hardening, devices, restart, logging.
    fn host_config(&self, bindings: PortBindings) -> HostConfig {
        // Dropping capabilities means nothing to a privileged container: it has them all.
        let cap_drop = (!self.privileged).then(|| {
            self.cap_drop
                .clone()
                .unwrap_or_else(|| vec!["ALL".to_string()])
        });
        HostConfig {
            binds: non_empty(self.volumes.clone()),
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            network_mode: self.network.clone(),
            nano_cpus: self.cpus.map(|c| (c * 1e9).round() as i64),
            memory: self.memory,
            memory_swap: self.memory_swap.or(self.memory),
            dns: non_empty(self.dns.clone()),
            extra_hosts: non_empty(self.extra_hosts.clone()),
            init: Some(self.init),
            pids_limit: self.pids_limit,
            ulimits: non_empty(self.ulimits.iter().map(resources_ulimit).collect()),
            tmpfs: (!self.tmpfs.is_empty()).then(|| {
                self.tmpfs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            readonly_rootfs: Some(self.read_only_root),
            shm_size: self.shm_size,
            cap_add: non_empty(self.cap_add.clone()),
            cap_drop,
            privileged: Some(self.privileged),
            security_opt: Some(vec!["no-new-privileges".to_string()]),
            devices: non_empty(self.devices.iter().map(device_mapping).collect()),
            device_requests: self.gpus.as_ref().map(|g| vec![device_request(g)]),
            restart_policy: self.restart.as_ref().map(restart_policy),
            log_config: self.log.as_ref().map(|l| HostConfigLogConfig {
                typ: Some(l.driver.clone()),
                config: Some(
                    l.options
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
            }),
            // fleetdeck removes the container itself, on every path: AutoRemove would race the
            // final inspect and conflict with a restart policy.
            auto_remove: Some(false),
            ..HostConfig::default()
        }
    }

    /// The parameters for the audit line: what shapes the container, never env values.
    pub(super) fn audit_parameters(&self) -> serde_json::Value {
        let env_names = crate::actions::audited::env_names(&self.env);
        serde_json::json!({
            "image": self.image,
            "name": self.name,
            "command": self.command,
            "entrypoint": self.entrypoint,
            "env": env_names,
            "volumes": self.volumes,
            "ports": self.ports,
            "network": self.network,
            "memory": self.memory,
            "pids_limit": self.pids_limit,
            "user": self.user,
            "privileged": self.privileged,
            "cap_add": self.cap_add,
            "cap_drop": self.cap_drop,
            "devices": self.devices,
            "gpus": self.gpus,
        })
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// A container port's bindings on the host, by `PORT/PROTO`.
type PortBindings = HashMap<String, Option<Vec<PortBinding>>>;

/// Docker's health check for a spec's (`NONE` turns the image's off).
fn health_config(spec: &HealthSpec) -> HealthConfig {
    match spec {
        HealthSpec::Disabled => HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        },
        HealthSpec::Command {
            command,
            interval,
            timeout,
            retries,
            start_period,
        } => HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), command.clone()]),
            interval: interval.as_ref().copied().map(nanos),
            timeout: timeout.as_ref().copied().map(nanos),
            retries: *retries,
            start_period: start_period.as_ref().copied().map(nanos),
            start_interval: None,
        },
    }
}

fn resources_ulimit(u: &Ulimit) -> ResourcesUlimits {
    ResourcesUlimits {
        name: Some(u.name.clone()),
        soft: Some(u.soft),
        hard: Some(u.hard),
    }
}

fn device_mapping(d: &DeviceSpec) -> DeviceMapping {
    DeviceMapping {
        path_on_host: Some(d.host.clone()),
        path_in_container: Some(d.container.clone()),
        cgroup_permissions: Some(d.permissions.clone()),
    }
}

/// The device request of `--gpus`, as the docker CLI builds it.
pub fn device_request(gpus: &GpuSpec) -> DeviceRequest {
    let (count, device_ids) = match gpus {
        GpuSpec::All => (Some(-1), None),
        GpuSpec::Count(n) => (Some(*n), None),
        GpuSpec::Devices(ids) => (None, Some(ids.clone())),
    };
    DeviceRequest {
        driver: Some(String::new()),
        count,
        device_ids,
        capabilities: Some(vec![vec!["gpu".to_string()]]),
        options: None,
    }
}

fn restart_policy(r: &RestartSpec) -> RestartPolicy {
    let name = match r.name.as_str() {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: r.max_retries,
    }
}

/// Who owns a run container: a process (its pid and start time), on a host; for a keeper's
/// job, the keeper instance too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub host: String,
    /// The process's start time in clock ticks since boot (`/proc/PID/stat` field 22).
    pub start: Option<u64>,
    /// The keeper instance's id, when a keeper owns the container.
    pub keeper: Option<String>,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        Self {
            pid: std::process::id(),
            host: this_host(),
            start: process_start("self"),
            keeper: None,
        }
    }
}

/// This machine's host name, as the owner labels carry it.
pub fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// A process's start time (clock ticks since boot) from `/proc/WHICH/stat` (`self` or a pid);
/// `None` when there is no such process or the file cannot be read.
pub fn process_start(which: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{which}/stat")).ok()?;
    stat_start_time(&stat)
}

/// Field 22 of a `/proc/PID/stat` line. The command (field 2) is in parentheses and may hold
/// spaces and parentheses itself: the fields are counted after its last `)`.
pub fn stat_start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the command come field 3 (state) onwards: field 22 is the 20th of them.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// `name` with `:latest` added when it names neither a tag nor a digest (a pull of a bare name
/// would fetch every tag).
pub fn with_default_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
