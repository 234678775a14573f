//! A readable inspect: what an operator wants from `docker inspect`, without the noise, with
//! secrets masked. Built from bollard's inspect response; shared by the CLI and the console.

use std::collections::BTreeMap;

use bollard::models::ContainerInspectResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{Container, parse_docker_time};
use crate::engine::exit::{ExitContext, ExitReading, read_exit};

/// Words in an environment key that mark its value as secret.
pub const SECRET_MARKERS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "AUTH",
    "CERT",
];

/// What a masked value is shown as.
pub const MASK: &str = "••••••";

/// Whether an environment key looks like it holds a secret.
pub fn looks_secret(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthCheck {
    pub start: Option<DateTime<Utc>>,
    pub exit_code: Option<i64>,
    pub output: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mount {
    pub kind: String,
    pub source: String,
    pub destination: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    /// Whether the key looks secret (its value is masked unless revealed).
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Limits {
    pub memory_bytes: Option<i64>,
    pub memory_swap_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub pids: Option<i64>,
}

/// The readable inspect of one container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerDetail {
    #[serde(flatten)]
    pub container: Container,
    /// The last exit read in words, once the container has exited.
    pub exit: Option<ExitReading>,
    /// Docker's own error text for the last start, if any.
    pub error: Option<String>,
    pub pid: Option<i64>,
    pub health_log: Vec<HealthCheck>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub restart_policy: Option<String>,
    pub limits: Limits,
    pub mounts: Vec<Mount>,
    pub networks: Vec<String>,
    pub env: Vec<EnvVar>,
}

/// The health checks the daemon kept, oldest first.
fn health_log(inspect: &ContainerInspectResponse) -> Vec<HealthCheck> {
    inspect
        .state
        .as_ref()
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.log.as_ref())
        .map(|log| {
            log.iter()
                .map(|r| HealthCheck {
                    start: r
                        .start
                        .as_ref()
                        .and_then(|t| parse_docker_time(&t.to_string())),
                    exit_code: r.exit_code,
                    output: r.output.clone().unwrap_or_default().trim().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The environment; values of secret-looking keys masked unless `reveal`.
fn env(inspect: &ContainerInspectResponse, reveal: bool) -> Vec<EnvVar> {
    inspect
        .config
        .as_ref()
        .and_then(|c| c.env.as_ref())
        .map(|vars| {
            vars.iter()
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
                    let secret = looks_secret(key);
                    EnvVar {
                        key: key.to_string(),
                        value: if secret && !reveal {
                            MASK.to_string()
                        } else {
                            value.to_string()
                        },
                        secret,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn mounts(inspect: &ContainerInspectResponse) -> Vec<Mount> {
    inspect
        .mounts
        .iter()
        .flatten()
        .map(|m| Mount {
            kind: m.typ.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            source: m
                .source
                .clone()
                .or_else(|| m.name.clone())
                .unwrap_or_default(),
            destination: m.destination.clone().unwrap_or_default(),
            read_only: !m.rw.unwrap_or(true),
        })
        .collect()
}

/// The networks joined, sorted by name.
fn networks(inspect: &ContainerInspectResponse) -> Vec<String> {
    let mut networks: Vec<String> = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|n| n.keys().cloned().collect())
        .unwrap_or_default();
    networks.sort();
    networks
}

/// The restart policy as `docker run` takes it (`on-failure:3`); none when unset.
fn restart_policy(inspect: &ContainerInspectResponse) -> Option<String> {
    let p = inspect.host_config.as_ref()?.restart_policy.as_ref()?;
    let name = p.name.map(|n| n.to_string()).filter(|n| !n.is_empty())?;
    Some(match p.maximum_retry_count {
        Some(n) if n > 0 => format!("{name}:{n}"),
        _ => name,
    })
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.is_empty()).cloned()
}

impl ContainerDetail {
    /// Builds the readable inspect. Secret values are masked unless `reveal` is set.
    pub fn from_inspect(inspect: &ContainerInspectResponse, reveal: bool) -> Option<Self> {
        let container = super::from_inspect(inspect)?;
        let state = inspect.state.as_ref();
        let config = inspect.config.as_ref();
        let host = inspect.host_config.as_ref();
        let exit = container.exit_code.map(|code| {
            read_exit(
                code,
                ExitContext {
                    oom_killed: container.oom_killed,
                    stop_timed_out: None,
                },
            )
        });
        let positive = |v: Option<i64>| v.filter(|n| *n > 0);
        Some(Self {
            exit,
            error: non_empty(state.and_then(|s| s.error.as_ref())),
            pid: state.and_then(|s| s.pid).filter(|p| *p > 0),
            health_log: health_log(inspect),
            entrypoint: config
                .and_then(|c| c.entrypoint.clone())
                .unwrap_or_default(),
            cmd: config.and_then(|c| c.cmd.clone()).unwrap_or_default(),
            working_dir: non_empty(config.and_then(|c| c.working_dir.as_ref())),
            user: non_empty(config.and_then(|c| c.user.as_ref())),
            restart_policy: restart_policy(inspect),
            limits: Limits {
                memory_bytes: positive(host.and_then(|h| h.memory)),
                memory_swap_bytes: positive(host.and_then(|h| h.memory_swap)),
                nano_cpus: positive(host.and_then(|h| h.nano_cpus)),
                pids: positive(host.and_then(|h| h.pids_limit)),
            },
            mounts: mounts(inspect),
            networks: networks(inspect),
            env: env(inspect, reveal),
            container,
        })
    }

    /// Labels, for callers that only have the detail.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.container.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "DB_PASSWORD",
            "api_token",
            "AWS_SECRET_ACCESS_KEY",
            "GIT_CREDENTIALS",
        ] {
            assert!(looks_secret(key), "{key} should look secret");
        }
        for key in ["PATH", "HOME", "LANG"] {
            assert!(!looks_secret(key), "{key} should not look secret");
        }
    }

    #[test]
    fn env_is_masked_unless_revealed() {
        let json = r#"{"Id":"abc","Name":"/web-1","Config":{"Env":["PATH=/bin","DB_PASSWORD=hunter2"]},"State":{"Status":"running","Running":true,"ExitCode":0,"FinishedAt":"0001-01-01T00:00:00Z","StartedAt":"2024-05-01T10:00:00Z"}}"#;
        let inspect: ContainerInspectResponse = serde_json::from_str(json).expect("inspect json");
        let masked = ContainerDetail::from_inspect(&inspect, false).expect("detail");
        assert_eq!(masked.env[0].value, "/bin");
        assert_eq!(masked.env[1].value, MASK);
        assert!(masked.env[1].secret);
        // A container that never exited has no exit reading, and no zero-time finish.
        assert_eq!(masked.exit, None);
        assert_eq!(masked.container.finished_at, None);
        let revealed = ContainerDetail::from_inspect(&inspect, true).expect("detail");
        assert_eq!(revealed.env[1].value, "hunter2");
    }
}
