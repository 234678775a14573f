//! The cgroup reader (`engine::cgroup_stats`) against real containers on this machine's real
//! cgroup files: a busy container's CPU and a memory-holding container's memory read from the
//! files agree with what the Docker stats API reports, through the same formulas the console
//! uses for it (`engine::stats`), within a tolerance, over a few one-second windows. The
//! recorded layouts of the other cgroup version and driver are the module's unit tests.
//!
//! Needs the daemon on this machine (a `unix://` socket) and `/sys/fs/cgroup` readable: the
//! tests are `#[ignore]`d for it (`scripts/test.sh` runs them with `--include-ignored` where it
//! can); run with a remote `DOCKER_HOST`, they fail saying so, never pass unchecked.

mod common;

use std::path::Path;
use std::time::Duration;

use bollard::models::{ContainerStatsResponse, ContainerUpdateBody};
use bollard::query_parameters::{
    RemoveContainerOptionsBuilder, StartContainerOptions, StatsOptionsBuilder,
};
use common::{Fixture, Spec};
use fleetdeck::engine::ContainerId;
use fleetdeck::engine::cgroup_stats::{
    CgroupLayout, CgroupRoot, DEFAULT_ROOT, RawSample, cpu_percent, local_layout, spawn_sampler,
};
use fleetdeck::engine::stats::{self, CpuCounters};
use futures_util::StreamExt;
use tokio::sync::mpsc;

const MIB: u64 = 1 << 20;
/// CPU figures agree within this many percentage points, or a quarter of the API's figure.
const CPU_POINTS: f64 = 15.0;
/// Memory figures agree within this much (the container's shell may allocate in between).
const MEMORY_SLACK: u64 = 4 * MIB;

/// Why these tests are ignored by default.
const NEEDS: &str = "needs the daemon on this machine (a unix:// DOCKER_HOST) and its cgroup files";

/// The layout of this machine; fails the test when the daemon is not local.
fn local() -> CgroupLayout {
    let address = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".into());
    assert!(
        address.starts_with("unix://"),
        "the daemon at {address} is not local: no cgroup files to compare ({NEEDS})"
    );
    local_layout(&address, Path::new(DEFAULT_ROOT)).unwrap_or_else(|| {
        panic!("a local daemon, but no cgroup layout detected under {DEFAULT_ROOT}")
    })
}

/// One stats API answer with `stream=false`: the daemon samples twice, a second apart.
async fn api_stats(fixture: &Fixture, id: &str) -> ContainerStatsResponse {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(false)
        .build();
    fixture
        .docker
        .stats(id, Some(options))
        .next()
        .await
        .expect("one stats answer")
        .expect("stats answer")
}

fn read(layout: &CgroupLayout, id: &str) -> RawSample {
    layout
        .read(id)
        .expect("cgroup files readable")
        .expect("the running container's cgroup is here")
}

/// Waits until the container's cgroup shows up (it is made as the container starts).
async fn wait_for_cgroup(layout: &CgroupLayout, id: &str) {
    for _ in 0..300 {
        if matches!(layout.read(id), Ok(Some(_))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no cgroup appeared for {id} in {layout}");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the daemon on this machine (a unix:// DOCKER_HOST) and its cgroup files"]
async fn a_busy_containers_cpu_matches_the_stats_api() {
    let layout = local();
    let fixture = Fixture::new("cgroup-cpu").await;
    let id = fixture
        .create("busy", Spec::sh("while :; do :; done"))
        .await;
    // Half a core: a steady figure whatever else the machine runs.
    fixture
        .docker
        .update_container(
            &id,
            ContainerUpdateBody {
                nano_cpus: Some(500_000_000),
                ..ContainerUpdateBody::default()
            },
        )
        .await
        .expect("limit the CPU");
    fixture
        .docker
        .start_container(&id, None::<StartContainerOptions>)
        .await
        .expect("start");
    wait_for_cgroup(&layout, &id).await;

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        // Our window brackets the daemon's (its two samples are taken inside the call).
        let before = read(&layout, &id);
        let response = api_stats(&fixture, &id).await;
        let after = read(&layout, &id);
        let previous = response
            .precpu_stats
            .as_ref()
            .and_then(CpuCounters::read)
            .expect("precpu counters");
        let current = response
            .cpu_stats
            .as_ref()
            .and_then(CpuCounters::read)
            .expect("cpu counters");
        theirs.push(stats::cpu_percent(&previous, &current).expect("API CPU %"));
        ours.push(cpu_percent(&before, &after));
    }
    eprintln!("CPU % from cgroup files {ours:?}, from the stats API {theirs:?}");
    let (ours, theirs) = (median(ours), median(theirs));
    assert!(ours > 1.0, "the busy container is seen busy: {ours} %");
    let tolerance = CPU_POINTS.max(theirs * 0.25);
    assert!(
        (ours - theirs).abs() <= tolerance,
        "cgroup {ours:.1} % vs stats API {theirs:.1} % (tolerance {tolerance:.1})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the daemon on this machine (a unix:// DOCKER_HOST) and its cgroup files"]
async fn a_memory_holding_containers_memory_matches_the_stats_api() {
    let layout = local();
    let fixture = Fixture::new("cgroup-mem").await;
    let spec = Spec {
        memory: Some(256 * 1024 * 1024),
        ..Spec::sh(
            "x=$(head -c 33554432 /dev/zero | tr '\\0' a); echo ready; while :; do sleep 1000; done",
        )
    };
    let id = fixture.run("hold", spec).await;
    fixture.wait_for_output(&id, "ready").await;
    wait_for_cgroup(&layout, &id).await;

    for _ in 0..3 {
        let response = api_stats(&fixture, &id).await;
        let ours = read(&layout, &id);
        let memory = response.memory_stats.as_ref().expect("memory stats");
        let theirs = stats::memory_used(memory).expect("API memory figure");
        eprintln!(
            "memory from cgroup files {} B, from the stats API {theirs} B",
            ours.memory_used
        );
        assert!(ours.memory_used >= 32 * MIB, "the 32 MiB held are counted");
        assert!(
            ours.memory_used.abs_diff(theirs) <= MEMORY_SLACK,
            "cgroup {} B vs stats API {theirs} B",
            ours.memory_used
        );
        assert_eq!(memory.limit, Some(256 * MIB));
        assert_eq!(ours.memory_limit, Some(256 * MIB));
    }

    // Removed: its cgroup is gone, and reading says so without an error.
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    fixture
        .docker
        .remove_container(&id, Some(options))
        .await
        .expect("remove");
    for _ in 0..300 {
        if matches!(layout.read(&id), Ok(None)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the removed container's cgroup is still read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the daemon on this machine (a unix:// DOCKER_HOST) and its cgroup files"]
async fn the_sampler_reports_every_running_container() {
    let layout = local();
    let detected = CgroupRoot::detect(Path::new(DEFAULT_ROOT)).expect("layout");
    assert_eq!(detected, layout);
    let fixture = Fixture::new("cgroup-sampler").await;
    let busy = fixture.run("busy", Spec::sh("while :; do :; done")).await;
    let idle = fixture.run("idle", Spec::sh("sleep 100000")).await;
    wait_for_cgroup(&layout, &busy).await;
    wait_for_cgroup(&layout, &idle).await;

    let (tx, mut rx) = mpsc::channel(16);
    let sampler = spawn_sampler(layout, Duration::from_millis(500), tx).expect("sampler thread");
    let ids = [ContainerId(busy.clone()), ContainerId(idle.clone())];
    sampler.set_running(ids.to_vec());
    let (mut busy_cpu, mut idle_cpu) = (None, None);
    while busy_cpu.is_none() || idle_cpu.is_none() {
        let sample = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("a sample within the bound")
            .expect("the sampler runs");
        assert!(sample.memory_used > 0);
        if sample.id.0 == busy {
            busy_cpu = busy_cpu.or(sample.cpu_percent);
        } else {
            assert_eq!(sample.id.0, idle, "only the containers asked for");
            idle_cpu = idle_cpu.or(sample.cpu_percent);
        }
    }
    eprintln!("sampler: busy {busy_cpu:?} %, idle {idle_cpu:?} %");
    assert!(busy_cpu > idle_cpu, "the busy loop outworks a sleep");
    assert_eq!(sampler.unreadable(), 0);
}
