//! Triage over the history store: the daemon's events and the recorded ones merged into one
//! [`History`] (so crash loops and OOM kills from before the daemon restarted still count),
//! containers the daemon no longer has brought back from their rows, and the keeper's
//! give-ups as problems of their own.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{History, Problem, ProblemKind, Severity, Suggestion};
use crate::engine::{Container, ContainerEvent, ContainerId, EventAction, RunState};
use crate::store::{ContainerRow, EventRow};

/// One [`History`] from events of several sources: sorted by time, an event seen twice (the
/// daemon's and the store's copy) counted once. Destroy events are left out, so that a
/// container removed since still has its deaths.
pub fn merge(mut events: Vec<ContainerEvent>) -> History {
    events.sort_by_key(|e| e.time);
    let mut seen = HashSet::new();
    let mut history = History::new();
    for event in &events {
        if event.action == EventAction::Destroy {
            continue;
        }
        let key = (
            event.id.0.clone(),
            event.time,
            format!("{:?}", event.action),
        );
        if seen.insert(key) {
            history.record(event);
        }
    }
    history
}

/// The containers of `rows` the live fleet lacks that died or were OOM-killed in the window
/// (per `events`), as fleet containers for the rules: named "NAME (gone)", in no state the
/// rules read as a live one, so only what their history says can fire.
pub fn gone_containers(
    rows: &[ContainerRow],
    events: &[ContainerEvent],
    live: &[Container],
) -> Vec<Container> {
    let live: HashSet<&str> = live.iter().map(|c| c.id.0.as_str()).collect();
    let died: HashSet<&str> = events
        .iter()
        .filter(|e| matches!(e.action, EventAction::Die(_) | EventAction::Oom))
        .map(|e| e.id.0.as_str())
        .collect();
    rows.iter()
        .filter(|r| !live.contains(r.id.as_str()) && died.contains(r.id.as_str()))
        .map(|r| {
            let id = ContainerId(r.id.clone());
            let name = format!("{} (gone)", r.name.as_deref().unwrap_or(id.short()));
            let mut c = Container::new(id, name);
            c.state = RunState::Unknown;
            c.image = r.image.clone().unwrap_or_default();
            c.exit_code = r.exit_code;
            c.set_labels(r.labels.clone());
            c
        })
        .collect()
}

/// One problem per container the keeper gave up on (its latest note), naming the reason.
pub fn gave_up(notes: &[EventRow], names: &HashMap<String, String>) -> Vec<Problem> {
    let mut latest: HashMap<&str, &EventRow> = HashMap::new();
    for note in notes.iter().filter(|n| n.is_give_up()) {
        let entry = latest.entry(note.container_id.as_str()).or_insert(note);
        if note.time >= entry.time {
            *entry = note;
        }
    }
    let mut problems: Vec<Problem> = latest
        .into_values()
        .map(|note| {
            let id = ContainerId(note.container_id.clone());
            let subject = names
                .get(&note.container_id)
                .cloned()
                .or_else(|| note.name.clone())
                .unwrap_or_else(|| id.short().to_string());
            let detail = note.detail();
            Problem {
                container_id: Some(id),
                subject,
                kind: ProblemKind::GaveUp,
                severity: Severity::Critical,
                reason: if detail.is_empty() {
                    "the keeper stopped restarting it".into()
                } else {
                    format!("the keeper stopped restarting it: {detail}")
                },
                since: Some(note.time),
                suggestion: Suggestion::Logs,
            }
        })
        .collect();
    problems.sort_by_key(|p| std::cmp::Reverse(p.since));
    problems
}

/// Adds `more` to `problems`, keeping the order [`super::evaluate`] gives (worst first, then
/// most recent).
pub fn add_sorted(problems: &mut Vec<Problem>, more: Vec<Problem>) {
    problems.extend(more);
    problems.sort_by(super::order);
}

/// The window's start for `window_s` seconds back from `now`.
pub fn window_start(now: DateTime<Utc>, window_s: i64) -> DateTime<Utc> {
    now - chrono::Duration::seconds(window_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, secs: i64, action: EventAction) -> ContainerEvent {
        ContainerEvent {
            host: crate::engine::LOCAL_HOST.to_string(),
            id: ContainerId(id.into()),
            name: Some("web".into()),
            image: None,
            action,
            time: DateTime::from_timestamp(secs, 0),
            pod: None,
            attributes: HashMap::new(),
        }
    }

    #[test]
    fn merged_events_count_once_and_survive_destroy() {
        let daemon = vec![event("a", 30, EventAction::Die(Some(3)))];
        let stored = vec![
            event("a", 10, EventAction::Die(Some(3))),
            event("a", 20, EventAction::Die(Some(3))),
            event("a", 30, EventAction::Die(Some(3))),
            event("a", 40, EventAction::Destroy),
        ];
        let history = merge(stored.into_iter().chain(daemon).collect());
        let since = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let id = ContainerId("a".into());
        assert_eq!(
            history.count(&id, since, |s| matches!(s, super::super::Seen::Die(_))),
            3
        );
    }

    #[test]
    fn give_ups_name_the_latest_reason() {
        let note = |secs, reason: &str| EventRow {
            time: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            host: "h".into(),
            container_id: "abc".into(),
            name: Some("web".into()),
            action: crate::store::NOTE_GIVE_UP.into(),
            exit_code: None,
            attributes: serde_json::json!({ "reason": reason }),
        };
        let problems = gave_up(
            &[note(1, "old"), note(2, "budget of 3 spent")],
            &HashMap::new(),
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].subject, "web");
        assert!(
            problems[0].reason.contains("budget of 3 spent"),
            "{}",
            problems[0].reason
        );
    }
}
