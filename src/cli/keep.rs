//! `fleetdeck keep [-f compose.yaml]... [--json]`: the keeper, in the foreground (a systemd
//! unit in `assets/fleetdeck-keep.service`). Each `-f` file is one kept project. One line per
//! decision on stderr, or JSON lines on stdout with `--json`. SIGTERM or SIGINT: the job
//! containers it started are stopped and removed, the store flushed, and it exits 0.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Exit, Globals, OutputArgs};
use crate::keeper::log::DecisionLog;
use crate::keeper::{Setup, jobs, keep};
use crate::reconcile::compose::{self, LoadOptions};
use crate::store::StoreWriter;

#[derive(Debug, Args)]
pub struct KeepArgs {
    /// A compose file whose project to keep; repeatable, one project per file (default: the
    /// files given before the subcommand; none: only events, GC and jobs).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: KeepArgs, globals: &Globals) -> Result<Exit, CliError> {
    let shutdown = crate::session::interrupt()?;
    let files = if args.files.is_empty() {
        globals.compose_files.clone()
    } else {
        args.files
    };
    let mut projects = Vec::new();
    for file in files {
        let project = compose::load(&LoadOptions::new(vec![file]))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        super::compose::warn_ignored(&project);
        if projects
            .iter()
            .any(|p: &compose::Project| p.name == project.name)
        {
            return Err(CliError::Usage(format!(
                "two files name the project {}: give each kept project once",
                project.name
            )));
        }
        projects.push(project);
    }
    let config = &globals.config;
    let jobs = jobs::load_jobs(&config.jobs, &config.keeper)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    // One keeper per host, all at once, each reconnecting on its own; the jobs run on the
    // first host named. A host that cannot even be addressed is the user's to fix.
    let mut endpoints = Vec::new();
    for endpoint in globals.endpoints()? {
        endpoints.push(endpoint?);
    }
    let several = endpoints.len() > 1;
    // Opened off the async threads (migrations, retention).
    let store = globals.store_writer_off_thread().await;
    let last_runs = super::jobs::last_runs(&jobs);
    let shutdown = futures_util::FutureExt::shared(Box::pin(shutdown));
    let mut jobs = Some(jobs);
    let keepers = endpoints.into_iter().map(|endpoint| {
        let setup = Setup {
            log: DecisionLog {
                json: args.output.json,
                host: several.then(|| std::sync::Arc::from(endpoint.name.as_str())),
            },
            ctx: globals.action_context(endpoint),
            store: store.clone(),
            projects: projects.clone(),
            config: crate::config::keeper::KeeperConfig {
                gc_images: config.gc.clone(),
                ..config.keeper.clone()
            },
            jobs: jobs.take().unwrap_or_default(),
            last_runs: last_runs.clone(),
            stop_timeout_s: config.actions.stop_timeout_s,
            alerts: crate::keeper::alerts::AlertsConfig {
                rules: config.alerts.clone(),
                thresholds: config.triage.clone(),
                logs: config.logs.options(),
                triage_every: config.keeper.triage_interval,
            },
        };
        keep(setup, shutdown.clone())
    });
    futures_util::future::join_all(keepers).await;
    // Each keeper flushed the store on its way out; what never reached it is said last.
    if let Some(lost) = store.as_ref().and_then(StoreWriter::lost) {
        log::warn!("{lost}");
    }
    Ok(Exit::Success)
}
