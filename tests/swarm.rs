//! Swarm against a real two-node swarm made by the test (tests/common/swarm.rs): the engine's
//! reads and fleetdeck's headless `service` and `node` commands, compared with what the
//! docker CLI says of the same swarm.

mod common;

use std::time::Duration;

use common::swarm::Swarm;
use fleetdeck::engine::Endpoint;

const BOUND: Duration = Duration::from_secs(120);

async fn manager(swarm: &Swarm) -> Endpoint {
    common::endpoint_at(Some(&format!("manager={}", swarm.manager_host()))).await
}

#[tokio::test]
#[ignore = "needs root, dockerd and ip netns"]
async fn the_engine_reads_a_two_node_swarm() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 4, &[], "sleep 100000");
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
