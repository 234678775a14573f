//! Reading one container's stuck counters again and again, cheaply: the files that move
//! (`cgroup.procs`, `cpu.stat`, `pids.current`, the memory usage) kept open where the
//! descriptor budget allows, each reading one `pread` of each (a cgroup file's text is made
//! anew by each read from its start); the limits (CPU quota, `pids.max`, the memory limit)
//! read once and again every [`LIMITS_EVERY`] readings (`docker update` changes them), the CPU
//! limit also whenever the throttled count moved; `pids.events` only at the pids limit; and the
//! memory counters beyond usage (`memory.stat`, `memory.failcnt` or `memory.events`, swap,
//! pressure: the costly ones) only from [`MEMORY_READ_FROM_PCT`] of the limit on — further
//! from it, the memory rule has nothing to say and [`CgroupVitals::memory`] is `None`.

use std::fs::File;
use std::io;
use std::path::PathBuf;

use super::vitals::{
    CgroupVitals, CpuThrottle, PidsCounters, V1_CPU, memory_limit, optional, parse_cpu_stat,
    parse_procs, read_cpu_limit, read_memory,
};
use super::{CgroupVersion, ContainerCgroup, keyed_value};

/// Readings between two reads of the limits.
pub const LIMITS_EVERY: u32 = 12;
/// The share of its memory limit (percent) from which a container's memory counters beyond
/// usage are read: below the triage's `memory_near_pct` (90 by default) with room to spare.
pub const MEMORY_READ_FROM_PCT: u64 = 50;
/// Descriptors a reader keeps open.
pub const FILES_PER_READER: usize = 4;

/// One file of the reader: open (read with `pread`) or opened for each reading.
#[derive(Debug)]
enum Source {
    Open(File),
    Path(PathBuf),
}

impl Source {
    /// The file at `path`, opened when `keep_open`; `None` when it is not there.
    fn new(path: PathBuf, keep_open: bool) -> io::Result<Option<Self>> {
        if !keep_open {
            return Ok(path.exists().then_some(Source::Path(path)));
        }
        match File::open(&path) {
            Ok(file) => Ok(Some(Source::Open(file))),
            Err(e) if super::is_gone(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The file's text now; `None` when the cgroup is gone.
    fn read(&self, buf: &mut Vec<u8>) -> io::Result<Option<String>> {
        match self {
            Source::Path(path) => super::read_optional(path),
            Source::Open(file) => pread_whole(file, buf),
        }
    }
}

/// An open cgroup file's whole text from its start, the buffer grown until it fits.
fn pread_whole(file: &File, buf: &mut Vec<u8>) -> io::Result<Option<String>> {
    use std::os::unix::fs::FileExt;
    if buf.len() < 256 {
        buf.resize(256, 0);
    }
    loop {
        let n = match file.read_at(buf, 0) {
            Ok(n) => n,
            Err(e) if super::is_gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if n < buf.len() {
            return String::from_utf8(buf[..n].to_vec())
                .map(Some)
                .map_err(|_| super::malformed("a cgroup file that is not text"));
        }
        // Bounded: cgroup.procs of a container at a pids limit in the thousands is some
        // tens of KiB.
        if buf.len() >= 1 << 20 {
            return Err(super::malformed("a cgroup file over 1 MiB"));
        }
        let grown = buf.len() * 2;
        buf.resize(grown, 0);
    }
}

/// The limits, as last read.
#[derive(Debug, Clone, Copy, Default)]
struct Limits {
    cpus: Option<f64>,
    pids_max: Option<u64>,
    memory: Option<u64>,
}

/// One container's vitals files, to read again and again.
#[derive(Debug)]
pub struct VitalsReader {
    version: CgroupVersion,
    memory_dir: PathBuf,
    cpu_dir: Option<PathBuf>,
    pids_dir: Option<PathBuf>,
    procs: Source,
    cpu_stat: Option<Source>,
    pids_current: Option<Source>,
    usage: Option<Source>,
    kept_open: bool,
    limits: Limits,
    readings: u32,
    last_throttled: Option<u64>,
    buf: Vec<u8>,
}

impl VitalsReader {
    /// The reader of `cgroup`'s files, kept open when `keep_open` ([`FILES_PER_READER`]
    /// descriptors). `Ok(None)` when the cgroup is gone.
    pub fn new(cgroup: &ContainerCgroup, keep_open: bool) -> io::Result<Option<Self>> {
        let version = cgroup.version;
        let memory_dir = cgroup.memory_dir.clone();
        let Some(procs) = Source::new(memory_dir.join("cgroup.procs"), keep_open)? else {
            return Ok(None);
        };
        let cpu_dir = cgroup.controller_dir(V1_CPU);
        let pids_dir = cgroup.controller_dir(&["pids"]);
        let usage_file = match version {
            CgroupVersion::V1 => "memory.usage_in_bytes",
            CgroupVersion::V2 => "memory.current",
        };
        let source = |dir: &Option<PathBuf>, file: &str| match dir {
            Some(dir) => Source::new(dir.join(file), keep_open),
            None => Ok(None),
        };
        Ok(Some(VitalsReader {
            cpu_stat: source(&cpu_dir, "cpu.stat")?,
            pids_current: source(&pids_dir, "pids.current")?,
            usage: Source::new(memory_dir.join(usage_file), keep_open)?,
            version,
            memory_dir,
            cpu_dir,
            pids_dir,
            procs,
            kept_open: keep_open,
            limits: Limits::default(),
            readings: 0,
            last_throttled: None,
            buf: Vec::new(),
        }))
    }

    /// Whether its files are kept open.
    pub fn is_open(&self) -> bool {
        self.kept_open
    }

    /// Reads the counters now. `Ok(None)` when the cgroup is gone.
    pub fn read(&mut self) -> io::Result<Option<CgroupVitals>> {
        let Some(procs) = self.procs.read(&mut self.buf)? else {
            return Ok(None);
        };
        let refresh = self.readings % LIMITS_EVERY == 0;
        self.readings = self.readings.wrapping_add(1);
        if refresh {
            self.limits.pids_max = self.read_pids_max()?;
            self.limits.memory = self.read_memory_limit()?;
        }
        let cpu = self.read_cpu(refresh)?;
        let pids = self.read_pids()?;
        let memory = self.read_memory()?;
        Ok(Some(CgroupVitals {
            cpu,
            pids,
            memory,
            procs: parse_procs(&procs),
        }))
    }

    fn read_cpu(&mut self, refresh: bool) -> io::Result<Option<CpuThrottle>> {
        let (Some(source), Some(dir)) = (&self.cpu_stat, &self.cpu_dir) else {
            return Ok(None);
        };
        let Some(stat) = source.read(&mut self.buf)? else {
            return Ok(None);
        };
        let mut cpu = parse_cpu_stat(&stat, None);
        if refresh || self.last_throttled != Some(cpu.throttled) {
            self.limits.cpus = read_cpu_limit(self.version, dir)?;
        }
        self.last_throttled = Some(cpu.throttled);
        cpu.limit_cpus = self.limits.cpus;
        Ok(Some(cpu))
    }

    fn read_pids_max(&self) -> io::Result<Option<u64>> {
        let Some(dir) = &self.pids_dir else {
            return Ok(None);
        };
        Ok(optional(dir, "pids.max")?.and_then(|max| max.trim().parse().ok()))
    }

    fn read_pids(&mut self) -> io::Result<Option<PidsCounters>> {
        let (Some(source), Some(dir)) = (&self.pids_current, &self.pids_dir) else {
            return Ok(None);
        };
        let Some(current) = source.read(&mut self.buf)? else {
            return Ok(None);
        };
        let Ok(current) = current.trim().parse() else {
            return Ok(None);
        };
        let max = self.limits.pids_max;
        let refused = match max {
            Some(max) if current >= max => optional(dir, "pids.events")?
                .and_then(|events| keyed_value(&events, "max"))
                .unwrap_or(0),
            _ => 0,
        };
        Ok(Some(PidsCounters {
            current,
            max,
            refused,
        }))
    }

    fn read_memory_limit(&self) -> io::Result<Option<u64>> {
        let file = match self.version {
            CgroupVersion::V1 => "memory.limit_in_bytes",
            CgroupVersion::V2 => "memory.max",
        };
        Ok(optional(&self.memory_dir, file)?.and_then(|text| memory_limit(self.version, &text)))
    }

    /// The memory counters, read whole only near the limit.
    fn read_memory(&mut self) -> io::Result<Option<super::vitals::MemoryCounters>> {
        let (Some(source), Some(limit)) = (&self.usage, self.limits.memory) else {
            return Ok(None);
        };
        let Some(usage) = source.read(&mut self.buf)? else {
            return Ok(None);
        };
        let Ok(usage) = usage.trim().parse::<u64>() else {
            return Ok(None);
        };
        if u128::from(usage) * 100 < u128::from(limit) * u128::from(MEMORY_READ_FROM_PCT) {
            return Ok(None);
        }
        read_memory(self.version, &self.memory_dir)
    }
}
