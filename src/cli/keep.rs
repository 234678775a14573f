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
    let jobs = jobs::load(&config.jobs, &config.keeper).map_err(CliError::Usage)?;
    let endpoint = globals.connect().await?;
    let store = globals.store_writer();
    let last_runs = super::jobs::last_runs(&jobs);
    let setup = Setup {
        ctx: globals.action_context(endpoint),
        store,
        projects,
        config: config.keeper.clone(),
        jobs,
        last_runs,
        log: DecisionLog {
            json: args.output.json,
        },
        stop_timeout_s: config.actions.stop_timeout_s,
    };
    keep(setup, shutdown).await;
    Ok(Exit::Success)
}
