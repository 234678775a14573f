//! The counters that tell an up-and-stuck container, read from files inside its cgroup (the
//! directory [`super::CgroupLayout::locate`] found): CPU throttling (`cpu.stat`: periods and
//! throttled periods since the cgroup was made) and the CPU limit (`cpu.cfs_quota_us` and
//! `cpu.cfs_period_us` on v1, `cpu.max` on v2); the pids controller (`pids.current`,
//! `pids.max`, and `pids.events`' `max`: forks refused); memory pressure (v1: `memory.failcnt`
//! and `memory.stat`'s `pgmajfault` and `swap`; v2: `memory.events`' `high` and `max`,
//! `memory.stat`'s `pgmajfault` and `pgscan`, `memory.swap.current`, and `memory.pressure`
//! where the kernel has it); and the processes in the cgroup (`cgroup.procs`). Each file is
//! optional: a controller that is not there leaves its part `None`. On v1 the controllers live
//! in hierarchies of their own: the `cpu` and `pids` directories are found beside the
//! `memory` one, at the same path below each hierarchy.

use std::io;
use std::path::{Path, PathBuf};

use super::{CgroupVersion, ContainerCgroup, keyed_value, read_optional};

/// CPU throttling counters since the cgroup was made, and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CpuThrottle {
    /// Enforcement periods that have elapsed (`nr_periods`).
    pub periods: u64,
    /// Periods in which the cgroup was throttled (`nr_throttled`).
    pub throttled: u64,
    /// Time spent throttled, in nanoseconds.
    pub throttled_ns: u64,
    /// The CPU limit in cores (`--cpus`); `None` without one.
    pub limit_cpus: Option<f64>,
}

/// The pids controller's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PidsCounters {
    pub current: u64,
    /// `None` for `max` (no limit).
    pub max: Option<u64>,
    /// Forks refused at the limit since the cgroup was made (`pids.events` `max`).
    pub refused: u64,
}

/// Memory counters that tell reclaim under a limit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemoryCounters {
    /// The usage counter (page cache included).
    pub usage: u64,
    /// `None` without a limit.
    pub limit: Option<u64>,
    /// Times the usage hit the limit (v1 `memory.failcnt`, v2 `memory.events` `max`).
    pub limit_hits: u64,
    /// Times the usage went over `memory.high` (v2 only).
    pub high_events: u64,
    /// Major page faults (`memory.stat` `pgmajfault`, or `total_pgmajfault` on v1).
    pub major_faults: u64,
    /// Swap in use, in bytes, where known.
    pub swap: Option<u64>,
    /// `memory.pressure`'s `some avg10`: percent of the last 10 s some task stalled on memory.
    pub pressure_some_avg10: Option<f64>,
}

/// What one reading of a container's cgroup says about being stuck.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CgroupVitals {
    pub cpu: Option<CpuThrottle>,
    pub pids: Option<PidsCounters>,
    pub memory: Option<MemoryCounters>,
    /// The processes in the cgroup (`cgroup.procs`), as the kernel lists them.
    pub procs: Vec<u32>,
}

/// v1 hierarchies the CPU controller's files may be in (mounted alone or with `cpuacct`).
pub(super) const V1_CPU: &[&str] = &["cpu", "cpu,cpuacct", "cpuacct,cpu"];

impl ContainerCgroup {
    /// The directory of `controllers` (the first present) for this container: the unified
    /// directory on v2; on v1 the same path below that controller's hierarchy, beside the
    /// `memory` one.
    pub(super) fn controller_dir(&self, controllers: &[&str]) -> Option<PathBuf> {
        if self.version == CgroupVersion::V2 {
            return Some(self.memory_dir.clone());
        }
        let hierarchy = self
            .memory_dir
            .ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "memory"))?;
        let rel = self.memory_dir.strip_prefix(hierarchy).ok()?;
        let root = hierarchy.parent()?;
        controllers
            .iter()
            .map(|c| root.join(c).join(rel))
            .find(|dir| dir.is_dir())
    }

    /// Reads the stuck counters now, once (see [`super::vitals_reader::VitalsReader`] for
    /// what is read). `Ok(None)` when the cgroup is gone.
    pub fn read_vitals(&self) -> io::Result<Option<CgroupVitals>> {
        match super::vitals_reader::VitalsReader::new(self, false)? {
            Some(mut reader) => reader.read(),
            None => Ok(None),
        }
    }
}

/// A file's text, `None` when it is not there (a controller not enabled, a kernel without it).
pub(super) fn optional(dir: &Path, file: &str) -> io::Result<Option<String>> {
    match read_optional(&dir.join(file)) {
        Ok(text) => Ok(text),
        // memory.pressure_level and friends answer EINVAL to a read; PSI may be off (EOPNOTSUPP).
        Err(e) if matches!(e.raw_os_error(), Some(22 | 95)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The CPU limit in cores: v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us`, v2 `cpu.max`.
pub(super) fn read_cpu_limit(version: CgroupVersion, dir: &Path) -> io::Result<Option<f64>> {
    Ok(match version {
        CgroupVersion::V1 => {
            let quota = optional(dir, "cpu.cfs_quota_us")?;
            let period = optional(dir, "cpu.cfs_period_us")?;
            quota.zip(period).and_then(|(q, p)| v1_limit(&q, &p))
        }
        CgroupVersion::V2 => optional(dir, "cpu.max")?.and_then(|t| parse_cpu_max(&t)),
    })
}

/// `cpu.stat` of either version: v1 counts `throttled_time` in ns, v2 `throttled_usec`.
pub fn parse_cpu_stat(text: &str, limit_cpus: Option<f64>) -> CpuThrottle {
    let throttled_ns = keyed_value(text, "throttled_time")
        .or_else(|| keyed_value(text, "throttled_usec").map(|us| us.saturating_mul(1_000)))
        .unwrap_or(0);
    CpuThrottle {
        periods: keyed_value(text, "nr_periods").unwrap_or(0),
        throttled: keyed_value(text, "nr_throttled").unwrap_or(0),
        throttled_ns,
        limit_cpus,
    }
}

/// v2 `cpu.max`: `QUOTA PERIOD` in µs, or `max PERIOD` without a limit.
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let quota: f64 = words.next()?.parse().ok()?;
    let period: f64 = words.next()?.parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// v1 `cpu.cfs_quota_us` (`-1` without a limit) over `cpu.cfs_period_us`.
fn v1_limit(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// `pids.current`, `pids.max` (`max` without a limit) and `pids.events` (`max N`).
pub fn parse_pids(current: &str, max: &str, events: &str) -> Option<PidsCounters> {
    Some(PidsCounters {
        current: current.trim().parse().ok()?,
        max: max.trim().parse().ok(),
        refused: keyed_value(events, "max").unwrap_or(0),
    })
}

pub(super) fn read_memory(
    version: CgroupVersion,
    dir: &Path,
) -> io::Result<Option<MemoryCounters>> {
    let (usage_file, limit_file) = match version {
        CgroupVersion::V1 => ("memory.usage_in_bytes", "memory.limit_in_bytes"),
        CgroupVersion::V2 => ("memory.current", "memory.max"),
    };
    let Some(usage) = optional(dir, usage_file)? else {
        return Ok(None);
    };
    let limit = optional(dir, limit_file)?.unwrap_or_default();
    let stat = optional(dir, "memory.stat")?.unwrap_or_default();
    let counters = match version {
        CgroupVersion::V1 => {
            let failcnt = optional(dir, "memory.failcnt")?.unwrap_or_default();
            parse_memory_v1(&usage, &limit, &failcnt, &stat)
        }
        CgroupVersion::V2 => {
            let events = optional(dir, "memory.events")?.unwrap_or_default();
            let swap = optional(dir, "memory.swap.current")?;
            let pressure = optional(dir, "memory.pressure")?;
            parse_memory_v2(
                &usage,
                &limit,
                &events,
                &stat,
                swap.as_deref(),
                pressure.as_deref(),
            )
        }
    };
    Ok(counters)
}

/// v1 memory counters from `memory.usage_in_bytes`, `memory.limit_in_bytes`,
/// `memory.failcnt` and `memory.stat`.
pub fn parse_memory_v1(
    usage: &str,
    limit: &str,
    failcnt: &str,
    stat: &str,
) -> Option<MemoryCounters> {
    let keyed = |k: &str| keyed_value(stat, &format!("total_{k}")).or(keyed_value(stat, k));
    Some(MemoryCounters {
        usage: usage.trim().parse().ok()?,
        limit: memory_limit(CgroupVersion::V1, limit),
        limit_hits: failcnt.trim().parse().unwrap_or(0),
        high_events: 0,
        major_faults: keyed("pgmajfault").unwrap_or(0),
        swap: keyed("swap"),
        pressure_some_avg10: None,
    })
}

/// v2 memory counters from `memory.current`, `memory.max`, `memory.events`, `memory.stat`,
/// `memory.swap.current` and `memory.pressure` (the last two where present).
pub fn parse_memory_v2(
    current: &str,
    max: &str,
    events: &str,
    stat: &str,
    swap: Option<&str>,
    pressure: Option<&str>,
) -> Option<MemoryCounters> {
    Some(MemoryCounters {
        usage: current.trim().parse().ok()?,
        limit: memory_limit(CgroupVersion::V2, max),
        limit_hits: keyed_value(events, "max").unwrap_or(0),
        high_events: keyed_value(events, "high").unwrap_or(0),
        major_faults: keyed_value(stat, "pgmajfault").unwrap_or(0),
        swap: swap.and_then(|s| s.trim().parse().ok()),
        pressure_some_avg10: pressure.and_then(parse_pressure_some_avg10),
    })
}

/// A memory limit file's text (`memory.limit_in_bytes`, `memory.max`) as a limit: `None`
/// for none (v2 `max`, v1's near-2^63 figure).
pub(super) fn memory_limit(version: CgroupVersion, text: &str) -> Option<u64> {
    let limit: u64 = text.trim().parse().ok().filter(|l| *l > 0)?;
    match version {
        CgroupVersion::V1 => (limit < super::V1_UNLIMITED).then_some(limit),
        CgroupVersion::V2 => Some(limit),
    }
}

/// `some avg10=12.34 avg60=... total=...` → 12.34.
pub fn parse_pressure_some_avg10(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("avg10="))?
        .parse()
        .ok()
}

/// `cgroup.procs`: one pid a line.
pub fn parse_procs(text: &str) -> Vec<u32> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

#[cfg(test)]
#[path = "vitals_tests.rs"]
mod tests;
