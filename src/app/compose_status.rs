//! The compose project's lines on the status line: the plan summary (once the container list
//! is in) and the apply summary.

use std::collections::BTreeMap;

use super::AppState;
use crate::reconcile::apply::ApplyReport;
use crate::reconcile::plan::Action;

/// The plan summary on the status line once the container list is in; until then, that it
/// waits (a plan from part of the list would count what exists as to create).
pub(super) fn say_plan_when_listed(state: &mut AppState) {
    let listed = state.fleet.is_listed();
    let Some(compose) = state.compose.as_deref_mut() else {
        return;
    };
    compose.summary_waits = !listed;
    if listed {
        let text = plan_summary(state);
        state.set_status(text, false);
    } else {
        let name = compose.project_name().unwrap_or_default().to_string();
        state.set_status(
            format!("plan {name}: waiting for the container list …"),
            false,
        );
    }
}

/// "plan shop: 1 create, 2 unchanged" (or what is wrong).
pub(super) fn plan_summary(state: &AppState) -> String {
    let Some(compose) = &state.compose else {
        return String::new();
    };
    let Some(plan) = &compose.plan else {
        return "plan: no project read".into();
    };
    let counts: Vec<String> = plan
        .counts()
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    if counts.is_empty() {
        return format!("plan {}: no services", plan.project);
    }
    format!("plan {}: {}", plan.project, counts.join(", "))
}

/// The past tense of a mutating step, as the status line counts them.
fn done_word(action: &Action) -> &'static str {
    match action {
        Action::Build => "built",
        Action::Create => "created",
        Action::Recreate { .. } => "recreated",
        Action::Start => "started",
        Action::Remove { .. } => "removed",
        Action::Unchanged | Action::Orphan | Action::Conflict { .. } => "unchanged",
    }
}

/// "apply: 3 created, 1 recreated, 0 failed (+1 network/volume)", and whether any step
/// failed. Networks and volumes made for the project are counted apart from the containers.
pub fn apply_summary(report: &ApplyReport) -> (String, bool) {
    let mut counts: BTreeMap<usize, (&'static str, usize)> = BTreeMap::new();
    let order = ["created", "recreated", "started", "removed"];
    let mut failed = Vec::new();
    let mut resources = 0;
    for o in report.outcomes.iter().filter(|o| o.step.action.mutates()) {
        if o.ok && o.is_resource() {
            resources += 1;
        } else if o.ok {
            let word = done_word(&o.step.action);
            let rank = order.iter().position(|w| *w == word).unwrap_or(order.len());
            counts.entry(rank).or_insert((word, 0)).1 += 1;
        } else {
            failed.push(o);
        }
    }
    let mut parts: Vec<String> = counts
        .values()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    if parts.is_empty() && failed.is_empty() {
        return ("apply: nothing to change".into(), false);
    }
    if parts.is_empty() && resources > 0 {
        parts.push("0 created".into());
    }
    parts.push(format!("{} failed", failed.len()));
    let mut text = format!("apply: {}", parts.join(", "));
    if resources > 0 {
        let s = if resources == 1 { "" } else { "s" };
        text.push_str(&format!(" (+{resources} network/volume{s})"));
    }
    if let Some(first) = failed.first() {
        let why = first.error.as_deref().unwrap_or(first.outcome.as_str());
        text.push_str(&format!(" ({}: {why})", first.step.name));
    }
    (text, !failed.is_empty())
}
