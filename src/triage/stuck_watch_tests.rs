//! The watch over readings: throttling over the window or since the start, processes stopped
//! or in D seen twice in a row (the main one, or most), memory counters that moved.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::engine::cgroup_stats::vitals::CgroupVitals;
use crate::engine::procs::ProcState;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
}

fn id() -> ContainerId {
    ContainerId("abc".into())
}

fn process(pid: u32, ppid: u32, state: char, wchan: Option<&str>) -> ProcState {
    ProcState {
        pid,
        ppid,
        comm: "app".into(),
        state,
        wchan: wchan.map(str::to_string),
    }
}

fn reading(s: i64, periods: u64, throttled: u64, processes: Vec<ProcState>) -> Vitals {
    Vitals {
        id: id(),
        at: at(s),
        cgroup: CgroupVitals {
            cpu: Some(CpuThrottle {
                periods,
                throttled,
                throttled_ns: throttled * 90_000_000,
                limit_cpus: Some(0.1),
            }),
            pids: None,
            memory: None,
            procs: processes.iter().map(|p| p.pid).collect(),
        },
        processes,
    }
}

#[test]
fn a_short_watch_reads_throttling_since_the_start_then_over_the_window() {
    let mut watch = StuckWatch::new();
    watch.observe(reading(0, 100, 90, vec![]), 60);
    watch.observe(reading(1, 110, 100, vec![]), 60);
    let t = watch.observed()[&id()].throttle.expect("throttle");
    assert_eq!(t.span_s, None);
    assert_eq!(t.pct, 100.0 * 100.0 / 110.0);
    assert_eq!(t.recent_pct, 100.0);
    // A minute of readings later: the window's own figure.
    for s in (5..=70).step_by(5) {
        let periods = 110 + s as u64 * 10;
        watch.observe(reading(s, periods, 100 + s as u64 * 5, vec![]), 60);
    }
    let t = watch.observed()[&id()].throttle.expect("throttle");
    assert_eq!(t.span_s, Some(60));
    assert_eq!(t.pct, 50.0);
}

#[test]
fn a_stopped_main_process_counts_from_the_first_reading_it_was_seen_in() {
    let mut watch = StuckWatch::new();
    let stopped = || {
        vec![
            process(10, 1, 'T', Some("do_signal_stop")),
            process(11, 10, 'S', None),
        ]
    };
    watch.observe(reading(0, 0, 0, stopped()), 60);
    assert_eq!(
        watch.observed()[&id()].stopped,
        None,
        "one reading is not enough"
    );
    watch.observe(reading(5, 0, 0, stopped()), 60);
    let s = watch.observed()[&id()].stopped.clone().expect("stopped");
    assert!(s.main);
    assert_eq!(s.process.pid, 10);
    assert_eq!(s.since, at(0));
    // Running again: forgotten.
    watch.observe(reading(10, 0, 0, vec![process(10, 1, 'S', None)]), 60);
    assert_eq!(watch.observed()[&id()].stopped, None);
}

#[test]
fn most_processes_in_d_count_when_the_main_one_is_not() {
    let mut watch = StuckWatch::new();
    let procs = || {
        vec![
            process(10, 1, 'S', None),
            process(11, 10, 'D', Some("nfs_wait_bit_killable")),
            process(12, 10, 'D', Some("nfs_wait_bit_killable")),
        ]
    };
    watch.observe(reading(0, 0, 0, procs()), 60);
    watch.observe(reading(3, 0, 0, procs()), 60);
    let s = watch.observed()[&id()].stopped.clone().expect("stuck");
    assert!(!s.main);
    assert_eq!((s.stuck, s.total), (2, 3));
    assert_eq!(s.process.wchan.as_deref(), Some("nfs_wait_bit_killable"));
}

#[test]
fn the_watch_keeps_a_bounded_window_and_forgets_what_left() {
    let mut watch = StuckWatch::new();
    for s in 0..1000 {
        watch.observe(reading(s, s as u64 * 10, 0, vec![]), 60);
    }
    let kept = watch.per[&id()].readings.len();
    assert!(kept <= 62, "{kept} readings kept");
    let first = watch.per[&id()].readings[0].0;
    assert!(at(999) - first <= Duration::seconds(61));
    watch.retain(|_| false);
    assert!(watch.is_empty());
}
