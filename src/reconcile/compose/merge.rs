//! Merging several compose files into one, as `docker compose -f a -f b` does: each file is
//! interpolated on its own, then later files override earlier ones.
//!
//! - Mappings merge key by key, recursively (`services`, each service, `deploy`, `healthcheck`,
//!   `logging`, top-level `networks` / `volumes` ...); a scalar or a value of another shape
//!   replaces the earlier one.
//! - `environment`, `labels` (list `K=V` or map), `networks`, `depends_on` (list or map),
//!   `ulimits`: brought to the map form, then merged key by key (later wins per key).
//! - `volumes`: merged by container target path (a later mount on the same target replaces it).
//! - `ports`, `cap_add`, `cap_drop`, `security_opt`, `dns`, `tmpfs`, `env_file`, `extra_hosts`,
//!   `profiles` and any other list: appended, an entry equal to one already there dropped.
//! - `command`, `entrypoint`, `healthcheck.test`: replaced whole.

use super::ComposeError;
use super::yaml::{Key, Node, Tag, Value};

/// Applies a tagged value of a later file to the entries of an earlier one: `!reset` removes
/// the key, `!override` replaces its value whole. `false` when `value` has no compose tag.
fn tagged(entries: &mut Vec<(Key, Node)>, key: &Key, value: &Node) -> bool {
    match value.tag {
        Tag::None => false,
        Tag::Reset => {
            entries.retain(|(k, _)| k.name != key.name);
            true
        }
        Tag::Override => {
            let mut value = value.clone();
            value.tag = Tag::None;
            match entries.iter_mut().find(|(k, _)| k.name == key.name) {
                Some((_, slot)) => *slot = value,
                None => entries.push((key.clone(), value)),
            }
            true
        }
    }
}

/// Removes what is tagged `!reset` and forgets `!override` tags, once every merge is done.
pub(crate) fn strip_tags(node: &mut Node) {
    node.tag = Tag::None;
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(_, v)| v.tag != Tag::Reset);
            for (_, v) in entries {
                strip_tags(v);
            }
        }
        Value::Seq(items) => {
            items.retain(|v| v.tag != Tag::Reset);
            for v in items {
                strip_tags(v);
            }
        }
        _ => {}
    }
}

/// Whether two nodes hold the same value, wherever they came from.
pub(crate) fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Scalar(x), Value::Scalar(y)) => x == y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(l, _)| l.name == k.name)
                        .is_some_and(|(_, w)| same(v, w))
                })
        }
        _ => false,
    }
}

/// Merges `over` into `base` (two whole files).
pub(crate) fn merge_files(base: &mut Node, over: Node) -> Result<(), ComposeError> {
    let (Value::Map(base_entries), Value::Map(over_entries)) = (&mut base.value, over.value) else {
        return Ok(());
    };
    for (key, value) in over_entries {
        if tagged(base_entries, &key, &value) {
            continue;
        }
        let slot = base_entries.iter_mut().find(|(k, _)| k.name == key.name);
        match (key.name.as_str(), slot) {
            ("services", Some((_, existing))) => merge_named(existing, value, merge_service)?,
            ("networks" | "volumes", Some((_, existing))) => {
                merge_named(existing, value, |a, b| {
                    deep(a, b, "");
                    Ok(())
                })?;
            }
            (_, Some((k, existing))) => {
                *k = key;
                *existing = value;
            }
            (_, None) => base_entries.push((key, value)),
        }
    }
    Ok(())
}

/// Merges two mappings of named things (services, networks ...) entry by entry with `each`.
fn merge_named(
    base: &mut Node,
    over: Node,
    each: impl Fn(&mut Node, Node) -> Result<(), ComposeError>,
) -> Result<(), ComposeError> {
    match (&mut base.value, over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (key, value) in over_entries {
                if tagged(base_entries, &key, &value) {
                    continue;
                }
                match base_entries.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((_, existing)) => each(existing, value)?,
                    None => base_entries.push((key, value)),
                }
            }
        }
        (_, value) => {
            base.value = value;
        }
    }
    Ok(())
}

/// Merges one service's definition over another's (later files, `extends`).
pub(crate) fn merge_service(base: &mut Node, over: Node) -> Result<(), ComposeError> {
    let Value::Map(base_entries) = &mut base.value else {
        *base = over;
        return Ok(());
    };
    let Value::Map(over_entries) = over.value else {
        base.value = over.value;
        return Ok(());
    };
    for (key, value) in over_entries {
        if tagged(base_entries, &key, &value) {
            continue;
        }
        let Some((_, existing)) = base_entries.iter_mut().find(|(k, _)| k.name == key.name) else {
            base_entries.push((key, value));
            continue;
        };
        match key.name.as_str() {
            "environment" | "labels" => {
                to_map(existing, true)?;
                let mut value = value;
                to_map(&mut value, true)?;
                deep(existing, value, "");
            }
            "networks" | "depends_on" | "ulimits" => {
                to_map(existing, false)?;
                let mut value = value;
                to_map(&mut value, false)?;
                deep(existing, value, "");
            }
            "volumes" => merge_volumes(existing, value),
            "command" | "entrypoint" => *existing = value,
            _ => deep(existing, value, &key.name),
        }
    }
    Ok(())
}

/// Recursive merge: maps key by key, lists appended without repeats (`command`, `entrypoint`,
/// `test` replaced), anything else replaced.
fn deep(base: &mut Node, over: Node, key: &str) {
    match (&mut base.value, over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (k, v) in over_entries {
                if tagged(base_entries, &k, &v) {
                    continue;
                }
                match base_entries.iter_mut().find(|(e, _)| e.name == k.name) {
                    Some((_, existing)) => deep(existing, v, &k.name),
                    None => base_entries.push((k, v)),
                }
            }
        }
        (Value::Seq(items), Value::Seq(more))
            if !matches!(key, "command" | "entrypoint" | "test") =>
        {
            for item in more {
                if !items.iter().any(|i| same(i, &item)) {
                    items.push(item);
                }
            }
        }
        (Value::Scalar(s), Value::Seq(more)) if matches!(key, "dns" | "tmpfs" | "env_file") => {
            let first = Node::new(&base.file, base.line, Value::Scalar(s.clone()));
            let mut items = vec![first];
            for item in more {
                if !items.iter().any(|i| same(i, &item)) {
                    items.push(item);
                }
            }
            base.value = Value::Seq(items);
        }
        (_, value) => {
            base.value = value;
            base.file = over.file;
            base.line = over.line;
        }
    }
}

/// Brings a list form (`- K=V`, `- name`) to the map form; `split` splits items at `=`.
pub(crate) fn to_map(node: &mut Node, split: bool) -> Result<(), ComposeError> {
    let Value::Seq(items) = &node.value else {
        return Ok(());
    };
    let mut entries: Vec<(Key, Node)> = Vec::new();
    for item in items {
        let Value::Scalar(text) = &item.value else {
            return Err(item.error("", "expected a string entry"));
        };
        let (name, value) = match text.split_once('=') {
            Some((k, v)) if split => (k.to_string(), Value::Scalar(v.to_string())),
            _ => (text.clone(), Value::Null),
        };
        entries.retain(|(k, _)| k.name != name);
        entries.push((
            Key {
                name,
                file: item.file.clone(),
                line: item.line,
            },
            Node::new(&item.file, item.line, value),
        ));
    }
    node.value = Value::Map(entries);
    Ok(())
}

/// The container path a `volumes` entry mounts on, in either syntax.
fn volume_target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar(text) => {
            let parts: Vec<&str> = text.split(':').collect();
            Some(parts.get(1).unwrap_or(&parts[0]).to_string())
        }
        Value::Map(_) => match node.get("target").map(|t| &t.value) {
            Some(Value::Scalar(t)) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn merge_volumes(base: &mut Node, over: Node) {
    let (Value::Seq(items), Value::Seq(more)) = (&mut base.value, &over.value) else {
        *base = over;
        return;
    };
    for item in more {
        let target = volume_target(item);
        match items
            .iter_mut()
            .find(|i| target.is_some() && volume_target(i) == target)
        {
            Some(slot) => *slot = item.clone(),
            None => items.push(item.clone()),
        }
    }
}
