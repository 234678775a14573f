//! Up but stuck, against the real daemon: a busy loop throttled at `--cpus 0.1`, a container
//! whose main process the host stopped (`kill -STOP` of its `State.Pid`), one at its pids
//! limit (16 of 16, filled with sleeps), one failing every health check in a long start period,
//! and a plain `sleep` beside them. A single `fleetdeck triage --json` (no console, no keeper)
//! names each stuck one with its kind within a minute of its start, and not the plain one.
//! Sending SIGSTOP from the host needs root (the daemon's processes are root's).

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HealthConfig, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, StartContainerOptions};
use common::{Fixture, IMAGE, RUN_LABEL, binary};
use serde_json::Value;

/// Creates and starts one of this test's containers with `host` limits and `health`.
async fn start(
    fx: &Fixture,
    suffix: &str,
    cmd: &[&str],
    host: HostConfig,
    health: Option<HealthConfig>,
) -> String {
    let labels = HashMap::from([(RUN_LABEL.to_string(), fx.run.clone())]);
    let body = ContainerCreateBody {
        image: Some(IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        labels: Some(labels),
        healthcheck: health,
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            ..host
        }),
        ..ContainerCreateBody::default()
    };
    let options = CreateContainerOptionsBuilder::default()
        .name(&fx.name(suffix))
        .build();
    let id = fx
        .docker
        .create_container(Some(options), body)
        .await
        .expect("create test container")
        .id;
    fx.docker
        .start_container(&id, None::<StartContainerOptions>)
        .await
        .expect("start test container");
    id
}

/// This fixture's problems in a `triage --json`: (name suffix, kind, reason).
fn ours(json: &Value, prefix: &str) -> Vec<(String, String, String)> {
    json["problems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let subject = p["subject"].as_str()?;
            let name = subject.strip_prefix(&format!("{prefix}-"))?;
            Some((
                name.to_string(),
                p["kind"].as_str().unwrap_or_default().to_string(),
                p["reason"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn has(found: &[(String, String, String)], name: &str, kind: &str) -> bool {
    found.iter().any(|(n, k, _)| n == name && k == kind)
}

#[tokio::test]
#[ignore = "needs root and dockerd (sends SIGSTOP to a container's process from the host)"]
async fn a_single_triage_names_each_stuck_container_within_a_minute() {
    let fx = Fixture::new("triage-stuck").await;
    let sleep = ["sleep", "100000"];
    start(
        &fx,
        "throttled",
        &["sh", "-c", "while :; do :; done"],
        HostConfig {
            nano_cpus: Some(100_000_000),
            ..HostConfig::default()
        },
        None,
    )
    .await;
    let stopped = start(&fx, "stopped", &sleep, HostConfig::default(), None).await;
    // 16, not 4: runc's init (a Go program) counts its threads against the limit until it
    // becomes the container's process, and under load 4 was too few for it one start in ~30
    // ("cannot start a stopped process").
    start(
        &fx,
        "pids",
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 15 ]; do sleep 100000 & i=$((i+1)); done; exec sleep 100000",
        ],
        HostConfig {
            pids_limit: Some(16),
            ..HostConfig::default()
        },
        None,
    )
    .await;
    let health = HealthConfig {
        test: Some(vec!["CMD-SHELL".into(), "echo not yet; false".into()]),
        interval: Some(1_000_000_000),
        timeout: Some(1_000_000_000),
        retries: Some(1),
        start_period: Some(3_600_000_000_000),
        start_interval: None,
    };
    start(&fx, "starting", &sleep, HostConfig::default(), Some(health)).await;
    start(&fx, "plain", &sleep, HostConfig::default(), None).await;

    // The host stops the main process, as an operator's `kill -STOP` (or a debugger) would.
    let pid = fx
        .inspect(&stopped)
        .await
        .and_then(|i| i.state?.pid)
        .filter(|p| *p > 0)
        .expect("the stopped one's main pid");
    let sent = std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -STOP {pid} failed (not root?)");

    let started = Instant::now();
    let wanted = [
        ("throttled", "cpu_throttled"),
        ("stopped", "process_stopped"),
        ("pids", "out_of_pids"),
        ("starting", "failing_in_start_period"),
    ];
    let mut found;
    loop {
        let ran = binary::run(&["triage", "--json"]);
        found = ours(&ran.json(), &fx.prefix);
        if wanted.iter().all(|(n, k)| has(&found, n, k)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every stuck container named within a minute: {found:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(
        !found.iter().any(|(n, _, _)| n == "plain"),
        "the plain sleep was named: {found:?}"
    );
    let reason = |name: &str| {
        found
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(reason("throttled").contains("0.1-CPU limit"), "{found:?}");
    assert!(reason("stopped").contains("do_signal_stop"), "{found:?}");
    assert!(reason("pids").starts_with("16 of 16 pids"), "{found:?}");
    assert!(reason("starting").contains("not yet"), "{found:?}");
    // Let the stopped one go before the fixture removes it.
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status();
}

/// The process state letter of `pid` (from `/proc/PID/stat`).
fn proc_state(pid: i64) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.get(stat.rfind(')')? + 1..)?
        .trim_start()
        .chars()
        .next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and dockerd (sends SIGSTOP to a container's process from the host)"]
async fn sigcont_from_the_triage_view_brings_the_stopped_one_back() {
    use common::tmux::{Launch, Tmux};
    // A short test name: the container name must fit the view's name column whole.
    let fx = Fixture::new("cs").await;
    let id = start(
        &fx,
        "stopped",
        &["sleep", "100000"],
        HostConfig::default(),
        None,
    )
    .await;
    let name = fx.name("stopped");
    let pid = fx
        .inspect(&id)
        .await
        .and_then(|i| i.state?.pid)
        .filter(|p| *p > 0)
        .expect("the main pid");
    let sent = std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -STOP {pid} failed (not root?)");

    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = Tmux::start(200, 50);
    tmux.launch_console(dir.path(), &[], Launch::Plain);
    tmux.wait_for_console();
    tmux.keys(&["t"]);
    let row_of = |s: &str| s.lines().find(|l| l.contains(&name)).map(str::to_string);
    let screen = tmux.wait_for("the stopped container in triage", |s| {
        row_of(s).is_some_and(|l| l.contains("process stopped") && l.contains("do_signal_stop"))
    });
    let row = row_of(&screen).unwrap_or_default();
    assert!(row.contains("C SIGCONT"), "the suggested key: {row}");
    // Move the cursor to it (other tests' problems may be listed above it).
    let mut on_it = false;
    for _ in 0..100 {
        let screen = tmux.screen();
        if screen.lines().any(|l| l.contains(&name) && l.contains('›')) {
            on_it = true;
            break;
        }
        tmux.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(on_it, "the cursor never reached {name}");
    tmux.keys(&["C"]);
    tmux.wait_for("the confirm dialog", |s| {
        s.contains("SIGCONT") && s.contains(&name)
    });
    tmux.keys(&["y"]);
    let started = Instant::now();
    while proc_state(pid).is_some_and(|s| s == 'T') {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still stopped after SIGCONT"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tmux.wait_for("the problem gone from triage", |s| {
        !row_of(s).is_some_and(|l| l.contains("process stopped"))
    });
    // The audit log has the signal, as for any kill.
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("SIGCONT"), "audited: {audit}");
    tmux.keys(&["q"]);
}
