//! Gathering the stuck rules' [`Observations`] headless (a single `triage`, no console or
//! keeper watching): for a daemon on this machine, two readings of every running container's
//! vitals [`SAMPLE`] apart (the counters since each container started, and what moved in the
//! sample), off the async runtime; the calls that hung while listing; and, for the containers
//! that opted in (the label [`super::stuck::SILENT_LABEL`] or a `[[triage.silent]]` rule), the time of their last log line. A
//! daemon elsewhere has no files to read: [`Unavailable`] says which checks cannot run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use serde::Serialize;

use super::stuck::silent_after;
use super::{HungCall, Observations, StuckWatch, Thresholds};
use crate::engine::cgroup_stats::{self, CgroupLayout};
use crate::engine::vitals::{self, REMOTE_REASON, UNAVAILABLE_REMOTE};
use crate::engine::{Container, ContainerId, Endpoint, RunState};

/// The time between the two readings of a single triage.
pub const SAMPLE: Duration = Duration::from_secs(1);
/// How many logs calls (for the silence check) run at once.
const LOGS_CONCURRENCY: usize = 8;

/// The checks that cannot run on a host, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unavailable {
    pub checks: Vec<&'static str>,
    pub reason: &'static str,
}

/// What [`observe`] found, and the checks it could not run.
#[derive(Debug, Default)]
pub struct Found {
    pub observed: Observations,
    pub unavailable: Option<Unavailable>,
}

/// The cgroup layout to read the vitals of `endpoint`'s containers from; `None` for a daemon
/// elsewhere (or unreadable cgroup files).
pub fn layout_of(endpoint: &Endpoint) -> Option<CgroupLayout> {
    cgroup_stats::local_layout(&endpoint.address, Path::new(cgroup_stats::DEFAULT_ROOT))
}

/// The checks that cannot run for a host without a cgroup layout.
pub fn unavailable_remote() -> Unavailable {
    Unavailable {
        checks: UNAVAILABLE_REMOTE.to_vec(),
        reason: REMOTE_REASON,
    }
}

/// Observes the running containers of `containers` on `endpoint` once (two readings).
pub async fn observe(
    endpoint: &Endpoint,
    containers: &[Container],
    hung: Vec<(ContainerId, DateTime<Utc>)>,
    thresholds: &Thresholds,
) -> Found {
    let window_s = thresholds.window_s;
    let mut found = Found::default();
    found.observed.hung = hung
        .into_iter()
        .map(|(id, at)| {
            let call = HungCall {
                call: "inspect".into(),
                at,
            };
            (id, call)
        })
        .collect();
    let running: Vec<ContainerId> = containers
        .iter()
        .filter(|c| c.state == RunState::Running)
        .map(|c| c.id.clone())
        .collect();
    match layout_of(endpoint) {
        Some(layout) if !running.is_empty() => {
            found.observed.containers = sample(layout, running, window_s).await;
        }
        Some(_) => {}
        None => found.unavailable = Some(unavailable_remote()),
    }
    found.observed.last_log = last_logs(endpoint, containers, thresholds).await;
    found
}

/// Two readings of each container, [`SAMPLE`] apart, on a blocking thread.
async fn sample(
    layout: CgroupLayout,
    running: Vec<ContainerId>,
    window_s: i64,
) -> std::collections::HashMap<ContainerId, super::Observed> {
    let proc_root = PathBuf::from("/proc");
    let read = move || {
        let mut watch = StuckWatch::new();
        for round in 0..2 {
            if round > 0 {
                std::thread::sleep(SAMPLE);
            }
            for id in &running {
                if let Some(v) = vitals::read(&layout, &proc_root, id) {
                    watch.observe(v, window_s);
                }
            }
        }
        watch.observed()
    };
    tokio::task::spawn_blocking(read).await.unwrap_or_default()
}

/// The last log line's time of each running container that opted into the silence check.
async fn last_logs(
    endpoint: &Endpoint,
    containers: &[Container],
    thresholds: &Thresholds,
) -> std::collections::HashMap<ContainerId, Option<DateTime<Utc>>> {
    let opted: Vec<&Container> = containers
        .iter()
        .filter(|c| c.state == RunState::Running && silent_after(c, thresholds).is_some())
        .collect();
    stream::iter(opted)
        .map(|c| async move {
            match endpoint.last_log_time(&c.id).await {
                Ok(time) => Some((c.id.clone(), time)),
                Err(e) => {
                    log::warn!("silence check of {}: {e}", c.name);
                    None
                }
            }
        })
        .buffer_unordered(LOGS_CONCURRENCY)
        .filter_map(|x| async move { x })
        .collect()
        .await
}
