//! Which engine answers at a host: Docker, or Podman through its Docker-compatible API (or
//! something else that speaks it). Read from the daemon's `/version` answer when a host is
//! connected ([`super::Endpoint::negotiate`]): Podman names a component `Podman Engine`
//! (Docker's is `Engine`), and some builds say `Podman` in the platform name. The kind
//! decides where fleetdeck looks for what the two engines do differently (cgroup paths,
//! pods, event shapes); the console's title, its help and `fleetdeck hosts` show it.

use bollard::models::SystemVersion;
use serde::Serialize;

/// The engine behind a host's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    Docker,
    Podman,
    /// Something else speaking the Docker API (its name is in [`EngineInfo::name`]).
    Other,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
            Self::Other => "other",
        }
    }
}

/// What a host said about itself at connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    pub kind: EngineKind,
    /// The engine's own name for itself (`Docker Engine - Community`, `Podman Engine`).
    pub name: String,
    /// The engine's version (`20.10.24`, `4.3.1`): the engine component's, else the answer's.
    pub version: String,
    /// The Docker API version it speaks (`1.41`).
    pub api_version: String,
}

impl EngineInfo {
    /// The engine of a `/version` answer.
    pub fn detect(answer: &SystemVersion) -> Self {
        let components = answer.components.as_deref().unwrap_or_default();
        let platform = answer
            .platform
            .as_ref()
            .map(|p| p.name.trim())
            .unwrap_or_default();
        let podman = components
            .iter()
            .find(|c| c.name.to_ascii_lowercase().contains("podman"));
        let docker = components.iter().find(|c| c.name == "Engine");
        let (kind, component) = if let Some(c) = podman {
            (EngineKind::Podman, Some(c))
        } else if platform.to_ascii_lowercase().contains("podman") {
            (EngineKind::Podman, None)
        } else if docker.is_some() || platform.to_ascii_lowercase().contains("docker") {
            (EngineKind::Docker, docker)
        } else {
            (EngineKind::Other, components.first())
        };
        let name = component
            .map(|c| c.name.clone())
            .filter(|_| platform.is_empty() || kind == EngineKind::Podman)
            .unwrap_or_else(|| platform.to_string());
        let name = if name.is_empty() {
            kind.as_str().to_string()
        } else {
            name
        };
        let version = component
            .map(|c| c.version.clone())
            .filter(|v| !v.is_empty())
            .or_else(|| answer.version.clone())
            .unwrap_or_default();
        Self {
            kind,
            name,
            version,
            api_version: answer.api_version.clone().unwrap_or_default(),
        }
    }

    /// `podman 4.3.1`, `docker 20.10.24`: the kind and the version, as the console shows it.
    pub fn short(&self) -> String {
        match self.kind {
            EngineKind::Other => format!("{} {}", self.name, self.version),
            kind => format!("{} {}", kind.as_str(), self.version),
        }
        .trim()
        .to_string()
    }

    pub fn is_podman(&self) -> bool {
        self.kind == EngineKind::Podman
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> SystemVersion {
        serde_json::from_str(json).expect("a /version answer")
    }

    #[test]
    fn podman_is_told_by_its_component() {
        // As Podman 4.3.1's Docker-compatible /version answers (details trimmed).
        let podman = answer(
            r#"{"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1","Details":{"APIVersion":"4.3.1","MinAPIVersion":"4.0.0"}},{"Name":"Conmon","Version":"conmon version 2.1.6","Details":{"Package":"conmon"}}],"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","Os":"linux"}"#,
        );
        let info = EngineInfo::detect(&podman);
        assert_eq!(info.kind, EngineKind::Podman);
        assert_eq!(info.name, "Podman Engine");
        assert_eq!(info.version, "4.3.1");
        assert_eq!(info.api_version, "1.41");
        assert_eq!(info.short(), "podman 4.3.1");
    }

    #[test]
    fn docker_is_told_by_its_engine_component() {
        // As Docker 20.10 answers: an empty platform name, the component `Engine`.
        let docker = answer(
            r#"{"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41"}},{"Name":"containerd","Version":"1.6.20"}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41"}"#,
        );
        let info = EngineInfo::detect(&docker);
        assert_eq!(info.kind, EngineKind::Docker);
        assert_eq!(info.name, "Engine");
        assert_eq!(info.short(), "docker 20.10.24+dfsg1");
        let community = answer(
            r#"{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"27.1.1"}],"Version":"27.1.1","ApiVersion":"1.46"}"#,
        );
        let info = EngineInfo::detect(&community);
        assert_eq!(info.kind, EngineKind::Docker);
        assert_eq!(info.name, "Docker Engine - Community");
        assert_eq!(info.version, "27.1.1");
    }

    #[test]
    fn a_platform_alone_can_say_podman_and_anything_else_is_other() {
        let old = answer(
            r#"{"Platform":{"Name":"Podman Engine"},"Version":"3.4.4","ApiVersion":"1.40"}"#,
        );
        let info = EngineInfo::detect(&old);
        assert_eq!(info.kind, EngineKind::Podman);
        assert_eq!(info.version, "3.4.4");
        let other =
            answer(r#"{"Components":[{"Name":"Weird","Version":"1.0"}],"ApiVersion":"1.41"}"#);
        let info = EngineInfo::detect(&other);
        assert_eq!(info.kind, EngineKind::Other);
        assert_eq!(info.short(), "Weird 1.0");
        let bare = EngineInfo::detect(&answer("{}"));
        assert_eq!(
            (bare.kind, bare.name.as_str()),
            (EngineKind::Other, "other")
        );
    }
}
