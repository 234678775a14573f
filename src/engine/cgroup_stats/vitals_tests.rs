//! The stuck counters on recorded cgroup trees (`testdata/`): v1 as read on this project's
//! machine (Docker, cgroupfs driver: a `--cpus 0.1 --pids-limit 4 -m 64m` busy loop, its pids
//! files from a container of four sleeps at `--pids-limit 4`), v2 in the systemd driver's
//! layout with the kernel's file formats (throttled, at its pids limit with refused forks,
//! reclaiming near its memory limit, with `memory.pressure`).

use std::path::{Path, PathBuf};

use super::*;
use crate::engine::cgroup_stats::ContainerCgroup;
use crate::engine::cgroup_stats::vitals_reader::VitalsReader;
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
    // 2.4 MB of its 64 MiB: far from the limit, the memory counters are not read.
    assert_eq!(v.memory, None);
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

/// A v1 tree of one container (cpu, pids, memory hierarchies) under `root`, from `files`
/// (hierarchy, file, text); returns its located cgroup.
fn v1_tree(root: &Path, files: &[(&str, &str, &str)]) -> ContainerCgroup {
    let rel = Path::new("docker").join(V1_ID);
    for (sub, name, text) in files {
        let dir = root.join(sub).join(&rel);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(root.join(sub).join(name), text).expect("root file");
        std::fs::write(dir.join(name), text).expect("file");
    }
    let layout = CgroupRoot::detect(root).expect("v1 layout");
    layout.locate(V1_ID).expect("located")
}

fn write(root: &Path, sub: &str, name: &str, text: &str) {
    let path = root.join(sub).join("docker").join(V1_ID).join(name);
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_kept_open_reader_reads_memory_near_its_limit_only_and_limits_now_and_then() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let cgroup = v1_tree(
        root,
        &[
            ("cpuacct", "cpuacct.usage", "5\n"),
            (
                "cpu",
                "cpu.stat",
                "nr_periods 10\nnr_throttled 0\nthrottled_time 0\n",
            ),
            ("cpu", "cpu.cfs_quota_us", "-1\n"),
            ("cpu", "cpu.cfs_period_us", "100000\n"),
            ("pids", "pids.current", "2\n"),
            ("pids", "pids.max", "4\n"),
            ("pids", "pids.events", "max 7\n"),
            ("memory", "memory.usage_in_bytes", "100\n"),
            ("memory", "memory.limit_in_bytes", "1000\n"),
            ("memory", "memory.failcnt", "3\n"),
            ("memory", "memory.stat", "total_pgmajfault 9\n"),
            ("memory", "cgroup.procs", "7\n"),
        ],
    );
    let mut reader = VitalsReader::new(&cgroup, true)
        .expect("readable")
        .expect("there");
    assert!(reader.is_open());
    let v = reader.read().expect("readable").expect("there");
    // 10 % of its limit: no memory counters; below its pids limit: no refused forks read.
    assert_eq!(v.memory, None);
    assert_eq!(
        v.pids.map(|p| (p.current, p.max, p.refused)),
        Some((2, Some(4), 0))
    );
    assert_eq!(v.cpu.and_then(|c| c.limit_cpus), None);

    // Near its limit, at its pids limit, throttled under a new quota: all read at once
    // through the open files.
    write(root, "memory", "memory.usage_in_bytes", "950\n");
    write(root, "pids", "pids.current", "4\n");
    write(
        root,
        "cpu",
        "cpu.stat",
        "nr_periods 20\nnr_throttled 9\nthrottled_time 5\n",
    );
    write(root, "cpu", "cpu.cfs_quota_us", "10000\n");
    write(root, "memory", "cgroup.procs", "7\n8\n");
    let v = reader.read().expect("readable").expect("there");
    let memory = v.memory.expect("memory near its limit");
    assert_eq!((memory.usage, memory.limit), (950, Some(1000)));
    assert_eq!((memory.limit_hits, memory.major_faults), (3, 9));
    assert_eq!(v.pids.map(|p| p.refused), Some(7));
    assert_eq!(v.cpu.and_then(|c| c.limit_cpus), Some(0.1));
    assert_eq!(v.procs, vec![7, 8]);

    // A new memory limit: until the next read of the limits, the one kept decides that the
    // counters are read (and they say the new one); from then on they are not.
    write(root, "memory", "memory.limit_in_bytes", "100000\n");
    let v = reader.read().expect("readable").expect("there");
    assert_eq!(v.memory.and_then(|m| m.limit), Some(100000));
    for _ in 3..crate::engine::cgroup_stats::vitals_reader::LIMITS_EVERY {
        reader.read().expect("readable");
    }
    let v = reader.read().expect("readable").expect("there");
    assert_eq!(v.memory, None, "950 of 100000: far from the new limit");
}

#[test]
fn a_reader_says_gone_once_the_cgroup_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let cgroup = v1_tree(
        root,
        &[
            ("cpuacct", "cpuacct.usage", "5\n"),
            ("memory", "memory.usage_in_bytes", "10\n"),
            ("memory", "cgroup.procs", "7\n"),
        ],
    );
    let mut reader = VitalsReader::new(&cgroup, false)
        .expect("readable")
        .expect("there");
    assert!(reader.read().expect("readable").is_some());
    std::fs::remove_dir_all(root.join("memory/docker")).expect("remove");
    assert_eq!(reader.read().expect("readable"), None);
}
