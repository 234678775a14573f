//! Gathering what the rules read, headless: the fleet with details (one list, then inspects),
//! the recent events from the daemon's own event log (`/events` with `since` and `until`, which
//! ends by itself), memory use of containers that have a limit (one-shot stats), and the GPUs.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use futures_util::{StreamExt, stream};

use super::stuck_gather::{self, Unavailable};
use super::{History, MemoryUse, Observations, Thresholds};
use crate::engine::{Container, ContainerEvent, ContainerId, Endpoint, EngineError};
use crate::gpu::{self, GpuReport};

/// How many one-shot stats calls run at once.
const STATS_CONCURRENCY: usize = 16;

/// Everything triage needs, owned.
#[derive(Debug, Default)]
pub struct Gathered {
    pub containers: Vec<Container>,
    pub history: History,
    pub memory: HashMap<ContainerId, MemoryUse>,
    pub gpu: Option<GpuReport>,
    /// What the stuck rules read (vitals, hung calls, last log lines).
    pub observed: Observations,
    /// The stuck checks that could not run on this host (a daemon elsewhere).
    pub unavailable: Option<Unavailable>,
}

/// Gathers the fleet, its recent history, memory use and the GPU report.
pub async fn gather(
    endpoint: &Endpoint,
    thresholds: &Thresholds,
    gpu_threshold_pct: f64,
) -> Result<Gathered, EngineError> {
    gather_with(endpoint, thresholds, gpu_threshold_pct, Vec::new()).await
}

/// [`gather`], with `recorded` events (from the history store) merged into the daemon's own:
/// the two sorted by time, an event both hold counted once.
pub async fn gather_with(
    endpoint: &Endpoint,
    thresholds: &Thresholds,
    gpu_threshold_pct: f64,
    recorded: Vec<ContainerEvent>,
) -> Result<Gathered, EngineError> {
    let (containers, hung) = endpoint.list_detailed_noting_hung(&HashMap::new()).await?;
    let stuck = stuck_gather::observe(endpoint, &containers, hung, thresholds);

    let now = Utc::now().timestamp();
    let since = now - thresholds.window_s.max(thresholds.paused_max_s);
    let mut seen = recorded;
    let events = endpoint.container_events(Some(since), Some(now + 1));
    futures_util::pin_mut!(events);
    while let Some(event) = events.next().await {
        seen.push(event?);
    }
    let history = super::recorded::merge(seen);

    let limited: Vec<&Container> = containers
        .iter()
        .filter(|c| c.state.is_up() && c.memory_limit.is_some())
        .collect();
    let memory = stream::iter(limited)
        .map(|c| async move {
            let used = endpoint.stats_once(&c.id).await.ok()??.memory_used;
            let limit = c.memory_limit?;
            Some((c.id.clone(), MemoryUse { used, limit }))
        })
        .buffer_unordered(STATS_CONCURRENCY)
        .filter_map(|x| async move { x })
        .collect::<HashMap<ContainerId, MemoryUse>>();
    let (memory, found) = futures_util::join!(memory, stuck);

    let gpu = tokio::task::spawn_blocking(move || gpu::open().sample().ok())
        .await
        .ok()
        .flatten()
        .map(|sample| {
            let known: HashMap<String, String> = containers
                .iter()
                .map(|c| (c.id.0.clone(), c.name.clone()))
                .collect();
            gpu::attribute(&sample, Path::new("/proc"), &known, gpu_threshold_pct)
        });

    Ok(Gathered {
        containers,
        history,
        memory,
        gpu,
        observed: found.observed,
        unavailable: found.unavailable,
    })
}
