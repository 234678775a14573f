//! Podman's list and inspect read without bollard's types in the way: Podman's compatible
//! answers hold a container in a `stopped` state — no Docker state — while it exits (most of
//! the time, for one in a fast restart loop), and bollard refuses the whole answer over that
//! one word. Where a typed read was refused so ([`super::podman::is_passing_state`]) and made
//! again in vain, the same request goes out here ([`super::podman`]'s one GET, over a unix
//! socket or plain tcp), `stopped` is read as `exited` (its process has ended; the state and
//! exit code that follow come with the next events), and the answer is then read into
//! bollard's types.

use std::collections::HashMap;

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use serde_json::Value;

use super::podman::{get, plain_target};
use super::{Endpoint, EngineError, status_code};

/// Podman's passing state, and the Docker state it is read as.
const PASSING: &str = "stopped";
const READ_AS: &str = "exited";

impl Endpoint {
    /// The list, read by hand; `refused` (the typed read's error) when this host cannot be
    /// asked so (TLS, ssh).
    pub(super) async fn podman_list(
        &self,
        filters: &HashMap<String, Vec<String>>,
        refused: EngineError,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let Some(target) = plain_target(self) else {
            return Err(refused);
        };
        let filters = serde_json::to_string(filters).unwrap_or_else(|_| "{}".into());
        // Unversioned, as bollard asks: the daemon's own API version.
        let path = format!(
            "/containers/json?all=1&filters={}",
            percent_encode(&filters)
        );
        let body = self.guarded(get(target, path)).await?;
        let mut value: Value = serde_json::from_slice(&body).map_err(|e| self.unreadable(&e))?;
        for container in value.as_array_mut().into_iter().flatten() {
            if container["State"] == PASSING {
                container["State"] = READ_AS.into();
            }
        }
        serde_json::from_value(value).map_err(|e| self.unreadable(&e))
    }

    /// One inspect, read by hand (`Ok(None)`: no such container); `refused` when this host
    /// cannot be asked so.
    pub(super) async fn podman_inspect(
        &self,
        id: &str,
        refused: EngineError,
    ) -> Result<Option<ContainerInspectResponse>, EngineError> {
        let Some(target) = plain_target(self) else {
            return Err(refused);
        };
        let path = format!("/containers/{}/json", percent_encode(id));
        let body = match self.guarded(get(target, path)).await {
            Ok(body) => body,
            Err(EngineError::Daemon { source, .. }) if status_code(&source) == Some(404) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mut value: Value = serde_json::from_slice(&body).map_err(|e| self.unreadable(&e))?;
        if value["State"]["Status"] == PASSING {
            value["State"]["Status"] = READ_AS.into();
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| self.unreadable(&e))
    }

    fn unreadable(&self, e: &serde_json::Error) -> EngineError {
        EngineError::Daemon {
            host: self.name.clone(),
            endpoint: self.address.clone(),
            source: bollard::errors::Error::DockerResponseServerError {
                status_code: 500,
                message: format!("an answer that cannot be read: {e}"),
            },
        }
    }
}

/// `text` for a URL's query or path: everything but letters, digits and `-_.~` as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(
            percent_encode(r#"{"status":["running"]}"#),
            "%7B%22status%22%3A%5B%22running%22%5D%7D"
        );
        assert_eq!(percent_encode("web-1_a.b~"), "web-1_a.b~");
    }

    #[test]
    fn a_stopped_container_reads_as_exited() {
        // As Podman 4.3.1 lists a container of a restart loop between two runs (trimmed).
        let mut value: Value = serde_json::from_str(
            r#"[{"Id":"ac4d","Names":["/r1"],"Image":"localhost/busybox:latest","State":"stopped","Status":"Exited (3) Less than a second ago","Labels":{}}]"#,
        )
        .expect("json");
        assert!(serde_json::from_value::<Vec<ContainerSummary>>(value.clone()).is_err());
        for c in value.as_array_mut().into_iter().flatten() {
            if c["State"] == PASSING {
                c["State"] = READ_AS.into();
            }
        }
        let list: Vec<ContainerSummary> = serde_json::from_value(value).expect("readable now");
        assert_eq!(
            list[0].state,
            Some(bollard::models::ContainerSummaryStateEnum::EXITED)
        );
    }
}
