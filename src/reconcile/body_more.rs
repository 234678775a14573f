//! The create-body parts of the keys added for issue #20, each set as Docker Compose v2 sets it
//! (`pkg/compose/create.go`): runtime options, devices and device requests, block IO, the
//! limits beyond CPUs, memory and pids, links and `volumes_from` resolved to container names,
//! `ipc` / `pid` `service:X` to `container:NAME`.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, HostConfig, HostConfigCgroupnsModeEnum,
    HostConfigIsolationEnum, ResourcesBlkioWeightDevice, ThrottleDevice,
};

use super::compose::{BlkioDevice, Project, ServiceSpec};
use super::plan::container_name;

fn map(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// The name of the first container of service `name` (the service's own when unknown).
fn first_container(project: &Project, name: &str) -> String {
    project
        .service(name)
        .map_or_else(|| name.to_string(), |s| container_name(&project.name, s, 1))
}

/// `service:X` → `container:NAME`; any other mode as written.
pub(crate) fn shared_mode(project: &Project, mode: &str) -> String {
    match mode.strip_prefix("service:") {
        Some(service) => format!("container:{}", first_container(project, service)),
        None => mode.to_string(),
    }
}

/// `links` (every replica of the linked service, under the link name, `SERVICE-N` and
/// `PROJECT-SERVICE-N` where N is this container's number) and `external_links`.
pub(crate) fn links(project: &Project, spec: &ServiceSpec, number: u32) -> Vec<String> {
    let mut out = Vec::new();
    for raw in &spec.links {
        let (service, alias) = raw.split_once(':').unwrap_or((raw, raw));
        let Some(linked) = project.service(service) else {
            continue;
        };
        for k in 1..=linked.replicas.max(1) {
            let name = container_name(&project.name, linked, k);
            out.push(format!("{name}:{alias}"));
            out.push(format!("{name}:{service}-{number}"));
            out.push(format!("{name}:{}-{service}-{number}", project.name));
        }
    }
    for raw in &spec.external_links {
        let (container, alias) = raw.split_once(':').unwrap_or((raw, raw));
        out.push(format!("{container}:{alias}"));
    }
    out
}

/// `volumes_from`: `SERVICE[:MODE]` → the service's first container; `container:NAME[:MODE]`
/// → NAME.
fn volumes_from(project: &Project, spec: &ServiceSpec) -> Vec<String> {
    spec.volumes_from
        .iter()
        .map(|v| {
            let (source, mode) = match v.strip_prefix("container:") {
                Some(rest) => {
                    let (name, mode) = rest
                        .split_once(':')
                        .map_or((rest, None), |(n, m)| (n, Some(m)));
                    (name.to_string(), mode)
                }
                None => {
                    let (service, mode) = v
                        .split_once(':')
                        .map_or((v.as_str(), None), |(s, m)| (s, Some(m)));
                    (first_container(project, service), mode)
                }
            };
            match mode {
                Some(m) => format!("{source}:{m}"),
                None => source,
            }
        })
        .collect()
}

/// A CDI device name (`vendor.com/class=name`), which compose sends as a `cdi` device request.
fn is_cdi(name: &str) -> bool {
    name.split_once('=')
        .is_some_and(|(kind, _)| kind.contains('/') && !kind.starts_with('/'))
}

fn devices(spec: &ServiceSpec) -> (Vec<DeviceMapping>, Vec<DeviceRequest>) {
    let mut mappings = Vec::new();
    let mut cdi = Vec::new();
    for d in &spec.devices {
        if d.source == d.target && is_cdi(&d.source) {
            cdi.push(d.source.clone());
            continue;
        }
        mappings.push(DeviceMapping {
            path_on_host: Some(d.source.clone()),
            path_in_container: Some(d.target.clone()),
            cgroup_permissions: Some(d.permissions.clone()),
        });
    }
    let mut requests = Vec::new();
    if !cdi.is_empty() {
        requests.push(DeviceRequest {
            driver: Some("cdi".into()),
            device_ids: Some(cdi),
            ..DeviceRequest::default()
        });
    }
    for r in &spec.device_requests {
        requests.push(DeviceRequest {
            driver: r.driver.clone(),
            count: Some(r.count),
            device_ids: list(&r.device_ids),
            capabilities: Some(vec![r.capabilities.clone()]),
            options: map(&r.options),
        });
    }
    (mappings, requests)
}

fn throttle(devices: &[BlkioDevice]) -> Option<Vec<ThrottleDevice>> {
    (!devices.is_empty()).then(|| {
        devices
            .iter()
            .map(|d| ThrottleDevice {
                path: Some(d.path.clone()),
                rate: i64::try_from(d.value).ok(),
            })
            .collect()
    })
}

fn blkio(spec: &ServiceSpec, host: &mut HostConfig) {
    let Some(b) = &spec.blkio_config else {
        return;
    };
    host.blkio_weight = b.weight;
    host.blkio_weight_device = (!b.weight_device.is_empty()).then(|| {
        b.weight_device
            .iter()
            .map(|d| ResourcesBlkioWeightDevice {
                path: Some(d.path.clone()),
                weight: usize::try_from(d.value).ok(),
            })
            .collect()
    });
    host.blkio_device_read_bps = throttle(&b.device_read_bps);
    host.blkio_device_read_iops = throttle(&b.device_read_iops);
    host.blkio_device_write_bps = throttle(&b.device_write_bps);
    host.blkio_device_write_iops = throttle(&b.device_write_iops);
}

fn isolation(text: &str) -> HostConfigIsolationEnum {
    match text {
        "default" => HostConfigIsolationEnum::DEFAULT,
        "process" => HostConfigIsolationEnum::PROCESS,
        "hyperv" => HostConfigIsolationEnum::HYPERV,
        _ => HostConfigIsolationEnum::EMPTY,
    }
}

/// Sets what the later keys of `spec` give the create body of its container `number`.
pub(crate) fn runtime(
    project: &Project,
    spec: &ServiceSpec,
    number: u32,
    host: &mut HostConfig,
    body: &mut ContainerCreateBody,
) {
    let l = &spec.limits;
    body.domainname = spec.domainname.clone();
    body.tty = spec.tty.then_some(true);
    body.open_stdin = spec.stdin_open.then_some(true);
    if !spec.expose.is_empty() {
        let ports = body.exposed_ports.get_or_insert_with(Vec::new);
        for e in &spec.expose {
            if !ports.contains(e) {
                ports.push(e.clone());
            }
        }
    }
    host.annotations = map(&spec.annotations);
    host.sysctls = map(&spec.sysctls);
    host.storage_opt = map(&spec.storage_opt);
    host.privileged = spec.privileged.then_some(true);
    let (mappings, requests) = devices(spec);
    host.devices = (!mappings.is_empty()).then_some(mappings);
    host.device_requests = (!requests.is_empty()).then_some(requests);
    host.device_cgroup_rules = list(&spec.device_cgroup_rules);
    host.pid_mode = spec.pid.as_deref().map(|m| shared_mode(project, m));
    host.ipc_mode = spec.ipc.as_deref().map(|m| shared_mode(project, m));
    host.uts_mode = spec.uts.clone();
    host.userns_mode = spec.userns_mode.clone();
    host.cgroupns_mode = spec.cgroup.as_deref().map(|c| match c {
        "host" => HostConfigCgroupnsModeEnum::HOST,
        _ => HostConfigCgroupnsModeEnum::PRIVATE,
    });
    host.cgroup_parent = spec.cgroup_parent.clone();
    host.cpuset_cpus = spec.cpuset.clone();
    host.group_add = list(&spec.group_add);
    host.oom_score_adj = spec.oom_score_adj;
    host.volumes_from = list(&volumes_from(project, spec));
    host.links = list(&links(project, spec, number));
    host.dns_options = list(&spec.dns_opt);
    host.dns_search = list(&spec.dns_search);
    host.runtime = spec.runtime.clone();
    host.isolation = spec.isolation.as_deref().map(isolation);
    host.memory_reservation = l.memory_reservation.and_then(|m| i64::try_from(m).ok());
    host.memory_swap = l.memswap_limit;
    host.memory_swappiness = l.mem_swappiness;
    host.oom_kill_disable = l.oom_kill_disable.then_some(true);
    host.cpu_shares = l.cpu_shares;
    host.cpu_period = l.cpu_period;
    host.cpu_quota = l.cpu_quota;
    host.cpu_realtime_period = l.cpu_rt_period;
    host.cpu_realtime_runtime = l.cpu_rt_runtime;
    host.cpu_count = l.cpu_count;
    host.cpu_percent = l.cpu_percent;
    blkio(spec, host);
}
