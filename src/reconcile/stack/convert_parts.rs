//! The parts of a service spec, each as docker/cli's converter makes it: mode, resources,
//! restart policy, update and rollback config, health check, environment, ports, mounts,
//! secret and config references, capabilities, ulimits; and the keys Swarm leaves unused.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigPublishModeEnum, GenericResourcesInner,
    GenericResourcesInnerDiscreteResourceSpec, HealthConfig, Limit, Mount as SwarmMount,
    MountBindOptions, MountTmpfsOptions, MountType, MountVolumeOptions,
    MountVolumeOptionsDriverConfig, ResourceObject, ResourcesUlimits, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecModeReplicatedJob, ServiceSpecRollbackConfig,
    ServiceSpecUpdateConfig, TaskSpecContainerSpecConfigs, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecFile1, TaskSpecContainerSpecSecrets, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::SpecError;
use super::convert::with_stack_label;
use crate::reconcile::compose::swarm::{Resources, SwarmService, UpdateConfig};
use crate::reconcile::compose::{
    Healthcheck, MountKind, PortSpec, Project, ServiceSpec as Compose, Ulimit,
};

/// A duration in nanoseconds, as the API takes it.
pub(crate) fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `deploy.mode` and the replicas (docker's `convertDeployMode`).
pub(crate) fn mode(
    mode: Option<&str>,
    given: Option<u64>,
    replicas: u32,
) -> Result<ServiceSpecMode, SpecError> {
    let mut out = ServiceSpecMode::default();
    match mode.unwrap_or("replicated") {
        "global" | "global-job" if given.is_some() => return Err(SpecError::ReplicasWithGlobal),
        "global" => out.global = Some(Default::default()),
        "global-job" => out.global_job = Some(Default::default()),
        "replicated-job" => {
            out.replicated_job = Some(ServiceSpecModeReplicatedJob {
                max_concurrent: Some(i64::from(replicas)),
                total_completions: Some(i64::from(replicas)),
            })
        }
        "replicated" | "" => {
            out.replicated = Some(ServiceSpecModeReplicated {
                replicas: Some(i64::from(replicas)),
            })
        }
        other => return Err(SpecError::UnknownMode(other.into())),
    }
    Ok(out)
}

fn limit(r: &Resources) -> Limit {
    Limit {
        nano_cpus: r.nano_cpus.map(signed),
        memory_bytes: r.memory.map(signed),
        pids: r.pids,
    }
}

fn reservation(r: &Resources) -> ResourceObject {
    let generic: Vec<GenericResourcesInner> = r
        .generic
        .iter()
        .map(|(kind, value)| GenericResourcesInner {
            discrete_resource_spec: Some(GenericResourcesInnerDiscreteResourceSpec {
                kind: Some(kind.clone()),
                value: Some(*value),
            }),
            named_resource_spec: None,
        })
        .collect();
    ResourceObject {
        nano_cpus: r.nano_cpus.map(signed),
        memory_bytes: r.memory.map(signed),
        generic_resources: (!generic.is_empty()).then_some(generic),
    }
}

/// `deploy.resources` (only: `mem_limit` and `cpus` are the container path's).
pub(crate) fn resources(deploy: &SwarmService) -> TaskSpecResources {
    TaskSpecResources {
        limits: deploy.limits.as_ref().map(limit),
        reservations: deploy.reservations.as_ref().map(reservation),
        ..TaskSpecResources::default()
    }
}

/// `deploy.restart_policy`, else the service's `restart` (docker's `convertRestartPolicy`).
pub(crate) fn restart_policy(
    restart: Option<&str>,
    deploy: &SwarmService,
) -> Result<Option<TaskSpecRestartPolicy>, SpecError> {
    if let Some(p) = &deploy.restart_policy {
        let condition = match p.condition.as_deref() {
            None => None,
            Some(c) => Some(
                c.parse::<TaskSpecRestartPolicyConditionEnum>()
                    .map_err(|_| SpecError::RestartCondition(c.into()))?,
            ),
        };
        return Ok(Some(TaskSpecRestartPolicy {
            condition,
            delay: p.delay.map(nanos),
            max_attempts: p.max_attempts.map(signed),
            window: p.window.map(nanos),
        }));
    }
    let Some(restart) = restart.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let (name, count) = match restart.split_once(':') {
        Some((n, c)) => (
            n,
            c.parse::<u64>()
                .map_err(|_| SpecError::RestartPolicy(restart.into()))?,
        ),
        None => (restart, 0),
    };
    let attempts = (count > 0).then(|| signed(count));
    let condition = match name {
        "no" => return Ok(None),
        "always" | "unless-stopped" => TaskSpecRestartPolicyConditionEnum::ANY,
        "on-failure" => TaskSpecRestartPolicyConditionEnum::ON_FAILURE,
        _ => return Err(SpecError::RestartPolicy(restart.into())),
    };
    Ok(Some(TaskSpecRestartPolicy {
        condition: Some(condition),
        max_attempts: attempts,
        ..TaskSpecRestartPolicy::default()
    }))
}

/// `deploy.update_config` (parallelism 1 unless given, as docker's `convertUpdateConfig`).
pub(crate) fn update_config(c: &UpdateConfig) -> ServiceSpecUpdateConfig {
    ServiceSpecUpdateConfig {
        parallelism: Some(signed(c.parallelism.unwrap_or(1))),
        delay: Some(c.delay.map_or(0, nanos)),
        failure_action: c.failure_action.as_deref().and_then(|a| a.parse().ok()),
        monitor: Some(c.monitor.map_or(0, nanos)),
        max_failure_ratio: Some(c.max_failure_ratio.unwrap_or(0.0)),
        order: c.order.as_deref().and_then(|o| o.parse().ok()),
    }
}

/// `deploy.rollback_config`: the same conversion into the rollback type.
pub(crate) fn rollback_config(c: &UpdateConfig) -> ServiceSpecRollbackConfig {
    ServiceSpecRollbackConfig {
        parallelism: Some(signed(c.parallelism.unwrap_or(1))),
        delay: Some(c.delay.map_or(0, nanos)),
        failure_action: c.failure_action.as_deref().and_then(|a| a.parse().ok()),
        monitor: Some(c.monitor.map_or(0, nanos)),
        max_failure_ratio: Some(c.max_failure_ratio.unwrap_or(0.0)),
        order: c.order.as_deref().and_then(|o| o.parse().ok()),
    }
}

pub(crate) fn healthcheck(h: &Healthcheck) -> HealthConfig {
    match h {
        Healthcheck::Disabled => HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        },
        Healthcheck::Check {
            test,
            interval,
            timeout,
            retries,
            start_period,
            start_interval,
        } => HealthConfig {
            test: test.clone(),
            interval: Some(interval.map_or(0, nanos)),
            timeout: Some(timeout.map_or(0, nanos)),
            retries: Some(retries.map_or(0, signed)),
            start_period: Some(start_period.map_or(0, nanos)),
            start_interval: Some(start_interval.map_or(0, nanos)),
        },
    }
}

/// `K=V`, sorted.
pub(crate) fn environment(env: &BTreeMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.sort();
    out
}

/// `host:ip` as SwarmKit writes it: `ip host`.
pub(crate) fn hosts(extra: &[String]) -> Vec<String> {
    extra
        .iter()
        .filter_map(|h| h.split_once(':').map(|(host, ip)| format!("{ip} {host}")))
        .collect()
}

/// Ports, sorted by published port as docker sorts them.
pub(crate) fn ports(ports: &[PortSpec]) -> Result<Vec<EndpointPortConfig>, SpecError> {
    let mut out = Vec::new();
    for p in ports {
        let published = match p.published.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<u16>().map_err(|_| SpecError::PortRange {
                target: p.target,
                published: text.into(),
            })?),
        };
        out.push(EndpointPortConfig {
            name: None,
            protocol: p.protocol.parse().ok(),
            target_port: Some(i64::from(p.target)),
            published_port: published.map(i64::from),
            publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
        });
    }
    out.sort_by_key(|p| (p.published_port.unwrap_or(0), p.target_port));
    Ok(out)
}

/// The service's mounts (docker's `convert.Volumes`).
pub(crate) fn mounts(project: &Project, svc: &Compose) -> Vec<SwarmMount> {
    let mut out = Vec::new();
    for m in &svc.volumes {
        let mut mount = SwarmMount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            read_only: Some(m.read_only),
            ..SwarmMount::default()
        };
        match m.kind {
            MountKind::Bind => {
                mount.typ = Some(MountType::BIND);
                if let Some(p) = &m.propagation {
                    mount.bind_options = Some(MountBindOptions {
                        propagation: p.parse().ok(),
                        ..MountBindOptions::default()
                    });
                }
            }
            MountKind::Tmpfs => {
                mount.typ = Some(MountType::TMPFS);
                if m.tmpfs_size.is_some() || m.tmpfs_mode.is_some() {
                    mount.tmpfs_options = Some(MountTmpfsOptions {
                        size_bytes: m.tmpfs_size.map(signed),
                        mode: m.tmpfs_mode.map(i64::from),
                        options: None,
                    });
                }
            }
            MountKind::Volume => {
                mount.typ = Some(MountType::VOLUME);
                if let Some(key) = &m.source {
                    mount.source = Some(volume_name(project, key));
                    mount.volume_options = Some(volume_options(project, key, m));
                }
            }
            MountKind::Image => mount.typ = Some(MountType::IMAGE),
            MountKind::Npipe => mount.typ = Some(MountType::NPIPE),
            MountKind::Cluster => mount.typ = Some(MountType::CLUSTER),
        }
        out.push(mount);
    }
    out
}

fn volume_name(project: &Project, key: &str) -> String {
    project
        .volumes
        .get(key)
        .map(|v| v.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| super::scoped(&project.name, key))
}

fn volume_options(
    project: &Project,
    key: &str,
    m: &crate::reconcile::compose::Mount,
) -> MountVolumeOptions {
    let mut options = MountVolumeOptions {
        no_copy: Some(m.nocopy),
        subpath: m.subpath.clone(),
        ..MountVolumeOptions::default()
    };
    let Some(volume) = project.volumes.get(key).filter(|v| !v.external) else {
        return options;
    };
    options.labels = Some(with_stack_label(&project.name, &volume.labels));
    if volume.driver.is_some() || !volume.driver_opts.is_empty() {
        options.driver_config = Some(MountVolumeOptionsDriverConfig {
            name: volume.driver.clone(),
            options: Some(volume.driver_opts.clone().into_iter().collect()),
        });
    }
    options
}

/// Where a reference lands: a secret's path under `/run/secrets` as docker's names it.
fn secret_target(target: &str) -> String {
    target
        .strip_prefix("/run/secrets/")
        .filter(|rest| !rest.contains('/'))
        .unwrap_or(target)
        .to_string()
}

/// Secret references, sorted by name; their ids are filled in when the secrets exist.
pub(crate) fn secrets(
    svc: &Compose,
    name: impl Fn(&str) -> String,
) -> Vec<TaskSpecContainerSpecSecrets> {
    let mut out: Vec<TaskSpecContainerSpecSecrets> = svc
        .secrets
        .iter()
        .map(|r| TaskSpecContainerSpecSecrets {
            file: Some(TaskSpecContainerSpecFile {
                name: Some(secret_target(&r.target)),
                uid: Some(r.uid.clone().unwrap_or_else(|| "0".into())),
                gid: Some(r.gid.clone().unwrap_or_else(|| "0".into())),
                mode: Some(r.mode.unwrap_or(0o444)),
            }),
            secret_id: None,
            secret_name: Some(name(&r.source)),
        })
        .collect();
    out.sort_by(|a, b| a.secret_name.cmp(&b.secret_name));
    out
}

/// Config references, sorted by name.
pub(crate) fn configs(
    svc: &Compose,
    name: impl Fn(&str) -> String,
) -> Vec<TaskSpecContainerSpecConfigs> {
    let mut out: Vec<TaskSpecContainerSpecConfigs> = svc
        .configs
        .iter()
        .map(|r| TaskSpecContainerSpecConfigs {
            file: Some(TaskSpecContainerSpecFile1 {
                name: Some(r.target.clone()),
                uid: Some(r.uid.clone().unwrap_or_else(|| "0".into())),
                gid: Some(r.gid.clone().unwrap_or_else(|| "0".into())),
                mode: Some(r.mode.unwrap_or(0o444)),
            }),
            runtime: None,
            config_id: None,
            config_name: Some(name(&r.source)),
        })
        .collect();
    out.sort_by(|a, b| a.config_name.cmp(&b.config_name));
    out
}

fn capability(c: &str) -> String {
    let c = c.trim().to_uppercase();
    if c == "ALL" || c == "RESET" || c.starts_with("CAP_") {
        c
    } else {
        format!("CAP_{c}")
    }
}

/// docker's `EffectiveCapAddCapDrop`: normalised, `ALL` alone, a cap both added and dropped
/// only added, sorted.
pub(crate) fn capabilities(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    let norm = |caps: &[String]| -> BTreeSet<String> {
        let set: BTreeSet<String> = caps.iter().map(|c| capability(c)).collect();
        if set.contains("ALL") {
            BTreeSet::from(["ALL".to_string()])
        } else {
            set
        }
    };
    let (add, drop) = (norm(add), norm(drop));
    let dropped = drop
        .iter()
        .filter(|c| !add.contains(*c) && *c != "RESET")
        .cloned()
        .collect();
    let added = add.into_iter().filter(|c| c != "RESET").collect();
    (added, dropped)
}

pub(crate) fn ulimits(ulimits: &BTreeMap<String, Ulimit>) -> Vec<ResourcesUlimits> {
    ulimits
        .iter()
        .map(|(name, u)| ResourcesUlimits {
            name: Some(name.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect()
}

/// The keys a service sets that Swarm does not use (docker stack deploy says "Ignoring
/// unsupported options"), one line per key with the services.
pub(crate) fn ignored(services: &[Compose]) -> Vec<String> {
    let mut found: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in services {
        let checks = [
            ("build", s.build.is_some()),
            ("container_name", s.container_name.is_some()),
            ("depends_on", !s.depends_on.is_empty()),
            ("devices", !s.devices.is_empty()),
            ("network_mode", s.network_mode.is_some()),
            ("privileged", s.privileged),
            ("security_opt", !s.security_opt.is_empty()),
            ("links", !s.links.is_empty()),
            ("external_links", !s.external_links.is_empty()),
            ("cgroup_parent", s.cgroup_parent.is_some()),
            ("userns_mode", s.userns_mode.is_some()),
            ("volumes_from", !s.volumes_from.is_empty()),
            ("tmpfs", !s.tmpfs.is_empty()),
            ("shm_size", s.shm_size.is_some()),
            ("pid", s.pid.is_some()),
            ("ipc", s.ipc.is_some()),
            ("mem_limit/cpus (use deploy.resources)", {
                s.swarm.limits.is_none()
                    && (s.limits.memory.is_some() || s.limits.nano_cpus.is_some())
            }),
        ];
        for (key, set) in checks {
            if set {
                found.entry(key).or_default().push(&s.name);
            }
        }
    }
    found
        .into_iter()
        .map(|(key, names)| {
            format!(
                "{key} (services {}): ignored: Swarm does not use it (as docker stack deploy)",
                names.join(", ")
            )
        })
        .collect()
}
