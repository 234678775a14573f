//! Process states from `/proc`, for the processes of a container on this machine (the pids
//! its cgroup's `cgroup.procs` lists): each one's state letter from `/proc/PID/stat` and, for
//! a process that is stopped (`T`, `t`) or in uninterruptible sleep (`D`), the kernel function
//! it waits in (`/proc/PID/wchan`). A process gone between the list and the read is left out.
//! At most [`MAX_PROCESSES`] are read per container, the main process always among them.

use std::io;
use std::path::Path;

/// The most processes read per container and reading: a container of thousands of workers
/// costs no more than this.
pub const MAX_PROCESSES: usize = 32;

/// One process's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcState {
    pub pid: u32,
    /// The parent's pid.
    pub ppid: u32,
    /// The command name (`comm`), as the kernel shows it.
    pub comm: String,
    /// The state letter: `R`, `S`, `D`, `T`, `t`, `Z`, ...
    pub state: char,
    /// The kernel function a stopped or `D`-state process waits in; `None` for others, or
    /// where the kernel does not tell (`0`).
    pub wchan: Option<String>,
}

impl ProcState {
    /// Stopped by a signal (`T`) or by a tracer (`t`).
    pub fn is_stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }

    /// In uninterruptible sleep.
    pub fn is_uninterruptible(&self) -> bool {
        self.state == 'D'
    }

    /// Stopped or in uninterruptible sleep: not making progress.
    pub fn is_stuck(&self) -> bool {
        self.is_stopped() || self.is_uninterruptible()
    }
}

/// `/proc/PID/stat` → (comm, state, ppid). The command name sits in parentheses and may hold
/// spaces and parentheses itself: the state is the word after the LAST `)`, the parent's pid
/// the next.
pub fn parse_stat(text: &str) -> Option<(String, char, u32)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, state, ppid))
}

/// Reads one process under `proc_root` (`/proc`). `Ok(None)` when it is gone.
pub fn read_process(proc_root: &Path, pid: u32) -> io::Result<Option<ProcState>> {
    let dir = proc_root.join(pid.to_string());
    let stat = match std::fs::read_to_string(dir.join("stat")) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(3) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let Some((comm, state, ppid)) = parse_stat(&stat) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("/proc/{pid}/stat is not as expected"),
        ));
    };
    let mut process = ProcState {
        pid,
        ppid,
        comm,
        state,
        wchan: None,
    };
    if process.is_stuck() {
        process.wchan = std::fs::read_to_string(dir.join("wchan"))
            .ok()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty() && w != "0");
    }
    Ok(Some(process))
}

/// Reads the states of `pids`, the lowest first (the main process is the oldest, so it is
/// among them), at most [`MAX_PROCESSES`]. Processes gone meanwhile and unreadable ones are
/// left out.
pub fn read_states(proc_root: &Path, pids: &[u32]) -> Vec<ProcState> {
    let mut pids = pids.to_vec();
    pids.sort_unstable();
    pids.dedup();
    pids.into_iter()
        .take(MAX_PROCESSES)
        .filter_map(|pid| read_process(proc_root, pid).ok().flatten())
        .collect()
}

/// The container's main process among `states`: the lowest pid whose parent is outside the
/// container (the runtime's shim started it; an `exec`'s processes start later).
pub fn main_process(states: &[ProcState]) -> Option<&ProcState> {
    states
        .iter()
        .filter(|p| !states.iter().any(|q| q.pid == p.ppid))
        .min_by_key(|p| p.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/testdata/proc")
    }

    #[test]
    fn a_stopped_process_waits_in_do_signal_stop() {
        // Recorded: `sleep` in a container after `kill -STOP` from the host.
        let p = read_process(&testdata(), 19154).ok().flatten();
        let p = p.expect("recorded process");
        assert_eq!(p.state, 'T');
        assert!(p.is_stopped());
        assert_eq!(p.wchan.as_deref(), Some("do_signal_stop"));
    }

    #[test]
    fn a_d_state_process_with_a_parenthesised_name_keeps_its_wait_channel() {
        let states = read_states(&testdata(), &[20533, 20511, 99999]);
        assert_eq!(states.len(), 2, "{states:?}");
        assert_eq!(main_process(&states).map(|p| p.pid), Some(20511));
        assert_eq!(states[0].pid, 20511);
        assert_eq!(states[0].comm, "my app) worker");
        assert!(states[0].is_uninterruptible());
        assert_eq!(states[0].wchan.as_deref(), Some("nfs_wait_bit_killable"));
        // A sleeping process's wait channel is not read.
        assert_eq!(states[1].state, 'S');
        assert_eq!(states[1].wchan, None);
    }

    #[test]
    fn stat_lines_that_are_not_stat_lines_say_so() {
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (init) S 0 1"), Some(("init".into(), 'S', 0)));
    }
}
