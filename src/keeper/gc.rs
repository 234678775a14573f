//! GC: removes what fleetdeck left behind. [`plan`] is pure (containers, the time, this host and
//! a liveness test in; a verdict with its reason per owned container out); [`collect`] lists the
//! owned containers, plans, and removes through the action layer (audited), recording each
//! removal in the store.
//!
//! The rules, in order, for a container labelled `fleetdeck.owner=fleetdeck` (any other is
//! never looked at, let alone removed):
//! 1. outside the `--group` asked for: not listed;
//! 2. `fleetdeck.gc.protected-until` in the future (or unreadable): kept;
//! 3. an owner process on this host (`fleetdeck.owner.host`) that is gone (no `/proc/PID`, or
//!    a process there that started at another time than `fleetdeck.owner.start`): removed,
//!    a keeper's job named as the keeper instance that is gone;
//! 4. a one-shot container (`fleetdeck.kind`) older than the max age: removed;
//! 5. else kept (owner alive, owner on another host, a compose container with no owner process).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::actions::run::{
    GROUP_LABEL, KIND_LABEL, OWNER_HOST_LABEL, OWNER_ID_LABEL, OWNER_KIND_LABEL, OWNER_LABEL,
    OWNER_PID_LABEL, OWNER_START_LABEL, PROTECTED_UNTIL_LABEL, process_start,
};
use crate::actions::{Action, ActionContext, Target};
use crate::engine::{Container, ContainerId, EngineError};
use crate::store::{NOTE_GC_REMOVE, StoreWriter};

/// What one GC run considers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcOptions {
    /// Remove owned one-shot containers older than this too.
    pub max_age: Option<Duration>,
    /// Only this group's containers.
    pub group: Option<String>,
    /// Decide and report, remove nothing.
    pub dry_run: bool,
}

/// The verdict on one owned container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcItem {
    pub id: ContainerId,
    pub name: String,
    pub group: Option<String>,
    /// Whether GC removes it.
    pub remove: bool,
    pub reason: String,
    /// After a run: whether it was removed (always false in a dry run).
    pub removed: bool,
    /// After a run: why the removal failed.
    pub error: Option<String>,
}

/// Whether `pid` is alive and (when known) the process that started at `start`.
pub fn owner_alive(pid: u32, start: Option<u64>) -> bool {
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        return false;
    }
    match start {
        None => true,
        Some(s) => match process_start(&pid.to_string()) {
            Some(now) => now == s,
            // It went between the two reads.
            None => false,
        },
    }
}

fn label<'a>(c: &'a Container, key: &str) -> Option<&'a str> {
    c.labels.get(key).map(String::as_str)
}

/// Decides on every owned container of `containers` (in name order).
pub fn plan(
    containers: &[Container],
    now: DateTime<Utc>,
    this_host: &str,
    alive: impl Fn(u32, Option<u64>) -> bool,
    opts: &GcOptions,
) -> Vec<GcItem> {
    let mut items: Vec<GcItem> = containers
        .iter()
        .filter(|c| label(c, OWNER_LABEL) == Some("fleetdeck"))
        .filter(|c| {
            opts.group
                .as_deref()
                .is_none_or(|g| label(c, GROUP_LABEL) == Some(g))
        })
        .map(|c| {
            let (remove, reason) = decide(c, now, this_host, &alive, opts);
            GcItem {
                id: c.id.clone(),
                name: c.name.clone(),
                group: label(c, GROUP_LABEL).map(str::to_string),
                remove,
                reason,
                removed: false,
                error: None,
            }
        })
        .collect();
    items.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    items
}

fn decide(
    c: &Container,
    now: DateTime<Utc>,
    this_host: &str,
    alive: &impl Fn(u32, Option<u64>) -> bool,
    opts: &GcOptions,
) -> (bool, String) {
    if let Some(until) = label(c, PROTECTED_UNTIL_LABEL) {
        match DateTime::parse_from_rfc3339(until.trim()) {
            Ok(t) if now < t.with_timezone(&Utc) => {
                return (false, format!("protected until {until}"));
            }
            Ok(_) => {}
            Err(_) => {
                return (
                    false,
                    format!("protected: {PROTECTED_UNTIL_LABEL} '{until}' is not an RFC 3339 time"),
                );
            }
        }
    }
    let pid = label(c, OWNER_PID_LABEL).and_then(|p| p.trim().parse::<u32>().ok());
    let host = label(c, OWNER_HOST_LABEL);
    let start = label(c, OWNER_START_LABEL).and_then(|s| s.trim().parse::<u64>().ok());
    let keeper = (label(c, OWNER_KIND_LABEL) == Some("keeper"))
        .then(|| label(c, OWNER_ID_LABEL).unwrap_or("?"));
    let mut kept_because = match (pid, host) {
        (Some(pid), Some(h)) if h == this_host => {
            if !alive(pid, start) {
                let reason = match keeper {
                    Some(id) => format!("its keeper instance {id} (pid {pid}) is gone"),
                    None => format!("its owner process {pid} on {h} is gone"),
                };
                return (true, reason);
            }
            match keeper {
                Some(id) => format!("its keeper instance {id} (pid {pid}) is alive"),
                None => format!("its owner process {pid} is alive"),
            }
        }
        (Some(pid), Some(h)) => format!("its owner process {pid} is on another host ({h})"),
        _ => "no owner process (a compose container): not a one-shot".to_string(),
    };
    let one_shot = label(c, KIND_LABEL).is_some() && pid.is_some();
    if let (Some(max), Some(created), true) = (opts.max_age, c.created, one_shot) {
        let age = now
            .signed_duration_since(created)
            .to_std()
            .unwrap_or_default();
        if age > max {
            return (
                true,
                format!(
                    "older than the max age {} (created {})",
                    humantime::format_duration(max),
                    created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            );
        }
        kept_because.push_str(", and younger than the max age");
    }
    (false, kept_because)
}

/// Lists the owned containers, plans, and (unless a dry run) removes those to remove, through
/// the action layer; each removal is recorded as `gc.remove` with its reason.
pub async fn collect(
    ctx: &ActionContext,
    store: Option<&StoreWriter>,
    this_host: &str,
    opts: &GcOptions,
) -> Result<Vec<GcItem>, EngineError> {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{OWNER_LABEL}=fleetdeck")],
    )]);
    let containers = ctx.endpoint.list(&filters).await?;
    let mut items = plan(&containers, Utc::now(), this_host, owner_alive, opts);
    if opts.dry_run {
        return Ok(items);
    }
    let action = Action::Remove {
        force: true,
        volumes: true,
    };
    let by_id: HashMap<&ContainerId, &Container> = containers.iter().map(|c| (&c.id, c)).collect();
    for item in items.iter_mut().filter(|i| i.remove) {
        let target = Target {
            id: item.id.clone(),
            name: item.name.clone(),
        };
        let report = ctx.execute(&action, &target).await;
        match &report.result {
            Ok(_) => {
                item.removed = true;
                if let Some(store) = store {
                    // Its row (name, image, owner, labels) first: `history NAME` finds what
                    // GC removed, also a container nothing else recorded.
                    if let Some(container) = by_id.get(&item.id) {
                        store.record_container(&ctx.endpoint.address, container);
                    }
                    store.record_note(
                        &ctx.endpoint.address,
                        &item.id.0,
                        NOTE_GC_REMOVE,
                        serde_json::json!({ "name": item.name, "reason": item.reason }),
                    );
                }
            }
            Err(e) => item.error = Some(e.to_string()),
        }
        if let (Some(e), None) = (&report.audit_error, &item.error) {
            item.error = Some(format!("removed, but the audit line failed: {e}"));
        }
    }
    Ok(items)
}

#[cfg(test)]
#[path = "gc_tests.rs"]
mod tests;
