//! Run: a one-shot container with the full parameter set and safe defaults, a timeout, and
//! captured output, that never outlives the run. [`RunSpec`] is the container as a user asks
//! for it (and [`RunSpec::create_body`] the Docker config built from it, a pure function);
//! [`run_container`] pulls by the pull policy, creates, attaches, starts, waits (SIGTERM, a
//! grace period, then SIGKILL on timeout), reads the exit (OOM from inspect) and removes the
//! container on every path: exit, failure, timeout and interruption. A crash of fleetdeck
//! itself leaves a container labelled with its owner's pid and host, for a GC to find.
//!
//! Safe defaults: never privileged unless asked, `no-new-privileges`, every capability dropped
//! unless added back, an init process, swap limited to the memory limit; [`RunSpec::warnings`]
//! names the limits left unset. Also here: the small parsers the CLI uses for the string forms
//! (`16m`, `2s`, `127.0.0.1:8080:80/tcp`, `nofile=1024:2048`, `--gpus device=0,1`, ...).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, HealthConfig, HostConfig,
    HostConfigLogConfig, PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;
use serde::Serialize;

use super::exec::{Capture, audit};
use super::{ActionContext, ActionError};
use crate::audit::AuditRecord;
use crate::engine::exit::{ExitContext, ExitReading, read_exit};
use crate::engine::{ContainerId, Endpoint, daemon_message, status_code};

const VERB: &str = "run";

/// Labels every run container carries, so that a GC can find one whose owner is gone.
pub const OWNER_LABEL: &str = "fleetdeck.owner";
pub const OWNER_PID_LABEL: &str = "fleetdeck.owner.pid";
pub const OWNER_HOST_LABEL: &str = "fleetdeck.owner.host";
pub const KIND_LABEL: &str = "fleetdeck.kind";
/// Default limit on a run: one hour.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Default grace between SIGTERM and SIGKILL when the timeout runs out.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

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
        let mut labels: HashMap<String, String> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(OWNER_LABEL.into(), "fleetdeck".into());
        labels.insert(OWNER_PID_LABEL.into(), owner.pid.to_string());
        labels.insert(OWNER_HOST_LABEL.into(), owner.host.clone());
        labels.insert(KIND_LABEL.into(), "run".into());

        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
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

        let healthcheck = self.healthcheck.as_ref().map(|h| match h {
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
        });

        let security_opt = vec!["no-new-privileges".to_string()];
        // Dropping capabilities means nothing to a privileged container: it has them all.
        let cap_drop = (!self.privileged).then(|| {
            self.cap_drop
                .clone()
                .unwrap_or_else(|| vec!["ALL".to_string()])
        });

        let host_config = HostConfig {
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
            ulimits: non_empty(
                self.ulimits
                    .iter()
                    .map(|u| ResourcesUlimits {
                        name: Some(u.name.clone()),
                        soft: Some(u.soft),
                        hard: Some(u.hard),
                    })
                    .collect(),
            ),
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
            security_opt: Some(security_opt),
            devices: non_empty(
                self.devices
                    .iter()
                    .map(|d| DeviceMapping {
                        path_on_host: Some(d.host.clone()),
                        path_in_container: Some(d.container.clone()),
                        cgroup_permissions: Some(d.permissions.clone()),
                    })
                    .collect(),
            ),
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
        };

        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: non_empty(self.command.clone()),
            entrypoint: self.entrypoint.clone(),
            env: non_empty(self.env.clone()),
            user: self.user.clone(),
            working_dir: self.working_dir.clone(),
            hostname: self.hostname.clone(),
            labels: Some(labels),
            exposed_ports: non_empty(exposed),
            healthcheck,
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            open_stdin: Some(false),
            host_config: Some(host_config),
            ..ContainerCreateBody::default()
        }
    }

    /// The parameters for the audit line: what shapes the container, never env values.
    fn audit_parameters(&self) -> serde_json::Value {
        let env_names: Vec<&str> = self
            .env
            .iter()
            .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k))
            .collect();
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

/// Who owns a run container: this process, on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub host: String,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        Self {
            pid: std::process::id(),
            host,
        }
    }
}

/// How a run is carried out (as opposed to what runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub pull: PullPolicy,
    pub timeout: Duration,
    pub grace: Duration,
    /// Bytes kept of each of stdout and stderr.
    pub output_limit: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            pull: PullPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            grace: DEFAULT_GRACE,
            output_limit: super::exec::DEFAULT_OUTPUT_LIMIT,
        }
    }
}

/// How the container's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// It exited by itself.
    Exited,
    /// The timeout ran out: SIGTERM, then SIGKILL after the grace period.
    TimedOut,
    /// fleetdeck was interrupted (the signal's name): the container was removed at once.
    Interrupted(String),
}

impl RunStatus {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Exited => "exited",
            Self::TimedOut => "timed_out",
            Self::Interrupted(_) => "interrupted",
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub id: ContainerId,
    pub name: String,
    pub status: RunStatus,
    pub exit: Option<ExitReading>,
    pub oom_killed: bool,
    pub stdout: Capture,
    pub stderr: Capture,
    /// Whether the container is gone (it always should be; `remove_error` says why not).
    pub removed: bool,
    pub remove_error: Option<String>,
}

/// The report of a run, for every caller.
#[derive(Debug)]
pub struct RunReport {
    pub image: String,
    pub result: Result<RunOutcome, ActionError>,
    pub duration: Duration,
    pub audit_error: Option<String>,
}

impl RunReport {
    /// The JSON form for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let duration_ms = u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX);
        match &self.result {
            Ok(o) => serde_json::json!({
                "ok": true,
                "id": o.id,
                "short_id": o.id.short(),
                "name": o.name,
                "image": self.image,
                "status": o.status.word(),
                "signal": match &o.status { RunStatus::Interrupted(s) => Some(s), _ => None },
                "exit_code": o.exit.as_ref().map(|e| e.code),
                "exit": o.exit,
                "oom_killed": o.oom_killed,
                "stdout": o.stdout.text(),
                "stdout_truncated": o.stdout.truncated,
                "stdout_bytes": o.stdout.total,
                "stderr": o.stderr.text(),
                "stderr_truncated": o.stderr.truncated,
                "stderr_bytes": o.stderr.total,
                "truncated": o.stdout.truncated || o.stderr.truncated,
                "duration_ms": duration_ms,
                "removed": o.removed,
                "remove_error": o.remove_error,
                "error": null,
                "audit_error": self.audit_error,
            }),
            Err(e) => serde_json::json!({
                "ok": false,
                "image": self.image,
                "error": e.to_string(),
                "duration_ms": duration_ms,
                "audit_error": self.audit_error,
            }),
        }
    }
}

/// Runs `spec` under `options` and reports. `interrupt` resolves (to the signal's name) when
/// fleetdeck is told to stop: the container is then removed at once. The container is removed
/// on every path.
pub async fn run_container(
    ctx: &ActionContext,
    spec: &RunSpec,
    options: &RunOptions,
    interrupt: impl Future<Output = String>,
) -> RunReport {
    let started = Instant::now();
    let result = if ctx.read_only {
        Err(ActionError::ReadOnly {
            verb: VERB,
            target: spec.image.clone(),
        })
    } else {
        run_inner(&ctx.endpoint, spec, options, interrupt).await
    };
    let duration = started.elapsed();
    let audit_error = if ctx.read_only {
        None
    } else {
        let (id, name) = match &result {
            Ok(o) => (o.id.0.clone(), o.name.clone()),
            Err(_) => (String::new(), spec.name.clone().unwrap_or_default()),
        };
        let mut parameters = spec.audit_parameters();
        parameters["timeout_ms"] = u64::try_from(options.timeout.as_millis())
            .unwrap_or(u64::MAX)
            .into();
        parameters["pull"] = serde_json::to_value(options.pull).unwrap_or_default();
        audit(
            ctx,
            AuditRecord {
                endpoint: &ctx.endpoint.address,
                target_id: &id,
                target_name: &name,
                action: VERB,
                parameters,
                result: match &result {
                    Ok(o) => Ok((o.status.word(), o.exit.as_ref().map(|e| e.code))),
                    Err(e) => Err(e.to_string()),
                },
                duration,
            },
        )
    };
    RunReport {
        image: spec.image.clone(),
        result,
        duration,
        audit_error,
    }
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

async fn ensure_image(
    endpoint: &Endpoint,
    image: &str,
    policy: PullPolicy,
) -> Result<(), ActionError> {
    let refused = |reason: String| ActionError::Refused {
        verb: VERB,
        target: image.to_string(),
        reason,
    };
    let present = match endpoint.client().inspect_image(image).await {
        Ok(_) => true,
        Err(e) if status_code(&e) == Some(404) => false,
        Err(e) => {
            return Err(ActionError::Engine {
                verb: VERB,
                target: image.to_string(),
                source: endpoint.error(e),
            });
        }
    };
    match policy {
        PullPolicy::Never if !present => {
            return Err(refused(
                "the image is not on the daemon and the pull policy is never".into(),
            ));
        }
        PullPolicy::Never => return Ok(()),
        PullPolicy::IfNotPresent if present => return Ok(()),
        _ => {}
    }
    let reference = with_default_tag(image);
    let options = CreateImageOptionsBuilder::default()
        .from_image(&reference)
        .build();
    // A pull may take long: the client's usual request timeout does not apply.
    let client = endpoint.client().clone().with_timeout(DEFAULT_TIMEOUT);
    let mut pull = client.create_image(Some(options), None, None);
    let mut failure = None;
    while let Some(step) = pull.next().await {
        match step {
            Ok(info) => {
                if let Some(detail) = info.error_detail {
                    failure = detail.message.or(Some("unknown error".into()));
                }
            }
            Err(e) => {
                failure = Some(daemon_message(&e));
                break;
            }
        }
    }
    match failure {
        None => Ok(()),
        Some(why) if present => Err(refused(format!(
            "pulling it failed (pull policy always): {why}"
        ))),
        Some(why) => Err(refused(format!(
            "the image is not on the daemon and pulling it failed: {why}"
        ))),
    }
}

async fn run_inner(
    endpoint: &Endpoint,
    spec: &RunSpec,
    options: &RunOptions,
    interrupt: impl Future<Output = String>,
) -> Result<RunOutcome, ActionError> {
    let mut interrupt = std::pin::pin!(interrupt);
    let interrupted = |signal: String| ActionError::Refused {
        verb: VERB,
        target: spec.image.clone(),
        reason: format!("interrupted by {signal} before the container was created"),
    };
    // Pulling is safe to abandon: nothing of ours exists yet.
    tokio::select! {
        pulled = ensure_image(endpoint, &spec.image, options.pull) => pulled?,
        signal = &mut interrupt => return Err(interrupted(signal)),
    }

    // Creating is not raced with the interrupt (an abandoned create could still make a
    // container nobody removes); a signal meanwhile is seen right after.
    let body = spec.create_body(&Owner::current());
    let mut create = CreateContainerOptionsBuilder::default();
    if let Some(name) = &spec.name {
        create = create.name(name);
    }
    let created = endpoint
        .client()
        .create_container(Some(create.build()), body)
        .await
        .map_err(|e| match status_code(&e) {
            Some(404) => ActionError::Refused {
                verb: VERB,
                target: spec.image.clone(),
                reason: format!("the image is not on the daemon: {}", daemon_message(&e)),
            },
            Some(400 | 409 | 500) => ActionError::Refused {
                verb: VERB,
                target: spec.image.clone(),
                reason: format!("the daemon refused to create it: {}", daemon_message(&e)),
            },
            _ => ActionError::Engine {
                verb: VERB,
                target: spec.image.clone(),
                source: endpoint.error(e),
            },
        })?;
    let id = ContainerId(created.id);
    let name = match endpoint.inspect(&id.0).await {
        Ok(Some(i)) => i
            .name
            .map(|n| crate::engine::model::clean_name(&n))
            .unwrap_or_default(),
        _ => String::new(),
    };

    let memory_limited = spec.memory.is_some();
    let driven = drive(endpoint, &id, options, memory_limited, &mut interrupt).await;
    let (removed, remove_error) = remove(endpoint, &id).await;
    let mut outcome = driven.map_err(|reason| ActionError::Refused {
        verb: VERB,
        target: if name.is_empty() {
            spec.image.clone()
        } else {
            name.clone()
        },
        reason: match &remove_error {
            None => reason,
            Some(e) => format!("{reason}; and removing the container failed: {e}"),
        },
    })?;
    outcome.id = id;
    outcome.name = name;
    outcome.removed = removed;
    outcome.remove_error = remove_error;
    Ok(outcome)
}

/// Removes the container, force, with its anonymous volumes. Gone already counts as removed.
async fn remove(endpoint: &Endpoint, id: &ContainerId) -> (bool, Option<String>) {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let mut last = None;
    // A removal already in progress (409) finishes on its own; ask again a few times.
    for _ in 0..20 {
        match endpoint
            .client()
            .remove_container(&id.0, Some(options.clone()))
            .await
        {
            Ok(()) => return (true, None),
            Err(e) if status_code(&e) == Some(404) => return (true, None),
            Err(e) if status_code(&e) == Some(409) => {
                last = Some(daemon_message(&e));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return (false, Some(daemon_message(&e))),
        }
    }
    (false, last)
}

/// Waits for the container to stop. Any answer from the wait endpoint means it has (a non-zero
/// exit comes back as an error); the exit itself is read from an inspect afterwards.
async fn wait_stopped(endpoint: &Endpoint, id: &ContainerId, limit: Duration) {
    let client = endpoint.client().clone().with_timeout(limit);
    let mut wait = client.wait_container(&id.0, None::<WaitContainerOptions>);
    let _ = wait.next().await;
}

async fn kill(endpoint: &Endpoint, id: &ContainerId, signal: &str) {
    let options = KillContainerOptionsBuilder::default()
        .signal(signal)
        .build();
    // "Not running" is what the kill wanted anyway.
    let _ = endpoint.client().kill_container(&id.0, Some(options)).await;
}

/// Attaches, starts, waits; on timeout SIGTERM, grace, SIGKILL. Errors are reasons (the caller
/// names the container).
async fn drive(
    endpoint: &Endpoint,
    id: &ContainerId,
    options: &RunOptions,
    memory_limited: bool,
    interrupt: &mut std::pin::Pin<&mut impl Future<Output = String>>,
) -> Result<RunOutcome, String> {
    let attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .logs(true)
        .stdout(true)
        .stderr(true)
        .build();
    let attached = endpoint
        .client()
        .attach_container(&id.0, Some(attach))
        .await
        .map_err(|e| format!("cannot attach to its output: {}", daemon_message(&e)))?;
    let limit = options.output_limit;
    let mut output = attached.output;
    let collector = tokio::spawn(async move {
        let mut stdout = Capture::new(limit);
        let mut stderr = Capture::new(limit);
        while let Some(Ok(chunk)) = output.next().await {
            match chunk {
                LogOutput::StdErr { message } => stderr.push(&message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.push(&message)
                }
                LogOutput::StdIn { .. } => {}
            }
        }
        (stdout, stderr)
    });
    let abort = collector.abort_handle();

    if let Err(e) = endpoint
        .client()
        .start_container(&id.0, None::<StartContainerOptions>)
        .await
    {
        abort.abort();
        return Err(format!(
            "the daemon refused to start it: {}",
            daemon_message(&e)
        ));
    }

    let wait_limit = options.timeout + options.grace + Duration::from_secs(60);
    let status = tokio::select! {
        () = wait_stopped(endpoint, id, wait_limit) => RunStatus::Exited,
        () = tokio::time::sleep(options.timeout) => {
            kill(endpoint, id, "SIGTERM").await;
            tokio::select! {
                () = wait_stopped(endpoint, id, wait_limit) => {}
                () = tokio::time::sleep(options.grace) => {
                    kill(endpoint, id, "SIGKILL").await;
                    // SIGKILL cannot be caught; the bound only guards against a stuck daemon.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(30),
                        wait_stopped(endpoint, id, wait_limit),
                    )
                    .await;
                }
                signal = &mut *interrupt => {
                    abort.abort();
                    return Ok(interrupted_outcome(signal));
                }
            }
            RunStatus::TimedOut
        }
        signal = &mut *interrupt => {
            abort.abort();
            return Ok(interrupted_outcome(signal));
        }
    };

    // The attach stream ends with the container; the bound only guards a stuck stream.
    let (stdout, stderr) = match tokio::time::timeout(Duration::from_secs(10), collector).await {
        Ok(Ok(captured)) => captured,
        _ => {
            abort.abort();
            (Capture::new(limit), Capture::new(limit))
        }
    };
    let inspect = endpoint
        .inspect(&id.0)
        .await
        .map_err(|e| format!("cannot read how it ended: {e}"))?;
    let mut state = inspect.and_then(|i| i.state);
    let mut oom_killed = state.as_ref().and_then(|s| s.oom_killed).unwrap_or(false);
    // The daemon records an OOM kill from an event that can come a moment after the exit
    // (with an init process, the OOM killer takes the child and init exits 137): give it
    // that moment before reading 137 as a plain SIGKILL.
    if !oom_killed && memory_limited && state.as_ref().and_then(|s| s.exit_code) == Some(137) {
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let again = endpoint
                .inspect(&id.0)
                .await
                .ok()
                .flatten()
                .and_then(|i| i.state);
            if again.as_ref().and_then(|s| s.oom_killed) == Some(true) {
                oom_killed = true;
                state = again;
                break;
            }
        }
    }
    let exit = state.and_then(|s| s.exit_code).map(|code| {
        read_exit(
            code,
            ExitContext {
                oom_killed,
                stop_timed_out: None,
            },
        )
    });
    Ok(RunOutcome {
        id: id.clone(),
        name: String::new(),
        status,
        exit,
        oom_killed,
        stdout,
        stderr,
        removed: false,
        remove_error: None,
    })
}

fn interrupted_outcome(signal: String) -> RunOutcome {
    RunOutcome {
        id: ContainerId(String::new()),
        name: String::new(),
        status: RunStatus::Interrupted(signal),
        exit: None,
        oom_killed: false,
        stdout: Capture::default(),
        stderr: Capture::default(),
        removed: false,
        remove_error: None,
    }
}

// ---- Parsers for the string forms the CLI takes. Each error says what was expected. ----

/// A byte size: `512`, `64k`, `16m`, `1g`, `2t` (binary units; `b`, `kb`, `kib`, ... accepted,
/// case-insensitive).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "bad size '{text}': unknown unit '{other}' (use b, k, m, g or t)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("bad size '{text}': expected a number and a unit, like 16m"))?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > i64::MAX as f64 {
        return Err(format!("bad size '{text}': out of range"));
    }
    Ok(bytes.round() as u64)
}

/// A duration: `500ms`, `2s`, `1m30s`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || format!("bad duration '{text}': expected like 500ms, 2s, 1m30s or 1h");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = match unit {
            "ms" => value / 1000.0,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            "d" => value * 86400.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
    }
    Ok(total)
}

/// `KEY=value` (for labels and log options).
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("bad '{text}': expected KEY=value")),
    }
}

/// A published port: `[ip:]host:container[/proto]` or `container[/proto]`.
pub fn parse_port(text: &str) -> Result<PortSpec, String> {
    let bad = |why: &str| {
        format!("bad port '{text}': {why} (expected [ip:]host:container[/tcp|udp|sctp])")
    };
    let (ports, protocol) = match text.rsplit_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (text, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad("unknown protocol"));
    }
    let number = |s: &str| s.parse::<u16>().map_err(|_| bad("not a port number"));
    // An IPv6 address is written in brackets: [::1]:8080:80.
    let (host_ip, rest) = if let Some(stripped) = ports.strip_prefix('[') {
        let (ip, rest) = stripped.split_once("]:").ok_or_else(|| bad("unclosed ["))?;
        (Some(ip.to_string()), rest)
    } else {
        let parts: Vec<&str> = ports.split(':').collect();
        match parts.len() {
            1 | 2 => (None, ports),
            3 => (Some(parts[0].to_string()), &ports[parts[0].len() + 1..]),
            _ => return Err(bad("too many ':'")),
        }
    };
    let (host_port, container_port) = match rest.split_once(':') {
        Some(("", c)) => (None, number(c)?),
        Some((h, c)) => (Some(number(h)?), number(c)?),
        None => (None, number(rest)?),
    };
    Ok(PortSpec {
        host_ip: host_ip.filter(|ip| !ip.is_empty()),
        host_port,
        container_port,
        protocol,
    })
}

/// `name=soft[:hard]`.
pub fn parse_ulimit(text: &str) -> Result<Ulimit, String> {
    let bad = || format!("bad ulimit '{text}': expected name=soft[:hard], like nofile=1024:2048");
    let (name, values) = text.split_once('=').ok_or_else(bad)?;
    let (soft, hard) = values.split_once(':').unwrap_or((values, values));
    let soft: i64 = soft.parse().map_err(|_| bad())?;
    let hard: i64 = hard.parse().map_err(|_| bad())?;
    if name.is_empty() || hard < soft {
        return Err(bad());
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// `host[:container[:permissions]]`; permissions are some of `rwm` (default `rwm`).
pub fn parse_device(text: &str) -> Result<DeviceSpec, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = || format!("bad device '{text}': expected /dev/host[:/dev/container[:rwm]]");
    let (host, container, permissions) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, c] if c.starts_with('/') => (*h, *c, "rwm"),
        [h, p] => (*h, *h, *p),
        [h, c, p] => (*h, *c, *p),
        _ => return Err(bad()),
    };
    if !host.starts_with('/')
        || !container.starts_with('/')
        || permissions.is_empty()
        || !permissions.chars().all(|c| "rwm".contains(c))
    {
        return Err(bad());
    }
    Ok(DeviceSpec {
        host: host.to_string(),
        container: container.to_string(),
        permissions: permissions.to_string(),
    })
}

/// `all`, a count, or `device=0,1` (ids or UUIDs).
pub fn parse_gpus(text: &str) -> Result<GpuSpec, String> {
    let t = text.trim().trim_matches('"');
    if t == "all" {
        return Ok(GpuSpec::All);
    }
    if let Some(ids) = t.strip_prefix("device=") {
        let ids: Vec<String> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            return Err(format!("bad --gpus '{text}': device= names no device"));
        }
        return Ok(GpuSpec::Devices(ids));
    }
    match t.parse::<i64>() {
        Ok(n) if n > 0 => Ok(GpuSpec::Count(n)),
        _ => Err(format!(
            "bad --gpus '{text}': expected all, a number of GPUs, or device=0,1"
        )),
    }
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
pub fn parse_restart(text: &str) -> Result<RestartSpec, String> {
    let bad = || {
        format!(
            "bad restart policy '{text}': expected no, always, unless-stopped or on-failure[:N]"
        )
    };
    let (name, count) = match text.split_once(':') {
        Some((n, c)) => (n, Some(c.parse::<i64>().map_err(|_| bad())?)),
        None => (text, None),
    };
    match name {
        "no" | "always" | "unless-stopped" if count.is_none() => Ok(RestartSpec {
            name: name.to_string(),
            max_retries: None,
        }),
        "on-failure" => Ok(RestartSpec {
            name: name.to_string(),
            max_retries: count,
        }),
        _ => Err(bad()),
    }
}

/// `/path[:options]` (options as `mount -o` takes them: `size=64m,mode=1777`).
pub fn parse_tmpfs(text: &str) -> Result<(String, String), String> {
    let (path, opts) = text.split_once(':').unwrap_or((text, ""));
    if !path.starts_with('/') {
        return Err(format!("bad tmpfs '{text}': expected /path[:options]"));
    }
    Ok((path.to_string(), opts.to_string()))
}

/// `name:ip` (also `name=ip`).
pub fn parse_extra_host(text: &str) -> Result<String, String> {
    match text.split_once(['=', ':']) {
        Some((name, ip)) if !name.is_empty() && !ip.is_empty() => Ok(format!("{name}:{ip}")),
        _ => Err(format!("bad host entry '{text}': expected name:ip")),
    }
}

/// `KEY=value`, or `KEY` alone, which takes the value from fleetdeck's own environment (and is
/// left out when that has none).
pub fn parse_env(text: &str) -> Result<Option<String>, String> {
    match text.split_once('=') {
        Some(("", _)) => Err(format!("bad variable '{text}': empty name")),
        Some(_) => Ok(Some(text.to_string())),
        None if text.is_empty() => Err("bad variable '': empty name".into()),
        None => Ok(std::env::var(text).ok().map(|v| format!("{text}={v}"))),
    }
}

/// An env file's variables: one `KEY=value` (or `KEY`) a line; blank lines and `#` comments
/// skipped. Errors name the file and line.
pub fn parse_env_file(path: &std::path::Path, text: &str) -> Result<Vec<String>, String> {
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_env(line) {
            Ok(Some(v)) => vars.push(v),
            Ok(None) => {}
            Err(e) => return Err(format!("{}, line {}: {e}", path.display(), n + 1)),
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            pid: 4242,
            host: "box".into(),
        }
    }

    #[test]
    fn defaults_are_safe() {
        let body = RunSpec::new("img").create_body(&owner());
        let host = body.host_config.expect("host config");
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(host.cap_add, None);
        assert_eq!(host.privileged, Some(false));
        assert_eq!(
            host.security_opt,
            Some(vec!["no-new-privileges".to_string()])
        );
        assert_eq!(host.init, Some(true));
        assert_eq!(host.auto_remove, Some(false));
        let labels = body.labels.expect("labels");
        assert_eq!(
            labels.get(OWNER_LABEL).map(String::as_str),
            Some("fleetdeck")
        );
        assert_eq!(
            labels.get(OWNER_PID_LABEL).map(String::as_str),
            Some("4242")
        );
        assert_eq!(
            labels.get(OWNER_HOST_LABEL).map(String::as_str),
            Some("box")
        );
        assert_eq!(labels.get(KIND_LABEL).map(String::as_str), Some("run"));
        let warnings = RunSpec::new("img").warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    #[test]
    fn privileged_only_when_asked_and_cap_drop_replaced_when_given() {
        let mut spec = RunSpec::new("img");
        spec.cap_drop = Some(vec!["NET_RAW".into()]);
        spec.cap_add = vec!["CHOWN".into()];
        let host = spec.create_body(&owner()).host_config.expect("host config");
        assert_eq!(host.cap_drop, Some(vec!["NET_RAW".to_string()]));
        assert_eq!(host.cap_add, Some(vec!["CHOWN".to_string()]));
        spec.privileged = true;
        let host = spec.create_body(&owner()).host_config.expect("host config");
        assert_eq!(host.privileged, Some(true));
        assert_eq!(host.cap_drop, None);
    }

    #[test]
    fn gpu_requests_are_built_like_the_docker_cli() {
        let all = device_request(&GpuSpec::All);
        assert_eq!(all.count, Some(-1));
        assert_eq!(all.device_ids, None);
        assert_eq!(all.capabilities, Some(vec![vec!["gpu".to_string()]]));
        assert_eq!(device_request(&GpuSpec::Count(2)).count, Some(2));
        let some = device_request(&GpuSpec::Devices(vec!["0".into(), "1".into()]));
        assert_eq!(some.count, None);
        assert_eq!(
            some.device_ids,
            Some(vec!["0".to_string(), "1".to_string()])
        );

        let mut spec = RunSpec::new("img");
        spec.gpus = Some(parse_gpus("device=0,1").expect("parses"));
        let host = spec.create_body(&owner()).host_config.expect("host config");
        assert_eq!(host.device_requests, Some(vec![some]));
        assert_eq!(parse_gpus("all"), Ok(GpuSpec::All));
        assert_eq!(parse_gpus("3"), Ok(GpuSpec::Count(3)));
        assert!(parse_gpus("0").is_err());
        assert!(parse_gpus("device=").is_err());
        assert!(parse_gpus("many").is_err());
    }

    #[test]
    fn memory_without_swap_means_no_swap() {
        let mut spec = RunSpec::new("img");
        spec.memory = Some(16 << 20);
        let host = spec.create_body(&owner()).host_config.expect("host config");
        assert_eq!(host.memory, Some(16 << 20));
        assert_eq!(host.memory_swap, Some(16 << 20));
        spec.memory_swap = Some(-1);
        let host = spec.create_body(&owner()).host_config.expect("host config");
        assert_eq!(host.memory_swap, Some(-1));
    }

    #[test]
    fn ports_are_exposed_and_bound() {
        let mut spec = RunSpec::new("img");
        spec.ports = vec![
            parse_port("127.0.0.1:8080:80").expect("port"),
            parse_port("127.0.0.1:8443:443/udp").expect("port"),
        ];
        let body = spec.create_body(&owner());
        let exposed = body.exposed_ports.expect("exposed");
        assert_eq!(exposed, vec!["80/tcp".to_string(), "443/udp".to_string()]);
        let bindings = body
            .host_config
            .and_then(|h| h.port_bindings)
            .expect("bindings");
        let b = bindings.get("80/tcp").cloned().flatten().expect("80 bound");
        assert_eq!(b[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(b[0].host_port.as_deref(), Some("8080"));
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("512"), Ok(512));
        assert_eq!(parse_bytes("16m"), Ok(16 << 20));
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5k"), Ok(1536));
        assert!(parse_bytes("12q").is_err());
        assert!(parse_bytes("m").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn ports_parse() {
        assert_eq!(
            parse_port("127.0.0.1:8080:80/udp"),
            Ok(PortSpec {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some(8080),
                container_port: 80,
                protocol: "udp".into()
            })
        );
        let p = parse_port("8080:80").expect("parses");
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port),
            (None, Some(8080), 80)
        );
        let p = parse_port("80").expect("parses");
        assert_eq!((p.host_port, p.container_port), (None, 80));
        let p = parse_port("127.0.0.1::80").expect("parses");
        assert_eq!(
            (p.host_ip.as_deref(), p.host_port),
            (Some("127.0.0.1"), None)
        );
        let p = parse_port("[::1]:8080:80").expect("parses");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        assert!(parse_port("http").is_err());
        assert!(parse_port("80/icmp").is_err());
        assert!(parse_port("1:2:3:4").is_err());
    }

    #[test]
    fn the_small_forms_parse() {
        assert_eq!(
            parse_ulimit("nofile=1024:2048"),
            Ok(Ulimit {
                name: "nofile".into(),
                soft: 1024,
                hard: 2048
            })
        );
        assert_eq!(parse_ulimit("nproc=64").map(|u| u.hard), Ok(64));
        assert!(parse_ulimit("nofile=2048:1024").is_err());
        assert!(parse_ulimit("nofile").is_err());
        assert_eq!(
            parse_device("/dev/null:/dev/xnull"),
            Ok(DeviceSpec {
                host: "/dev/null".into(),
                container: "/dev/xnull".into(),
                permissions: "rwm".into()
            })
        );
        assert_eq!(
            parse_device("/dev/fuse:r").map(|d| d.permissions),
            Ok("r".into())
        );
        assert!(parse_device("null").is_err());
        assert!(parse_device("/dev/a:/dev/b:x").is_err());
        assert_eq!(
            parse_restart("on-failure:3"),
            Ok(RestartSpec {
                name: "on-failure".into(),
                max_retries: Some(3)
            })
        );
        assert!(parse_restart("always:3").is_err());
        assert!(parse_restart("sometimes").is_err());
        assert_eq!(
            parse_tmpfs("/run:size=1m"),
            Ok(("/run".into(), "size=1m".into()))
        );
        assert!(parse_tmpfs("run").is_err());
        assert_eq!(parse_extra_host("db:127.0.0.1"), Ok("db:127.0.0.1".into()));
        assert_eq!(parse_extra_host("v6:::1"), Ok("v6:::1".into()));
        assert!(parse_extra_host("db").is_err());
        assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_value("=x").is_err());
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_default_tag("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        assert_eq!(with_default_tag("app:1.2"), "app:1.2");
        assert_eq!(with_default_tag("app@sha256:abc"), "app@sha256:abc");
    }

    #[test]
    fn env_files_skip_comments_and_name_bad_lines() {
        let path = std::path::Path::new("vars.env");
        let vars = parse_env_file(path, "# comment\n\nA=1\n  B=two words\n").expect("parses");
        assert_eq!(vars, vec!["A=1".to_string(), "B=two words".to_string()]);
        let err = parse_env_file(path, "A=1\n=oops\n").expect_err("empty name");
        assert!(err.contains("vars.env, line 2"), "{err}");
    }
}
