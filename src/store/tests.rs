//! The store's own tests: migrations (from an empty file, from v1), corrupt, read-only and
//! locked files, batching order, retention by rows and by age, reading back by name and prefix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::*;
use crate::engine::{Container, ContainerEvent, ContainerId, EventAction};

fn retention() -> Retention {
    Retention {
        max_age: Duration::from_secs(30 * 86_400),
        max_rows: 1_000_000,
    }
}

fn file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("state").join("fleet.db")
}

fn event(id: &str, name: &str, time: DateTime<Utc>, action: EventAction) -> ContainerEvent {
    let mut attributes = HashMap::from([
        ("name".to_string(), name.to_string()),
        ("image".to_string(), "busybox".to_string()),
        ("fleetdeck.group".to_string(), "batch".to_string()),
    ]);
    if let EventAction::Die(Some(code)) = action {
        attributes.insert("exitCode".into(), code.to_string());
    }
    ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: ContainerId(id.into()),
        name: Some(name.into()),
        image: Some("busybox".into()),
        action,
        time: Some(time),
        pod: None,
        attributes,
    }
}

fn index_names(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn migrates_an_empty_file_to_the_current_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    drop(writer);
    let conn = Connection::open(&path).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, schema::VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    assert_eq!(
        index_names(&path),
        [
            "alerts_state",
            "alerts_time",
            "containers_name",
            "events_container_time",
            "events_time"
        ]
    );
    // Opening again changes nothing.
    drop(StoreWriter::open(&path, retention()).expect("reopen"));
}

#[test]
fn upgrades_a_v1_file_and_keeps_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    {
        let mut conn = Connection::open(&path).expect("open");
        schema::migrate(&mut conn, &path, 1).expect("v1");
        conn.execute(
            "INSERT INTO events (time, host, container_id, action) VALUES (?1, 'h', 'abc', 'die')",
            [writer::nanos(Utc::now())],
        )
        .expect("insert");
        conn.execute(
            "INSERT INTO containers (id, short_id, host, name) VALUES ('abc', 'abc', 'h', 'old-web')",
            [],
        )
        .expect("insert");
    }
    assert_eq!(index_names(&path), ["events_container_time", "events_time"]);
    drop(StoreWriter::open(&path, retention()).expect("upgrade"));
    assert!(index_names(&path).contains(&"containers_name".to_string()));
    let store = Store::open_read(&path).expect("read");
    let rows = store
        .history(&HistoryQuery {
            target: Some("old-web".into()),
            ..HistoryQuery::default()
        })
        .expect("history");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, "die");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    Connection::open(&path)
        .and_then(|c| c.pragma_update(None, "user_version", schema::VERSION + 5))
        .expect("bump");
    let err = StoreWriter::open(&path, retention()).expect_err("too new");
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn a_corrupt_file_is_a_clear_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    std::fs::write(&path, vec![0xAB_u8; 8192]).expect("garbage");
    let err = StoreWriter::open(&path, retention()).expect_err("corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("corrupt"), "{text}");
    let err = Store::open_read(&path).expect_err("corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_read_only_file_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    drop(StoreWriter::open(&path, retention()).expect("make"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let err = StoreWriter::open(&path, retention()).expect_err("read-only");
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
    // Reading it is fine.
    Store::open_read(&path).expect("read");
}

#[test]
fn a_locked_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    // Another process holds the file exclusively (not in WAL mode: a fresh file).
    let holder = Connection::open(&path).expect("open");
    holder
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE t (x);")
        .expect("lock");
    let err = StoreWriter::open(&path, retention()).expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("locked"), "{err}");
    drop(holder);
}

#[test]
fn a_missing_file_is_missing_for_readers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Store::open_read(&dir.path().join("nope.db")).expect_err("missing");
    assert!(matches!(err, StoreError::Missing { .. }));
}

#[test]
fn batches_keep_the_order_and_fill_the_container_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    let t0 = Utc::now() - chrono::Duration::seconds(60);
    let id = "f".repeat(64);
    let at = |s| t0 + chrono::Duration::milliseconds(s);
    writer.record_event("h1", &event(&id, "web", at(0), EventAction::Create));
    writer.record_event("h1", &event(&id, "web", at(1), EventAction::Start));
    // More than one batch, all at once.
    for i in 0..5_000 {
        writer.record_event(
            "h1",
            &event(
                &id,
                "web",
                at(2 + i),
                EventAction::Other("exec_start".into()),
            ),
        );
    }
    writer.record_event("h1", &event(&id, "web", at(6_000), EventAction::Oom));
    writer.record_event(
        "h1",
        &event(&id, "web", at(6_001), EventAction::Die(Some(137))),
    );
    writer.record_note(
        "h1",
        &id,
        NOTE_GIVE_UP,
        serde_json::json!({"reason": "budget of 3 spent", "exit_code": 137}),
    );
    writer.flush().expect("flush");
    assert_eq!(writer.dropped(), 0);

    let store = Store::open_read(&path).expect("read");
    let rows = store.history(&HistoryQuery::default()).expect("history");
    assert_eq!(rows.len(), 5_005);
    assert!(rows.windows(2).all(|w| w[0].time <= w[1].time));
    assert_eq!(rows[0].action, "create");
    assert_eq!(rows[1].action, "start");
    let last = &rows[rows.len() - 1];
    assert_eq!(last.action, NOTE_GIVE_UP);
    assert_eq!(last.exit_code, Some(137));
    assert!(
        last.detail().starts_with("exit 137, budget of 3 spent"),
        "{}",
        last.detail()
    );
    let die = &rows[rows.len() - 2];
    assert_eq!((die.action.as_str(), die.exit_code), ("die", Some(137)));
    assert_eq!(die.name.as_deref(), Some("web"));

    let row = store.container(&id).expect("query").expect("row");
    assert_eq!(row.status.as_deref(), Some("exited"));
    assert_eq!(row.exit_code, Some(137));
    assert!(row.oom);
    assert_eq!(row.group.as_deref(), Some("batch"));
    assert_eq!(row.short_id, "f".repeat(12));

    let since = t0 + chrono::Duration::seconds(5);
    assert_eq!(
        store.deaths_since(since, Some("h1")).expect("deaths").len(),
        1
    );
    assert_eq!(
        store
            .deaths_since(since, Some("other"))
            .expect("deaths")
            .len(),
        0
    );
    assert_eq!(store.ooms_since(since, None).expect("ooms").len(), 1);
    assert_eq!(
        store.give_ups_since(since, None).expect("give-ups").len(),
        1
    );
    let triage = store.triage(since, Some("h1")).expect("triage");
    assert_eq!(triage.give_ups.len(), 1);
    assert_eq!(triage.containers.len(), 1);
    assert!(
        triage
            .events
            .iter()
            .any(|e| e.action == EventAction::Die(Some(137)))
    );
}

#[test]
fn containers_resolve_by_name_id_and_prefix_after_removal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    let now = Utc::now();
    let mut c = Container::new(
        ContainerId(format!("abc{}", "0".repeat(61))),
        "job-1".into(),
    );
    c.image = "busybox".into();
    c.labels.insert(KIND_LABEL.into(), "run".into());
    c.labels.insert(OWNER_PID_LABEL.into(), "42".into());
    writer.record_container("h", &c);
    writer.record_event(
        "h",
        &event(&c.id.0, "job-1", now, EventAction::Die(Some(3))),
    );
    writer.record_event("h", &event(&c.id.0, "job-1", now, EventAction::Destroy));
    writer.flush().expect("flush");
    let store = Store::open_read(&path).expect("read");
    for target in ["job-1", "abc0", c.id.0.as_str()] {
        let found = store.resolve(target, None).expect("resolve");
        assert_eq!(found.len(), 1, "{target}");
        assert_eq!(found[0].owner_kind.as_deref(), Some("run"));
        assert_eq!(found[0].owner_pid, Some(42));
        assert_eq!(found[0].status.as_deref(), Some("removed"));
        assert!(found[0].removed_at.is_some());
    }
    assert!(store.resolve("nothing", None).expect("resolve").is_empty());
    // A later upsert of the container does not undo the removal.
    writer.record_container("h", &c);
    writer.flush().expect("flush");
    let row = store.container(&c.id.0).expect("q").expect("row");
    assert_eq!(row.status.as_deref(), Some("removed"));
}

#[test]
fn a_container_only_a_note_named_is_found_by_name_and_a_gc_removal_marks_it_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    let id = format!("def{}", "1".repeat(61));
    writer.record_note(
        "h",
        &id,
        NOTE_GC_REMOVE,
        serde_json::json!({ "name": "orphan-1", "reason": "its owner process 7 on box is gone" }),
    );
    // A later note without a name, or with another, does not undo the one known.
    writer.record_note("h", &id, "keeper.restart", serde_json::json!({}));
    writer.flush().expect("flush");
    let store = Store::open_read(&path).expect("read");
    let found = store.resolve("orphan-1", None).expect("resolve");
    assert_eq!(found.len(), 1, "found by the name in the note");
    assert_eq!(found[0].id, id);
    assert_eq!(found[0].status.as_deref(), Some("removed"));
    assert!(found[0].removed_at.is_some());
    let history = store
        .history(&HistoryQuery {
            target: Some("orphan-1".into()),
            ..HistoryQuery::default()
        })
        .expect("history");
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, [NOTE_GC_REMOVE, "keeper.restart"]);
}

#[test]
fn retention_by_rows_keeps_the_newest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(
        &path,
        Retention {
            max_age: Duration::from_secs(86_400),
            max_rows: 100,
        },
    )
    .expect("open");
    let t0 = Utc::now();
    for i in 0..250 {
        writer.record_event(
            "h",
            &event(
                "abc",
                "web",
                t0 + chrono::Duration::milliseconds(i),
                EventAction::Start,
            ),
        );
    }
    writer.apply_retention().expect("retention");
    let store = Store::open_read(&path).expect("read");
    assert_eq!(store.event_count().expect("count"), 100);
    let rows = store.history(&HistoryQuery::default()).expect("history");
    assert_eq!(rows[0].time, t0 + chrono::Duration::milliseconds(150));
}

#[test]
fn retention_by_age_drops_old_events_and_gone_containers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    let old = Utc::now() - chrono::Duration::days(40);
    writer.record_event("h", &event("old", "gone", old, EventAction::Die(Some(1))));
    writer.record_event("h", &event("old", "gone", old, EventAction::Destroy));
    writer.record_event("h", &event("new", "web", Utc::now(), EventAction::Start));
    writer.flush().expect("flush");
    drop(writer);
    // The retention runs at open, too.
    let writer = StoreWriter::open(&path, retention()).expect("reopen");
    writer.flush().expect("flush");
    let store = Store::open_read(&path).expect("read");
    let rows = store.history(&HistoryQuery::default()).expect("history");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].container_id, "new");
    assert!(store.container("old").expect("q").is_none());
    assert!(store.container("new").expect("q").is_some());
}

#[test]
fn records_are_never_blocking_and_drops_are_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file(&dir);
    let writer = StoreWriter::open(&path, retention()).expect("open");
    let e = event("abc", "web", Utc::now(), EventAction::Start);
    // Far more than the queue holds, as fast as possible: some may be dropped, none blocks.
    let total = writer::QUEUE as u64 * 3;
    for _ in 0..total {
        writer.record_event("h", &e);
    }
    writer.flush().expect("flush");
    let store = Store::open_read(&path).expect("read");
    assert_eq!(
        store.event_count().expect("count") + writer.dropped(),
        total
    );
}

#[test]
fn rows_become_engine_events_for_triage() {
    let row = EventRow {
        time: Utc::now(),
        host: "h".into(),
        container_id: "abc".into(),
        name: Some("web".into()),
        action: "kill".into(),
        exit_code: None,
        attributes: serde_json::json!({"signal": "SIGKILL"}),
    };
    let e = row.to_event().expect("event");
    assert_eq!(e.action, EventAction::Kill(Some("SIGKILL".into())));
    assert_eq!(row.detail(), "signal SIGKILL");
    let note = EventRow {
        action: NOTE_GIVE_UP.into(),
        ..row
    };
    assert!(note.to_event().is_none());
}

#[test]
fn config_defaults_and_path() {
    let config = StoreConfig::default();
    assert!(config.enabled);
    assert_eq!(config.retention().max_rows, 1_000_000);
    assert_eq!(config.retention().max_age, Duration::from_secs(30 * 86_400));
    assert!(default_path().ends_with("fleetdeck/fleet.db"));
    let set = StoreConfig {
        path: Some("/x/y.db".into()),
        ..StoreConfig::default()
    };
    assert_eq!(set.path(), PathBuf::from("/x/y.db"));
}
