use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_600, 0)
        .single()
        .unwrap_or_default()
}

fn service(running: u64, desired: u64, update: Option<&str>) -> ServiceRow {
    ServiceRow {
        image: "ceo-missing:latest".into(),
        update_message: update
            .map(|_| "update paused due to failure or early termination of task x".into()),
        ..ServiceRow::sample(running, desired, update)
    }
}

fn rejected(slot: i64, ago_s: i64) -> TaskRow {
    TaskRow {
        id: format!("t{slot}-{ago_s}"),
        service_id: "s1".into(),
        name: format!("shop_web.{slot}"),
        slot: Some(slot),
        node_id: "n1".into(),
        node: "node-1".into(),
        desired_state: "shutdown".into(),
        state: "rejected".into(),
        message: "preparing".into(),
        error: Some("No such image: ceo-missing:latest".into()),
        exit_code: None,
        container_id: None,
        image: "ceo-missing:latest".into(),
        since: Some(now() - Duration::seconds(ago_s)),
        created: None,
    }
}

fn node(hostname: &str, status: &str, availability: &str, manager: &str) -> NodeRow {
    NodeRow {
        id: hostname.into(),
        hostname: hostname.into(),
        role: if manager.is_empty() {
            "worker"
        } else {
            "manager"
        }
        .into(),
        availability: availability.into(),
        status: status.into(),
        manager_status: manager.into(),
        engine: "20.10.24".into(),
        addr: String::new(),
        labels: Default::default(),
        tasks_running: None,
    }
}

#[test]
fn a_degraded_service_names_its_tasks_error_in_one_line() {
    let services = [service(2, 6, Some("paused"))];
    let tasks = [rejected(1, 5), rejected(2, 20), rejected(3, 30)];
    let thresholds = Thresholds::default();
    let view = SwarmView {
        services: &services,
        tasks: &tasks,
        nodes: &[],
        now: now(),
        thresholds: &thresholds,
    };
    let problems = evaluate(&view);
    let kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::ServiceDegraded,
            ProblemKind::TasksFailing,
            ProblemKind::UpdateStopped
        ]
    );
    assert_eq!(problems[0].subject, "shop_web");
    assert_eq!(
        problems[0].reason,
        "2/6 running: No such image: ceo-missing:latest"
    );
    assert_eq!(
        problems[1].reason,
        "3 tasks failed in the last 10m: No such image: ceo-missing:latest"
    );
    assert_eq!(
        problems[2].reason,
        "update paused: No such image: ceo-missing:latest"
    );
}

#[test]
fn a_healthy_swarm_has_no_problems_and_old_failures_do_not_count() {
    let services = [service(6, 6, Some("completed"))];
    let tasks = [rejected(1, 3600), rejected(2, 3600), rejected(3, 3600)];
    let nodes = [
        node("node-1", "ready", "active", "Leader"),
        node("node-2", "ready", "active", ""),
    ];
    let thresholds = Thresholds::default();
    let view = SwarmView {
        services: &services,
        tasks: &tasks,
        nodes: &nodes,
        now: now(),
        thresholds: &thresholds,
    };
    assert_eq!(evaluate(&view), Vec::new());
}

#[test]
fn nodes_down_or_drained_and_a_lost_quorum_are_problems() {
    let nodes = [
        node("node-1", "ready", "active", "Leader"),
        node("node-2", "down", "active", "Unreachable"),
        node("node-3", "ready", "drain", "Unreachable"),
    ];
    let problems: Vec<(String, ProblemKind, Severity)> = nodes
        .iter()
        .filter_map(node_problem)
        .chain(quorum(&nodes))
        .map(|p| (p.subject, p.kind, p.severity))
        .collect();
    assert_eq!(
        problems,
        [
            (
                "node-2".into(),
                ProblemKind::NodeUnavailable,
                Severity::Critical
            ),
            (
                "node-3".into(),
                ProblemKind::NodeUnavailable,
                Severity::Warning
            ),
            ("swarm".into(), ProblemKind::QuorumShort, Severity::Critical),
        ]
    );
    assert_eq!(
        quorum(&nodes).map(|p| p.reason).as_deref(),
        Some("1 of 3 managers reachable; a quorum needs 2")
    );
}
