//! The service keys beyond the first supported set: runtime options Docker's create takes
//! (`sysctls`, `devices`, `pid`, `ipc`, ...), extra resource limits, device requests (`gpus`,
//! `deploy.resources.reservations.devices`), `deploy` as a whole (its Swarm-only parts
//! accepted and said to be ignored), and the keys fleetdeck accepts and does not act on.

use super::ComposeError;
use super::fields::{
    Res, boolean, duration, entries, integer, join, nano_cpus, opt_string, size, str_map, string,
    strings, unsigned,
};
use super::interp::parse_env_file;
use super::keys::sorted;
use super::model::{BlkioConfig, BlkioDevice, DeviceMapping, DeviceRequest, Limits, ServiceSpec};
use super::service::ServiceCtx;
use super::warn::SWARM;
use super::yaml::{Node, Value};

/// Reads `key` into `spec` when it is one of this module's; `false` when it is not.
pub(crate) fn runtime_key(
    spec: &mut ServiceSpec,
    key: &str,
    value: &Node,
    p: &str,
    ctx: &ServiceCtx<'_>,
) -> Res<bool> {
    match key {
        "annotations" => spec.annotations = str_map(value, p)?,
        "blkio_config" => spec.blkio_config = Some(blkio(value, p)?),
        "cgroup" => {
            let mode = string(value, p)?;
            if mode != "host" && mode != "private" {
                return Err(value.error(p, "cgroup must be host or private"));
            }
            spec.cgroup = Some(mode);
        }
        "cgroup_parent" => spec.cgroup_parent = opt_string(value, p)?,
        "cpuset" => spec.cpuset = opt_string(value, p)?,
        "device_cgroup_rules" => spec.device_cgroup_rules = strings(value, p, false)?,
        "devices" => spec.devices = devices(value, p)?,
        "dns_opt" => spec.dns_opt = strings(value, p, true)?,
        "dns_search" => spec.dns_search = strings(value, p, true)?,
        "domainname" => spec.domainname = opt_string(value, p)?,
        "expose" => spec.expose = expose(value, p)?,
        "external_links" => spec.external_links = strings(value, p, false)?,
        "gpus" => {
            let gpus = gpus(value, p)?;
            spec.device_requests.splice(0..0, gpus);
        }
        "group_add" => spec.group_add = strings(value, p, false)?,
        "ipc" => spec.ipc = opt_string(value, p)?,
        "isolation" => spec.isolation = opt_string(value, p)?,
        "links" => spec.links = strings(value, p, false)?,
        "mac_address" => spec.mac_address = opt_string(value, p)?,
        "oom_score_adj" => spec.oom_score_adj = Some(integer(value, p)?),
        "pid" => spec.pid = opt_string(value, p)?,
        "platform" => spec.platform = opt_string(value, p)?,
        "privileged" => spec.privileged = boolean(value, p)?,
        "runtime" => spec.runtime = opt_string(value, p)?,
        "stdin_open" => spec.stdin_open = boolean(value, p)?,
        "storage_opt" => spec.storage_opt = str_map(value, p)?,
        "sysctls" => spec.sysctls = str_map(value, p)?,
        "tty" => spec.tty = boolean(value, p)?,
        "userns_mode" => spec.userns_mode = opt_string(value, p)?,
        "uts" => spec.uts = opt_string(value, p)?,
        "volumes_from" => spec.volumes_from = strings(value, p, false)?,
        _ => {
            return match limit_key(&mut spec.limits, key, value, p)? {
                true => Ok(true),
                false => unused_key(&spec.name, key, value, p, ctx),
            };
        }
    }
    Ok(true)
}

/// The resource limits a service sets at its top level.
fn limit_key(l: &mut Limits, key: &str, value: &Node, p: &str) -> Res<bool> {
    match key {
        "cpu_count" => l.cpu_count = Some(integer(value, p)?),
        "cpu_percent" => l.cpu_percent = Some(integer(value, p)?),
        "cpu_shares" => l.cpu_shares = Some(integer(value, p)?),
        "cpu_period" => l.cpu_period = Some(micros(value, p)?),
        "cpu_quota" => l.cpu_quota = Some(micros(value, p)?),
        "cpu_rt_period" => l.cpu_rt_period = Some(micros(value, p)?),
        "cpu_rt_runtime" => l.cpu_rt_runtime = Some(micros(value, p)?),
        "mem_reservation" => l.memory_reservation = Some(size(value, p)?),
        "mem_swappiness" => l.mem_swappiness = Some(integer(value, p)?),
        "memswap_limit" => l.memswap_limit = Some(signed_size(value, p)?),
        "oom_kill_disable" => l.oom_kill_disable = boolean(value, p)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Keys read but not used by a container (each said once where fleetdeck ignores it).
fn unused_key(service: &str, key: &str, value: &Node, p: &str, ctx: &ServiceCtx<'_>) -> Res<bool> {
    let owner = format!("service {service}");
    match key {
        "attach" => {
            // Which services' logs `up` follows: fleetdeck's `apply` follows none.
            boolean(value, p)?;
        }
        "credential_spec" => ctx.warn.ignored(key, &owner, "Windows containers only"),
        "develop" => ctx
            .warn
            .ignored(key, &owner, "fleetdeck does not watch files"),
        "models" => ctx.warn.ignored(key, &owner, "fleetdeck runs no AI models"),
        "post_start" | "pre_stop" => {
            ctx.warn
                .ignored(key, &owner, "fleetdeck does not run lifecycle hooks")
        }
        "use_api_socket" => ctx.warn.ignored(
            key,
            &owner,
            "fleetdeck does not mount the Docker socket on its own",
        ),
        // Read with `pull_policy` (it only means something with `refresh`).
        "pull_refresh_after" => {
            duration(value, p)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A CPU period or quota: microseconds, or a duration (`100ms`).
fn micros(node: &Node, path: &str) -> Res<i64> {
    if let Ok(n) = integer(node, path) {
        return Ok(n);
    }
    let d = duration(node, path)?;
    i64::try_from(d.as_micros()).map_err(|_| node.error(path, "too large"))
}

/// A size, or `-1` (unlimited).
fn signed_size(node: &Node, path: &str) -> Res<i64> {
    if string(node, path)?.trim() == "-1" {
        return Ok(-1);
    }
    i64::try_from(size(node, path)?).map_err(|_| node.error(path, "too large"))
}

fn blkio_devices(node: &Node, path: &str, value_key: &str) -> Res<Vec<BlkioDevice>> {
    let Value::Seq(items) = &node.value else {
        return Err(node.error(path, "expected a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let (mut dev, mut val) = (None, None);
        for (k, v) in entries(item, &p, &["path", value_key])? {
            let q = join(&p, &k.name);
            if k.name == "path" {
                dev = Some(string(v, &q)?);
            } else if value_key == "weight" {
                val = Some(unsigned(v, &q)?);
            } else {
                val = Some(size(v, &q)?);
            }
        }
        match (dev, val) {
            (Some(path), Some(value)) => out.push(BlkioDevice { path, value }),
            _ => return Err(item.error(&p, format!("needs 'path' and '{value_key}'"))),
        }
    }
    Ok(out)
}

fn blkio(node: &Node, path: &str) -> Res<BlkioConfig> {
    let allowed = [
        "weight",
        "weight_device",
        "device_read_bps",
        "device_read_iops",
        "device_write_bps",
        "device_write_iops",
    ];
    let mut out = BlkioConfig::default();
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "weight" => {
                let w = unsigned(value, &p)?;
                out.weight = Some(
                    u16::try_from(w)
                        .ok()
                        .filter(|w| (10..=1000).contains(w))
                        .ok_or_else(|| value.error(&p, "a weight is between 10 and 1000"))?,
                );
            }
            "weight_device" => out.weight_device = blkio_devices(value, &p, "weight")?,
            "device_read_bps" => out.device_read_bps = blkio_devices(value, &p, "rate")?,
            "device_read_iops" => out.device_read_iops = blkio_devices(value, &p, "rate")?,
            "device_write_bps" => out.device_write_bps = blkio_devices(value, &p, "rate")?,
            _ => out.device_write_iops = blkio_devices(value, &p, "rate")?,
        }
    }
    Ok(out)
}

fn is_permissions(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
}

/// `devices`: `HOST[:CONTAINER[:PERMISSIONS]]` or `{source, target, permissions}`.
fn devices(node: &Node, path: &str) -> Res<Vec<DeviceMapping>> {
    let Value::Seq(items) = &node.value else {
        return Err(node.error(path, "expected a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let mapping = if let Value::Map(_) = item.value {
            let (mut source, mut target, mut perms) = (None, None, None);
            for (k, v) in entries(item, &p, &["source", "target", "permissions"])? {
                let q = join(&p, &k.name);
                match k.name.as_str() {
                    "source" => source = Some(string(v, &q)?),
                    "target" => target = opt_string(v, &q)?,
                    _ => perms = opt_string(v, &q)?,
                }
            }
            let source = source.ok_or_else(|| item.error(&p, "a device needs 'source'"))?;
            DeviceMapping {
                target: target.unwrap_or_else(|| source.clone()),
                source,
                permissions: perms.unwrap_or_else(|| "rwm".into()),
            }
        } else {
            let text = string(item, &p)?;
            let parts: Vec<&str> = text.split(':').collect();
            let (s, t, m) = match parts.as_slice() {
                [s] => (*s, *s, "rwm"),
                [s, m] if is_permissions(m) => (*s, *s, *m),
                [s, t] => (*s, *t, "rwm"),
                [s, t, m] if is_permissions(m) => (*s, *t, *m),
                _ => {
                    return Err(item.error(
                        &p,
                        format!("bad device '{text}': expected HOST[:CONTAINER[:rwm]]"),
                    ));
                }
            };
            DeviceMapping {
                source: s.into(),
                target: t.into(),
                permissions: m.into(),
            }
        };
        out.push(mapping);
    }
    Ok(out)
}

/// `expose`: `PORT`, `START-END`, each with an optional `/PROTO`, into `PORT/PROTO`.
fn expose(node: &Node, path: &str) -> Res<Vec<String>> {
    let mut out = Vec::new();
    for (i, text) in strings(node, path, false)?.into_iter().enumerate() {
        let (ports, proto) = text.split_once('/').unwrap_or((text.as_str(), "tcp"));
        let bad = || node.error(&format!("{path}[{i}]"), format!("bad expose '{text}'"));
        let (a, b) = ports.split_once('-').unwrap_or((ports, ports));
        let (a, b): (u16, u16) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if a > b || !matches!(proto, "tcp" | "udp" | "sctp") {
            return Err(bad());
        }
        out.extend((a..=b).map(|port| format!("{port}/{proto}")));
    }
    Ok(sorted(out))
}

/// A device count: a number or `all` (-1).
fn count(node: &Node, path: &str) -> Res<i64> {
    if string(node, path)?.eq_ignore_ascii_case("all") {
        return Ok(-1);
    }
    integer(node, path)
}

/// One device request mapping (`gpus` item or `reservations.devices` item).
fn device_request(node: &Node, path: &str, gpu: bool) -> Res<DeviceRequest> {
    let mut req = DeviceRequest {
        count: -1,
        ..DeviceRequest::default()
    };
    let (mut has_count, mut has_caps) = (false, false);
    let allowed = ["capabilities", "count", "device_ids", "driver", "options"];
    for (k, v) in entries(node, path, &allowed)? {
        let q = join(path, &k.name);
        match k.name.as_str() {
            "capabilities" => {
                has_caps = true;
                req.capabilities = strings(v, &q, false)?;
            }
            "count" => {
                has_count = true;
                req.count = count(v, &q)?;
            }
            "device_ids" => req.device_ids = strings(v, &q, false)?,
            "driver" => req.driver = opt_string(v, &q)?,
            _ => req.options = str_map(v, &q)?,
        }
    }
    if has_count && !req.device_ids.is_empty() {
        return Err(node.error(path, "count and device_ids cannot both be set"));
    }
    if !req.device_ids.is_empty() {
        req.count = i64::try_from(req.device_ids.len()).unwrap_or(i64::MAX);
    }
    if gpu {
        req.capabilities.push("gpu".into());
    } else if !has_caps {
        return Err(node.error(path, "a device reservation needs 'capabilities'"));
    }
    Ok(req)
}

/// `gpus: all` or a list of requests; each gets the `gpu` capability, as compose does.
fn gpus(node: &Node, path: &str) -> Res<Vec<DeviceRequest>> {
    match &node.value {
        Value::Scalar(s) if s == "all" => Ok(vec![DeviceRequest {
            count: -1,
            capabilities: vec!["gpu".into()],
            ..DeviceRequest::default()
        }]),
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| device_request(item, &format!("{path}[{i}]"), true))
            .collect(),
        _ => Err(node.error(path, "expected 'all' or a list of device requests")),
    }
}

/// What `deploy:` gives a service.
#[derive(Default)]
pub(crate) struct Deploy {
    pub replicas: Option<u32>,
    /// `restart_policy`, as a container restart policy (it wins over `restart`, as in compose).
    pub restart: Option<String>,
}

/// `deploy`: `replicas`, `resources` (limits; reservations' memory and devices), and
/// `restart_policy` as compose maps them onto a container; the rest is Swarm's.
pub(crate) fn deploy(
    node: &Node,
    path: &str,
    spec: &mut ServiceSpec,
    ctx: &ServiceCtx<'_>,
) -> Res<Deploy> {
    let mut out = Deploy::default();
    if matches!(node.value, Value::Null) {
        return Ok(out);
    }
    let owner = format!("service {}", spec.name);
    let allowed = [
        "mode",
        "endpoint_mode",
        "replicas",
        "labels",
        "rollback_config",
        "update_config",
        "resources",
        "restart_policy",
        "placement",
    ];
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        let at = format!("deploy.{}", key.name);
        match key.name.as_str() {
            "replicas" => {
                let n = unsigned(value, &p)?;
                out.replicas = Some(u32::try_from(n).map_err(|_| value.error(&p, "too large"))?);
            }
            "resources" => resources(value, &p, spec, ctx)?,
            "restart_policy" => out.restart = restart_policy(value, &p)?,
            "mode" => match string(value, &p)?.as_str() {
                "replicated" | "replicated-job" => {}
                "global" | "global-job" => ctx.warn.ignored(
                    &at,
                    &owner,
                    "one container per Swarm node has no meaning on one daemon: replicas apply",
                ),
                other => return Err(value.error(&p, format!("unknown deploy mode '{other}'"))),
            },
            _ => ctx.warn.ignored(&at, &owner, SWARM),
        }
    }
    Ok(out)
}

fn resources(node: &Node, path: &str, spec: &mut ServiceSpec, ctx: &ServiceCtx<'_>) -> Res<()> {
    let owner = format!("service {}", spec.name);
    for (k, v) in entries(node, path, &["limits", "reservations"])? {
        let q = join(path, &k.name);
        if k.name == "limits" {
            limits(v, &q, &mut spec.limits)?;
            continue;
        }
        let allowed = ["cpus", "memory", "generic_resources", "devices"];
        for (r, w) in entries(v, &q, &allowed)? {
            let s = join(&q, &r.name);
            match r.name.as_str() {
                "memory" => spec.limits.memory_reservation = Some(size(w, &s)?),
                "devices" => {
                    let Value::Seq(items) = &w.value else {
                        return Err(w.error(&s, "expected a list"));
                    };
                    for (i, item) in items.iter().enumerate() {
                        let req = device_request(item, &format!("{s}[{i}]"), false)?;
                        spec.device_requests.push(req);
                    }
                }
                other => ctx.warn.ignored(
                    &format!("deploy.resources.reservations.{other}"),
                    &owner,
                    SWARM,
                ),
            }
        }
    }
    Ok(())
}

fn limits(node: &Node, path: &str, limits: &mut Limits) -> Res<()> {
    for (l, w) in entries(node, path, &["cpus", "memory", "pids"])? {
        let r = join(path, &l.name);
        match l.name.as_str() {
            "cpus" => limits.nano_cpus = Some(nano_cpus(w, &r)?),
            "memory" => limits.memory = Some(size(w, &r)?),
            _ => limits.pids = Some(integer(w, &r)?),
        }
    }
    Ok(())
}

/// `deploy.restart_policy` as compose v2 maps it (over `restart`): `none` → `no`,
/// `on-failure` (with `max_attempts`) → `on-failure[:N]`, `any` → `always`.
fn restart_policy(node: &Node, path: &str) -> Res<Option<String>> {
    let (mut condition, mut attempts) = (None, None);
    for (k, v) in entries(
        node,
        path,
        &["condition", "delay", "max_attempts", "window"],
    )? {
        let q = join(path, &k.name);
        match k.name.as_str() {
            "condition" => condition = Some(string(v, &q)?),
            "max_attempts" => attempts = Some(unsigned(v, &q)?),
            _ => {
                duration(v, &q)?;
            }
        }
    }
    Ok(match condition.as_deref() {
        Some("any") | Some("always") => Some("always".into()),
        None | Some("none") | Some("no") | Some("") => Some("no".into()),
        Some("on-failure") => Some(match attempts {
            Some(n) if n > 0 => format!("on-failure:{n}"),
            _ => "on-failure".into(),
        }),
        Some(other) => {
            return Err(node.error(
                &join(path, "condition"),
                format!("bad condition '{other}': none, on-failure or any"),
            ));
        }
    })
}

/// `label_file`: labels from files in the env-file format, made absolute against the project
/// directory; `labels` are applied over them.
pub(crate) fn label_files(
    node: &Node,
    path: &str,
    ctx: &ServiceCtx<'_>,
) -> Res<Vec<(String, String)>> {
    let mut out = Vec::new();
    for file in strings(node, path, true)? {
        let full = ctx.mounts.working_dir.join(&file);
        let text = std::fs::read_to_string(&full).map_err(|e| {
            node.error(
                path,
                format!("cannot read label_file {}: {e}", full.display()),
            )
        })?;
        out.extend(
            parse_env_file(&text, ctx.mounts.env)
                .map_err(|e| ComposeError::at(&full, e.line, &e.key, e.message))?,
        );
    }
    Ok(out)
}
