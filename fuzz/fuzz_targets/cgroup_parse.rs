//! The cgroup and /proc readers on arbitrary file contents: `engine::cgroup_stats` (the layout
//! detection, a container's counters from `cpuacct.usage` / `cpu.stat`, `memory.usage_in_bytes`
//! / `memory.current`, `memory.stat`, `memory.limit_in_bytes` / `memory.max`, and `MemTotal` of
//! `/proc/meminfo` from the sampler), and `gpu::cgroup` (`/proc/PID/cgroup` → container,
//! `NSpid` of `/proc/PID/status`, `/proc/PID/cmdline`).
//!
//! Input: `[flags] part\0part\0...`. `flags` bit 0: cgroup v2 (else v1), bit 1: the systemd
//! driver's paths (else cgroupfs). The parts, in order: the CPU counter file, the memory usage
//! file, `memory.stat`, the limit file, `/proc/PID/cgroup`, `/proc/PID/status` (also read as
//! `/proc/meminfo` and as `cmdline`). A missing part is a missing file (a cgroup that went away).
//! The files are written, as raw bytes, under a directory of the temp dir laid out as
//! `/sys/fs/cgroup` and `/proc` are, and read back through the crate's public functions.
//!
//! What must hold: nothing panics; a sample's memory in use is at most its usage counter; a
//! limit is never 0 (nor "unlimited" on v1); the counter-only read carries the limit over; CPU
//! percent is finite and not negative; all four files there never reads as "cgroup gone"; only
//! the container's own full hex id locates a cgroup (no path from the input is ever followed);
//! `container_of` answers only a 64-hex token of the text that `known` accepts.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fleetdeck::engine::cgroup_stats::{
    CgroupRoot, CgroupVersion, cpu_percent, memory_used, parse_mem_total,
};
use fleetdeck::gpu::cgroup::{command_line, container_of, namespace_pid, read_cgroup};
use libfuzzer_sys::fuzz_target;

const ID: &str = "42f9b9f79b97de446310d168a7d03e5b78c3bc98783bc1573081fabec351e93e";
const PID: u32 = 4242;
/// A v1 limit at or above this is "no limit" (the reader's own bound).
const V1_UNLIMITED: u64 = 1 << 62;

/// One temp directory per fuzzing process, with four cgroup roots (v1/v2 × cgroupfs/systemd)
/// and a `/proc`.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let base =
            std::env::temp_dir().join(format!("fleetdeck-fuzz-cgroup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for v2 in [false, true] {
            for systemd in [false, true] {
                make_root(&root(&base, v2, systemd), v2, systemd);
            }
        }
        std::fs::create_dir_all(proc_dir(&base)).expect("proc dir");
        base
    })
}

fn root(base: &Path, v2: bool, systemd: bool) -> PathBuf {
    base.join(format!("cg-{}-{}", u8::from(v2), u8::from(systemd)))
}

fn proc_dir(base: &Path) -> PathBuf {
    base.join("proc").join(PID.to_string())
}

fn relative(systemd: bool) -> PathBuf {
    if systemd {
        Path::new("system.slice").join(format!("docker-{ID}.scope"))
    } else {
        Path::new("docker").join(ID)
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("write");
}

fn make_root(root: &Path, v2: bool, systemd: bool) {
    let rel = relative(systemd);
    if v2 {
        write(
            &root.join("cgroup.controllers"),
            "cpuset cpu io memory pids\n",
        );
        std::fs::create_dir_all(root.join(&rel)).expect("container dir");
    } else {
        write(&root.join("cpuacct/cpuacct.usage"), "99\n");
        write(&root.join("memory/memory.usage_in_bytes"), "1\n");
        std::fs::create_dir_all(root.join("cpuacct").join(&rel)).expect("cpu dir");
        std::fs::create_dir_all(root.join("memory").join(&rel)).expect("memory dir");
    }
}

/// The container's four files, in the order of the input's parts.
fn container_files(base: &Path, v2: bool, systemd: bool) -> [PathBuf; 4] {
    let root = root(base, v2, systemd);
    let rel = relative(systemd);
    if v2 {
        let dir = root.join(rel);
        [
            dir.join("cpu.stat"),
            dir.join("memory.current"),
            dir.join("memory.stat"),
            dir.join("memory.max"),
        ]
    } else {
        let cpu = root.join("cpuacct").join(&rel);
        let mem = root.join("memory").join(&rel);
        [
            cpu.join("cpuacct.usage"),
            mem.join("memory.usage_in_bytes"),
            mem.join("memory.stat"),
            mem.join("memory.limit_in_bytes"),
        ]
    }
}

fn put(path: &Path, part: Option<&[u8]>) {
    match part {
        Some(bytes) => std::fs::write(path, bytes).expect("write"),
        None => match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {}: {e}", path.display()),
        },
    }
}

fn is_full_id(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The pure parsers, on the text of the parts.
fn check_text(parts: &[Option<&[u8]>; 6]) {
    let text = |i: usize| parts[i].map(String::from_utf8_lossy).unwrap_or_default();
    let usage: u64 = text(1).trim().parse().unwrap_or(u64::MAX);
    for u in [usage, 0, u64::MAX] {
        assert!(memory_used(u, &text(2)) <= u);
    }
    if let Some(bytes) = parse_mem_total(&text(5)) {
        assert_eq!(bytes % 1024, 0);
        assert!(text(5).contains("MemTotal:"));
    }
    let cgroup = text(4);
    assert_eq!(container_of(&cgroup, |_| false), None);
    if let Some(id) = container_of(&cgroup, |_| true) {
        assert!(is_full_id(&id), "{id:?}");
        assert!(cgroup.contains(id.as_str()));
        let only = id.clone();
        assert_eq!(
            container_of(&cgroup, |k| k == only).as_deref(),
            Some(id.as_str())
        );
    }
    if let Some(id) = container_of(&cgroup, |k| k.starts_with('a')) {
        assert!(id.starts_with('a'));
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let v2 = flags & 1 != 0;
    let systemd = flags & 2 != 0;
    let mut parts: [Option<&[u8]>; 6] = [None; 6];
    for (slot, part) in parts.iter_mut().zip(rest.split(|b| *b == 0)) {
        *slot = Some(part);
    }
    check_text(&parts);

    let base = base();
    let files = container_files(base, v2, systemd);
    for (path, part) in files.iter().zip(parts) {
        put(path, part);
    }
    let layout = CgroupRoot::detect(&root(base, v2, systemd)).expect("the laid-out root");
    let version = if v2 {
        CgroupVersion::V2
    } else {
        CgroupVersion::V1
    };
    assert_eq!(layout.version, version);
    // Only the container's own id finds a cgroup: a path in the input never does.
    let asked = parts[4].map(String::from_utf8_lossy).unwrap_or_default();
    for id in [asked.as_ref(), asked.trim(), "..", "../..", ""] {
        if id != ID {
            assert_eq!(layout.locate(id), None, "{id:?}");
        }
    }
    let cgroup = layout.locate(ID).expect("the container's cgroup");
    match layout.read(ID) {
        Ok(Some(sample)) => {
            assert!(sample.memory_used <= sample.memory_usage, "{sample:?}");
            assert_ne!(sample.memory_limit, Some(0));
            if !v2 {
                assert!(sample.memory_limit.is_none_or(|l| l < V1_UNLIMITED));
            }
            if let Ok(Some(next)) = cgroup.read_counters(&sample) {
                assert!(next.memory_used <= next.memory_usage, "{next:?}");
                assert_eq!(next.memory_limit, sample.memory_limit);
                assert_eq!(next.cpu_usage_ns, sample.cpu_usage_ns);
                let pct = cpu_percent(&sample, &next);
                assert!(pct.is_finite() && pct >= 0.0, "{pct}");
                let back = cpu_percent(&next, &sample);
                assert!(back.is_finite() && back >= 0.0, "{back}");
            }
        }
        Ok(None) => assert!(
            parts[..4].iter().any(Option::is_none),
            "all four files there, read as gone"
        ),
        Err(_) => {}
    }

    // /proc/PID/{cgroup,status,cmdline}.
    let proc_root = base.join("proc");
    let dir = proc_dir(base);
    put(&dir.join("cgroup"), parts[4]);
    put(&dir.join("status"), parts[5]);
    put(&dir.join("cmdline"), parts[5]);
    match read_cgroup(&proc_root, PID) {
        Ok(Some(text)) => assert_eq!(Some(text.as_bytes()), parts[4]),
        Ok(None) => assert!(parts[4].is_none()),
        Err(_) => assert!(parts[4].is_some_and(|p| std::str::from_utf8(p).is_err())),
    }
    if namespace_pid(&proc_root, PID).is_some() {
        assert!(parts[5].is_some_and(|p| p.windows(6).any(|w| w == b"NSpid:")));
    }
    if let Some(line) = command_line(&proc_root, PID) {
        assert!(!line.is_empty());
        assert!(parts[5].is_some());
    }
});
