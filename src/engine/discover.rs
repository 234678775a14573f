//! The local socket when nothing names a host: Docker's (`/var/run/docker.sock`, or the path
//! `FLEETDECK_DOCKER_SOCKET` gives) when it answers, else the first Podman socket that does —
//! rootless (`$XDG_RUNTIME_DIR/podman/podman.sock`) before rootful (`/run/podman/podman.sock`),
//! so a user's own Podman wins over the system's, as the podman CLI's own default does. When
//! none answers, Docker's socket is named anyway: the error then says what was tried there.
//!
//! "Answers" means a process accepts a connection on the socket (a leftover socket file of a
//! stopped daemon refuses it); nothing is sent. Which engine is behind the socket that was
//! chosen is read from its `/version` answer at connect ([`super::kind`]), not from the path.

use std::path::{Path, PathBuf};

use super::host::HostSpec;
use super::model::LOCAL_HOST;

/// The variable naming the Docker socket to try first (a path, or `unix://PATH`).
pub const DOCKER_SOCKET_ENV: &str = "FLEETDECK_DOCKER_SOCKET";
/// Docker's socket when the variable is not set.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Rootful Podman's socket (`podman.socket`, or `podman system service` as root).
pub const PODMAN_ROOTFUL_SOCKET: &str = "/run/podman/podman.sock";

/// The Docker socket's path: `FLEETDECK_DOCKER_SOCKET`, else [`DOCKER_SOCKET`].
pub fn docker_socket() -> PathBuf {
    docker_socket_from(std::env::var(DOCKER_SOCKET_ENV).ok())
}

fn docker_socket_from(value: Option<String>) -> PathBuf {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => PathBuf::from(v.strip_prefix("unix://").unwrap_or(&v)),
        None => PathBuf::from(DOCKER_SOCKET),
    }
}

/// The Podman sockets to try, in order: rootless (under `xdg_runtime_dir`), then rootful.
pub fn podman_sockets(xdg_runtime_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut sockets = Vec::new();
    if let Some(dir) = xdg_runtime_dir.filter(|d| d.is_absolute()) {
        sockets.push(dir.join("podman").join("podman.sock"));
    }
    sockets.push(PathBuf::from(PODMAN_ROOTFUL_SOCKET));
    sockets
}

/// The local host: the Docker socket if it answers, else the first Podman socket that does,
/// else the Docker socket.
pub fn local_host() -> HostSpec {
    let xdg = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    choose(
        &docker_socket(),
        &podman_sockets(xdg.as_deref()),
        &socket_answers,
    )
}

/// Whether a process accepts connections on the unix socket at `path`.
pub fn socket_answers(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

/// The choice, with the test of "answers" given.
pub fn choose(docker: &Path, podman: &[PathBuf], answers: &dyn Fn(&Path) -> bool) -> HostSpec {
    let spec = |path: &Path, origin: String| HostSpec {
        name: LOCAL_HOST.to_string(),
        url: format!("unix://{}", path.display()),
        tls: None,
        tls_verify: true,
        ssh_key: None,
        origin,
    };
    if answers(docker) {
        return spec(docker, "default".into());
    }
    match podman.iter().find(|p| answers(p)) {
        Some(found) => {
            log::info!(
                "no Docker daemon answers at {}: using the Podman socket {}",
                docker.display(),
                found.display()
            );
            spec(
                found,
                format!(
                    "Podman socket (no Docker daemon answers at {})",
                    docker.display()
                ),
            )
        }
        None => spec(docker, "default".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docker_socket_comes_from_the_variable() {
        assert_eq!(docker_socket_from(None), PathBuf::from(DOCKER_SOCKET));
        assert_eq!(
            docker_socket_from(Some(String::new())),
            PathBuf::from(DOCKER_SOCKET)
        );
        assert_eq!(
            docker_socket_from(Some("unix:///tmp/d.sock".into())),
            PathBuf::from("/tmp/d.sock")
        );
        assert_eq!(
            docker_socket_from(Some("/tmp/d.sock".into())),
            PathBuf::from("/tmp/d.sock")
        );
    }

    #[test]
    fn rootless_podman_is_tried_before_rootful() {
        let sockets = podman_sockets(Some(Path::new("/run/user/1000")));
        assert_eq!(
            sockets,
            [
                PathBuf::from("/run/user/1000/podman/podman.sock"),
                PathBuf::from(PODMAN_ROOTFUL_SOCKET)
            ]
        );
        // A relative XDG_RUNTIME_DIR is not a runtime dir (the spec says to ignore it).
        assert_eq!(podman_sockets(Some(Path::new("run"))).len(), 1);
    }

    #[test]
    fn docker_first_then_the_first_podman_that_answers_else_docker() {
        let docker = Path::new("/d.sock");
        let podman = [
            PathBuf::from("/rootless.sock"),
            PathBuf::from("/rootful.sock"),
        ];
        let pick = |up: &[&str]| {
            let up: Vec<String> = up.iter().map(|s| s.to_string()).collect();
            choose(docker, &podman, &|p: &Path| {
                up.contains(&p.display().to_string())
            })
        };
        assert_eq!(pick(&["/d.sock", "/rootless.sock"]).url, "unix:///d.sock");
        let found = pick(&["/rootful.sock", "/rootless.sock"]);
        assert_eq!(found.url, "unix:///rootless.sock");
        assert!(found.origin.contains("no Docker daemon answers at /d.sock"));
        assert_eq!(found.name, "local");
        assert_eq!(pick(&["/rootful.sock"]).url, "unix:///rootful.sock");
        let none = pick(&[]);
        assert_eq!(
            (none.url.as_str(), none.origin.as_str()),
            ("unix:///d.sock", "default")
        );
    }

    #[test]
    fn a_real_socket_answers_and_a_leftover_file_does_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = dir.path().join("live.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&live).expect("bind");
        assert!(socket_answers(&live));
        let dead = dir.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&dead).expect("bind"));
        assert!(!socket_answers(&dead), "a socket file nobody listens on");
        assert!(!socket_answers(&dir.path().join("none.sock")));
    }
}
