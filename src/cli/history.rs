//! `fleetdeck history [TARGET]`: the recorded events of one container (by name, id or id
//! prefix, also one the daemon no longer has) or of all, from the history store, newest last.

use std::io::Write;

use chrono::{Local, SecondsFormat, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe, table};
use super::parse::since;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::store::{EventRow, HistoryQuery};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A container's name, id or id prefix (default: every container).
    pub target: Option<String>,
    /// Events since then: a duration back (10m, 24h, 7d) or an RFC 3339 time.
    #[arg(long, default_value = "24h", value_name = "WHEN")]
    pub since: String,
    /// The alerts the keeper recorded (each with its delivery: delivered, retried,
    /// undelivered) instead of the events.
    #[arg(long, conflicts_with = "target")]
    pub alerts: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn row(event: &EventRow) -> Vec<String> {
    let short = event.container_id.get(..12).unwrap_or(&event.container_id);
    vec![
        event
            .time
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
        event.name.clone().unwrap_or_else(|| short.to_string()),
        short.to_string(),
        event.action.clone(),
        event.detail(),
    ]
}

pub async fn run(args: HistoryArgs, globals: &Globals) -> Result<Exit, CliError> {
    let since = since(&args.since, Utc::now()).map_err(|e| CliError::Usage(e.to_string()))?;
    if !globals.config.store.enabled {
        eprintln!("fleetdeck: no history: the store is off ([store] enabled = false)");
        return Ok(Exit::Success);
    }
    let Some(store) = globals.store_reader()? else {
        eprintln!(
            "fleetdeck: no history: the store {} does not exist yet (run, apply and `fleetdeck keep` write it)",
            globals.store_path().display()
        );
        return Ok(Exit::Success);
    };
    if args.alerts {
        drop(store);
        return super::alerts::history(since, args.output.json, globals).await;
    }
    // `--host` narrows to what was recorded at those daemons' addresses (the first named).
    let host = if globals.hosts.is_empty() {
        None
    } else {
        globals.host_specs()?.first().map(|spec| spec.url.clone())
    };
    if let Some(target) = &args.target {
        let found = store.resolve(target, host.as_deref())?;
        let mut names: Vec<Option<&str>> = found.iter().map(|c| c.name.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        if found.is_empty() {
            return Err(CliError::Usage(format!(
                "no container '{target}' in the history store {}",
                store.path().display()
            )));
        }
        if names.len() > 1 {
            let ids: Vec<&str> = found.iter().map(|c| c.short_id.as_str()).collect();
            return Err(CliError::Usage(format!(
                "'{target}' names several containers in the history store: {}",
                ids.join(", ")
            )));
        }
    }
    let query = HistoryQuery {
        target: args.target.clone(),
        since: Some(since),
        host,
    };
    let events = tokio::task::spawn_blocking(move || store.history(&query))
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))??;
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        events.iter().try_for_each(|e| json_line(&mut out, e))
    } else if events.is_empty() {
        writeln!(
            out,
            "no recorded events since {}",
            since
                .with_timezone(&Local)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        )
    } else {
        let rows: Vec<Vec<String>> = events.iter().map(row).collect();
        table(
            &mut out,
            &["TIME", "CONTAINER", "ID", "ACTION", "DETAIL"],
            &rows,
        )
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}
