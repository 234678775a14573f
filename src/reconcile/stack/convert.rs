//! A compose project into the Swarm objects `docker stack deploy` makes of it, field for field
//! as docker/cli's `cli/compose/convert` does (service.go, compose.go, volume.go): the same
//! names, labels, defaults and orders, so that a stack fleetdeck deploys and one docker deploys
//! from the same file have the same specs, and each reads the other as unchanged.
//!
//! Two differences, both with the same effect in the container: a secret's target is given
//! as the path compose's loader made of it (`/run/secrets/NAME`), and a port's publish mode is
//! `ingress` (the loader keeps no `mode:`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use base64::Engine as _;
use bollard::models::{
    ConfigSpec, Driver, EndpointSpec, EndpointSpecModeEnum, Ipam, IpamConfig,
    NetworkAttachmentConfig, NetworkCreateRequest, SecretSpec, ServiceSpec, TaskSpec,
    TaskSpecContainerSpec, TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecPrivileges,
    TaskSpecLogDriver, TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread,
};

use super::convert_parts as parts;
use super::{IMAGE_LABEL, NAMESPACE_LABEL, SpecError, StackError, scoped};
use crate::reconcile::compose::secrets::FileSource;
use crate::reconcile::compose::swarm::SwarmObject;
use crate::reconcile::compose::{Project, ServiceSpec as Compose};

/// The network every service without `networks:` joins.
pub const DEFAULT_NETWORK: &str = "default";
/// The driver of a stack's networks when the file names none.
pub const DEFAULT_DRIVER: &str = "overlay";

/// What a stack should be, as the manager's specs.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    pub stack: String,
    /// In the file's order; each spec's name is `STACK_SERVICE`.
    pub services: Vec<ServiceSpec>,
    /// The networks the stack makes (the ones its services use), by name.
    pub networks: Vec<NetworkCreateRequest>,
    /// Networks the file names as external: they must exist.
    pub external_networks: Vec<String>,
    pub secrets: Vec<SecretSpec>,
    pub configs: Vec<ConfigSpec>,
    /// Secrets and configs the file names as external, by their Swarm names.
    pub external_secrets: Vec<String>,
    pub external_configs: Vec<String>,
    /// Keys Swarm does not use, one line each with the services that set them.
    pub ignored: Vec<String>,
}

/// Reads a `file:` secret or config (the caller's I/O: the conversion itself is pure).
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// The stack `project` describes, named `project.name`.
pub fn stack(project: &Project, read: ReadFile<'_>) -> Result<Desired, StackError> {
    let stack = project.name.clone();
    let mut out = Desired {
        stack: stack.clone(),
        ..Desired::default()
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    for svc in &project.services {
        if svc.networks.is_empty() {
            used.insert(DEFAULT_NETWORK.into());
        }
        used.extend(svc.networks.keys().cloned());
        out.services.push(service(project, svc)?);
    }
    for key in used {
        match project.networks.get(&key) {
            Some(n) if n.external => out.external_networks.push(n.name.clone()),
            spec => out.networks.push(network(&stack, &key, spec)),
        }
    }
    let objects = &project.swarm;
    for (key, source) in &project.secrets {
        let meta = objects.secrets.get(key).cloned().unwrap_or_default();
        match file_object(&stack, "secret", key, source, &meta, read)? {
            Object::External(name) => out.external_secrets.push(name),
            Object::Made { name, labels, data } => out.secrets.push(SecretSpec {
                name: Some(name),
                labels: Some(labels),
                data: Some(data),
                driver: meta.driver.clone().map(|d| Driver {
                    name: d,
                    options: Some(meta.driver_opts.clone().into_iter().collect()),
                }),
                templating: meta.template_driver.clone().map(template),
            }),
        }
    }
    for (key, source) in &project.configs {
        let meta = objects.configs.get(key).cloned().unwrap_or_default();
        match file_object(&stack, "config", key, source, &meta, read)? {
            Object::External(name) => out.external_configs.push(name),
            Object::Made { name, labels, data } => out.configs.push(ConfigSpec {
                name: Some(name),
                labels: Some(labels),
                data: Some(data),
                templating: meta.template_driver.clone().map(template),
            }),
        }
    }
    out.ignored = parts::ignored(&project.services);
    Ok(out)
}

fn template(name: String) -> Driver {
    Driver {
        name,
        options: None,
    }
}

/// `labels` with the stack's label added.
pub fn with_stack_label(stack: &str, labels: &BTreeMap<String, String>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = labels.clone().into_iter().collect();
    out.insert(NAMESPACE_LABEL.into(), stack.into());
    out
}

fn network(
    stack: &str,
    key: &str,
    spec: Option<&crate::reconcile::compose::NetworkSpec>,
) -> NetworkCreateRequest {
    let default = crate::reconcile::compose::NetworkSpec::default();
    let n = spec.unwrap_or(&default);
    // The loader names a network `PROJECT_KEY` unless `name:` says otherwise: docker's scope.
    let name = if n.name.is_empty() {
        scoped(stack, key)
    } else {
        n.name.clone()
    };
    let ipam = n
        .ipam
        .as_ref()
        .filter(|i| i.driver.is_some() || !i.config.is_empty());
    NetworkCreateRequest {
        name,
        driver: Some(n.driver.clone().unwrap_or_else(|| DEFAULT_DRIVER.into())),
        labels: Some(with_stack_label(stack, &n.labels)),
        options: Some(n.driver_opts.clone().into_iter().collect()),
        internal: Some(n.internal),
        attachable: Some(n.attachable),
        ipam: ipam.map(|i| Ipam {
            driver: i.driver.clone(),
            config: Some(
                i.config
                    .iter()
                    .map(|c| IpamConfig {
                        subnet: c.subnet.clone(),
                        ..IpamConfig::default()
                    })
                    .collect(),
            ),
            options: None,
        }),
        ..NetworkCreateRequest::default()
    }
}

enum Object {
    External(String),
    Made {
        name: String,
        labels: HashMap<String, String>,
        /// Base64, as the API takes it.
        data: String,
    },
}

fn file_object(
    stack: &str,
    kind: &'static str,
    key: &str,
    source: &FileSource,
    meta: &SwarmObject,
    read: ReadFile<'_>,
) -> Result<Object, StackError> {
    let name = meta.name.clone().unwrap_or_else(|| scoped(stack, key));
    let bytes = match source {
        FileSource::External(name) => return Ok(Object::External(name.clone())),
        FileSource::File(path) => read(path).map_err(|source| StackError::Read {
            kind,
            key: key.into(),
            path: path.display().to_string(),
            source,
        })?,
        FileSource::Value(v) | FileSource::Environment { value: Some(v), .. } => {
            v.expose().as_bytes().to_vec()
        }
        FileSource::Environment { var, value: None } => {
            return Err(StackError::Object {
                kind,
                key: key.into(),
                reason: format!("its environment variable '{var}' is not set"),
            });
        }
    };
    Ok(Object::Made {
        name,
        labels: with_stack_label(stack, &meta.labels),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// The Swarm name of a top-level secret or config: its `name:` (an external one's too), else
/// `STACK_KEY`.
fn object_name(project: &Project, secret: bool, key: &str) -> String {
    let (sources, metas) = if secret {
        (&project.secrets, &project.swarm.secrets)
    } else {
        (&project.configs, &project.swarm.configs)
    };
    if let Some(FileSource::External(name)) = sources.get(key) {
        return name.clone();
    }
    metas
        .get(key)
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| scoped(&project.name, key))
}

/// One service's spec, as docker/cli's `convert.Service` makes it.
pub fn service(project: &Project, svc: &Compose) -> Result<ServiceSpec, StackError> {
    let stack = &project.name;
    let fail = |source: SpecError| StackError::Service {
        service: svc.name.clone(),
        source,
    };
    let deploy = &svc.swarm;
    let mode = parts::mode(deploy.mode.as_deref(), deploy.replicas, svc.replicas).map_err(fail)?;
    let mut labels = with_stack_label(stack, &deploy.labels);
    labels.insert(IMAGE_LABEL.into(), svc.image.clone());
    let container = container(project, svc);
    let placement = placement(deploy);
    Ok(ServiceSpec {
        name: Some(scoped(stack, &svc.name)),
        labels: Some(labels),
        task_template: Some(TaskSpec {
            container_spec: Some(container),
            resources: Some(parts::resources(deploy)),
            restart_policy: parts::restart_policy(svc.restart.as_deref(), deploy).map_err(fail)?,
            placement: Some(placement),
            networks: Some(networks(project, svc)),
            log_driver: svc.logging.as_ref().map(|l| TaskSpecLogDriver {
                name: l.driver.clone(),
                options: Some(l.options.clone().into_iter().collect()),
            }),
            ..TaskSpec::default()
        }),
        mode: Some(mode),
        update_config: deploy.update_config.as_ref().map(parts::update_config),
        rollback_config: deploy.rollback_config.as_ref().map(parts::rollback_config),
        networks: None,
        endpoint_spec: Some(EndpointSpec {
            mode: deploy.endpoint_mode.as_deref().map(|m| {
                m.to_lowercase()
                    .parse()
                    .unwrap_or(EndpointSpecModeEnum::EMPTY)
            }),
            ports: Some(parts::ports(&svc.ports).map_err(fail)?),
        }),
    })
}

/// The container spec of a service.
fn container(project: &Project, svc: &Compose) -> TaskSpecContainerSpec {
    let stack = &project.name;
    let (cap_add, cap_drop) = parts::capabilities(&svc.cap_add, &svc.cap_drop);
    TaskSpecContainerSpec {
        image: Some(svc.image.clone()),
        labels: Some(with_stack_label(stack, &svc.labels)),
        command: svc.entrypoint.clone(),
        args: svc.command.clone(),
        hostname: svc.hostname.clone(),
        env: Some(parts::environment(&svc.environment)),
        dir: svc.working_dir.clone(),
        user: svc.user.clone(),
        privileges: Some(TaskSpecContainerSpecPrivileges::default()),
        tty: Some(svc.tty),
        open_stdin: Some(svc.stdin_open),
        read_only: Some(svc.read_only),
        mounts: Some(parts::mounts(project, svc)),
        stop_signal: svc.stop_signal.clone(),
        stop_grace_period: svc.stop_grace_period.map(parts::nanos),
        health_check: svc.healthcheck.as_ref().map(parts::healthcheck),
        hosts: Some(parts::hosts(&svc.extra_hosts)),
        dns_config: dns(&svc.dns, &svc.dns_search),
        secrets: Some(parts::secrets(svc, |k| object_name(project, true, k))),
        configs: Some(parts::configs(svc, |k| object_name(project, false, k))),
        oom_score_adj: svc.oom_score_adj,
        isolation: svc.isolation.as_deref().and_then(|i| i.parse().ok()),
        init: svc.init,
        sysctls: Some(svc.sysctls.clone().into_iter().collect()),
        capability_add: Some(cap_add),
        capability_drop: Some(cap_drop),
        ulimits: Some(parts::ulimits(&svc.ulimits)),
        ..TaskSpecContainerSpec::default()
    }
}

/// `deploy.placement`.
fn placement(deploy: &crate::reconcile::compose::swarm::SwarmService) -> TaskSpecPlacement {
    TaskSpecPlacement {
        constraints: Some(deploy.placement.constraints.clone()),
        preferences: (!deploy.placement.preferences.is_empty()).then(|| {
            deploy
                .placement
                .preferences
                .iter()
                .map(|p| TaskSpecPlacementPreferences {
                    spread: Some(TaskSpecPlacementSpread {
                        spread_descriptor: Some(p.clone()),
                    }),
                })
                .collect()
        }),
        max_replicas: deploy
            .placement
            .max_replicas_per_node
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        platforms: None,
    }
}

fn dns(dns: &[String], search: &[String]) -> Option<TaskSpecContainerSpecDnsConfig> {
    if dns.is_empty() && search.is_empty() {
        return None;
    }
    let servers: Vec<String> = dns
        .iter()
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .cloned()
        .collect();
    Some(TaskSpecContainerSpecDnsConfig {
        nameservers: (!servers.is_empty()).then_some(servers),
        search: (!search.is_empty()).then(|| search.to_vec()),
        options: None,
    })
}

/// The service's networks sorted by target, each with the service's name as an alias (a
/// stack's networks are all user-defined), as docker's `convertServiceNetworks`.
fn networks(project: &Project, svc: &Compose) -> Vec<NetworkAttachmentConfig> {
    let default = BTreeMap::from([(DEFAULT_NETWORK.to_string(), Default::default())]);
    let attached = if svc.networks.is_empty() {
        &default
    } else {
        &svc.networks
    };
    let mut out: Vec<NetworkAttachmentConfig> = attached
        .iter()
        .map(|(key, at)| {
            let target = project
                .networks
                .get(key)
                .map(|n| n.name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| scoped(&project.name, key));
            let mut aliases = at.aliases.clone();
            if !matches!(target.as_str(), "default" | "bridge" | "host" | "none") {
                aliases.push(svc.name.clone());
            }
            NetworkAttachmentConfig {
                target: Some(target),
                aliases: Some(aliases),
                driver_opts: (!at.driver_opts.is_empty())
                    .then(|| at.driver_opts.clone().into_iter().collect()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.target.cmp(&b.target));
    out
}
