//! Each rule from a recorded state.

use super::history::HISTORY_PER_CONTAINER;
use super::*;
use crate::engine::{ContainerEvent, ContainerId, EventAction};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("valid time")
}

fn ago(s: i64) -> DateTime<Utc> {
    now() - Duration::seconds(s)
}

fn container(name: &str, state: RunState) -> Container {
    let mut c = Container::new(ContainerId(format!("{name:0>64}")), name.into());
    c.state = state;
    c.started_at = Some(ago(3600));
    c
}

fn event(c: &Container, action: EventAction, at: DateTime<Utc>) -> ContainerEvent {
    ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: c.id.clone(),
        name: Some(c.name.clone()),
        image: None,
        action,
        time: Some(at),
        pod: None,
        attributes: Default::default(),
    }
}

struct Case {
    history: History,
    memory: HashMap<ContainerId, MemoryUse>,
    thresholds: Thresholds,
    observed: super::Observations,
}

impl Case {
    fn new() -> Self {
        Self {
            history: History::new(),
            memory: HashMap::new(),
            thresholds: Thresholds::default(),
            observed: super::Observations::default(),
        }
    }
    fn ctx(&self) -> Context<'_> {
        Context {
            history: &self.history,
            memory: &self.memory,
            gpu: None,
            now: now(),
            thresholds: &self.thresholds,
            observed: &self.observed,
        }
    }
    fn run(&self, fleet: &[Container]) -> Vec<Problem> {
        evaluate(fleet, &self.ctx())
    }
}

#[test]
fn healthy_fleet_has_no_problems() {
    let case = Case::new();
    let mut ok = container("web", RunState::Running);
    ok.health = Some(Health::Healthy);
    let mut clean = container("job", RunState::Exited);
    clean.exit_code = Some(0);
    let mut stopped = container("stopped", RunState::Exited);
    stopped.exit_code = Some(143);
    stopped.last_signal = Some("15".into());
    // Stopped by an operator, as the daemon's event log tells it (no signal on the container).
    let mut headless = container("headless", RunState::Exited);
    headless.exit_code = Some(143);
    let mut case = case;
    case.history
        .record(&event(&headless, EventAction::Start, ago(100)));
    case.history.record(&event(
        &headless,
        EventAction::Kill(Some("15".into())),
        ago(5),
    ));
    case.history
        .record(&event(&headless, EventAction::Die(Some(143)), ago(5)));
    assert_eq!(case.run(&[ok, clean, stopped, headless]), vec![]);
}

#[test]
fn oom_killed_with_limit_and_count() {
    let mut case = Case::new();
    let mut c = container("hog", RunState::Exited);
    c.exit_code = Some(137);
    c.oom_killed = true;
    c.memory_limit = Some(512 * 1024 * 1024);
    c.finished_at = Some(ago(30));
    for at in [500, 300, 30] {
        // The kernel may report several oom events for one kill: each run counts once.
        case.history.record(&event(&c, EventAction::Oom, ago(at)));
        case.history.record(&event(&c, EventAction::Oom, ago(at)));
        case.history
            .record(&event(&c, EventAction::Die(Some(137)), ago(at)));
    }
    let problems = case.run(&[c]);
    assert_eq!(
        problems.len(),
        1,
        "OOM explains the exit: no separate exit-137 problem"
    );
    assert_eq!(problems[0].kind, ProblemKind::OomKilled);
    assert_eq!(problems[0].severity, Severity::Critical);
    assert_eq!(
        problems[0].reason,
        "OOM-killed 3 times in 10m, limit 512 MiB"
    );
    assert_eq!(problems[0].since, Some(ago(30)));
}

#[test]
fn crash_loop_from_repeated_deaths() {
    let mut case = Case::new();
    let mut c = container("flaky", RunState::Running);
    c.exit_code = Some(3);
    for at in [50, 40, 30, 20] {
        case.history
            .record(&event(&c, EventAction::Die(Some(3)), ago(at)));
        case.history
            .record(&event(&c, EventAction::Start, ago(at - 1)));
    }
    // An inspect between two runs says exit 0: the last death's code comes from the events.
    c.exit_code = Some(0);
    // Deaths older than the window do not count.
    let problems = case.run(std::slice::from_ref(&c));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::CrashLoop);
    assert_eq!(
        problems[0].reason,
        "died 4 times in 10m, last exit 3 (error exit)"
    );

    let mut old = Case::new();
    for at in [5000, 4000, 3000] {
        old.history
            .record(&event(&c, EventAction::Die(Some(3)), ago(at)));
    }
    assert_eq!(old.run(&[c]), vec![]);
}

#[test]
fn restarting_with_restarts_is_a_crash_loop() {
    let case = Case::new();
    let mut c = container("looper", RunState::Restarting);
    c.restart_count = Some(7);
    c.exit_code = Some(1);
    let problems = case.run(&[c]);
    assert_eq!(problems[0].kind, ProblemKind::CrashLoop);
    assert!(
        problems[0].reason.starts_with("restarting, 7 restarts"),
        "{}",
        problems[0].reason
    );
}

#[test]
fn restarts_that_gave_up_are_a_crash_loop_without_history() {
    // A console opened after the loop: no deaths in its history, but the restart count tells.
    let case = Case::new();
    let mut c = container("crashy", RunState::Exited);
    c.restart_count = Some(5);
    c.exit_code = Some(3);
    c.finished_at = Some(ago(20));
    let problems = case.run(std::slice::from_ref(&c));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::CrashLoop);
    assert_eq!(
        problems[0].reason,
        "restarted 5 times, then gave up, last exit 3 (error exit)"
    );
    // Long ago: it is just an exited container with a non-zero code.
    c.finished_at = Some(ago(7200));
    let problems = case.run(&[c]);
    assert_eq!(problems[0].kind, ProblemKind::ExitedNonZero);
}

#[test]
fn sigterm_exit_is_never_a_problem() {
    // Stopped before anything was watched: no signal known, still not a fault.
    let case = Case::new();
    let mut c = container("api", RunState::Exited);
    c.exit_code = Some(143);
    c.finished_at = Some(ago(12));
    assert_eq!(case.run(&[c]), vec![]);
}

#[test]
fn unhealthy_with_last_output() {
    let case = Case::new();
    let mut c = container("api", RunState::Running);
    c.health = Some(Health::Unhealthy);
    c.last_health_output = Some("connection refused\nmore".into());
    let problems = case.run(&[c]);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Unhealthy);
    assert_eq!(
        problems[0].reason,
        "health check failing: last check said \"connection refused\""
    );
}

#[test]
fn stop_that_ran_out_its_timeout() {
    let mut case = Case::new();
    let mut c = container("stubborn", RunState::Exited);
    c.exit_code = Some(137);
    c.last_signal = Some("9".into());
    case.history
        .record(&event(&c, EventAction::Start, ago(100)));
    case.history
        .record(&event(&c, EventAction::Kill(Some("15".into())), ago(12)));
    case.history
        .record(&event(&c, EventAction::Kill(Some("9".into())), ago(2)));
    case.history
        .record(&event(&c, EventAction::Die(Some(137)), ago(2)));
    let problems = case.run(&[c.clone()]);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::StopTimedOut);

    // A plain `kill` (no SIGTERM first) is what the operator asked for: no problem.
    let mut plain = Case::new();
    plain
        .history
        .record(&event(&c, EventAction::Start, ago(100)));
    plain
        .history
        .record(&event(&c, EventAction::Kill(Some("9".into())), ago(2)));
    plain
        .history
        .record(&event(&c, EventAction::Die(Some(137)), ago(2)));
    assert_eq!(plain.run(&[c]), vec![]);
}

#[test]
fn exited_non_zero_reads_the_code() {
    let case = Case::new();
    let mut c = container("batch", RunState::Exited);
    c.exit_code = Some(127);
    c.finished_at = Some(ago(240));
    let problems = case.run(&[c]);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::ExitedNonZero);
    assert_eq!(
        problems[0].reason,
        "exited with 127 (command not found) 4m ago"
    );
    assert_eq!(problems[0].suggestion, Suggestion::Restart);
}

#[test]
fn stuck_states() {
    let mut case = Case::new();
    let removing = container("rm", RunState::Removing);
    let dead = container("dead", RunState::Dead);
    let mut created = container("new", RunState::Created);
    created.created = Some(ago(3600));
    let mut fresh = container("fresh", RunState::Created);
    fresh.created = Some(ago(10));
    let paused = container("paused", RunState::Paused);
    case.history
        .record(&event(&paused, EventAction::Pause, ago(7200)));
    let short_pause = container("nap", RunState::Paused);
    case.history
        .record(&event(&short_pause, EventAction::Pause, ago(60)));
    let problems = case.run(&[removing, dead, created, fresh, paused, short_pause]);
    let got: Vec<(&str, &str)> = problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Stuck)
        .map(|p| (p.subject.as_str(), p.reason.as_str()))
        .collect();
    assert!(got.contains(&("rm", "stuck in removing")), "{got:?}");
    assert!(
        got.contains(&("dead", "dead: Docker could not stop or remove it")),
        "{got:?}"
    );
    assert!(
        got.contains(&("new", "created 1h ago and never started")),
        "{got:?}"
    );
    assert!(got.contains(&("paused", "paused for 2h")), "{got:?}");
    assert_eq!(
        got.len(),
        4,
        "fresh and briefly paused containers are fine: {got:?}"
    );
}

#[test]
fn memory_near_its_limit() {
    let mut case = Case::new();
    let mut c = container("cache", RunState::Running);
    c.memory_limit = Some(100 * 1024 * 1024);
    case.memory.insert(
        c.id.clone(),
        MemoryUse {
            used: 95 * 1024 * 1024,
            limit: 100 * 1024 * 1024,
        },
    );
    let problems = case.run(std::slice::from_ref(&c));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].reason, "memory 95.0 MiB of 100 MiB (95 %)");
    case.memory.insert(
        c.id.clone(),
        MemoryUse {
            used: 50 * 1024 * 1024,
            limit: 100 * 1024 * 1024,
        },
    );
    assert_eq!(case.run(&[c]), vec![]);
}

#[test]
fn gpu_over_threshold_names_the_top_container() {
    let dir = tempfile::tempdir().expect("temp dir");
    crate::gpu::fixture::fake_proc(dir.path());
    let report = crate::gpu::attribute(
        &crate::gpu::fixture::sample(),
        dir.path(),
        &crate::gpu::fixture::known(),
        90.0,
    );
    let case = Case::new();
    let ctx = Context {
        gpu: Some(&report),
        ..case.ctx()
    };
    let problems = evaluate(&[], &ctx);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].subject, "GPU 0");
    assert!(
        problems[0]
            .reason
            .contains("most held by trainer (60.0 GiB)"),
        "{}",
        problems[0].reason
    );
}

#[test]
fn order_is_severity_then_recency() {
    let mut case = Case::new();
    let mut oom = container("oom", RunState::Exited);
    oom.exit_code = Some(137);
    oom.oom_killed = true;
    oom.finished_at = Some(ago(900));
    let mut recent = container("recent", RunState::Exited);
    recent.exit_code = Some(1);
    recent.finished_at = Some(ago(10));
    let mut older = container("older", RunState::Exited);
    older.exit_code = Some(2);
    older.finished_at = Some(ago(100));
    let mut slow = container("slow", RunState::Running);
    slow.memory_limit = Some(10);
    case.memory.insert(
        slow.id.clone(),
        MemoryUse {
            used: 10,
            limit: 10,
        },
    );
    let subjects: Vec<String> = case
        .run(&[slow, older, recent, oom])
        .into_iter()
        .map(|p| p.subject)
        .collect();
    assert_eq!(subjects, ["oom", "recent", "older", "slow"]);
}

#[test]
fn history_is_bounded_and_forgets_destroyed() {
    let mut history = History::new();
    let c = container("x", RunState::Running);
    for i in 0..1000 {
        history.record(&event(&c, EventAction::Start, ago(1000 - i)));
    }
    assert_eq!(history.of(&c.id).count(), HISTORY_PER_CONTAINER);
    history.record(&event(&c, EventAction::Destroy, ago(0)));
    assert_eq!(history.of(&c.id).count(), 0);
}
