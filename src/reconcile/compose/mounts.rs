//! `ports` and `volumes` entries, short and long syntax, into [`PortSpec`]s and [`Mount`]s.
//!
//! Ports: `"80"`, `"8080:80"`, `"127.0.0.1:8080:80"`, `"127.0.0.1::80"`, `"[::1]:8080:80"`,
//! `"9090-9091:8080-8081"` (expanded pairwise), `"8000-8010:80"` (one port, any host port of
//! the range), each with an optional `/udp`; the long form takes `target`, `published`,
//! `host_ip`, `protocol`, `mode`.
//! Volumes: `DST` (anonymous volume), `SRC:DST[:MODE]` where SRC starting with `/`, `.` or `~` is
//! a bind (made absolute against the project directory) and anything else a declared named
//! volume; MODE is a comma list of `ro`, `rw`, `z`, `Z`, `nocopy`, a propagation, or a
//! consistency word (ignored). The long form takes `type` (bind, volume, tmpfs), `source`,
//! `target`, `read_only`, `bind` (propagation, create_host_path, selinux), `volume` (nocopy),
//! `tmpfs` (size, mode), `consistency`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use super::error::ValueError;
use super::fields::{Res, boolean, entries, join, opt_string, size, string, unsigned};
use super::model::{Mount, MountKind, PortSpec};
use super::yaml::{Node, Value};

/// What relative paths and named volumes are resolved against.
pub(crate) struct MountCtx<'a> {
    pub working_dir: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    pub volumes: &'a BTreeSet<String>,
}

fn port_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => text.parse().ok().map(|p| (p, p)),
    }
}

/// One `ports` entry, short or long, into one or more ports.
pub(crate) fn ports(node: &Node, path: &str) -> Res<Vec<PortSpec>> {
    if let Value::Map(_) = node.value {
        return long_port(node, path);
    }
    let text = string(node, path)?;
    let bad = |why: &str| node.error(path, format!("bad port '{text}': {why}"));
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, p)) => (s, p.to_string()),
        None => (text.as_str(), "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad("protocol must be tcp, udp or sctp"));
    }
    let (ip, rest) = if let Some(after) = spec.strip_prefix('[') {
        let (ip, rest) = after.split_once("]:").ok_or_else(|| bad("unclosed '['"))?;
        (Some(ip.to_string()), rest)
    } else {
        (None, spec)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match (ip, parts.as_slice()) {
        (None, [c]) => (None, "", *c),
        (None, [h, c]) => (None, *h, *c),
        (None, [i, h, c]) => (Some(i.to_string()), *h, *c),
        (Some(ip), [h, c]) => (Some(ip), *h, *c),
        _ => return Err(bad("expected [IP:][HOST:]CONTAINER[/PROTOCOL]")),
    };
    expand(ip, host, container, &protocol).map_err(|m| bad(&m.to_string()))
}

fn expand(
    ip: Option<String>,
    host: &str,
    container: &str,
    protocol: &str,
) -> Result<Vec<PortSpec>, ValueError> {
    let (c0, c1) = port_range(container).ok_or(ValueError::Port("bad container port"))?;
    if c0 == 0 {
        return Err(ValueError::Port("port 0"));
    }
    let ip = ip.filter(|i| !i.is_empty());
    let spec = |target: u16, published: Option<String>| PortSpec {
        target,
        published,
        host_ip: ip.clone(),
        protocol: protocol.to_string(),
    };
    if host.is_empty() {
        return Ok((c0..=c1).map(|p| spec(p, None)).collect());
    }
    let (h0, h1) = port_range(host).ok_or(ValueError::Port("bad host port"))?;
    if c0 == c1 {
        return Ok(vec![spec(c0, Some(host.to_string()))]);
    }
    if h1 - h0 != c1 - c0 {
        return Err(ValueError::Port(
            "host and container ranges differ in length",
        ));
    }
    Ok((c0..=c1)
        .zip(h0..=h1)
        .map(|(c, h)| spec(c, Some(h.to_string())))
        .collect())
}

fn long_port(node: &Node, path: &str) -> Res<Vec<PortSpec>> {
    let mut target = None;
    let mut published = String::new();
    let mut ip = None;
    let mut protocol = "tcp".to_string();
    for (key, value) in entries(
        node,
        path,
        &[
            "target",
            "published",
            "host_ip",
            "protocol",
            "mode",
            "name",
            "app_protocol",
        ],
    )? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "target" => target = Some(string(value, &p)?),
            "published" => published = opt_string(value, &p)?.unwrap_or_default(),
            "host_ip" => ip = opt_string(value, &p)?,
            "protocol" => protocol = string(value, &p)?,
            // Names for people and tools: nothing Docker's create takes.
            "name" | "app_protocol" => {
                string(value, &p)?;
            }
            _ => {
                let mode = string(value, &p)?;
                if mode != "host" && mode != "ingress" {
                    return Err(value.error(&p, "mode must be host or ingress"));
                }
            }
        }
    }
    let target = target.ok_or_else(|| node.error(path, "a long-form port needs 'target'"))?;
    expand(ip, &published, &target, &protocol).map_err(|m| node.error(path, m))
}

/// Makes a bind source absolute (`~` from HOME, relative against the project directory) and
/// removes `.` and `..` components.
pub(crate) fn absolute(source: &str, ctx: &MountCtx<'_>) -> String {
    let path = if let Some(rest) = source.strip_prefix('~') {
        let home = ctx.env.get("HOME").cloned().unwrap_or_default();
        PathBuf::from(format!("{home}{rest}"))
    } else {
        ctx.working_dir.join(source)
    };
    lexical(&path)
}

/// `path` without `.` and `..` components, worked out on the text (no file system look-up).
pub(crate) fn lexical(path: &Path) -> String {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

fn is_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

fn bare(kind: MountKind, source: Option<String>, target: String) -> Mount {
    Mount {
        kind,
        source,
        target,
        read_only: false,
        selinux: None,
        propagation: None,
        create_host_path: true,
        nocopy: false,
        tmpfs_size: None,
        tmpfs_mode: None,
        subpath: None,
        recursive: None,
    }
}

/// One `volumes` entry, short or long.
pub(crate) fn volume(node: &Node, path: &str, ctx: &MountCtx<'_>) -> Res<Mount> {
    if let Value::Map(_) = node.value {
        return long_volume(node, path, ctx);
    }
    let text = string(node, path)?;
    let bad = |why: &str| node.error(path, format!("bad volume '{text}': {why}"));
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, ""),
        [s, t] => (Some(*s), *t, ""),
        [s, t, m] => (Some(*s), *t, *m),
        _ => return Err(bad("expected [SOURCE:]TARGET[:MODE]")),
    };
    if !target.starts_with('/') {
        return Err(bad("the target must be an absolute path"));
    }
    let mut mount = match source {
        None => bare(MountKind::Volume, None, target.to_string()),
        Some(s) if is_path(s) => bare(MountKind::Bind, Some(absolute(s, ctx)), target.to_string()),
        Some(s) => {
            if !ctx.volumes.contains(s) {
                return Err(bad(&format!(
                    "volume '{s}' is not declared under top-level volumes"
                )));
            }
            bare(MountKind::Volume, Some(s.to_string()), target.to_string())
        }
    };
    for word in mode.split(',').filter(|w| !w.is_empty()) {
        match word {
            "ro" => mount.read_only = true,
            "rw" => mount.read_only = false,
            "z" | "Z" => mount.selinux = Some(word.to_string()),
            "nocopy" => mount.nocopy = true,
            "shared" | "slave" | "private" | "rshared" | "rslave" | "rprivate" => {
                mount.propagation = Some(word.to_string());
            }
            "cached" | "delegated" | "consistent" => {}
            _ => return Err(bad(&format!("unknown mode '{word}'"))),
        }
    }
    Ok(mount)
}

fn long_volume(node: &Node, path: &str, ctx: &MountCtx<'_>) -> Res<Mount> {
    let allowed = [
        "type",
        "source",
        "target",
        "read_only",
        "bind",
        "volume",
        "tmpfs",
        "image",
        "consistency",
    ];
    let fields = entries(node, path, &allowed)?;
    let kind = long_kind(node, path)?;
    let target_node = node
        .get("target")
        .ok_or_else(|| node.error(path, "a long-form volume needs 'target'"))?;
    let mut mount = bare(kind, None, string(target_node, &join(path, "target"))?);
    for (key, value) in fields {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "source" => mount.source = long_source(kind, value, &p, ctx)?,
            "read_only" => mount.read_only = boolean(value, &p)?,
            "bind" => bind_options(&mut mount, value, &p)?,
            "volume" => volume_options(&mut mount, value, &p)?,
            "image" => {
                for (k, v) in entries(value, &p, &["subpath"])? {
                    mount.subpath = opt_string(v, &join(&p, &k.name))?;
                }
            }
            "tmpfs" => tmpfs_options(&mut mount, value, &p)?,
            _ => {}
        }
    }
    if matches!(kind, MountKind::Bind | MountKind::Image | MountKind::Npipe)
        && mount.source.is_none()
    {
        return Err(node.error(path, "this mount needs 'source'"));
    }
    Ok(mount)
}

/// A long-form volume's `type`.
fn long_kind(node: &Node, path: &str) -> Res<MountKind> {
    let kind_node = node
        .get("type")
        .ok_or_else(|| node.error(path, "a long-form volume needs 'type'"))?;
    Ok(match string(kind_node, &join(path, "type"))?.as_str() {
        "bind" => MountKind::Bind,
        "volume" => MountKind::Volume,
        "tmpfs" => MountKind::Tmpfs,
        "image" => MountKind::Image,
        "npipe" => MountKind::Npipe,
        "cluster" => MountKind::Cluster,
        other => {
            return Err(kind_node.error(
                &join(path, "type"),
                format!(
                    "unsupported volume type '{other}' (bind, volume, tmpfs, image, npipe or cluster)"
                ),
            ));
        }
    })
}

/// A long-form volume's `source`: a bind's made absolute, a volume's declared at the top.
fn long_source(kind: MountKind, value: &Node, p: &str, ctx: &MountCtx<'_>) -> Res<Option<String>> {
    Ok(match (kind, opt_string(value, p)?) {
        (MountKind::Bind, Some(s)) => Some(absolute(&s, ctx)),
        (MountKind::Volume, Some(s)) => {
            if !ctx.volumes.contains(&s) {
                return Err(value.error(
                    p,
                    format!("volume '{s}' is not declared under top-level volumes"),
                ));
            }
            Some(s)
        }
        (MountKind::Tmpfs, Some(_)) => {
            return Err(value.error(p, "a tmpfs mount takes no source"));
        }
        (_, Some(s)) => Some(s),
        (_, None) => None,
    })
}

fn bind_options(mount: &mut Mount, value: &Node, p: &str) -> Res<()> {
    let allowed = ["propagation", "create_host_path", "selinux", "recursive"];
    for (k, v) in entries(value, p, &allowed)? {
        let q = join(p, &k.name);
        match k.name.as_str() {
            "propagation" => mount.propagation = Some(string(v, &q)?),
            "create_host_path" => mount.create_host_path = boolean(v, &q)?,
            "recursive" => mount.recursive = Some(string(v, &q)?),
            _ => mount.selinux = Some(string(v, &q)?),
        }
    }
    Ok(())
}

fn volume_options(mount: &mut Mount, value: &Node, p: &str) -> Res<()> {
    for (k, v) in entries(value, p, &["nocopy", "subpath", "labels"])? {
        let q = join(p, &k.name);
        match k.name.as_str() {
            "nocopy" => mount.nocopy = boolean(v, &q)?,
            "subpath" => mount.subpath = opt_string(v, &q)?,
            // Labels of a volume this mount would create: compose sets them only on Swarm's;
            // the top-level volume's labels apply.
            _ => {
                super::fields::str_map(v, &q)?;
            }
        }
    }
    Ok(())
}

fn tmpfs_options(mount: &mut Mount, value: &Node, p: &str) -> Res<()> {
    for (k, v) in entries(value, p, &["size", "mode"])? {
        let q = join(p, &k.name);
        if k.name == "size" {
            mount.tmpfs_size = Some(size(v, &q)?);
        } else {
            let text = unsigned(v, &q)?.to_string();
            let mode = u32::from_str_radix(&text, 8)
                .map_err(|_| v.error(&q, "expected an octal mode such as 1777"))?;
            mount.tmpfs_mode = Some(mode);
        }
    }
    Ok(())
}
