//! One service's mapping into a [`ServiceSpec`]: exactly the supported keys, each in the forms
//! compose accepts, anything else refused with its file, line and key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::ComposeError;
use super::fields::{
    Res, boolean, command, duration, entries, integer, join, kv_map, nano_cpus, opt_string, size,
    str_map, string, strings, unsigned,
};
use super::interp::parse_env_file;
use super::keys::{
    depends_on, extra_hosts, healthcheck, logging, networks, pull_policy, sorted, ulimits,
};
use super::model::{Limits, NetworkAttachment, PullPolicy, ServiceSpec};
use super::mounts::{MountCtx, ports, volume};
use super::secrets::{FileKind, refs};
use super::service_more;
use super::warn::Warn;
use super::yaml::{Key, Node, Value};

/// The service keys: every one of the Compose Specification.
pub const SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// What a service is read against.
pub(crate) struct ServiceCtx<'a> {
    pub project: &'a str,
    pub mounts: MountCtx<'a>,
    pub networks: &'a BTreeSet<String>,
    pub secrets: &'a BTreeSet<String>,
    pub configs: &'a BTreeSet<String>,
    pub warn: &'a Warn,
}

/// Where one `depends_on` entry was written, and whether it is `required` (default true).
pub(crate) struct DepRef {
    pub name: String,
    pub required: bool,
    pub file: Arc<Path>,
    pub line: usize,
}

/// Reads service `name`.
pub(crate) fn service(
    name: &str,
    node: &Node,
    ctx: &ServiceCtx<'_>,
) -> Res<(ServiceSpec, Vec<DepRef>)> {
    let path = format!("services.{name}");
    let mut read = Reading::new(name);
    for (key, value) in entries(node, &path, SERVICE_KEYS)? {
        let p = join(&path, &key.name);
        if !read.key(key, value, &p, ctx)? {
            return Err(ComposeError::at(
                &key.file,
                key.line,
                &p,
                format!("unsupported key '{}'", key.name),
            ));
        }
    }
    read.finish(name, node, &path, ctx)
}

/// A service while its keys are read: what is settled only once all are (the image, the
/// replicas, limits given twice, the environment) waits here.
struct Reading<'n> {
    spec: ServiceSpec,
    deps: Vec<DepRef>,
    env_files: Vec<EnvFile<'n>>,
    environment: BTreeMap<String, Option<String>>,
    scale: Option<(u32, &'n Node)>,
    deployed: service_more::Deploy,
    label_file: Vec<(String, String)>,
    legacy: Limits,
    has_image: bool,
}

impl<'n> Reading<'n> {
    fn new(name: &str) -> Self {
        let mut spec = ServiceSpec::new(name, "");
        spec.networks.clear();
        Self {
            spec,
            deps: Vec::new(),
            env_files: Vec::new(),
            environment: BTreeMap::new(),
            scale: None,
            deployed: service_more::Deploy::default(),
            label_file: Vec::new(),
            legacy: Limits::default(),
            has_image: false,
        }
    }

    /// Reads one key; `false`: a key no part of fleetdeck takes.
    fn key(&mut self, key: &Key, value: &'n Node, p: &str, ctx: &ServiceCtx<'_>) -> Res<bool> {
        let spec = &mut self.spec;
        match key.name.as_str() {
            "image" => {
                spec.image = string(value, p)?;
                self.has_image = !spec.image.is_empty();
            }
            "build" => spec.build = Some(build(&spec.name, value, p, ctx)?),
            "secrets" => spec.secrets = refs(value, p, FileKind::Secret, ctx.secrets)?,
            "configs" => spec.configs = refs(value, p, FileKind::Config, ctx.configs)?,
            "environment" => self.environment = kv_map(value, p)?,
            "env_file" => self.env_files = env_file_list(value, p)?,
            "ports" => {
                for (i, item) in seq(value, p)?.iter().enumerate() {
                    for port in ports(item, &format!("{p}[{i}]"))? {
                        if !spec.ports.contains(&port) {
                            spec.ports.push(port);
                        }
                    }
                }
            }
            "volumes" => {
                for (i, item) in seq(value, p)?.iter().enumerate() {
                    spec.volumes
                        .push(volume(item, &format!("{p}[{i}]"), &ctx.mounts)?);
                }
            }
            "deploy" => self.deployed = service_more::deploy(value, p, spec, ctx)?,
            "scale" => self.scale = Some((count(value, p)?, value)),
            "mem_limit" => self.legacy.memory = Some(size(value, p)?),
            "cpus" => self.legacy.nano_cpus = Some(nano_cpus(value, p)?),
            "pids_limit" => self.legacy.pids = Some(integer(value, p)?),
            "label_file" => self.label_file = service_more::label_files(value, p, ctx)?,
            "depends_on" => (spec.depends_on, self.deps) = depends_on(value, p)?,
            "networks" => spec.networks = networks(value, p, ctx.networks)?,
            // Read before: `extends` by the merge, `provider` by the project.
            "extends" | "provider" => {}
            other => {
                return match plain_key(spec, other, value, p)? {
                    true => Ok(true),
                    false => service_more::runtime_key(spec, other, value, p, ctx),
                };
            }
        }
        Ok(true)
    }

    /// What is settled once every key is read: the image's name, the replicas, the limits,
    /// the default network, the environment.
    fn finish(
        mut self,
        name: &str,
        node: &Node,
        path: &str,
        ctx: &ServiceCtx<'_>,
    ) -> Res<(ServiceSpec, Vec<DepRef>)> {
        if !self.has_image {
            if self.spec.build.is_none() {
                let at = node.get("image").unwrap_or(node);
                return Err(at.error(&join(path, "image"), "a service needs 'image' or 'build'"));
            }
            // compose v2's name for a built image.
            self.spec.image = format!("{}-{name}", ctx.project);
        }
        if let (PullPolicy::Refresh(_), Some(after)) =
            (self.spec.pull_policy, node.get("pull_refresh_after"))
        {
            let after = duration(after, &join(path, "pull_refresh_after"))?;
            self.spec.pull_policy = PullPolicy::Refresh(after.as_secs());
        }
        if let Some(restart) = self.deployed.restart.take() {
            self.spec.restart = Some(restart);
        }
        let labels = std::mem::take(&mut self.spec.labels);
        self.spec.labels = std::mem::take(&mut self.label_file).into_iter().collect();
        self.spec.labels.extend(labels);
        self.replicas_and_limits(node, path)?;
        check_networks(&mut self.spec, node, path)?;
        let mut spec = self.spec;
        // env_file first, then environment over it.
        for file in self.env_files {
            spec.environment
                .extend(read_env_file(&file, &join(path, "env_file"), ctx)?);
        }
        for (k, v) in self.environment {
            match v.or_else(|| ctx.mounts.env.get(&k).cloned()) {
                Some(v) => {
                    spec.environment.insert(k, v);
                }
                None => {
                    spec.environment.remove(&k);
                }
            }
        }
        Ok((spec, self.deps))
    }

    /// `scale` and `deploy.replicas` must agree when both are given, as must the legacy
    /// limits (`mem_limit`, `cpus`, `pids_limit`) and `deploy.resources.limits`.
    fn replicas_and_limits(&mut self, node: &Node, path: &str) -> Res<()> {
        let spec = &mut self.spec;
        spec.replicas = match (self.scale, self.deployed.replicas) {
            (Some((s, n)), Some(r)) if s != r => {
                return Err(n.error(
                    &join(path, "scale"),
                    format!("scale ({s}) and deploy.replicas ({r}) differ"),
                ));
            }
            (Some((s, _)), _) => s,
            (None, Some(r)) => r,
            (None, None) => 1,
        };
        let legacy = &self.legacy;
        spec.limits.memory = agree(spec.limits.memory, legacy.memory, node, path, "mem_limit")?;
        spec.limits.nano_cpus = agree(spec.limits.nano_cpus, legacy.nano_cpus, node, path, "cpus")?;
        spec.limits.pids = agree(spec.limits.pids, legacy.pids, node, path, "pids_limit")?;
        Ok(())
    }
}

/// `build:`, with the keys only BuildKit takes said once.
fn build(name: &str, value: &Node, p: &str, ctx: &ServiceCtx<'_>) -> Res<super::build::BuildSpec> {
    let (dir, env) = (ctx.mounts.working_dir, ctx.mounts.env);
    let build = super::build::build(value, p, dir, env)?;
    let owner = format!("service {name}");
    for key in &build.ignored {
        ctx.warn.ignored(
            &format!("build.{key}"),
            &owner,
            "only BuildKit uses it; fleetdeck builds with the daemon's classic builder",
        );
    }
    Ok(build)
}

/// The keys read straight into their field; `false`: not one of them.
fn plain_key(spec: &mut ServiceSpec, key: &str, value: &Node, p: &str) -> Res<bool> {
    match key {
        "command" => spec.command = command(value, p)?,
        "entrypoint" => spec.entrypoint = command(value, p)?,
        "labels" => spec.labels = str_map(value, p)?,
        "restart" => spec.restart = Some(restart(value, p)?),
        "healthcheck" => spec.healthcheck = Some(healthcheck(value, p)?),
        "user" => spec.user = opt_string(value, p)?,
        "working_dir" => spec.working_dir = opt_string(value, p)?,
        "hostname" => spec.hostname = opt_string(value, p)?,
        "network_mode" => spec.network_mode = opt_string(value, p)?,
        "container_name" => spec.container_name = opt_string(value, p)?,
        "init" => spec.init = Some(boolean(value, p)?),
        "read_only" => spec.read_only = boolean(value, p)?,
        "cap_add" => spec.cap_add = sorted(strings(value, p, false)?),
        "cap_drop" => spec.cap_drop = sorted(strings(value, p, false)?),
        "security_opt" => spec.security_opt = strings(value, p, false)?,
        "tmpfs" => spec.tmpfs = strings(value, p, true)?,
        "ulimits" => spec.ulimits = ulimits(value, p)?,
        "shm_size" => spec.shm_size = Some(size(value, p)?),
        "stop_signal" => spec.stop_signal = opt_string(value, p)?,
        "stop_grace_period" => spec.stop_grace_period = Some(duration(value, p)?),
        "extra_hosts" => spec.extra_hosts = extra_hosts(value, p)?,
        "dns" => spec.dns = strings(value, p, true)?,
        "logging" => spec.logging = Some(logging(value, p)?),
        "profiles" => spec.profiles = strings(value, p, false)?,
        "pull_policy" => spec.pull_policy = pull_policy(value, p)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `network_mode` and `networks` exclude each other; with neither, the default network. A
/// fixed `container_name` allows one replica only.
fn check_networks(spec: &mut ServiceSpec, node: &Node, path: &str) -> Res<()> {
    if spec.network_mode.is_some() && !spec.networks.is_empty() {
        let at = node.get("network_mode").unwrap_or(node);
        return Err(at.error(
            &join(path, "network_mode"),
            "network_mode and networks cannot both be set",
        ));
    }
    if spec.network_mode.is_none() && spec.networks.is_empty() {
        spec.networks
            .insert("default".into(), NetworkAttachment::default());
    }
    if spec.container_name.is_some() && spec.replicas > 1 {
        let at = node.get("container_name").unwrap_or(node);
        return Err(at.error(
            &join(path, "container_name"),
            "container_name cannot be set on a service with more than one replica",
        ));
    }
    Ok(())
}

fn seq<'a>(node: &'a Node, path: &str) -> Res<&'a [Node]> {
    match &node.value {
        Value::Seq(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(node.error(path, "expected a list")),
    }
}

fn count(node: &Node, path: &str) -> Res<u32> {
    u32::try_from(unsigned(node, path)?).map_err(|_| node.error(path, "too large"))
}

fn agree<T: PartialEq + Copy + std::fmt::Debug>(
    deploy: Option<T>,
    legacy: Option<T>,
    node: &Node,
    path: &str,
    key: &str,
) -> Res<Option<T>> {
    match (deploy, legacy) {
        (Some(a), Some(b)) if a != b => {
            let at = node.get(key).unwrap_or(node);
            Err(at.error(
                &join(path, key),
                format!("{key} differs from deploy.resources.limits"),
            ))
        }
        (a, b) => Ok(a.or(b)),
    }
}

fn restart(node: &Node, path: &str) -> Res<String> {
    let text = string(node, path)?;
    let ok = match text.split_once(':') {
        Some(("on-failure", n)) => n.parse::<u32>().is_ok(),
        Some(_) => false,
        None => matches!(
            text.as_str(),
            "no" | "always" | "on-failure" | "unless-stopped"
        ),
    };
    if ok {
        Ok(text)
    } else {
        Err(node.error(
            path,
            format!("bad restart '{text}': no, always, on-failure[:N] or unless-stopped"),
        ))
    }
}

fn env_file_list<'a>(node: &'a Node, path: &str) -> Res<Vec<EnvFile<'a>>> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let p = format!("{path}[{i}]");
        match &item.value {
            Value::Map(_) => {
                let (mut file, mut required, mut raw) = (None, true, false);
                for (k, v) in entries(item, &p, &["path", "required", "format"])? {
                    let q = join(&p, &k.name);
                    match k.name.as_str() {
                        "path" => file = Some(string(v, &q)?),
                        "required" => required = boolean(v, &q)?,
                        _ => {
                            let format = string(v, &q)?;
                            raw = format == "raw";
                            if format != "raw" && format != "env" {
                                return Err(v.error(
                                    &q,
                                    format!("unsupported env_file format '{format}' (env or raw)"),
                                ));
                            }
                        }
                    }
                }
                let file = file.ok_or_else(|| item.error(&p, "an env_file entry needs 'path'"))?;
                out.push(EnvFile {
                    file,
                    required,
                    raw,
                    at: item,
                });
            }
            _ => out.push(EnvFile {
                file: string(item, &p)?,
                required: true,
                raw: false,
                at: item,
            }),
        }
    }
    Ok(out)
}

/// One `env_file` entry.
struct EnvFile<'a> {
    file: String,
    required: bool,
    /// `format: raw`: `KEY=VALUE` lines taken as written (no quotes, no interpolation).
    raw: bool,
    at: &'a Node,
}

fn read_env_file(f: &EnvFile<'_>, key: &str, ctx: &ServiceCtx<'_>) -> Res<Vec<(String, String)>> {
    let full = ctx.mounts.working_dir.join(&f.file);
    let text = match std::fs::read_to_string(&full) {
        Ok(text) => text,
        Err(_) if !f.required => return Ok(Vec::new()),
        Err(e) => {
            return Err(f
                .at
                .error(key, format!("cannot read env_file {}: {e}", full.display())));
        }
    };
    if f.raw {
        return Ok(text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| match l.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.to_string()),
                None => (l.trim().to_string(), String::new()),
            })
            .collect());
    }
    parse_env_file(&text, ctx.mounts.env)
        .map_err(|e| ComposeError::at(&full, e.line, &e.key, e.message))
}
