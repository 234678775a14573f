//! Compose files as the fleet file: `-f FILE`... read, interpolated, merged and checked into a
//! normalised [`Project`]. What is read (see [`load`]):
//!
//! - The files in order, later ones merged over earlier ones as compose does (see [`merge`]).
//! - The project directory: the first file's directory. A `.env` there feeds interpolation,
//!   under the process environment (a variable set in both takes the process's value).
//! - Interpolation per file, before merging, of every value (not keys): see [`interp`].
//! - The project name: `-p`, else `COMPOSE_PROJECT_NAME`, else the file's `name:` (each must
//!   already be a valid name), else the directory's name normalised as compose v2 does
//!   (lowercased, characters outside `[a-z0-9_-]` dropped, leading `_`/`-` dropped).
//! - Every key of the Compose Specification: each file's keys are checked first against the
//!   key tree generated from its JSON schema (`spec_keys.rs`, from `scripts/gen-compose-keys.py`);
//!   `x-` extension keys anywhere are accepted and ignored. Anything else is an error naming
//!   the file, the line and the key, and refuses the whole set. `include` and `extends` are
//!   resolved per file (`files.rs`), `!reset` / `!override` applied in the merge. Keys that
//!   only Swarm (or a feature fleetdeck lacks) uses are accepted and said once each in
//!   [`Project::warnings`]. Top-level `secrets` / `configs` as [`secrets`] reads them.
//! - Profiles: a service with `profiles:` is active only when one of them is given (or `*`);
//!   no profiles given means those of `COMPOSE_PROFILES`.

pub mod build;
pub mod config_view;
pub mod error;
pub mod fields;
mod files;
pub mod interp;
mod keys;
pub mod merge;
pub mod model;
mod model_ext;
mod mounts;
mod objects;
pub mod secrets;
pub mod service;
mod service_more;
mod spec_check;
#[rustfmt::skip]
mod spec_keys;
pub mod swarm;
mod warn;
mod yaml;
pub mod yaml_out;

#[cfg(test)]
mod build_tests;
#[cfg(test)]
mod config_view_tests;
#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod interp_tests;
#[cfg(test)]
mod objects_tests;
#[cfg(test)]
mod spec_tests;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use build::BuildSpec;
pub use error::ComposeError;
pub use model::*;
pub use secrets::{FileRef, FileSource, Secret};

use fields::{Res, boolean, entries, join, opt_string, str_map};
use mounts::MountCtx;
use service::ServiceCtx;
use yaml::{Node, Value};

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files, in order; at least one.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--profile`s to activate.
    pub profiles: Vec<String>,
    /// The process environment (interpolation, `COMPOSE_PROJECT_NAME`, `COMPOSE_PROFILES`).
    pub env: BTreeMap<String, String>,
}

impl LoadOptions {
    /// These files, with the process's environment.
    pub fn new(files: Vec<PathBuf>) -> Self {
        Self {
            files,
            env: std::env::vars().collect(),
            ..Self::default()
        }
    }
}

/// The file compose would pick in `dir` when no `-f` is given.
pub fn default_file(dir: &Path) -> Option<PathBuf> {
    [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
    ]
    .iter()
    .map(|f| dir.join(f))
    .find(|p| p.is_file())
}

/// Normalises a directory name into a project name as compose v2 does.
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// Whether `name` is a valid project name as it stands.
pub fn is_valid_project_name(name: &str) -> bool {
    !name.is_empty() && normalize_project_name(name) == name
}

/// Loads the file set into a project; any error refuses the whole set.
pub fn load(opts: &LoadOptions) -> Result<Project, ComposeError> {
    let Some(first) = opts.files.first() else {
        return Err(ComposeError::at(
            Path::new("."),
            0,
            "",
            "no compose file given",
        ));
    };
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let files: Vec<PathBuf> = opts.files.iter().map(|f| absolute(f)).collect();
    let first_abs = absolute(first);
    let working_dir = first_abs
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);

    // `.env` under the process environment.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let dotenv = working_dir.join(".env");
    if let Ok(text) = std::fs::read_to_string(&dotenv) {
        let vars = interp::parse_env_file(&text, &opts.env)
            .map_err(|e| ComposeError::at(&dotenv, e.line, &e.key, e.message))?;
        env.extend(vars);
    }
    env.extend(opts.env.iter().map(|(k, v)| (k.clone(), v.clone())));

    let mut merged: Option<Node> = None;
    for file in &files {
        let doc = files::load_file(file, &env, &opts.env, 0)?;
        match &mut merged {
            None => merged = Some(doc),
            Some(base) => merge::merge_files(base, doc)?,
        }
    }
    let Some(mut root) = merged else {
        return Err(ComposeError::at(first, 0, "", "no compose file given"));
    };
    merge::strip_tags(&mut root);
    build(&root, opts, &env, working_dir, files)
}

/// Interpolates every scalar value under `node`.
pub(crate) fn interpolate_tree(
    node: &mut Node,
    path: &str,
    env: &BTreeMap<String, String>,
) -> Res<()> {
    match &mut node.value {
        Value::Scalar(text) => {
            let done = interp::interpolate(text, env)
                .map_err(|e| ComposeError::at(&node.file, node.line, path, e.to_string()))?;
            *text = done;
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, &format!("{path}[{i}]"), env)?;
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                interpolate_tree(value, &join(path, &key.name), env)?;
            }
        }
        Value::Null => {}
    }
    Ok(())
}

fn project_name(root: &Node, opts: &LoadOptions, working_dir: &Path) -> Res<String> {
    let invalid = |at: &Node, key: &str, name: &str| {
        at.error(
            key,
            format!(
                "'{name}' is not a valid project name: lowercase letters, digits, '_' and '-', starting with a letter or digit"
            ),
        )
    };
    let explicit = opts
        .project_name
        .clone()
        .or_else(|| opts.env.get("COMPOSE_PROJECT_NAME").cloned())
        .filter(|n| !n.is_empty());
    if let Some(name) = explicit {
        if !is_valid_project_name(&name) {
            return Err(invalid(root, "-p", &name));
        }
        return Ok(name);
    }
    if let Some(node) = root.get("name")
        && let Some(name) = opt_string(node, "name")?
    {
        if !is_valid_project_name(&name) {
            return Err(invalid(node, "name", &name));
        }
        return Ok(name);
    }
    let dir = working_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = normalize_project_name(&dir);
    if name.is_empty() {
        return Err(root.error(
            "name",
            format!("the directory name '{dir}' gives no project name: set 'name:' or -p"),
        ));
    }
    Ok(name)
}

/// Top-level `networks` or `volumes`.
fn resources(
    root: &Node,
    key: &str,
    allowed: &[&str],
) -> Res<BTreeMap<String, BTreeMap<String, Node>>> {
    let mut out = BTreeMap::new();
    let Some(node) = root.get(key) else {
        return Ok(out);
    };
    let Value::Map(items) = &node.value else {
        if matches!(node.value, Value::Null) {
            return Ok(out);
        }
        return Err(node.error(key, "expected a mapping"));
    };
    for (k, v) in items {
        let p = join(key, &k.name);
        let mut fields = BTreeMap::new();
        if !matches!(v.value, Value::Null) {
            for (f, value) in entries(v, &p, allowed)? {
                fields.insert(f.name.clone(), value.clone());
            }
        }
        out.insert(k.name.clone(), fields);
    }
    Ok(out)
}

/// The daemon's name for a network or volume.
fn resource_name(
    project: &str,
    key: &str,
    fields: &BTreeMap<String, Node>,
    path: &str,
) -> Res<(String, bool)> {
    let mut explicit = None;
    let external = match fields.get("external") {
        Some(n) => objects::external(n, &join(path, "external"), &mut explicit)?,
        None => false,
    };
    if let Some(n) = fields.get("name") {
        explicit = opt_string(n, &join(path, "name"))?;
    }
    let name = match (explicit, external) {
        (Some(n), _) => n,
        (None, true) => key.to_string(),
        (None, false) => format!("{project}_{key}"),
    };
    Ok((name, external))
}

fn opt_field(fields: &BTreeMap<String, Node>, key: &str, path: &str) -> Res<Option<String>> {
    fields
        .get(key)
        .map_or(Ok(None), |n| opt_string(n, &join(path, key)))
}

fn map_field(
    fields: &BTreeMap<String, Node>,
    key: &str,
    path: &str,
) -> Res<BTreeMap<String, String>> {
    fields
        .get(key)
        .map_or(Ok(BTreeMap::new()), |n| str_map(n, &join(path, key)))
}

fn bool_field(fields: &BTreeMap<String, Node>, key: &str, path: &str) -> Res<bool> {
    fields
        .get(key)
        .map_or(Ok(false), |n| boolean(n, &join(path, key)))
}

fn build(
    root: &Node,
    opts: &LoadOptions,
    env: &BTreeMap<String, String>,
    working_dir: PathBuf,
    config_files: Vec<PathBuf>,
) -> Result<Project, ComposeError> {
    entries(
        root,
        "",
        &[
            "name", "version", "services", "networks", "volumes", "secrets", "configs", "include",
            "models",
        ],
    )?;
    let name = project_name(root, opts, &working_dir)?;
    let mut networks = networks(root, &name)?;
    let volumes = volumes(root, &name)?;

    let volume_keys: BTreeSet<String> = volumes.keys().cloned().collect();
    let network_keys: BTreeSet<String> = networks.keys().cloned().collect();
    let mounts = MountCtx {
        working_dir: &working_dir,
        env,
        volumes: &volume_keys,
    };
    let warn = warn::Warn::default();
    let secrets = secrets::objects(root, secrets::FileKind::Secret, &working_dir, env, &warn)?;
    let configs = secrets::objects(root, secrets::FileKind::Config, &working_dir, env, &warn)?;
    let secret_keys: BTreeSet<String> = secrets.keys().cloned().collect();
    let config_keys: BTreeSet<String> = configs.keys().cloned().collect();
    let ctx = ServiceCtx {
        warn: &warn,
        project: &name,
        mounts,
        networks: &network_keys,
        secrets: &secret_keys,
        configs: &config_keys,
    };
    let mut read = services(root, &ctx, &active_profiles(opts))?;
    drop_missing_dependencies(&mut read)?;
    let lines = &read.lines;
    let at = |service: &str| {
        lines
            .get(service)
            .cloned()
            .unwrap_or_else(|| (Arc::clone(&root.file), root.line))
    };
    check_order_and_names(&read.services, at)?;
    let services = read.services;
    if services.iter().any(|s| s.networks.contains_key("default"))
        && !networks.contains_key("default")
    {
        networks.insert(
            "default".into(),
            NetworkSpec {
                name: format!("{name}_default"),
                ..NetworkSpec::default()
            },
        );
    }
    let disabled_services = read.disabled;
    Ok(Project {
        name,
        working_dir,
        config_files,
        services,
        disabled_services,
        networks,
        volumes,
        secrets,
        configs,
        warnings: warn.lines(),
        swarm: swarm::SwarmObjects {
            secrets: swarm::objects(root, "secrets")?,
            configs: swarm::objects(root, "configs")?,
        },
    })
}

/// The top-level `networks:`, as the daemon will name them.
fn networks(root: &Node, project: &str) -> Res<BTreeMap<String, NetworkSpec>> {
    let keys = [
        &RESOURCE_KEYS[..],
        &[
            "internal",
            "attachable",
            "enable_ipv6",
            "enable_ipv4",
            "ipam",
        ],
    ]
    .concat();
    let mut networks = BTreeMap::new();
    for (key, f) in resources(root, "networks", &keys)? {
        let p = join("networks", &key);
        let (daemon_name, external) = resource_name(project, &key, &f, &p)?;
        let spec = NetworkSpec {
            name: daemon_name,
            external,
            driver: opt_field(&f, "driver", &p)?,
            driver_opts: map_field(&f, "driver_opts", &p)?,
            labels: map_field(&f, "labels", &p)?,
            internal: bool_field(&f, "internal", &p)?,
            attachable: bool_field(&f, "attachable", &p)?,
            enable_ipv6: bool_field(&f, "enable_ipv6", &p)?,
            enable_ipv4: f
                .get("enable_ipv4")
                .map(|n| boolean(n, &join(&p, "enable_ipv4")))
                .transpose()?,
            ipam: f
                .get("ipam")
                .map(|n| objects::ipam(n, &join(&p, "ipam")))
                .transpose()?,
        };
        networks.insert(key, spec);
    }
    Ok(networks)
}

/// The keys every top-level network and volume takes.
const RESOURCE_KEYS: [&str; 5] = ["name", "driver", "driver_opts", "external", "labels"];

/// The top-level `volumes:`, as the daemon will name them.
fn volumes(root: &Node, project: &str) -> Res<BTreeMap<String, VolumeSpec>> {
    let mut volumes = BTreeMap::new();
    for (key, f) in resources(root, "volumes", &RESOURCE_KEYS)? {
        let p = join("volumes", &key);
        let (daemon_name, external) = resource_name(project, &key, &f, &p)?;
        let spec = VolumeSpec {
            name: daemon_name,
            external,
            driver: opt_field(&f, "driver", &p)?,
            driver_opts: map_field(&f, "driver_opts", &p)?,
            labels: map_field(&f, "labels", &p)?,
        };
        volumes.insert(key, spec);
    }
    Ok(volumes)
}

/// The profiles asked for: `--profile`, else `COMPOSE_PROFILES`.
fn active_profiles(opts: &LoadOptions) -> BTreeSet<String> {
    let mut profiles: BTreeSet<String> = opts.profiles.iter().cloned().collect();
    if profiles.is_empty()
        && let Some(list) = opts.env.get("COMPOSE_PROFILES")
    {
        profiles.extend(
            list.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    profiles
}

/// The services as read: the active ones, those left out (inactive profiles, providers),
/// each active one's dependencies and where each service is written.
struct ServicesRead {
    services: Vec<ServiceSpec>,
    disabled: Vec<String>,
    deps: Vec<(String, Vec<service::DepRef>)>,
    lines: BTreeMap<String, (Arc<Path>, usize)>,
}

fn services(
    root: &Node,
    ctx: &ServiceCtx<'_>,
    profiles: &BTreeSet<String>,
) -> Result<ServicesRead, ComposeError> {
    let active = |spec: &ServiceSpec| {
        spec.profiles.is_empty()
            || profiles.contains("*")
            || spec.profiles.iter().any(|p| profiles.contains(p))
    };
    let services_node = root
        .get("services")
        .ok_or_else(|| root.error("services", "a compose file needs 'services'"))?;
    let Value::Map(items) = &services_node.value else {
        return Err(services_node.error("services", "expected a mapping of services"));
    };
    let mut read = ServicesRead {
        services: Vec::new(),
        disabled: Vec::new(),
        deps: Vec::new(),
        lines: BTreeMap::new(),
    };
    if root.get("models").is_some() {
        ctx.warn
            .ignored("models", "top level", "fleetdeck runs no AI models");
    }
    for (key, node) in items {
        if key.name.starts_with("x-") {
            continue;
        }
        if node.get("provider").is_some() {
            // A provider service is set up by a plugin, not as a container.
            let owner = format!("service {}", key.name);
            ctx.warn.ignored(
                "provider",
                &owner,
                "fleetdeck runs no provider plugins; the service is left out",
            );
            read.disabled.push(key.name.clone());
            continue;
        }
        let (mut spec, deps) = service::service(&key.name, node, ctx)?;
        spec.swarm = swarm::service(&key.name, node)?;
        read.lines
            .insert(key.name.clone(), (Arc::clone(&node.file), key.line));
        if active(&spec) {
            read.deps.push((spec.name.clone(), deps));
            read.services.push(spec);
        } else {
            read.disabled.push(spec.name);
        }
    }
    Ok(read)
}

/// Every dependency must be an active service, unless it says `required: false` (then it is
/// dropped from its dependant).
fn drop_missing_dependencies(read: &mut ServicesRead) -> Result<(), ComposeError> {
    for (owner, deps) in std::mem::take(&mut read.deps) {
        for dep in deps {
            if read.services.iter().any(|s| s.name == dep.name) {
                continue;
            }
            let why = if read.disabled.contains(&dep.name) {
                format!(
                    "service '{owner}' depends on '{}', whose profiles are not active",
                    dep.name
                )
            } else {
                format!(
                    "service '{owner}' depends on undefined service '{}'",
                    dep.name
                )
            };
            if dep.required {
                let key = format!("services.{owner}.depends_on.{}", dep.name);
                return Err(ComposeError::at(&dep.file, dep.line, &key, why));
            }
            if let Some(spec) = read.services.iter_mut().find(|s| s.name == owner) {
                spec.depends_on.remove(&dep.name);
            }
        }
    }
    Ok(())
}

/// No dependency cycle, no `container_name` twice; `at` says where a service is written.
fn check_order_and_names(
    services: &[ServiceSpec],
    at: impl Fn(&str) -> (Arc<Path>, usize),
) -> Result<(), ComposeError> {
    if let Err(cycle) = super::order::levels(services) {
        let first = cycle.cycle.first().cloned().unwrap_or_default();
        let (file, line) = at(&first);
        return Err(ComposeError::at(
            &file,
            line,
            &format!("services.{first}.depends_on"),
            cycle.to_string(),
        ));
    }
    let mut names = BTreeSet::new();
    for spec in services {
        if let Some(cn) = &spec.container_name
            && !names.insert(cn.clone())
        {
            let (file, line) = at(&spec.name);
            return Err(ComposeError::at(
                &file,
                line,
                &format!("services.{}.container_name", spec.name),
                format!("container_name '{cn}' is used twice"),
            ));
        }
    }
    Ok(())
}
