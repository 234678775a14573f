//! Readers for the service keys that have structure of their own: `healthcheck`, `networks`,
//! `depends_on`, `ulimits`, `extra_hosts`, `logging`, `pull_policy`.

use std::collections::{BTreeMap, BTreeSet};

use super::fields::{
    Res, boolean, duration, entries, integer, join, opt_string, str_map, string, strings, unsigned,
};
use super::model::{
    Condition, Dependency, Healthcheck, Logging, NetworkAttachment, PullPolicy, Ulimit,
};
use super::service::DepRef;
use super::yaml::{Node, Value};
use std::sync::Arc;

pub(crate) fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

pub(crate) fn healthcheck(node: &Node, path: &str) -> Res<Healthcheck> {
    let allowed = [
        "test",
        "interval",
        "timeout",
        "retries",
        "start_period",
        "start_interval",
        "disable",
    ];
    let mut test = None;
    let (mut interval, mut timeout, mut retries) = (None, None, None);
    let (mut start_period, mut start_interval) = (None, None);
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "test" => {
                test = match &value.value {
                    Value::Scalar(s) => Some(vec!["CMD-SHELL".to_string(), s.clone()]),
                    _ => Some(strings(value, &p, false)?),
                };
            }
            "interval" => interval = Some(duration(value, &p)?),
            "timeout" => timeout = Some(duration(value, &p)?),
            "retries" => retries = Some(unsigned(value, &p)?),
            "start_period" => start_period = Some(duration(value, &p)?),
            "start_interval" => start_interval = Some(duration(value, &p)?),
            _ => {
                if boolean(value, &p)? {
                    return Ok(Healthcheck::Disabled);
                }
            }
        }
    }
    if test
        .as_ref()
        .and_then(|t| t.first())
        .is_some_and(|w| w == "NONE")
    {
        return Ok(Healthcheck::Disabled);
    }
    Ok(Healthcheck::Check {
        test,
        interval,
        timeout,
        retries,
        start_period,
        start_interval,
    })
}

pub(crate) fn networks(
    node: &Node,
    path: &str,
    declared: &BTreeSet<String>,
) -> Res<BTreeMap<String, NetworkAttachment>> {
    let mut out = BTreeMap::new();
    let mut add = |name: String, at: &Node, attachment: NetworkAttachment| {
        if name != "default" && !declared.contains(&name) {
            return Err(at.error(
                &join(path, &name),
                format!("network '{name}' is not declared under top-level networks"),
            ));
        }
        out.insert(name, attachment);
        Ok(())
    };
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let name = string(item, &format!("{path}[{i}]"))?;
                add(name, item, NetworkAttachment::default())?;
            }
        }
        Value::Map(items) => {
            for (key, value) in items {
                let p = join(path, &key.name);
                let mut attachment = NetworkAttachment::default();
                if !matches!(value.value, Value::Null) {
                    let allowed = [
                        "aliases",
                        "ipv4_address",
                        "ipv6_address",
                        "link_local_ips",
                        "mac_address",
                        "driver_opts",
                        "priority",
                        "gw_priority",
                        "interface_name",
                    ];
                    for (k, v) in entries(value, &p, &allowed)? {
                        let q = join(&p, &k.name);
                        let a = &mut attachment;
                        match k.name.as_str() {
                            "aliases" => a.aliases = strings(v, &q, false)?,
                            "ipv4_address" => a.ipv4_address = opt_string(v, &q)?,
                            "ipv6_address" => a.ipv6_address = opt_string(v, &q)?,
                            "link_local_ips" => a.link_local_ips = strings(v, &q, false)?,
                            "mac_address" => a.mac_address = opt_string(v, &q)?,
                            "driver_opts" => a.driver_opts = str_map(v, &q)?,
                            "priority" => a.priority = integer(v, &q)?,
                            "gw_priority" => a.gw_priority = integer(v, &q)?,
                            _ => a.interface_name = opt_string(v, &q)?,
                        }
                    }
                }
                add(key.name.clone(), value, attachment)?;
            }
        }
        _ => return Err(node.error(path, "expected a list or a mapping")),
    }
    Ok(out)
}

pub(crate) fn depends_on(
    node: &Node,
    path: &str,
) -> Res<(BTreeMap<String, Dependency>, Vec<DepRef>)> {
    let mut out = BTreeMap::new();
    let mut refs = Vec::new();
    let started = Dependency {
        condition: Condition::ServiceStarted,
        restart: false,
    };
    let mut add = |name: String, at: &Node, dep: Dependency, required: bool| {
        refs.push(DepRef {
            name: name.clone(),
            required,
            file: Arc::clone(&at.file),
            line: at.line,
        });
        out.insert(name, dep);
    };
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                add(string(item, &format!("{path}[{i}]"))?, item, started, true);
            }
        }
        Value::Map(items) => {
            for (key, value) in items {
                let p = join(path, &key.name);
                let mut dep = started;
                let mut required = true;
                for (k, v) in entries(value, &p, &["condition", "restart", "required"])? {
                    let q = join(&p, &k.name);
                    match k.name.as_str() {
                        "condition" => {
                            dep.condition = match string(v, &q)?.as_str() {
                                "service_started" => Condition::ServiceStarted,
                                "service_healthy" => Condition::ServiceHealthy,
                                "service_completed_successfully" => {
                                    Condition::ServiceCompletedSuccessfully
                                }
                                other => {
                                    return Err(v.error(&q, format!(
                                        "bad condition '{other}': service_started, service_healthy or service_completed_successfully"
                                    )));
                                }
                            }
                        }
                        "restart" => dep.restart = boolean(v, &q)?,
                        _ => required = boolean(v, &q)?,
                    }
                }
                add(key.name.clone(), value, dep, required);
            }
        }
        _ => return Err(node.error(path, "expected a list or a mapping")),
    }
    Ok((out, refs))
}

pub(crate) fn ulimits(node: &Node, path: &str) -> Res<BTreeMap<String, Ulimit>> {
    let Value::Map(items) = &node.value else {
        return Err(node.error(path, "expected a mapping"));
    };
    let mut out = BTreeMap::new();
    for (key, value) in items {
        let p = join(path, &key.name);
        let limit = match &value.value {
            Value::Map(_) => {
                let (mut soft, mut hard) = (None, None);
                for (k, v) in entries(value, &p, &["soft", "hard"])? {
                    let n = integer(v, &join(&p, &k.name))?;
                    if k.name == "soft" {
                        soft = Some(n)
                    } else {
                        hard = Some(n)
                    }
                }
                match (soft, hard) {
                    (Some(soft), Some(hard)) => Ulimit { soft, hard },
                    _ => return Err(value.error(&p, "a ulimit needs both soft and hard")),
                }
            }
            _ => {
                let n = integer(value, &p)?;
                Ulimit { soft: n, hard: n }
            }
        };
        out.insert(key.name.clone(), limit);
    }
    Ok(out)
}

pub(crate) fn extra_hosts(node: &Node, path: &str) -> Res<Vec<String>> {
    let mut out = Vec::new();
    match &node.value {
        Value::Map(items) => {
            for (key, value) in items {
                for ip in strings(value, &join(path, &key.name), true)? {
                    out.push(format!("{}:{ip}", key.name));
                }
            }
        }
        _ => {
            for (i, entry) in strings(node, path, false)?.into_iter().enumerate() {
                let (host, ip) = entry
                    .split_once('=')
                    .or_else(|| entry.split_once(':'))
                    .ok_or_else(|| {
                        node.error(
                            &format!("{path}[{i}]"),
                            format!("bad extra host '{entry}': expected HOST:IP or HOST=IP"),
                        )
                    })?;
                out.push(format!("{host}:{ip}"));
            }
        }
    }
    Ok(sorted(out))
}

pub(crate) fn logging(node: &Node, path: &str) -> Res<Logging> {
    let mut out = Logging::default();
    for (key, value) in entries(node, path, &["driver", "options"])? {
        let p = join(path, &key.name);
        if key.name == "driver" {
            out.driver = opt_string(value, &p)?;
        } else {
            out.options = str_map(value, &p)?;
        }
    }
    Ok(out)
}

pub(crate) fn pull_policy(node: &Node, path: &str) -> Res<PullPolicy> {
    let text = string(node, path)?;
    let every = |d: &str| {
        super::fields::parse_duration(d)
            .map(|d| PullPolicy::Refresh(d.as_secs()))
            .map_err(|m| node.error(path, m))
    };
    match text.as_str() {
        "missing" | "if_not_present" => Ok(PullPolicy::Missing),
        "always" => Ok(PullPolicy::Always),
        "never" => Ok(PullPolicy::Never),
        "build" => Ok(PullPolicy::Build),
        "daily" => Ok(PullPolicy::Refresh(86_400)),
        "weekly" => Ok(PullPolicy::Refresh(7 * 86_400)),
        // `refresh` takes the service's `pull_refresh_after`; without it, daily.
        "refresh" => Ok(PullPolicy::Refresh(86_400)),
        other => match other.strip_prefix("every_") {
            Some(d) => every(d),
            None => Err(node.error(
                path,
                format!(
                    "unsupported pull_policy '{other}': missing, always, never, build, daily, weekly or every_<duration>"
                ),
            )),
        },
    }
}
