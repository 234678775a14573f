//! A service's `build:`: a context path (the short form) or a mapping with the Compose
//! Specification's field names (`context`, `dockerfile`, `dockerfile_inline`, `args`, `target`,
//! `labels`, `network`, `shm_size`, `extra_hosts`, `cache_from`, `no_cache`, `pull`). The
//! context is made absolute against the project directory; a build argument written without a
//! value takes the interpolation environment's value, or is left out (as compose does).
//! Keys of the specification that only BuildKit honours (`ssh`, `secrets`, `platforms`,
//! `cache_to`, `tags`, `additional_contexts`, `isolation`, `privileged`, `ulimits`, `entitlements`,
//! `provenance`, `sbom`) are accepted and named once in [`BuildSpec::ignored`]: the daemon here
//! builds with the classic builder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fields::{Res, boolean, entries, join, kv_map, size, str_map, string, strings};
use super::keys::extra_hosts;
use super::yaml::{Node, Value};

/// How a service's image is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// The absolute context directory.
    pub context: PathBuf,
    /// The Dockerfile, relative to the context (`Dockerfile` by default).
    pub dockerfile: String,
    /// A Dockerfile given in the file itself (it wins over `dockerfile`).
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// The network the `RUN` steps use (`none`, `host`, a network name).
    pub network: Option<String>,
    pub shm_size: Option<u64>,
    /// `host:ip`; the classic builder's API takes one.
    pub extra_hosts: Vec<String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    /// Pull the `FROM` images again.
    pub pull: bool,
    /// BuildKit-only keys given (accepted, not used by the classic builder).
    pub ignored: Vec<String>,
}

impl BuildSpec {
    /// A build of `context` with every other key at its default.
    pub fn new(context: PathBuf) -> Self {
        Self {
            context,
            dockerfile: "Dockerfile".into(),
            dockerfile_inline: None,
            args: BTreeMap::new(),
            target: None,
            labels: BTreeMap::new(),
            network: None,
            shm_size: None,
            extra_hosts: Vec::new(),
            cache_from: Vec::new(),
            no_cache: false,
            pull: false,
            ignored: Vec::new(),
        }
    }
}

const HONOURED: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "args",
    "target",
    "labels",
    "network",
    "shm_size",
    "extra_hosts",
    "cache_from",
    "no_cache",
    "pull",
];

/// Keys of the specification's `build` the classic builder has no use for.
const BUILDKIT_ONLY: &[&str] = &[
    "ssh",
    "secrets",
    "platforms",
    "cache_to",
    "tags",
    "additional_contexts",
    "isolation",
    "privileged",
    "ulimits",
    "entitlements",
    "provenance",
    "sbom",
];

/// Whether a build context is remote (a git or http URL).
fn is_remote(context: &str) -> bool {
    context.contains("://")
        || context.starts_with("git@")
        || context.starts_with("github.com/")
        || context.ends_with(".git")
}

/// Reads `build:` against the project directory and the interpolation environment.
pub(crate) fn build(
    node: &Node,
    path: &str,
    working_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Res<BuildSpec> {
    let absolute = |text: &str| -> PathBuf {
        if is_remote(text) {
            // A git or http context, kept as written (the classic build of one fails clearly).
            return PathBuf::from(text);
        }
        let p = Path::new(text);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            working_dir.join(p)
        };
        std::path::absolute(&joined).unwrap_or(joined)
    };
    match &node.value {
        Value::Scalar(s) => return Ok(BuildSpec::new(absolute(s))),
        Value::Map(_) => {}
        _ => return Err(node.error(path, "expected a context path or a mapping")),
    }
    let allowed = [HONOURED, BUILDKIT_ONLY].concat();
    let mut spec = BuildSpec::new(absolute("."));
    for (key, value) in entries(node, path, &allowed)? {
        let p = join(path, &key.name);
        match key.name.as_str() {
            "context" => spec.context = absolute(&string(value, &p)?),
            "dockerfile" => spec.dockerfile = string(value, &p)?,
            "dockerfile_inline" => spec.dockerfile_inline = Some(string(value, &p)?),
            "args" => {
                spec.args = kv_map(value, &p)?
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.or_else(|| env.get(&k).cloned())?)))
                    .collect();
            }
            "target" => spec.target = Some(string(value, &p)?),
            "labels" => spec.labels = str_map(value, &p)?,
            "network" => spec.network = Some(string(value, &p)?),
            "shm_size" => spec.shm_size = Some(size(value, &p)?),
            "extra_hosts" => {
                spec.extra_hosts = extra_hosts(value, &p)?;
                if spec.extra_hosts.len() > 1 {
                    return Err(value.error(
                        &p,
                        "the classic builder's API takes one extra host; give one",
                    ));
                }
            }
            "cache_from" => spec.cache_from = strings(value, &p, false)?,
            "no_cache" => spec.no_cache = boolean(value, &p)?,
            "pull" => spec.pull = boolean(value, &p)?,
            other => spec.ignored.push(other.to_string()),
        }
    }
    Ok(spec)
}
