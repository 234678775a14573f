//! Opening a store from several processes at once: two writers creating the same fresh file
//! together both come up (the schema version is read and bumped inside one IMMEDIATE
//! transaction, so the second waits for the first and then finds nothing left to do; the switch
//! to WAL, which SQLite refuses at once while the other reads, is tried again).

use std::sync::{Arc, Barrier};

use super::*;

#[test]
fn two_writers_creating_a_fresh_store_at_once_both_succeed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Many rounds: the race is between two connections' first statements.
    for round in 0..60 {
        let path = dir.path().join(format!("fleet-{round}.db"));
        let barrier = Arc::new(Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    schema::open_write(&path).map(drop)
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().expect("the opener thread");
            assert!(
                opened.is_ok(),
                "round {round}: a second writer of a fresh store failed: {}",
                opened.err().map(|e| e.to_string()).unwrap_or_default()
            );
        }
        let conn = schema::open_read(&path).expect("a readable store");
        assert_eq!(
            schema::version(&conn, &path).expect("its version"),
            schema::VERSION
        );
    }
}
