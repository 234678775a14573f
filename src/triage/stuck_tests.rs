//! The stuck rules, one table row per kind: what fires it (with its one line of why and the
//! next step), and what does not.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::engine::cgroup_stats::vitals::{MemoryCounters, PidsCounters};
use crate::engine::procs::ProcState;
use crate::engine::{Container, ContainerId, Health, RunState};
use crate::triage::stuck_watch::{MemorySeen, Stopped, Throttle};
use crate::triage::{History, HungCall, Observations, Observed, Thresholds};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

fn running(name: &str) -> Container {
    let mut c = Container::new(ContainerId(format!("{name}-id")), name.into());
    c.state = RunState::Running;
    c.started_at = Some(now() - Duration::minutes(5));
    c
}

fn run(c: &Container, observed: Observed) -> Vec<Problem> {
    let mut obs = Observations::default();
    obs.containers.insert(c.id.clone(), observed);
    run_with(c, &obs)
}

fn run_with(c: &Container, observed: &Observations) -> Vec<Problem> {
    run_under(c, observed, &Thresholds::default())
}

fn run_under(c: &Container, observed: &Observations, thresholds: &Thresholds) -> Vec<Problem> {
    let history = History::new();
    let memory = HashMap::new();
    let ctx = Context {
        history: &history,
        memory: &memory,
        gpu: None,
        now: now(),
        thresholds,
        observed,
    };
    crate::triage::evaluate([c], &ctx)
}

fn throttle(pct: f64, recent: f64, span: Option<i64>) -> Observed {
    Observed {
        throttle: Some(Throttle {
            pct,
            span_s: span,
            recent_pct: recent,
            limit_cpus: Some(0.1),
        }),
        ..Observed::default()
    }
}

#[test]
fn throttled_at_its_limit_most_of_the_minute() {
    let c = running("busy");
    let p = run(&c, throttle(97.0, 100.0, Some(60)));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].kind, ProblemKind::CpuThrottled);
    assert_eq!(
        p[0].reason,
        "throttled 97 % of the last 1m at its 0.1-CPU limit"
    );
    assert_eq!(p[0].suggestion, Suggestion::Inspect);
    let since_start = run(&c, throttle(98.0, 100.0, None));
    assert!(since_start[0].reason.contains("since it started"));
    // Throttled once, or not now: nothing.
    assert!(run(&c, throttle(20.0, 100.0, Some(60))).is_empty());
    assert!(run(&c, throttle(97.0, 0.0, Some(60))).is_empty());
}

fn stopped(state: char, wchan: &str, main: bool) -> Observed {
    Observed {
        stopped: Some(Stopped {
            process: ProcState {
                pid: 42,
                ppid: 1,
                comm: "sleep".into(),
                state,
                wchan: Some(wchan.into()),
            },
            main,
            stuck: 3,
            total: 4,
            since: now() - Duration::minutes(2),
        }),
        ..Observed::default()
    }
}

#[test]
fn a_stopped_main_process_says_how_long_and_where_and_suggests_sigcont() {
    let c = running("api");
    let p = run(&c, stopped('T', "do_signal_stop", true));
    assert_eq!(p[0].kind, ProblemKind::ProcessStopped);
    assert_eq!(
        p[0].reason,
        "main process (sleep, pid 42) stopped (T) for 2m, waiting in `do_signal_stop`"
    );
    assert_eq!(p[0].suggestion, Suggestion::Continue);
}

#[test]
fn d_state_is_named_with_its_wait_channel_and_suggests_a_restart() {
    let c = running("nfs");
    let p = run(&c, stopped('D', "nfs_wait_bit_killable", false));
    assert_eq!(
        p[0].reason,
        "3 of 4 processes in D state for 2m, waiting in `nfs_wait_bit_killable`"
    );
    assert_eq!(p[0].suggestion, Suggestion::Restart);
}

#[test]
fn out_of_pids_at_the_limit_with_refused_forks_when_there_are_some() {
    let c = running("forky");
    let pids = |current, refused| Observed {
        pids: Some(PidsCounters {
            current,
            max: Some(4),
            refused,
        }),
        ..Observed::default()
    };
    let p = run(&c, pids(4, 0));
    assert_eq!(p[0].kind, ProblemKind::OutOfPids);
    assert_eq!(
        p[0].reason,
        "4 of 4 pids in use: new processes and execs fail"
    );
    assert!(run(&c, pids(4, 3))[0].reason.ends_with("; 3 forks refused"));
    assert!(run(&c, pids(3, 3)).is_empty());
}

#[test]
fn failing_in_the_start_period_counts_and_quotes_the_last_check() {
    let mut c = running("warming");
    c.health = Some(Health::Starting);
    c.health_failing_streak = Some(5);
    c.last_health_output = Some("not yet\nmore".into());
    let p = run_with(&c, &Observations::default());
    assert_eq!(p[0].kind, ProblemKind::FailingInStartPeriod);
    assert_eq!(
        p[0].reason,
        "5 failed checks in a row in its start period, last said \"not yet\""
    );
    c.health_failing_streak = Some(0);
    assert!(run_with(&c, &Observations::default()).is_empty());
}

#[test]
fn memory_pressure_near_the_limit_while_reclaiming_replaces_near_limit() {
    let mut c = running("hungry");
    c.memory_limit = Some(64 << 20);
    let seen = |usage: u64, hits: u64, psi: f64| Observed {
        memory: Some(MemorySeen {
            counters: MemoryCounters {
                usage,
                limit: Some(64 << 20),
                limit_hits: 1000 + hits,
                high_events: 0,
                major_faults: 300,
                swap: Some(8 << 20),
                pressure_some_avg10: Some(psi),
            },
            limit_hits: hits,
            major_faults: 0,
            span_s: 60,
        }),
        ..Observed::default()
    };
    let p = run(&c, seen(63 << 20, 120, 42.0));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].kind, ProblemKind::MemoryPressure);
    assert!(
        p[0].reason
            .starts_with("98 % of its 64.0 MiB limit, reclaiming (last 1m): 120 limit hits"),
        "{}",
        p[0].reason
    );
    assert!(p[0].reason.contains("42 % stalled"), "{}", p[0].reason);
    // Near the limit but not reclaiming: not this problem.
    assert!(run(&c, seen(63 << 20, 0, 0.0)).is_empty());
    // Reclaiming far under the limit: not this problem.
    assert!(run(&c, seen(10 << 20, 500, 50.0)).is_empty());
}

#[test]
fn a_hung_call_for_one_container_names_the_call() {
    let c = running("wedged");
    let mut obs = Observations::default();
    obs.hung.insert(
        c.id.clone(),
        HungCall {
            call: "inspect".into(),
            at: now() - Duration::seconds(30),
        },
    );
    let p = run_with(&c, &obs);
    assert_eq!(p[0].kind, ProblemKind::HungCalls);
    assert_eq!(
        p[0].reason,
        "inspect timed out 30s ago while the daemon answered for other containers"
    );
}

#[test]
fn silence_is_opt_in_and_read_only_where_logs_are_followed() {
    let mut c = running("quiet");
    let mut obs = Observations::default();
    obs.last_log
        .insert(c.id.clone(), Some(now() - Duration::minutes(12)));
    // Not opted in: nothing.
    assert!(run_with(&c, &obs).is_empty());
    c.labels.insert(SILENT_LABEL.into(), "10m".into());
    let p = run_with(&c, &obs);
    assert_eq!(p[0].kind, ProblemKind::Silent);
    assert_eq!(p[0].reason, "no log line for 12m (silent after 10m)");
    // Opted in but its logs not read: no guess.
    assert!(run_with(&c, &Observations::default()).is_empty());
    // A bad duration in the label: nothing (not a crash).
    c.labels.insert(SILENT_LABEL.into(), "soon".into());
    assert!(run_with(&c, &obs).is_empty());
}

#[test]
fn the_config_opts_containers_into_silence_by_name_and_the_label_comes_first() {
    // The config's `[triage]` section.
    let thresholds: Thresholds = toml::from_str(
        r#"
[[silent]]
containers = ["quiet-*", "batch"]
after = "10m"

[[silent]]
containers = ["*"]
after = "1h"
"#,
    )
    .expect("a valid [triage] section");
    let mut obs = Observations::default();
    let mut c = running("quiet-1");
    obs.last_log
        .insert(c.id.clone(), Some(now() - Duration::minutes(12)));
    let p = run_under(&c, &obs, &thresholds);
    assert_eq!(p[0].kind, ProblemKind::Silent);
    assert_eq!(p[0].reason, "no log line for 12m (silent after 10m)");
    // The label says otherwise: it comes first.
    c.labels.insert(SILENT_LABEL.into(), "30m".into());
    assert!(run_under(&c, &obs, &thresholds).is_empty());
    // Another name: the catch-all rule's hour.
    let other = running("web-1");
    obs.last_log
        .insert(other.id.clone(), Some(now() - Duration::minutes(12)));
    assert!(run_under(&other, &obs, &thresholds).is_empty());
}

#[test]
fn a_bad_glob_in_a_silence_rule_is_a_config_error() {
    let bad =
        toml::from_str::<Thresholds>("[[silent]]\ncontainers = [\"web-[\"]\nafter = \"10m\"\n");
    let e = bad.expect_err("a bad glob");
    assert!(e.to_string().contains("web-["), "{e}");
}

#[test]
fn nothing_observed_nothing_found() {
    assert!(run_with(&running("fine"), &Observations::default()).is_empty());
}
