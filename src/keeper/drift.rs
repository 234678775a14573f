//! One reconcile pass of the keeper over its projects: plan each against the daemon; start the
//! stopped-but-matching containers (those the keeper is not restarting, has not given up on,
//! and nobody stopped while it watched); apply the rest of the drift only with `auto_apply`,
//! else report it.

use std::collections::HashSet;

use crate::actions::{Action as Act, ActionContext, Target};
use crate::engine::ContainerId;
use crate::reconcile::apply::{ApplyOptions, apply, plan_live};
use crate::reconcile::compose::Project;
use crate::reconcile::plan::{Action, Plan, PlanOptions};

/// One line for the decision log.
#[derive(Debug, Clone)]
pub struct Line {
    pub decision: &'static str,
    pub subject: String,
    pub id: Option<ContainerId>,
    pub reason: String,
}

fn line(decision: &'static str, subject: &str, id: Option<&ContainerId>, reason: String) -> Line {
    Line {
        decision,
        subject: subject.to_string(),
        id: id.cloned(),
        reason,
    }
}

/// Plans every project and acts as above; `hold`: containers not to start.
pub async fn pass(
    ctx: &ActionContext,
    projects: &[Project],
    hold: &HashSet<ContainerId>,
    auto_apply: bool,
) -> Vec<Line> {
    let mut lines = Vec::new();
    for project in projects {
        let plan = match plan_live(&ctx.endpoint, project, &PlanOptions::default()).await {
            Ok(p) => p,
            Err(e) => {
                lines.push(line("plan_failed", &project.name, None, e.to_string()));
                continue;
            }
        };
        let plan = Plan {
            project: plan.project,
            steps: plan
                .steps
                .into_iter()
                .filter(|s| {
                    !(matches!(s.action, Action::Start)
                        && s.container.as_ref().is_some_and(|c| hold.contains(c)))
                })
                .collect(),
        };
        if plan.is_noop() {
            continue;
        }
        if auto_apply {
            let report = apply(ctx, project, &plan, &ApplyOptions::default(), None).await;
            for o in report.outcomes.iter().filter(|o| o.step.action.mutates()) {
                let reason = match &o.error {
                    Some(e) => format!("{} ({}): {e}", o.step.action.word(), o.outcome),
                    None => format!("{}: {}", o.step.action.word(), o.outcome),
                };
                let decision = if o.ok { "apply" } else { "apply_failed" };
                lines.push(line(decision, &o.step.name, o.container.as_ref(), reason));
            }
            continue;
        }
        for step in &plan.steps {
            match (&step.action, &step.container) {
                (Action::Start, Some(id)) => {
                    let target = Target {
                        id: id.clone(),
                        name: step.name.clone(),
                    };
                    let report = ctx.execute(&Act::Start, &target).await;
                    let (decision, reason) = match &report.result {
                        Ok(o) => (
                            "start",
                            format!("stopped but matching the files: {}", o.describe()),
                        ),
                        Err(e) => ("start_failed", e.to_string()),
                    };
                    lines.push(line(decision, &step.name, Some(id), reason));
                }
                (a, _) if a.mutates() => lines.push(line(
                    "drift",
                    &step.name,
                    step.container.as_ref(),
                    format!(
                        "{} needed in project {} (auto_apply is off)",
                        describe(a),
                        project.name
                    ),
                )),
                _ => {}
            }
        }
    }
    lines
}

fn describe(action: &Action) -> String {
    match action {
        Action::Recreate { changed } => format!("recreate ({})", changed.join(", ")),
        other => other.word().to_string(),
    }
}
