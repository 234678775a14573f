//! The normalised project as a compose file again (what `fleetdeck config` prints, like
//! `docker compose config`): services keyed by name, every value interpolated, list forms
//! brought to one form, env files and label files folded in, relative paths absolute, defaults
//! filled, and each model field written back under its compose key (limits under
//! `deploy.resources`, mounts and ports in the long syntax, durations as `1m30s`). Loading the
//! output again gives the same project. Empty values are left out.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::model::{BlkioDevice, Healthcheck, Limits, Mount, MountKind, Project, ServiceSpec};
use super::secrets::{FileSource, MASK};

/// A duration as compose writes one: `1h2m3s`, `1m30s`, `500ms`, `0s`.
pub fn duration_text(d: Duration) -> String {
    let (secs, millis) = (d.as_secs(), d.subsec_millis());
    let mut out = String::new();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || (out.is_empty() && millis == 0) {
        out.push_str(&format!("{s}s"));
    }
    if millis > 0 {
        out.push_str(&format!("{millis}ms"));
    }
    out
}

/// Whether a JSON value says nothing (left out of the output).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Drops empty values, recursively; under `networks` an empty attachment (`front: {}`) is
/// kept, as it names a network the service joins.
fn prune(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Object(m) if k == "networks" => {
                            Value::Object(m.into_iter().map(|(n, a)| (n, prune(a))).collect())
                        }
                        v => prune(v),
                    };
                    (k, v)
                })
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(prune).collect()),
        other => other,
    }
}

fn octal(mode: u32) -> String {
    format!("0{mode:o}")
}

fn mount(m: &Mount) -> Value {
    let kind = match m.kind {
        MountKind::Bind => "bind",
        MountKind::Volume => "volume",
        MountKind::Tmpfs => "tmpfs",
        MountKind::Image => "image",
        MountKind::Npipe => "npipe",
        MountKind::Cluster => "cluster",
    };
    let mut out = json!({
        "type": kind,
        "source": m.source,
        "target": m.target,
        "read_only": m.read_only,
    });
    let sub = match m.kind {
        MountKind::Bind => json!({"bind": {
            "propagation": m.propagation,
            "create_host_path": m.create_host_path,
            "selinux": m.selinux,
            "recursive": m.recursive,
        }}),
        MountKind::Volume => json!({"volume": {"nocopy": m.nocopy, "subpath": m.subpath}}),
        MountKind::Tmpfs => json!({"tmpfs": {
            "size": m.tmpfs_size,
            "mode": m.tmpfs_mode.map(|n| format!("{n:o}")),
        }}),
        MountKind::Image => json!({"image": {"subpath": m.subpath}}),
        _ => json!({}),
    };
    if let (Value::Object(o), Value::Object(s)) = (&mut out, sub) {
        o.extend(s);
    }
    out
}

fn healthcheck(h: &Healthcheck) -> Value {
    match h {
        Healthcheck::Disabled => json!({"disable": true}),
        Healthcheck::Check {
            test,
            interval,
            timeout,
            retries,
            start_period,
            start_interval,
        } => json!({
            "test": test,
            "interval": interval.map(duration_text),
            "timeout": timeout.map(duration_text),
            "retries": retries,
            "start_period": start_period.map(duration_text),
            "start_interval": start_interval.map(duration_text),
        }),
    }
}

fn cpus(nano: u64) -> String {
    let text = format!("{:.9}", nano as f64 / 1e9);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `deploy:` (replicas, resources) and the top-level resource keys.
fn resources(spec: &ServiceSpec, out: &mut Map<String, Value>) {
    let l: &Limits = &spec.limits;
    let devices: Vec<Value> = spec
        .device_requests
        .iter()
        .map(|r| {
            json!({
                "driver": r.driver,
                "count": if r.device_ids.is_empty() { Some(r.count) } else { None },
                "device_ids": r.device_ids,
                "capabilities": r.capabilities,
                "options": r.options,
            })
        })
        .collect();
    let mut deploy = json!({
        "replicas": spec.replicas,
        "resources": {
            "limits": {"cpus": l.nano_cpus.map(cpus), "memory": l.memory, "pids": l.pids},
            "reservations": {"memory": l.memory_reservation, "devices": devices},
        },
    });
    super::swarm::deploy_view(&spec.swarm, &mut deploy);
    out.insert("deploy".into(), deploy);
    let top = [
        ("memswap_limit", json!(l.memswap_limit)),
        ("mem_swappiness", json!(l.mem_swappiness)),
        ("oom_kill_disable", json!(l.oom_kill_disable)),
        ("cpu_shares", json!(l.cpu_shares)),
        ("cpu_period", json!(l.cpu_period)),
        ("cpu_quota", json!(l.cpu_quota)),
        ("cpu_rt_period", json!(l.cpu_rt_period)),
        ("cpu_rt_runtime", json!(l.cpu_rt_runtime)),
        ("cpu_count", json!(l.cpu_count)),
        ("cpu_percent", json!(l.cpu_percent)),
    ];
    for (k, v) in top {
        out.insert(k.into(), v);
    }
}

fn blkio(devices: &[BlkioDevice], key: &str) -> Value {
    devices
        .iter()
        .map(|d| json!({"path": d.path, key: d.value}))
        .collect()
}

fn service(spec: &ServiceSpec) -> Value {
    let Ok(Value::Object(mut out)) = serde_json::to_value(spec) else {
        return Value::Null;
    };
    for k in ["name", "replicas", "limits", "device_requests"] {
        out.remove(k);
    }
    resources(spec, &mut out);
    out.insert("volumes".into(), spec.volumes.iter().map(mount).collect());
    out.insert(
        "healthcheck".into(),
        spec.healthcheck.as_ref().map_or(Value::Null, healthcheck),
    );
    out.insert(
        "stop_grace_period".into(),
        json!(spec.stop_grace_period.map(duration_text)),
    );
    if let Some(b) = &spec.blkio_config {
        out.insert(
            "blkio_config".into(),
            json!({
                "weight": b.weight,
                "weight_device": blkio(&b.weight_device, "weight"),
                "device_read_bps": blkio(&b.device_read_bps, "rate"),
                "device_read_iops": blkio(&b.device_read_iops, "rate"),
                "device_write_bps": blkio(&b.device_write_bps, "rate"),
                "device_write_iops": blkio(&b.device_write_iops, "rate"),
            }),
        );
    }
    out.insert("pull_policy".into(), json!(pull_policy(spec)));
    for key in ["secrets", "configs"] {
        let refs = if key == "secrets" {
            &spec.secrets
        } else {
            &spec.configs
        };
        let list: Vec<Value> = refs
            .iter()
            .map(|r| {
                json!({"source": r.source, "target": r.target, "uid": r.uid, "gid": r.gid,
                       "mode": r.mode.map(octal)})
            })
            .collect();
        out.insert(key.into(), Value::Array(list));
    }
    if let Some(Value::Object(build)) = out.get_mut("build") {
        // The BuildKit-only keys given: named in the warnings, not part of the file.
        build.remove("ignored");
    }
    Value::Object(out)
}

fn pull_policy(spec: &ServiceSpec) -> String {
    use super::model::PullPolicy as P;
    match spec.pull_policy {
        P::Missing => "missing".into(),
        P::Always => "always".into(),
        P::Never => "never".into(),
        P::Build => "build".into(),
        P::Refresh(secs) => format!("every_{}", duration_text(Duration::from_secs(secs))),
    }
}

/// `$` written as `$$`, so that loading the output does not interpolate it again.
fn escape_dollars(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace('$', "$$")),
        Value::Array(a) => Value::Array(a.into_iter().map(escape_dollars).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, escape_dollars(v))).collect())
        }
        other => other,
    }
}

/// Top-level secrets or configs as compose writes them. A `content:` value is masked (values
/// are never printed); an `environment:` source is its variable's name.
fn file_objects(objects: &BTreeMap<String, FileSource>) -> Value {
    objects
        .iter()
        .map(|(key, source)| {
            let v = match source {
                FileSource::File(path) => json!({"file": path}),
                FileSource::Environment { var, .. } => json!({"environment": var}),
                FileSource::Value(_) => json!({"content": MASK}),
                FileSource::External(name) => json!({"external": true, "name": name}),
            };
            (key.clone(), v)
        })
        .collect::<Map<String, Value>>()
        .into()
}

/// The project as a compose file's JSON.
pub fn config_view(project: &Project) -> Value {
    let services: Map<String, Value> = project
        .services
        .iter()
        .map(|s| (s.name.clone(), service(s)))
        .collect();
    let mut out = json!({
        "name": project.name,
        "services": services,
        "networks": project.networks,
        "volumes": project.volumes,
        "secrets": file_objects(&project.secrets),
        "configs": file_objects(&project.configs),
    });
    if let Value::Object(o) = &mut out {
        for v in o.values_mut() {
            *v = escape_dollars(prune(std::mem::take(v)));
        }
    }
    out
}
