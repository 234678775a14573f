//! `fleetdeck events`: the daemon's container events, as they happen, until interrupted (or
//! from `--since` up to `--until`). A text line quotes what the daemon sent (the name, a
//! signal, a new name): it is printed made safe for the terminal.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use clap::Args;
use futures_util::StreamExt;

use super::output::json_line;
use super::parse::since;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::{ContainerEvent, EventAction};
use crate::sanitize::printable;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Start with the events since then: a duration back (10m, 2h) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Stop at then (a duration back or an RFC 3339 time) instead of streaming until
    /// interrupted.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--since` / `--until` as the daemon takes them: Unix seconds.
fn seconds(flag: &str, when: Option<&str>) -> Result<Option<i64>, CliError> {
    when.map(|text| {
        since(text, Utc::now())
            .map(|t| t.timestamp())
            .map_err(|e| CliError::Usage(e.to_string().replace("--since", flag)))
    })
    .transpose()
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

/// One event for people: time, (host, with several), short id, name, what happened; made safe
/// for the terminal.
pub fn text_line(event: &ContainerEvent, several: bool) -> String {
    let time = event
        .time
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default();
    let host = if several {
        format!("{}  ", event.host)
    } else {
        String::new()
    };
    let line = format!(
        "{time}  {host}{}  {}  {}",
        event.id.short(),
        event.name.as_deref().unwrap_or("-"),
        detail(&event.action)
    );
    printable(&line).into_owned()
}

pub async fn run(args: EventsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let since = seconds("--since", args.since.as_deref())?;
    let until = seconds("--until", args.until.as_deref())?;
    let hosts = globals.connect_all().await?;
    hosts.report_down()?;
    let several = hosts.several();
    // Every host's stream, merged in arrival order; a host's broken stream is reported and
    // the others go on.
    let streams = hosts
        .up
        .iter()
        .map(|endpoint| Box::pin(endpoint.container_events(since, until)));
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
            writeln!(out, "{}", text_line(&event, several))
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

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{EventActor, EventMessage, EventMessageTypeEnum};

    /// What a (hostile) daemon sends as a container event: the action and its attributes.
    fn event(action: &str, attributes: &[(&str, &str)]) -> ContainerEvent {
        let message = EventMessage {
            typ: Some(EventMessageTypeEnum::CONTAINER),
            action: Some(action.into()),
            actor: Some(EventActor {
                id: Some("0123456789abcdef".into()),
                attributes: Some(
                    attributes
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }),
            time: Some(1_714_557_600),
            ..EventMessage::default()
        };
        ContainerEvent::from_message(&message).expect("a container event")
    }

    #[test]
    fn a_text_line_carries_no_escape_sequence() {
        let hostile = "web\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\nx";
        let events = [
            event("start", &[("name", hostile)]),
            event("kill", &[("name", "web"), ("signal", hostile)]),
            event("rename", &[("name", hostile), ("oldName", "/old")]),
        ];
        for e in &events {
            let line = text_line(e, false);
            assert!(line.contains("web"), "{line:?}");
            assert!(!line.chars().any(char::is_control), "{line:?}");
            for residue in ["]0;", "[2J", "]52;", "31m", "pwned"] {
                assert!(!line.contains(residue), "{residue} in {line:?}");
            }
        }
        assert_eq!(
            text_line(&event("die", &[("name", "db"), ("exitCode", "3")]), false),
            "2024-05-01T10:00:00.000Z  0123456789ab  db  die (exit 3)"
        );
    }
}
