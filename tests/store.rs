//! The history store against the real daemon: `history` of a container that was run and
//! removed; a corrupt store is a clear error naming the file (and triage runs without it); and
//! history that survives a daemon restart (a second dockerd, killed with SIGKILL and started
//! again: `triage --since 10m` still shows the crash loop its own event log no longer has).

mod common;

use std::time::{Duration, Instant};

use bollard::models::{
    ContainerCreateBody, ContainerUpdateBody, HostConfig, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, StartContainerOptions};
use chrono::Utc;
use common::binary::Sandbox;
use common::daemon::SecondDaemon;
use common::{Fixture, IMAGE};
use fleetdeck::engine::{Endpoint, EventAction};
use fleetdeck::store::{Retention, Store, StoreWriter};
use futures_util::StreamExt;

#[tokio::test]
async fn history_shows_a_run_container_after_it_is_removed() {
    let fx = Fixture::new("store-history").await;
    let sb = Sandbox::new();
    let name = fx.name("job");
    let label = fx.run_label();
    let ran = sb.run(&[
        "run",
        "--pull",
        "never",
        "--network",
        "none",
        "--label",
        &label,
        "--name",
        &name,
        "--memory",
        "64m",
        "--pids-limit",
        "32",
        IMAGE,
        "sh",
        "-c",
        "exit 3",
    ]);
    ran.expect_code(3);
    assert!(sb.store_path().exists(), "run wrote the store");

    // The daemon no longer has it; the store resolves it by name.
    let text = sb.ok(&["history", &name]);
    for word in ["create", "start", "die", "exit 3", "run.exit", "destroy"] {
        assert!(text.contains(word), "{word} in:\n{text}");
    }
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("TIME"), "{text}");
    assert!(
        lines.last().is_some_and(|l| l.contains("destroy")),
        "newest last:\n{text}"
    );

    let json = sb
        .run(&["history", &name, "--json"])
        .expect_code(0)
        .json_lines();
    let actions: Vec<&str> = json.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["create", "start", "die", "run.exit", "destroy"],
        "{json:?}"
    );
    let id = json[0]["container_id"].as_str().expect("id").to_string();
    assert_eq!(json[2]["exit_code"], 3);
    assert_eq!(json[2]["name"], name.as_str());

    // By id prefix too; an unknown one is a usage error.
    let by_prefix = sb.ok(&["history", &id[..10]]);
    assert!(by_prefix.contains("destroy"), "{by_prefix}");
    let unknown = sb.run(&["history", "no-such-container-anywhere"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("no container"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn a_corrupt_store_is_a_clear_error_and_triage_runs_without_it() {
    let sb = Sandbox::new();
    std::fs::write(sb.store_path(), vec![0x5a_u8; 16_384]).expect("garbage");
    let path = sb.store_path().display().to_string();
    let ran = sb.run(&["history"]);
    ran.expect_code(1);
    assert!(ran.stderr.contains(&path), "{}", ran.stderr);
    assert!(ran.stderr.contains("corrupt"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);

    let triage = sb.run(&["triage", "--json"]);
    assert!(matches!(triage.code, Some(0 | 6)), "{}", triage.stderr);
    assert!(
        triage.stderr.contains("triage without history"),
        "{}",
        triage.stderr
    );
    assert!(triage.stderr.contains(&path), "{}", triage.stderr);
}

#[tokio::test]
async fn history_without_a_store_says_why() {
    let sb = Sandbox::new();
    let ran = sb.run(&["history"]);
    ran.expect_code(0);
    assert!(ran.stderr.contains("does not exist yet"), "{}", ran.stderr);
}

/// Records every event of `endpoint` into `writer` until dropped.
fn recorder(endpoint: Endpoint, writer: StoreWriter) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let events = endpoint.container_events(None, None);
        futures_util::pin_mut!(events);
        while let Some(Ok(event)) = events.next().await {
            writer.record_event(&endpoint.address, &event);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and dockerd (a second daemon)"]
async fn history_survives_a_daemon_restart() {
    let mut daemon = SecondDaemon::start(IMAGE);
    let sb = Sandbox::new();
    let store_path = sb.store_path();
    let writer = StoreWriter::open(
        &store_path,
        Retention {
            max_age: Duration::from_secs(86_400),
            max_rows: 100_000,
        },
    )
    .expect("open the store");
    let endpoint = common::endpoint_at(Some(&daemon.host)).await;
    let docker = bollard::Docker::connect_with_unix(
        daemon.host.trim_start_matches("unix://"),
        60,
        bollard::API_DEFAULT_VERSION,
    )
    .expect("client")
    .negotiate_version()
    .await
    .expect("negotiate");
    let recording = recorder(endpoint.clone(), writer.clone());

    // A crash loop on the second daemon.
    let name = format!("fdt-crashloop-{}", std::process::id());
    let body = ContainerCreateBody {
        image: Some(IMAGE.into()),
        cmd: Some(vec!["sh".into(), "-c".into(), "sleep 1; exit 3".into()]),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::ALWAYS),
                maximum_retry_count: None,
            }),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let id = docker
        .create_container(Some(options), body)
        .await
        .expect("create")
        .id;
    docker
        .start_container(&id, None::<StartContainerOptions>)
        .await
        .expect("start");

    // Until the store holds at least four deaths (the daemon's pace; a bound, not a timing).
    let begun = Instant::now();
    let since = Utc::now() - chrono::Duration::minutes(10);
    loop {
        let w = writer.clone();
        tokio::task::spawn_blocking(move || w.flush())
            .await
            .expect("join")
            .expect("flush");
        let deaths = Store::open_read(&store_path)
            .and_then(|s| s.deaths_since(since, Some(&daemon.host)))
            .map(|d| d.into_iter().filter(|e| e.container_id == id).count())
            .unwrap_or(0);
        if deaths >= 4 {
            break;
        }
        assert!(
            begun.elapsed() < Duration::from_secs(90),
            "the crash loop did not loop"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // No restarts after the daemon's own restart: what the daemon knows then is only what
    // happened after it.
    let update = ContainerUpdateBody {
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::NO),
            maximum_retry_count: None,
        }),
        ..ContainerUpdateBody::default()
    };
    let begun = Instant::now();
    while let Err(e) = docker.update_container(&id, update.clone()).await {
        assert!(begun.elapsed() < Duration::from_secs(30), "update: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    recording.abort();
    let w = writer.clone();
    tokio::task::spawn_blocking(move || w.flush())
        .await
        .expect("join")
        .expect("flush");
    let before_restart = Utc::now();

    daemon.kill_and_restart();

    // The restarted daemon's own event log has none of the deaths from before.
    let endpoint = common::endpoint_at(Some(&daemon.host)).await;
    let now = Utc::now().timestamp();
    let log = endpoint.container_events(Some(now - 600), Some(now + 1));
    futures_util::pin_mut!(log);
    let mut old_deaths = 0;
    while let Some(event) = log.next().await {
        let event = event.expect("event");
        if event.id.0 == id
            && matches!(event.action, EventAction::Die(_))
            && event.time.is_some_and(|t| t < before_restart)
        {
            old_deaths += 1;
        }
    }
    assert_eq!(old_deaths, 0, "the daemon's log still has the deaths");

    // Triage with the store: the crash loop, counted from the recorded deaths.
    let ran = sb.run(&["--host", &daemon.host, "triage", "--since", "10m", "--json"]);
    ran.expect_code(6);
    let report = ran.json();
    let problems = report["problems"].as_array().expect("problems");
    let crash = problems
        .iter()
        .find(|p| p["kind"] == "crash_loop" && p["container_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no crash loop for {name} in {report:#}"));
    let reason = crash["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("died "),
        "from the recorded deaths: {reason}"
    );

    // The same triage without the store does not say so.
    let off = Sandbox::new();
    std::fs::write(off.config_path(), "[store]\nenabled = false\n").expect("config");
    let without = off.run(&["--host", &daemon.host, "triage", "--since", "10m", "--json"]);
    let report = without.json();
    let died = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| {
            p["container_id"] == id.as_str()
                && p["reason"].as_str().is_some_and(|r| r.starts_with("died "))
        });
    assert!(!died, "without the store no deaths are known: {report:#}");

    // And `history` still lists them.
    let text = sb.ok(&["--host", &daemon.host, "history", &name, "--since", "10m"]);
    assert!(text.matches("exit 3").count() >= 4, "{text}");
    drop(writer);
}
