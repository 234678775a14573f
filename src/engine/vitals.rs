//! A running container's vital signs, read from this machine's files and never from the
//! daemon: its cgroup's stuck counters ([`CgroupVitals`]) and its processes' states
//! ([`ProcState`], from `/proc`). [`read`] takes one reading; [`spawn_watch`] starts a thread
//! that reads every running container at most once per interval (a few seconds) and sends the
//! readings over a bounded channel, off the console's loop. A remote daemon has no such
//! files: [`UNAVAILABLE_REMOTE`] names the checks that cannot run there.

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::ContainerId;
use super::cgroup_stats::vitals::CgroupVitals;
use super::cgroup_stats::vitals_reader::{FILES_PER_READER, VitalsReader};
use super::cgroup_stats::{CgroupLayout, ContainerCgroup};
use super::procs::{self, ProcState};

/// The checks that read this machine's cgroup and `/proc` files: none of them can run for a
/// daemon elsewhere.
pub const UNAVAILABLE_REMOTE: &[&str] = &[
    "cpu_throttled",
    "process_stopped",
    "out_of_pids",
    "memory_pressure",
];

/// Why [`UNAVAILABLE_REMOTE`] cannot run on a remote host, in words.
pub const REMOTE_REASON: &str =
    "the daemon is not on this machine: its cgroup and /proc files cannot be read";

/// One reading of one container.
#[derive(Debug, Clone, PartialEq)]
pub struct Vitals {
    pub id: ContainerId,
    pub at: DateTime<Utc>,
    pub cgroup: CgroupVitals,
    /// Its processes' states, the lowest pids first (at most [`procs::MAX_PROCESSES`]).
    pub processes: Vec<ProcState>,
}

impl Vitals {
    /// The main process among those read.
    pub fn main_process(&self) -> Option<&ProcState> {
        procs::main_process(&self.processes)
    }
}

/// Reads one container's vitals with its `reader` and `proc_root` (`/proc`). `None` when the
/// cgroup is gone or unreadable.
pub fn read_with(reader: &mut VitalsReader, proc_root: &Path, id: &ContainerId) -> Option<Vitals> {
    let found = match reader.read() {
        Ok(found) => found?,
        Err(e) => {
            log::debug!("vitals of {}: {e}", id.0);
            return None;
        }
    };
    let processes = procs::read_states(proc_root, &found.procs);
    Some(Vitals {
        id: id.clone(),
        at: Utc::now(),
        cgroup: found,
        processes,
    })
}

/// A reader of `cgroup`'s vitals (its files kept open when `keep_open`); `None` when the
/// cgroup is gone or unreadable.
pub fn reader(cgroup: &ContainerCgroup, keep_open: bool, id: &ContainerId) -> Option<VitalsReader> {
    match VitalsReader::new(cgroup, keep_open) {
        Ok(reader) => reader,
        Err(e) => {
            log::debug!("vitals of {}: {e}", id.0);
            None
        }
    }
}

/// Reads one container's vitals: its cgroup found under `layout`, its processes under
/// `proc_root`. `None` when its cgroup is not there (stopped, or a daemon elsewhere).
pub fn read(layout: &CgroupLayout, proc_root: &Path, id: &ContainerId) -> Option<Vitals> {
    read_with(
        &mut reader(&layout.locate(&id.0)?, false, id)?,
        proc_root,
        id,
    )
}

/// The running watch. Dropping it ends its thread.
#[derive(Debug)]
pub struct VitalsWatch {
    running: std_mpsc::Sender<Vec<ContainerId>>,
}

impl VitalsWatch {
    /// Sets the containers to watch: the running ones.
    pub fn set_running(&self, ids: Vec<ContainerId>) {
        // Fails only when the thread has ended: nothing to do.
        let _ = self.running.send(ids);
    }
}

/// Starts the watch: every `interval`, one reading of each running container, handed to
/// `send` together (which must not block: a full channel drops them, the next ones are an
/// interval away; it answers `false` once nobody listens, and the thread ends). Nothing is
/// read while none runs.
pub fn spawn_watch(
    layout: CgroupLayout,
    proc_root: PathBuf,
    interval: Duration,
    send: impl FnMut(Vec<Vitals>) -> bool + Send + 'static,
) -> std::io::Result<VitalsWatch> {
    let (running, rx) = std_mpsc::channel::<Vec<ContainerId>>();
    std::thread::Builder::new()
        .name("vitals".into())
        .spawn(move || watch(&layout, &proc_root, interval, &rx, send))?;
    Ok(VitalsWatch { running })
}

fn watch(
    layout: &CgroupLayout,
    proc_root: &Path,
    interval: Duration,
    rx: &std_mpsc::Receiver<Vec<ContainerId>>,
    mut send: impl FnMut(Vec<Vitals>) -> bool,
) {
    let interval = interval.max(Duration::from_millis(100));
    let mut running: Vec<(ContainerId, Option<VitalsReader>)> = Vec::new();
    let budget = open_budget();
    let mut next = Instant::now();
    loop {
        let message = if running.is_empty() {
            rx.recv()
                .map_err(|_| std_mpsc::RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(next.saturating_duration_since(Instant::now()))
        };
        match message {
            Ok(mut ids) => {
                while let Ok(newer) = rx.try_recv() {
                    ids = newer;
                }
                let mut kept: Vec<(ContainerId, Option<VitalsReader>)> = Vec::new();
                for id in ids {
                    let known = running.iter().position(|(k, _)| *k == id);
                    let cgroup = known.and_then(|i| running.swap_remove(i).1);
                    kept.push((id, cgroup));
                }
                running = kept;
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                next = Instant::now() + interval;
                let readings = read_all(layout, proc_root, budget, &mut running);
                if !send(readings) {
                    return;
                }
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// How many containers' readers keep their files open: a share of the descriptors this
/// process may hold (the soft `RLIMIT_NOFILE`, less 1024 for everything else, a quarter of the
/// rest), at most 256. The others' files are opened for each reading.
fn open_budget() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let spare = usize::try_from(soft.saturating_sub(1024) / 4).unwrap_or(usize::MAX);
    (spare / FILES_PER_READER).min(256)
}

/// One reading of each container; a cgroup not found (or gone) is looked up again next time.
fn read_all(
    layout: &CgroupLayout,
    proc_root: &Path,
    budget: usize,
    running: &mut [(ContainerId, Option<VitalsReader>)],
) -> Vec<Vitals> {
    let mut open = running
        .iter()
        .filter(|(_, r)| r.as_ref().is_some_and(VitalsReader::is_open))
        .count();
    let mut readings = Vec::with_capacity(running.len());
    for (id, slot) in running.iter_mut() {
        if slot.is_none() {
            *slot = layout
                .locate(&id.0)
                .and_then(|cgroup| reader(&cgroup, open < budget, id));
            open += usize::from(slot.as_ref().is_some_and(VitalsReader::is_open));
        }
        let reading = slot.as_mut().and_then(|r| read_with(r, proc_root, id));
        match reading {
            Some(v) => readings.push(v),
            None => {
                open -= usize::from(slot.as_ref().is_some_and(VitalsReader::is_open));
                *slot = None;
            }
        }
    }
    readings
}
