//! Triage for Docker Swarm, read from a manager: a service below its desired replicas (with
//! its tasks' errors in one line: "2/6 running: No such image: ceo-missing:latest"), tasks
//! failing again and again, an update paused or rolled back, a node down, drained or paused,
//! managers short of quorum. The rules are pure functions of the manager's services, tasks and
//! nodes; [`gather`] reads those.

use chrono::{DateTime, Duration, Utc};

use super::{Problem, ProblemKind, Severity, Suggestion, Thresholds};
use crate::engine::swarm::{NodeRow, ServiceRow, TaskRow};
use crate::engine::{Endpoint, EngineError};

/// What the Swarm rules read.
#[derive(Debug, Clone, Copy)]
pub struct SwarmView<'a> {
    pub services: &'a [ServiceRow],
    /// Every task (history included), named after its service.
    pub tasks: &'a [TaskRow],
    pub nodes: &'a [NodeRow],
    pub now: DateTime<Utc>,
    pub thresholds: &'a Thresholds,
}

fn problem(subject: &str, kind: ProblemKind, severity: Severity, reason: String) -> Problem {
    Problem {
        container_id: None,
        subject: subject.to_string(),
        kind,
        severity,
        reason,
        since: None,
        suggestion: Suggestion::Logs,
    }
}

/// The distinct errors of a service's tasks, newest first (at most two), in one line.
fn task_errors(tasks: &[&TaskRow]) -> Option<String> {
    let mut newest: Vec<&TaskRow> = tasks
        .iter()
        .copied()
        .filter(|t| t.error.is_some())
        .collect();
    newest.sort_by_key(|t| std::cmp::Reverse(t.since));
    let mut errors: Vec<&str> = Vec::new();
    for t in newest {
        let error = t.error.as_deref().unwrap_or_default();
        if !errors.contains(&error) {
            errors.push(error);
        }
    }
    (!errors.is_empty()).then(|| {
        let mut line = errors
            .iter()
            .take(2)
            .copied()
            .collect::<Vec<_>>()
            .join("; ");
        if errors.len() > 2 {
            line.push_str(&format!(" (+{} more)", errors.len() - 2));
        }
        line
    })
}

/// A service's problems: below its replicas, failing tasks, a stopped update.
pub fn service_problems(service: &ServiceRow, view: &SwarmView<'_>) -> Vec<Problem> {
    let tasks: Vec<&TaskRow> = view
        .tasks
        .iter()
        .filter(|t| t.service_id == service.id)
        .collect();
    let window_start = view.now - Duration::seconds(view.thresholds.window_s);
    let recent_failures: Vec<&TaskRow> = tasks
        .iter()
        .copied()
        .filter(|t| t.failed() && t.since.is_none_or(|s| s >= window_start))
        .collect();
    let mut found = Vec::new();
    if service.running < service.desired {
        let mut reason = format!("{}/{} running", service.running, service.desired);
        if let Some(errors) = task_errors(&recent_failures) {
            reason.push_str(&format!(": {errors}"));
        }
        let severity = if service.running == 0 {
            Severity::Critical
        } else {
            Severity::Error
        };
        let mut p = problem(
            &service.name,
            ProblemKind::ServiceDegraded,
            severity,
            reason,
        );
        p.since = recent_failures.iter().filter_map(|t| t.since).max();
        found.push(p);
    }
    if recent_failures.len() >= view.thresholds.crash_loop_deaths.max(1) {
        let errors = task_errors(&recent_failures).unwrap_or_else(|| "no error given".into());
        let reason = format!(
            "{} tasks failed in the last {}: {errors}",
            recent_failures.len(),
            crate::present::short_duration(view.thresholds.window_s)
        );
        let mut p = problem(
            &service.name,
            ProblemKind::TasksFailing,
            Severity::Error,
            reason,
        );
        p.since = recent_failures.iter().filter_map(|t| t.since).max();
        found.push(p);
    }
    let stopped = match service.update_state.as_deref() {
        Some("paused") => Some("update paused"),
        Some("rollback_paused") => Some("rollback paused"),
        Some("rollback_completed") => Some("update rolled back"),
        _ => None,
    };
    if let Some(what) = stopped {
        // The tasks' own errors say more than the manager's "due to failure of task X".
        let reason = match (task_errors(&recent_failures), &service.update_message) {
            (Some(errors), _) => format!("{what}: {errors}"),
            (None, Some(m)) => format!("{what}: {m}"),
            (None, None) => what.to_string(),
        };
        let mut p = problem(
            &service.name,
            ProblemKind::UpdateStopped,
            Severity::Warning,
            reason,
        );
        p.since = service.update_started;
        p.suggestion = Suggestion::Inspect;
        found.push(p);
    }
    found
}

/// A node's problem: not ready (down), drained or paused.
pub fn node_problem(node: &NodeRow) -> Option<Problem> {
    let (severity, reason) = if node.status != "ready" {
        (Severity::Critical, format!("node is {}", node.status))
    } else if node.availability == "drain" {
        (Severity::Warning, "drained: no tasks run here".to_string())
    } else if node.availability == "pause" {
        (
            Severity::Warning,
            "paused: no new tasks placed here".to_string(),
        )
    } else {
        return None;
    };
    let mut p = problem(
        &node.hostname,
        ProblemKind::NodeUnavailable,
        severity,
        reason,
    );
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// Managers short of quorum: fewer reachable than a majority of them.
pub fn quorum(nodes: &[NodeRow]) -> Option<Problem> {
    let managers: Vec<&NodeRow> = nodes.iter().filter(|n| n.is_manager()).collect();
    let reachable = managers
        .iter()
        .filter(|n| matches!(n.manager_status.as_str(), "Leader" | "Reachable"))
        .count();
    let needed = managers.len() / 2 + 1;
    (!managers.is_empty() && reachable < needed).then(|| {
        problem(
            "swarm",
            ProblemKind::QuorumShort,
            Severity::Critical,
            format!(
                "{reachable} of {} managers reachable; a quorum needs {needed}",
                managers.len()
            ),
        )
    })
}

/// Every Swarm rule over the manager's view, worst first.
pub fn evaluate(view: &SwarmView<'_>) -> Vec<Problem> {
    let mut problems: Vec<Problem> = view
        .services
        .iter()
        .flat_map(|s| service_problems(s, view))
        .collect();
    problems.extend(view.nodes.iter().filter_map(node_problem));
    problems.extend(quorum(view.nodes));
    problems.sort_by(super::order);
    problems
}

/// Reads the manager's services, tasks and nodes and runs the rules.
pub async fn gather(
    manager: &Endpoint,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Problem>, EngineError> {
    let services = manager.services().await?;
    let nodes = manager.nodes().await?;
    let tasks = manager
        .tasks(&Default::default(), &services, &nodes)
        .await?;
    Ok(evaluate(&SwarmView {
        services: &services,
        tasks: &tasks,
        nodes: &nodes,
        now,
        thresholds,
    }))
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;
