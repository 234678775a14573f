//! Reading one compose file into a tree ready to merge: parse, check its keys against the
//! Compose Specification, interpolate, then resolve `extends` (a service of the same file or
//! of another, whose relative paths are made absolute against that file's directory) and
//! `include` (sub-projects loaded on their own, with their own project directory and `.env`,
//! whose services, networks, volumes, secrets and configs join the file's; a name defined on
//! both sides is an error, as in compose).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ComposeError;
use super::fields::{Res, join, string, strings};
use super::interp;
use super::merge::{merge_files, merge_service};
use super::yaml::{self, Key, Node, Value};

/// How deep `extends` and `include` may nest: far more than any real project, and a stop
/// for a cycle the stack check misses (a file reached by two spellings).
const MAX_DEPTH: usize = 32;

/// Reads, checks and interpolates one file.
pub(crate) fn read(file: &Path, env: &BTreeMap<String, String>) -> Res<Node> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| ComposeError::at(file, 0, "", format!("cannot read: {e}")))?;
    let arc: Arc<Path> = Arc::from(file);
    let mut doc = yaml::parse(&arc, &text)?;
    super::spec_check::check_file(&doc)?;
    super::interpolate_tree(&mut doc, "", env)?;
    Ok(doc)
}

/// Reads `file` and resolves its `extends` and `include`.
pub(crate) fn load_file(
    file: &Path,
    env: &BTreeMap<String, String>,
    process_env: &BTreeMap<String, String>,
    depth: usize,
) -> Res<Node> {
    let mut doc = read(file, env)?;
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    include(&mut doc, &dir, process_env, depth)?;
    extends(&mut doc, &dir, env, depth)?;
    Ok(doc)
}

/// `dir/rel` without `.` and `..` components; absolute and `~` paths as they are.
fn resolve(dir: &Path, rel: &str) -> String {
    if rel.starts_with('~') || rel.starts_with('/') {
        return rel.to_string();
    }
    super::mounts::lexical(&dir.join(rel))
}

fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

fn set_path(node: &mut Node, dir: &Path) {
    if let Value::Scalar(s) = &mut node.value
        && !is_remote(s)
    {
        *s = resolve(dir, s);
    }
}

/// Makes the relative paths of one service absolute against `dir`.
fn absolutize_service(service: &mut Node, dir: &Path) {
    let file = Arc::clone(&service.file);
    let line = service.line;
    let Value::Map(entries) = &mut service.value else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        match key.name.as_str() {
            "build" => match &mut value.value {
                Value::Scalar(_) => set_path(value, dir),
                Value::Map(build) => match build.iter_mut().find(|(k, _)| k.name == "context") {
                    Some((_, context)) => set_path(context, dir),
                    None => build.push((
                        Key {
                            name: "context".into(),
                            file: Arc::clone(&file),
                            line,
                        },
                        Node::new(&file, line, Value::Scalar(resolve(dir, "."))),
                    )),
                },
                _ => {}
            },
            "env_file" | "label_file" => match &mut value.value {
                Value::Scalar(_) => set_path(value, dir),
                Value::Seq(items) => {
                    for item in items {
                        match &mut item.value {
                            Value::Scalar(_) => set_path(item, dir),
                            Value::Map(m) => {
                                if let Some((_, p)) = m.iter_mut().find(|(k, _)| k.name == "path") {
                                    set_path(p, dir);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            },
            "volumes" => {
                if let Value::Seq(items) = &mut value.value {
                    items.iter_mut().for_each(|i| absolutize_volume(i, dir));
                }
            }
            "extends" => {
                if let Some((_, f)) = map_entry(value, "file") {
                    set_path(f, dir);
                }
            }
            _ => {}
        }
    }
}

fn map_entry<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut (Key, Node)> {
    match &mut node.value {
        Value::Map(m) => m.iter_mut().find(|(k, _)| k.name == key),
        _ => None,
    }
}

fn absolutize_volume(item: &mut Node, dir: &Path) {
    match &mut item.value {
        Value::Scalar(text) => {
            if let Some((source, rest)) = text.split_once(':')
                && source.starts_with('.')
            {
                *text = format!("{}:{rest}", resolve(dir, source));
            }
        }
        Value::Map(m) => {
            let bind = m.iter().any(|(k, v)| {
                k.name == "type" && matches!(&v.value, Value::Scalar(t) if t == "bind")
            });
            if bind && let Some((_, source)) = m.iter_mut().find(|(k, _)| k.name == "source") {
                set_path(source, dir);
            }
        }
        _ => {}
    }
}

/// Makes every relative path of a whole file absolute against `dir` (services, and the
/// `file:` of secrets and configs).
fn absolutize(doc: &mut Node, dir: &Path) {
    let Value::Map(entries) = &mut doc.value else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        let Value::Map(items) = &mut value.value else {
            continue;
        };
        for (_, item) in items.iter_mut() {
            match key.name.as_str() {
                "services" => absolutize_service(item, dir),
                "secrets" | "configs" => {
                    if let Some((_, f)) = map_entry(item, "file") {
                        set_path(f, dir);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Resolves every `extends` of the file `doc` (in `dir`).
fn extends(doc: &mut Node, dir: &Path, env: &BTreeMap<String, String>, depth: usize) -> Res<()> {
    let names: Vec<String> = match doc.get("services").map(|s| &s.value) {
        Some(Value::Map(items)) => items.iter().map(|(k, _)| k.name.clone()).collect(),
        _ => return Ok(()),
    };
    for name in names {
        let mut stack = Vec::new();
        resolve_service(doc, &name, dir, env, depth, &mut stack)?;
    }
    Ok(())
}

fn service_mut<'a>(doc: &'a mut Node, name: &str) -> Option<&'a mut Node> {
    map_entry(doc, "services")
        .and_then(|(_, s)| map_entry(s, name))
        .map(|(_, n)| n)
}

/// Resolves service `name` of `doc`: its `extends` chain merged under it, `extends` removed.
fn resolve_service(
    doc: &mut Node,
    name: &str,
    dir: &Path,
    env: &BTreeMap<String, String>,
    depth: usize,
    stack: &mut Vec<(PathBuf, String)>,
) -> Res<()> {
    let file = doc.file.to_path_buf();
    let Some(service) = service_mut(doc, name) else {
        return Ok(());
    };
    let Some(ext) = service.get("extends").cloned() else {
        return Ok(());
    };
    let path = format!("services.{name}.extends");
    if stack.iter().any(|(f, s)| *f == file && s == name) || stack.len() > MAX_DEPTH {
        return Err(ext.error(&path, format!("service '{name}' extends itself (a cycle)")));
    }
    stack.push((file.clone(), name.to_string()));
    let (base_name, base_file) = match &ext.value {
        Value::Scalar(s) => (s.clone(), None),
        _ => {
            let base = ext
                .get("service")
                .ok_or_else(|| ext.error(&path, "extends needs 'service'"))?;
            let base = string(base, &join(&path, "service"))?;
            let f = ext
                .get("file")
                .map(|f| string(f, &join(&path, "file")))
                .transpose()?;
            (base, f)
        }
    };
    let mut base = match base_file {
        Some(f) => {
            if depth >= MAX_DEPTH {
                return Err(ext.error(&path, "extends nests too deep"));
            }
            let full = PathBuf::from(resolve(dir, &f));
            let mut other = read(&full, env)?;
            let other_dir = full.parent().unwrap_or(Path::new("/")).to_path_buf();
            resolve_service(&mut other, &base_name, &other_dir, env, depth + 1, stack)?;
            let mut node = service_mut(&mut other, &base_name)
                .cloned()
                .ok_or_else(|| {
                    ext.error(
                        &path,
                        format!("no service '{base_name}' in {}", full.display()),
                    )
                })?;
            absolutize_service(&mut node, &other_dir);
            node
        }
        None => {
            resolve_service(doc, &base_name, dir, env, depth, stack)?;
            service_mut(doc, &base_name)
                .cloned()
                .ok_or_else(|| ext.error(&path, format!("no service '{base_name}' to extend")))?
        }
    };
    stack.pop();
    let Some(service) = service_mut(doc, name) else {
        return Ok(());
    };
    let mut own = service.clone();
    if let Value::Map(m) = &mut own.value {
        m.retain(|(k, _)| k.name != "extends");
    }
    merge_service(&mut base, own)?;
    base.file = Arc::clone(&service.file);
    base.line = service.line;
    *service = base;
    Ok(())
}

/// One `include` entry: its files, project directory and env files.
fn include_entry(
    item: &Node,
    path: &str,
    dir: &Path,
) -> Res<(Vec<PathBuf>, PathBuf, Vec<PathBuf>)> {
    let (paths, project_dir, env_files) = match &item.value {
        Value::Scalar(s) => (vec![s.clone()], None, Vec::new()),
        _ => {
            let paths = item
                .get("path")
                .map(|p| strings(p, &join(path, "path"), true))
                .transpose()?
                .ok_or_else(|| item.error(path, "an include needs 'path'"))?;
            let pd = item
                .get("project_directory")
                .map(|p| string(p, &join(path, "project_directory")))
                .transpose()?;
            let ef = item
                .get("env_file")
                .map(|p| strings(p, &join(path, "env_file"), true))
                .transpose()?
                .unwrap_or_default();
            (paths, pd, ef)
        }
    };
    let paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| PathBuf::from(resolve(dir, p)))
        .collect();
    let first_dir = paths
        .first()
        .and_then(|p| p.parent())
        .unwrap_or(dir)
        .to_path_buf();
    let project_dir = project_dir.map_or(first_dir, |p| PathBuf::from(resolve(dir, &p)));
    let env_files = if env_files.is_empty() {
        vec![project_dir.join(".env")]
    } else {
        env_files
            .iter()
            .map(|p| PathBuf::from(resolve(dir, p)))
            .collect()
    };
    Ok((paths, project_dir, env_files))
}

/// Loads the `include`s of `doc` (in `dir`) into it, and removes the key.
fn include(
    doc: &mut Node,
    dir: &Path,
    process_env: &BTreeMap<String, String>,
    depth: usize,
) -> Res<()> {
    let Some(list) = doc.get("include").cloned() else {
        return Ok(());
    };
    if let Value::Map(m) = &mut doc.value {
        m.retain(|(k, _)| k.name != "include");
    }
    let Value::Seq(items) = &list.value else {
        return Err(list.error("include", "expected a list"));
    };
    if depth >= MAX_DEPTH {
        return Err(list.error("include", "include nests too deep (a cycle?)"));
    }
    for (i, item) in items.iter().enumerate() {
        let path = format!("include[{i}]");
        let (paths, project_dir, env_files) = include_entry(item, &path, dir)?;
        let mut env = BTreeMap::new();
        for f in &env_files {
            if let Ok(text) = std::fs::read_to_string(f) {
                let vars = interp::parse_env_file(&text, process_env)
                    .map_err(|e| ComposeError::at(f, e.line, &e.key, e.message))?;
                env.extend(vars);
            }
        }
        env.extend(process_env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut merged: Option<Node> = None;
        for p in &paths {
            let sub = load_file(p, &env, process_env, depth + 1)?;
            match &mut merged {
                None => merged = Some(sub),
                Some(base) => merge_files(base, sub)?,
            }
        }
        let Some(mut sub) = merged else {
            continue;
        };
        absolutize(&mut sub, &project_dir);
        add_included(doc, sub, item, &path)?;
    }
    Ok(())
}

/// Adds the resources of an included project; a name on both sides is an error.
fn add_included(doc: &mut Node, sub: Node, at: &Node, path: &str) -> Res<()> {
    let Value::Map(sections) = sub.value else {
        return Ok(());
    };
    let Value::Map(entries) = &mut doc.value else {
        return Ok(());
    };
    for (key, value) in sections {
        if !matches!(
            key.name.as_str(),
            "services" | "networks" | "volumes" | "secrets" | "configs"
        ) {
            continue;
        }
        let Value::Map(items) = value.value else {
            continue;
        };
        let slot = match entries.iter_mut().find(|(k, _)| k.name == key.name) {
            Some((_, s)) => s,
            None => {
                entries.push((
                    key.clone(),
                    Node::new(&at.file, at.line, Value::Map(Vec::new())),
                ));
                let Some((_, s)) = entries.last_mut() else {
                    continue;
                };
                s
            }
        };
        if matches!(slot.value, Value::Null) {
            slot.value = Value::Map(Vec::new());
        }
        let Value::Map(existing) = &mut slot.value else {
            return Err(slot.error(&key.name, "expected a mapping"));
        };
        for (k, v) in items {
            if let Some((mine, _)) = existing.iter().find(|(e, _)| e.name == k.name) {
                return Err(ComposeError::at(
                    &mine.file,
                    mine.line,
                    &format!("{}.{}", key.name, k.name),
                    format!(
                        "{} '{}' is also defined by an included file ({}: {})",
                        key.name,
                        k.name,
                        path,
                        v.file.display()
                    ),
                ));
            }
            existing.push((k, v));
        }
    }
    Ok(())
}
