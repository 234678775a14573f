//! A keeper task that panics is reported and the keeper's marks for it are cleared: the
//! project, container or job it was about is kept again.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::*;
use crate::actions::ActionContext;
use crate::actions::run::{RunOptions, RunSpec};
use crate::config::keeper::KeeperConfig;
use crate::engine::{Endpoint, HostSpec};
use crate::keeper::Setup;
use crate::keeper::jobs::{Due, Job, Schedule};
use crate::keeper::log::DecisionLog;
use crate::keeper::restart::Tracker;
use crate::store::{HistoryQuery, Retention, Store, StoreWriter};

/// A keeper of one job (`@every 1s`) and no project, on a host nothing is asked of.
fn keeper(store: StoreWriter) -> Keeper {
    let spec = HostSpec::from_url("tcp://127.0.0.1:9", "test").expect("a host");
    let endpoint = Endpoint::new(&spec, Duration::from_secs(1)).expect("an endpoint");
    let job = Job {
        name: "nightly".into(),
        schedule_text: "@every 1s".into(),
        schedule: Schedule::parse("@every 1s").expect("a schedule"),
        catch_up: false,
        spec: RunSpec::new("img"),
        options: RunOptions::default(),
    };
    Keeper::new(Setup {
        ctx: ActionContext {
            endpoint,
            audit: None,
            read_only: true,
        },
        store: Some(store),
        projects: Vec::new(),
        config: KeeperConfig::default(),
        jobs: vec![job],
        last_runs: vec![None],
        log: DecisionLog {
            json: false,
            host: None,
        },
        stop_timeout_s: 10,
        alerts: Default::default(),
    })
}

#[tokio::test]
async fn a_panicking_task_is_reported_and_its_marks_cleared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.db");
    let store = StoreWriter::open(&path, Retention::default()).expect("a store");
    let mut keeper = keeper(store.clone());

    // A reconcile pass, a GC pass, a job's run and a restart, each marked as going...
    keeper.reconciling = true;
    keeper.collecting = true;
    let jobs = keeper.setup.jobs.clone();
    let soon = Utc::now() + chrono::Duration::seconds(2);
    assert_eq!(keeper.scheduler.due(&jobs, soon), vec![(0, Due::Run)]);
    keeper.jobs_running = 1;
    let id = ContainerId("c".repeat(64));
    let policy = keeper.policy.clone();
    keeper.trackers.entry(id.clone()).or_default().failed(
        &policy,
        Instant::now(),
        "crashed: exited 1",
    );
    keeper.acting.insert(id.clone());
    // ...and each task panics.
    for task in [
        Task::Reconcile,
        Task::Gc,
        Task::Job { index: 0 },
        Task::Restart {
            id: id.clone(),
            name: "web-1".into(),
        },
    ] {
        let word = task.word();
        keeper
            .tasks
            .spawn(task, async move { panic!("boom in {word}") });
    }
    while let Some(joined) = keeper.tasks.join_next().await {
        keeper.joined(joined);
    }

    assert!(!keeper.reconciling, "the next reconcile pass may run");
    assert!(!keeper.collecting, "the next GC pass may run");
    assert_eq!(keeper.jobs_running, 0, "shutdown does not wait for the job");
    let later = Utc::now() + chrono::Duration::seconds(10);
    assert_eq!(
        keeper.scheduler.due(&jobs, later),
        vec![(0, Due::Run)],
        "the job runs again (not skipped as still running)"
    );
    assert!(!keeper.acting.contains(&id), "the container is kept again");
    assert!(
        keeper.trackers.get(&id).is_some_and(Tracker::is_busy),
        "the failed restart counts as one: another is scheduled"
    );

    store.flush().expect("flushed");
    let notes = Store::open_read(&path)
        .expect("readable")
        .history(&HistoryQuery::default())
        .expect("history");
    let failed: Vec<String> = notes
        .iter()
        .filter(|n| n.action == "keeper.task_failed")
        .map(|n| n.detail())
        .collect();
    assert_eq!(failed.len(), 4, "one note per failed task: {notes:?}");
    for word in ["reconcile", "gc", "job", "restart"] {
        assert!(
            failed
                .iter()
                .any(|f| f.contains(&format!("boom in {word}"))),
            "{word}: {failed:?}"
        );
    }
}
