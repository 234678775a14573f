//! Which fields of a service spec differ between what the file wants and what the manager
//! has. Both sides are read as JSON and normalised first: what the manager fills in by itself
//! (`Runtime: container`, `Isolation: default`, `EndpointSpec.Mode: vip`, a port's `tcp` and
//! `ingress`, a secret's or config's id, `ForceUpdate`) is dropped, and so is every empty
//! value (`null`, `""`, `0`, `false`, `[]`, `{}`) — the API omits them too — so a spec the
//! manager returns compares equal to the spec that made it. Ports are compared as a set.
//! What differs is named by the compose key it comes from (`command`, `deploy.replicas`,
//! `deploy.update_config`, ...).

use std::collections::{BTreeMap, BTreeSet};

use bollard::models::ServiceSpec;
use serde_json::{Map, Value, json};

/// Values the manager sets on its own, by path (`*` matches any array item): numbers are
/// nanoseconds.
fn manager_defaults() -> Vec<(&'static str, Value)> {
    vec![
        ("TaskTemplate.Runtime", json!("container")),
        ("TaskTemplate.ContainerSpec.Isolation", json!("default")),
        ("EndpointSpec.Mode", json!("vip")),
        ("EndpointSpec.Ports.*.Protocol", json!("tcp")),
        ("EndpointSpec.Ports.*.PublishMode", json!("ingress")),
        ("UpdateConfig.FailureAction", json!("pause")),
        ("UpdateConfig.Monitor", json!(5_000_000_000_i64)),
        ("UpdateConfig.Order", json!("stop-first")),
        ("RollbackConfig.FailureAction", json!("pause")),
        ("RollbackConfig.Monitor", json!(5_000_000_000_i64)),
        ("RollbackConfig.Order", json!("stop-first")),
    ]
}

/// Fields that never count as a difference: ids the manager assigns and the force counter.
/// (The health check counts: bollard names the field `HealthCheck` where the Engine answers
/// `Healthcheck`, so the engine reads it from the Engine's own JSON,
/// [`crate::engine::Endpoint::services_labelled_with_health`]; the manager takes either name,
/// so what is sent arrives.)
const IGNORED: &[&str] = &[
    "TaskTemplate.ForceUpdate",
    "TaskTemplate.ContainerSpec.Secrets.*.SecretID",
    "TaskTemplate.ContainerSpec.Configs.*.ConfigID",
];

/// Spec path prefix → the compose key it comes from; the first match wins.
const NAMES: &[(&str, &str)] = &[
    ("Labels.com.docker.stack.image", "image"),
    ("Labels", "deploy.labels"),
    ("Name", "name"),
    ("TaskTemplate.ContainerSpec.Image", "image"),
    ("TaskTemplate.ContainerSpec.Args", "command"),
    ("TaskTemplate.ContainerSpec.Command", "entrypoint"),
    ("TaskTemplate.ContainerSpec.Env", "environment"),
    ("TaskTemplate.ContainerSpec.Labels", "labels"),
    ("TaskTemplate.ContainerSpec.Mounts", "volumes"),
    ("TaskTemplate.ContainerSpec.HealthCheck", "healthcheck"),
    ("TaskTemplate.ContainerSpec.Hostname", "hostname"),
    ("TaskTemplate.ContainerSpec.Hosts", "extra_hosts"),
    ("TaskTemplate.ContainerSpec.DNSConfig", "dns"),
    ("TaskTemplate.ContainerSpec.Dir", "working_dir"),
    ("TaskTemplate.ContainerSpec.User", "user"),
    (
        "TaskTemplate.ContainerSpec.StopGracePeriod",
        "stop_grace_period",
    ),
    ("TaskTemplate.ContainerSpec.StopSignal", "stop_signal"),
    ("TaskTemplate.ContainerSpec.TTY", "tty"),
    ("TaskTemplate.ContainerSpec.OpenStdin", "stdin_open"),
    ("TaskTemplate.ContainerSpec.Secrets", "secrets"),
    ("TaskTemplate.ContainerSpec.Configs", "configs"),
    ("TaskTemplate.ContainerSpec.ReadOnly", "read_only"),
    ("TaskTemplate.ContainerSpec.Init", "init"),
    ("TaskTemplate.ContainerSpec.Sysctls", "sysctls"),
    ("TaskTemplate.ContainerSpec.CapabilityAdd", "cap_add"),
    ("TaskTemplate.ContainerSpec.CapabilityDrop", "cap_drop"),
    ("TaskTemplate.ContainerSpec.Ulimits", "ulimits"),
    ("TaskTemplate.ContainerSpec.OomScoreAdj", "oom_score_adj"),
    ("TaskTemplate.ContainerSpec.Isolation", "isolation"),
    ("TaskTemplate.Resources", "deploy.resources"),
    ("TaskTemplate.RestartPolicy", "deploy.restart_policy"),
    ("TaskTemplate.Placement", "deploy.placement"),
    ("TaskTemplate.Networks", "networks"),
    ("TaskTemplate.LogDriver", "logging"),
    ("Networks", "networks"),
    ("Mode.Replicated.Replicas", "deploy.replicas"),
    ("Mode.ReplicatedJob", "deploy.replicas"),
    ("Mode", "deploy.mode"),
    ("UpdateConfig", "deploy.update_config"),
    ("RollbackConfig", "deploy.rollback_config"),
    ("EndpointSpec.Ports", "ports"),
    ("EndpointSpec.Mode", "deploy.endpoint_mode"),
];

/// A spec as compared: normalised JSON.
pub fn normalised(spec: &ServiceSpec) -> Value {
    let mut value = serde_json::to_value(spec).unwrap_or(Value::Null);
    mark_modes(&mut value);
    let defaults = manager_defaults();
    drop_paths(&mut value, "", &|path, v| {
        IGNORED.iter().any(|p| matches(p, path))
            || defaults.iter().any(|(p, d)| matches(p, path) && v == d)
    });
    if let Some(Value::Array(ports)) = value.pointer_mut("/EndpointSpec/Ports").map(std::mem::take)
    {
        let mut ports = ports;
        ports.sort_by_key(|p| p.to_string());
        if let Some(slot) = value.pointer_mut("/EndpointSpec/Ports") {
            *slot = Value::Array(ports);
        }
    }
    prune(&mut value);
    value
}

/// `Global: {}` would be pruned as empty: keep the mode's name as a value.
fn mark_modes(value: &mut Value) {
    if let Some(Value::Object(mode)) = value.get_mut("Mode") {
        for key in ["Global", "GlobalJob"] {
            if let Some(slot) = mode.get_mut(key) {
                *slot = Value::Bool(true);
            }
        }
    }
}

/// Whether `pattern` (with `*` for one segment) matches `path`.
fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('.'), path.split('.'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

fn drop_paths(value: &mut Value, path: &str, drop: &dyn Fn(&str, &Value) -> bool) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            map.retain(|k, v| !drop(&child(k), v));
            for (k, v) in map.iter_mut() {
                drop_paths(v, &child(k), drop);
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                drop_paths(item, &child("*"), drop);
            }
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Drops empty values, innermost first.
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                prune(v);
            }
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// Leaves by path; arrays are leaves (compared whole).
fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, p, out);
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// The compose key a spec path comes from (the path itself when none is known).
pub fn field_name(path: &str) -> String {
    NAMES
        .iter()
        .find(|(prefix, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map_or_else(|| path.to_string(), |(_, name)| (*name).to_string())
}

/// The compose keys whose values differ between `want` and `have`, sorted, each once.
pub fn changed_fields(want: &ServiceSpec, have: &ServiceSpec) -> Vec<String> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(&normalised(want), String::new(), &mut a);
    flatten(&normalised(have), String::new(), &mut b);
    let paths: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let names: BTreeSet<String> = paths
        .into_iter()
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| field_name(p))
        .collect();
    names.into_iter().collect()
}

/// `Map` of the normalised spec, for comparing two deployments with their names apart.
pub fn normalised_map(spec: &ServiceSpec) -> Map<String, Value> {
    match normalised(spec) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
