//! What a file set says that fleetdeck accepts and does not act on, said once per kind of key
//! with the services that use it ("deploy.placement (services api, web): ignored: ...").

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// Collected warnings: (key, why, ignored) → where.
#[derive(Debug, Default)]
pub(crate) struct Warn(RefCell<BTreeMap<(String, String, bool), BTreeSet<String>>>);

impl Warn {
    /// `key` (a path below the service, `deploy.placement`) of `owner` (`service web`, or
    /// `networks.front` for a top-level key) is ignored because `why`.
    pub fn ignored(&self, key: &str, owner: &str, why: &str) {
        self.add(key, owner, why, true);
    }

    /// `key` of `owner` is accepted, and `what` will follow from it (not ignored).
    pub fn note(&self, key: &str, owner: &str, what: &str) {
        self.add(key, owner, what, false);
    }

    fn add(&self, key: &str, owner: &str, why: &str, ignored: bool) {
        self.0
            .borrow_mut()
            .entry((key.to_string(), why.to_string(), ignored))
            .or_default()
            .insert(owner.to_string());
    }

    /// One line per kind of key.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .borrow()
            .iter()
            .map(|((key, why, ignored), owners)| {
                let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
                let word = if *ignored { "ignored: " } else { "" };
                format!("{key} ({}): {word}{why}", owners.join(", "))
            })
            .collect()
    }
}

/// Why each Swarm-only or otherwise unused key is ignored.
pub(crate) const SWARM: &str = "only Swarm uses it (as docker compose)";
