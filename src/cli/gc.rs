//! `fleetdeck gc [--dry-run] [--max-age D] [--group G] [--json]`: removes the containers
//! fleetdeck left behind (an owner process or keeper instance gone, or older than the max
//! age), never one it does not own, honouring `fleetdeck.gc.protected-until`; each owned
//! container listed with what GC does and why. Every removal goes through the action layer.

use std::io::Write;
use std::time::Duration;

use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::keeper::gc::{GcItem, GcOptions, collect};

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Say what would be removed, and why; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove owned one-shot containers older than this (default: the config's
    /// `[keeper] gc_max_age`, else never by age).
    #[arg(long, value_name = "DURATION", value_parser = super::parse::parse_duration)]
    pub max_age: Option<Duration>,
    /// Only this group's containers (`run --group G`).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: GcArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let opts = GcOptions {
        max_age: args.max_age.or(globals.config.keeper.gc_max_age),
        group: args.group,
        // Read-only: say what would go, change nothing.
        dry_run: args.dry_run || globals.read_only,
    };
    let store = globals.store_writer_off_thread().await;
    // Each host's own owned containers, every host at once.
    let this_host = crate::actions::run::this_host();
    let (store_ref, opts_ref, this_host) = (store.as_ref(), &opts, this_host.as_str());
    let per_host = hosts
        .each(|endpoint| async move {
            let ctx = globals.action_context(endpoint.clone());
            let items = collect(&ctx, store_ref, this_host, opts_ref).await?;
            Ok(items
                .into_iter()
                .map(|i| (endpoint.name.clone(), i))
                .collect::<Vec<_>>())
        })
        .await?;
    hosts.report_down()?;
    let several = hosts.several();
    let items: Vec<(String, GcItem)> = per_host.into_iter().flatten().collect();
    if let Some(store) = store {
        super::record::finish(store).await;
    }
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        let lines: Vec<serde_json::Value> = items
            .iter()
            .map(|(host, i)| item_json(host, i, opts.dry_run))
            .collect();
        json_line(&mut out, &lines)
    } else if items.is_empty() {
        writeln!(out, "nothing owned by fleetdeck")
    } else {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|(host, i)| {
                let mut row: Vec<String> = several.then(|| host.clone()).into_iter().collect();
                row.extend([
                    word(i, opts.dry_run).to_string(),
                    i.name.clone(),
                    i.id.short().to_string(),
                    match &i.error {
                        Some(e) => format!("{} (FAILED: {e})", i.reason),
                        None => i.reason.clone(),
                    },
                ]);
                row
            })
            .collect();
        let headers = ["HOST", "GC", "NAME", "ID", "WHY"];
        table(&mut out, &headers[usize::from(!several)..], &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    let failed = items.iter().any(|(_, i)| i.error.is_some());
    Ok(hosts.exit(
        if globals.read_only && items.iter().any(|(_, i)| i.remove) {
            Exit::ReadOnly
        } else if failed {
            Exit::SomeFailed
        } else {
            Exit::Success
        },
    ))
}

fn word(item: &GcItem, dry_run: bool) -> &'static str {
    match (item.remove, dry_run, item.removed) {
        (false, _, _) => "keep",
        (true, true, _) => "would remove",
        (true, false, true) => "removed",
        (true, false, false) => "FAILED",
    }
}

fn item_json(host: &str, item: &GcItem, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "host": host,
        "id": item.id,
        "short_id": item.id.short(),
        "name": item.name,
        "group": item.group,
        "action": if item.remove { "remove" } else { "keep" },
        "dry_run": dry_run,
        "removed": item.removed,
        "reason": item.reason,
        "error": item.error,
    })
}
