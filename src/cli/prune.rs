//! `fleetdeck prune images|volumes|networks|build-cache|all [--all] [--filter K=V] [--dry-run]
//! [--yes] [--json]`: what goes and the bytes it frees first (the plan), then, asked or with
//! `--yes`, each removal through the action layer (audited; refused under `--read-only`). A
//! dry run prints the plan the real run would carry out, and removes nothing.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};

use super::output::{json_line, quiet_pipe, table};
use super::ps::parse_filters;
use super::{CliError, Exit, Globals};
use crate::actions::ActionError;
use crate::actions::objects::ObjectReport;
use crate::actions::objects::prune::{self, PruneItem, PruneKind, PruneOptions};
use crate::present::bytes;

/// What `prune` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PruneWhat {
    Images,
    Volumes,
    Networks,
    BuildCache,
    All,
}

impl PruneWhat {
    fn kinds(self) -> Vec<PruneKind> {
        match self {
            Self::Images => vec![PruneKind::Images],
            Self::Volumes => vec![PruneKind::Volumes],
            Self::Networks => vec![PruneKind::Networks],
            Self::BuildCache => vec![PruneKind::BuildCache],
            Self::All => PruneKind::ALL.to_vec(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// What to prune.
    #[arg(value_enum)]
    pub what: PruneWhat,
    /// Images: every unused image, not only dangling ones; volumes: named ones too (never one
    /// in use); build cache: all of it.
    #[arg(long)]
    pub all: bool,
    /// Only objects matching a Docker filter (label=K=V, label=K); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// List what would go and the bytes it frees; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Each host's plan items, with the host's name.
type Planned = Vec<(String, PruneItem)>;

pub async fn run(args: PruneArgs, globals: &Globals) -> Result<Exit, CliError> {
    let options = PruneOptions {
        all: args.all,
        filters: parse_filters(&args.filter)?,
    };
    let kinds = args.what.kinds();
    let mut hosts = globals.connect_all().await?;
    let (options_ref, kinds_ref) = (&options, kinds.as_slice());
    let plans = hosts
        .each(|endpoint| async move {
            let plan = prune::plan(&endpoint, kinds_ref, options_ref).await?;
            Ok((endpoint.name.clone(), plan))
        })
        .await?;
    hosts.report_down()?;
    let several = hosts.several();
    let planned: Planned = plans
        .iter()
        .flat_map(|(host, plan)| plan.items.iter().map(move |i| (host.clone(), i.clone())))
        .collect();
    let total: u64 = plans.iter().map(|(_, p)| p.bytes()).sum();
    if args.dry_run || planned.is_empty() {
        print_plan(&planned, total, args.json, several, true)?;
        return Ok(hosts.exit(Exit::Success));
    }
    if !args.yes && !globals.read_only && !confirmed(&planned, total)? {
        eprintln!("nothing done");
        return Ok(Exit::Usage);
    }
    let mut reports: Vec<ObjectReport> = Vec::new();
    for (host, plan) in &plans {
        if let Some(endpoint) = hosts.get(host) {
            let ctx = globals.action_context(endpoint.clone());
            reports.extend(prune::run(&ctx, plan, &options).await);
        }
    }
    print_reports(&reports, args.json, several)?;
    for r in &reports {
        if let Some(e) = &r.audit_error {
            super::output::warn(format_args!("{} {}: {e}", r.verb, r.target.name));
        }
    }
    let read_only = reports
        .iter()
        .any(|r| matches!(r.result, Err(ActionError::ReadOnly { .. })));
    let failed = reports.iter().any(|r| r.result.is_err());
    Ok(hosts.exit(if read_only {
        Exit::ReadOnly
    } else if failed {
        Exit::SomeFailed
    } else {
        Exit::Success
    }))
}

/// Asks before removing; without a terminal to ask on, refuses.
fn confirmed(planned: &Planned, total: u64) -> Result<bool, CliError> {
    print_plan(planned, total, false, false, false)?;
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to prune {} object{} without --yes: stdin is not a terminal to ask on",
            planned.len(),
            if planned.len() == 1 { "" } else { "s" }
        )));
    }
    super::act::ask(&format!(
        "remove these {} and free {}?",
        planned.len(),
        bytes(total)
    ))
}

fn item_json(host: &str, item: &PruneItem) -> serde_json::Value {
    serde_json::json!({
        "host": host,
        "kind": item.kind,
        "id": item.id,
        "name": item.name,
        "size": item.size,
        "reason": item.reason,
    })
}

/// The plan: a table (on stdout, or on stderr before the question) or JSON.
fn print_plan(
    planned: &Planned,
    total: u64,
    json: bool,
    several: bool,
    to_stdout: bool,
) -> Result<(), CliError> {
    let mut buffer = Vec::new();
    if json {
        let items: Vec<serde_json::Value> = planned.iter().map(|(h, i)| item_json(h, i)).collect();
        json_line(
            &mut buffer,
            &serde_json::json!({ "dry_run": true, "items": items, "bytes": total }),
        )?;
    } else if planned.is_empty() {
        writeln!(buffer, "nothing to prune")?;
    } else {
        let rows: Vec<Vec<String>> = planned
            .iter()
            .map(|(host, i)| {
                let mut row: Vec<String> = several.then(|| host.clone()).into_iter().collect();
                row.extend([
                    if to_stdout { "would remove" } else { "remove" }.to_string(),
                    i.kind.word().to_string(),
                    i.name.clone(),
                    i.size.map_or_else(|| "-".into(), bytes),
                    i.reason.clone(),
                ]);
                row
            })
            .collect();
        let headers = ["HOST", "PRUNE", "KIND", "NAME", "SIZE", "WHY"];
        table(&mut buffer, &headers[usize::from(!several)..], &rows)?;
        writeln!(
            buffer,
            "{} object{}, {} freed",
            planned.len(),
            if planned.len() == 1 { "" } else { "s" },
            bytes(total)
        )?;
    }
    if to_stdout {
        let mut out = std::io::stdout().lock();
        quiet_pipe(out.write_all(&buffer).and_then(|()| out.flush()))?;
    } else {
        std::io::stderr().lock().write_all(&buffer)?;
    }
    Ok(())
}

/// What each removal did.
fn print_reports(reports: &[ObjectReport], json: bool, several: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let freed: u64 = reports.iter().filter_map(|r| r.freed).sum();
    let written = if json {
        let items: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| {
                serde_json::json!({
                    "host": r.host,
                    "kind": r.target.kind,
                    "id": r.target.id,
                    "name": r.target.name,
                    "ok": r.result.is_ok(),
                    "outcome": r.result.as_ref().ok().map(|o| o.word()),
                    "error": r.result.as_ref().err().map(ToString::to_string),
                    "freed": r.freed,
                })
            })
            .collect();
        json_line(
            &mut out,
            &serde_json::json!({ "dry_run": false, "items": items, "bytes": freed }),
        )
    } else {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                let mut row: Vec<String> = several.then(|| r.host.clone()).into_iter().collect();
                row.extend([r.verb.to_string(), r.target.name.clone(), r.describe()]);
                row
            })
            .collect();
        table(
            &mut out,
            &["HOST", "ACTION", "NAME", "RESULT"][usize::from(!several)..],
            &rows,
        )
        .and_then(|()| writeln!(out, "{} freed", bytes(freed)))
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(())
}
