//! The engine owns every connection to a daemon: it connects (negotiating the API version),
//! builds the fleet from one list call, and keeps it current from the events stream
//! ([`watch`]). It never imports ratatui or crossterm.

pub mod breaker;
pub mod cgroup_stats;
pub mod context;
pub mod detail;
pub mod discover;
pub mod endpoint;
pub mod exit;
pub mod fleet;
pub mod host;
pub mod kind;
pub mod listed;
pub mod logs;
pub mod model;
pub mod objects;
pub mod podman;
mod podman_reads;
pub mod procs;
mod replay;
pub mod resolve;
pub mod resources;
pub mod stack_reads;
pub mod stats;
pub mod stuck_reads;
pub mod swarm;
mod transport;
pub mod vitals;
pub mod watch;

use std::collections::BTreeMap;

use bollard::models::{ContainerInspectResponse, ContainerSummary};

pub use endpoint::Endpoint;
pub use fleet::{Connection, ContainerEvent, EventAction, Fleet, FleetUpdate};
pub use host::{HostError, HostSpec};
pub use kind::{EngineInfo, EngineKind};
pub use model::{Container, ContainerId, Health, LOCAL_HOST, Port, RunState};

/// How many inspects run at once when the engine fills in details.
const INSPECT_CONCURRENCY: usize = 64;

/// Errors talking to a daemon, naming the host, its address and the cause.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot reach host '{host}' ({endpoint}): {cause}")]
    Unreachable {
        host: String,
        endpoint: String,
        cause: String,
    },
    #[error("host '{host}' ({endpoint}) refused the request: {source}")]
    Daemon {
        host: String,
        endpoint: String,
        #[source]
        source: bollard::errors::Error,
    },
}

impl EngineError {
    /// A copy for bookkeeping (the breaker): a refusal keeps its words, not its source.
    pub fn shallow_clone(&self) -> Self {
        match self {
            Self::Unreachable {
                host,
                endpoint,
                cause,
            } => Self::Unreachable {
                host: host.clone(),
                endpoint: endpoint.clone(),
                cause: cause.clone(),
            },
            Self::Daemon {
                host,
                endpoint,
                source,
            } => Self::Daemon {
                host: host.clone(),
                endpoint: endpoint.clone(),
                source: bollard::errors::Error::DockerResponseServerError {
                    status_code: status_code(source).unwrap_or(500),
                    message: daemon_message(source),
                },
            },
        }
    }

    /// The short name of the host the error is about.
    pub fn host(&self) -> &str {
        match self {
            Self::Unreachable { host, .. } | Self::Daemon { host, .. } => host,
        }
    }
}

/// The HTTP status of a daemon's answer, if the error is one.
pub fn status_code(error: &bollard::errors::Error) -> Option<u16> {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The daemon's message of an error answer, or the error's own text.
pub fn daemon_message(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Whether the error means the daemon could not be reached (as opposed to an answer).
pub fn is_transport_error(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    matches!(
        error,
        E::IOError { .. }
            | E::HyperResponseError { .. }
            | E::SocketNotFoundError(_)
            | E::RequestTimeoutError
            | E::HyperLegacyError { .. }
    )
}

fn labels_of(map: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Builds a container from bollard's list summary. `None` when the summary has no id.
pub fn from_summary(summary: ContainerSummary) -> Option<Container> {
    from_listed(summary.into())
}

/// Builds a container from one container of a list answer. `None` when it has no id.
pub fn from_listed(listed: listed::Listed) -> Option<Container> {
    let id = ContainerId(listed.id?);
    let name = listed
        .names
        .as_ref()
        .and_then(|names| names.first())
        .map(|n| model::clean_name(n))
        .unwrap_or_default();
    let mut container = Container::new(id, name);
    container.image = listed.image.unwrap_or_default();
    container.command = listed.command.unwrap_or_default();
    container.state = listed
        .state
        .map(|s| RunState::parse(&s))
        .unwrap_or(RunState::Unknown);
    let status = listed.status.unwrap_or_default();
    container.health = health_from_status(&status);
    container.exit_code = model::exit_code_from_status(&status);
    container.created = listed
        .created
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
    container.set_labels(listed.labels.unwrap_or_default());
    let mut ports: Vec<Port> = listed
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| Port {
            private: p.private_port,
            public: p.public_port,
            ip: p.ip,
            protocol: match p.typ.as_deref() {
                Some("udp") => "udp".into(),
                Some("sctp") => "sctp".into(),
                _ => "tcp".into(),
            },
        })
        .collect();
    ports.sort();
    ports.dedup_by(|a, b| {
        a.private == b.private && a.public == b.public && a.protocol == b.protocol
    });
    container.ports = ports;
    Some(container)
}

/// The health word inside a list status ("Up 3 minutes (unhealthy)").
fn health_from_status(status: &str) -> Option<Health> {
    let open = status.rfind('(')?;
    let inner = status[open + 1..].trim_end_matches(')');
    let inner = inner.strip_prefix("health: ").unwrap_or(inner);
    Health::parse(inner)
}

/// Builds a container from an inspect. `None` when the inspect has no id.
pub fn from_inspect(inspect: &ContainerInspectResponse) -> Option<Container> {
    let id = ContainerId(inspect.id.clone()?);
    let name = model::clean_name(inspect.name.as_deref().unwrap_or_default());
    let mut container = Container::new(id, name);
    let config = inspect.config.as_ref();
    container.image = config
        .and_then(|c| c.image.clone())
        .or_else(|| inspect.image.clone())
        .unwrap_or_default();
    let mut command: Vec<String> = inspect.path.iter().cloned().collect();
    command.extend(inspect.args.iter().flatten().cloned());
    container.command = command.join(" ");
    if let Some(state) = &inspect.state {
        apply_state(&mut container, state);
    }
    container.memory_limit = inspect
        .host_config
        .as_ref()
        .and_then(|h| h.memory)
        .and_then(|m| u64::try_from(m).ok())
        .filter(|m| *m > 0);
    container.restart_count = inspect.restart_count.and_then(|n| u64::try_from(n).ok());
    container.created = inspect
        .created
        .as_ref()
        .and_then(|t| model::parse_docker_time(&t.to_string()));
    container.set_labels(labels_of(config.and_then(|c| c.labels.as_ref())));
    container.ports = ports_of(inspect);
    Some(container)
}

/// Health checks failed in a row: the daemon's streak, or (in a start period, where Docker
/// counts no failure) the failed checks ending the log it keeps.
fn failing_streak(health: &bollard::models::Health) -> u64 {
    let streak = health
        .failing_streak
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let logged = health
        .log
        .iter()
        .flatten()
        .rev()
        .take_while(|r| r.exit_code.is_some_and(|code| code != 0))
        .count();
    streak.max(logged as u64)
}

/// What an inspect's state says: the run state, health, OOM kill, times, and the exit code
/// while it is the last exit.
fn apply_state(container: &mut Container, state: &bollard::models::ContainerState) {
    container.state = state
        .status
        .map(|s| RunState::parse(s.as_ref()))
        .unwrap_or(RunState::Unknown);
    container.health = state
        .health
        .as_ref()
        .and_then(|h| h.status)
        .and_then(|s| Health::parse(s.as_ref()));
    container.oom_killed = state.oom_killed.unwrap_or(false);
    container.error = state.error.clone().filter(|e| !e.is_empty());
    container.last_health_output = state
        .health
        .as_ref()
        .and_then(|h| h.log.as_ref())
        .and_then(|log| log.last())
        .and_then(|r| r.output.as_deref())
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty());
    container.health_failing_streak = state.health.as_ref().map(failing_streak);
    container.started_at = state
        .started_at
        .as_deref()
        .and_then(model::parse_docker_time);
    container.finished_at = state
        .finished_at
        .as_deref()
        .and_then(model::parse_docker_time);
    // Docker reports exit code 0 for a container that never ran, and resets it to 0 when a
    // container starts again: it is the last exit only while the container is down (or
    // between two runs of a restart policy).
    if matches!(
        container.state,
        RunState::Exited | RunState::Dead | RunState::Restarting
    ) {
        container.exit_code = state.exit_code;
    }
}

/// The published ports (each binding, or the port alone when unbound), sorted.
fn ports_of(inspect: &ContainerInspectResponse) -> Vec<Port> {
    let mut ports = Vec::new();
    if let Some(map) = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
    {
        for (key, bindings) in map {
            let (private, protocol) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let Ok(private) = private.parse::<u16>() else {
                continue;
            };
            let bound: Vec<_> = bindings.iter().flatten().collect();
            if bound.is_empty() {
                ports.push(Port {
                    private,
                    public: None,
                    ip: None,
                    protocol: protocol.to_string(),
                });
            }
            for binding in bound {
                ports.push(Port {
                    private,
                    public: binding.host_port.as_deref().and_then(|p| p.parse().ok()),
                    ip: binding.host_ip.clone(),
                    protocol: protocol.to_string(),
                });
            }
        }
    }
    ports.sort();
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_container_has_no_last_exit_from_inspect() {
        // Docker resets ExitCode to 0 when a container starts again.
        let json = r#"{"Id":"abc","Name":"/loop","RestartCount":4,"State":{"Status":"running","ExitCode":0,"StartedAt":"2024-05-01T10:00:05Z","FinishedAt":"2024-05-01T10:00:04Z"}}"#;
        let inspect: ContainerInspectResponse = serde_json::from_str(json).expect("inspect json");
        let c = from_inspect(&inspect).expect("container");
        assert_eq!(c.exit_code, None);
        assert_eq!(c.restart_count, Some(4));
        let json = json
            .replace("running", "restarting")
            .replace("\"ExitCode\":0", "\"ExitCode\":3");
        let inspect: ContainerInspectResponse = serde_json::from_str(&json).expect("inspect json");
        assert_eq!(from_inspect(&inspect).and_then(|c| c.exit_code), Some(3));
    }

    #[test]
    fn health_is_read_from_list_status() {
        assert_eq!(
            health_from_status("Up 3 minutes (unhealthy)"),
            Some(Health::Unhealthy)
        );
        assert_eq!(
            health_from_status("Up 1 second (health: starting)"),
            Some(Health::Starting)
        );
        assert_eq!(health_from_status("Up 3 minutes"), None);
        assert_eq!(health_from_status("Exited (1) 2 seconds ago"), None);
    }
}
