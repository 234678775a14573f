//! `fleetdeck stats`: CPU and memory of the running containers, one reading each (like
//! `docker stats --no-stream`), from where the console takes them: the cgroup files for a
//! daemon on this machine (two readings a second apart; Docker's and Podman's cgroups both
//! found, [`crate::engine::cgroup_stats::find`]), else — and for a container whose cgroup is
//! not found — the stats API (two samples of its stream: a second apart on Docker, five on
//! Podman). Each row says which source it came from.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::cgroup_stats::find::Finder;
use crate::engine::cgroup_stats::{CgroupLayout, host_memory};
use crate::engine::stats::StatsSample;
use crate::engine::{Container, Endpoint, RunState};
use crate::present::bytes;

/// Between the two cgroup readings.
const CGROUP_INTERVAL: Duration = Duration::from_secs(1);
/// How long the stats API may take to send two samples (Podman sends one every 5 s).
const API_WITHIN: Duration = Duration::from_secs(12);

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Containers (name, id prefix, NAME@HOST); default: every running one.
    pub targets: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One row of `stats --json`.
#[derive(Debug, Serialize)]
pub struct StatsRow {
    pub host: String,
    pub id: String,
    pub name: String,
    /// Percent of one CPU (200 is two CPUs busy); `null` when no two samples came.
    pub cpu_percent: Option<f64>,
    pub memory_used: Option<u64>,
    pub memory_limit: Option<u64>,
    /// `cgroup` (the files) or `api` (the daemon's stats stream); `none` when neither answered.
    pub source: &'static str,
}

pub async fn run(args: StatsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let fleet = hosts.list().await?;
    hosts.report_down()?;
    let mut wanted: Vec<Container> = Vec::new();
    for query in &args.targets {
        let found = crate::engine::resolve::resolve(&fleet, query)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        if found.state != RunState::Running {
            return Err(CliError::Usage(format!(
                "'{query}' is not running ({})",
                found.state
            )));
        }
        wanted.push(found.clone());
    }
    if args.targets.is_empty() {
        wanted = fleet
            .into_iter()
            .filter(|c| c.state == RunState::Running)
            .collect();
    }
    let readings = hosts.up.iter().map(|endpoint| {
        let mine: Vec<Container> = wanted
            .iter()
            .filter(|c| c.host == endpoint.name)
            .cloned()
            .collect();
        let layout =
            crate::session::stats_source::choose(globals.config.ui.stats_source, &endpoint.address)
                .layout;
        read_host(endpoint.clone(), layout, mine)
    });
    let mut rows: Vec<StatsRow> = futures_util::future::join_all(readings)
        .await
        .into_iter()
        .flatten()
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.host.cmp(&b.host)));
    print(&rows, args.output.json, hosts.several())?;
    Ok(hosts.exit(Exit::Success))
}

fn print(rows: &[StatsRow], json: bool, several: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let result = if json {
        json_line(&mut out, &rows)
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut row = several
                    .then(|| r.host.clone())
                    .into_iter()
                    .collect::<Vec<_>>();
                row.extend([
                    r.name.clone(),
                    r.id.chars().take(12).collect(),
                    r.cpu_percent
                        .map_or_else(|| "-".to_string(), |c| format!("{c:.1}%")),
                    r.memory_used.map_or_else(|| "-".to_string(), bytes),
                    r.memory_limit.map_or_else(|| "-".to_string(), bytes),
                    r.source.to_string(),
                ]);
                row
            })
            .collect();
        let headers = ["HOST", "NAME", "ID", "CPU", "MEM", "LIMIT", "SOURCE"];
        table(&mut out, &headers[usize::from(!several)..], &cells)
    };
    quiet_pipe(result.and_then(|()| out.flush()))?;
    Ok(())
}

/// One host's readings: from the cgroup files where `layout` is given and the container's
/// cgroup is found, else from the stats API.
async fn read_host(
    endpoint: Endpoint,
    layout: Option<CgroupLayout>,
    containers: Vec<Container>,
) -> Vec<StatsRow> {
    let (mut rows, rest) = match layout {
        Some(layout) => {
            let all = containers.clone();
            tokio::task::spawn_blocking(move || cgroup_readings(&layout, containers))
                .await
                .unwrap_or((Vec::new(), all))
        }
        None => (Vec::new(), containers),
    };
    let api = rest.into_iter().map(|c| {
        let endpoint = endpoint.clone();
        async move {
            match endpoint.stats_with_cpu(&c.id, API_WITHIN).await {
                Ok(Some(sample)) => row(&c, Some(&sample), "api"),
                Ok(None) => row(&c, None, "none"),
                Err(e) => {
                    log::warn!("stats of {}: {e}", c.name);
                    row(&c, None, "none")
                }
            }
        }
    });
    rows.extend(futures_util::future::join_all(api).await);
    rows
}

fn row(c: &Container, sample: Option<&StatsSample>, source: &'static str) -> StatsRow {
    StatsRow {
        host: c.host.clone(),
        id: c.id.0.clone(),
        name: c.name.clone(),
        cpu_percent: sample.and_then(|s| s.cpu_percent),
        memory_used: sample.map(|s| s.memory_used),
        memory_limit: sample.and_then(|s| s.memory_limit),
        source,
    }
}

/// Two readings of each container's cgroup, [`CGROUP_INTERVAL`] apart: the rows of those
/// read, and the containers whose cgroup was not found (for the stats API).
fn cgroup_readings(
    layout: &CgroupLayout,
    containers: Vec<Container>,
) -> (Vec<StatsRow>, Vec<Container>) {
    let mut finder = Finder::default();
    let mut first = Vec::new();
    let mut rest = Vec::new();
    for c in containers {
        let cgroup = finder.locate(layout, &c.id.0);
        match cgroup.as_ref().and_then(|g| g.read().ok().flatten()) {
            Some(raw) => first.push((c, cgroup, raw)),
            None => rest.push(c),
        }
    }
    std::thread::sleep(CGROUP_INTERVAL);
    let host = host_memory();
    let mut rows = Vec::new();
    for (c, cgroup, before) in first {
        match cgroup.and_then(|g| g.read().ok().flatten()) {
            Some(after) => {
                let sample = StatsSample {
                    id: c.id.clone(),
                    cpu_percent: Some(crate::engine::cgroup_stats::cpu_percent(&before, &after)),
                    memory_used: after.memory_used,
                    memory_limit: after.memory_limit.or(host),
                };
                rows.push(row(&c, Some(&sample), "cgroup"));
            }
            // Stopped between the two readings.
            None => rows.push(row(&c, None, "none")),
        }
    }
    (rows, rest)
}
