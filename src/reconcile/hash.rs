//! The config hash of a service: the sha256 (hex) of the canonical JSON (keys sorted, no
//! spaces) of the normalised [`ServiceSpec`], leaving out what must never recreate a
//! container: `replicas` (scale), `depends_on`, `build`, `pull_policy` and `profiles`.
//!
//! Alongside it, a short hash per top-level field ([`field_hashes`]), kept in a label, so that a
//! plan can say which fields changed ("recreate: environment, image") from the labels alone.
//! A field whose value is empty (`null`, `false`, `[]`, `{}`) has no entry, which keeps the
//! label short.
//!
//! The hash is fleetdeck's own: Docker Compose hashes its Go structure, so a container that
//! `docker compose up` made shows as changed (`config`) the first time fleetdeck plans it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::compose::ServiceSpec;

/// Fields the hash leaves out, so that scaling, ordering, building and pulling never recreate.
pub const HASH_EXCLUDED: &[&str] = &["replicas", "depends_on", "build", "pull_policy", "profiles"];

/// The service as the hash sees it: its JSON object less [`HASH_EXCLUDED`].
pub fn hashed_view(spec: &ServiceSpec) -> BTreeMap<String, Value> {
    let Ok(Value::Object(map)) = serde_json::to_value(spec) else {
        return BTreeMap::new();
    };
    map.into_iter()
        .filter(|(k, _)| !HASH_EXCLUDED.contains(&k.as_str()))
        .collect()
}

/// Canonical JSON: object keys sorted, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The config hash: 64 hex characters.
pub fn config_hash(spec: &ServiceSpec) -> String {
    let view: serde_json::Map<String, Value> = hashed_view(spec).into_iter().collect();
    sha256_hex(&canonical_json(&Value::Object(view)))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A short (8 hex) hash per hashed field whose value is not empty.
pub fn field_hashes(spec: &ServiceSpec) -> BTreeMap<String, String> {
    hashed_view(spec)
        .into_iter()
        .filter(|(_, v)| !is_empty(v))
        .map(|(k, v)| {
            let mut hash = sha256_hex(&canonical_json(&v));
            hash.truncate(8);
            (k, hash)
        })
        .collect()
}

/// [`field_hashes`] as a label value: `field=hash,field=hash`.
pub fn field_hashes_label(spec: &ServiceSpec) -> String {
    field_hashes(spec)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a [`field_hashes_label`] value back.
pub fn parse_field_hashes(label: &str) -> BTreeMap<String, String> {
    label
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn differing(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The hashed top-level fields in which two services differ, sorted (`["environment",
/// "image"]`). Empty exactly when their config hashes are equal.
pub fn changed_fields(old: &ServiceSpec, new: &ServiceSpec) -> Vec<String> {
    let (a, b) = (hashed_view(old), hashed_view(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The fields that differ between a container's field-hashes label and `spec`; `None` when the
/// container has no such label (it was not made by fleetdeck).
pub fn changed_fields_from_label(label: Option<&str>, spec: &ServiceSpec) -> Option<Vec<String>> {
    let old = parse_field_hashes(label?);
    Some(differing(&old, &field_hashes(spec)))
}
