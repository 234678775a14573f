//! The watcher: one task per daemon that builds the fleet from one list call and then keeps it
//! current from the `/events` stream alone. After an event that changes what only an inspect
//! tells (restart count, ports, OOM flag), it inspects that one container. When the stream
//! breaks it reports "disconnected since T", retries with backoff, and on reconnect lists and
//! resubscribes, so that nothing is stale and nothing doubled.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bollard::query_parameters::EventsOptionsBuilder;
use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::fleet::{Connection, ContainerEvent, EventAction, FleetUpdate};
use super::{ContainerId, Endpoint, from_inspect};

/// How many inspects the watcher runs at once.
const REFRESH_CONCURRENCY: usize = 8;
/// First retry delay after the stream breaks; doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Events are replayed from this long before the list call, so none falls between the two.
const REPLAY_MARGIN_S: i64 = 2;

/// Counters of the daemon calls the watcher made: proof that idle means idle.
#[derive(Debug, Default)]
pub struct WatchStats {
    pub list_calls: AtomicU64,
    pub inspect_calls: AtomicU64,
    pub events_received: AtomicU64,
    pub connects: AtomicU64,
}

impl WatchStats {
    pub fn list_calls(&self) -> u64 {
        self.list_calls.load(Ordering::Relaxed)
    }
    pub fn inspect_calls(&self) -> u64 {
        self.inspect_calls.load(Ordering::Relaxed)
    }
    pub fn events_received(&self) -> u64 {
        self.events_received.load(Ordering::Relaxed)
    }
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }
}

/// A running watcher. Dropping it stops the task.
#[derive(Debug)]
pub struct Watch {
    task: JoinHandle<()>,
    pub stats: Arc<WatchStats>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching `endpoint`, sending updates to `tx` until the receiver is dropped.
pub fn spawn(endpoint: Endpoint, tx: mpsc::Sender<FleetUpdate>) -> Watch {
    let stats = Arc::new(WatchStats::default());
    let task = tokio::spawn(run(endpoint, tx, Arc::clone(&stats)));
    Watch { task, stats }
}

/// Why a session ended.
enum End {
    /// Nobody listens any more: stop.
    ReceiverGone,
    /// The daemon could not be reached or the stream broke; `connected` says whether the
    /// session got as far as a snapshot (then the backoff starts afresh).
    Broken { error: String, connected: bool },
}

async fn run(endpoint: Endpoint, tx: mpsc::Sender<FleetUpdate>, stats: Arc<WatchStats>) {
    let mut attempts: u32 = 0;
    let mut backoff = FIRST_BACKOFF;
    let mut since = None;
    loop {
        match session(&endpoint, &tx, &stats).await {
            End::ReceiverGone => return,
            End::Broken { error, connected } => {
                if connected {
                    attempts = 0;
                    backoff = FIRST_BACKOFF;
                    since = None;
                }
                attempts += 1;
                let since = *since.get_or_insert_with(Utc::now);
                let state = Connection::Disconnected {
                    since,
                    attempts,
                    error,
                };
                if tx.send(FleetUpdate::Connection(state)).await.is_err() {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn session(endpoint: &Endpoint, tx: &mpsc::Sender<FleetUpdate>, stats: &WatchStats) -> End {
    let broken = |error: String, connected| End::Broken { error, connected };
    let replay_from = (Utc::now().timestamp() - REPLAY_MARGIN_S).to_string();
    let list = match endpoint.list(&HashMap::new()).await {
        Ok(list) => list,
        Err(e) => return broken(e.to_string(), false),
    };
    stats.list_calls.fetch_add(1, Ordering::Relaxed);
    stats.connects.fetch_add(1, Ordering::Relaxed);
    // Details that the list lacks are filled in by inspects, in the background of the stream.
    let mut dirty: Vec<ContainerId> = list.iter().map(|c| c.id.clone()).collect();
    if tx.send(FleetUpdate::Snapshot(list)).await.is_err() {
        return End::ReceiverGone;
    }
    let connected = FleetUpdate::Connection(Connection::Connected { since: Utc::now() });
    if tx.send(connected).await.is_err() {
        return End::ReceiverGone;
    }

    let filters = HashMap::from([("type", vec!["container"])]);
    let options = EventsOptionsBuilder::default()
        .since(&replay_from)
        .filters(&filters)
        .build();
    let mut events = endpoint.docker.events(Some(options));
    let mut queued: HashSet<ContainerId> = dirty.iter().cloned().collect();
    let mut in_flight: HashSet<ContainerId> = HashSet::new();
    let mut inspects: JoinSet<(ContainerId, Option<super::Container>)> = JoinSet::new();
    loop {
        // Start inspects for dirty containers not already being inspected.
        let mut i = 0;
        while inspects.len() < REFRESH_CONCURRENCY && i < dirty.len() {
            if in_flight.contains(&dirty[i]) {
                i += 1;
                continue;
            }
            let id = dirty.swap_remove(i);
            queued.remove(&id);
            in_flight.insert(id.clone());
            stats.inspect_calls.fetch_add(1, Ordering::Relaxed);
            let endpoint = endpoint.clone();
            inspects.spawn(async move {
                let fresh = endpoint
                    .inspect(&id.0)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|i| from_inspect(&i));
                (id, fresh)
            });
        }
        tokio::select! {
            item = events.next() => {
                let message = match item {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return broken(format!("events stream broke: {e}"), true),
                    None => return broken("the daemon closed the events stream".into(), true),
                };
                stats.events_received.fetch_add(1, Ordering::Relaxed);
                let Some(event) = ContainerEvent::from_message(&message) else { continue };
                let refresh = matches!(
                    event.action,
                    EventAction::Create
                        | EventAction::Start
                        | EventAction::Die(_)
                        | EventAction::Oom
                        | EventAction::HealthStatus(_)
                );
                if refresh && queued.insert(event.id.clone()) {
                    dirty.push(event.id.clone());
                }
                if event.action == EventAction::Destroy && queued.remove(&event.id) {
                    dirty.retain(|id| *id != event.id);
                }
                if tx.send(FleetUpdate::Event(event)).await.is_err() {
                    return End::ReceiverGone;
                }
            }
            Some(joined) = inspects.join_next(), if !inspects.is_empty() => {
                let Ok((id, fresh)) = joined else { continue };
                in_flight.remove(&id);
                if let Some(fresh) = fresh
                    && tx.send(FleetUpdate::Refreshed(Box::new(fresh))).await.is_err()
                {
                    return End::ReceiverGone;
                }
            }
        }
    }
}
