//! Swarm against a real two-node swarm made by the test (tests/common/swarm.rs): the engine's
//! reads and fleetdeck's headless `service` and `node` commands, compared with what the
//! docker CLI says of the same swarm.

mod common;

use std::time::Duration;

use common::swarm::Swarm;
use fleetdeck::engine::Endpoint;

const BOUND: Duration = Duration::from_secs(120);
/// A task that ends at once on SIGTERM (a rolling update replaces it without waiting out
/// the stop grace period).
const SLEEP: &str = "trap 'exit 0' TERM; sleep 100000 & wait";

async fn manager(swarm: &Swarm) -> Endpoint {
    common::endpoint_at(Some(&format!("manager={}", swarm.manager_host()))).await
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn the_engine_reads_a_two_node_swarm() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 4, &[], SLEEP);
    swarm.wait_until("web 4/4", BOUND, || {
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "4/4"
    });
    let endpoint = manager(&swarm).await;
    let info = endpoint.swarm_info().await.expect("info");
    assert!(info.manager && info.active(), "{info:?}");
    let services = endpoint.services().await.expect("services");
    assert_eq!(services.len(), 1);
    assert_eq!((services[0].running, services[0].desired), (4, 4));
    let nodes = endpoint.nodes().await.expect("nodes");
    let hostnames: Vec<&str> = nodes.iter().map(|n| n.hostname.as_str()).collect();
    assert_eq!(hostnames, ["node-1", "node-2"]);
    let tasks = endpoint
        .service_tasks(&services[0], &nodes)
        .await
        .expect("tasks");
    assert_eq!(tasks.iter().filter(|t| t.running()).count(), 4);
    assert!(
        tasks.iter().all(|t| t.node.starts_with("node-")),
        "{tasks:?}"
    );
    let worker = common::endpoint_at(Some(&format!("worker={}", swarm.node_host(1)))).await;
    let info = worker.swarm_info().await.expect("info");
    assert!(!info.manager && info.active(), "{info:?}");
}

/// `fleetdeck --host manager=URL ARGS` in a sandbox (its own audit file and config).
fn fd(sandbox: &common::binary::Sandbox, swarm: &Swarm, args: &[&str]) -> common::binary::Ran {
    let host = format!("manager={}", swarm.manager_host());
    let mut all = vec!["--host", host.as_str()];
    all.extend_from_slice(args);
    sandbox.run(&all)
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn service_ls_json_equals_docker_service_ls() {
    let swarm = Swarm::start(2);
    swarm.create_service(
        "shop_web",
        3,
        &["--label", "com.docker.stack.namespace=shop"],
        SLEEP,
    );
    swarm.create_service("agent", 0, &["--mode", "global"], SLEEP);
    swarm.create_service("idle", 0, &[], SLEEP);
    swarm.wait_until("every replica running", BOUND, || {
        let replicas = swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]);
        replicas.lines().all(|r| {
            let (running, desired) = r.split_once('/').unwrap_or(("x", "y"));
            running == desired
        })
    });
    let sandbox = common::binary::Sandbox::new();
    let ours = fd(&sandbox, &swarm, &["service", "ls", "--json"])
        .expect_code(0)
        .json();
    let docker = swarm.docker(0, &["service", "ls", "--format", "{{json .}}"]);
    let mut theirs: Vec<serde_json::Value> = docker
        .lines()
        .map(|l| serde_json::from_str(l).expect("docker's JSON"))
        .collect();
    theirs.sort_by_key(|v| v["Name"].as_str().unwrap_or_default().to_string());
    let ours = ours.as_array().expect("an array of services");
    assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
    for (mine, docker) in ours.iter().zip(&theirs) {
        assert_eq!(mine["name"], docker["Name"]);
        assert_eq!(mine["mode"], docker["Mode"]);
        assert_eq!(mine["image"], docker["Image"]);
        let replicas = format!("{}/{}", mine["running"], mine["desired"]);
        assert_eq!(Some(replicas.as_str()), docker["Replicas"].as_str());
    }
    let shop = ours
        .iter()
        .find(|s| s["name"] == "shop_web")
        .expect("shop_web");
    assert_eq!(shop["stack"], "shop");
    assert_eq!(
        (shop["running"].as_u64(), shop["desired"].as_u64()),
        (Some(3), Some(3))
    );
    let agent = ours.iter().find(|s| s["name"] == "agent").expect("agent");
    assert_eq!(agent["desired"], 2, "a global service runs on both nodes");
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn scale_4_to_6_converges_with_tasks_on_both_nodes() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 4, &[], SLEEP);
    swarm.wait_until("web 4/4", BOUND, || {
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "4/4"
    });
    let sandbox = common::binary::Sandbox::new();
    let report = fd(
        &sandbox,
        &swarm,
        &["service", "scale", "web=6", "--wait", "--json"],
    )
    .expect_code(0)
    .report();
    assert_eq!(report["outcome"], "scaled");
    assert_eq!(report["rollout"]["state"], "done");
    assert_eq!(report["rollout"]["running"], 6);
    let by_node = swarm.running_tasks_by_node("web");
    let total: usize = by_node.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 6, "{by_node:?}");
    assert_eq!(by_node.len(), 2, "tasks on both nodes: {by_node:?}");
    let audit = sandbox.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "service scale");
    assert_eq!(audit[0]["target_name"], "web");

    // Scaling to what it already is changes nothing.
    let again = fd(&sandbox, &swarm, &["service", "scale", "web=6", "--json"])
        .expect_code(0)
        .report();
    assert_eq!(again["outcome"], "unchanged");
    // Read-only refuses, exit 4; rm without --yes and no terminal refuses, exit 2.
    fd(
        &sandbox,
        &swarm,
        &["--read-only", "service", "scale", "web=2"],
    )
    .expect_code(4);
    fd(&sandbox, &swarm, &["service", "rm", "web"]).expect_code(2);
    assert_eq!(
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]),
        "6/6"
    );
    fd(&sandbox, &swarm, &["service", "scale", "nope=2"]).expect_code(2);
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn drain_moves_every_task_to_node_1_and_activate_brings_node_2_back() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 4, &[], SLEEP);
    swarm.wait_until("web on both nodes", BOUND, || {
        swarm.running_tasks_by_node("web").len() == 2
    });
    let sandbox = common::binary::Sandbox::new();
    let report = fd(&sandbox, &swarm, &["node", "drain", "node-2", "--json"])
        .expect_code(0)
        .report();
    assert_eq!(report["outcome"], "availability_set");
    swarm.wait_until("every task on node-1", BOUND, || {
        swarm.running_tasks_by_node("web") == [("node-1".to_string(), 4)]
    });
    let nodes = fd(&sandbox, &swarm, &["node", "ls", "--json"])
        .expect_code(0)
        .json();
    let node2 = nodes
        .as_array()
        .and_then(|n| n.iter().find(|n| n["hostname"] == "node-2"))
        .expect("node-2 listed");
    assert_eq!(node2["availability"], "drain");
    assert_eq!(node2["tasks_running"], 0);

    fd(&sandbox, &swarm, &["node", "activate", "node-2"]).expect_code(0);
    assert_eq!(
        swarm.docker(
            0,
            &[
                "node",
                "inspect",
                "node-2",
                "--format",
                "{{.Spec.Availability}}"
            ]
        ),
        "active"
    );
    // The swarm does not move running tasks back by itself: a rolling restart spreads them.
    let report = fd(
        &sandbox,
        &swarm,
        &["service", "update", "web", "--force", "--wait", "--json"],
    )
    .expect_code(0)
    .report();
    assert_eq!(report["rollout"]["state"], "done", "{report}");
    swarm.wait_until("web on both nodes again", BOUND, || {
        swarm.running_tasks_by_node("web").len() == 2
    });
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn an_update_to_a_missing_image_fails_and_rollback_restores() {
    let swarm = Swarm::start(2);
    swarm.create_service(
        "web",
        4,
        &["--update-failure-action", "pause", "--update-monitor", "2s"],
        SLEEP,
    );
    swarm.wait_until("web 4/4", BOUND, || {
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "4/4"
    });
    let sandbox = common::binary::Sandbox::new();
    let ran = fd(
        &sandbox,
        &swarm,
        &[
            "service",
            "update",
            "web",
            "--image",
            "ceo-missing:latest",
            "--wait",
            "--json",
        ],
    );
    ran.expect_code(1);
    let report = ran.report();
    assert_eq!(report["outcome"], "updated");
    assert_eq!(report["rollout"]["state"], "failed", "{report}");

    let tasks = fd(&sandbox, &swarm, &["service", "ps", "web", "--json"])
        .expect_code(0)
        .json();
    let errors: Vec<&str> = tasks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["error"].as_str())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("No such image")),
        "a task names the missing image: {errors:?}"
    );
    let triage = fd(&sandbox, &swarm, &["triage", "--json"]);
    triage.expect_code(6);
    let triage = triage.json();
    let named: Vec<&serde_json::Value> = triage["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["subject"] == "web")
        .collect();
    assert!(
        named.iter().any(|p| p["reason"]
            .as_str()
            .is_some_and(|r| r.contains("No such image: ceo-missing:latest"))),
        "triage names web and the missing image: {triage}"
    );
    println!("triage: {triage}");

    let report = fd(
        &sandbox,
        &swarm,
        &["service", "rollback", "web", "--wait", "--json"],
    )
    .expect_code(0)
    .report();
    assert_eq!(report["rollout"]["state"], "done", "{report}");
    let ls = fd(&sandbox, &swarm, &["service", "ls", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(ls[0]["image"], common::IMAGE);
    assert_eq!(
        (ls[0]["running"].as_u64(), ls[0]["desired"].as_u64()),
        (Some(4), Some(4))
    );
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn service_logs_merge_both_nodes() {
    let swarm = Swarm::start(2);
    swarm.create_service(
        "talk",
        4,
        &[],
        "echo hello from $(hostname); trap 'exit 0' TERM; sleep 100000 & wait",
    );
    swarm.wait_until("talk on both nodes", BOUND, || {
        swarm
            .running_tasks_by_node("talk")
            .iter()
            .map(|(_, n)| n)
            .sum::<usize>()
            == 4
            && swarm.running_tasks_by_node("talk").len() == 2
    });
    let sandbox = common::binary::Sandbox::new();
    let mut lines = Vec::new();
    swarm.wait_until("four tasks' lines", BOUND, || {
        lines = fd(&sandbox, &swarm, &["service", "logs", "talk", "--json"])
            .expect_code(0)
            .json_lines();
        lines.len() >= 4
    });
    let nodes: std::collections::BTreeSet<&str> =
        lines.iter().filter_map(|l| l["node"].as_str()).collect();
    assert_eq!(nodes.into_iter().collect::<Vec<_>>(), ["node-1", "node-2"]);
    assert!(lines.iter().all(|l| {
        l["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("hello from"))
    }));
    let table = fd(&sandbox, &swarm, &["service", "logs", "talk"])
        .expect_code(0)
        .text()
        .to_string();
    assert!(table.contains("@node-1 | hello from"), "{table}");
    assert!(table.contains("@node-2 | hello from"), "{table}");
    let times: Vec<&str> = lines.iter().filter_map(|l| l["time"].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "merged by time");
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn stopping_a_task_container_warns_that_swarm_replaces_it() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 1, &["--constraint", "node.hostname==node-1"], SLEEP);
    let mut name = String::new();
    swarm.wait_until("web's task container on node-1", BOUND, || {
        name = swarm.docker(
            0,
            &[
                "ps",
                "--filter",
                "label=com.docker.swarm.service.name=web",
                "--format",
                "{{.Names}}",
            ],
        );
        !name.is_empty()
    });
    let sandbox = common::binary::Sandbox::new();
    let warning = format!(
        "{name} is a task of Swarm service web: Swarm will replace it (use fleetdeck service scale|rm)"
    );
    let ran = fd(&sandbox, &swarm, &["stop", "--json", &name]);
    ran.expect_code(0);
    assert!(ran.stderr.contains(&warning), "{}", ran.stderr);
    let report = ran.report();
    assert_eq!(report["warning"], warning.as_str(), "{report}");
    // As the warning says: the swarm starts another task in its place.
    swarm.wait_until("web running again", BOUND, || {
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "1/1"
    });
    // A plain container draws no warning.
    let plain = swarm.docker(
        0,
        &[
            "run",
            "-d",
            "--network",
            "none",
            common::IMAGE,
            "sleep",
            "1000",
        ],
    );
    let ran = fd(&sandbox, &swarm, &["kill", "--yes", "--json", &plain]);
    ran.expect_code(0);
    assert!(
        !ran.stderr.contains("task of Swarm service"),
        "{}",
        ran.stderr
    );
    assert!(ran.report().get("warning").is_none());
    let _ = swarm.docker_output(0, &["rm", "-f", &plain]);
}
