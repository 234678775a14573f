//! `fleetdeck triage`: what is wrong in the fleet, worst first. Exit 0 when healthy and 6 when
//! not, for cron and monitoring.

use std::io::Write;

use chrono::Utc;
use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::triage::{self, Context, gather::gather};

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// GPU memory threshold, in percent (default: the config's `[gpu] threshold_pct`).
    #[arg(long, value_name = "PCT")]
    pub gpu_threshold: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: TriageArgs, globals: &Globals) -> Result<Exit, CliError> {
    let endpoint = globals.connect().await?;
    // The rules' limits come from the config's `[triage]`, as in the console.
    let thresholds = globals.config.triage.clone();
    let gpu_threshold = args
        .gpu_threshold
        .unwrap_or(globals.config.gpu.threshold_pct);
    let gathered = gather(&endpoint, &thresholds, gpu_threshold).await?;
    let ctx = Context {
        history: &gathered.history,
        memory: &gathered.memory,
        gpu: gathered.gpu.as_ref(),
        now: Utc::now(),
        thresholds: &thresholds,
    };
    let problems = triage::evaluate(&gathered.containers, &ctx);
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        let value = serde_json::json!({
            "healthy": problems.is_empty(),
            "containers_checked": gathered.containers.len(),
            "problems": problems,
        });
        json_line(&mut out, &value)
    } else if problems.is_empty() {
        writeln!(
            out,
            "healthy: no problems in {} containers",
            gathered.containers.len()
        )
    } else {
        let rows: Vec<Vec<String>> = problems
            .iter()
            .map(|p| {
                vec![
                    p.severity.as_str().to_string(),
                    p.subject.clone(),
                    p.kind.title().to_string(),
                    p.reason.clone(),
                    p.suggestion.as_str().to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["SEVERITY", "CONTAINER", "PROBLEM", "WHY", "NEXT"],
            &rows,
        )
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(if problems.is_empty() {
        Exit::Success
    } else {
        Exit::Problems
    })
}
