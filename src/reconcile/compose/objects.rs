//! Top-level objects' parts read into the model: `external:` and a network's `ipam:`
//! ([`Ipam`], [`IpamPool`]).

use super::fields::{Res, boolean, entries, join, opt_string, str_map};
use super::model::{Ipam, IpamPool};
use super::yaml::{Node, Value};

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
