//! `fleetdeck events`: the daemon's container events, as they happen, until interrupted.

use std::io::Write;

use chrono::SecondsFormat;
use clap::Args;
use futures_util::StreamExt;

use super::output::json_line;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::EventAction;
use crate::sanitize::printable;

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

fn detail(action: &EventAction) -> String {
    match action {
        EventAction::Die(Some(code)) => format!("die (exit {code})"),
        EventAction::Kill(Some(signal)) => format!("kill ({signal})"),
        EventAction::HealthStatus(Some(h)) => format!("health_status ({})", h.as_str()),
        EventAction::Rename(name) => format!("rename (to {name})"),
        EventAction::Other(word) => word.clone(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v["kind"].as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

pub async fn run(args: EventsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let hosts = globals.connect_all().await?;
    hosts.report_down()?;
    let several = hosts.several();
    // Every host's stream, merged in arrival order; a host's broken stream is reported and
    // the others go on.
    let streams = hosts
        .up
        .iter()
        .map(|endpoint| Box::pin(endpoint.container_events(None, None)));
    let mut stream = futures_util::stream::select_all(streams);
    let mut failed = false;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let event = tokio::select! {
            _ = &mut interrupted => break,
            next = stream.next() => match next {
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    eprintln!("fleetdeck: {}", printable(&e.to_string()));
                    failed = true;
                    continue;
                }
                None => break,
            },
        };
        let mut out = std::io::stdout().lock();
        let written = if args.output.json {
            json_line(&mut out, &event)
        } else {
            let time = event
                .time
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
                .unwrap_or_default();
            let host = if several {
                format!("{}  ", printable(&event.host))
            } else {
                String::new()
            };
            writeln!(
                out,
                "{time}  {host}{}  {}  {}",
                event.id.short(),
                printable(event.name.as_deref().unwrap_or("-")),
                detail(&event.action)
            )
        };
        match written.and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e.into()),
        }
    }
    let exit = if failed {
        Exit::Unreachable
    } else {
        Exit::Success
    };
    Ok(hosts.exit(exit))
}
