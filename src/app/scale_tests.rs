//! The console at scale: the work a message does does not grow with the fleet (a stats sample
//! or an event that leaves its row where it is rebuilds nothing; a CPU sort waits for the next
//! frame), and nothing is kept for a container after it is removed (churn).

use std::collections::HashMap;

use super::fixture::{container, state};
use super::rows::Sort;
use super::*;
use crate::config::Column;
use crate::engine::fleet::ContainerEvent;
use crate::engine::{ContainerId, EventAction, RunState};

fn event(id: &ContainerId, name: &str, action: EventAction, second: i64) -> Msg {
    Msg::Fleet(FleetUpdate::Event(ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: id.clone(),
        name: Some(name.to_string()),
        image: Some("busybox".into()),
        action,
        time: chrono::DateTime::from_timestamp(1_714_557_600 + second, 0),
        pod: None,
        attributes: HashMap::from([("name".to_string(), name.to_string())]),
    }))
}

fn sample(id: &ContainerId, cpu: f64) -> Msg {
    Msg::Stats(StatsSample {
        id: id.clone(),
        cpu_percent: Some(cpu),
        memory_used: 1 << 20,
        memory_limit: Some(1 << 30),
    })
}

fn cgroup(mut s: AppState) -> AppState {
    s.settings.stats_source = StatsSource::Cgroup {
        layout: "cgroup v2 (systemd driver) at /sys/fs/cgroup".into(),
    };
    s
}

/// A state with `n` containers, a tenth of them running.
fn big(n: usize) -> AppState {
    let mut s = cgroup(state());
    let fleet: Vec<_> = (0..n)
        .map(|i| {
            let state = if i % 10 == 0 {
                RunState::Running
            } else {
                RunState::Exited
            };
            container(&format!("svc-{i:05}"), "busybox", state)
        })
        .collect();
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet,
        )),
    );
    s
}

#[test]
fn a_sample_or_an_event_in_place_rebuilds_no_row() {
    let mut s = big(5000);
    let rows = s.rows.clone();
    let id = s.fleet.sorted()[4990].id.clone();
    let far = s.fleet.sorted()[4000].id.clone();
    // The fixture's ids are derived from the name: make one of a running container.
    let running = s
        .fleet
        .containers()
        .find(|c| c.state == RunState::Running)
        .map(|c| c.id.clone())
        .expect("a running container");
    s.dirty = false;
    let _ = update(&mut s, sample(&running, 12.5));
    assert!(
        s.stats.contains_key(&running),
        "cgroup stats: every running one"
    );
    assert!(!s.rows_stale);
    assert_eq!(s.rows, rows);
    // A kill signal changes nothing of where the row is.
    let _ = update(
        &mut s,
        event(&id, "x", EventAction::Kill(Some("15".into())), 1),
    );
    assert!(!s.rows_stale, "the row stays where it is");
    // A start does (the state is a sort and a header count): put off to the next frame.
    let _ = update(&mut s, event(&far, "x", EventAction::Start, 2));
    assert!(s.rows_stale);
    assert_eq!(s.rows, rows, "not rebuilt per event");
    let _ = update(&mut s, Msg::Frame);
    assert!(!s.rows_stale);
    assert!(s.dirty);
}

#[test]
fn a_cpu_sort_is_redone_once_per_frame_not_per_sample() {
    let mut s = big(2000);
    s.sort = Sort {
        column: Column::Cpu,
        descending: true,
    };
    s.recompute_rows();
    let running: Vec<ContainerId> = s
        .fleet
        .containers()
        .filter(|c| c.state == RunState::Running)
        .map(|c| c.id.clone())
        .collect();
    let rows = s.rows.clone();
    for (i, id) in running.iter().enumerate() {
        let _ = update(&mut s, sample(id, i as f64));
    }
    assert!(s.rows_stale);
    assert_eq!(s.rows, rows, "no rebuild per sample");
    let _ = update(&mut s, Msg::Frame);
    let first = s.rows.iter().find_map(|r| match r {
        rows::Row::Container(id) => Some(id.clone()),
        rows::Row::Group { .. } | rows::Row::Missing(_) => None,
    });
    assert_eq!(first.as_ref(), running.last(), "the busiest on top");
}

#[test]
fn the_history_is_bounded_by_the_configuration() {
    let mut s = cgroup(state());
    s.history = super::history::History::new(120);
    let running: Vec<ContainerId> = s
        .fleet
        .containers()
        .filter(|c| c.state == RunState::Running)
        .map(|c| c.id.clone())
        .collect();
    assert!(!running.is_empty());
    for i in 0..1000 {
        for id in &running {
            let _ = update(&mut s, sample(id, f64::from(i % 100)));
        }
    }
    assert_eq!(s.history.containers.len(), running.len());
    for ring in s.history.containers.values() {
        assert_eq!(ring.len(), 120, "never past the bound");
    }
    // A stopped container's history goes with it.
    let id = &running[0];
    let name = s.fleet.get(id).map(|c| c.name.clone()).unwrap_or_default();
    let _ = update(&mut s, event(id, &name, EventAction::Die(Some(0)), 5));
    assert!(s.history.of(id).is_none(), "stopped: no history");
}

#[test]
fn churn_leaves_nothing_behind_in_the_state() {
    let mut s = cgroup(state());
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            Vec::new(),
        )),
    );
    let ids: Vec<(ContainerId, String)> = (0..400)
        .map(|i| {
            let name = format!("churn-{i:04}");
            (container(&name, "busybox", RunState::Created).id, name)
        })
        .collect();
    for (i, (id, name)) in ids.iter().enumerate() {
        let t = i as i64 * 4;
        let _ = update(&mut s, event(id, name, EventAction::Create, t));
        let _ = update(&mut s, event(id, name, EventAction::Start, t + 1));
        for k in 0..3 {
            let _ = update(&mut s, sample(id, 3.0 + f64::from(k)));
        }
        assert!(s.history.of(id).is_some_and(|r| r.len() == 3), "charted");
        let _ = update(&mut s, Msg::StatsUnreadable(vec![id.clone()]));
        if i % 3 == 0 {
            s.marks.insert(id.clone());
        }
        if i % 50 == 0 {
            let _ = update(&mut s, Msg::Frame);
            let _ = update(&mut s, Msg::Tick(super::fixture::now()));
        }
        let _ = update(
            &mut s,
            event(id, name, EventAction::Kill(Some("9".into())), t + 2),
        );
        let _ = update(&mut s, event(id, name, EventAction::Die(Some(137)), t + 2));
        let _ = update(&mut s, event(id, name, EventAction::Destroy, t + 3));
    }
    let _ = update(&mut s, Msg::Frame);
    let _ = update(&mut s, Msg::Tick(super::fixture::now()));
    assert!(s.fleet.is_empty());
    assert!(s.rows.is_empty());
    assert_eq!(s.listed_count(), 0);
    assert!(s.stats.is_empty(), "stats: {}", s.stats.len());
    assert!(
        s.history.containers.is_empty(),
        "history: {}",
        s.history.containers.len()
    );
    assert!(s.stats_unreadable.is_empty());
    assert!(s.watched.is_empty());
    assert!(s.sampled.1.is_empty());
    assert!(s.marks.is_empty());
    assert!(
        s.triage.history.is_empty(),
        "history: {}",
        s.triage.history.len()
    );
    assert!(s.triage.problems.is_empty());
    assert!(s.inspect.is_none());
}
