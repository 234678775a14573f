//! The cgroup sampler: a thread of its own that reads every running container's cgroup once
//! per interval and sends an owned [`StatsSample`] (the type the stats streams send) over a
//! bounded channel; a full channel drops the sample, the next one is an interval away. The
//! console tells it the running containers with [`CgroupSampler::set_running`] (a message, no
//! lock shared with the loop). It costs four small file reads per running container per
//! interval, and nothing at all while none runs: the thread then sleeps until told otherwise.
//! What it keeps per container goes when the container leaves the running set. A container
//! without a memory limit reports the host's memory as its limit, as the stats API does
//! (`MemTotal` of `/proc/meminfo`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::find::Finder;
use super::{CgroupLayout, ContainerCgroup, OpenCounters, RawSample, cpu_percent};
use crate::engine::ContainerId;
use crate::engine::stats::StatsSample;

/// The running sampler. Dropping it ends its thread (at once, not at the next interval).
#[derive(Debug)]
pub struct CgroupSampler {
    running: std_mpsc::Sender<Vec<ContainerId>>,
    unreadable: Arc<AtomicUsize>,
    /// Which ones they were (written once per interval, read when `unreadable` is above 0).
    unreadable_ids: Arc<Mutex<Vec<ContainerId>>>,
}

impl CgroupSampler {
    /// Sets the containers to sample: the running ones. Containers left out are forgotten;
    /// new ones are read at once (memory now, CPU from the next interval on).
    pub fn set_running(&self, ids: Vec<ContainerId>) {
        // Fails only when the thread has ended (the sample channel closed): nothing to do.
        let _ = self.running.send(ids);
    }

    /// How many of the running containers had no readable cgroup at the last reading: a
    /// console that sees this stay above 0 for a container falls back to the stats API.
    pub fn unreadable(&self) -> usize {
        self.unreadable.load(Ordering::Relaxed)
    }

    /// The running containers that had no readable cgroup at the last reading, sorted: the
    /// ones a console follows with stats API streams instead.
    pub fn unreadable_ids(&self) -> Vec<ContainerId> {
        if self.unreadable() == 0 {
            return Vec::new();
        }
        self.unreadable_ids
            .lock()
            .map(|ids| ids.clone())
            .unwrap_or_default()
    }
}

/// The host's memory in bytes (`MemTotal` of `/proc/meminfo`): the limit the stats API
/// reports for a container without one. `None` where the file is not there.
pub fn host_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_total(&text)
}

/// `MemTotal:  16314832 kB` → bytes.
pub fn parse_mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// Starts the sampler on `layout`: one reading of each running container every `interval`,
/// samples sent to `tx`. Fails only when the thread cannot be started.
pub fn spawn_sampler(
    layout: CgroupLayout,
    interval: Duration,
    tx: mpsc::Sender<StatsSample>,
) -> std::io::Result<CgroupSampler> {
    let (running, rx) = std_mpsc::channel();
    let unreadable = Arc::new(AtomicUsize::new(0));
    let unreadable_ids = Arc::new(Mutex::new(Vec::new()));
    let counter = Arc::clone(&unreadable);
    let ids = Arc::clone(&unreadable_ids);
    std::thread::Builder::new()
        .name("cgroup-stats".into())
        .spawn(move || {
            Sampler {
                layout,
                finder: Finder::default(),
                tx,
                tracked: HashMap::new(),
                unreadable: counter,
                unreadable_ids: ids,
                host_memory: host_memory(),
                pending: Vec::new(),
                open_budget: MAX_OPEN,
            }
            .run(&rx, interval);
        })?;
    Ok(CgroupSampler {
        running,
        unreadable,
        unreadable_ids,
    })
}

/// One full read (with `memory.stat` and the limit) in this many ticks: the page cache and
/// the limit move slowly, the usage (read every tick) carries what moves; `memory.stat` is the
/// costly read on cgroup v1 (the hierarchy's totals made on each read).
const FULL_EVERY: u32 = 15;
/// Containers whose counter files are kept open (two descriptors each); the others' are
/// opened for each reading. Bounds the descriptors the sampler holds, whatever the fleet.
const MAX_OPEN: usize = 256;

/// What is kept per running container.
#[derive(Debug, Default)]
struct Tracked {
    /// Its cgroup, once found.
    cgroup: Option<ContainerCgroup>,
    /// The last reading, for the next CPU figure.
    previous: Option<RawSample>,
    /// Counter-only reads since the last full one.
    counter_reads: u32,
    /// Its counter files, kept open (for at most [`MAX_OPEN`] containers).
    open: Option<OpenCounters>,
}

struct Sampler {
    layout: CgroupLayout,
    /// Finds the cgroups that are not where Docker or Podman put them by default.
    finder: Finder,
    tx: mpsc::Sender<StatsSample>,
    tracked: HashMap<ContainerId, Tracked>,
    unreadable: Arc<AtomicUsize>,
    unreadable_ids: Arc<Mutex<Vec<ContainerId>>>,
    /// The limit reported for a container without one.
    host_memory: Option<u64>,
    /// A tick's samples, sent together once every container was read: the loop takes them in
    /// one wake-up.
    pending: Vec<StatsSample>,
    /// How many more containers may have their counter files kept open.
    open_budget: usize,
}

/// Why the thread stops.
struct Closed;

impl Sampler {
    fn run(mut self, rx: &std_mpsc::Receiver<Vec<ContainerId>>, interval: Duration) {
        let interval = interval.max(Duration::from_millis(1));
        let mut next_tick = Instant::now() + interval;
        loop {
            let message = if self.tracked.is_empty() {
                // Nothing runs: sleep until the set changes (no timer, no reads).
                rx.recv()
                    .map_err(|_| std_mpsc::RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(next_tick.saturating_duration_since(Instant::now()))
            };
            let outcome = match message {
                Ok(mut ids) => {
                    // Only the latest set counts.
                    while let Ok(newer) = rx.try_recv() {
                        ids = newer;
                    }
                    let was_idle = self.tracked.is_empty();
                    let outcome = self.set_running(ids);
                    if was_idle {
                        next_tick = Instant::now() + interval;
                    }
                    outcome
                }
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    next_tick += interval;
                    if next_tick <= now {
                        // Fell behind (a suspended machine): no burst of catch-up readings.
                        next_tick = now + interval;
                    }
                    self.sample_all()
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            if outcome.is_err() {
                return;
            }
        }
    }

    /// Replaces the running set; reads the containers new to it at once.
    fn set_running(&mut self, ids: Vec<ContainerId>) -> Result<(), Closed> {
        let mut kept = HashMap::with_capacity(ids.len());
        let mut new = Vec::new();
        for id in ids {
            if kept.contains_key(&id) {
                continue;
            }
            match self.tracked.remove(&id) {
                Some(tracked) => {
                    kept.insert(id, tracked);
                }
                None => {
                    kept.insert(id.clone(), Tracked::default());
                    new.push(id);
                }
            }
        }
        self.tracked = kept;
        self.count_open();
        self.forget_unreadable_left();
        for id in new {
            self.sample(&id);
        }
        self.send_pending()
    }

    /// The unreadable ones of the last reading that left the running set count no more: with
    /// none left running there is no next reading to correct the count.
    fn forget_unreadable_left(&self) {
        if let Ok(mut shared) = self.unreadable_ids.lock() {
            shared.retain(|id| self.tracked.contains_key(id));
            self.unreadable.store(shared.len(), Ordering::Relaxed);
        }
    }

    /// The open budget, from what the tracked containers hold now.
    fn count_open(&mut self) {
        let open = self.tracked.values().filter(|t| t.open.is_some()).count();
        self.open_budget = MAX_OPEN.saturating_sub(open);
    }

    fn sample_all(&mut self) -> Result<(), Closed> {
        self.count_open();
        let ids: Vec<ContainerId> = self.tracked.keys().cloned().collect();
        let mut unreadable = Vec::new();
        for id in ids {
            if !self.sample(&id) {
                unreadable.push(id);
            }
        }
        self.send_pending()?;
        unreadable.sort();
        if let Ok(mut shared) = self.unreadable_ids.lock()
            && *shared != unreadable
        {
            *shared = unreadable.clone();
        }
        self.unreadable.store(unreadable.len(), Ordering::Relaxed);
        Ok(())
    }

    /// Sends the samples read this tick.
    fn send_pending(&mut self) -> Result<(), Closed> {
        for sample in self.pending.drain(..) {
            if let Err(mpsc::error::TrySendError::Closed(_)) = self.tx.try_send(sample) {
                return Err(Closed);
            }
            // Full: dropped, the next one is an interval away.
        }
        Ok(())
    }

    /// Reads one container and keeps its sample for [`Self::send_pending`]; `false` when its
    /// cgroup could not be read (gone, or never here).
    fn sample(&mut self, id: &ContainerId) -> bool {
        let Some(tracked) = self.tracked.get_mut(id) else {
            return true;
        };
        if tracked.cgroup.is_none() {
            tracked.cgroup = self.finder.locate(&self.layout, &id.0);
        }
        if tracked.open.is_none()
            && self.open_budget > 0
            && let Some(cgroup) = &tracked.cgroup
            && let Ok(Some(open)) = cgroup.open_counters()
        {
            tracked.open = Some(open);
            self.open_budget -= 1;
        }
        let reading = match &tracked.cgroup {
            // Every FULL_EVERY-th tick a full read (memory.stat, the limit); between them the
            // two counters only (from the open files where they are), the page cache and
            // limit carried over.
            Some(cgroup) => match tracked.previous.as_ref() {
                Some(previous) if tracked.counter_reads + 1 < FULL_EVERY => {
                    tracked.counter_reads += 1;
                    match &tracked.open {
                        Some(open) => open.read_counters(previous),
                        None => cgroup.read_counters(previous),
                    }
                }
                _ => {
                    tracked.counter_reads = 0;
                    cgroup.read()
                }
            },
            None => Ok(None),
        };
        let raw = match reading {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                // Gone (stopped, or restarting into a new cgroup): look it up again next time.
                self.open_budget += usize::from(tracked.open.is_some());
                *tracked = Tracked::default();
                return false;
            }
            Err(e) => {
                log::debug!("cgroup stats of {}: {e}", id.0);
                self.open_budget += usize::from(tracked.open.is_some());
                *tracked = Tracked::default();
                return false;
            }
        };
        let cpu = tracked.previous.as_ref().map(|p| cpu_percent(p, &raw));
        tracked.previous = Some(raw);
        let sample = StatsSample {
            id: id.clone(),
            cpu_percent: cpu,
            memory_used: raw.memory_used,
            memory_limit: raw.memory_limit.or(self.host_memory),
        };
        self.pending.push(sample);
        true
    }
}
