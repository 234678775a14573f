//! The cgroup reader on recorded file contents of both versions and both drivers, laid out in
//! a temp dir as under `/sys/fs/cgroup`; memory figures checked against `stats::memory_used`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::models::ContainerMemoryStats;
use tokio::sync::mpsc;

use super::*;
use crate::engine::ContainerId;
use crate::engine::stats::{self, StatsSample};

const ID: &str = "42f9b9f79b97de446310d168a7d03e5b78c3bc98783bc1573081fabec351e93e";

/// `memory.stat` of a busy-loop container limited to 64 MiB, as read on this project's
/// machine (Docker 20.10, cgroup v1, cgroupfs driver).
const V1_MEMORY_STAT: &str = "cache 1605632\nrss 57344\nrss_huge 0\nshmem 0\nmapped_file 1347584\n\
dirty 0\nwriteback 0\nworkingset_refault_anon 0\nworkingset_refault_file 0\nswap 0\nswapcached 0\n\
pgpgin 1147\npgpgout 741\npgfault 1052\npgmajfault 24\ninactive_anon 53248\nactive_anon 4096\n\
inactive_file 1605632\nactive_file 0\nunevictable 0\nhierarchical_memory_limit 67108864\n\
hierarchical_memsw_limit 134217728\ntotal_cache 1605632\ntotal_rss 57344\ntotal_rss_huge 0\n\
total_shmem 0\ntotal_mapped_file 1347584\ntotal_dirty 0\ntotal_writeback 0\n\
total_workingset_refault_anon 0\ntotal_workingset_refault_file 0\ntotal_swap 0\n\
total_swapcached 0\ntotal_pgpgin 1147\ntotal_pgpgout 741\ntotal_pgfault 1052\n\
total_pgmajfault 24\ntotal_inactive_anon 53248\ntotal_active_anon 4096\n\
total_inactive_file 1605632\ntotal_active_file 0\ntotal_unevictable 0\n";
const V1_USAGE: &str = "1945600\n";
const V1_LIMIT: &str = "67108864\n";
const V1_NO_LIMIT: &str = "9223372036854771712\n";
const V1_CPUACCT_USAGE: &str = "1965816404\n";

/// `memory.stat` of a container on a cgroup v2 host (Docker 24, kernel 6.1, systemd driver).
const V2_MEMORY_STAT: &str = "anon 33820672\nfile 4440064\nkernel 802816\nkernel_stack 16384\n\
pagetables 98304\nsec_pagetables 0\npercpu 720\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n\
file_mapped 1351680\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\n\
shmem_thp 0\ninactive_anon 33816576\nactive_anon 4096\ninactive_file 4435968\nactive_file 4096\n\
unevictable 0\nslab_reclaimable 338432\nslab_unreclaimable 303400\nslab 641832\n\
workingset_refault_anon 0\nworkingset_refault_file 0\nworkingset_activate_anon 0\n\
workingset_activate_file 0\nworkingset_restore_anon 0\nworkingset_restore_file 0\n\
workingset_nodereclaim 0\npgscan 0\npgsteal 0\npgscan_kswapd 0\npgscan_direct 0\n\
pgsteal_kswapd 0\npgsteal_direct 0\npgfault 9371\npgmajfault 21\npgrefill 0\npgactivate 1\n\
pgdeactivate 0\npglazyfree 0\npglazyfreed 0\nzswpin 0\nzswpout 0\nthp_fault_alloc 0\n\
thp_collapse_alloc 0\n";
const V2_CURRENT: &str = "39165952\n";
const V2_MAX: &str = "268435456\n";
const V2_CPU_STAT: &str = "usage_usec 2031544\nuser_usec 1987213\nsystem_usec 44331\n\
core_sched.force_idle_usec 0\nnr_periods 41\nnr_throttled 20\nthrottled_usec 1012345\n\
nr_bursts 0\nburst_usec 0\n";

fn write(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("cgroup dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("cgroup file");
    }
}

/// A v1 hierarchy with the container's cgroup at `rel` (below each controller).
fn v1_root(root: &Path, rel: &str, limit: &str) {
    write(&root.join("cpuacct"), &[("cpuacct.usage", "99\n")]);
    write(
        &root.join("memory"),
        &[("memory.usage_in_bytes", "1\n"), ("memory.stat", "")],
    );
    write(&root.join("unified"), &[("cgroup.controllers", "")]);
    write(
        &root.join("cpuacct").join(rel),
        &[("cpuacct.usage", V1_CPUACCT_USAGE)],
    );
    write(
        &root.join("memory").join(rel),
        &[
            ("memory.usage_in_bytes", V1_USAGE),
            ("memory.limit_in_bytes", limit),
            ("memory.stat", V1_MEMORY_STAT),
        ],
    );
}

fn v2_root(root: &Path, rel: &str, max: &str) {
    write(
        root,
        &[(
            "cgroup.controllers",
            "cpuset cpu io memory hugetlb pids rdma misc\n",
        )],
    );
    std::fs::create_dir_all(root.join("system.slice")).expect("system.slice");
    write(
        &root.join(rel),
        &[
            ("cpu.stat", V2_CPU_STAT),
            ("memory.current", V2_CURRENT),
            ("memory.max", max),
            ("memory.stat", V2_MEMORY_STAT),
        ],
    );
}

/// `stats::memory_used` on the map the daemon would send for this `memory.stat`.
fn api_memory_used(usage: &str, memory_stat: &str) -> Option<u64> {
    let map: HashMap<String, u64> = memory_stat
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.parse().expect("number")))
        .collect();
    stats::memory_used(&ContainerMemoryStats {
        usage: Some(usage.trim().parse().expect("usage")),
        stats: Some(map),
        ..ContainerMemoryStats::default()
    })
}

#[test]
fn v1_cgroupfs_is_detected_and_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    v1_root(dir.path(), &format!("docker/{ID}"), V1_LIMIT);
    let layout = CgroupRoot::detect(dir.path()).expect("v1 layout");
    assert_eq!(layout.version, CgroupVersion::V1);
    assert_eq!(layout.driver, CgroupDriver::Cgroupfs);
    assert!(
        layout
            .to_string()
            .starts_with("cgroup v1 (cgroupfs driver) at ")
    );
    let raw = layout.read(ID).expect("readable").expect("there");
    assert_eq!(raw.cpu_usage_ns, 1_965_816_404);
    // usage − inactive_file: 1945600 − 1605632.
    assert_eq!(raw.memory_used, 339_968);
    assert_eq!(
        Some(raw.memory_used),
        api_memory_used(V1_USAGE, V1_MEMORY_STAT)
    );
    assert_eq!(raw.memory_limit, Some(64 << 20));
}

#[test]
fn v1_systemd_is_detected_and_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The controllers mounted together, as many distributions do.
    let rel = format!("system.slice/docker-{ID}.scope");
    v1_root(dir.path(), &rel, V1_NO_LIMIT);
    std::fs::rename(dir.path().join("cpuacct"), dir.path().join("cpu,cpuacct")).expect("rename");
    let layout = CgroupRoot::detect(dir.path()).expect("v1 layout");
    assert_eq!(layout.version, CgroupVersion::V1);
    assert_eq!(layout.driver, CgroupDriver::Systemd);
    let raw = layout.read(ID).expect("readable").expect("there");
    assert_eq!(raw.cpu_usage_ns, 1_965_816_404);
    assert_eq!(raw.memory_used, 339_968);
    assert_eq!(
        raw.memory_limit, None,
        "the kernel's 'no limit' is no limit"
    );
}

#[test]
fn v2_cgroupfs_is_detected_and_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), &format!("docker/{ID}"), V2_MAX);
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    assert_eq!(layout.version, CgroupVersion::V2);
    assert_eq!(layout.driver, CgroupDriver::Cgroupfs);
    let raw = layout.read(ID).expect("readable").expect("there");
    assert_eq!(raw.cpu_usage_ns, 2_031_544_000);
    // memory.current − inactive_file: 39165952 − 4435968.
    assert_eq!(raw.memory_used, 34_729_984);
    assert_eq!(
        Some(raw.memory_used),
        api_memory_used(V2_CURRENT, V2_MEMORY_STAT)
    );
    assert_eq!(raw.memory_limit, Some(256 << 20));
}

#[test]
fn v2_systemd_is_detected_and_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(
        dir.path(),
        &format!("system.slice/docker-{ID}.scope"),
        "max\n",
    );
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    assert_eq!(layout.version, CgroupVersion::V2);
    assert_eq!(layout.driver, CgroupDriver::Systemd);
    assert!(
        layout
            .to_string()
            .starts_with("cgroup v2 (systemd driver) at ")
    );
    let raw = layout.read(ID).expect("readable").expect("there");
    assert_eq!(raw.cpu_usage_ns, 2_031_544_000);
    assert_eq!(raw.memory_used, 34_729_984);
    assert_eq!(raw.memory_limit, None);
}

#[test]
fn the_other_drivers_path_is_tried_too() {
    // A v2 host with systemd whose daemon runs the cgroupfs driver, before its first
    // container made `docker/`: detected as systemd, read at `docker/<id>` all the same.
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), "system.slice/other.service", "max\n");
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    assert_eq!(layout.driver, CgroupDriver::Systemd);
    v2_root(dir.path(), &format!("docker/{ID}"), "max\n");
    assert!(layout.read(ID).expect("readable").is_some());
}

#[test]
fn a_gone_container_reads_as_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), &format!("docker/{ID}"), V2_MAX);
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    let other = "b".repeat(64);
    assert!(matches!(layout.read(&other), Ok(None)));
    // Located, then removed between two readings.
    let cgroup = layout.locate(ID).expect("located");
    std::fs::remove_dir_all(dir.path().join("docker").join(ID)).expect("remove");
    assert!(matches!(cgroup.read(), Ok(None)));
    // Not an id: never a path outside the hierarchy.
    assert!(layout.locate("../docker").is_none());
    assert!(layout.locate("").is_none());
}

#[test]
fn malformed_files_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), &format!("docker/{ID}"), "lots\n");
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    let err = layout.read(ID).expect_err("memory.max is not a number");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn nothing_to_detect() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(CgroupRoot::detect(dir.path()), None);
    // v2 without the memory controller: no memory figures to read.
    write(dir.path(), &[("cgroup.controllers", "cpu io pids\n")]);
    assert_eq!(CgroupRoot::detect(dir.path()), None);
    assert_eq!(CgroupRoot::detect(&dir.path().join("absent")), None);
}

#[test]
fn local_means_a_unix_socket_and_readable_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), &format!("docker/{ID}"), V2_MAX);
    assert!(is_local("unix:///var/run/docker.sock", dir.path()));
    assert!(local_layout("unix:///var/run/docker.sock", dir.path()).is_some());
    assert!(!is_local("tcp://10.0.0.2:2376", dir.path()));
    assert!(local_layout("ssh://me@host", dir.path()).is_none());
    assert!(!is_local(
        "unix:///var/run/docker.sock",
        &dir.path().join("absent")
    ));
}

#[test]
fn memory_used_matches_the_stats_api_on_every_key_set() {
    // The key the stats API formula prefers, whichever of the three a file carries.
    for stat in [
        "cache 100\ntotal_inactive_file 30\ninactive_file 20\n",
        "cache 100\ntotal_inactive_file 30\n",
        "cache 100\n",
        "rss 5\n",
        "",
        "inactive_file 5000\n",
    ] {
        assert_eq!(
            Some(memory_used(1000, stat)),
            api_memory_used("1000", stat),
            "{stat:?}"
        );
    }
}

fn sample_at(base: Instant, millis: u64, cpu_ns: u64) -> RawSample {
    RawSample {
        at: base + Duration::from_millis(millis),
        cpu_usage_ns: cpu_ns,
        memory_used: 0,
        memory_usage: 0,
        memory_limit: None,
    }
}

#[test]
fn cpu_is_percent_of_one_core() {
    let t = Instant::now();
    // Half a core over two seconds.
    let a = sample_at(t, 0, 1_000_000_000);
    let b = sample_at(t, 2_000, 2_000_000_000);
    assert!((cpu_percent(&a, &b) - 50.0).abs() < 1e-9);
    // Two cores busy: 200 %, the unit of stats::cpu_percent.
    let c = sample_at(t, 3_000, 4_000_000_000);
    assert!((cpu_percent(&b, &c) - 200.0).abs() < 1e-9);
    // No time passed, or the counter restarted: 0, not infinity or a wrap.
    assert_eq!(cpu_percent(&a, &a), 0.0);
    assert_eq!(cpu_percent(&b, &sample_at(t, 3_000, 10)), 0.0);
}

fn recv(rx: &mut mpsc::Receiver<StatsSample>) -> StatsSample {
    // A bound, not a timing assert: the sampler reads every 20 ms.
    for _ in 0..500 {
        if let Ok(sample) = rx.try_recv() {
            return sample;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no sample came");
}

#[test]
fn the_sampler_reads_running_containers_and_only_those() {
    let dir = tempfile::tempdir().expect("temp dir");
    v2_root(dir.path(), &format!("docker/{ID}"), V2_MAX);
    let layout = CgroupRoot::detect(dir.path()).expect("v2 layout");
    let (tx, mut rx) = mpsc::channel(4);
    let sampler = spawn_sampler(layout, Duration::from_millis(20), tx).expect("thread");
    let id = ContainerId(ID.into());
    sampler.set_running(vec![id.clone()]);
    let first = recv(&mut rx);
    assert_eq!(first.id, id);
    assert_eq!(
        first.cpu_percent, None,
        "one reading gives no CPU figure yet"
    );
    assert_eq!(first.memory_used, 34_729_984);
    assert_eq!(first.memory_limit, Some(256 << 20));
    let second = recv(&mut rx);
    assert!(second.cpu_percent.is_some());
    assert_eq!(sampler.unreadable(), 0);

    // Stopped: its cgroup goes; no samples, and it counts as unreadable while still listed.
    std::fs::remove_dir_all(dir.path().join("docker").join(ID)).expect("remove");
    for _ in 0..500 {
        if sampler.unreadable() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(sampler.unreadable(), 1);
    // Nothing runs: the count drops (the sampler took the empty set), and nothing is read even
    // once the cgroup is readable again (a sampler still reading it would send its samples).
    sampler.set_running(Vec::new());
    for _ in 0..500 {
        if sampler.unreadable() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        sampler.unreadable(),
        0,
        "a stopped container counts no more"
    );
    assert!(sampler.unreadable_ids().is_empty());
    v2_root(dir.path(), &format!("docker/{ID}"), V2_MAX);
    while rx.try_recv().is_ok() {}
    // Ten intervals of the sampler's.
    std::thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err(), "nothing runs: nothing is read");

    // Dropping the sampler ends the thread: the channel closes.
    drop(sampler);
    for _ in 0..500 {
        if matches!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the sampler thread did not end");
}

#[test]
fn host_memory_is_mem_total_in_bytes() {
    let meminfo = "MemTotal:       16314832 kB\nMemFree:         1000000 kB\n";
    assert_eq!(parse_mem_total(meminfo), Some(16_314_832 * 1024));
    assert_eq!(parse_mem_total("MemFree: 1 kB\n"), None);
}

#[test]
fn counter_reads_carry_the_page_cache_and_limit_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    v1_root(dir.path(), &format!("docker/{ID}"), V1_LIMIT);
    let layout = CgroupRoot::detect(dir.path()).expect("v1 layout");
    let cgroup = layout.locate(ID).expect("the container's cgroup");
    let full = cgroup.read().expect("readable").expect("there");
    assert_eq!(full.memory_usage, 1_945_600);
    // The counters move; memory.stat and the limit are not read again.
    let memory = dir.path().join("memory").join(format!("docker/{ID}"));
    std::fs::write(memory.join("memory.usage_in_bytes"), "2945600\n").expect("usage");
    std::fs::write(memory.join("memory.stat"), "garbage").expect("stat");
    std::fs::write(
        dir.path()
            .join("cpuacct")
            .join(format!("docker/{ID}"))
            .join("cpuacct.usage"),
        "2965816404\n",
    )
    .expect("cpu");
    let fast = cgroup
        .read_counters(&full)
        .expect("readable")
        .expect("there");
    assert_eq!(fast.cpu_usage_ns, 2_965_816_404);
    assert_eq!(fast.memory_usage, 2_945_600);
    // The same page cache as the full read: 1,605,632 bytes.
    assert_eq!(fast.memory_used, 2_945_600 - 1_605_632);
    assert_eq!(fast.memory_limit, full.memory_limit);
}

#[test]
fn open_counter_files_read_the_new_values_each_time_and_none_once_gone() {
    let dir = tempfile::tempdir().expect("temp dir");
    v1_root(dir.path(), &format!("docker/{ID}"), V1_LIMIT);
    let layout = CgroupRoot::detect(dir.path()).expect("v1 layout");
    let cgroup = layout.locate(ID).expect("the container's cgroup");
    let full = cgroup.read().expect("readable").expect("there");
    let open = cgroup.open_counters().expect("readable").expect("there");
    let first = open.read_counters(&full).expect("readable").expect("there");
    assert_eq!(first.cpu_usage_ns, full.cpu_usage_ns);
    assert_eq!(first.memory_used, full.memory_used);
    // The files change in place, as a cgroup's do: the open files read the new values.
    let cpu = dir.path().join("cpuacct").join(format!("docker/{ID}"));
    let memory = dir.path().join("memory").join(format!("docker/{ID}"));
    std::fs::write(cpu.join("cpuacct.usage"), "2965816404\n").expect("cpu");
    std::fs::write(memory.join("memory.usage_in_bytes"), "2945600\n").expect("usage");
    let next = open.read_counters(&full).expect("readable").expect("there");
    assert_eq!(next.cpu_usage_ns, 2_965_816_404);
    assert_eq!(
        next.memory_used,
        2_945_600 - 1_605_632,
        "page cache carried over"
    );
    assert_eq!(next.memory_limit, full.memory_limit);
    // The same as the path reads give.
    assert_eq!(
        cgroup
            .read_counters(&full)
            .expect("readable")
            .expect("there")
            .cpu_usage_ns,
        next.cpu_usage_ns
    );
    std::fs::write(cpu.join("cpuacct.usage"), "not a number\n").expect("cpu");
    assert!(open.read_counters(&full).is_err(), "malformed is an error");
    std::fs::remove_dir_all(&cpu).expect("gone");
    assert!(
        cgroup
            .open_counters()
            .expect("gone is not an error")
            .is_none()
    );
}
