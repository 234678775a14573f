//! `fleetdeck df [--json]`: the daemon's disk usage, as `docker system df` shows it: images,
//! containers, volumes and build cache, each with a count, its size and what a prune would
//! reclaim, in bytes in JSON (`images.size` is the daemon's `LayersSize`). One disk-usage call
//! per host, every host at once: the expensive call, made only here and by the views.

use std::io::Write;

use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::objects::{DiskUsage, UsageLine};
use crate::present::bytes;

#[derive(Debug, Args)]
pub struct DfArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

fn line_json(line: &UsageLine) -> serde_json::Value {
    serde_json::json!({
        "count": line.count,
        "active": line.active,
        "size": line.size,
        "reclaimable": line.reclaimable,
    })
}

/// The JSON of one host's usage.
pub fn usage_json(host: &str, usage: &DiskUsage) -> serde_json::Value {
    serde_json::json!({
        "host": host,
        "images": line_json(&usage.images),
        "containers": line_json(&usage.containers),
        "volumes": line_json(&usage.volumes),
        "build_cache": line_json(&usage.build_cache),
    })
}

/// The four lines of a usage, named, in `docker system df`'s order.
pub fn lines(usage: &DiskUsage) -> [(&'static str, &UsageLine); 4] {
    [
        ("Images", &usage.images),
        ("Containers", &usage.containers),
        ("Local Volumes", &usage.volumes),
        ("Build Cache", &usage.build_cache),
    ]
}

pub async fn run(args: DfArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let per_host = hosts
        .each(|endpoint| async move {
            let usage = endpoint.disk_usage().await?;
            Ok((endpoint.name.clone(), usage))
        })
        .await?;
    hosts.report_down()?;
    let several = hosts.several();
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        if several {
            let all: Vec<serde_json::Value> =
                per_host.iter().map(|(h, u)| usage_json(h, u)).collect();
            json_line(&mut out, &all)
        } else {
            let one = per_host
                .first()
                .map(|(h, u)| usage_json(h, u))
                .unwrap_or_default();
            json_line(&mut out, &one)
        }
    } else {
        let mut rows = Vec::new();
        for (host, usage) in &per_host {
            for (name, line) in lines(usage) {
                let mut row: Vec<String> = several.then(|| host.clone()).into_iter().collect();
                let percent =
                    (line.size > 0).then(|| line.reclaimable.saturating_mul(100) / line.size);
                row.extend([
                    name.to_string(),
                    line.count.to_string(),
                    line.active.to_string(),
                    bytes(line.size),
                    match percent {
                        Some(p) => format!("{} ({p}%)", bytes(line.reclaimable)),
                        None => bytes(line.reclaimable),
                    },
                ]);
                rows.push(row);
            }
        }
        let headers = ["HOST", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"];
        table(&mut out, &headers[usize::from(!several)..], &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}
