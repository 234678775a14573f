//! How each record becomes rows: an event row (with the attributes that are not labels), and an
//! upsert of the container's row from what the record says (state, exit, OOM, times, owner and
//! group from the labels).

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{Transaction, params};

use super::writer::{Record, nanos};
use super::{
    GROUP_LABEL, KIND_LABEL, NOTE_GC_REMOVE, OWNER_HOST_LABEL, OWNER_ID_LABEL, OWNER_PID_LABEL,
};
use crate::engine::{Container, ContainerEvent, ContainerId, EventAction};

/// Event attributes kept in the event row; the rest are labels, kept once per container.
const EVENT_ATTRIBUTES: &[&str] = &["exitCode", "signal", "oldName", "name", "execID"];

const INSERT_EVENT: &str = "INSERT INTO events (time, host, container_id, action, exit_code, attributes) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Upsert from an event: only what the event says replaces what is known.
const UPSERT_FROM_EVENT: &str = "INSERT INTO containers \
     (id, short_id, host, name, image, owner_kind, owner_id, owner_host, owner_pid, grp, status, \
      exit_code, oom, created_at, started_at, finished_at, removed_at, labels) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, coalesce(?13, 0), ?14, ?15, ?16, ?17, ?18) \
     ON CONFLICT(id) DO UPDATE SET \
       host = ?3, name = coalesce(?4, name), image = coalesce(?5, image), \
       owner_kind = coalesce(?6, owner_kind), owner_id = coalesce(?7, owner_id), \
       owner_host = coalesce(?8, owner_host), owner_pid = coalesce(?9, owner_pid), \
       grp = coalesce(?10, grp), status = coalesce(?11, status), \
       exit_code = coalesce(?12, exit_code), oom = coalesce(?13, oom), \
       created_at = coalesce(?14, created_at), started_at = coalesce(?15, started_at), \
       finished_at = coalesce(?16, finished_at), removed_at = coalesce(?17, removed_at), \
       labels = coalesce(?18, labels)";

/// Upsert from a full container: its state replaces what is known (a removal stays).
const UPSERT_CONTAINER: &str = "INSERT INTO containers \
     (id, short_id, host, name, image, owner_kind, owner_id, owner_host, owner_pid, grp, status, \
      exit_code, oom, created_at, started_at, finished_at, labels) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
     ON CONFLICT(id) DO UPDATE SET \
       host = ?3, name = ?4, image = ?5, owner_kind = ?6, owner_id = ?7, owner_host = ?8, \
       owner_pid = ?9, grp = ?10, \
       status = CASE WHEN removed_at IS NULL THEN ?11 ELSE status END, \
       exit_code = coalesce(?12, exit_code), oom = ?13, \
       created_at = coalesce(?14, created_at), started_at = coalesce(?15, started_at), \
       finished_at = coalesce(?16, finished_at), labels = ?17";

/// The state an event changes, for a container whose row is already written.
const UPDATE_STATE: &str = "UPDATE containers SET \
       status = coalesce(?2, status), exit_code = coalesce(?3, exit_code), \
       oom = coalesce(?4, oom), created_at = coalesce(?5, created_at), \
       started_at = coalesce(?6, started_at), finished_at = coalesce(?7, finished_at), \
       removed_at = coalesce(?8, removed_at) \
     WHERE id = ?1";

/// Containers whose full row (name, image, owner, labels) this writer has written: their
/// later events only update the state, or nothing, instead of rewriting the labels.
#[derive(Debug, Default)]
pub struct Known(std::collections::HashSet<String>);

/// Entries the cache holds before it starts again (a bound, not a limit on the fleet).
const KNOWN_MAX: usize = 100_000;

impl Known {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if self.0.len() >= KNOWN_MAX {
            self.0.clear();
        }
        self.0.insert(id.to_string());
    }
}

/// A note's container: its row made if missing, and its name (a note's `name`) filled in when
/// not known, so that a container only a note was written about (one `gc` removed) is found by
/// name after it is gone.
const ENSURE_CONTAINER: &str = "INSERT INTO containers (id, short_id, host, name) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET name = coalesce(name, ?4)";

/// A note that says fleetdeck removed the container (`gc.remove`): its row marks it removed,
/// as the daemon's `destroy` event would (no watcher may have been there to see that one).
const NOTE_REMOVED: &str = "UPDATE containers SET status = 'removed', \
     removed_at = coalesce(removed_at, ?2) WHERE id = ?1";

const PROTECT: &str = "INSERT INTO containers (id, short_id, host, gc_protected_until) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET gc_protected_until = ?4";

/// The word stored for an event's action.
pub fn action_word(action: &EventAction) -> String {
    match action {
        EventAction::Create => "create".into(),
        EventAction::Start => "start".into(),
        EventAction::Die(_) => "die".into(),
        EventAction::Kill(_) => "kill".into(),
        EventAction::Oom => "oom".into(),
        EventAction::HealthStatus(Some(h)) => format!("health_status: {}", h.as_str()),
        EventAction::HealthStatus(None) => "health_status".into(),
        EventAction::Pause => "pause".into(),
        EventAction::Unpause => "unpause".into(),
        EventAction::Rename(_) => "rename".into(),
        EventAction::Destroy => "destroy".into(),
        EventAction::Stop => "stop".into(),
        EventAction::Restart => "restart".into(),
        EventAction::Other(word) => word.clone(),
    }
}

/// Owner kind, id, host, pid and group, from the labels.
type Owner = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn owner(labels: &BTreeMap<String, String>) -> Owner {
    (
        labels.get(KIND_LABEL).cloned(),
        labels.get(OWNER_ID_LABEL).cloned(),
        labels.get(OWNER_HOST_LABEL).cloned(),
        labels.get(OWNER_PID_LABEL).and_then(|p| p.parse().ok()),
        labels.get(GROUP_LABEL).cloned(),
    )
}

fn short(id: &str) -> String {
    ContainerId(id.to_string()).short().to_string()
}

/// Writes one record.
pub(super) fn write(
    tx: &Transaction<'_>,
    record: &Record,
    known: &mut Known,
) -> rusqlite::Result<()> {
    match record {
        Record::Event(host, event) => write_event(tx, host, event, known),
        Record::Container(host, container) => {
            write_container(tx, host, container)?;
            known.insert(&container.id.0);
            Ok(())
        }
        Record::Note {
            host,
            container_id,
            action,
            attributes,
            time,
        } => {
            let exit_code = attributes
                .get("exit_code")
                .and_then(serde_json::Value::as_i64);
            let name = attributes
                .get("name")
                .and_then(serde_json::Value::as_str)
                .map(|n| n.strip_prefix('/').unwrap_or(n));
            tx.prepare_cached(ENSURE_CONTAINER)?.execute(params![
                container_id,
                short(container_id),
                host,
                name
            ])?;
            tx.prepare_cached(INSERT_EVENT)?.execute(params![
                nanos(*time),
                host,
                container_id,
                action,
                exit_code,
                attributes.to_string()
            ])?;
            if action == NOTE_GC_REMOVE {
                tx.prepare_cached(NOTE_REMOVED)?
                    .execute(params![container_id, nanos(*time)])?;
            }
            Ok(())
        }
        Record::Protect {
            host,
            container_id,
            until,
        } => {
            tx.prepare_cached(PROTECT)?.execute(params![
                container_id,
                short(container_id),
                host,
                until.map(nanos)
            ])?;
            Ok(())
        }
        Record::Alert(alert) => super::alerts::insert(tx, alert),
        Record::AlertState(update) => super::alerts::update(tx, update),
    }
}

fn write_event(
    tx: &Transaction<'_>,
    host: &str,
    event: &ContainerEvent,
    known: &mut Known,
) -> rusqlite::Result<()> {
    let time = nanos(event.time.unwrap_or_else(Utc::now));
    let id = event.id.0.as_str();
    let exit_code = match event.action {
        EventAction::Die(code) => code,
        _ => None,
    };
    insert_event(tx, host, event, time, exit_code)?;
    let state = EventState::of(event, time);
    let renamed = matches!(event.action, EventAction::Rename(_));
    if known.contains(id) && !renamed {
        if state.status.is_some() || state.oom.is_some() {
            tx.prepare_cached(UPDATE_STATE)?.execute(params![
                id,
                state.status,
                exit_code,
                state.oom,
                state.created,
                state.started,
                state.finished,
                state.removed
            ])?;
        }
        return Ok(());
    }
    upsert_from_event(tx, host, event, &state, exit_code)?;
    known.insert(id);
    Ok(())
}

/// The event's own row, with the attributes the store keeps.
fn insert_event(
    tx: &Transaction<'_>,
    host: &str,
    event: &ContainerEvent,
    time: i64,
    exit_code: Option<i64>,
) -> rusqlite::Result<()> {
    let kept: BTreeMap<&str, &str> = event
        .attributes
        .iter()
        .filter(|(k, _)| EVENT_ATTRIBUTES.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let attributes = (!kept.is_empty())
        .then(|| serde_json::to_string(&kept).ok())
        .flatten();
    tx.prepare_cached(INSERT_EVENT)?.execute(params![
        time,
        host,
        event.id.0.as_str(),
        action_word(&event.action),
        exit_code,
        attributes
    ])?;
    Ok(())
}

/// What an event says of its container's state (each `None` where it says nothing).
#[derive(Default)]
struct EventState {
    status: Option<&'static str>,
    oom: Option<i64>,
    created: Option<i64>,
    started: Option<i64>,
    finished: Option<i64>,
    removed: Option<i64>,
    name: Option<String>,
}

impl EventState {
    fn of(event: &ContainerEvent, time: i64) -> Self {
        let mut state = Self {
            name: event.name.clone(),
            ..Self::default()
        };
        match &event.action {
            EventAction::Create => {
                state.status = Some("created");
                state.created = Some(time);
            }
            EventAction::Start => {
                state.status = Some("running");
                state.started = Some(time);
                state.oom = Some(0);
            }
            EventAction::Restart | EventAction::Unpause => state.status = Some("running"),
            EventAction::Die(_) => {
                state.status = Some("exited");
                state.finished = Some(time);
            }
            EventAction::Oom => state.oom = Some(1),
            EventAction::Pause => state.status = Some("paused"),
            EventAction::Destroy => {
                state.status = Some("removed");
                state.removed = Some(time);
            }
            EventAction::Rename(new) => state.name = Some(new.clone()),
            _ => {}
        }
        state
    }
}

/// The container's row, made or brought up to date from what the event says.
fn upsert_from_event(
    tx: &Transaction<'_>,
    host: &str,
    event: &ContainerEvent,
    state: &EventState,
    exit_code: Option<i64>,
) -> rusqlite::Result<()> {
    let id = event.id.0.as_str();
    let labels = event.labels();
    let (kind, owner_id, owner_host, owner_pid, group) = owner(&labels);
    let labels = (!labels.is_empty())
        .then(|| serde_json::to_string(&labels).ok())
        .flatten();
    tx.prepare_cached(UPSERT_FROM_EVENT)?.execute(params![
        id,
        short(id),
        host,
        state.name,
        event.image,
        kind,
        owner_id,
        owner_host,
        owner_pid,
        group,
        state.status,
        exit_code,
        state.oom,
        state.created,
        state.started,
        state.finished,
        state.removed,
        labels
    ])?;
    Ok(())
}

fn write_container(tx: &Transaction<'_>, host: &str, c: &Container) -> rusqlite::Result<()> {
    let (kind, owner_id, owner_host, owner_pid, group) = owner(&c.labels);
    let labels = serde_json::to_string(&c.labels).ok();
    tx.prepare_cached(UPSERT_CONTAINER)?.execute(params![
        c.id.0,
        c.id.short(),
        host,
        c.name,
        c.image,
        kind,
        owner_id,
        owner_host,
        owner_pid,
        group,
        c.state.as_str(),
        c.exit_code,
        c.oom_killed,
        c.created.map(nanos),
        c.started_at.map(nanos),
        c.finished_at.map(nanos),
        labels
    ])?;
    Ok(())
}
