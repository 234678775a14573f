//! `fleetdeck exec` and `fleetdeck run` against the real daemon: captured exec (output, stderr,
//! exit code, truncation), exec into a stopped container, an interactive exec driven in tmux
//! (TERM, size, resize, exit code), and run's outcomes (exit 0 and 3, timeout, SIGINT and
//! SIGTERM mid-run, OOM), its safe defaults and every parameter group in the created container's
//! inspect; nothing is ever left behind. Every run container carries this test's run label.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::ListContainersOptionsBuilder;
use common::binary::{BIN, Killed, Ran, Sandbox};
use common::tmux::Tmux;
use common::{Fixture, IMAGE, Spec};
use fleetdeck::actions::ActionError;
use fleetdeck::actions::exec::{ExecRequest, Tty, exec_interactive};

/// The ids of this fixture's containers (all states), optionally only those owned by `pid`.
async fn containers(fx: &Fixture, owner_pid: Option<u32>) -> Vec<String> {
    let mut labels = vec![fx.run_label()];
    if let Some(pid) = owner_pid {
        labels.push(format!("fleetdeck.owner.pid={pid}"));
    }
    let filters = HashMap::from([("label".to_string(), labels)]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    fx.docker
        .list_containers(Some(options))
        .await
        .expect("list containers")
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

/// Polls until the run container of fleetdeck `pid` is running; returns its id.
async fn running_container_of(fx: &Fixture, pid: u32) -> String {
    for _ in 0..600 {
        for id in containers(fx, Some(pid)).await {
            if fx.is_running(&id).await {
                return id;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fleetdeck (pid {pid}) never had a running container");
}

/// `run` with the flags every run of this file passes (never pull, no network, `label`), then
/// `rest`.
fn run_args<'a>(label: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--pull",
        "never",
        "--network",
        "none",
        "--label",
        label,
    ];
    args.extend_from_slice(rest);
    args
}

/// `fleetdeck run` in `sb` to its end, labelled as `fx`'s ([`run_args`]).
fn run(fx: &Fixture, sb: &Sandbox, rest: &[&str]) -> Ran {
    sb.run(&run_args(&fx.run_label(), rest))
}

/// `fleetdeck run` in `sb`, labelled as `fx`'s ([`run_args`]), left running.
fn spawn_run(fx: &Fixture, sb: &Sandbox, rest: &[&str]) -> Killed {
    sb.spawn(&run_args(&fx.run_label(), rest))
}

// ---------------------------------------------------------------- exec

#[tokio::test]
async fn exec_captures_output_stderr_and_the_exit_code() {
    let fx = Fixture::new("exec-capture").await;
    fx.run("box", Spec::sh("sleep 300")).await;
    let name = fx.name("box");
    let sb = Sandbox::new();

    let ran = sb.run(&[
        "exec",
        &name,
        "--json",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    ran.expect_code(7);
    let json = ran.json();
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(json["stdout"], "out\n");
    assert_eq!(json["stderr"], "err\n");
    assert_eq!(json["exit_code"], 7);
    assert_eq!(json["truncated"], false);
    assert!(json["duration_ms"].is_u64(), "{json}");

    // Without --json and without a terminal: the streams as they are, the same exit code.
    let plain = sb.run(&[
        "exec",
        &name,
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    plain.expect_code(7);
    assert_eq!(plain.stdout, "out\n");
    assert_eq!(plain.stderr, "err\n");

    let audit = sb.audit_lines();
    assert_eq!(audit.len(), 2, "one audit line per exec: {audit:?}");
    assert_eq!(audit[0]["action"], "exec");
    assert_eq!(audit[0]["outcome"], "exited");
    assert_eq!(audit[0]["exit_code"], 7);
    assert_eq!(audit[0]["target_name"], name.as_str());
}

#[tokio::test]
async fn exec_truncates_each_stream_at_the_limit() {
    let fx = Fixture::new("exec-trunc").await;
    fx.run("box", Spec::sh("sleep 300")).await;
    let sb = Sandbox::new();
    let ran = sb.run(&[
        "exec",
        &fx.name("box"),
        "--json",
        "--max-output",
        "1000",
        "--",
        "sh",
        "-c",
        "yes | head -c 100000",
    ]);
    ran.expect_code(0);
    let json = ran.json();
    assert_eq!(json["truncated"], true, "{json}");
    assert_eq!(json["stdout_truncated"], true);
    assert_eq!(json["stderr_truncated"], false);
    assert_eq!(json["stdout"].as_str().map(str::len), Some(1000));
    assert_eq!(json["stdout_bytes"], 100_000, "the rest is counted");
}

#[tokio::test]
async fn exec_into_a_stopped_container_says_so() {
    let fx = Fixture::new("exec-stopped").await;
    fx.create("idle", Spec::sh("sleep 300")).await;
    let sb = Sandbox::new();
    let ran = sb.run(&["exec", &fx.name("idle"), "--", "echo", "hi"]);
    assert_ne!(ran.code, Some(0));
    ran.expect_code(125);
    assert!(
        ran.stderr.contains("not running") && ran.stderr.contains(&fx.name("idle")),
        "names the container and why: {}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
}

#[tokio::test]
async fn exec_and_run_are_refused_when_read_only() {
    let fx = Fixture::new("exec-ro").await;
    fx.run("box", Spec::sh("sleep 300")).await;
    let sb = Sandbox::new();
    let ran = sb.run(&["--read-only", "exec", &fx.name("box"), "--", "echo", "hi"]);
    ran.expect_code(4);
    assert!(ran.stderr.contains("read-only"), "{}", ran.stderr);
    assert!(!ran.stdout.contains("hi"));

    let label = fx.run_label();
    let mut args = vec!["--read-only"];
    args.extend(run_args(&label, &[IMAGE, "true"]));
    let ran = sb.run(&args);
    ran.expect_code(4);
    assert!(ran.stderr.contains("read-only"), "{}", ran.stderr);
    assert!(
        containers(&fx, None).await.len() == 1,
        "only the fixture's own box"
    );
    assert!(sb.audit_lines().is_empty(), "a refusal changed nothing");
}

/// A terminal that is never there: the exec must refuse before it needs one.
struct NoTty;

impl Tty for NoTty {
    fn size(&self) -> Option<(u16, u16)> {
        None
    }
    fn enter_raw(&mut self) -> std::io::Result<()> {
        panic!("raw mode entered for a container with no shell")
    }
    fn leave_raw(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn interactive_exec_without_a_shell_says_so() {
    let fx = Fixture::new("exec-noshell").await;
    let id = fx
        .run(
            "bare",
            Spec::sh("rm /bin/sh /bin/bash 2>/dev/null; exec sleep 300"),
        )
        .await;
    // `rm` runs once sh has started: wait until sh is gone from the image's /bin.
    let ctx = common::action_context(None).await;
    let target = common::target(&id, &fx.name("bare"));
    let probe = ExecRequest {
        command: vec!["ls".into(), "/bin/sh".into()],
        ..ExecRequest::default()
    };
    for _ in 0..100 {
        let report =
            fleetdeck::actions::exec::exec_captured(&ctx, &target, &probe, 1024, None).await;
        if report.result.as_ref().is_ok_and(|c| c.exit_code != 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report =
        exec_interactive(&ctx, &target, &ExecRequest::default(), "ctrl-]", &mut NoTty).await;
    let err = report.result.expect_err("no shell to run");
    assert!(matches!(err, ActionError::Refused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("no shell") && text.contains(&fx.name("bare")),
        "{text}"
    );
}

#[tokio::test]
async fn interactive_exec_in_tmux() {
    let fx = Fixture::new("exec-tty").await;
    fx.run("box", Spec::sh("sleep 300")).await;
    let sb = Sandbox::new();
    // fleetdeck's exit status goes to a file: tmux's own pane status proved unreliable under
    // load (a dead pane with no status recorded).
    let status_file = sb.path().join("status");
    let command = format!(
        "{BIN} --audit-file {} --config {} exec {}; echo $? > {}",
        sb.audit_path().display(),
        sb.config_path().display(),
        fx.name("box"),
        status_file.display()
    );
    // The operator's TERM is xterm-256color; the pane stays when fleetdeck has ended.
    let config = "set -g default-terminal xterm-256color\nset -g remain-on-exit on\n";
    let tmux = Tmux::start_with(100, 30, Some(config), &[&command]);
    tmux.wait_for("the container's shell prompt", |s| s.contains("/ #"));

    tmux.keys(&["echo fleet-$((40+2))", "Enter"]);
    tmux.wait_for("the command's output", |s| s.contains("fleet-42"));
    // The operator's TERM and the terminal's size, then a resize passed on.
    tmux.keys(&["echo term=$TERM", "Enter"]);
    tmux.wait_for("the TERM", |s| s.contains("term=xterm-256color"));
    tmux.keys(&["echo size=$(stty size)", "Enter"]);
    tmux.wait_for("the size", |s| s.contains("size=30 100"));
    tmux.resize(90, 25);
    // SIGWINCH reaches fleetdeck asynchronously: ask again until the new size shows.
    let mut resized = false;
    for _ in 0..50 {
        tmux.keys(&["echo size=$(stty size)", "Enter"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
        if tmux.screen().contains("size=25 90") {
            resized = true;
            break;
        }
    }
    assert!(resized, "resize not passed on:\n{}", tmux.screen());

    tmux.keys(&["exit 5", "Enter"]);
    let mut status = String::new();
    for _ in 0..300 {
        status = std::fs::read_to_string(&status_file).unwrap_or_default();
        if status.ends_with('\n') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status.trim(),
        "5",
        "fleetdeck ended, with the shell's code:\n{}",
        tmux.screen()
    );
    let audit = sb.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "exited");
    assert_eq!(audit[0]["exit_code"], 5);
    assert_eq!(audit[0]["parameters"]["command"], serde_json::json!(["sh"]));
}

// ---------------------------------------------------------------- run

#[tokio::test]
async fn run_exit_zero_with_output_and_nothing_left() {
    let fx = Fixture::new("run-ok").await;
    let sb = Sandbox::new();
    let ran = run(
        &fx,
        &sb,
        &["--json", IMAGE, "sh", "-c", "echo hello; echo note >&2"],
    );
    ran.expect_code(0);
    let json = ran.json();
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(json["status"], "exited");
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["exit"]["meaning"]["kind"], "clean");
    assert_eq!(json["stdout"], "hello\n");
    assert_eq!(json["stderr"], "note\n");
    assert_eq!(json["image"], IMAGE);
    assert_eq!(json["removed"], true);
    let id = json["id"].as_str().expect("id");
    assert_eq!(json["short_id"].as_str(), id.get(..12));
    assert!(json["duration_ms"].is_u64());
    assert!(containers(&fx, None).await.is_empty(), "removed on exit");
    assert!(
        ran.stderr.contains("no memory limit") && ran.stderr.contains("no pids limit"),
        "warns about unset limits: {}",
        ran.stderr
    );
}

#[tokio::test]
async fn run_reports_exit_3_for_people_and_audit() {
    let fx = Fixture::new("run-three").await;
    let sb = Sandbox::new();
    let ran = run(
        &fx,
        &sb,
        &[
            "--memory",
            "64m",
            "--pids-limit",
            "32",
            IMAGE,
            "sh",
            "-c",
            "echo partial; exit 3",
        ],
    );
    ran.expect_code(3);
    assert!(ran.stdout.contains("exit 3: error exit"), "{}", ran.stdout);
    assert!(ran.stdout.contains("partial"), "{}", ran.stdout);
    assert!(ran.stdout.contains("removed    yes"), "{}", ran.stdout);
    assert!(
        !ran.stderr.contains("warning"),
        "limits set, no warning: {}",
        ran.stderr
    );
    assert!(containers(&fx, None).await.is_empty());
    let audit = sb.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "run");
    assert_eq!(audit[0]["outcome"], "exited");
    assert_eq!(audit[0]["exit_code"], 3);
    assert_eq!(audit[0]["parameters"]["image"], IMAGE);
}

#[tokio::test]
async fn run_timeout_terminates_and_removes() {
    let fx = Fixture::new("run-timeout").await;
    let sb = Sandbox::new();
    let ran = run(
        &fx,
        &sb,
        &[
            "--json",
            "--timeout",
            "2s",
            "--grace",
            "5s",
            IMAGE,
            "sleep",
            "60",
        ],
    );
    ran.expect_code(124);
    let json = ran.json();
    assert_eq!(json["status"], "timed_out", "{json}");
    assert_eq!(json["removed"], true);
    assert!(containers(&fx, None).await.is_empty(), "gone after timeout");
}

#[tokio::test]
async fn run_sigint_mid_run_leaves_nothing() {
    let fx = Fixture::new("run-sigint").await;
    let sb = Sandbox::new();
    let child = spawn_run(&fx, &sb, &[IMAGE, "sleep", "60"]);
    running_container_of(&fx, child.id()).await;
    child.signal("INT");
    let ran = child.finish();
    ran.expect_code(130);
    assert!(
        ran.stdout.contains("interrupted by SIGINT"),
        "{}",
        ran.stdout
    );
    assert!(containers(&fx, None).await.is_empty(), "removed on SIGINT");
}

#[tokio::test]
async fn run_oom_is_reported_as_oom() {
    let fx = Fixture::new("run-oom").await;
    let sb = Sandbox::new();
    let ran = run(
        &fx,
        &sb,
        &[
            "--json",
            "--memory",
            "16m",
            IMAGE,
            "sh",
            "-c",
            // The pause first: Docker 20.10 misses an OOM that comes before it watches
            // the container's cgroup (seen about once in ten runs with an init process).
            "sleep 1; tail /dev/zero",
        ],
    );
    ran.expect_code(137);
    let json = ran.json();
    assert_eq!(json["oom_killed"], true, "{json}");
    assert_eq!(json["exit"]["meaning"]["kind"], "oom_killed");
    assert!(containers(&fx, None).await.is_empty());
}

#[tokio::test]
async fn run_security_defaults_are_in_the_inspect() {
    let fx = Fixture::new("run-secure").await;
    let sb = Sandbox::new();
    let child = spawn_run(&fx, &sb, &[IMAGE, "sleep", "60"]);
    let pid = child.id();
    let id = running_container_of(&fx, pid).await;
    let inspect = fx.inspect(&id).await.expect("inspect");
    let host = inspect.host_config.expect("host config");
    assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
    assert!(host.cap_add.unwrap_or_default().is_empty());
    assert_eq!(host.privileged, Some(false));
    assert!(
        host.security_opt
            .unwrap_or_default()
            .iter()
            .any(|o| o.starts_with("no-new-privileges")),
        "no-new-privileges"
    );
    assert_eq!(host.init, Some(true));
    assert_ne!(host.auto_remove, Some(true), "fleetdeck removes it itself");
    let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(
        labels.get("fleetdeck.owner").map(String::as_str),
        Some("fleetdeck")
    );
    assert_eq!(
        labels.get("fleetdeck.kind").map(String::as_str),
        Some("run")
    );
    assert_eq!(labels.get("fleetdeck.owner.pid"), Some(&pid.to_string()));
    assert!(
        labels
            .get("fleetdeck.owner.host")
            .is_some_and(|h| !h.is_empty())
    );

    // SIGTERM to fleetdeck: the container goes too.
    child.signal("TERM");
    child.finish().expect_code(143);
    assert!(containers(&fx, None).await.is_empty(), "removed on SIGTERM");
}

#[tokio::test]
async fn run_parameters_are_in_the_inspect() {
    let fx = Fixture::new("run-params").await;
    let sb = Sandbox::new();
    let env_file = sb.path().join("vars.env");
    std::fs::write(&env_file, "# from a file\nFROM_FILE=2\n").expect("env file");
    let bind_dir = tempfile::tempdir().expect("bind dir");
    let volume = format!("{}:/data:ro", bind_dir.path().display());
    let env_file = env_file.display().to_string();
    let name = fx.name("params");
    let child = spawn_run(
        &fx,
        &sb,
        &[
            "--name",
            &name,
            "-e",
            "FROM_FLAG=1",
            "--env-file",
            &env_file,
            "-v",
            &volume,
            "-p",
            "127.0.0.1::8080",
            "--cpus",
            "0.5",
            "--memory",
            "64m",
            "--user",
            "1000:1000",
            "--workdir",
            "/tmp",
            "--label",
            "team=ops",
            "--hostname",
            "fdhost",
            "--dns",
            "127.0.0.1",
            "--add-host",
            "db:127.0.0.1",
            "--pids-limit",
            "64",
            "--ulimit",
            "nofile=512:1024",
            "--tmpfs",
            "/scratch:size=1m",
            "--read-only-root",
            "--shm-size",
            "8m",
            "--cap-add",
            "CHOWN",
            "--device",
            "/dev/null:/dev/xnull",
            "--restart",
            "on-failure:2",
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            "--health-retries",
            "2",
            "--log-driver",
            "json-file",
            "--log-opt",
            "max-size=1m",
            "--entrypoint",
            "sleep",
            IMAGE,
            "60",
        ],
    );
    let id = running_container_of(&fx, child.id()).await;
    let inspect = fx.inspect(&id).await.expect("inspect");
    assert_eq!(inspect.name.as_deref(), Some(format!("/{name}").as_str()));
    let config = inspect.config.expect("config");
    let host = inspect.host_config.expect("host config");

    let env = config.env.unwrap_or_default();
    assert!(env.contains(&"FROM_FLAG=1".to_string()), "{env:?}");
    assert!(env.contains(&"FROM_FILE=2".to_string()), "{env:?}");
    assert_eq!(config.entrypoint, Some(vec!["sleep".to_string()]));
    assert_eq!(config.cmd, Some(vec!["60".to_string()]));
    assert_eq!(config.user.as_deref(), Some("1000:1000"));
    assert_eq!(config.working_dir.as_deref(), Some("/tmp"));
    assert_eq!(config.hostname.as_deref(), Some("fdhost"));
    let labels = config.labels.unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("ops"));
    let health = config.healthcheck.expect("healthcheck");
    assert_eq!(
        health.test,
        Some(vec!["CMD-SHELL".to_string(), "true".to_string()])
    );
    assert_eq!(health.interval, Some(1_000_000_000));
    assert_eq!(health.retries, Some(2));

    assert_eq!(host.binds, Some(vec![volume.clone()]));
    let port = host
        .port_bindings
        .and_then(|p| p.get("8080/tcp").cloned().flatten())
        .expect("8080 published");
    assert_eq!(port[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(host.network_mode.as_deref(), Some("none"));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.memory, Some(64 << 20));
    assert_eq!(host.memory_swap, Some(64 << 20), "no swap beyond the limit");
    assert_eq!(host.dns, Some(vec!["127.0.0.1".to_string()]));
    assert_eq!(host.extra_hosts, Some(vec!["db:127.0.0.1".to_string()]));
    assert_eq!(host.init, Some(true));
    assert_eq!(host.pids_limit, Some(64));
    let ulimit = host.ulimits.unwrap_or_default();
    assert_eq!(ulimit.len(), 1);
    assert_eq!(ulimit[0].name.as_deref(), Some("nofile"));
    assert_eq!((ulimit[0].soft, ulimit[0].hard), (Some(512), Some(1024)));
    assert_eq!(
        host.tmpfs
            .unwrap_or_default()
            .get("/scratch")
            .map(String::as_str),
        Some("size=1m")
    );
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.shm_size, Some(8 << 20));
    assert_eq!(host.cap_add, Some(vec!["CHOWN".to_string()]));
    assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
    let device = host.devices.unwrap_or_default();
    assert_eq!(device[0].path_on_host.as_deref(), Some("/dev/null"));
    assert_eq!(device[0].path_in_container.as_deref(), Some("/dev/xnull"));
    let restart = host.restart_policy.expect("restart policy");
    assert_eq!(restart.maximum_retry_count, Some(2));
    assert_eq!(
        restart.name.map(|n| n.to_string()).as_deref(),
        Some("on-failure")
    );
    let log = host.log_config.expect("log config");
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(
        log.config
            .unwrap_or_default()
            .get("max-size")
            .map(String::as_str),
        Some("1m")
    );

    child.signal("INT");
    child.finish().expect_code(130);
    assert!(containers(&fx, None).await.is_empty());
}

#[tokio::test]
async fn run_gpu_refused_by_the_daemon_is_a_clear_error() {
    let fx = Fixture::new("run-gpu").await;
    let sb = Sandbox::new();
    let ran = run(&fx, &sb, &["--gpus", "all", IMAGE, "true"]);
    if ran.code == Some(0) {
        // A machine with the NVIDIA runtime: the request was honoured; nothing to refuse.
        assert!(containers(&fx, None).await.is_empty());
        return;
    }
    ran.expect_code(125);
    assert!(
        ran.stderr.contains("refused") && ran.stderr.to_lowercase().contains("gpu"),
        "says the daemon refused and why: {}",
        ran.stderr
    );
    assert!(containers(&fx, None).await.is_empty(), "removed on failure");
}

#[tokio::test]
async fn run_missing_image_under_never_is_a_clear_error() {
    let fx = Fixture::new("run-noimage").await;
    let sb = Sandbox::new();
    let image = format!("fleetdeck-test-absent-{}:none", std::process::id());
    let ran = run(&fx, &sb, &[&image, "true"]);
    ran.expect_code(125);
    assert!(
        ran.stderr.contains(&image) && ran.stderr.contains("pull policy is never"),
        "{}",
        ran.stderr
    );
    assert!(containers(&fx, None).await.is_empty());
}
