//! Shared set-up of the integration tests. Here: what drives the real Docker daemon (the
//! connection, the busybox test image built from scratch with no registry needed, and a guard
//! that labels what a test makes and removes it when the test ends, also when it fails) and
//! fleetdeck's own handles on it (an endpoint, an action context, a target). Beside it:
//! [`binary`], runs of the real binary in a sandbox, and [`tmux`], the terminal harness of the
//! end-to-end tests; [`daemon`], a second daemon; [`tls`] and [`sshd`], the certificates and
//! the sshd of the TLS and ssh host tests.
//!
//! Every test crate compiles this module for itself and uses only part of it, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

pub mod binary;
pub mod daemon;
pub mod hosts;
pub mod keeper;
pub mod sshd;
pub mod swarm;
pub mod tls;
pub mod tmux;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, LogsOptionsBuilder,
    StartContainerOptions,
};
use fleetdeck::actions::{ActionContext, Target};
use fleetdeck::audit::AuditLog;
use fleetdeck::engine::{ContainerId, Endpoint};
use futures_util::StreamExt;
use tokio::sync::OnceCell;

/// The test image: busybox on scratch.
pub const IMAGE: &str = "fleetdeck-test-busybox:latest";
/// Every container a test makes carries this label; its value names the test run.
pub const RUN_LABEL: &str = "fleetdeck.test.run";

static IMAGE_READY: OnceCell<()> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The daemon, with the API version negotiated down to what it speaks.
pub async fn docker() -> Docker {
    Docker::connect_with_defaults()
        .expect("DOCKER_HOST or the local socket is usable")
        .negotiate_version()
        .await
        .expect("the Docker daemon answers (the test command starts one)")
}

/// Builds the test image once per test binary, unless the daemon already has it.
pub async fn ensure_image(docker: &Docker) {
    IMAGE_READY
        .get_or_init(|| async {
            if docker.inspect_image(IMAGE).await.is_ok() {
                return;
            }
            let busybox_path =
                std::env::var("FLEETDECK_TEST_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".into());
            let busybox = std::fs::read(&busybox_path).unwrap_or_else(|e| {
                panic!("the test image needs a static busybox at {busybox_path} (apt-get install busybox-static): {e}")
            });
            let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"/bin/sh\"]\n";
            let mut tar = tar::Builder::new(Vec::new());
            for (name, data, mode) in [
                ("Dockerfile", dockerfile.as_bytes(), 0o644),
                ("busybox", busybox.as_slice(), 0o755),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(mode);
                header.set_cksum();
                tar.append_data(&mut header, name, data).expect("tar entry");
            }
            let context = tar.into_inner().expect("tar archive");
            let options = BuildImageOptionsBuilder::default().t(IMAGE).rm(true).build();
            let mut build = docker.build_image(
                options,
                None,
                Some(bollard::body_full(context.into())),
            );
            while let Some(step) = build.next().await {
                let info = step.expect("image build step");
                if let Some(err) = info.error_detail {
                    panic!("building the test image failed: {err:?}");
                }
            }
        })
        .await;
}

/// What a test container runs and how.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub cmd: Vec<String>,
    pub labels: HashMap<String, String>,
    pub memory: Option<i64>,
    pub restart_always: bool,
    pub health_cmd: Option<String>,
    pub env: Vec<String>,
    /// Runs with a TTY (one stream: stderr comes as stdout).
    pub tty: bool,
}

impl Spec {
    /// `sh -c SCRIPT`.
    pub fn sh(script: &str) -> Self {
        Self {
            cmd: vec!["sh".into(), "-c".into(), script.into()],
            ..Self::default()
        }
    }
    /// Runs until stopped and exits 143 on SIGTERM.
    pub fn graceful() -> Self {
        Self::sh("trap 'exit 143' TERM; while true; do sleep 0.2; done")
    }
    /// Like [`Spec::graceful`], but prints `ready` once its TERM trap is set. A stop that comes
    /// before that is not graceful (sh is PID 1, which ignores a SIGTERM it has no handler
    /// for, so the stop ends in SIGKILL): wait with [`Fixture::wait_for_output`] first.
    pub fn graceful_ready() -> Self {
        Self::sh("trap 'exit 143' TERM; echo ready; while true; do sleep 0.2; done")
    }
    /// Ignores SIGTERM: a stop has to escalate to SIGKILL. Prints "ready" once the trap is
    /// set: wait for it before stopping (a SIGTERM before then ends it with 143).
    pub fn stubborn() -> Self {
        Self::sh("trap '' TERM; echo ready; while true; do sleep 1; done")
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
}

/// A test's containers: labelled with the test's run id, removed on drop.
pub struct Fixture {
    pub docker: Docker,
    /// The value of [`RUN_LABEL`] on everything this fixture made.
    pub run: String,
    /// A prefix for container names unique to this fixture.
    pub prefix: String,
}

/// fleetdeck's endpoint on the daemon the tests use (`DOCKER_HOST` or the local socket).
pub async fn endpoint() -> Endpoint {
    endpoint_at(None).await
}

/// fleetdeck's endpoint on the daemon at `address` (`[NAME=]URL`), else as [`endpoint`].
pub async fn endpoint_at(address: Option<&str>) -> Endpoint {
    let spec = match address {
        Some(address) => fleetdeck::engine::HostSpec::from_flag(address).expect("a host URL"),
        None => fleetdeck::engine::context::from_env()
            .expect("DOCKER_HOST is a host URL")
            .unwrap_or_else(fleetdeck::engine::HostSpec::local),
    };
    Endpoint::connect(&spec, fleetdeck::engine::host::DEFAULT_TIMEOUT)
        .await
        .expect("daemon reachable")
}

/// An action context on [`endpoint`], not read-only, auditing to `audit` when given.
pub async fn action_context(audit: Option<Arc<AuditLog>>) -> ActionContext {
    ActionContext {
        endpoint: endpoint().await,
        audit,
        read_only: false,
    }
}

/// The action target for container `id` named `name`.
pub fn target(id: &str, name: &str) -> Target {
    Target {
        id: ContainerId(id.to_string()),
        name: name.to_string(),
    }
}

impl Fixture {
    pub async fn new(test: &str) -> Self {
        let docker = docker().await;
        ensure_image(&docker).await;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let run = format!("{test}-{}-{n}", std::process::id());
        Self {
            docker,
            prefix: format!("fdt-{run}"),
            run,
        }
    }

    /// `KEY=VALUE` of the label on everything this fixture made.
    pub fn run_label(&self) -> String {
        format!("{RUN_LABEL}={}", self.run)
    }

    /// The full name of a container of this fixture.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    /// Creates (but does not start) a container; returns its id.
    pub async fn create(&self, suffix: &str, spec: Spec) -> String {
        let mut labels = spec.labels.clone();
        labels.insert(RUN_LABEL.into(), self.run.clone());
        let healthcheck = spec.health_cmd.as_ref().map(|cmd| HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), cmd.clone()]),
            interval: Some(1_000_000_000),
            timeout: Some(1_000_000_000),
            retries: Some(1),
            start_period: Some(0),
            start_interval: None,
        });
        let body = ContainerCreateBody {
            image: Some(IMAGE.into()),
            cmd: Some(spec.cmd.clone()),
            labels: Some(labels),
            env: Some(spec.env.clone()),
            tty: spec.tty.then_some(true),
            healthcheck,
            host_config: Some(HostConfig {
                network_mode: Some("none".into()),
                memory: spec.memory,
                memory_swap: spec.memory,
                restart_policy: spec.restart_always.then_some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::ALWAYS),
                    maximum_retry_count: None,
                }),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&self.name(suffix))
            .build();
        self.docker
            .create_container(Some(options), body)
            .await
            .expect("create test container")
            .id
    }

    /// Creates and starts a container; returns its id.
    pub async fn run(&self, suffix: &str, spec: Spec) -> String {
        let id = self.create(suffix, spec).await;
        self.docker
            .start_container(&id, None::<StartContainerOptions>)
            .await
            .expect("start test container");
        id
    }

    /// The container's inspect, by docker itself (the test's own view, not fleetdeck's).
    pub async fn inspect(&self, id: &str) -> Option<bollard::models::ContainerInspectResponse> {
        self.docker.inspect_container(id, None).await.ok()
    }

    /// Whether the daemon says the container is running (false when it has no such container).
    pub async fn is_running(&self, id: &str) -> bool {
        self.inspect(id)
            .await
            .and_then(|i| i.state)
            .and_then(|s| s.running)
            == Some(true)
    }

    /// Polls `check` on the container's inspect until it holds (the daemon's pace, not a timing
    /// assert: gives up after a generous bound and fails with `what`).
    pub async fn wait_for(
        &self,
        id: &str,
        what: &str,
        check: impl Fn(&bollard::models::ContainerInspectResponse) -> bool,
    ) {
        for _ in 0..600 {
            if let Some(i) = self.inspect(id).await
                && check(&i)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("container {id} never became {what}");
    }

    /// Polls the container's output (stdout and stderr, from the start) until it contains
    /// `needle`; gives up after a generous bound.
    pub async fn wait_for_output(&self, id: &str, needle: &str) {
        self.wait_for_output_times(id, needle, 1).await;
    }

    /// Like [`Fixture::wait_for_output`], until `needle` has appeared `times` times (the log
    /// spans restarts: the second "ready" is the second run's).
    pub async fn wait_for_output_times(&self, id: &str, needle: &str, times: usize) {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(false)
            .build();
        for _ in 0..600 {
            let mut text = Vec::new();
            let mut logs = self.docker.logs(id, Some(options.clone()));
            while let Some(Ok(chunk)) = logs.next().await {
                text.extend_from_slice(&chunk.into_bytes());
            }
            if String::from_utf8_lossy(&text).matches(needle).count() >= times {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("container {id} never printed {needle:?}");
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Synchronous on purpose: runs even while a failed test unwinds.
        sweep(&self.run_label(), false);
    }
}

/// Removes what carries the run label `label`: its containers (with their anonymous volumes)
/// and, with `networks_and_volumes`, its networks and volumes. Synchronous (the `docker` CLI),
/// so a guard's `Drop` runs it even while a failed test unwinds; failures are ignored (what is
/// left is swept by the test command).
pub fn sweep(label: &str, networks_and_volumes: bool) {
    let filter = format!("label={label}");
    let ids = |args: &[&str]| -> Vec<String> {
        std::process::Command::new("docker")
            .args(args)
            .args(["--filter", &filter])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let remove = |what: &[&str], found: Vec<String>| {
        if !found.is_empty() {
            let _ = std::process::Command::new("docker")
                .args(what)
                .args(&found)
                .output();
        }
    };
    remove(&["rm", "-f", "-v"], ids(&["ps", "-aq"]));
    if networks_and_volumes {
        remove(&["network", "rm"], ids(&["network", "ls", "-q"]));
        remove(&["volume", "rm"], ids(&["volume", "ls", "-q"]));
    }
}
