//! The fleet's data model: one [`Container`] per container the daemon knows, built from a list
//! summary or an inspect, and kept current by the events the reducer applies.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The label Docker Compose puts on every container of a project.
pub const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";
/// The label Docker Compose puts on every container of a service.
pub const COMPOSE_SERVICE_LABEL: &str = "com.docker.compose.service";

/// The short name of the local daemon (the socket, `DOCKER_HOST`, or the one host of a run).
pub const LOCAL_HOST: &str = "local";

fn local_host() -> String {
    LOCAL_HOST.to_string()
}

/// A container's full id (64 hex characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerId(pub String);

impl ContainerId {
    /// The 12-character short form Docker prints.
    pub fn short(&self) -> &str {
        let end = self.0.len().min(12);
        self.0.get(..end).unwrap_or(&self.0)
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A container's run state, as Docker names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl RunState {
    /// Parses Docker's state word (`running`, `exited`, ...).
    pub fn parse(word: &str) -> Self {
        match word.to_ascii_lowercase().as_str() {
            "created" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }

    /// Docker's word for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the container has a live process (running, paused or restarting).
    pub fn is_up(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The health-check state of a container that has a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    /// Parses Docker's health word; `none` and unknown words give `None`.
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().as_str() {
            "starting" => Some(Self::Starting),
            "healthy" => Some(Self::Healthy),
            "unhealthy" => Some(Self::Unhealthy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// One published or exposed port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port {
    pub private: u16,
    pub public: Option<u16>,
    pub ip: Option<String>,
    pub protocol: String,
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.public, &self.ip) {
            (Some(public), Some(ip)) if !ip.is_empty() => {
                write!(f, "{ip}:{public}->{}/{}", self.private, self.protocol)
            }
            (Some(public), _) => write!(f, "{public}->{}/{}", self.private, self.protocol),
            (None, _) => write!(f, "{}/{}", self.private, self.protocol),
        }
    }
}

/// One container as the fleet knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// The short name of the host (daemon) the container lives on: `local` for the one host
    /// of a single-host run.
    #[serde(default = "local_host")]
    pub host: String,
    pub id: ContainerId,
    pub name: String,
    pub image: String,
    pub command: String,
    pub state: RunState,
    /// `None` when the container has no health check.
    pub health: Option<Health>,
    /// The last exit code, once the container has exited at least once.
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// The last signal sent with a `kill` (including the SIGKILL a stop escalates to).
    pub last_signal: Option<String>,
    /// `None` until an inspect has told (the list call does not carry it).
    pub restart_count: Option<u64>,
    pub created: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<Port>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    /// The memory limit in bytes, when one is set (from an inspect).
    pub memory_limit: Option<u64>,
    /// The output of the last health check (from an inspect), trimmed.
    pub last_health_output: Option<String>,
    /// Health checks failed in a row (from an inspect); `None` without a health check.
    #[serde(default)]
    pub health_failing_streak: Option<u64>,
    /// The daemon's error for the container's last run (`State.Error` of an inspect: "no
    /// space left on device"), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The Podman pod the container is in (its name; its id while the name is not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
}

impl Container {
    /// A container known only by id and name (what a `create` event carries), to be filled in.
    pub fn new(id: ContainerId, name: String) -> Self {
        Self {
            host: LOCAL_HOST.to_string(),
            id,
            name,
            image: String::new(),
            command: String::new(),
            state: RunState::Created,
            health: None,
            exit_code: None,
            oom_killed: false,
            last_signal: None,
            restart_count: None,
            created: None,
            started_at: None,
            finished_at: None,
            labels: BTreeMap::new(),
            ports: Vec::new(),
            compose_project: None,
            compose_service: None,
            memory_limit: None,
            last_health_output: None,
            health_failing_streak: None,
            error: None,
            pod: None,
        }
    }

    /// Sets labels and derives the compose project and service from them.
    pub fn set_labels(&mut self, labels: BTreeMap<String, String>) {
        self.compose_project = labels.get(COMPOSE_PROJECT_LABEL).cloned();
        self.compose_service = labels.get(COMPOSE_SERVICE_LABEL).cloned();
        self.labels = labels;
    }
}

/// Parses a Docker timestamp; Docker's zero time (`0001-01-01T00:00:00Z`) and garbage give `None`.
pub fn parse_docker_time(text: &str) -> Option<DateTime<Utc>> {
    let time = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (time.timestamp() > 0).then_some(time)
}

/// Converts an event's `timeNano` (or `time` in seconds) to a time.
pub fn time_from_nanos(nanos: i64) -> Option<DateTime<Utc>> {
    (nanos > 0).then(|| DateTime::from_timestamp_nanos(nanos))
}

/// Strips the leading `/` Docker puts on container names.
pub fn clean_name(name: &str) -> String {
    name.strip_prefix('/').unwrap_or(name).to_string()
}

/// Reads the exit code out of a list summary's status ("Exited (137) 3 minutes ago").
pub fn exit_code_from_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    let end = rest.find(')')?;
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_time_is_none() {
        assert_eq!(parse_docker_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_docker_time("nonsense"), None);
        let t = parse_docker_time("2024-05-01T10:00:00.123456789Z").expect("valid time");
        assert_eq!(t.timestamp(), 1_714_557_600);
    }

    #[test]
    fn exit_code_is_read_from_status() {
        assert_eq!(
            exit_code_from_status("Exited (137) 3 minutes ago"),
            Some(137)
        );
        assert_eq!(
            exit_code_from_status("Exited (0) About a minute ago"),
            Some(0)
        );
        assert_eq!(exit_code_from_status("Up 3 minutes"), None);
        assert_eq!(exit_code_from_status("Exited (x) now"), None);
    }

    #[test]
    fn short_id_and_names() {
        let id = ContainerId("0123456789abcdef0123".into());
        assert_eq!(id.short(), "0123456789ab");
        assert_eq!(ContainerId("abc".into()).short(), "abc");
        assert_eq!(clean_name("/web-1"), "web-1");
        assert_eq!(RunState::parse("Running"), RunState::Running);
        assert_eq!(Health::parse(" unhealthy"), Some(Health::Unhealthy));
        assert_eq!(Health::parse("none"), None);
    }
}
