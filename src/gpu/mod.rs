//! GPU memory: per GPU, per process and per container. NVML is read through the small
//! [`GpuSource`] trait, so a box with no NVIDIA driver shows why in words (a state, not an
//! error) and everything else works; tests drive the same code with a fixture source.

pub mod cgroup;
pub mod nvml;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;

/// The memory threshold, in percent of a GPU's memory, above which it is flagged.
pub const DEFAULT_THRESHOLD_PCT: f64 = 90.0;

/// Why there is no GPU to show, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Unavailable {
    #[error("no NVIDIA GPU: the NVML library (libnvidia-ml.so.1) could not be loaded: {0}")]
    LibraryNotFound(String),
    #[error("no NVIDIA GPU: the NVIDIA driver is not loaded")]
    DriverNotLoaded,
    #[error("no NVIDIA GPU access: permission denied reading NVML (run as a user allowed to)")]
    NoPermission,
    #[error("no NVIDIA GPU: the driver reports no devices")]
    NoDevices,
    #[error("no NVIDIA GPU: {0}")]
    Other(String),
}

/// One GPU as sampled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuInfo {
    pub index: u32,
    pub name: String,
    pub uuid: Option<String>,
    pub memory_used_bytes: u64,
    pub memory_total_bytes: u64,
    pub utilization_pct: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_mw: Option<u32>,
}

impl GpuInfo {
    pub fn memory_used_pct(&self) -> f64 {
        if self.memory_total_bytes == 0 {
            0.0
        } else {
            self.memory_used_bytes as f64 * 100.0 / self.memory_total_bytes as f64
        }
    }
}

/// A process holding GPU memory, as NVML reports it (host PID).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuProcess {
    pub gpu_index: u32,
    pub pid: u32,
    /// `None` where the driver cannot tell (e.g. under WDDM).
    pub memory_used_bytes: Option<u64>,
}

/// One reading of every GPU and the processes on them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuSample {
    pub gpus: Vec<GpuInfo>,
    pub processes: Vec<GpuProcess>,
}

/// Where GPU samples come from: NVML, nothing, or a test fixture.
pub trait GpuSource: Send {
    fn sample(&mut self) -> Result<GpuSample, Unavailable>;
}

/// The source for a machine without GPUs: always says why.
#[derive(Debug, Clone)]
pub struct NoGpu(pub Unavailable);

impl GpuSource for NoGpu {
    fn sample(&mut self) -> Result<GpuSample, Unavailable> {
        Err(self.0.clone())
    }
}

/// Opens NVML if it can be loaded and initialised, else a [`NoGpu`] that says why.
pub fn open() -> Box<dyn GpuSource> {
    match nvml::NvmlSource::open() {
        Ok(source) => Box::new(source),
        Err(reason) => Box::new(NoGpu(reason)),
    }
}

/// A GPU with its threshold verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuView {
    #[serde(flatten)]
    pub info: GpuInfo,
    pub memory_used_pct: f64,
    pub over_threshold: bool,
}

/// The container a process belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRef {
    pub id: String,
    pub name: String,
}

/// A GPU process, attributed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessView {
    pub gpu_index: u32,
    pub host_pid: u32,
    /// The PID inside the container's PID namespace (from `NSpid`).
    pub container_pid: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub command: Option<String>,
    /// `None` for a host process.
    pub container: Option<ContainerRef>,
    /// False when the process no longer exists but the driver still counts its memory.
    pub alive: bool,
}

/// GPU memory summed per container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerGpu {
    pub id: String,
    pub name: String,
    pub memory_used_bytes: u64,
    pub processes: usize,
}

/// Everything the GPU pane and `fleetdeck gpu` show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuReport {
    pub gpus: Vec<GpuView>,
    pub processes: Vec<ProcessView>,
    pub containers: Vec<ContainerGpu>,
    pub threshold_pct: f64,
}

/// What the console holds: a report, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum GpuState {
    Unknown,
    Unavailable {
        reason: Unavailable,
    },
    Available {
        report: GpuReport,
        at: DateTime<Utc>,
    },
}

impl GpuReport {
    /// The GPU memory a container holds, if any.
    pub fn container_memory(&self, id: &str) -> Option<u64> {
        self.containers
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.memory_used_bytes)
    }
}

/// Attributes each process to a container through `/proc` (under `proc_root`), sums memory
/// per container, and marks GPUs over `threshold_pct`. `known` maps container ids to names.
pub fn attribute(
    sample: &GpuSample,
    proc_root: &Path,
    known: &HashMap<String, String>,
    threshold_pct: f64,
) -> GpuReport {
    let gpus = sample
        .gpus
        .iter()
        .map(|g| GpuView {
            memory_used_pct: g.memory_used_pct(),
            over_threshold: g.memory_used_pct() > threshold_pct,
            info: g.clone(),
        })
        .collect();
    let mut processes: Vec<ProcessView> = sample
        .processes
        .iter()
        .map(|p| {
            let cgroup = cgroup::read_cgroup(proc_root, p.pid).ok().flatten();
            let container = cgroup
                .as_deref()
                .and_then(|text| cgroup::container_of(text, |id| known.contains_key(id)))
                .map(|id| ContainerRef {
                    name: known.get(&id).cloned().unwrap_or_default(),
                    id,
                });
            let container_pid = container
                .as_ref()
                .and_then(|_| cgroup::namespace_pid(proc_root, p.pid));
            ProcessView {
                gpu_index: p.gpu_index,
                host_pid: p.pid,
                container_pid,
                memory_used_bytes: p.memory_used_bytes,
                command: cgroup
                    .as_ref()
                    .and_then(|_| cgroup::command_line(proc_root, p.pid)),
                container,
                alive: cgroup.is_some(),
            }
        })
        .collect();
    processes.sort_by(|a, b| {
        b.memory_used_bytes
            .cmp(&a.memory_used_bytes)
            .then(a.host_pid.cmp(&b.host_pid))
    });
    let mut per_container: HashMap<&str, ContainerGpu> = HashMap::new();
    for p in &processes {
        if let Some(c) = &p.container {
            let entry = per_container.entry(&c.id).or_insert_with(|| ContainerGpu {
                id: c.id.clone(),
                name: c.name.clone(),
                memory_used_bytes: 0,
                processes: 0,
            });
            entry.memory_used_bytes += p.memory_used_bytes.unwrap_or(0);
            entry.processes += 1;
        }
    }
    let mut containers: Vec<ContainerGpu> = per_container.into_values().collect();
    containers.sort_by(|a, b| {
        b.memory_used_bytes
            .cmp(&a.memory_used_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    GpuReport {
        gpus,
        processes,
        containers,
        threshold_pct,
    }
}

/// Samples `source` on a blocking thread every `interval`, sending each result to `tx`, until
/// `tx` is closed. A source that is unavailable is asked once: its reason is sent, and the
/// thread ends, so a machine without GPUs pays nothing after start-up.
pub fn spawn_sampler(
    mut source: Box<dyn GpuSource>,
    interval: Duration,
    tx: mpsc::Sender<Result<GpuSample, Unavailable>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        loop {
            let result = source.sample();
            let unavailable = result.is_err();
            if tx.blocking_send(result).is_err() || unavailable {
                return;
            }
            std::thread::sleep(interval);
        }
    })
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A fixture source: two GPUs, processes in two containers and one on the host, one GPU
    //! over the threshold; with a fake `/proc` that the attribution reads.

    use super::*;

    pub const WEB: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    pub const TRAIN: &str = "2222222222222222222222222222222222222222222222222222222222222222";
    const GIB: u64 = 1024 * 1024 * 1024;

    pub struct FixtureSource;

    impl GpuSource for FixtureSource {
        fn sample(&mut self) -> Result<GpuSample, Unavailable> {
            Ok(sample())
        }
    }

    pub fn sample() -> GpuSample {
        GpuSample {
            gpus: vec![
                GpuInfo {
                    index: 0,
                    name: "NVIDIA H100 80GB HBM3".into(),
                    uuid: Some("GPU-0000".into()),
                    memory_used_bytes: 76 * GIB,
                    memory_total_bytes: 80 * GIB,
                    utilization_pct: Some(97),
                    temperature_c: Some(71),
                    power_mw: Some(612_000),
                },
                GpuInfo {
                    index: 1,
                    name: "NVIDIA H100 80GB HBM3".into(),
                    uuid: Some("GPU-0001".into()),
                    memory_used_bytes: 10 * GIB,
                    memory_total_bytes: 80 * GIB,
                    utilization_pct: Some(12),
                    temperature_c: Some(40),
                    power_mw: Some(120_000),
                },
            ],
            processes: vec![
                GpuProcess {
                    gpu_index: 0,
                    pid: 101,
                    memory_used_bytes: Some(60 * GIB),
                },
                GpuProcess {
                    gpu_index: 0,
                    pid: 102,
                    memory_used_bytes: Some(16 * GIB),
                },
                GpuProcess {
                    gpu_index: 1,
                    pid: 201,
                    memory_used_bytes: Some(8 * GIB),
                },
                GpuProcess {
                    gpu_index: 1,
                    pid: 300,
                    memory_used_bytes: Some(2 * GIB),
                },
                // Gone from /proc, but the driver still counts its memory.
                GpuProcess {
                    gpu_index: 1,
                    pid: 999,
                    memory_used_bytes: Some(GIB / 2),
                },
            ],
        }
    }

    /// Writes a fake `/proc` for the fixture's PIDs.
    pub fn fake_proc(root: &Path) {
        let procs: [(u32, String, &str, &str); 4] = [
            (
                101,
                format!("0::/docker/{TRAIN}\n"),
                "NSpid:\t101\t7\n",
                "python\0train.py\0",
            ),
            (
                102,
                format!("0::/docker/{TRAIN}\n"),
                "NSpid:\t102\t9\n",
                "python\0eval.py\0",
            ),
            (
                201,
                format!("0::/system.slice/docker-{WEB}.scope\n"),
                "NSpid:\t201\t1\n",
                "triton\0",
            ),
            (300, "0::/user.slice\n".into(), "NSpid:\t300\n", "nvtop\0"),
        ];
        for (pid, cgroup, status, cmdline) in procs {
            let dir = root.join(pid.to_string());
            std::fs::create_dir_all(&dir).expect("fake proc dir");
            std::fs::write(dir.join("cgroup"), cgroup).expect("cgroup");
            std::fs::write(dir.join("status"), status).expect("status");
            std::fs::write(dir.join("cmdline"), cmdline).expect("cmdline");
        }
    }

    pub fn known() -> HashMap<String, String> {
        HashMap::from([
            (WEB.to_string(), "web-1".to_string()),
            (TRAIN.to_string(), "trainer".to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn attribution_sums_per_container_and_flags_threshold() {
        let dir = tempfile::tempdir().expect("temp dir");
        fake_proc(dir.path());
        let mut source = FixtureSource;
        let sample = source.sample().expect("fixture sample");
        let report = attribute(&sample, dir.path(), &known(), 90.0);
        assert_eq!(report.gpus.len(), 2);
        assert!(report.gpus[0].over_threshold, "76 of 80 GiB is over 90 %");
        assert!(!report.gpus[1].over_threshold);
        let names: Vec<(&str, u64, usize)> = report
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.memory_used_bytes >> 30, c.processes))
            .collect();
        assert_eq!(names, [("trainer", 76, 2), ("web-1", 8, 1)]);
        let host = report
            .processes
            .iter()
            .find(|p| p.host_pid == 300)
            .expect("host process");
        assert_eq!(host.container, None);
        assert!(host.alive);
        assert_eq!(host.command.as_deref(), Some("nvtop"));
        let gone = report
            .processes
            .iter()
            .find(|p| p.host_pid == 999)
            .expect("gone process");
        assert!(!gone.alive);
        assert_eq!(gone.container, None);
        let trainer = report
            .processes
            .iter()
            .find(|p| p.host_pid == 101)
            .expect("trainer");
        assert_eq!(trainer.container_pid, Some(7));
        assert_eq!(trainer.command.as_deref(), Some("python train.py"));
        assert_eq!(report.container_memory(WEB), Some(8 << 30));
    }

    #[test]
    fn no_gpu_says_why() {
        let mut none = NoGpu(Unavailable::DriverNotLoaded);
        let err = none.sample().expect_err("unavailable");
        assert_eq!(
            err.to_string(),
            "no NVIDIA GPU: the NVIDIA driver is not loaded"
        );
    }

    #[test]
    fn sampler_stops_after_an_unavailable_answer() {
        let (tx, mut rx) = mpsc::channel(4);
        let handle = spawn_sampler(
            Box::new(NoGpu(Unavailable::NoDevices)),
            Duration::from_millis(10),
            tx,
        );
        handle.join().expect("sampler thread ends by itself");
        assert_eq!(rx.try_recv().ok(), Some(Err(Unavailable::NoDevices)));
        assert!(rx.try_recv().is_err(), "nothing more is sent");
    }
}
