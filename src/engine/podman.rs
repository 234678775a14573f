//! What only Podman's own API tells: which pod each container is in. Podman's
//! Docker-compatible list and inspect leave the pod out (its events carry the pod's id, not its
//! name), so for a Podman host the engine asks Podman's own `GET /v{version}/libpod/pods/json`
//! (one call: every pod, its name and its containers' ids) when it lists, and again when an
//! event names a pod it does not know. bollard speaks only the Docker API, so this one GET is
//! made here over the host's socket with hyper (already under bollard): over a unix socket
//! or plain tcp; over TLS or ssh the pods stay unknown (said once in fleetdeck's log).

use std::collections::HashMap;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

use super::{ContainerId, Endpoint, EngineError};

/// Podman's pods: who is in which, and each pod's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pods {
    /// Container id → the name of its pod.
    pub by_container: HashMap<ContainerId, String>,
    /// Pod id → pod name.
    pub names: HashMap<String, String>,
}

/// One entry of `libpod/pods/json` (the fields read here).
#[derive(Debug, Deserialize)]
struct PodEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Containers", default)]
    containers: Option<Vec<PodMember>>,
}

#[derive(Debug, Deserialize)]
struct PodMember {
    #[serde(rename = "Id")]
    id: String,
}

impl Pods {
    /// Reads the body of `libpod/pods/json`.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        let entries: Option<Vec<PodEntry>> = serde_json::from_slice(body)?;
        let mut pods = Self::default();
        for entry in entries.unwrap_or_default() {
            for member in entry.containers.unwrap_or_default() {
                pods.by_container
                    .insert(ContainerId(member.id), entry.name.clone());
            }
            pods.names.insert(entry.id, entry.name);
        }
        Ok(pods)
    }

    /// The name of the pod `id` names (a full or a short id), when known.
    pub fn name_of(&self, id: &str) -> Option<&String> {
        self.names.get(id).or_else(|| {
            self.names
                .iter()
                .find(|(full, _)| id.len() >= 12 && full.starts_with(id))
                .map(|(_, name)| name)
        })
    }
}

/// The container states Docker has and Podman's list filter refuses ("unknown container
/// state"): a Podman container restarting under its policy is running or exited, and none is
/// ever dead.
const STATES_PODMAN_LACKS: [&str; 2] = ["restarting", "dead"];

/// A list's filters as Podman takes them: the states it lacks left out of `status`. `None`
/// when nothing could match (every state asked for is one Podman lacks): no call to make.
pub fn list_filters(
    filters: &HashMap<String, Vec<String>>,
) -> Option<HashMap<String, Vec<String>>> {
    let mut filters = filters.clone();
    if let Some(states) = filters.get_mut("status") {
        states.retain(|s| !STATES_PODMAN_LACKS.contains(&s.as_str()));
        if states.is_empty() {
            return None;
        }
    }
    Some(filters)
}

/// A client that asks Podman's `/events` for what it has and no more (`stream=false`):
/// Podman 4's Docker-compatible `/events` sends nothing at all when given `until`, so a
/// bounded read goes without it and is cut at `until` by the caller.
pub fn without_stream(docker: bollard::Docker) -> bollard::Docker {
    docker.with_request_modifier(|mut request| {
        let uri = request.uri().to_string();
        let joint = if uri.contains('?') { '&' } else { '?' };
        if let Ok(uri) = format!("{uri}{joint}stream=false").parse::<hyper::Uri>() {
            *request.uri_mut() = uri;
        }
        request
    })
}

/// How many times a call that met Podman's passing `stopped` state is made again.
pub const PASSING_STATE_RETRIES: u32 = 3;

/// Whether `error` is bollard refusing Podman's `stopped` state: a state Docker does not have,
/// which Podman's compatible list and inspect show for a moment while a container exits
/// (its restart policy's loop shows it about one read in eight), failing the whole answer.
/// It passes: the call is made again.
/// Also passing: Podman's 500 "read /proc/PID/cgroup: no such process", when a container's
/// process exits while the list reads it (seen in a crash loop).
pub fn is_passing_state(error: &EngineError) -> bool {
    let EngineError::Daemon { source, .. } = error else {
        return false;
    };
    let text = source.to_string();
    text.contains("unknown variant `stopped`")
        || (text.contains("status code 500") && text.contains("no such process"))
}

/// Where a GET to `endpoint` goes: its unix socket or plain tcp address; `None` over TLS or
/// ssh.
pub(super) fn plain_target(endpoint: &Endpoint) -> Option<Target> {
    let plain = !(endpoint.spec.is_tls() || endpoint.spec.is_ssh());
    plain.then(|| target_of(&endpoint.address)).flatten()
}

/// Where a GET goes: a unix socket or a plain tcp address.
pub(super) enum Target {
    Unix(PathBuf),
    Tcp(String),
}

fn target_of(url: &str) -> Option<Target> {
    if let Some(path) = url.strip_prefix("unix://") {
        return Some(Target::Unix(PathBuf::from(path)));
    }
    let rest = url
        .strip_prefix("tcp://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(Target::Tcp(
        rest.split('/').next().unwrap_or(rest).to_string(),
    ))
}

impl Endpoint {
    /// Podman's pods, from its own API. Empty for a host that is not Podman, and for a Podman
    /// host reached over TLS or ssh (logged).
    pub async fn pods(&self) -> Result<Pods, EngineError> {
        let Some(engine) = self.engine().filter(|e| e.is_podman()) else {
            return Ok(Pods::default());
        };
        let Some(target) = plain_target(self) else {
            log::info!(
                "host '{}': Podman's pods are read over a unix socket or plain tcp only; not over {}",
                self.name,
                self.address
            );
            return Ok(Pods::default());
        };
        let path = format!("/v{}/libpod/pods/json", engine.version);
        let body = self.guarded(get(target, path)).await?;
        Pods::parse(&body).map_err(|e| EngineError::Daemon {
            host: self.name.clone(),
            endpoint: self.address.clone(),
            source: bollard::errors::Error::DockerResponseServerError {
                status_code: 500,
                message: format!("an unreadable answer to libpod/pods/json: {e}"),
            },
        })
    }

    /// [`Endpoint::pods`], a failure logged and taken as "no pods known" (a list is never
    /// refused because the pods could not be read).
    pub async fn pods_or_none(&self) -> Pods {
        match self.pods().await {
            Ok(pods) => pods,
            Err(e) => {
                log::warn!("host '{}': cannot read Podman's pods: {e}", self.name);
                Pods::default()
            }
        }
    }
}

/// One GET of `path` at `target`: the body of a 200 answer; any other answer is the daemon's
/// refusal, a failure to connect a transport error.
pub(super) async fn get(target: Target, path: String) -> Result<Bytes, bollard::errors::Error> {
    let request = hyper::Request::get(path.as_str())
        .header(hyper::header::HOST, "podman")
        .body(Empty::<Bytes>::new())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let response = match target {
        Target::Unix(socket) => {
            let stream = tokio::net::UnixStream::connect(&socket).await?;
            send(TokioIo::new(stream), request).await?
        }
        Target::Tcp(address) => {
            let stream = tokio::net::TcpStream::connect(address.as_str()).await?;
            send(TokioIo::new(stream), request).await?
        }
    };
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .to_bytes();
    if status != 200 {
        return Err(bollard::errors::Error::DockerResponseServerError {
            status_code: status,
            message: String::from_utf8_lossy(&body).trim().to_string(),
        });
    }
    Ok(body)
}

/// Sends `request` on a fresh HTTP/1 connection over `io`.
async fn send<T>(
    io: TokioIo<T>,
    request: hyper::Request<Empty<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, std::io::Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // The connection is driven beside the request and ends with it.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            log::debug!("libpod connection: {e}");
        }
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn pods_are_read_from_libpods_answer() {
        // As Podman 4.3.1 answers GET /v4.3.1/libpod/pods/json (fields trimmed).
        let body = br#"[{"Cgroup":"","Containers":[{"Id":"59b56edd8dd6739386738c0f4fd85c72bffe933dfae1c6f8ff59acbd763d3b8a","Names":"shop-web","Status":"running"}],"Created":"2026-12-06T08:52:42.3Z","Id":"5a24a52d679147cbcc532d25596ed552cc79b9a611f5853b30d96ebb427e3f14","InfraId":"","Name":"shop","Namespace":"","Networks":[],"Status":"Running","Labels":{}},{"Id":"ee","Name":"empty","Containers":null}]"#;
        let pods = Pods::parse(body).expect("a pod list");
        let web =
            ContainerId("59b56edd8dd6739386738c0f4fd85c72bffe933dfae1c6f8ff59acbd763d3b8a".into());
        assert_eq!(
            pods.by_container.get(&web).map(String::as_str),
            Some("shop")
        );
        assert_eq!(pods.by_container.len(), 1);
        assert_eq!(
            pods.name_of("5a24a52d679147cbcc532d25596ed552cc79b9a611f5853b30d96ebb427e3f14")
                .map(String::as_str),
            Some("shop")
        );
        assert_eq!(
            pods.name_of("5a24a52d6791").map(String::as_str),
            Some("shop")
        );
        assert_eq!(pods.name_of("5a"), None, "too short a prefix to name a pod");
        assert_eq!(Pods::parse(b"null").expect("no pods"), Pods::default());
        assert!(Pods::parse(b"{").is_err());
    }

    #[test]
    fn podmans_passing_stopped_state_is_told_apart() {
        let refused = |message: &str| EngineError::Daemon {
            host: "local".into(),
            endpoint: "unix:///run/podman/podman.sock".into(),
            source: bollard::errors::Error::DockerResponseServerError {
                status_code: 500,
                message: message.into(),
            },
        };
        // The words bollard's JSON error carries (the status enum of the list or inspect).
        let json = serde_json::from_str::<bollard::models::ContainerStateStatusEnum>("\"stopped\"")
            .expect_err("not a Docker state");
        let error = EngineError::Daemon {
            host: "local".into(),
            endpoint: "unix:///run/podman/podman.sock".into(),
            source: bollard::errors::Error::from(json),
        };
        assert!(is_passing_state(&error), "{error}");
        assert!(!is_passing_state(&refused("no such container")));
    }

    #[test]
    fn podman_is_not_asked_for_states_it_lacks() {
        let up = HashMap::from([(
            "status".to_string(),
            vec!["running".into(), "paused".into(), "restarting".into()],
        )]);
        let podman = list_filters(&up).expect("something to list");
        assert_eq!(podman["status"], ["running", "paused"]);
        let dead = HashMap::from([("status".to_string(), vec!["dead".to_string()])]);
        assert_eq!(list_filters(&dead), None, "nothing can match");
        let none = HashMap::new();
        assert_eq!(list_filters(&none), Some(HashMap::new()));
    }

    #[test]
    fn pods_are_asked_over_unix_and_plain_tcp_only() {
        assert!(
            matches!(target_of("unix:///run/podman/podman.sock"), Some(Target::Unix(p)) if p == Path::new("/run/podman/podman.sock"))
        );
        assert!(
            matches!(target_of("tcp://10.0.0.2:8080"), Some(Target::Tcp(a)) if a == "10.0.0.2:8080")
        );
        assert!(target_of("ssh://ops@edge").is_none());
        assert!(target_of("https://edge:2376").is_none());
    }
}
