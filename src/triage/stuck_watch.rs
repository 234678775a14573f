//! What the stuck rules read besides the container: [`Observations`], made from readings of
//! the containers' vitals ([`Vitals`]: cgroup counters and process states) by a
//! [`StuckWatch`], plus the daemon calls that hung for one container and the last log line
//! of the containers whose logs are followed. The watch keeps, per running container, the
//! readings of the last window (bounded), and since when each process has been seen stopped or
//! in `D`; it is pure (fed readings, asked at a time), so the console, the keeper and a single
//! `triage` (two readings a second apart) use the same one.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::engine::ContainerId;
use crate::engine::cgroup_stats::vitals::{CpuThrottle, MemoryCounters, PidsCounters};
use crate::engine::procs::{self, ProcState};
use crate::engine::vitals::Vitals;

/// Readings kept per container, whatever the interval: the window's, bounded.
const READINGS_KEPT: usize = 64;
/// Fewer enforcement periods than this between two readings tell nothing about throttling.
const MIN_PERIODS: u64 = 5;

/// CPU throttling as seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// Percent of periods throttled over `span_s`, or since the container started (`None`).
    pub pct: f64,
    /// The window's length in seconds; `None` when the watch is younger than the window and
    /// `pct` counts since the cgroup was made.
    pub span_s: Option<i64>,
    /// Percent of periods throttled between the last two readings.
    pub recent_pct: f64,
    /// The CPU limit in cores.
    pub limit_cpus: Option<f64>,
}

/// A process (the main one, or the first of most) stopped or in `D`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    pub process: ProcState,
    /// Whether it is the container's main process.
    pub main: bool,
    /// How many of the processes read are stopped or in `D`, and how many were read.
    pub stuck: usize,
    pub total: usize,
    /// When it was first seen so.
    pub since: DateTime<Utc>,
}

/// Memory counters, with what moved over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemorySeen {
    pub counters: MemoryCounters,
    /// Limit hits and major faults over the window (since the first reading kept).
    pub limit_hits: u64,
    pub major_faults: u64,
    pub span_s: i64,
}

/// A daemon call about one container that ran out its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HungCall {
    /// What was asked: "stop", "exec", "inspect".
    pub call: String,
    pub at: DateTime<Utc>,
}

/// What was observed of one container.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    pub throttle: Option<Throttle>,
    pub stopped: Option<Stopped>,
    pub pids: Option<PidsCounters>,
    pub memory: Option<MemorySeen>,
}

/// Everything the stuck rules read besides the containers; empty where nothing was observed
/// (a remote daemon: no vitals).
#[derive(Debug, Clone, Default)]
pub struct Observations {
    pub containers: HashMap<ContainerId, Observed>,
    /// The last daemon call that hung per container.
    pub hung: HashMap<ContainerId, HungCall>,
    /// The containers whose logs are followed, and when each last wrote a line (`None`: none
    /// since followed).
    pub last_log: HashMap<ContainerId, Option<DateTime<Utc>>>,
}

/// Per container: the window's readings and the processes seen stuck.
#[derive(Debug, Clone, Default)]
struct Watched {
    readings: VecDeque<(DateTime<Utc>, Option<CpuThrottle>, Option<MemoryCounters>)>,
    latest: Option<Vitals>,
    /// pid → (state, first seen so, readings in a row).
    stuck_since: HashMap<u32, (char, DateTime<Utc>, u32)>,
}

/// Readings of the running containers over the last window.
#[derive(Debug, Clone, Default)]
pub struct StuckWatch {
    per: HashMap<ContainerId, Watched>,
}

impl StuckWatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many containers are watched.
    pub fn len(&self) -> usize {
        self.per.len()
    }

    pub fn is_empty(&self) -> bool {
        self.per.is_empty()
    }

    /// Takes one reading in, keeping the readings of the last `window_s` (and the one just
    /// before it, the window's start).
    pub fn observe(&mut self, v: Vitals, window_s: i64) {
        let w = self.per.entry(v.id.clone()).or_default();
        let from = v.at - Duration::seconds(window_s);
        w.readings.push_back((v.at, v.cgroup.cpu, v.cgroup.memory));
        while w.readings.len() > READINGS_KEPT
            || w.readings.get(1).is_some_and(|(t, _, _)| *t <= from)
        {
            w.readings.pop_front();
        }
        let mut seen = HashMap::new();
        for p in v.processes.iter().filter(|p| p.is_stuck()) {
            let entry = match w.stuck_since.get(&p.pid) {
                Some((state, first, n)) if *state == p.state => (*state, *first, n + 1),
                _ => (p.state, v.at, 1),
            };
            seen.insert(p.pid, entry);
        }
        w.stuck_since = seen;
        w.latest = Some(v);
    }

    /// Forgets the containers `keep` says no to (no longer running).
    pub fn retain(&mut self, keep: impl Fn(&ContainerId) -> bool) {
        self.per.retain(|id, _| keep(id));
    }

    /// What the watch saw of each container.
    pub fn observed(&self) -> HashMap<ContainerId, Observed> {
        self.per
            .iter()
            .filter_map(|(id, w)| Some((id.clone(), w.observed()?)))
            .collect()
    }
}

impl Watched {
    fn observed(&self) -> Option<Observed> {
        let latest = self.latest.as_ref()?;
        Some(Observed {
            throttle: self.throttle(),
            stopped: self.stopped(latest),
            pids: latest.cgroup.pids,
            memory: self.memory(),
        })
    }

    fn throttle(&self) -> Option<Throttle> {
        let cpu: Vec<(DateTime<Utc>, CpuThrottle)> = self
            .readings
            .iter()
            .filter_map(|(t, c, _)| Some((*t, (*c)?)))
            .collect();
        let (_, last) = *cpu.last()?;
        let ratio = |periods: u64, throttled: u64| {
            (periods >= MIN_PERIODS).then(|| throttled as f64 * 100.0 / periods as f64)
        };
        let recent_pct = match cpu.len() {
            0 | 1 => ratio(last.periods, last.throttled)?,
            n => {
                let prev = cpu[n - 2].1;
                ratio(
                    last.periods.saturating_sub(prev.periods),
                    last.throttled.saturating_sub(prev.throttled),
                )?
            }
        };
        let (first_at, first) = cpu[0];
        let span = (cpu[cpu.len() - 1].0 - first_at).num_seconds();
        // A window's worth of readings: its own figure; younger, the counters since the cgroup
        // was made (a single triage: the container's life and one short sample).
        let (pct, span_s) = match ratio(
            last.periods.saturating_sub(first.periods),
            last.throttled.saturating_sub(first.throttled),
        ) {
            Some(pct) if span >= 50 => (pct, Some(span)),
            _ => (ratio(last.periods, last.throttled)?, None),
        };
        Some(Throttle {
            pct,
            span_s,
            recent_pct,
            limit_cpus: last.limit_cpus,
        })
    }

    fn stopped(&self, latest: &Vitals) -> Option<Stopped> {
        // Seen so in two readings in a row: not a process caught between two states.
        let stuck: Vec<&ProcState> = latest
            .processes
            .iter()
            .filter(|p| {
                self.stuck_since
                    .get(&p.pid)
                    .is_some_and(|(_, _, n)| *n >= 2)
            })
            .collect();
        let first = *stuck.first()?;
        let main = procs::main_process(&latest.processes);
        let main_stuck = main.filter(|m| stuck.iter().any(|p| p.pid == m.pid));
        let total = latest.processes.len();
        let (process, is_main) = match main_stuck {
            Some(m) => (m, true),
            None if stuck.len() * 2 > total => (first, false),
            None => return None,
        };
        let since = self.stuck_since.get(&process.pid)?.1;
        Some(Stopped {
            process: process.clone(),
            main: is_main,
            stuck: stuck.len(),
            total,
            since,
        })
    }

    fn memory(&self) -> Option<MemorySeen> {
        let (last_at, _, last) = self.readings.back()?;
        let last = (*last)?;
        let (first_at, first) = self
            .readings
            .iter()
            .find_map(|(t, _, m)| Some((*t, (*m)?)))?;
        Some(MemorySeen {
            counters: last,
            limit_hits: last.limit_hits.saturating_sub(first.limit_hits),
            major_faults: last.major_faults.saturating_sub(first.major_faults),
            span_s: (*last_at - first_at).num_seconds(),
        })
    }
}

#[cfg(test)]
#[path = "stuck_watch_tests.rs"]
mod tests;
