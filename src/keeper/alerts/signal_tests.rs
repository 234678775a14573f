use std::path::Path;

use chrono::TimeZone;

use super::*;
use crate::config::Config;
use crate::engine::RunState;
use crate::triage::ProblemKind;

fn rules(text: &str) -> Vec<AlertRule> {
    Config::parse(text, Path::new("c.toml"))
        .expect("good rules")
        .alerts
        .0
}

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0)
        .single()
        .unwrap_or_default()
}

fn container(name: &str, project: Option<&str>) -> Container {
    let mut c = Container::new(ContainerId(format!("{name}-id")), name.to_string());
    c.compose_project = project.map(str::to_string);
    c.state = RunState::Running;
    c.host = "local".into();
    c
}

fn event(c: &Container, action: EventAction, at: i64) -> ContainerEvent {
    ContainerEvent {
        host: "local".into(),
        id: c.id.clone(),
        name: Some(c.name.clone()),
        image: None,
        action,
        time: Some(t(at)),
        attributes: Default::default(),
        pod: None,
    }
}

fn judge() -> Judge {
    Judge::new("local", Thresholds::default(), t(0))
}

#[test]
fn a_non_zero_exit_nobody_asked_for_is_a_crash_in_triages_words() {
    let c = container("web-1", Some("shop"));
    let mut j = judge();
    let s = j.event(&event(&c, EventAction::Die(Some(3)), 1), Some(&c));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].kind, AlertKind::Crash);
    assert_eq!(s[0].exit_code, Some(3));
    assert!(
        s[0].message.starts_with("exited with 3 ("),
        "{}",
        s[0].message
    );
    assert_eq!(
        s[0].container.as_ref().and_then(|c| c.project.as_deref()),
        Some("shop")
    );
    // A kill before the death: asked for. A start clears it.
    assert!(
        j.event(&event(&c, EventAction::Kill(Some("9".into())), 2), Some(&c))
            .is_empty()
    );
    let crashes = |s: Vec<Signal>| s.into_iter().filter(|s| s.kind == AlertKind::Crash).count();
    assert_eq!(
        crashes(j.event(&event(&c, EventAction::Die(Some(137)), 3), Some(&c))),
        0
    );
    assert!(
        j.event(&event(&c, EventAction::Start, 4), Some(&c))
            .is_empty()
    );
    // SIGTERM's 143 and a clean 0 are no crash.
    assert_eq!(
        crashes(j.event(&event(&c, EventAction::Die(Some(143)), 5), Some(&c))),
        0
    );
    assert_eq!(
        crashes(j.event(&event(&c, EventAction::Die(Some(0)), 6), Some(&c))),
        0
    );
    // Events from before the keeper started are not acted on.
    let mut later = Judge::new("local", Thresholds::default(), t(100));
    assert!(
        later
            .event(&event(&c, EventAction::Die(Some(3)), 50), Some(&c))
            .is_empty()
    );
}

#[test]
fn deaths_reaching_the_crash_loop_count_are_a_restart_loop() {
    let c = container("w", None);
    let mut j = judge();
    let mut kinds = Vec::new();
    for i in 0..3 {
        for s in j.event(&event(&c, EventAction::Die(Some(1)), 1 + i), Some(&c)) {
            kinds.push((s.kind, s.message));
        }
    }
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let (kind, message) = &kinds[3];
    assert_eq!(*kind, AlertKind::RestartLoop);
    assert!(
        message.starts_with("died 3 times in 10m, last exit 1"),
        "{message}"
    );
}

#[test]
fn oom_and_unhealthy() {
    let mut c = container("w", None);
    c.memory_limit = Some(16 << 20);
    c.last_health_output = Some("down\nmore".into());
    let mut j = judge();
    let s = j.event(&event(&c, EventAction::Oom, 1), Some(&c));
    assert_eq!(s[0].kind, AlertKind::Oom);
    assert_eq!(s[0].message, "OOM-killed (exit 137), limit 16.0 MiB");
    let s = j.event(
        &event(&c, EventAction::HealthStatus(Some(Health::Unhealthy)), 2),
        Some(&c),
    );
    assert_eq!(s[0].kind, AlertKind::Unhealthy);
    assert_eq!(
        s[0].message,
        "health check failing: last check said \"down\""
    );
}

#[test]
fn globs_narrow_a_rule() {
    let r = rules(
        "[[alerts]]\nname = \"r\"\non = [\"crash\"]\ncontainers = [\"web-*\"]\nprojects = [\"shop\"]\n\
         hosts = [\"local\"]\nwebhook = \"http://h/\"\n",
    );
    let signal = |name: &str, project: Option<&str>, host: &str| {
        let c = container(name, project);
        Signal::new(AlertKind::Crash, host, Some(Subject::of(&c)), "x".into())
    };
    assert!(matches(&r[0], &signal("web-1", Some("shop"), "local")));
    assert!(!matches(&r[0], &signal("db-1", Some("shop"), "local")));
    assert!(!matches(&r[0], &signal("web-1", None, "local")));
    assert!(!matches(&r[0], &signal("web-1", Some("shop"), "far")));
    let oom = Signal::new(AlertKind::Oom, "local", None, "x".into());
    assert!(!matches(&r[0], &oom), "not its kind");
    // A signal for one rule only (a matched log line) fires no other.
    let mut only = signal("web-1", Some("shop"), "local");
    only.rule = Some("other".into());
    assert!(!matches(&r[0], &only));
}

/// Alerts take triage's problems by their kind's word: the disk and Swarm problems other
/// triage rules add fire `disk` and `swarm` rules without a change here.
#[test]
fn problems_of_disk_and_swarm_kinds_match_their_rules() {
    for kind in [
        ProblemKind::DiskNearlyFull,
        ProblemKind::Reclaimable,
        ProblemKind::NoSpace,
    ] {
        let word = serde_json::to_value(kind).expect("a word");
        let word = word.as_str().unwrap_or_default();
        assert_eq!(problem_kind(word), Some(AlertKind::Disk), "{word}");
    }
    for kind in [
        ProblemKind::ServiceDegraded,
        ProblemKind::TasksFailing,
        ProblemKind::UpdateStopped,
        ProblemKind::NodeUnavailable,
        ProblemKind::QuorumShort,
    ] {
        let word = serde_json::to_value(kind).expect("a word");
        let word = word.as_str().unwrap_or_default();
        assert_eq!(problem_kind(word), Some(AlertKind::Swarm), "{word}");
    }
    assert_eq!(problem_kind("oom_killed"), None, "events cover it");
    let r = rules(
        "[[alerts]]\nname = \"disk\"\non = [\"disk\"]\nwebhook = \"http://h/\"\n\n\
         [[alerts]]\nname = \"swarm\"\non = [\"swarm\"]\nwebhook = \"http://h/\"\n",
    );
    let kind = problem_kind("disk_nearly_full").expect("a disk kind");
    let disk = Signal::new(kind, "local", None, "/var/lib/docker 95% full".into());
    assert!(matches(&r[0], &disk));
    assert!(!matches(&r[1], &disk));
    let kind = problem_kind("service_degraded").expect("a swarm kind");
    let swarm = Signal::new(kind, "local", None, "web: 1 of 3 tasks running".into());
    assert!(matches(&r[1], &swarm));
    assert!(!matches(&r[0], &swarm));
    // A problem of today's triage, through the same path: its word is its JSON form.
    let p = Problem {
        container_id: None,
        subject: "GPU 0".into(),
        kind: crate::triage::ProblemKind::GpuOverThreshold,
        severity: crate::triage::Severity::Warning,
        reason: "x".into(),
        since: None,
        suggestion: crate::triage::Suggestion::Inspect,
    };
    assert_eq!(problem_word(&p), "gpu_over_threshold");
    assert!(from_problem(&p, "local", &crate::engine::Fleet::new()).is_none());
}

#[test]
fn a_log_rule_follows_the_containers_it_selects() {
    let r = rules(
        "[[alerts]]\nname = \"f\"\non = [\"log\"]\nmatch = \"FATAL\"\ncontainers = [\"api-*\"]\n\
         command = [\"true\"]\n\n[[alerts]]\nname = \"c\"\non = [\"crash\"]\ncommand = [\"true\"]\n",
    );
    assert!(follows(&r[0], &container("api-1", None)));
    assert!(!follows(&r[0], &container("web-1", None)));
    assert!(!follows(&r[1], &container("api-1", None)), "not a log rule");
}

#[test]
fn a_host_down_fires_each_rule_once_after_its_own_wait() {
    let r = rules(
        "[[alerts]]\nname = \"soon\"\non = [\"host_down\"]\nafter = \"10s\"\ncommand = [\"true\"]\n\n\
         [[alerts]]\nname = \"late\"\non = [\"host_down\"]\nafter = \"1m\"\ncommand = [\"true\"]\n\n\
         [[alerts]]\nname = \"other\"\non = [\"crash\"]\ncommand = [\"true\"]\n",
    );
    let secs = std::time::Duration::from_secs;
    let mut fired = HashSet::new();
    assert!(host_down(&r, "edge", secs(5), "refused", &fired).is_empty());
    let due = host_down(&r, "edge", secs(12), "connection refused", &fired);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].rule.as_deref(), Some("soon"));
    assert_eq!(
        due[0].message,
        "host edge unreachable for 12s: connection refused"
    );
    assert!(due[0].container.is_none());
    assert!(matches(&r[0], &due[0]) && !matches(&r[1], &due[0]));
    fired.insert("soon".to_string());
    let due = host_down(&r, "edge", secs(61), "refused", &fired);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].rule.as_deref(), Some("late"));
}
