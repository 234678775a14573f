//! Snapshots of the triage view with every up-and-stuck kind (a stopped main process fed
//! through two vitals readings as the console gets them; the others' observations set as the
//! watch, the action layer and the logs pane leave them), at 80x24 and 160x48.

use std::collections::HashSet;

use chrono::Duration;

use crate::app::fixture::{container, now, state_at};
use crate::app::{AppState, Msg, update};
use crate::config::keys::KeyChord;
use crate::engine::cgroup_stats::vitals::{CgroupVitals, MemoryCounters, PidsCounters};
use crate::engine::procs::ProcState;
use crate::engine::vitals::Vitals;
use crate::engine::{Container, FleetUpdate, Health, RunState};
use crate::triage::stuck::SILENT_LABEL;
use crate::triage::stuck_watch::{MemorySeen, Stopped, Throttle};
use crate::triage::{HungCall, Observed};
use crate::ui::tests::{snapshot, text};

fn running(name: &str) -> Container {
    let mut c = container(name, "busybox:latest", RunState::Running);
    c.started_at = Some(now() - Duration::minutes(30));
    c
}

fn stopped_reading(c: &Container, secs: i64) -> Vitals {
    Vitals {
        id: c.id.clone(),
        at: now() - Duration::seconds(secs),
        cgroup: CgroupVitals {
            procs: vec![4242],
            ..CgroupVitals::default()
        },
        processes: vec![ProcState {
            pid: 4242,
            ppid: 4200,
            comm: "api".into(),
            state: 'T',
            wchan: Some("do_signal_stop".into()),
        }],
    }
}

fn stuck_fleet() -> (AppState, Vec<Container>) {
    let (api, nfs, forky, busy) = (
        running("api"),
        running("nfs-worker"),
        running("forky"),
        running("busy"),
    );
    let mut warming = running("warming");
    warming.health = Some(Health::Starting);
    warming.health_failing_streak = Some(5);
    warming.last_health_output = Some("connection refused".into());
    let mut hungry = running("hungry");
    hungry.memory_limit = Some(64 << 20);
    let (wedged, mut quiet) = (running("wedged"), running("quiet"));
    quiet.labels.insert(SILENT_LABEL.into(), "10m".into());
    let fleet = vec![api, nfs, forky, busy, warming, hungry, wedged, quiet];
    (state_at(80, 24), fleet)
}

fn observe(s: &mut AppState, fleet: &[Container]) {
    let _ = update(
        s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet.to_vec(),
        )),
    );
    let id = |name: &str| {
        fleet
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    // The stopped one as the console learns it: two readings of its vitals.
    let _ = update(s, Msg::Vitals(vec![stopped_reading(&fleet[0], 125)]));
    let _ = update(s, Msg::Vitals(vec![stopped_reading(&fleet[0], 120)]));
    let observed = &mut s.triage.observed;
    let d_state = Stopped {
        process: ProcState {
            pid: 311,
            ppid: 300,
            comm: "worker".into(),
            state: 'D',
            wchan: Some("nfs_wait_bit_killable".into()),
        },
        main: true,
        stuck: 1,
        total: 1,
        since: now() - Duration::minutes(2),
    };
    let entries = [
        (
            "nfs-worker",
            Observed {
                stopped: Some(d_state),
                ..Observed::default()
            },
        ),
        (
            "forky",
            Observed {
                pids: Some(PidsCounters {
                    current: 4,
                    max: Some(4),
                    refused: 3,
                }),
                ..Observed::default()
            },
        ),
        (
            "busy",
            Observed {
                throttle: Some(Throttle {
                    pct: 97.0,
                    span_s: Some(60),
                    recent_pct: 100.0,
                    limit_cpus: Some(0.1),
                }),
                ..Observed::default()
            },
        ),
        (
            "hungry",
            Observed {
                memory: Some(MemorySeen {
                    counters: MemoryCounters {
                        usage: 63 << 20,
                        limit: Some(64 << 20),
                        limit_hits: 1532,
                        high_events: 0,
                        major_faults: 12021,
                        swap: Some(8 << 20),
                        pressure_some_avg10: Some(42.0),
                    },
                    limit_hits: 120,
                    major_faults: 300,
                    span_s: 60,
                }),
                ..Observed::default()
            },
        ),
    ];
    for (name, o) in entries {
        observed.containers.insert(id(name), o);
    }
    observed.hung.insert(
        id("wedged"),
        HungCall {
            call: "stop".into(),
            at: now() - Duration::seconds(40),
        },
    );
    observed
        .last_log
        .insert(id("quiet"), Some(now() - Duration::minutes(12)));
    s.triage.throttled.0 = HashSet::from([id("busy")]);
    let _ = update(s, Msg::Tick(now()));
}

#[test]
fn triage_view_with_every_stuck_kind() {
    for (w, h) in [(80, 24), (160, 48)] {
        let (mut s, fleet) = stuck_fleet();
        let _ = update(
            &mut s,
            Msg::Resize {
                width: w,
                height: h,
            },
        );
        observe(&mut s, &fleet);
        let _ = update(&mut s, Msg::Key(KeyChord::char('t')));
        let screen = text(&s);
        for kind in [
            "process stopped",
            "out of pids",
            "CPU throttled",
            "failing, starting",
            "memory pressure",
            "hung daemon calls",
            "silent",
        ] {
            assert!(screen.contains(kind), "{kind} missing:\n{screen}");
        }
        assert!(screen.contains("C SIGCONT"), "{screen}");
        snapshot("triage_stuck", &s);
    }
}

#[test]
fn help_says_once_which_checks_cannot_run_without_the_files() {
    let mut s = state_at(160, 48);
    s.settings.stats_source = crate::app::StatsSource::Api {
        why: "the daemon is not on this machine".into(),
    };
    let note = crate::app::help::stuck_note(&s).unwrap_or_default();
    assert_eq!(
        note,
        "Triage: these checks cannot run here (the daemon is not on this machine): \
         cpu_throttled, process_stopped, out_of_pids, memory_pressure"
    );
    let _ = update(&mut s, Msg::Key(KeyChord::char('?')));
    let _ = update(&mut s, Msg::Key(KeyChord::char('G')));
    let screen = text(&s);
    assert_eq!(
        screen.matches("these checks cannot run").count(),
        1,
        "{screen}"
    );
    s.settings.stats_source = crate::app::StatsSource::Cgroup {
        layout: "cgroup v1 (cgroupfs driver) at /sys/fs/cgroup".into(),
    };
    assert_eq!(crate::app::help::stuck_note(&s), None);
}
