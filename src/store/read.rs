//! The read side: [`Store`], a read-only connection for `fleetdeck history`, triage and the
//! console's inspect. Targets resolve by name, full id or id prefix, also for containers the
//! daemon no longer has.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params_from_iter};
use serde::Serialize;

use super::{NOTE_GIVE_UP, StoreError, schema};
use crate::engine::{ContainerEvent, ContainerId, EventAction, Health};

/// What `history` asks for: one target (name, id or id prefix) or all, since a time, on one
/// host or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub host: Option<String>,
}

/// One recorded event (or note), with the container's name as last known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub time: DateTime<Utc>,
    pub host: String,
    pub container_id: String,
    pub name: Option<String>,
    pub action: String,
    pub exit_code: Option<i64>,
    pub attributes: serde_json::Value,
}

impl EventRow {
    /// The event as the engine would have parsed it, for the triage rules; `None` for notes
    /// and actions the rules do not read.
    pub fn to_event(&self) -> Option<ContainerEvent> {
        let attr = |key: &str| {
            self.attributes
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let (word, arg) = match self.action.split_once(':') {
            Some((w, a)) => (w.trim(), Some(a.trim())),
            None => (self.action.as_str(), None),
        };
        let action = match word {
            "create" => EventAction::Create,
            "start" => EventAction::Start,
            "die" => EventAction::Die(self.exit_code),
            "kill" => EventAction::Kill(attr("signal")),
            "oom" => EventAction::Oom,
            "health_status" => EventAction::HealthStatus(arg.and_then(Health::parse)),
            "pause" => EventAction::Pause,
            "unpause" => EventAction::Unpause,
            "destroy" => EventAction::Destroy,
            "stop" => EventAction::Stop,
            "restart" => EventAction::Restart,
            _ => return None,
        };
        Some(ContainerEvent {
            host: crate::engine::LOCAL_HOST.to_string(),
            id: ContainerId(self.container_id.clone()),
            name: self.name.clone(),
            image: None,
            action,
            time: Some(self.time),
            pod: None,
            attributes: HashMap::new(),
        })
    }

    /// A few words on what the event carries: the exit code, the signal, a note's reason and
    /// other fields (`exit 3`, `signal SIGKILL`, `reason=budget spent, restarts=3`).
    pub fn detail(&self) -> String {
        let mut parts = Vec::new();
        if let Some(code) = self.exit_code {
            parts.push(format!("exit {code}"));
        }
        if let serde_json::Value::Object(map) = &self.attributes {
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let Some(reason) = map.get("reason") {
                parts.push(text(reason));
            }
            for (key, value) in map {
                match key.as_str() {
                    "reason" | "exit_code" | "exitCode" | "name" => {}
                    "signal" => parts.push(format!("signal {}", text(value))),
                    _ => parts.push(format!("{key}={}", text(value))),
                }
            }
        }
        parts.join(", ")
    }

    /// Whether this is a keeper's give-up note.
    pub fn is_give_up(&self) -> bool {
        self.action == NOTE_GIVE_UP
    }
}

/// One container as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerRow {
    pub id: String,
    pub short_id: String,
    pub host: String,
    pub name: Option<String>,
    pub image: Option<String>,
    pub owner_kind: Option<String>,
    pub owner_id: Option<String>,
    pub owner_host: Option<String>,
    pub owner_pid: Option<i64>,
    pub group: Option<String>,
    pub status: Option<String>,
    pub exit_code: Option<i64>,
    pub oom: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub gc_protected_until: Option<DateTime<Utc>>,
}

/// What triage reads from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriageKind {
    Deaths,
    Ooms,
    GiveUps,
}

impl TriageKind {
    fn actions(self) -> &'static [&'static str] {
        match self {
            Self::Deaths => &["die"],
            Self::Ooms => &["oom"],
            Self::GiveUps => &[NOTE_GIVE_UP],
        }
    }
}

/// Deaths, OOM kills and give-ups of a window, for triage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Triage {
    /// Every event the rules read (start, die, kill, oom, pause, ...), oldest first.
    pub events: Vec<ContainerEvent>,
    pub give_ups: Vec<EventRow>,
    /// The containers those events are about.
    pub containers: Vec<ContainerRow>,
}

/// A read-only view of a store file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn time(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

const EVENT_COLUMNS: &str =
    "e.time, e.host, e.container_id, c.name, e.action, e.exit_code, e.attributes";
const CONTAINER_COLUMNS: &str = "id, short_id, host, name, image, owner_kind, owner_id, owner_host, \
     owner_pid, grp, status, exit_code, oom, created_at, started_at, finished_at, removed_at, \
     labels, gc_protected_until";

fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    let attributes: Option<String> = row.get(6)?;
    Ok(EventRow {
        time: time(row.get(0)?),
        host: row.get(1)?,
        container_id: row.get(2)?,
        name: row.get(3)?,
        action: row.get(4)?,
        exit_code: row.get(5)?,
        attributes: attributes
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or(serde_json::Value::Null),
    })
}

fn container_row(row: &Row<'_>) -> rusqlite::Result<ContainerRow> {
    let opt_time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(time))
    };
    let labels: Option<String> = row.get(17)?;
    Ok(ContainerRow {
        id: row.get(0)?,
        short_id: row.get(1)?,
        host: row.get(2)?,
        name: row.get(3)?,
        image: row.get(4)?,
        owner_kind: row.get(5)?,
        owner_id: row.get(6)?,
        owner_host: row.get(7)?,
        owner_pid: row.get(8)?,
        group: row.get(9)?,
        status: row.get(10)?,
        exit_code: row.get(11)?,
        oom: row.get(12)?,
        created_at: opt_time(13)?,
        started_at: opt_time(14)?,
        finished_at: opt_time(15)?,
        removed_at: opt_time(16)?,
        labels: labels
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
        gc_protected_until: opt_time(18)?,
    })
}

impl Store {
    /// Opens the store at `path` read-only: a missing, locked, corrupt or too-new file is an
    /// error naming it.
    pub fn open_read(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            conn: schema::open_read(path)?,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the reads of the store's other modules (alerts).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    fn containers_where(
        &self,
        clause: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<ContainerRow>, StoreError> {
        let sql = format!("SELECT {CONTAINER_COLUMNS} FROM containers WHERE {clause}");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, container_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// One container by full id.
    pub fn container(&self, id: &str) -> Result<Option<ContainerRow>, StoreError> {
        Ok(self.containers_where("id = ?1", &[&id])?.into_iter().next())
    }

    /// The containers `target` names, on `host` when given: an exact name or full id first,
    /// else an id prefix. A name reused by several containers over time gives them all.
    pub fn resolve(
        &self,
        target: &str,
        host: Option<&str>,
    ) -> Result<Vec<ContainerRow>, StoreError> {
        let target = target.strip_prefix('/').unwrap_or(target);
        let on_host = |rows: Vec<ContainerRow>| -> Vec<ContainerRow> {
            rows.into_iter()
                .filter(|r| host.is_none_or(|h| r.host == h))
                .collect()
        };
        let exact = on_host(self.containers_where("name = ?1 OR id = ?1", &[&target])?);
        if !exact.is_empty() {
            return Ok(exact);
        }
        let prefix = format!("{}%", target.replace(['%', '_'], ""));
        Ok(on_host(self.containers_where("id LIKE ?1", &[&prefix])?))
    }

    fn events_where(
        &self,
        clauses: &[String],
        args: Vec<Box<dyn rusqlite::ToSql>>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN containers c ON c.id = e.container_id \
             {filter} ORDER BY e.time, e.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), event_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The recorded events of the query's target (or of all), oldest first. A target the
    /// store does not know gives no events.
    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<EventRow>, StoreError> {
        let mut clauses = Vec::new();
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(target) = &query.target {
            let ids: Vec<String> = self
                .resolve(target, query.host.as_deref())?
                .into_iter()
                .map(|r| r.id)
                .collect();
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            clauses.push(format!(
                "e.container_id IN ({})",
                vec!["?"; ids.len()].join(", ")
            ));
            args.extend(
                ids.into_iter()
                    .map(|id| Box::new(id) as Box<dyn rusqlite::ToSql>),
            );
        }
        if let Some(since) = query.since {
            clauses.push("e.time >= ?".into());
            args.push(Box::new(super::writer::nanos(since)));
        }
        if let Some(host) = &query.host {
            clauses.push("e.host = ?".into());
            args.push(Box::new(host.clone()));
        }
        self.events_where(&clauses, args)
    }

    /// Events of the given kind since `since` (on `host` when given), oldest first.
    pub fn since(
        &self,
        kind: TriageKind,
        since: DateTime<Utc>,
        host: Option<&str>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let actions = kind.actions();
        let mut clauses = vec![
            "e.time >= ?".to_string(),
            format!("e.action IN ({})", vec!["?"; actions.len()].join(", ")),
        ];
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(super::writer::nanos(since))];
        args.extend(
            actions
                .iter()
                .map(|a| Box::new(*a) as Box<dyn rusqlite::ToSql>),
        );
        if let Some(host) = host {
            clauses.push("e.host = ?".into());
            args.push(Box::new(host.to_string()));
        }
        self.events_where(&clauses, args)
    }

    /// Deaths since `since`.
    pub fn deaths_since(
        &self,
        since: DateTime<Utc>,
        host: Option<&str>,
    ) -> Result<Vec<EventRow>, StoreError> {
        self.since(TriageKind::Deaths, since, host)
    }

    /// OOM kills since `since`.
    pub fn ooms_since(
        &self,
        since: DateTime<Utc>,
        host: Option<&str>,
    ) -> Result<Vec<EventRow>, StoreError> {
        self.since(TriageKind::Ooms, since, host)
    }

    /// Keeper give-ups since `since`.
    pub fn give_ups_since(
        &self,
        since: DateTime<Utc>,
        host: Option<&str>,
    ) -> Result<Vec<EventRow>, StoreError> {
        self.since(TriageKind::GiveUps, since, host)
    }

    /// What triage needs of a window: the events the rules read, the give-ups, and the rows
    /// of the containers they are about.
    pub fn triage(&self, since: DateTime<Utc>, host: Option<&str>) -> Result<Triage, StoreError> {
        let rows = self.history(&HistoryQuery {
            target: None,
            since: Some(since),
            host: host.map(str::to_string),
        })?;
        let mut ids: Vec<&str> = rows.iter().map(|r| r.container_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut containers = Vec::new();
        for id in ids {
            containers.extend(self.container(id)?);
        }
        let give_ups = rows.iter().filter(|r| r.is_give_up()).cloned().collect();
        Ok(Triage {
            events: rows.iter().filter_map(EventRow::to_event).collect(),
            give_ups,
            containers,
        })
    }

    /// How many events the store holds.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
