//! What the several-hosts tests do to a daemon by its address: the docker CLI pointed at it,
//! and a labelled container that waits until stopped.

use std::process::Command;

use super::{IMAGE, RUN_LABEL};

/// The machine's own daemon, named `local`, as `--host` takes it.
pub const LOCAL: &str = "local=unix:///var/run/docker.sock";

/// `docker -H HOST ARGS`, which must succeed; its trimmed stdout.
pub fn docker_at(host: &str, args: &[&str]) -> String {
    let out = Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker -H {host} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A container on the daemon at `host` named `name`, labelled with the test's `run`, up and
/// waiting (exit 143 on SIGTERM); its id.
pub fn run_on(host: &str, run: &str, name: &str) -> String {
    docker_at(
        host,
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--label",
            &format!("{RUN_LABEL}={run}"),
            "--name",
            name,
            IMAGE,
            "sh",
            "-c",
            "trap 'exit 143' TERM; while true; do sleep 0.2; done",
        ],
    )
}
