//! The first check of every compose file: each mapping key is one the Compose Specification
//! defines there (or an `x-` extension key), whatever fleetdeck then does with it. The tree of
//! keys is generated from the specification's JSON schema ([`super::spec_keys`]); the values
//! are checked later by the typed readers.

use super::ComposeError;
use super::fields::join;
use super::yaml::{Node, Value};

/// Which keys a mapping may hold, and what a list holds.
pub(crate) struct Shape {
    pub map: Map,
    pub items: Option<&'static Shape>,
}

pub(crate) enum Map {
    /// Any keys (labels, options, free-form values).
    Free,
    /// Exactly these keys.
    Keys(&'static [(&'static str, &'static Shape)]),
    /// Names of the user's choosing, each holding this.
    Dict(&'static Shape),
}

/// A value with no keys to check.
pub(crate) static ANY: Shape = Shape {
    map: Map::Free,
    items: None,
};

/// Checks `node` (a whole file) against the specification.
pub(crate) fn check_file(node: &Node) -> Result<(), ComposeError> {
    check(node, "", &super::spec_keys::ROOT)
}

fn check(node: &Node, path: &str, shape: &Shape) -> Result<(), ComposeError> {
    match (&node.value, &shape.map) {
        (Value::Map(entries), Map::Keys(keys)) => {
            for (key, value) in entries {
                if key.name.starts_with("x-") {
                    continue;
                }
                let p = join(path, &key.name);
                let Some((_, inner)) = keys.iter().find(|(k, _)| *k == key.name) else {
                    return Err(ComposeError::at(
                        &key.file,
                        key.line,
                        &p,
                        format!(
                            "unsupported key '{}': the Compose Specification has no such key here",
                            key.name
                        ),
                    ));
                };
                check(value, &p, inner)?;
            }
        }
        (Value::Map(entries), Map::Dict(inner)) => {
            for (key, value) in entries {
                if key.name.starts_with("x-") {
                    continue;
                }
                check(value, &join(path, &key.name), inner)?;
            }
        }
        (Value::Seq(items), _) => {
            if let Some(inner) = shape.items {
                for (i, item) in items.iter().enumerate() {
                    check(item, &format!("{path}[{i}]"), inner)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
