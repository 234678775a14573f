//! `plan`, `apply` and `down`: compose files as the fleet file. `plan` prints one line per
//! container (service, name, action, what changed, container id); `apply` carries the plan out
//! through the action layer and prints each outcome as it comes, then what was done and what
//! was not; `down` stops and removes the project's containers and networks (volumes with
//! `--volumes`), asking first like `rm`. A file that cannot be used changes nothing and exits 2
//! naming FILE:LINE: KEY.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::output::{json_line, quiet_pipe, table, with_host};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::reconcile::apply::{ApplyOptions, Progress, StepOutcome, apply_with, plan_live};
use crate::reconcile::compose::Project;
use crate::reconcile::plan::{Action, Plan, PlanOptions, Step};
use crate::sanitize::printable;

/// `-f`, `-p`: before any subcommand (the console takes them too) or after `plan`, `apply`,
/// `down`.
#[derive(Debug, Clone, Default, Args)]
pub struct FileArgs {
    /// Compose file; repeatable, later files override earlier ones (default: compose.yaml or
    /// docker-compose.yml in the current directory).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: the file's `name:`, else the directory's name).
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
}

/// The compose options of `plan`, `apply` and `down`.
#[derive(Debug, Clone, Args)]
pub struct ProjectArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Activate a profile (repeatable; default: $COMPOSE_PROFILES).
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
}

/// `--build` and `--pull` of `plan` and `apply`.
#[derive(Debug, Clone, Default, Args)]
pub struct ImageArgs {
    /// Build every service that has `build:`, even when its image is present.
    #[arg(long)]
    pub build: bool,
    /// Compare each service's image id with its containers' (and, on apply, pull every image
    /// that is not built): a tag that names another image now recreates.
    #[arg(long)]
    pub pull: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Deploy to Swarm as the stack named by -p, through the manager (as `docker stack
    /// deploy` names and labels it).
    #[arg(long)]
    pub swarm: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Also remove this project's containers whose service is gone from the files.
    #[arg(long)]
    pub remove_orphans: bool,
    #[command(flatten)]
    pub images: ImageArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Deploy to Swarm as the stack named by -p, through the manager (as `docker stack
    /// deploy` names and labels it).
    #[arg(long)]
    pub swarm: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Also remove this project's containers whose service is gone from the files.
    #[arg(long)]
    pub remove_orphans: bool,
    #[command(flatten)]
    pub images: ImageArgs,
    /// How long to wait for a dependency's condition (healthy, started, completed).
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = super::parse::parse_duration)]
    pub wait_timeout: Duration,
    /// How long one image pull may take.
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = super::parse::parse_duration)]
    pub pull_timeout: Duration,
    /// How many steps run at once (default: from the config, 32).
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Deploy to Swarm as the stack named by -p, through the manager (as `docker stack
    /// deploy` names and labels it).
    #[arg(long)]
    pub swarm: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Remove the project's named volumes too.
    #[arg(short, long)]
    pub volumes: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn load(args: &ProjectArgs, globals: &Globals) -> Result<Project, CliError> {
    let project = globals.compose_project(
        &args.file.files,
        args.file.project_name.as_deref(),
        &args.profiles,
    )?;
    warn_ignored(&project);
    Ok(project)
}

/// What the files say that fleetdeck accepts and does not act on, once per kind, on stderr.
pub(crate) fn warn_ignored(project: &Project) {
    for line in &project.warnings {
        eprintln!("fleetdeck: warning: {}", printable(line));
    }
}

/// What changed, for the plan's fourth column.
fn detail(step: &Step) -> String {
    match &step.action {
        Action::Recreate { changed } => changed.join(","),
        Action::Remove { reason } => format!("{reason:?}").to_lowercase(),
        Action::Conflict { holder } => format!("held by {}", holder.short()),
        _ => "-".into(),
    }
}

fn short(id: Option<&crate::engine::ContainerId>) -> String {
    id.map_or_else(|| "-".into(), |id| id.short().to_string())
}

fn summary(plan: &Plan) -> String {
    let counts: Vec<String> = plan
        .counts()
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    format!("project {}: {}", plan.project, counts.join(", "))
}

pub async fn plan(args: PlanArgs, globals: &Globals) -> Result<Exit, CliError> {
    if args.swarm {
        return super::stack::plan(args, globals).await;
    }
    let project = load(&args.project, globals)?;
    let (args, project) = (&args, &project);
    globals
        .per_host(|endpoint| plan_on(args, globals, project, endpoint))
        .await
}

async fn plan_on(
    args: &PlanArgs,
    _: &Globals,
    project: &Project,
    endpoint: crate::engine::Endpoint,
) -> Result<Exit, CliError> {
    let options = PlanOptions {
        remove_orphans: args.remove_orphans,
        build: args.images.build,
        pull: args.images.pull,
        ..PlanOptions::default()
    };
    let plan = plan_live(&endpoint, project, &options).await?;
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        plan.steps
            .iter()
            .try_for_each(|s| json_line(&mut out, &with_host(&endpoint.name, s)))
    } else {
        let rows: Vec<Vec<String>> = plan
            .steps
            .iter()
            .map(|s| {
                vec![
                    s.service.clone(),
                    s.name.clone(),
                    s.action.word().to_string(),
                    detail(s),
                    short(s.container.as_ref()),
                ]
            })
            .collect();
        table(
            &mut out,
            &["SERVICE", "NAME", "ACTION", "CHANGED", "CONTAINER"],
            &rows,
        )
        .and_then(|()| writeln!(out, "{}", printable(&summary(&plan))))
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}

fn outcome_line(o: &StepOutcome) -> String {
    let mark = if o.ok { "ok  " } else { "FAIL" };
    let mut line = format!(
        "{mark} {:<9} {:<10} {} {}",
        o.outcome,
        o.step.service,
        o.step.name,
        short(o.container.as_ref())
    );
    if let Some(e) = &o.error {
        line.push_str(": ");
        line.push_str(e);
    }
    printable(&line).into_owned()
}

/// Build and pull output as it comes: with `--json` an event a line on stdout
/// (`{"event":"progress","service":..,"kind":"build","line":..}`), else `SERVICE KIND | LINE`
/// on stderr, a line per line of the daemon's output, each naming its service.
async fn print_progress(
    mut rx: tokio::sync::mpsc::Receiver<Progress>,
    json: bool,
    host: String,
) -> std::io::Result<()> {
    let mut result = Ok(());
    while let Some(p) = rx.recv().await {
        if result.is_err() {
            continue;
        }
        let written = if json {
            let value = serde_json::json!({
                "event": "progress", "host": host, "service": p.service,
                "kind": p.kind, "line": p.line,
            });
            let mut out = std::io::stdout();
            json_line(&mut out, &value).and_then(|()| out.flush())
        } else {
            let line = format!("{} {} | {}", p.service, p.kind, p.line);
            writeln!(std::io::stderr(), "{}", printable(&line))
        };
        result = quiet_pipe(written);
    }
    result
}

pub async fn apply(args: ApplyArgs, globals: &Globals) -> Result<Exit, CliError> {
    if args.swarm {
        return super::stack::apply_stack(args, globals).await;
    }
    let project = load(&args.project, globals)?;
    let (args, project) = (&args, &project);
    globals
        .per_host(|endpoint| apply_on(args, globals, project, endpoint))
        .await
}

/// Each step's outcome as it comes: a line, or a JSON line with its host.
async fn print_outcomes(
    mut rx: tokio::sync::mpsc::Receiver<StepOutcome>,
    json: bool,
    host: String,
) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    let mut result = Ok(());
    while let Some(o) = rx.recv().await {
        if result.is_err() {
            continue;
        }
        let written = if json {
            json_line(&mut out, &with_host(&host, &o))
        } else {
            writeln!(out, "{}", outcome_line(&o))
        };
        result = quiet_pipe(written.and_then(|()| out.flush()));
    }
    result
}

/// `done: 2 created, 1 unchanged; not done: 1 failed` from the outcome counts.
fn done_words(counts: &std::collections::BTreeMap<String, usize>) -> String {
    let list = |ok: bool| -> String {
        let words: Vec<String> = counts
            .iter()
            .filter(|(w, _)| {
                let good = !matches!(w.as_str(), "failed" | "skipped" | "conflict");
                good == ok
            })
            .map(|(w, n)| format!("{n} {w}"))
            .collect();
        if words.is_empty() {
            "nothing".into()
        } else {
            words.join(", ")
        }
    };
    format!("done: {}; not done: {}", list(true), list(false))
}

async fn apply_on(
    args: &ApplyArgs,
    globals: &Globals,
    project: &Project,
    endpoint: crate::engine::Endpoint,
) -> Result<Exit, CliError> {
    let options = PlanOptions {
        remove_orphans: args.remove_orphans,
        build: args.images.build,
        pull: args.images.pull,
        ..PlanOptions::default()
    };
    let plan = plan_live(&endpoint, project, &options).await?;
    let ctx = globals.action_context(endpoint);
    let opts = ApplyOptions {
        remove_orphans: args.remove_orphans,
        wait_timeout: args.wait_timeout,
        parallelism: args.parallel.unwrap_or(globals.config.actions.parallelism),
        pull_timeout: args.pull_timeout,
        pull: args.images.pull,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<StepOutcome>(64);
    let (events_tx, events_rx) = tokio::sync::mpsc::channel::<Progress>(64);
    let json = args.output.json;
    let host = ctx.endpoint.name.clone();
    let printer = print_outcomes(rx, json, host.clone());
    let work = apply_with(&ctx, project, &plan, &opts, Some(tx), Some(events_tx));
    let progress = print_progress(events_rx, json, host);
    let (report, printed, progressed) = tokio::join!(work, printer, progress);
    printed?;
    progressed?;
    if !globals.read_only
        && let Some(writer) = globals.store_writer_off_thread().await
    {
        super::record::apply(&writer, &ctx.endpoint, &project.name, &report.outcomes).await;
        super::record::finish(writer).await;
    }
    if !json {
        eprintln!("apply {}: {}", project.name, done_words(&report.counts()));
    }
    Ok(if globals.read_only && !plan.is_noop() {
        Exit::ReadOnly
    } else if report.ok() {
        Exit::Success
    } else {
        Exit::SomeFailed
    })
}

pub async fn down(args: DownArgs, globals: &Globals) -> Result<Exit, CliError> {
    if args.swarm {
        return super::stack::down(args, globals).await;
    }
    let project = load(&args.project, globals)?;
    let (args, project) = (&args, &project);
    globals
        .per_host(|endpoint| super::compose_down::down_on(args, globals, project, endpoint))
        .await
}
