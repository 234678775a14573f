//! What only Swarm uses, kept as written so that a stack (`plan|apply|down --swarm`) can be
//! deployed as `docker stack deploy` would: a service's `deploy:` Swarm parts (mode, replicas
//! as given, endpoint mode, labels, placement, update and rollback config, restart policy,
//! resources as given) and the Swarm facts of top-level secrets and configs (`name`, `labels`,
//! `driver`, `template_driver`). The container path ignores all of it (and says so in the
//! project's warnings); nothing here is part of the config hash.

use std::collections::BTreeMap;
use std::time::Duration;

use super::fields::{Res, duration, entries, integer, join, nano_cpus, size, str_map, string};
use super::fields::{strings, unsigned};
use super::yaml::{Node, Value};

/// A service's Swarm-only `deploy:` parts, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmService {
    /// `replicated` (default), `global`, `replicated-job`, `global-job`.
    pub mode: Option<String>,
    /// `deploy.replicas` as written alongside a `global` mode (where Swarm refuses it); with
    /// the other modes the service's replicas are [`super::ServiceSpec::replicas`].
    pub replicas: Option<u64>,
    /// `vip` or `dnsrr`.
    pub endpoint_mode: Option<String>,
    /// `deploy.labels`: the service's labels (the container's are `labels`).
    pub labels: BTreeMap<String, String>,
    pub placement: Placement,
    pub update_config: Option<UpdateConfig>,
    pub rollback_config: Option<UpdateConfig>,
    pub restart_policy: Option<RestartPolicy>,
    /// `deploy.resources.limits`, when given.
    pub limits: Option<Resources>,
    /// `deploy.resources.reservations`, when given.
    pub reservations: Option<Resources>,
}

/// `deploy.placement`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placement {
    pub constraints: Vec<String>,
    /// `spread` descriptors, in order.
    pub preferences: Vec<String>,
    pub max_replicas_per_node: Option<u64>,
}

/// `deploy.update_config` or `deploy.rollback_config`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateConfig {
    pub parallelism: Option<u64>,
    pub delay: Option<Duration>,
    pub failure_action: Option<String>,
    pub monitor: Option<Duration>,
    pub max_failure_ratio: Option<f64>,
    pub order: Option<String>,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RestartPolicy {
    pub condition: Option<String>,
    pub delay: Option<Duration>,
    pub max_attempts: Option<u64>,
    pub window: Option<Duration>,
}

/// `deploy.resources.limits` or `.reservations`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    pub nano_cpus: Option<u64>,
    pub memory: Option<u64>,
    pub pids: Option<i64>,
    /// `generic_resources`' discrete specs: kind → value.
    pub generic: Vec<(String, i64)>,
}

/// A top-level secret's or config's Swarm facts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmObject {
    /// `name:`: the object's name in Swarm (default `STACK_KEY`).
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub template_driver: Option<String>,
}

/// The Swarm facts of the top-level objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmObjects {
    pub secrets: BTreeMap<String, SwarmObject>,
    pub configs: BTreeMap<String, SwarmObject>,
}

/// Whether a project warning is about a key that only Swarm uses (so a `--swarm` run, which
/// uses it, does not repeat it).
pub fn is_swarm_only_warning(line: &str) -> bool {
    line.contains(super::warn::SWARM)
        || line.starts_with("deploy.mode ")
        || line.contains("only Swarm keeps external secrets")
}

/// Reads the `deploy:` of a service node (already checked by the service parser).
pub(crate) fn service(name: &str, node: &Node) -> Res<SwarmService> {
    let mut out = SwarmService::default();
    let Some(deploy) = node.get("deploy") else {
        return Ok(out);
    };
    if matches!(deploy.value, Value::Null) {
        return Ok(out);
    }
    let path = format!("services.{name}.deploy");
    for (key, value) in &map(deploy) {
        let p = join(&path, &key.name);
        if matches!(value.value, Value::Null) {
            continue;
        }
        match key.name.as_str() {
            "mode" => out.mode = Some(string(value, &p)?),
            "replicas" => out.replicas = Some(unsigned(value, &p)?),
            "endpoint_mode" => out.endpoint_mode = Some(string(value, &p)?),
            "labels" => out.labels = str_map(value, &p)?,
            "placement" => out.placement = placement(value, &p)?,
            "update_config" => out.update_config = Some(update_config(value, &p)?),
            "rollback_config" => out.rollback_config = Some(update_config(value, &p)?),
            "restart_policy" => out.restart_policy = Some(restart_policy(value, &p)?),
            "resources" => {
                for (k, v) in entries(value, &p, &["limits", "reservations"])? {
                    let r = Some(resources(v, &join(&p, &k.name))?);
                    if k.name == "limits" {
                        out.limits = r;
                    } else {
                        out.reservations = r;
                    }
                }
            }
            _ => {}
        }
    }
    if !matches!(out.mode.as_deref(), Some("global" | "global-job")) {
        out.replicas = None;
    }
    Ok(out)
}

fn map(node: &Node) -> Vec<(&super::yaml::Key, &Node)> {
    match &node.value {
        Value::Map(items) => items
            .iter()
            .filter(|(k, _)| !k.name.starts_with("x-"))
            .map(|(k, v)| (k, v))
            .collect(),
        _ => Vec::new(),
    }
}

fn placement(node: &Node, path: &str) -> Res<Placement> {
    let mut out = Placement::default();
    let allowed = ["constraints", "preferences", "max_replicas_per_node"];
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "constraints" => out.constraints = strings(value, &p, false)?,
            "max_replicas_per_node" => out.max_replicas_per_node = Some(unsigned(value, &p)?),
            _ => {
                let Value::Seq(items) = &value.value else {
                    return Err(value.error(&p, "expected a list"));
                };
                for (i, item) in items.iter().enumerate() {
                    let q = format!("{p}[{i}]");
                    for (_, spread) in entries(item, &q, &["spread"])? {
                        out.preferences.push(string(spread, &join(&q, "spread"))?);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn update_config(node: &Node, path: &str) -> Res<UpdateConfig> {
    let mut out = UpdateConfig::default();
    let allowed = [
        "parallelism",
        "delay",
        "failure_action",
        "monitor",
        "max_failure_ratio",
        "order",
    ];
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "parallelism" => out.parallelism = Some(unsigned(value, &p)?),
            "delay" => out.delay = Some(duration(value, &p)?),
            "monitor" => out.monitor = Some(duration(value, &p)?),
            "failure_action" => {
                let action = string(value, &p)?;
                if !matches!(action.as_str(), "continue" | "pause" | "rollback") {
                    return Err(value.error(&p, "expected continue, pause or rollback"));
                }
                out.failure_action = Some(action);
            }
            "order" => {
                let order = string(value, &p)?;
                if !matches!(order.as_str(), "stop-first" | "start-first") {
                    return Err(value.error(&p, "expected stop-first or start-first"));
                }
                out.order = Some(order);
            }
            _ => {
                let text = string(value, &p)?;
                let ratio: f64 = text
                    .trim()
                    .parse()
                    .map_err(|_| value.error(&p, format!("expected a number, got '{text}'")))?;
                out.max_failure_ratio = Some(ratio);
            }
        }
    }
    Ok(out)
}

fn restart_policy(node: &Node, path: &str) -> Res<RestartPolicy> {
    let mut out = RestartPolicy::default();
    let allowed = ["condition", "delay", "max_attempts", "window"];
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "condition" => out.condition = Some(string(value, &p)?),
            "delay" => out.delay = Some(duration(value, &p)?),
            "window" => out.window = Some(duration(value, &p)?),
            _ => out.max_attempts = Some(unsigned(value, &p)?),
        }
    }
    Ok(out)
}

fn resources(node: &Node, path: &str) -> Res<Resources> {
    let mut out = Resources::default();
    if matches!(node.value, Value::Null) {
        return Ok(out);
    }
    let allowed = ["cpus", "memory", "pids", "generic_resources", "devices"];
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "cpus" => out.nano_cpus = Some(nano_cpus(value, &p)?),
            "memory" => out.memory = Some(size(value, &p)?),
            "pids" => out.pids = Some(integer(value, &p)?),
            "generic_resources" => out.generic = generic(value, &p)?,
            _ => {}
        }
    }
    Ok(out)
}

fn generic(node: &Node, path: &str) -> Res<Vec<(String, i64)>> {
    let Value::Seq(items) = &node.value else {
        return Err(node.error(path, "expected a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        for (_, spec) in entries(item, &p, &["discrete_resource_spec"])? {
            let q = join(&p, "discrete_resource_spec");
            let (mut kind, mut value) = (String::new(), 0);
            for (k, v) in entries(spec, &q, &["kind", "value"])? {
                if k.name == "kind" {
                    kind = string(v, &join(&q, "kind"))?;
                } else {
                    value = integer(v, &join(&q, "value"))?;
                }
            }
            out.push((kind, value));
        }
    }
    Ok(out)
}

/// The Swarm facts of top-level `secrets` or `configs` (`key`).
pub(crate) fn objects(root: &Node, key: &str) -> Res<BTreeMap<String, SwarmObject>> {
    let mut out = BTreeMap::new();
    let Some(node) = root.get(key) else {
        return Ok(out);
    };
    for (name, value) in map(node) {
        let p = join(key, &name.name);
        let mut object = SwarmObject::default();
        for (k, v) in map(value) {
            let q = join(&p, &k.name);
            match k.name.as_str() {
                "name" => object.name = Some(string(v, &q)?),
                "labels" => object.labels = str_map(v, &q)?,
                "driver" => object.driver = Some(string(v, &q)?),
                "driver_opts" => object.driver_opts = str_map(v, &q)?,
                "template_driver" => object.template_driver = Some(string(v, &q)?),
                _ => {}
            }
        }
        out.insert(name.name.clone(), object);
    }
    Ok(out)
}

fn update_view(c: &UpdateConfig) -> serde_json::Value {
    use super::config_view::duration_text;
    serde_json::json!({
        "parallelism": c.parallelism,
        "delay": c.delay.map(duration_text),
        "failure_action": c.failure_action,
        "monitor": c.monitor.map(duration_text),
        "max_failure_ratio": c.max_failure_ratio,
        "order": c.order,
    })
}

/// The Swarm-only `deploy:` keys for `config`'s output, added to its `deploy` mapping (which
/// has `replicas` and the merged `resources` already): reading the output again gives the same
/// [`SwarmService`].
pub(crate) fn deploy_view(s: &SwarmService, deploy: &mut serde_json::Value) {
    use super::config_view::duration_text;
    use serde_json::json;
    let Some(out) = deploy.as_object_mut() else {
        return;
    };
    if matches!(s.mode.as_deref(), Some("global" | "global-job")) && s.replicas.is_none() {
        out.remove("replicas");
    }
    out.insert("mode".into(), json!(s.mode));
    out.insert("endpoint_mode".into(), json!(s.endpoint_mode));
    out.insert("labels".into(), json!(s.labels));
    let p = &s.placement;
    let spread: Vec<serde_json::Value> =
        p.preferences.iter().map(|d| json!({"spread": d})).collect();
    out.insert(
        "placement".into(),
        json!({"constraints": p.constraints, "preferences": spread, "max_replicas_per_node": p.max_replicas_per_node}),
    );
    out.insert(
        "update_config".into(),
        s.update_config.as_ref().map_or(json!(null), update_view),
    );
    out.insert(
        "rollback_config".into(),
        s.rollback_config.as_ref().map_or(json!(null), update_view),
    );
    out.insert(
        "restart_policy".into(),
        s.restart_policy.as_ref().map_or(json!(null), |r| {
            json!({
                "condition": r.condition, "delay": r.delay.map(duration_text),
                "max_attempts": r.max_attempts, "window": r.window.map(duration_text),
            })
        }),
    );
    if let Some(r) = &s.reservations
        && let Some(reservations) = out
            .get_mut("resources")
            .and_then(|v| v.get_mut("reservations"))
            .and_then(|v| v.as_object_mut())
    {
        let generic: Vec<serde_json::Value> = r
            .generic
            .iter()
            .map(|(kind, value)| json!({"discrete_resource_spec": {"kind": kind, "value": value}}))
            .collect();
        let cpus = r.nano_cpus.map(|n| {
            let text = format!("{:.9}", n as f64 / 1e9);
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        });
        reservations.insert("cpus".into(), json!(cpus));
        reservations.insert("generic_resources".into(), json!(generic));
    }
}
