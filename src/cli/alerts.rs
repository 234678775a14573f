//! `fleetdeck alerts [--json]`: the `[[alerts]]` rules of the config and the last alerts the
//! keeper recorded, each with its delivery state; `fleetdeck alerts test NAME`: a sample alert
//! through one rule, delivered once to each of its sinks, with what each answered (exit 1 when
//! one failed). `fleetdeck history --alerts` lists every recorded alert and its delivery.

use std::io::Write;

use chrono::{DateTime, Local, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::config::alerts::{AlertKind, AlertRule};
use crate::store::AlertRow;

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: Option<AlertsCommand>,
    /// How many of the last alerts to list.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub last: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Send a sample alert through rule NAME, once to each of its sinks, and say what each
    /// answered.
    Test {
        /// The rule's `name`.
        name: String,
        #[command(flatten)]
        output: OutputArgs,
    },
}

pub async fn run(args: AlertsArgs, globals: &Globals) -> Result<Exit, CliError> {
    match args.command {
        Some(AlertsCommand::Test { name, output }) => test(&name, output.json, globals).await,
        None => list(args.last, args.output.json, globals).await,
    }
}

fn words(kinds: &[AlertKind]) -> String {
    kinds.iter().map(|k| k.word()).collect::<Vec<_>>().join(",")
}

fn narrowing(rule: &AlertRule) -> String {
    let mut parts = Vec::new();
    for (key, globs) in [
        ("containers", &rule.containers),
        ("projects", &rule.projects),
        ("hosts", &rule.hosts),
    ] {
        if !globs.patterns().is_empty() {
            parts.push(format!("{key}={}", globs.patterns().join(",")));
        }
    }
    if let Some(p) = &rule.pattern {
        parts.push(format!("match={}", p.0.as_str()));
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join(" ")
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The recorded alerts (the newest `limit` when given) since `since`; none without a store.
async fn recorded(
    globals: &Globals,
    since: DateTime<Utc>,
    limit: Option<usize>,
) -> Result<Vec<AlertRow>, CliError> {
    let Some(store) = globals.store_reader()? else {
        return Ok(Vec::new());
    };
    let rows = tokio::task::spawn_blocking(move || store.alerts(since, limit))
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))??;
    Ok(rows)
}

fn alert_table_row(a: &AlertRow) -> Vec<String> {
    let outcome = match (&a.last_error, &a.answer) {
        (_, Some(answer)) if a.state == crate::store::DeliveryState::Delivered => answer.clone(),
        (Some(e), _) => e.clone(),
        _ => String::new(),
    };
    vec![
        time(a.time),
        a.rule.clone(),
        a.kind.clone(),
        a.container_name.clone().unwrap_or_else(|| "-".into()),
        a.sink.clone(),
        format!("{} ({})", a.state.as_str(), a.attempts),
        a.message.clone(),
        outcome,
    ]
}

const ALERT_HEADER: [&str; 8] = [
    "TIME",
    "RULE",
    "KIND",
    "CONTAINER",
    "SINK",
    "STATE (ATTEMPTS)",
    "MESSAGE",
    "ANSWER OR ERROR",
];

async fn list(last: usize, json: bool, globals: &Globals) -> Result<Exit, CliError> {
    let rules = &globals.config.alerts.0;
    let alerts = recorded(globals, DateTime::<Utc>::UNIX_EPOCH, Some(last)).await?;
    let mut out = std::io::stdout().lock();
    let written = if json {
        let rules: Vec<serde_json::Value> = rules
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "on": r.on.iter().map(|k| k.word()).collect::<Vec<_>>(),
                    "containers": r.containers.patterns(),
                    "projects": r.projects.patterns(),
                    "hosts": r.hosts.patterns(),
                    "match": r.pattern.as_ref().map(|p| p.0.as_str()),
                    "webhook": r.webhook.as_ref().map(|w| w.0.as_str()),
                    "command": r.command,
                })
            })
            .collect();
        json_line(&mut out, &json!({ "rules": rules, "alerts": alerts }))
    } else {
        let rows: Vec<Vec<String>> = rules
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    words(&r.on),
                    narrowing(r),
                    r.sinks().join(", "),
                ]
            })
            .collect();
        let mut w = if rows.is_empty() {
            writeln!(out, "no alert rules: add [[alerts]] sections to the config")
        } else {
            table(&mut out, &["RULE", "ON", "FOR", "SINKS"], &rows)
        };
        if w.is_ok() {
            w = writeln!(out);
        }
        if w.is_ok() {
            w = if alerts.is_empty() {
                writeln!(out, "no alerts recorded")
            } else {
                let rows: Vec<Vec<String>> = alerts.iter().map(alert_table_row).collect();
                table(&mut out, &ALERT_HEADER, &rows)
            };
        }
        w
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}

async fn test(name: &str, json: bool, globals: &Globals) -> Result<Exit, CliError> {
    let Some(rule) = globals.config.alerts.get(name) else {
        let known: Vec<&str> = globals
            .config
            .alerts
            .0
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        return Err(CliError::Usage(format!(
            "no alert rule '{name}' in the config (rules: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let answers =
        crate::keeper::alerts::oneshot::test_rule(rule, &crate::actions::run::this_host()).await;
    let failed = answers.iter().any(|(_, a)| a.is_err());
    let mut out = std::io::stdout().lock();
    let written = answers.iter().try_for_each(|(sink, answer)| {
        if json {
            let (ok, text) = match answer {
                Ok(a) => (true, a.clone()),
                Err(e) => (false, e.to_string()),
            };
            json_line(
                &mut out,
                &json!({ "rule": rule.name, "sink": sink.to_string(), "delivered": ok, "answer": text }),
            )
        } else {
            match answer {
                Ok(a) => writeln!(out, "{sink}: delivered: {a}"),
                Err(e) => writeln!(out, "{sink}: failed: {e}"),
            }
        }
    });
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(if failed {
        Exit::SomeFailed
    } else {
        Exit::Success
    })
}

/// `fleetdeck history --alerts`: every alert recorded since `since`, oldest first.
pub async fn history(
    since: DateTime<Utc>,
    json: bool,
    globals: &Globals,
) -> Result<Exit, CliError> {
    let alerts = recorded(globals, since, None).await?;
    let mut out = std::io::stdout().lock();
    let written = if json {
        alerts.iter().try_for_each(|a| json_line(&mut out, a))
    } else if alerts.is_empty() {
        writeln!(
            out,
            "no alerts recorded since {}",
            since
                .with_timezone(&Local)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        )
    } else {
        let rows: Vec<Vec<String>> = alerts.iter().map(alert_table_row).collect();
        table(&mut out, &ALERT_HEADER, &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}
