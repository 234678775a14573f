//! The keeper's alerts in the store: one row per alert and sink (`alerts`, schema version 3),
//! written when the alert fires, before its first delivery, and updated as its delivery goes:
//! `pending` (being tried), `delivered`, or `undelivered` (given up). `fleetdeck history
//! --alerts`, `fleetdeck alerts` and the console's count of undelivered alerts read it.

use chrono::{DateTime, Utc};
use rusqlite::{Row, Transaction, params};
use serde::Serialize;

use super::writer::nanos;
use super::{Store, StoreError};

/// Version 3: the alerts table.
pub(super) const V3: &str = "
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    time INTEGER NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    sink TEXT NOT NULL,
    host TEXT,
    container_id TEXT,
    container_name TEXT,
    project TEXT,
    message TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    answer TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX alerts_time ON alerts(time);
CREATE INDEX alerts_state ON alerts(state, time);
";

/// Where an alert's delivery to one sink stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Recorded; being delivered (or retried).
    Pending,
    Delivered,
    /// Given up after the rule's `give_up_after`.
    Undelivered,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
        }
    }

    fn parse(word: &str) -> Self {
        match word {
            "delivered" => Self::Delivered,
            "undelivered" => Self::Undelivered,
            _ => Self::Pending,
        }
    }
}

/// A new alert for one sink, as recorded before its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEntry {
    /// Unique: the alert's id and the sink.
    pub key: String,
    pub time: DateTime<Utc>,
    pub rule: String,
    pub kind: String,
    /// `webhook` or `command`.
    pub sink: String,
    pub host: Option<String>,
    pub container_id: Option<String>,
    pub container_name: Option<String>,
    pub project: Option<String>,
    pub message: String,
    /// The alert in its JSON shape.
    pub body: serde_json::Value,
}

/// How a delivery went, for the row of `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertUpdate {
    pub key: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub error: Option<String>,
    /// What the sink answered (a status and the start of the body, a command's output).
    pub answer: Option<String>,
    pub time: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO alerts (key, time, rule, kind, sink, host, container_id, \
     container_name, project, message, body, state, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?2) \
     ON CONFLICT(key) DO NOTHING";

const UPDATE: &str = "UPDATE alerts SET state = ?2, attempts = ?3, \
     last_error = coalesce(?4, last_error), answer = coalesce(?5, answer), updated_at = ?6 \
     WHERE key = ?1";

pub(super) fn insert(tx: &Transaction<'_>, a: &AlertEntry) -> rusqlite::Result<()> {
    tx.prepare_cached(INSERT)?.execute(params![
        a.key,
        nanos(a.time),
        a.rule,
        a.kind,
        a.sink,
        a.host,
        a.container_id,
        a.container_name,
        a.project,
        a.message,
        a.body.to_string(),
    ])?;
    Ok(())
}

pub(super) fn update(tx: &Transaction<'_>, u: &AlertUpdate) -> rusqlite::Result<()> {
    tx.prepare_cached(UPDATE)?.execute(params![
        u.key,
        u.state.as_str(),
        u.attempts,
        u.error,
        u.answer,
        nanos(u.time),
    ])?;
    Ok(())
}

/// One recorded alert and its delivery to one sink.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    /// The alert's id and its sink.
    pub key: String,
    pub time: DateTime<Utc>,
    pub rule: String,
    pub kind: String,
    pub sink: String,
    pub host: Option<String>,
    pub container_id: Option<String>,
    pub container_name: Option<String>,
    pub project: Option<String>,
    pub message: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub answer: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The alert as sent.
    pub alert: serde_json::Value,
}

const COLUMNS: &str = "time, rule, kind, sink, host, container_id, container_name, project, \
     message, state, attempts, last_error, answer, updated_at, body, key";

fn alert_row(row: &Row<'_>) -> rusqlite::Result<AlertRow> {
    let state: String = row.get(9)?;
    let body: String = row.get(14)?;
    Ok(AlertRow {
        key: row.get(15)?,
        time: DateTime::from_timestamp_nanos(row.get(0)?),
        rule: row.get(1)?,
        kind: row.get(2)?,
        sink: row.get(3)?,
        host: row.get(4)?,
        container_id: row.get(5)?,
        container_name: row.get(6)?,
        project: row.get(7)?,
        message: row.get(8)?,
        state: DeliveryState::parse(&state),
        attempts: row.get(10)?,
        last_error: row.get(11)?,
        answer: row.get(12)?,
        updated_at: DateTime::from_timestamp_nanos(row.get(13)?),
        alert: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    })
}

/// Whether the file has the alerts table (a store of an older fleetdeck, opened read-only, has
/// none: no alerts were recorded in it).
fn has_table(store: &Store) -> Result<bool, StoreError> {
    store
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alerts'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(|e| StoreError::from_sqlite(store.path(), e))
}

impl Store {
    /// The alerts recorded since `since`, oldest first; the newest `limit` when given.
    pub fn alerts(
        &self,
        since: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<AlertRow>, StoreError> {
        if !has_table(self)? {
            return Ok(Vec::new());
        }
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let sql = format!(
            "SELECT * FROM (SELECT {COLUMNS}, id FROM alerts WHERE time >= ?1 \
             ORDER BY time DESC, id DESC LIMIT ?2) ORDER BY time, id"
        );
        let err = |e| StoreError::from_sqlite(self.path(), e);
        let mut stmt = self.conn().prepare(&sql).map_err(err)?;
        let rows = stmt
            .query_map(params![nanos(since), limit], alert_row)
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// How many alerts recorded since `since` were given up on.
    pub fn undelivered_alerts(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        if !has_table(self)? {
            return Ok(0);
        }
        self.conn()
            .query_row(
                "SELECT count(*) FROM alerts WHERE state = 'undelivered' AND time >= ?1",
                params![nanos(since)],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| StoreError::from_sqlite(self.path(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Retention, StoreWriter};

    #[test]
    fn an_alert_is_recorded_then_its_delivery() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fleet.db");
        let writer = StoreWriter::open(&path, Retention::default()).expect("open");
        let now = Utc::now();
        for (key, state) in [
            ("a/webhook", DeliveryState::Delivered),
            ("b/command", DeliveryState::Undelivered),
            ("c/webhook", DeliveryState::Pending),
        ] {
            writer.record_alert(AlertEntry {
                key: key.into(),
                time: now,
                rule: "r".into(),
                kind: "crash".into(),
                sink: key.split('/').nth(1).unwrap_or_default().into(),
                host: Some("local".into()),
                container_id: Some("abc".into()),
                container_name: Some("web-1".into()),
                project: None,
                message: "exited with 3".into(),
                body: serde_json::json!({"rule": "r"}),
            });
            writer.record_alert_state(AlertUpdate {
                key: key.into(),
                state,
                attempts: 2,
                error: Some("refused".into()),
                answer: None,
                time: now,
            });
        }
        writer.flush().expect("written");
        let store = Store::open_read(&path).expect("read");
        let rows = store
            .alerts(now - chrono::Duration::minutes(1), None)
            .expect("alerts");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].state, DeliveryState::Delivered);
        assert_eq!(rows[1].attempts, 2);
        assert_eq!(rows[1].last_error.as_deref(), Some("refused"));
        assert_eq!(rows[0].alert["rule"], "r");
        assert_eq!(
            store
                .undelivered_alerts(now - chrono::Duration::minutes(1))
                .expect("count"),
            1
        );
        let last = store
            .alerts(now - chrono::Duration::minutes(1), Some(1))
            .expect("the newest");
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].sink, "webhook");
    }
}
