//! CPU and memory of a container read straight from its cgroup files, for a daemon on this
//! machine: no stats stream, no work for dockerd. [`CgroupRoot::detect`] tells the cgroup
//! version (v1 or v2) and the daemon's cgroup driver (cgroupfs: `docker/<id>`, systemd:
//! `system.slice/docker-<id>.scope`); [`CgroupLayout::read`] reads one container's counters
//! into a [`RawSample`], and [`cpu_percent`] turns two samples into the percent of ONE core
//! that `docker stats` (and [`super::stats`]) shows. Podman's containers are found too, in its
//! own places or by a bounded walk ([`find`]). Memory in use is computed exactly as
//! [`super::stats::memory_used`] does from the same `memory.stat` keys, so the console shows
//! the same figures whichever source it uses. The [`sampler`] reads every running container
//! once per interval on a thread of its own.

pub mod find;
pub mod sampler;
pub mod vitals;
pub mod vitals_reader;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use sampler::{CgroupSampler, host_memory, parse_mem_total, spawn_sampler};

/// Where Linux mounts the cgroup hierarchy.
pub const DEFAULT_ROOT: &str = "/sys/fs/cgroup";

/// A v1 memory limit at or above this is "no limit" (the kernel writes `PAGE_COUNTER_MAX`
/// pages, 9223372036854771712 bytes with 4 KiB pages).
const V1_UNLIMITED: u64 = 1 << 62;

/// The cgroup hierarchy in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One hierarchy per controller (`cpuacct/`, `memory/`), also in hybrid mode.
    V1,
    /// The unified hierarchy.
    V2,
}

/// Where the daemon puts a container's cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupDriver {
    /// `docker/<full id>` (Docker's default on cgroup v1).
    Cgroupfs,
    /// `system.slice/docker-<full id>.scope` (Docker's default on cgroup v2 with systemd).
    Systemd,
}

impl CgroupDriver {
    fn other(self) -> Self {
        match self {
            Self::Cgroupfs => Self::Systemd,
            Self::Systemd => Self::Cgroupfs,
        }
    }

    /// The container's cgroup below a hierarchy's root.
    fn relative(self, id: &str) -> PathBuf {
        match self {
            Self::Cgroupfs => Path::new("docker").join(id),
            Self::Systemd => Path::new("system.slice").join(format!("docker-{id}.scope")),
        }
    }
}

/// A detected cgroup layout: the version, the driver, and the hierarchies CPU and memory
/// counters are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLayout {
    /// The mount point given to [`CgroupRoot::detect`] (`/sys/fs/cgroup`).
    pub root: PathBuf,
    pub version: CgroupVersion,
    /// The driver the daemon appears to use; the other driver's path is tried too.
    pub driver: CgroupDriver,
    /// Where the CPU counters live: the `cpuacct` hierarchy (v1) or the root (v2).
    cpu_hierarchy: PathBuf,
    /// Where the memory counters live: the `memory` hierarchy (v1) or the root (v2).
    memory_hierarchy: PathBuf,
}

/// Detection of the cgroup layout under a mount point.
#[derive(Debug, Clone, Copy)]
pub struct CgroupRoot;

impl CgroupRoot {
    /// Detects the layout under `root` (`/sys/fs/cgroup`, or a test directory). `None` when
    /// neither a v2 root with the memory controller nor v1 `cpuacct` and `memory` hierarchies
    /// are there (not Linux, a container without its cgroups mounted).
    pub fn detect(root: &Path) -> Option<CgroupLayout> {
        let controllers = root.join("cgroup.controllers");
        if controllers.is_file() {
            let text = std::fs::read_to_string(&controllers).ok()?;
            if !text.split_whitespace().any(|c| c == "memory") {
                return None;
            }
            // Docker on v2 defaults to the systemd driver when systemd runs; a `docker`
            // directory means the cgroupfs driver.
            let driver = if root.join("docker").is_dir() || !root.join("system.slice").is_dir() {
                CgroupDriver::Cgroupfs
            } else {
                CgroupDriver::Systemd
            };
            return Some(CgroupLayout {
                root: root.to_path_buf(),
                version: CgroupVersion::V2,
                driver,
                cpu_hierarchy: root.to_path_buf(),
                memory_hierarchy: root.to_path_buf(),
            });
        }
        let memory = root.join("memory");
        let cpu = ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"]
            .iter()
            .map(|name| root.join(name))
            .find(|dir| dir.join("cpuacct.usage").is_file())?;
        if !memory.join("memory.usage_in_bytes").is_file() {
            return None;
        }
        // Docker on v1 defaults to cgroupfs even under systemd: systemd only when one of its
        // scopes is there and no `docker` directory is.
        let driver = if !memory.join("docker").is_dir() && has_docker_scope(&memory) {
            CgroupDriver::Systemd
        } else {
            CgroupDriver::Cgroupfs
        };
        Some(CgroupLayout {
            root: root.to_path_buf(),
            version: CgroupVersion::V1,
            driver,
            cpu_hierarchy: cpu,
            memory_hierarchy: memory,
        })
    }
}

fn has_docker_scope(hierarchy: &Path) -> bool {
    std::fs::read_dir(hierarchy.join("system.slice")).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("docker-") && name.ends_with(".scope")
        })
    })
}

/// Whether the daemon at `address` (an [`super::Endpoint`]'s) runs on this machine, as far
/// as the cgroup files can tell: a `unix://` socket and a readable `root`.
pub fn is_local(address: &str, root: &Path) -> bool {
    address.starts_with("unix://") && std::fs::read_dir(root).is_ok()
}

/// The layout to read stats from for the daemon at `address`: `None` for a remote daemon or
/// unreadable cgroup files (then the stats API streams are the source). A daemon in a VM
/// behind a local socket (Docker Desktop) passes this test but its containers' cgroups are
/// not here: [`CgroupLayout::read`] answers `Ok(None)` for a running container then.
pub fn local_layout(address: &str, root: &Path) -> Option<CgroupLayout> {
    is_local(address, root)
        .then(|| CgroupRoot::detect(root))
        .flatten()
}

impl fmt::Display for CgroupLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = match self.version {
            CgroupVersion::V1 => "v1",
            CgroupVersion::V2 => "v2",
        };
        let driver = match self.driver {
            CgroupDriver::Cgroupfs => "cgroupfs",
            CgroupDriver::Systemd => "systemd",
        };
        write!(
            f,
            "cgroup {version} ({driver} driver) at {}",
            self.root.display()
        )
    }
}

/// One container's counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawSample {
    /// When the CPU counter was read.
    pub at: Instant,
    /// CPU time used since the cgroup was made, in nanoseconds (all cores together).
    pub cpu_usage_ns: u64,
    /// Memory in use without the inactive page cache, as [`super::stats::memory_used`].
    pub memory_used: u64,
    /// The memory usage counter itself (page cache included).
    pub memory_usage: u64,
    /// The memory limit; `None` when the container has none.
    pub memory_limit: Option<u64>,
}

/// CPU between two samples of one container, in percent of ONE core (200 % is two cores
/// busy), the unit of [`super::stats::cpu_percent`]. 0 when the wall time did not advance or
/// the counter went back (the cgroup was made anew: a restart).
pub fn cpu_percent(prev: &RawSample, next: &RawSample) -> f64 {
    let wall = next.at.saturating_duration_since(prev.at).as_nanos();
    if wall == 0 {
        return 0.0;
    }
    let used = next.cpu_usage_ns.saturating_sub(prev.cpu_usage_ns);
    used as f64 / wall as f64 * 100.0
}

impl CgroupLayout {
    /// Finds a container's cgroup (the detected driver's path first, then the other's).
    /// `None` when it is not there (a stopped container, a daemon elsewhere) or `id` is not a
    /// full hexadecimal id.
    /// Podman's two places come next ([`find::candidates`]); anywhere else takes a
    /// [`find::Finder`].
    pub fn locate(&self, id: &str) -> Option<ContainerCgroup> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        [self.driver, self.driver.other()]
            .into_iter()
            .map(|driver| driver.relative(id))
            .chain(find::candidates(id))
            .find_map(|rel| self.at(&rel))
    }

    /// The container cgroup at `rel` below the hierarchies' roots, when it is there.
    pub fn at(&self, rel: &Path) -> Option<ContainerCgroup> {
        self.cpu_hierarchy
            .join(rel)
            .is_dir()
            .then(|| ContainerCgroup {
                version: self.version,
                cpu_dir: self.cpu_hierarchy.join(rel),
                memory_dir: self.memory_hierarchy.join(rel),
            })
    }

    /// The root of the hierarchy the CPU counters are read in (the one [`find::walk`] walks).
    pub fn cpu_root(&self) -> &Path {
        &self.cpu_hierarchy
    }

    /// Reads a container's counters now. `Ok(None)` when its cgroup is gone (or was never
    /// here); an error for files that are there but unreadable or malformed.
    pub fn read(&self, id: &str) -> io::Result<Option<RawSample>> {
        match self.locate(id) {
            Some(cgroup) => cgroup.read(),
            None => Ok(None),
        }
    }
}

/// One container's located cgroup directories, kept to read it again without a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCgroup {
    version: CgroupVersion,
    cpu_dir: PathBuf,
    memory_dir: PathBuf,
}

impl ContainerCgroup {
    /// The directory the CPU counters are read in.
    pub fn cpu_dir(&self) -> &Path {
        &self.cpu_dir
    }

    /// Reads the counters: four small files. `Ok(None)` when the cgroup is gone.
    pub fn read(&self) -> io::Result<Option<RawSample>> {
        let limit_file = match self.version {
            CgroupVersion::V1 => "memory.limit_in_bytes",
            CgroupVersion::V2 => "memory.max",
        };
        let Some((at, cpu_usage_ns, usage)) = self.counters()? else {
            return Ok(None);
        };
        let Some(stat) = read_optional(&self.memory_dir.join("memory.stat"))? else {
            return Ok(None);
        };
        let Some(limit) = read_optional(&self.memory_dir.join(limit_file))? else {
            return Ok(None);
        };
        let memory_limit = match self.version {
            CgroupVersion::V1 => {
                Some(parse_number(&limit, limit_file)?).filter(|l| *l > 0 && *l < V1_UNLIMITED)
            }
            CgroupVersion::V2 if limit.trim() == "max" => None,
            CgroupVersion::V2 => Some(parse_number(&limit, limit_file)?).filter(|l| *l > 0),
        };
        Ok(Some(RawSample {
            at,
            cpu_usage_ns,
            memory_used: memory_used(usage, &stat),
            memory_usage: usage,
            memory_limit,
        }))
    }

    /// The CPU and memory counters only (two small files), with the page cache and the limit
    /// carried over from `previous` (a [`Self::read`] a few seconds ago): the sampler reads
    /// `memory.stat` and the limit less often than the counters that move every second.
    pub fn read_counters(&self, previous: &RawSample) -> io::Result<Option<RawSample>> {
        let Some((at, cpu_usage_ns, usage)) = self.counters()? else {
            return Ok(None);
        };
        Ok(Some(carried_over(previous, at, cpu_usage_ns, usage)))
    }

    /// The two counters every read needs: when, CPU nanoseconds, memory usage (page cache
    /// included). `None` when the cgroup is gone.
    fn counters(&self) -> io::Result<Option<(Instant, u64, u64)>> {
        let (cpu_file, usage_file) = counter_files(self.version);
        let at = Instant::now();
        let Some(cpu) = read_optional(&self.cpu_dir.join(cpu_file))? else {
            return Ok(None);
        };
        let Some(usage) = read_optional(&self.memory_dir.join(usage_file))? else {
            return Ok(None);
        };
        parse_counters(self.version, at, &cpu, &usage).map(Some)
    }

    /// Opens the two counter files to read them again and again ([`OpenCounters`]). `None`
    /// when the cgroup is gone.
    pub fn open_counters(&self) -> io::Result<Option<OpenCounters>> {
        let (cpu_file, usage_file) = counter_files(self.version);
        let Some(cpu) = open_optional(&self.cpu_dir.join(cpu_file))? else {
            return Ok(None);
        };
        let Some(usage) = open_optional(&self.memory_dir.join(usage_file))? else {
            return Ok(None);
        };
        Ok(Some(OpenCounters {
            version: self.version,
            cpu,
            usage,
        }))
    }
}

/// A container's two counter files, kept open: a counter reading is then one `pread` at
/// offset 0 per file (a cgroup file's text is made anew by each read from its start) instead of
/// an open, a stat, two reads and a close — most of what the console costs at idle over a few
/// hundred running containers. Two file descriptors each: the sampler keeps a bounded number.
#[derive(Debug)]
pub struct OpenCounters {
    version: CgroupVersion,
    cpu: std::fs::File,
    usage: std::fs::File,
}

impl OpenCounters {
    /// As [`ContainerCgroup::read_counters`], from the open files. `None` when the cgroup is
    /// gone (its files then answer `ENODEV`).
    pub fn read_counters(&self, previous: &RawSample) -> io::Result<Option<RawSample>> {
        let mut cpu_buf = [0u8; 512];
        let mut usage_buf = [0u8; 64];
        let at = Instant::now();
        let Some(cpu) = pread_optional(&self.cpu, &mut cpu_buf)? else {
            return Ok(None);
        };
        let Some(usage) = pread_optional(&self.usage, &mut usage_buf)? else {
            return Ok(None);
        };
        let (at, cpu_usage_ns, usage) = parse_counters(self.version, at, cpu, usage)?;
        Ok(Some(carried_over(previous, at, cpu_usage_ns, usage)))
    }
}

/// The CPU and memory-usage files of a cgroup version.
fn counter_files(version: CgroupVersion) -> (&'static str, &'static str) {
    match version {
        CgroupVersion::V1 => ("cpuacct.usage", "memory.usage_in_bytes"),
        CgroupVersion::V2 => ("cpu.stat", "memory.current"),
    }
}

fn parse_counters(
    version: CgroupVersion,
    at: Instant,
    cpu: &str,
    usage: &str,
) -> io::Result<(Instant, u64, u64)> {
    let (cpu_file, usage_file) = counter_files(version);
    let cpu_usage_ns = match version {
        CgroupVersion::V1 => parse_number(cpu, cpu_file)?,
        CgroupVersion::V2 => keyed_value(cpu, "usage_usec")
            .ok_or_else(|| malformed("cpu.stat without usage_usec"))?
            .saturating_mul(1_000),
    };
    Ok((at, cpu_usage_ns, parse_number(usage, usage_file)?))
}

/// A counter reading with the page cache and the limit of the last full one.
fn carried_over(previous: &RawSample, at: Instant, cpu_usage_ns: u64, usage: u64) -> RawSample {
    let cache = previous.memory_usage.saturating_sub(previous.memory_used);
    RawSample {
        at,
        cpu_usage_ns,
        memory_used: usage.saturating_sub(cache),
        memory_usage: usage,
        memory_limit: previous.memory_limit,
    }
}

/// Memory in use from the usage counter and the text of `memory.stat`: exactly
/// [`super::stats::memory_used`] (whose `stats` map is this file's keys, as the daemon passes
/// them on): `usage` minus the first of `inactive_file`, `total_inactive_file`, `cache` there.
pub fn memory_used(usage: u64, memory_stat: &str) -> u64 {
    let mut inactive_file = None;
    let mut total_inactive_file = None;
    let mut cache = None;
    for (key, value) in memory_stat.lines().filter_map(split_keyed) {
        match key {
            "inactive_file" => inactive_file = Some(value),
            "total_inactive_file" => total_inactive_file = Some(value),
            "cache" => cache = Some(value),
            _ => {}
        }
    }
    let cached = inactive_file.or(total_inactive_file).or(cache);
    usage.saturating_sub(cached.unwrap_or(0))
}

/// A `key value` line of a flat keyed file (`cpu.stat`, `memory.stat`).
fn split_keyed(line: &str) -> Option<(&str, u64)> {
    let (key, value) = line.split_once(' ')?;
    Some((key, value.trim().parse().ok()?))
}

fn keyed_value(text: &str, wanted: &str) -> Option<u64> {
    text.lines()
        .filter_map(split_keyed)
        .find_map(|(key, value)| (key == wanted).then_some(value))
}

fn parse_number(text: &str, file: &str) -> io::Result<u64> {
    text.trim()
        .parse()
        .map_err(|_| malformed(&format!("{file} is not a number: {:?}", text.trim())))
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Whether an error says the cgroup is gone: no such file, or `ENODEV` from a cgroup removed
/// while it was being read (or while its file was open).
fn is_gone(e: &io::Error) -> bool {
    const ENODEV: i32 = 19;
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(ENODEV)
}

/// Reads a cgroup file; `Ok(None)` when the cgroup is gone.
fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens a cgroup file; `Ok(None)` when the cgroup is gone.
fn open_optional(path: &Path) -> io::Result<Option<std::fs::File>> {
    match std::fs::File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads an open cgroup file again from its start into `buf` (one `pread`: a cgroup file's
/// text comes whole in one read when it fits); `Ok(None)` when the cgroup is gone.
fn pread_optional<'a>(file: &std::fs::File, buf: &'a mut [u8]) -> io::Result<Option<&'a str>> {
    use std::os::unix::fs::FileExt;
    let n = match file.read_at(buf, 0) {
        Ok(n) => n,
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    if n == buf.len() {
        return Err(malformed("a counter file longer than expected"));
    }
    std::str::from_utf8(&buf[..n])
        .map(Some)
        .map_err(|_| malformed("a counter file that is not text"))
}

#[cfg(test)]
mod tests;
