//! `fleetdeck jobs [--json]`: the scheduled jobs of the config (`[jobs.NAME]`), each with its
//! schedule, last run and outcome (from the history store, where it can be read; else
//! `unknown`), and next run.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::keeper::jobs::{self, Job, LastRun};

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Each job's last run, from the store. The store this build has no reader for yet: unknown.
pub fn last_runs(jobs: &[Job]) -> Vec<Option<LastRun>> {
    vec![None; jobs.len()]
}

pub async fn run(args: JobsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let config = &globals.config;
    let jobs = jobs::load_jobs(&config.jobs, &config.keeper)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let last = last_runs(&jobs);
    let now = Utc::now();
    let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        let list: Vec<serde_json::Value> = jobs
            .iter()
            .zip(&last)
            .map(|(j, l)| {
                serde_json::json!({
                    "name": j.name,
                    "schedule": j.schedule_text,
                    "catch_up": j.catch_up,
                    "image": j.spec.image,
                    "command": j.spec.command,
                    "timeout_ms": u64::try_from(j.options.timeout.as_millis()).unwrap_or(u64::MAX),
                    "last_run": l.as_ref().map(|l| time(l.at)),
                    "last_outcome": l.as_ref().map(|l| l.outcome.clone()),
                    "last_exit_code": l.as_ref().and_then(|l| l.exit_code),
                    "next_run": j.schedule.next_after(now).map(time),
                })
            })
            .collect();
        json_line(&mut out, &list)
    } else if jobs.is_empty() {
        writeln!(out, "no jobs: add [jobs.NAME] sections to the config")
    } else {
        let rows: Vec<Vec<String>> = jobs
            .iter()
            .zip(&last)
            .map(|(j, l)| {
                vec![
                    j.name.clone(),
                    j.schedule_text.clone(),
                    l.as_ref().map_or("unknown".into(), |l| time(l.at)),
                    l.as_ref().map_or("unknown".into(), |l| match l.exit_code {
                        Some(c) => format!("{} ({c})", l.outcome),
                        None => l.outcome.clone(),
                    }),
                    j.schedule.next_after(now).map_or("never".into(), time),
                ]
            })
            .collect();
        table(
            &mut out,
            &["JOB", "SCHEDULE", "LAST RUN", "LAST OUTCOME", "NEXT RUN"],
            &rows,
        )
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}
