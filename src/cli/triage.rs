//! `fleetdeck triage`: what is wrong in the fleet, worst first. Exit 0 when healthy and 6 when
//! not, for cron and monitoring.

use crate::triage::Problem;
use std::io::Write;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::parse::parse_duration;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::triage::stuck_gather::Unavailable;
use crate::triage::{self, Context, Thresholds, gather::gather_with, recorded};

/// What the history store recorded in the window on this endpoint; empty without a store. A
/// store that cannot be read is a warning, and triage reads the daemon alone.
async fn recorded_window(
    globals: &Globals,
    host: &str,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> crate::store::Triage {
    let store = match globals.store_reader() {
        Ok(Some(store)) => store,
        Ok(None) => return crate::store::Triage::default(),
        Err(e) => {
            eprintln!("fleetdeck: warning: triage without history: {e}");
            return crate::store::Triage::default();
        }
    };
    let from = recorded::window_start(now, thresholds.window_s.max(thresholds.paused_max_s));
    let host = host.to_string();
    match tokio::task::spawn_blocking(move || store.triage(from, Some(&host))).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            eprintln!("fleetdeck: warning: triage without history: {e}");
            crate::store::Triage::default()
        }
        Err(e) => {
            eprintln!("fleetdeck: warning: triage without history: {e}");
            crate::store::Triage::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// GPU memory threshold, in percent (default: the config's `[gpu] threshold_pct`).
    #[arg(long, value_name = "PCT")]
    pub gpu_threshold: Option<f64>,
    /// The window in which deaths and OOM kills count (default: the config's `[triage]
    /// window_s`). With a history store, what it recorded in the window counts too: crash loops
    /// and OOM kills from before the daemon restarted, and the keeper's give-ups.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<std::time::Duration>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: TriageArgs, globals: &Globals) -> Result<Exit, CliError> {
    // The rules' limits come from the config's `[triage]`, as in the console.
    let mut thresholds = globals.config.triage.clone();
    if let Some(since) = args.since {
        thresholds.window_s = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    }
    let gpu_threshold = args
        .gpu_threshold
        .unwrap_or(globals.config.gpu.threshold_pct);
    let now = Utc::now();
    let mut hosts = globals.connect_all().await?;
    let thresholds = &thresholds;
    let per_host = hosts
        .each(|endpoint| async move {
            let found = one_host(globals, &endpoint, thresholds, gpu_threshold, now).await?;
            Ok((endpoint.name.clone(), found))
        })
        .await?;
    hosts.report_down()?;
    let several = hosts.several();
    let checked: usize = per_host.iter().map(|(_, (_, n, _))| n).sum();
    let unavailable: Vec<serde_json::Value> = per_host
        .iter()
        .filter_map(|(host, (_, _, u))| {
            let u = u.as_ref()?;
            Some(serde_json::json!({ "host": host, "checks": u.checks, "reason": u.reason }))
        })
        .collect();
    let mut problems: Vec<(String, Problem)> = per_host
        .into_iter()
        .flat_map(|(host, (problems, _, _))| problems.into_iter().map(move |p| (host.clone(), p)))
        .collect();
    problems.extend(super::swarm_act::swarm_triage(&hosts, thresholds, now).await);
    // Every host's in one order, as one host's are.
    problems.sort_by(|(_, a), (_, b)| crate::triage::order(a, b));
    write_report(args.output.json, several, checked, &problems, &unavailable)?;
    Ok(hosts.exit(if problems.is_empty() {
        Exit::Success
    } else {
        Exit::Problems
    }))
}

/// The report on stdout (a table or one JSON line), and after a table, once per host, which
/// checks could not run there.
fn write_report(
    json: bool,
    several: bool,
    checked: usize,
    problems: &[(String, Problem)],
    unavailable: &[serde_json::Value],
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        let listed: Vec<serde_json::Value> = problems
            .iter()
            .map(|(host, p)| {
                let mut value = serde_json::to_value(p).unwrap_or_default();
                if let Some(fields) = value.as_object_mut() {
                    fields.insert("host".into(), host.clone().into());
                }
                value
            })
            .collect();
        let value = serde_json::json!({
            "healthy": problems.is_empty(),
            "containers_checked": checked,
            "problems": listed,
            "checks_unavailable": unavailable,
        });
        json_line(&mut out, &value)
    } else if problems.is_empty() {
        writeln!(out, "healthy: no problems in {checked} containers")
    } else {
        table(
            &mut out,
            &headers(several),
            &problem_rows(several, problems),
        )
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    if !json {
        for u in unavailable {
            eprintln!("fleetdeck: note: {}", unavailable_line(u));
        }
    }
    Ok(())
}

/// The table's headers: HOST first when there are several.
fn headers(several: bool) -> Vec<&'static str> {
    let headers = ["HOST", "SEVERITY", "CONTAINER", "PROBLEM", "WHY", "NEXT"];
    headers[usize::from(!several)..].to_vec()
}

fn problem_rows(several: bool, problems: &[(String, Problem)]) -> Vec<Vec<String>> {
    problems
        .iter()
        .map(|(host, p)| {
            let mut row: Vec<String> = several.then(|| host.clone()).into_iter().collect();
            row.extend([
                p.severity.as_str().to_string(),
                p.subject.clone(),
                p.kind.title().to_string(),
                p.reason.clone(),
                p.suggestion.as_str().to_string(),
            ]);
            row
        })
        .collect()
}

/// "on HOST, these checks cannot run: A, B (why)".
fn unavailable_line(u: &serde_json::Value) -> String {
    let checks = u["checks"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    format!(
        "on {}, these checks cannot run: {checks} ({})",
        u["host"].as_str().unwrap_or_default(),
        u["reason"].as_str().unwrap_or_default()
    )
}

/// One host's problems, and how many containers were checked there.
async fn one_host(
    globals: &Globals,
    endpoint: &crate::engine::Endpoint,
    thresholds: &crate::triage::Thresholds,
    gpu_threshold: f64,
    now: chrono::DateTime<Utc>,
) -> Result<(Vec<Problem>, usize, Option<Unavailable>), crate::engine::EngineError> {
    let recorded = recorded_window(globals, &endpoint.address, thresholds, now).await;
    let gathered =
        gather_with(endpoint, thresholds, gpu_threshold, recorded.events.clone()).await?;
    let ctx = Context {
        history: &gathered.history,
        memory: &gathered.memory,
        gpu: gathered.gpu.as_ref(),
        now,
        thresholds,
        observed: &gathered.observed,
    };
    let gone =
        recorded::gone_containers(&recorded.containers, &recorded.events, &gathered.containers);
    let mut problems = triage::evaluate(gathered.containers.iter().chain(&gone), &ctx);
    let names: HashMap<String, String> = gathered
        .containers
        .iter()
        .chain(&gone)
        .map(|c| (c.id.0.clone(), c.name.clone()))
        .collect();
    recorded::add_sorted(&mut problems, recorded::gave_up(&recorded.give_ups, &names));
    // The host's disk: a reading that fails (a daemon without the disk-usage call) is said,
    // and the rest of triage stands.
    match triage::disk::read(endpoint).await {
        Ok(reading) => {
            recorded::add_sorted(&mut problems, triage::disk::rules(&reading, thresholds));
        }
        Err(e) => log::warn!("{}: disk not read: {e}", endpoint.name),
    }
    Ok((problems, gathered.containers.len(), gathered.unavailable))
}
