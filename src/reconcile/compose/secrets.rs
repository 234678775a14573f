//! Top-level `secrets:` and `configs:` and a service's references to them, without Swarm, as
//! Docker Compose v2 does: a `file:` source is bind-mounted read-only, an `environment:` or
//! `content:` source is written into the container before it starts. A secret's target is
//! `/run/secrets/NAME` (a relative `target` is under `/run/secrets`), a config's `/NAME` (a
//! relative `target` is under `/`). `external: true` names an object only Swarm keeps, and an
//! `environment:` variable may be unset: both load (said once in the project's warnings) and are
//! refused only when a container that uses one is created ([`FileSource::unavailable`]);
//! `driver`, `driver_opts`, `template_driver` and `labels` are Swarm's and accepted without
//! effect.
//!
//! A value read from the environment or written in the file is a [`Secret`]: its `Debug` and
//! its serialised form are masked, so neither a log line, a plan, `--json` output nor the
//! audit log can carry it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use super::fields::{Res, entries, join, string, unsigned};
use super::warn::Warn;
use super::yaml::{Node, Value};

/// What every masked value shows.
pub const MASK: &str = "********";

/// A value that must never be shown: masked in `Debug` and when serialised.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for writing it into a container.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

/// Where a secret's or config's content comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSource {
    /// An absolute host path, bind-mounted read-only.
    File(PathBuf),
    /// `environment: VAR`: the variable's value when the files were read (`None`: unset).
    Environment { var: String, value: Option<Secret> },
    /// `content:`.
    Value(Secret),
    /// `external: true`: kept by Swarm under this name.
    External(String),
}

impl FileSource {
    /// Why a container cannot be given this without Swarm, if it cannot.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Self::External(name) => Some(format!(
                "it is external ('{name}'): external secrets and configs live in Swarm; without Swarm give it file, environment or content"
            )),
            Self::Environment { var, value: None } => {
                Some(format!("its environment variable '{var}' is not set"))
            }
            _ => None,
        }
    }

    /// The value written into the container, for a source given by value.
    pub fn value(&self) -> Option<&Secret> {
        match self {
            Self::Value(v) | Self::Environment { value: Some(v), .. } => Some(v),
            _ => None,
        }
    }
}

/// A service's use of a secret or config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// The top-level key.
    pub source: String,
    /// The absolute path in the container.
    pub target: String,
    pub uid: Option<String>,
    pub gid: Option<String>,
    /// Permission bits (octal as written); `None`: `0444`.
    pub mode: Option<u32>,
}

/// Which of the two kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Secret,
    Config,
}

impl FileKind {
    fn key(self) -> &'static str {
        match self {
            Self::Secret => "secrets",
            Self::Config => "configs",
        }
    }

    /// Where `name` (or a relative `target`) lands in the container.
    fn target(self, name: &str) -> String {
        if name.starts_with('/') {
            return name.to_string();
        }
        match self {
            Self::Secret => format!("/run/secrets/{name}"),
            Self::Config => format!("/{name}"),
        }
    }
}

const OBJECT_KEYS: &[&str] = &[
    "file",
    "environment",
    "content",
    "external",
    "name",
    "driver",
    "driver_opts",
    "template_driver",
    "labels",
];

/// Top-level `secrets` or `configs`: key → where the content comes from.
pub(crate) fn objects(
    root: &Node,
    kind: FileKind,
    working_dir: &Path,
    env: &BTreeMap<String, String>,
    warn: &Warn,
) -> Res<BTreeMap<String, FileSource>> {
    let key = kind.key();
    let mut out = BTreeMap::new();
    let Some(node) = root.get(key) else {
        return Ok(out);
    };
    let items = match &node.value {
        Value::Map(items) => items,
        Value::Null => return Ok(out),
        _ => return Err(node.error(key, "expected a mapping")),
    };
    for (name, value) in items {
        if name.name.starts_with("x-") {
            continue;
        }
        let p = join(key, &name.name);
        let mut source = None;
        let (mut external, mut swarm_name) = (false, None);
        for (k, v) in entries(value, &p, OBJECT_KEYS)? {
            let q = join(&p, &k.name);
            match k.name.as_str() {
                "file" => source = Some(FileSource::File(working_dir.join(string(v, &q)?))),
                "environment" => {
                    let var = string(v, &q)?;
                    let value = env.get(&var).map(|found| Secret::new(found.clone()));
                    if value.is_none() {
                        warn.note(
                            "environment",
                            &p,
                            &format!("'{var}' is not set: a container that uses it is refused"),
                        );
                    }
                    source = Some(FileSource::Environment { var, value });
                }
                "content" => source = Some(FileSource::Value(Secret::new(string(v, &q)?))),
                "external" => external = super::objects::external(v, &q, &mut swarm_name)?,
                "name" => swarm_name = Some(string(v, &q)?),
                _ => {}
            }
        }
        if external && source.is_none() {
            warn.note(
                "external",
                &p,
                "only Swarm keeps external secrets and configs: a container that uses one is refused",
            );
            source = Some(FileSource::External(
                swarm_name.unwrap_or_else(|| name.name.clone()),
            ));
        }
        let source = source.ok_or_else(|| {
            value.error(&p, "needs one of file, environment, content or external")
        })?;
        out.insert(name.name.clone(), source);
    }
    Ok(out)
}

/// A service's `secrets:` or `configs:` list: names or `{source, target, uid, gid, mode}`,
/// each naming a declared object.
pub(crate) fn refs(
    node: &Node,
    path: &str,
    kind: FileKind,
    declared: &BTreeSet<String>,
) -> Res<Vec<FileRef>> {
    let items = match &node.value {
        Value::Seq(items) => items,
        Value::Null => return Ok(Vec::new()),
        _ => return Err(node.error(path, "expected a list")),
    };
    let mut out: Vec<FileRef> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let mut r = FileRef {
            source: String::new(),
            target: String::new(),
            uid: None,
            gid: None,
            mode: None,
        };
        let mut target = None;
        match &item.value {
            Value::Map(_) => {
                for (k, v) in entries(item, &p, &["source", "target", "uid", "gid", "mode"])? {
                    let q = join(&p, &k.name);
                    match k.name.as_str() {
                        "source" => r.source = string(v, &q)?,
                        "target" => target = Some(string(v, &q)?),
                        "uid" => r.uid = Some(string(v, &q)?),
                        "gid" => r.gid = Some(string(v, &q)?),
                        _ => r.mode = Some(mode(v, &q)?),
                    }
                }
            }
            _ => r.source = string(item, &p)?,
        }
        if !declared.contains(&r.source) {
            return Err(item.error(
                &p,
                format!(
                    "{} '{}' is not declared at the top level",
                    kind.key().trim_end_matches('s'),
                    r.source
                ),
            ));
        }
        r.target = kind.target(target.as_deref().unwrap_or(&r.source));
        if out.iter().any(|o| o.target == r.target) {
            return Err(item.error(&p, format!("{} is the target of two entries", r.target)));
        }
        out.push(r);
    }
    Ok(out)
}

/// A mode as compose reads it: a number (YAML `0440` is octal, as in the specification's
/// examples; a plain decimal like `288` is taken as written).
fn mode(node: &Node, path: &str) -> Res<u32> {
    let text = string(node, path)?;
    let parsed = if let Some(octal) = text.strip_prefix("0o") {
        u32::from_str_radix(octal, 8).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()
    } else {
        unsigned(node, path)
            .ok()
            .and_then(|n| u32::try_from(n).ok())
    };
    parsed.filter(|m| *m <= 0o7777).ok_or_else(|| {
        node.error(
            path,
            format!("bad mode '{text}': an octal number like 0440"),
        )
    })
}
