//! The files that hold what operators did (the audit log, the history store) are private:
//! created 0600 in a 0700 folder, as shells keep their history.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fleetdeck::audit::{AuditEntry, AuditLog, AuditRecord};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn entry() -> AuditEntry {
    AuditEntry::record(AuditRecord {
        endpoint: "unix:///var/run/docker.sock",
        target_id: "abc123",
        target_name: "web-1",
        action: "stop",
        parameters: serde_json::json!({"timeout": 10}),
        result: Ok(("stopped", None)),
        duration: std::time::Duration::from_millis(3),
    })
}

#[tokio::test]
async fn the_audit_log_is_created_0600_in_a_0700_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("state").join("fleetdeck");
    let path = folder.join("audit.jsonl");
    let log = AuditLog::new(&path);
    log.append(&entry()).await.expect("appended");
    assert_eq!(mode(&path), 0o600, "the audit log");
    assert_eq!(mode(&folder), 0o700, "its folder");
    assert_eq!(
        mode(&dir.path().join("state")),
        0o700,
        "the folder made above it"
    );
}

#[test]
fn the_store_is_created_0600_in_a_0700_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("fleetdeck");
    let path = folder.join("fleet.db");
    let conn = fleetdeck::store::schema::open_write(&path).expect("store opened");
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1);")
        .expect("a write");
    assert_eq!(mode(&path), 0o600, "the store");
    assert_eq!(mode(&folder), 0o700, "its folder");
    // SQLite gives its write-ahead log the store's own mode.
    assert_eq!(
        mode(&folder.join("fleet.db-wal")),
        0o600,
        "its write-ahead log"
    );
}
