//! fleetdeck against a real Podman service each test starts (tests/common/podman.rs): the
//! engine told from `/version`, the socket found when no Docker daemon answers, list, events,
//! logs, stop, CPU of a busy container (from its cgroup, and from Podman's stats API), a pod
//! shown as the container's group, the fleet watcher following a removal (Podman says
//! `remove` where Docker says `destroy`), compose apply and exec. Every test is
//! `#[ignore = "needs root and podman"]`: scripts/test.sh installs podman and runs them.

mod common;

use std::time::Duration;

use common::binary::Sandbox;
use common::podman::PodmanService;
use common::{IMAGE, RUN_LABEL};
use serde_json::Value;

/// A Podman service with the test image, and a sandbox for the binary.
struct Podman {
    service: PodmanService,
    sandbox: Sandbox,
    run: String,
}

impl Podman {
    async fn start(test: &str) -> Self {
        common::ensure_image(&common::docker().await).await;
        Self {
            service: PodmanService::start(IMAGE),
            sandbox: Sandbox::new(),
            run: format!("{test}-{}", std::process::id()),
        }
    }

    /// `fleetdeck --host PODMAN ARGS`, with a daemon timeout for a loaded machine: Podman's
    /// `/version` runs its runtime's and conmon's own `--version` (seconds under load).
    fn fd(&self, args: &[&str]) -> common::binary::Ran {
        let mut all = vec![
            "--daemon-timeout",
            "30s",
            "--host",
            self.service.host.as_str(),
        ];
        all.extend_from_slice(args);
        self.sandbox.run(&all)
    }

    /// `podman run -d` of `sh -c SCRIPT` named `name` (labelled with the run), its id.
    fn run_sh(&self, name: &str, script: &str, extra: &[&str]) -> String {
        let label = format!("{RUN_LABEL}={}", self.run);
        let mut args = vec!["run", "-d", "--name", name, "--network", "none", "--label"];
        args.push(&label);
        args.extend_from_slice(extra);
        args.extend_from_slice(&[self.service.image.as_str(), "sh", "-c", script]);
        self.service.ok(&args)
    }

    /// `ps -a --detail --json`'s row of the container named `name` (with the restart count).
    fn ps_row(&self, name: &str) -> Option<Value> {
        let rows = self
            .fd(&["ps", "-a", "--detail", "--json"])
            .expect_code(0)
            .json();
        rows.as_array()?.iter().find(|r| r["name"] == name).cloned()
    }

    /// Polls `check` on `ps -a --json`'s row of `name` until it holds (a bound, not a time).
    fn wait_row(&self, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..300 {
            if let Some(row) = self.ps_row(name)
                && check(&row)
            {
                return row;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{name} never became {what}; podman log:\n{}",
            self.service.log()
        );
    }
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn the_engine_is_podman_and_list_logs_events_stop_work() {
    let p = Podman::start("pod-basics").await;
    let hosts = p.fd(&["hosts", "--json"]).expect_code(0).json();
    let host = &hosts[0];
    assert_eq!(host["engine"]["kind"], "podman", "{hosts}");
    assert_eq!(host["reachable"], true);
    assert!(
        host["engine"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with('4'))
    );

    let name = format!("fdt-{}-web", p.run);
    let began = chrono::Utc::now().to_rfc3339();
    p.run_sh(
        &name,
        "trap 'exit 143' TERM; echo ready; while true; do sleep 0.2; done",
        &[],
    );
    let row = p.wait_row(&name, "running", |r| r["state"] == "running");
    assert_eq!(row["image"], p.service.image.as_str());
    assert!(row.get("pod").is_none(), "in no pod: {row}");
    for _ in 0..300 {
        if p.fd(&["logs", &name])
            .expect_code(0)
            .text()
            .contains("ready")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        p.fd(&["logs", &name])
            .expect_code(0)
            .text()
            .contains("ready")
    );

    let report = p.fd(&["stop", &name, "--json"]).expect_code(0).report();
    assert!(
        report.to_string().contains("143"),
        "a graceful stop: {report}"
    );
    let row = p.wait_row(&name, "exited", |r| r["state"] == "exited");
    assert_eq!(row["exit_code"], 143);

    // The events of the run, read back up to now: Podman's `die` carries the exit code.
    let until = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    std::thread::sleep(Duration::from_millis(1100));
    let events = p
        .fd(&["events", "--since", &began, "--until", &until, "--json"])
        .expect_code(0)
        .json_lines();
    let mine: Vec<&Value> = events
        .iter()
        .filter(|e| e["name"] == name.as_str())
        .collect();
    let kinds: Vec<&str> = mine
        .iter()
        .filter_map(|e| e["action"]["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"create") && kinds.contains(&"start"),
        "{kinds:?}"
    );
    assert!(
        mine.iter()
            .any(|e| e["action"]["kind"] == "die" && e["action"]["detail"] == 143),
        "a die with 143: {mine:?}"
    );
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn a_busy_podman_container_shows_cpu_from_its_cgroup_and_from_the_api() {
    let p = Podman::start("pod-cpu").await;
    let name = format!("fdt-{}-busy", p.run);
    p.run_sh(&name, "while :; do :; done", &[]);
    p.wait_row(&name, "running", |r| r["state"] == "running");
    let rows = p.fd(&["stats", &name, "--json"]).expect_code(0).json();
    let row = &rows[0];
    assert_eq!(row["name"], name.as_str());
    assert_eq!(
        row["source"], "cgroup",
        "read from its cgroup files: {rows}"
    );
    let cpu = row["cpu_percent"].as_f64().expect("a CPU figure");
    // Not a timing assert: a busy loop's share of a loaded machine is anything above zero.
    assert!(cpu > 1.0, "a busy loop uses a CPU: {cpu}");
    assert!(row["memory_used"].as_u64().is_some_and(|m| m > 0), "{row}");

    // The stats API (one sample every 5 s on Podman), as for a remote Podman.
    std::fs::write(p.sandbox.config_path(), "[ui]\nstats_source = \"api\"\n").expect("config");
    let rows = p.fd(&["stats", &name, "--json"]).expect_code(0).json();
    let row = &rows[0];
    assert_eq!(row["source"], "api", "{rows}");
    let cpu = row["cpu_percent"]
        .as_f64()
        .expect("a CPU figure from the API");
    assert!(cpu > 10.0, "a busy loop uses a CPU: {cpu}");
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn the_podman_socket_is_found_when_no_docker_daemon_answers() {
    let p = Podman::start("pod-found").await;
    let name = format!("fdt-{}-found", p.run);
    p.run_sh(&name, "sleep 600", &[]);
    let none = p.service.dir.path().join("no-docker.sock");
    let docker_config = tempfile::tempdir().expect("temp dir");
    let env = |cmd: &mut std::process::Command, docker_socket: &str| {
        cmd.env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_CONFIG", docker_config.path())
            .env("FLEETDECK_DOCKER_SOCKET", docker_socket)
            .env("XDG_RUNTIME_DIR", p.service.dir.path());
    };
    let none_text = none.display().to_string();
    let found = p
        .sandbox
        .run_with(&["hosts", "--json"], |cmd| env(cmd, &none_text))
        .expect_code(0)
        .json();
    let host = &found[0];
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(host["url"], p.service.host.as_str(), "{found}");
    assert_eq!(host["engine"]["kind"], "podman");
    assert!(
        host["origin"]
            .as_str()
            .is_some_and(|o| o.contains("no Docker daemon answers")),
        "{found}"
    );
    let ps = p
        .sandbox
        .run_with(&["ps", "--json"], |cmd| env(cmd, &none_text))
        .expect_code(0)
        .json();
    assert!(
        ps.as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["name"] == name.as_str())),
        "the Podman container is listed: {ps}"
    );
    // With the Docker daemon answering, it is the one.
    let docker = p
        .sandbox
        .run_with(&["hosts", "--json"], |cmd| env(cmd, "/var/run/docker.sock"))
        .expect_code(0)
        .json();
    assert_eq!(docker[0]["engine"]["kind"], "docker", "{docker}");
    assert_eq!(docker[0]["url"], "unix:///var/run/docker.sock");
}

/// Applies the watcher's updates to `fleet` until `check` holds (a generous bound).
async fn until(
    fleet: &mut fleetdeck::engine::Fleet,
    rx: &mut tokio::sync::mpsc::Receiver<fleetdeck::engine::FleetUpdate>,
    check: impl Fn(&fleetdeck::engine::Fleet) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check(fleet) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(update)) => {
                fleet.apply(update);
            }
            Ok(None) => panic!("the watcher ended"),
            Err(_) => panic!("the fleet never got there"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs root and podman"]
async fn a_pod_is_the_containers_group_and_a_removal_leaves_the_fleet() {
    let p = Podman::start("pod-pods").await;
    let pod = format!("fdt-{}-pod", p.run);
    p.service
        .ok(&["pod", "create", "--infra=false", "--name", &pod]);
    let spec = fleetdeck::engine::HostSpec::from_flag(&p.service.host).expect("a host");
    let endpoint = fleetdeck::engine::Endpoint::connect(&spec, Duration::from_secs(10))
        .await
        .expect("podman answers");
    assert!(endpoint.is_podman());
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let _watch = fleetdeck::engine::watch::spawn(endpoint.clone(), tx);
    let mut fleet = fleetdeck::engine::Fleet::new();
    until(&mut fleet, &mut rx, |f| {
        f.engines.values().any(|e| e.is_podman())
    })
    .await;
    let name = format!("fdt-{}-in-pod", p.run);
    let id = p.run_sh(&name, "sleep 600", &["--pod", &pod]);
    let id = fleetdeck::engine::ContainerId(id);
    until(&mut fleet, &mut rx, |f| {
        f.get(&id)
            .is_some_and(|c| c.pod.as_deref() == Some(pod.as_str()))
    })
    .await;
    // The list says it too (Podman's own API, asked by the list).
    let row = p.wait_row(&name, "running", |r| r["state"] == "running");
    assert_eq!(row["pod"], pod.as_str(), "{row}");
    p.service.ok(&["rm", "-f", "-t", "0", &name]);
    until(&mut fleet, &mut rx, |f| f.get(&id).is_none()).await;
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn compose_apply_and_exec_work_on_podman() {
    let p = Podman::start("pod-compose").await;
    let project = format!("fdt-{}", p.run).replace('_', "-");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            "services:\n  web:\n    image: {}\n    network_mode: none\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n    labels:\n      {RUN_LABEL}: {}\n",
            p.service.image, p.run
        ),
    )
    .expect("compose file");
    let file = file.display().to_string();
    let compose = |args: &[&str]| {
        let mut all = vec!["-f", file.as_str(), "-p", project.as_str()];
        all.extend_from_slice(args);
        p.fd(&all)
    };
    let outcomes = compose(&["apply", "--json"]).expect_code(0).json_lines();
    let web = format!("{project}-web-1");
    assert!(
        outcomes.iter().any(|o| o.to_string().contains(&web)),
        "{outcomes:?}"
    );
    let row = p.wait_row(&web, "running", |r| r["state"] == "running");
    assert_eq!(row["compose_project"], project.as_str());
    // A second apply changes nothing.
    let again = compose(&["apply", "--json"]).expect_code(0).json_lines();
    assert!(
        again
            .iter()
            .all(|o| o["outcome"] == "unchanged" || o.get("outcome").is_none()),
        "{again:?}"
    );
    let exec = p.fd(&[
        "exec",
        &web,
        "--",
        "sh",
        "-c",
        "echo hi-from-podman; exit 3",
    ]);
    exec.expect_code(3);
    assert!(exec.stdout.contains("hi-from-podman"), "{}", exec.stdout);
    compose(&["down", "--yes"]).expect_code(0);
    assert!(p.ps_row(&web).is_none(), "down removed it");
}

/// The CPU cell of the row naming `name` on `screen` (the first `N.N%` on its line).
fn cpu_on_screen(screen: &str, name: &str) -> Option<f64> {
    let line = screen
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == name))?;
    line.split_whitespace()
        .filter_map(|w| w.strip_suffix('%'))
        .find_map(|n| n.parse().ok())
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn the_console_shows_podman_its_pod_group_and_cpu() {
    use common::tmux::{Launch, Tmux};
    let p = Podman::start("pod-console").await;
    let pod = format!("fdpc{}", std::process::id());
    p.service
        .ok(&["pod", "create", "--infra=false", "--name", &pod]);
    let busy = "busy-1";
    p.run_sh(busy, "while :; do :; done", &["--pod", &pod]);
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = Tmux::start(160, 30);
    tmux.launch_console(dir.path(), &["--host", &p.service.host], Launch::Plain);
    let screen = tmux.wait_for("the engine, the pod's group and a CPU figure", |s| {
        s.contains("podman 4.")
            && s.contains(&format!("pod {pod}"))
            && cpu_on_screen(s, busy).is_some_and(|cpu| cpu > 1.0)
    });
    assert!(screen.contains("1 container"), "{screen}");
    tmux.keys(&["q"]);
}

#[tokio::test]
#[ignore = "needs root and podman"]
async fn a_crash_loop_on_podman_does_not_break_the_list() {
    // Podman shows a container of a restart loop in a `stopped` state (no Docker state) for a
    // moment at each turn; a list or inspect that meets it is asked again.
    let p = Podman::start("pod-loop").await;
    let name = format!("fdt-{}-loop", p.run);
    // Exits at once: between two runs it is `stopped` most of the time.
    p.run_sh(&name, "exit 3", &["--restart", "always"]);
    let row = p.wait_row(&name, "restarted", |r| {
        r["restart_count"].as_u64().is_some_and(|n| n >= 2)
    });
    assert_eq!(row["compose_project"], Value::Null);
    for _ in 0..40 {
        p.fd(&["ps", "-a", "--json"]).expect_code(0);
        p.fd(&["inspect", &name, "--json"]).expect_code(0);
    }
    p.fd(&["triage", "--json"]).expect_code(6);
}
