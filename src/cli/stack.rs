//! `plan --swarm`, `apply --swarm` and `down --swarm`: a compose file as a Swarm stack named
//! by `-p`, through the manager's API, named and labelled as `docker stack deploy` does.
//! `plan` prints one line per object (kind, name, action, what changed, id); `apply` carries
//! the plan out and prints each outcome as it comes; `down` removes every service, network,
//! secret and config labelled `com.docker.stack.namespace=STACK`, and nothing else, asking
//! first like `rm` (`--yes` when stdin is not a terminal). A host that is not a Swarm
//! manager is refused (exit 2).

use std::io::{IsTerminal, Write};

use super::compose::{ApplyArgs, DownArgs, PlanArgs, ProjectArgs};
use super::output::{json_line, quiet_pipe, table, with_host};
use super::{CliError, Exit, Globals};
use crate::engine::Endpoint;
use crate::engine::stack_reads::SwarmRole;
use crate::reconcile::compose::Project;
use crate::reconcile::compose::swarm::is_swarm_only_warning;
use crate::reconcile::stack::apply::{StepOutcome, apply, current};
use crate::reconcile::stack::convert::{Desired, stack};
use crate::reconcile::stack::plan::{Action, StackPlan, Step, plan as make_plan};
use crate::sanitize::printable;

fn load(args: &ProjectArgs, globals: &Globals) -> Result<(Project, Desired), CliError> {
    let project = globals.compose_project(
        &args.file.files,
        args.file.project_name.as_deref(),
        &args.profiles,
    )?;
    let read = |path: &std::path::Path| std::fs::read(path);
    let desired = stack(&project, &read).map_err(|e| CliError::Usage(e.to_string()))?;
    let lines = project
        .warnings
        .iter()
        .filter(|l| !is_swarm_only_warning(l))
        .chain(&desired.ignored);
    for line in lines {
        eprintln!("fleetdeck: warning: {}", printable(line));
    }
    Ok((project, desired))
}

async fn manager(endpoint: &Endpoint) -> Result<(), CliError> {
    match endpoint.swarm_role().await? {
        SwarmRole::Manager => Ok(()),
        role => Err(CliError::Usage(format!(
            "host '{}' is {}: a stack is deployed through a Swarm manager",
            endpoint.name,
            if role == SwarmRole::Worker {
                "a Swarm worker"
            } else {
                "not in a swarm"
            }
        ))),
    }
}

fn detail(step: &Step) -> String {
    match &step.action {
        Action::Update { changed } => changed.join(","),
        Action::Conflict { reason } => reason.clone(),
        _ => "-".into(),
    }
}

fn summary(plan: &StackPlan) -> String {
    let counts: Vec<String> = plan
        .counts()
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    format!("stack {}: {}", plan.stack, counts.join(", "))
}

fn short(id: Option<&String>) -> String {
    id.map_or_else(|| "-".into(), |id| id.chars().take(12).collect())
}

fn print_plan(plan: &StackPlan, json: bool, host: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        plan.steps
            .iter()
            .try_for_each(|s| json_line(&mut out, &with_host(host, s)))
    } else {
        let rows: Vec<Vec<String>> = plan
            .steps
            .iter()
            .map(|s| {
                vec![
                    s.kind.word().to_string(),
                    s.name.clone(),
                    s.action.word().to_string(),
                    detail(s),
                    short(s.id.as_ref()),
                ]
            })
            .collect();
        table(
            &mut out,
            &["KIND", "NAME", "ACTION", "CHANGED", "ID"],
            &rows,
        )
        .and_then(|()| writeln!(out, "{}", printable(&summary(plan))))
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(())
}

pub async fn plan(args: PlanArgs, globals: &Globals) -> Result<Exit, CliError> {
    let (_, desired) = load(&args.project, globals)?;
    let (json, desired) = (args.output.json, &desired);
    globals
        .per_host(|endpoint| async move {
            manager(&endpoint).await?;
            let have = current(&endpoint, &desired.stack).await?;
            print_plan(&make_plan(desired, &have), json, &endpoint.name)?;
            Ok(Exit::Success)
        })
        .await
}

fn outcome_line(o: &StepOutcome) -> String {
    let mark = if o.ok { "ok  " } else { "FAIL" };
    let mut line = format!("{mark} {:<9} {:<7} {}", o.outcome, o.kind.word(), o.name);
    if let Some(e) = &o.error {
        line.push_str(": ");
        line.push_str(e);
    }
    for w in &o.warnings {
        line.push_str("; warning: ");
        line.push_str(w);
    }
    printable(&line).into_owned()
}

/// Carries `plan` out on `endpoint`, printing each outcome; the exit it means.
async fn run_plan(
    globals: &Globals,
    endpoint: Endpoint,
    plan: &StackPlan,
    have: &crate::reconcile::stack::plan::Current,
    json: bool,
) -> Result<Exit, CliError> {
    let ctx = globals.action_context(endpoint);
    let host = ctx.endpoint.name.clone();
    let mut written = Ok(());
    let outcomes = apply(&ctx, plan, have, |o| {
        if written.is_err() {
            return;
        }
        let mut out = std::io::stdout();
        let line = if json {
            json_line(&mut out, &with_host(&host, o))
        } else {
            writeln!(out, "{}", outcome_line(o))
        };
        written = quiet_pipe(line.and_then(|()| out.flush()));
    })
    .await;
    written?;
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    if !json {
        eprintln!(
            "stack {}: {} steps, {} not done",
            plan.stack,
            outcomes.len(),
            failed
        );
    }
    Ok(if globals.read_only && !plan.is_noop() {
        Exit::ReadOnly
    } else if failed == 0 {
        Exit::Success
    } else {
        Exit::SomeFailed
    })
}

pub async fn apply_stack(args: ApplyArgs, globals: &Globals) -> Result<Exit, CliError> {
    let (_, desired) = load(&args.project, globals)?;
    let (json, desired) = (args.output.json, &desired);
    globals
        .per_host(|endpoint| async move {
            manager(&endpoint).await?;
            let have = current(&endpoint, &desired.stack).await?;
            let plan = make_plan(desired, &have);
            run_plan(globals, endpoint, &plan, &have, json).await
        })
        .await
}

pub async fn down(args: DownArgs, globals: &Globals) -> Result<Exit, CliError> {
    let project = globals.compose_project(
        &args.project.file.files,
        args.project.file.project_name.as_deref(),
        &args.project.profiles,
    )?;
    let (args, name) = (&args, project.name.as_str());
    globals
        .per_host(|endpoint| async move {
            manager(&endpoint).await?;
            let have = current(&endpoint, name).await?;
            // Nothing desired: every object with the stack's label is a removal.
            let empty = Desired {
                stack: name.to_string(),
                ..Desired::default()
            };
            let plan = make_plan(&empty, &have);
            confirm(args, globals, &plan)?;
            if plan.steps.is_empty() {
                return Ok(Exit::Success);
            }
            run_plan(globals, endpoint, &plan, &have, args.output.json).await
        })
        .await
}

/// Asks before a `down` (refused without `--yes` when stdin is not a terminal).
fn confirm(args: &DownArgs, globals: &Globals, plan: &StackPlan) -> Result<(), CliError> {
    let what: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{} {}", s.kind.word(), s.name))
        .collect();
    if what.is_empty() {
        eprintln!("stack {}: nothing to remove", plan.stack);
        return Ok(());
    }
    if globals.read_only {
        return Err(CliError::ReadOnly(format!(
            "refused to take down stack {}: fleetdeck is read-only (--read-only); it would remove {}",
            plan.stack,
            what.join(", ")
        )));
    }
    if args.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to take down stack {} without --yes: stdin is not a terminal to ask on ({})",
            plan.stack,
            what.join(", ")
        )));
    }
    if !super::act::ask(&format!("remove {}?", what.join(", ")))? {
        return Err(CliError::Usage("nothing done".into()));
    }
    Ok(())
}
