//! Triage against the real daemon: one real container per problem beside healthy ones; every
//! problem is found with the right reason, and no healthy container is listed.

mod common;

use bollard::query_parameters::StopContainerOptionsBuilder;
use common::{Fixture, Spec, binary};

fn state_of(
    i: &bollard::models::ContainerInspectResponse,
) -> Option<&bollard::models::ContainerState> {
    i.state.as_ref()
}

/// Whether the daemon's health status of the container reads `status`.
fn health_is(i: &bollard::models::ContainerInspectResponse, status: &str) -> bool {
    state_of(i)
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.status)
        .is_some_and(|s| s.to_string() == status)
}

#[tokio::test]
async fn every_problem_found_and_no_healthy_container_listed() {
    let fx = Fixture::new("triage").await;

    // Problems.
    let mut oom = Spec::sh("tail /dev/zero");
    oom.memory = Some(16 * 1024 * 1024);
    let oom = fx.run("oom", oom).await;
    let mut looping = Spec::sh("sleep 0.3; exit 3");
    looping.restart_always = true;
    let looping = fx.run("loop", looping).await;
    let mut sick = Spec::sh("sleep 300");
    sick.health_cmd = Some("echo db unreachable; exit 1".into());
    let sick = fx.run("sick", sick).await;
    let failed = fx.run("exit3", Spec::sh("exit 3")).await;
    let stubborn = fx.run("stubborn", Spec::stubborn()).await;

    // Healthy ones.
    let mut fine = Spec::sh("sleep 300");
    fine.health_cmd = Some("exit 0".into());
    let fine = fx.run("fine", fine).await;
    let done = fx.run("done", Spec::sh("exit 0")).await;
    let stopped = fx.run("stopped", Spec::graceful_ready()).await;
    // Stop only once the traps are set: the verdicts depend on how each one ends.
    fx.wait_for_output(&stubborn, "ready").await;
    fx.wait_for_output(&stopped, "ready").await;

    let stop = |t: i32| StopContainerOptionsBuilder::default().t(t).build();
    fx.docker
        .stop_container(&stubborn, Some(stop(1)))
        .await
        .expect("stop stubborn");
    fx.docker
        .stop_container(&stopped, Some(stop(10)))
        .await
        .expect("stop graceful");
    fx.wait_for(&oom, "OOM-killed", |i| {
        state_of(i).and_then(|s| s.oom_killed) == Some(true)
    })
    .await;
    fx.wait_for(&looping, "restarted 3 times", |i| {
        i.restart_count.unwrap_or(0) >= 3
    })
    .await;
    fx.wait_for(&sick, "unhealthy", |i| health_is(i, "unhealthy"))
        .await;
    fx.wait_for(&fine, "healthy", |i| health_is(i, "healthy"))
        .await;
    for id in [&failed, &done] {
        fx.wait_for(id, "exited", |i| {
            state_of(i).and_then(|s| s.running) == Some(false)
        })
        .await;
    }

    // Problems give exit 6.
    let json = binary::run(&["triage", "--json"]).expect_code(6).json();
    assert_eq!(json["healthy"], false);
    let ours: Vec<(String, String, String)> = json["problems"]
        .as_array()
        .expect("problems array")
        .iter()
        .filter(|p| {
            p["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with(&fx.prefix))
        })
        .map(|p| {
            let subject = p["subject"].as_str().unwrap_or_default();
            (
                subject
                    .trim_start_matches(&format!("{}-", fx.prefix))
                    .to_string(),
                p["kind"].as_str().unwrap_or_default().to_string(),
                p["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let find = |name: &str| {
        ours.iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("no problem listed for {name}: {ours:?}"))
    };
    let (_, kind, reason) = find("oom");
    assert_eq!(kind, "oom_killed");
    assert!(
        reason.contains("OOM-killed") && reason.contains("limit 16.0 MiB"),
        "{reason}"
    );
    let (_, kind, reason) = find("loop");
    assert_eq!(kind, "crash_loop");
    assert!(reason.contains("exit 3"), "{reason}");
    let (_, kind, reason) = find("sick");
    assert_eq!(kind, "unhealthy");
    assert!(reason.contains("db unreachable"), "{reason}");
    let (_, kind, reason) = find("exit3");
    assert_eq!(kind, "exited_non_zero");
    assert!(reason.starts_with("exited with 3"), "{reason}");
    let (_, kind, _) = find("stubborn");
    assert_eq!(kind, "stop_timed_out");
    for healthy in ["fine", "done", "stopped"] {
        assert!(
            !ours.iter().any(|(n, _, _)| n == healthy),
            "healthy container {healthy} listed: {ours:?}"
        );
    }
    assert_eq!(ours.len(), 5, "one problem per sick container: {ours:?}");
}
