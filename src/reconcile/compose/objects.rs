//! `build:`, top-level `secrets:` / `configs:` and a service's references to them, read into
//! the model ([`Build`], [`FileObjectSpec`], [`FileRef`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::fields::{
    Res, boolean, entries, join, kv_map, opt_string, size, str_map, string, strings,
};
use super::keys::{extra_hosts, ulimits};
use super::model::{Build, FileObjectSpec, FileRef, Ipam, IpamPool};
use super::mounts::{MountCtx, absolute};
use super::yaml::{Node, Value};

/// The keys of a `build:` mapping.
pub const BUILD_KEYS: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "args",
    "ssh",
    "labels",
    "cache_from",
    "cache_to",
    "no_cache",
    "additional_contexts",
    "network",
    "provenance",
    "sbom",
    "pull",
    "target",
    "shm_size",
    "extra_hosts",
    "isolation",
    "privileged",
    "secrets",
    "tags",
    "ulimits",
    "platforms",
];

/// Whether a build context is remote (kept as written, not made absolute).
fn is_remote(context: &str) -> bool {
    context.contains("://")
        || context.starts_with("git@")
        || context.starts_with("github.com/")
        || context.ends_with(".git")
}

fn context_path(context: &str, ctx: &MountCtx<'_>) -> String {
    if is_remote(context) {
        context.to_string()
    } else {
        absolute(context, ctx)
    }
}

/// A service's `build:`, a string (the context) or a mapping.
pub(crate) fn build(node: &Node, path: &str, ctx: &MountCtx<'_>) -> Res<Build> {
    let mut out = Build {
        context: context_path(".", ctx),
        ..Build::default()
    };
    if let Value::Scalar(text) = &node.value {
        out.context = context_path(text, ctx);
        return Ok(out);
    }
    for (key, value) in entries(node, path, BUILD_KEYS)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "context" => out.context = context_path(&string(value, &p)?, ctx),
            "dockerfile" => out.dockerfile = opt_string(value, &p)?,
            "dockerfile_inline" => out.dockerfile_inline = opt_string(value, &p)?,
            "args" => {
                for (k, v) in kv_map(value, &p)? {
                    if let Some(v) = v.or_else(|| ctx.env.get(&k).cloned()) {
                        out.args.insert(k, v);
                    }
                }
            }
            "labels" => out.labels = str_map(value, &p)?,
            "cache_from" => out.cache_from = strings(value, &p, false)?,
            "cache_to" => out.cache_to = strings(value, &p, false)?,
            "no_cache" => out.no_cache = boolean(value, &p)?,
            "additional_contexts" => {
                out.additional_contexts = str_map(value, &p)?
                    .into_iter()
                    .map(|(k, v)| (k, context_path(&v, ctx)))
                    .collect();
            }
            "network" => out.network = opt_string(value, &p)?,
            "pull" => out.pull = boolean(value, &p)?,
            "target" => out.target = opt_string(value, &p)?,
            "shm_size" => out.shm_size = Some(size(value, &p)?),
            "extra_hosts" => out.extra_hosts = extra_hosts(value, &p)?,
            "isolation" => out.isolation = opt_string(value, &p)?,
            "privileged" => out.privileged = boolean(value, &p)?,
            "secrets" => out.secrets = file_refs(value, &p, Kind::Secret)?,
            "tags" => out.tags = strings(value, &p, false)?,
            "platforms" => out.platforms = strings(value, &p, false)?,
            "ulimits" => out.ulimits = ulimits(value, &p)?,
            "ssh" => {
                out.ssh = kv_map(value, &p)?
                    .into_iter()
                    .map(|(k, v)| v.map_or_else(|| k.clone(), |v| format!("{k}={v}")))
                    .collect();
            }
            // entitlements, provenance, sbom: BuildKit attestations and grants, which the
            // classic builder fleetdeck drives has no use for (said in the warnings).
            _ => {}
        }
    }
    Ok(out)
}

/// Secrets or configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Secret,
    Config,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Secret => "secrets",
            Kind::Config => "configs",
        }
    }

    /// Where a reference without `target` lands, and where a relative target goes under.
    fn target(self, source: &str, target: Option<String>) -> String {
        match (self, target) {
            (Kind::Secret, Some(t)) if !t.starts_with('/') => format!("/run/secrets/{t}"),
            (_, Some(t)) => t,
            (Kind::Secret, None) => format!("/run/secrets/{source}"),
            (Kind::Config, None) => format!("/{source}"),
        }
    }
}

/// An octal mode as compose reads it: `0440`, `0o440`, or a decimal number YAML 1.1 style
/// (`288`); a string is read as octal.
fn mode(node: &Node, path: &str) -> Res<u32> {
    let text = string(node, path)?;
    let t = text.trim();
    let parsed = if let Some(oct) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        u32::from_str_radix(oct, 8).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(t, 8).ok()
    } else {
        t.parse().ok()
    };
    parsed.filter(|m| *m <= 0o7777).ok_or_else(|| {
        node.error(
            path,
            format!("bad file mode '{text}': expected octal such as 0440"),
        )
    })
}

/// A service's `secrets:` or `configs:` list (names, or `source`/`target`/`uid`/`gid`/`mode`).
pub(crate) fn file_refs(node: &Node, path: &str, kind: Kind) -> Res<Vec<FileRef>> {
    let Value::Seq(items) = &node.value else {
        if matches!(node.value, Value::Null) {
            return Ok(Vec::new());
        }
        return Err(node.error(path, "expected a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let r = match &item.value {
            Value::Map(_) => {
                let (mut source, mut target, mut uid, mut gid, mut m) =
                    (None, None, None, None, None);
                let allowed = ["source", "target", "uid", "gid", "mode"];
                for (k, v) in entries(item, &p, &allowed)? {
                    let q = join(&p, &k.name);
                    match k.name.as_str() {
                        "source" => source = Some(string(v, &q)?),
                        "target" => target = opt_string(v, &q)?,
                        "uid" => uid = opt_string(v, &q)?,
                        "gid" => gid = opt_string(v, &q)?,
                        _ => m = Some(mode(v, &q)?),
                    }
                }
                let source = source.ok_or_else(|| item.error(&p, "a reference needs 'source'"))?;
                FileRef {
                    target: kind.target(&source, target),
                    source,
                    uid,
                    gid,
                    mode: m,
                }
            }
            _ => {
                let source = string(item, &p)?;
                FileRef {
                    target: kind.target(&source, None),
                    source,
                    uid: None,
                    gid: None,
                    mode: None,
                }
            }
        };
        out.push(r);
    }
    Ok(out)
}

/// Every reference must name a declared secret or config.
pub(crate) fn check_refs(
    refs: &[FileRef],
    declared: &BTreeSet<String>,
    node: &Node,
    path: &str,
    kind: Kind,
) -> Res<()> {
    for r in refs {
        if !declared.contains(&r.source) {
            let what = &kind.key()[..kind.key().len() - 1];
            return Err(node.error(
                path,
                format!(
                    "{what} '{}' is not declared under top-level {}",
                    r.source,
                    kind.key()
                ),
            ));
        }
    }
    Ok(())
}

/// The keys of a top-level secret or config.
fn object_keys(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Secret => &[
            "name",
            "environment",
            "file",
            "external",
            "labels",
            "driver",
            "driver_opts",
            "template_driver",
        ],
        Kind::Config => &[
            "name",
            "content",
            "environment",
            "file",
            "external",
            "labels",
            "template_driver",
        ],
    }
}

/// Top-level `secrets:` or `configs:`.
pub(crate) fn file_objects(
    root: &Node,
    kind: Kind,
    project: &str,
    ctx: &MountCtx<'_>,
) -> Res<BTreeMap<String, FileObjectSpec>> {
    let mut out = BTreeMap::new();
    let Some(node) = root.get(kind.key()) else {
        return Ok(out);
    };
    let Value::Map(items) = &node.value else {
        if matches!(node.value, Value::Null) {
            return Ok(out);
        }
        return Err(node.error(kind.key(), "expected a mapping"));
    };
    for (key, value) in items {
        if key.name.starts_with("x-") {
            continue;
        }
        let p = join(kind.key(), &key.name);
        let mut spec = FileObjectSpec::default();
        let mut name = None;
        for (k, v) in entries(value, &p, object_keys(kind))? {
            let q = join(&p, &k.name);
            match k.name.as_str() {
                "name" => name = opt_string(v, &q)?,
                "file" => spec.file = Some(PathBuf::from(absolute(&string(v, &q)?, ctx))),
                "environment" => spec.environment = opt_string(v, &q)?,
                "content" => spec.content = opt_string(v, &q)?,
                "external" => spec.external = external(v, &q, &mut name)?,
                "labels" => spec.labels = str_map(v, &q)?,
                "driver" => spec.driver = opt_string(v, &q)?,
                "driver_opts" => spec.driver_opts = str_map(v, &q)?,
                _ => spec.template_driver = opt_string(v, &q)?,
            }
        }
        let sources = [
            spec.file.is_some(),
            spec.environment.is_some(),
            spec.content.is_some(),
            spec.external,
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            let what = match kind {
                Kind::Secret => "file, environment or external",
                Kind::Config => "file, environment, content or external",
            };
            return Err(value.error(&p, format!("needs exactly one of {what}")));
        }
        spec.name = match (name, spec.external) {
            (Some(n), _) => n,
            (None, true) => key.name.clone(),
            (None, false) => format!("{project}_{}", key.name),
        };
        out.insert(key.name.clone(), spec);
    }
    Ok(out)
}

/// `external:` as a boolean, or the deprecated `external: {name: N}` (which names it).
pub(crate) fn external(node: &Node, path: &str, name: &mut Option<String>) -> Res<bool> {
    if let Value::Map(_) = node.value {
        for (k, v) in entries(node, path, &["name"])? {
            *name = opt_string(v, &join(path, &k.name))?;
        }
        return Ok(true);
    }
    boolean(node, path)
}

/// A top-level network's `ipam:`.
pub(crate) fn ipam(node: &Node, path: &str) -> Res<Ipam> {
    let mut out = Ipam::default();
    for (key, value) in entries(node, path, &["driver", "config", "options"])? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "driver" => out.driver = opt_string(value, &p)?,
            "options" => out.options = str_map(value, &p)?,
            _ => {
                let Value::Seq(items) = &value.value else {
                    return Err(value.error(&p, "expected a list"));
                };
                for (i, item) in items.iter().enumerate() {
                    let q = format!("{p}[{i}]");
                    let mut pool = IpamPool::default();
                    let allowed = ["subnet", "ip_range", "gateway", "aux_addresses"];
                    for (k, v) in entries(item, &q, &allowed)? {
                        let r = join(&q, &k.name);
                        match k.name.as_str() {
                            "subnet" => pool.subnet = opt_string(v, &r)?,
                            "ip_range" => pool.ip_range = opt_string(v, &r)?,
                            "gateway" => pool.gateway = opt_string(v, &r)?,
                            _ => pool.aux_addresses = str_map(v, &r)?,
                        }
                    }
                    out.config.push(pool);
                }
            }
        }
    }
    Ok(out)
}
