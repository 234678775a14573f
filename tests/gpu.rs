//! GPU attribution against real container PIDs, and `fleetdeck gpu` on a machine without an
//! NVIDIA driver.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{Fixture, Spec, binary};
use fleetdeck::gpu::{self, GpuInfo, GpuProcess, GpuSample, GpuSource};

#[tokio::test]
async fn a_container_pid_resolves_to_its_container_and_a_host_pid_to_none() {
    let fx = Fixture::new("gpu-pid").await;
    let id = fx.run("g", Spec::sh("sleep 300")).await;
    let inspect = fx.inspect(&id).await.expect("inspect");
    let pid = inspect
        .state
        .and_then(|s| s.pid)
        .and_then(|p| u32::try_from(p).ok())
        .filter(|p| *p > 0)
        .expect("a running container has a host PID");

    // The real /proc/PID/cgroup of the container's process names it.
    let text = gpu::cgroup::read_cgroup(Path::new("/proc"), pid)
        .expect("readable")
        .expect("the process exists");
    assert_eq!(
        gpu::cgroup::container_of(&text, |c| c == id).as_deref(),
        Some(id.as_str())
    );

    // Through the whole attribution, as the pane and `fleetdeck gpu` use it.
    let me = std::process::id();
    let sample = GpuSample {
        gpus: vec![GpuInfo {
            index: 0,
            name: "test".into(),
            uuid: None,
            memory_used_bytes: 3 << 30,
            memory_total_bytes: 4 << 30,
            utilization_pct: None,
            temperature_c: None,
            power_mw: None,
        }],
        processes: vec![
            GpuProcess {
                gpu_index: 0,
                pid,
                memory_used_bytes: Some(2 << 30),
            },
            GpuProcess {
                gpu_index: 0,
                pid: me,
                memory_used_bytes: Some(1 << 30),
            },
        ],
    };
    let known = HashMap::from([(id.clone(), fx.name("g"))]);
    let report = gpu::attribute(&sample, Path::new("/proc"), &known, 90.0);
    let in_container = report
        .processes
        .iter()
        .find(|p| p.host_pid == pid)
        .expect("listed");
    let container = in_container
        .container
        .as_ref()
        .expect("attributed to the container");
    assert_eq!(container.id, id);
    assert_eq!(container.name, fx.name("g"));
    assert_eq!(
        in_container.container_pid,
        Some(1),
        "sh is PID 1 in its namespace"
    );
    assert!(
        in_container
            .command
            .as_deref()
            .is_some_and(|c| c.contains("sleep"))
    );
    let host = report
        .processes
        .iter()
        .find(|p| p.host_pid == me)
        .expect("listed");
    assert_eq!(host.container, None, "the test process runs on the host");
    assert_eq!(report.container_memory(&id), Some(2 << 30));
}

#[test]
fn gpu_command_reports_why_there_is_none() {
    let available = gpu::nvml::NvmlSource::open()
        .and_then(|mut s| s.sample())
        .is_ok();
    let ran = binary::run(&["gpu", "--json"]);
    let json = ran.json();
    if available {
        ran.expect_code(0);
        assert_eq!(json["status"], "available");
    } else {
        // This project's machines have no NVIDIA driver: exit 5 and the reason in words.
        ran.expect_code(5);
        assert_eq!(json["status"], "unavailable");
        assert!(json["reason"]["kind"].is_string());
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no NVIDIA GPU"))
        );
        let human = binary::run(&["gpu"]);
        human.expect_code(5);
        assert!(human.stderr.contains("no NVIDIA GPU"), "{}", human.stderr);
    }
}
