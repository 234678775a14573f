//! The stuck counters on recorded cgroup trees (`testdata/`): v1 as read on this project's
//! machine (Docker, cgroupfs driver: a `--cpus 0.1 --pids-limit 4 -m 64m` busy loop, its pids
//! files from a container of four sleeps at `--pids-limit 4`), v2 in the systemd driver's
//! layout with the kernel's file formats (throttled, at its pids limit with refused forks,
//! reclaiming near its memory limit, with `memory.pressure`).

use std::path::{Path, PathBuf};

use super::*;
use crate::engine::cgroup_stats::{CgroupDriver, CgroupRoot, CgroupVersion};

const V1_ID: &str = "b4fe567b0fc0caa9471a40c2013aedc087ef1a7ee977b05c6ed635ed98983cc0";
const V2_ID: &str = "7c3f0e2a9d1b4c5e8f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e";

fn testdata(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/engine/cgroup_stats/testdata")
        .join(version)
}

fn vitals(version: &str, id: &str) -> CgroupVitals {
    let layout = CgroupRoot::detect(&testdata(version)).expect("a recorded layout");
    let cgroup = layout.locate(id).expect("the recorded container");
    cgroup
        .read_vitals()
        .expect("readable")
        .expect("the cgroup is there")
}

#[test]
fn v1_reads_throttling_the_cpu_limit_and_pids_from_their_own_hierarchies() {
    let layout = CgroupRoot::detect(&testdata("v1")).expect("v1 layout");
    assert_eq!(layout.version, CgroupVersion::V1);
    let v = vitals("v1", V1_ID);
    let cpu = v.cpu.expect("cpu.stat");
    assert_eq!((cpu.periods, cpu.throttled), (55, 54));
    assert_eq!(cpu.throttled_ns, 4_960_070_084);
    assert_eq!(cpu.limit_cpus, Some(0.1));
    let pids = v.pids.expect("pids");
    assert_eq!((pids.current, pids.max, pids.refused), (4, Some(4), 0));
    let memory = v.memory.expect("memory");
    assert_eq!(memory.limit, Some(64 * 1024 * 1024));
    assert_eq!(memory.pressure_some_avg10, None);
    assert_eq!(v.procs.len(), 4);
}

#[test]
fn v2_reads_the_unified_directory_with_events_swap_and_pressure() {
    let layout = CgroupRoot::detect(&testdata("v2")).expect("v2 layout");
    assert_eq!(layout.version, CgroupVersion::V2);
    assert_eq!(layout.driver, CgroupDriver::Systemd);
    let v = vitals("v2", V2_ID);
    let cpu = v.cpu.expect("cpu.stat");
    assert_eq!((cpu.periods, cpu.throttled), (600, 583));
    assert_eq!(cpu.throttled_ns, 52_012_345_000);
    assert_eq!(cpu.limit_cpus, Some(0.1));
    let pids = v.pids.expect("pids");
    assert_eq!((pids.current, pids.max, pids.refused), (4, Some(4), 3));
    let memory = v.memory.expect("memory");
    assert_eq!(memory.limit_hits, 1532);
    assert_eq!(memory.major_faults, 12021);
    assert_eq!(memory.swap, Some(8 * 1024 * 1024));
    assert_eq!(memory.pressure_some_avg10, Some(42.17));
    assert_eq!(v.procs, vec![20511, 20533]);
}

#[test]
fn limits_that_say_max_are_no_limits() {
    assert_eq!(parse_cpu_max("max 100000\n"), None);
    assert_eq!(parse_cpu_max("150000 100000\n"), Some(1.5));
    let pids = parse_pids("3\n", "max\n", "max 0\n").expect("pids");
    assert_eq!(pids.max, None);
    let memory = parse_memory_v2("10\n", "max\n", "", "", None, None).expect("memory");
    assert_eq!(memory.limit, None);
    let v1 = parse_memory_v1("10\n", "9223372036854771712\n", "0\n", "").expect("memory");
    assert_eq!(v1.limit, None);
}

#[test]
fn a_v1_cgroup_without_a_pids_hierarchy_reads_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let rel = Path::new("docker").join(V1_ID);
    for (sub, files) in [
        ("cpuacct", vec![("cpuacct.usage", "5\n")]),
        (
            "memory",
            vec![
                ("memory.usage_in_bytes", "10\n"),
                ("memory.limit_in_bytes", "9223372036854771712\n"),
                ("cgroup.procs", "7\n"),
            ],
        ),
    ] {
        std::fs::create_dir_all(root.join(sub).join(&rel)).expect("dir");
        std::fs::write(root.join(sub).join(files[0].0), files[0].1).expect("root file");
        for (name, text) in files {
            std::fs::write(root.join(sub).join(&rel).join(name), text).expect("file");
        }
    }
    let layout = CgroupRoot::detect(root).expect("v1 layout");
    let v = layout
        .locate(V1_ID)
        .expect("located")
        .read_vitals()
        .expect("readable")
        .expect("there");
    assert_eq!(v.pids, None);
    assert_eq!(v.cpu, None);
    assert_eq!(v.procs, vec![7]);
}
