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
    let endpoint = globals.connect().await?;
    let stream = endpoint.container_events(None, None);
    futures_util::pin_mut!(stream);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let event = tokio::select! {
            _ = &mut interrupted => return Ok(Exit::Success),
            next = stream.next() => match next {
                Some(Ok(event)) => event,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(Exit::Success),
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
            writeln!(
                out,
                "{time}  {}  {}  {}",
                event.id.short(),
                printable(event.name.as_deref().unwrap_or("-")),
                detail(&event.action)
            )
        };
        match written.and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
            Err(e) => return Err(e.into()),
        }
    }
}
