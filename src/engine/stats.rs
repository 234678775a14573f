//! Stats streams: CPU % and memory for the containers on screen, and only those. The console
//! says which containers it shows ([`StatsWatch::watch`]); one task keeps one `stats` stream
//! (`stream=true`) open per container, at most a configured number at once, and closes the
//! streams of containers that scrolled away. Each stream turns consecutive samples into an
//! owned [`StatsSample`] sent over a bounded channel (a full channel drops the sample: the next
//! one is a second away).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bollard::models::{ContainerCpuStats, ContainerMemoryStats, ContainerStatsResponse};
use bollard::query_parameters::{StatsOptions, StatsOptionsBuilder};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::{ContainerId, Endpoint, EngineError};

/// One container's resource use, from two consecutive samples.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsSample {
    pub id: ContainerId,
    /// Percent of one CPU (200 % is two CPUs busy); `None` until two samples were seen.
    pub cpu_percent: Option<f64>,
    /// Memory in use, without the page cache (what `docker stats` shows).
    pub memory_used: u64,
    /// The memory limit (the host's memory when the container has none).
    pub memory_limit: Option<u64>,
}

/// The CPU counters of one sample, kept to compute the next sample's percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuCounters {
    pub total: u64,
    pub system: u64,
    pub online: u32,
}

impl CpuCounters {
    pub fn read(cpu: &ContainerCpuStats) -> Option<Self> {
        let total = cpu.cpu_usage.as_ref()?.total_usage?;
        let system = cpu.system_cpu_usage?;
        let online = cpu
            .online_cpus
            .filter(|n| *n > 0)
            .or_else(|| {
                cpu.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .and_then(|p| u32::try_from(p.len()).ok())
            })
            .unwrap_or(1);
        Some(Self {
            total,
            system,
            online,
        })
    }
}

/// CPU % between two samples, as `docker stats` computes it.
pub fn cpu_percent(previous: &CpuCounters, current: &CpuCounters) -> Option<f64> {
    let used = current.total.checked_sub(previous.total)?;
    let system = current.system.checked_sub(previous.system)?;
    (system > 0).then(|| used as f64 / system as f64 * f64::from(current.online.max(1)) * 100.0)
}

/// Memory in use without the page cache: `usage - inactive_file` (cgroup v2) or
/// `usage - cache` (cgroup v1).
pub fn memory_used(memory: &ContainerMemoryStats) -> Option<u64> {
    let usage = memory.usage?;
    let cache = memory.stats.as_ref().and_then(|s| {
        s.get("inactive_file")
            .or_else(|| s.get("total_inactive_file"))
            .or_else(|| s.get("cache"))
            .copied()
    });
    Some(usage.saturating_sub(cache.unwrap_or(0)))
}

/// Turns a response into a sample, given the previous sample's counters; returns the counters
/// to keep for the next one. `None` for a sample with no memory figures (a stopped container).
pub fn read_sample(
    id: &ContainerId,
    previous: Option<CpuCounters>,
    response: &ContainerStatsResponse,
) -> (Option<StatsSample>, Option<CpuCounters>) {
    let current = response.cpu_stats.as_ref().and_then(CpuCounters::read);
    let cpu = match (previous, current) {
        (Some(p), Some(c)) => cpu_percent(&p, &c),
        _ => None,
    };
    let sample = response.memory_stats.as_ref().and_then(|m| {
        Some(StatsSample {
            id: id.clone(),
            cpu_percent: cpu,
            memory_used: memory_used(m)?,
            memory_limit: m.limit.filter(|l| *l > 0),
        })
    });
    (sample, current.or(previous))
}

impl Endpoint {
    /// One sample of a container's use (`stream=false`, `one-shot`), without a CPU figure (that
    /// needs two); `Ok(None)` when the daemon sent none or it has no memory figures (a stopped
    /// container).
    pub async fn stats_once(&self, id: &ContainerId) -> Result<Option<StatsSample>, EngineError> {
        let options = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let mut samples = self.docker.stats(&id.0, Some(options));
        match samples.next().await {
            Some(Ok(response)) => Ok(read_sample(id, None, &response).0),
            Some(Err(e)) => Err(self.error(e)),
            None => Ok(None),
        }
    }
}

impl Endpoint {
    /// One sample with a CPU figure, from the stats stream: read until two samples came
    /// (Docker sends one a second, Podman one every five) or `within` passed; then the last
    /// sample, without CPU. `Ok(None)` when the container sent none (not running).
    pub async fn stats_with_cpu(
        &self,
        id: &ContainerId,
        within: std::time::Duration,
    ) -> Result<Option<StatsSample>, EngineError> {
        let options = StatsOptions {
            stream: true,
            one_shot: false,
        };
        let mut samples = self.docker.stats(&id.0, Some(options));
        let deadline = tokio::time::sleep(within);
        tokio::pin!(deadline);
        let (mut previous, mut last) = (None, None);
        loop {
            tokio::select! {
                item = samples.next() => match item {
                    Some(Ok(response)) => {
                        let (sample, counters) = read_sample(id, previous, &response);
                        previous = counters;
                        if let Some(sample) = sample {
                            if sample.cpu_percent.is_some() {
                                return Ok(Some(sample));
                            }
                            last = Some(sample);
                        }
                    }
                    Some(Err(e)) => return Err(self.error(e)),
                    None => return Ok(last),
                },
                () = &mut deadline => return Ok(last),
            }
        }
    }
}

/// The running stats manager. Dropping it closes every stream.
#[derive(Debug)]
pub struct StatsWatch {
    wanted: watch::Sender<Vec<ContainerId>>,
    open: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for StatsWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StatsWatch {
    /// Sets the containers to follow (those on screen, running); streams for others close.
    pub fn watch(&self, ids: Vec<ContainerId>) {
        self.wanted.send_replace(ids);
    }

    /// How many streams are open now.
    pub fn open_streams(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// Starts the manager: at most `max_streams` streams at once, samples sent to `tx`.
pub fn spawn(endpoint: Endpoint, max_streams: usize, tx: mpsc::Sender<StatsSample>) -> StatsWatch {
    let (wanted, rx) = watch::channel(Vec::new());
    let open = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(manage(endpoint, max_streams, rx, tx, Arc::clone(&open)));
    StatsWatch { wanted, open, task }
}

/// Aborts the stream task when dropped, so closing a stream is dropping its entry.
struct StreamTask(JoinHandle<()>);

impl Drop for StreamTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn manage(
    endpoint: Endpoint,
    max_streams: usize,
    mut wanted: watch::Receiver<Vec<ContainerId>>,
    tx: mpsc::Sender<StatsSample>,
    open: Arc<AtomicUsize>,
) {
    let mut streams: HashMap<ContainerId, StreamTask> = HashMap::new();
    while wanted.changed().await.is_ok() {
        let ids: Vec<ContainerId> = wanted
            .borrow_and_update()
            .iter()
            .take(max_streams)
            .cloned()
            .collect();
        // Close what scrolled away, and forget streams that ended (a container that stopped).
        streams.retain(|id, task| ids.contains(id) && !task.0.is_finished());
        for id in ids {
            if streams.contains_key(&id) {
                continue;
            }
            let task = tokio::spawn(follow(endpoint.clone(), id.clone(), tx.clone()));
            streams.insert(id, StreamTask(task));
        }
        open.store(streams.len(), Ordering::Relaxed);
        if tx.is_closed() {
            return;
        }
    }
}

async fn follow(endpoint: Endpoint, id: ContainerId, tx: mpsc::Sender<StatsSample>) {
    let options = StatsOptionsBuilder::default()
        .stream(true)
        .one_shot(false)
        .build();
    let mut stream = endpoint.docker.stats(&id.0, Some(options));
    let mut previous = None;
    while let Some(Ok(response)) = stream.next().await {
        let (sample, counters) = read_sample(&id, previous, &response);
        previous = counters;
        if let Some(sample) = sample
            && let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(sample)
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::ContainerCpuUsage;

    fn response(total: u64, system: u64, usage: u64, inactive: u64) -> ContainerStatsResponse {
        ContainerStatsResponse {
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(total),
                    ..ContainerCpuUsage::default()
                }),
                system_cpu_usage: Some(system),
                online_cpus: Some(2),
                throttling_data: None,
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(usage),
                limit: Some(1 << 30),
                stats: Some(HashMap::from([("inactive_file".to_string(), inactive)])),
                ..ContainerMemoryStats::default()
            }),
            ..ContainerStatsResponse::default()
        }
    }

    #[test]
    fn cpu_comes_from_consecutive_samples() {
        let id = ContainerId("a".into());
        let (first, counters) = read_sample(&id, None, &response(1_000, 10_000, 500, 100));
        let first = first.expect("memory figures");
        assert_eq!(first.cpu_percent, None);
        assert_eq!(first.memory_used, 400);
        assert_eq!(first.memory_limit, Some(1 << 30));
        let (second, _) = read_sample(&id, counters, &response(1_500, 12_000, 800, 0));
        let second = second.expect("memory figures");
        // 500 of 2000 system ticks on 2 CPUs: 50 %.
        assert_eq!(second.cpu_percent, Some(50.0));
        assert_eq!(second.memory_used, 800);
    }

    #[test]
    fn counters_going_backwards_give_no_cpu() {
        let a = CpuCounters {
            total: 10,
            system: 10,
            online: 1,
        };
        let b = CpuCounters {
            total: 5,
            system: 20,
            online: 1,
        };
        assert_eq!(cpu_percent(&a, &b), None);
        assert_eq!(cpu_percent(&a, &a), None);
    }
}
