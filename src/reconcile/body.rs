//! A service's container as Docker's create body: every supported compose key mapped the way
//! Docker Compose v2 maps it (env, command, entrypoint, ports, binds, volumes and tmpfs mounts,
//! restart, healthcheck, limits, user, working_dir, hostname, init, read_only, capabilities,
//! security options, ulimits, shm size, stop signal and grace period, extra hosts, dns,
//! logging), the compose labels, and the project networks with the service name as alias.
//! Pure: no daemon; the action layer carries the create out.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HealthConfig, HostConfig,
    HostConfigLogConfig, Mount as DockerMount, MountBindOptions, MountBindOptionsPropagationEnum,
    MountImageOptions, MountTmpfsOptions, MountType, MountVolumeOptions, NetworkingConfig,
    PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};

use super::compose::{Healthcheck, Mount, MountKind, Project, ServiceSpec};
use super::plan::container_labels;
use crate::actions::compose::ContainerCreate;

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn restart_policy(text: &str) -> RestartPolicy {
    let (name, count) = text.split_once(':').unwrap_or((text, ""));
    let name = match name {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: count.parse().ok(),
    }
}

fn healthcheck(h: &Healthcheck) -> HealthConfig {
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
            interval: interval.map(nanos),
            timeout: timeout.map(nanos),
            retries: retries.and_then(|r| i64::try_from(r).ok()),
            start_period: start_period.map(nanos),
            start_interval: start_interval.map(nanos),
        },
    }
}

fn propagation(p: &str) -> MountBindOptionsPropagationEnum {
    match p {
        "private" => MountBindOptionsPropagationEnum::PRIVATE,
        "rprivate" => MountBindOptionsPropagationEnum::RPRIVATE,
        "shared" => MountBindOptionsPropagationEnum::SHARED,
        "rshared" => MountBindOptionsPropagationEnum::RSHARED,
        "slave" => MountBindOptionsPropagationEnum::SLAVE,
        "rslave" => MountBindOptionsPropagationEnum::RSLAVE,
        _ => MountBindOptionsPropagationEnum::EMPTY,
    }
}

/// A bind as a `Mounts` entry, with its propagation and recursion.
fn bind_mount(m: &Mount) -> DockerMount {
    DockerMount {
        typ: Some(MountType::BIND),
        source: m.source.clone(),
        target: Some(m.target.clone()),
        read_only: Some(m.read_only),
        bind_options: (m.propagation.is_some() || m.recursive.is_some()).then(|| {
            let recursive = m.recursive.as_deref();
            MountBindOptions {
                propagation: m.propagation.as_deref().map(propagation),
                create_mountpoint: m.create_host_path.then_some(true),
                non_recursive: (recursive == Some("disabled")).then_some(true),
                read_only_non_recursive: (recursive == Some("writable")).then_some(true),
                read_only_force_recursive: (recursive == Some("readonly")).then_some(true),
            }
        }),
        ..DockerMount::default()
    }
}

/// A volume mount, the volume under the daemon's name for it.
fn volume_mount(project: &Project, m: &Mount) -> DockerMount {
    DockerMount {
        typ: Some(MountType::VOLUME),
        source: m.source.as_ref().map(|key| {
            project
                .volumes
                .get(key)
                .map_or_else(|| format!("{}_{key}", project.name), |v| v.name.clone())
        }),
        target: Some(m.target.clone()),
        read_only: Some(m.read_only),
        volume_options: (m.nocopy || m.subpath.is_some()).then(|| MountVolumeOptions {
            no_copy: m.nocopy.then_some(true),
            subpath: m.subpath.clone(),
            ..MountVolumeOptions::default()
        }),
        ..DockerMount::default()
    }
}

/// A bind that creates its host path is a `Binds` entry (as compose's short syntax); any other
/// mount is a `Mounts` entry.
fn mount(project: &Project, m: &Mount, binds: &mut Vec<String>) -> Option<DockerMount> {
    match m.kind {
        MountKind::Bind if m.create_host_path && m.recursive.is_none() => {
            let mut opts: Vec<String> = Vec::new();
            opts.push(if m.read_only { "ro" } else { "rw" }.into());
            opts.extend(m.selinux.clone());
            opts.extend(m.propagation.clone());
            binds.push(format!(
                "{}:{}:{}",
                m.source.as_deref().unwrap_or_default(),
                m.target,
                opts.join(",")
            ));
            None
        }
        MountKind::Bind => Some(bind_mount(m)),
        MountKind::Volume => Some(volume_mount(project, m)),
        MountKind::Image => Some(DockerMount {
            typ: Some(MountType::IMAGE),
            source: m.source.clone(),
            target: Some(m.target.clone()),
            read_only: Some(m.read_only),
            image_options: m.subpath.as_ref().map(|s| MountImageOptions {
                subpath: Some(s.clone()),
            }),
            ..DockerMount::default()
        }),
        MountKind::Npipe | MountKind::Cluster => Some(DockerMount {
            typ: Some(if m.kind == MountKind::Npipe {
                MountType::NPIPE
            } else {
                MountType::CLUSTER
            }),
            source: m.source.clone(),
            target: Some(m.target.clone()),
            read_only: Some(m.read_only),
            ..DockerMount::default()
        }),
        MountKind::Tmpfs => Some(DockerMount {
            typ: Some(MountType::TMPFS),
            target: Some(m.target.clone()),
            read_only: Some(m.read_only),
            tmpfs_options: Some(MountTmpfsOptions {
                size_bytes: m.tmpfs_size.and_then(|s| i64::try_from(s).ok()),
                mode: m.tmpfs_mode.map(i64::from),
                ..MountTmpfsOptions::default()
            }),
            ..DockerMount::default()
        }),
    }
}

/// The daemon's name of the service's network `key`.
pub fn network_name(project: &Project, key: &str) -> String {
    project
        .networks
        .get(key)
        .map_or_else(|| format!("{}_{key}", project.name), |n| n.name.clone())
}

/// The networks of `spec`, in the order they are joined, with their endpoints: the service
/// name and the attachment's aliases, the fixed addresses.
fn endpoints(project: &Project, spec: &ServiceSpec) -> Vec<(String, EndpointSettings)> {
    let mut ordered: Vec<_> = spec.networks.iter().collect();
    // Highest priority first, then by name (compose's `NetworksByPriority`).
    ordered.sort_by(|a, b| b.1.priority.cmp(&a.1.priority).then(a.0.cmp(b.0)));
    ordered
        .into_iter()
        .map(|(key, attachment)| {
            let mut aliases = vec![spec.name.clone()];
            aliases.extend(
                attachment
                    .aliases
                    .iter()
                    .filter(|a| **a != spec.name)
                    .cloned(),
            );
            let a = attachment;
            let ipam = (a.ipv4_address.is_some()
                || a.ipv6_address.is_some()
                || !a.link_local_ips.is_empty())
            .then(|| EndpointIpamConfig {
                ipv4_address: a.ipv4_address.clone(),
                ipv6_address: a.ipv6_address.clone(),
                link_local_ips: (!a.link_local_ips.is_empty()).then(|| a.link_local_ips.clone()),
            });
            let settings = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: ipam,
                mac_address: a.mac_address.clone(),
                driver_opts: (!a.driver_opts.is_empty()).then(|| {
                    a.driver_opts
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                }),
                gw_priority: (a.gw_priority != 0).then_some(a.gw_priority),
                ..EndpointSettings::default()
            };
            (network_name(project, key), settings)
        })
        .collect()
}

/// Ports as the create request takes them: the exposed ones, and the bindings of the published.
type Ports = (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>);

fn ports(spec: &ServiceSpec) -> Ports {
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        if p.published.is_some() || p.host_ip.is_some() {
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.clone(),
                    host_port: p.published.clone(),
                });
        }
    }
    (exposed, bindings)
}

/// The container's networks: the first (joined at create, with the links and the service's
/// MAC address, as compose does with an API of 1.44 or later), the others (joined after), and
/// the network mode.
struct Joined {
    first: Option<(String, EndpointSettings)>,
    more: Vec<(String, EndpointSettings)>,
    mode: Option<String>,
}

fn joined(project: &Project, spec: &ServiceSpec, number: u32) -> Joined {
    let mut more = if spec.network_mode.is_some() {
        Vec::new()
    } else {
        endpoints(project, spec)
    };
    let mut first = (!more.is_empty()).then(|| more.remove(0));
    let links = super::body_more::links(project, spec, number);
    if let Some((_, settings)) = &mut first {
        if !links.is_empty() {
            settings.links = Some(links);
        }
        if settings.mac_address.is_none() {
            settings.mac_address = spec.mac_address.clone();
        }
    }
    let mode = match (&spec.network_mode, &first) {
        (Some(mode), _) => Some(super::body_more::shared_mode(project, mode)),
        (None, Some((net, _))) => Some(net.clone()),
        (None, None) => None,
    };
    Joined { first, more, mode }
}

/// The host side of the create: mounts, ports, limits, security, logging.
fn host_config(
    spec: &ServiceSpec,
    binds: &[String],
    mounts: &[DockerMount],
    bindings: HashMap<String, Option<Vec<PortBinding>>>,
    network_mode: Option<String>,
) -> HostConfig {
    let tmpfs: HashMap<String, String> = spec
        .tmpfs
        .iter()
        .map(|t| {
            let (path, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
            (path.to_string(), opts.to_string())
        })
        .collect();
    let ulimits: Vec<ResourcesUlimits> = spec
        .ulimits
        .iter()
        .map(|(name, u)| ResourcesUlimits {
            name: Some(name.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect();
    HostConfig {
        binds: non_empty(binds),
        mounts: non_empty(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        network_mode,
        restart_policy: spec.restart.as_deref().map(restart_policy),
        nano_cpus: spec.limits.nano_cpus.and_then(|n| i64::try_from(n).ok()),
        memory: spec.limits.memory.and_then(|m| i64::try_from(m).ok()),
        pids_limit: spec.limits.pids,
        init: spec.init,
        readonly_rootfs: spec.read_only.then_some(true),
        cap_add: non_empty(&spec.cap_add),
        cap_drop: non_empty(&spec.cap_drop),
        security_opt: non_empty(&spec.security_opt),
        ulimits: non_empty(&ulimits),
        shm_size: spec.shm_size.and_then(|s| i64::try_from(s).ok()),
        extra_hosts: non_empty(&spec.extra_hosts),
        dns: non_empty(&spec.dns),
        log_config: spec.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: (!l.options.is_empty()).then(|| {
                l.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        }),
        ..HostConfig::default()
    }
}

/// The container `number` of `spec` as Docker's create request, named `name` (the final name,
/// or a temporary one while recreating). `image_id`: what the image resolved to, when known.
pub fn create_request(
    project: &Project,
    spec: &ServiceSpec,
    number: u32,
    name: &str,
    image_id: Option<&str>,
) -> ContainerCreate {
    let labels: HashMap<String, String> = container_labels(project, spec, number, image_id)
        .into_iter()
        .collect();
    let (exposed, bindings) = ports(spec);
    let mut binds = Vec::new();
    let mut mounts: Vec<DockerMount> = spec
        .volumes
        .iter()
        .filter_map(|m| mount(project, m, &mut binds))
        .collect();
    let (secret_mounts, files) = super::files::secret_files(project, spec);
    mounts.extend(secret_mounts);
    let networks = joined(project, spec, number);
    let mut host_config = host_config(spec, &binds, &mounts, bindings, networks.mode);
    let env: Vec<String> = spec
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: non_empty(&env),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        hostname: spec.hostname.clone(),
        labels: Some(labels),
        exposed_ports: non_empty(&exposed),
        healthcheck: spec.healthcheck.as_ref().map(healthcheck),
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec
            .stop_grace_period
            .and_then(|d| i64::try_from(d.as_secs()).ok()),
        host_config: None,
        networking_config: networks.first.map(|(net, settings)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(net, settings)])),
        }),
        ..ContainerCreateBody::default()
    };
    super::body_more::runtime(project, spec, number, &mut host_config, &mut body);
    body.host_config = Some(host_config);
    ContainerCreate {
        name: name.to_string(),
        platform: spec.platform.clone(),
        body,
        more_networks: networks.more,
        files,
    }
}
