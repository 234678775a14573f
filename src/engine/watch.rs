//! The watcher: one task per daemon that builds the fleet from one list call and then keeps it
//! current from the `/events` stream alone. On the first connect the running containers are
//! listed first (a filtered call, many times faster on a big fleet) and sent ahead of the full
//! list, so that the console draws them at once. After an event that changes what only an
//! inspect tells (restart count, ports, OOM flag), it inspects that one container at once. The
//! details the list lacks for the rest are filled in paced: running containers first, in the
//! list's order (the rows on screen), a first batch at once and the rest in small batches with
//! a pause; containers that never ran are not inspected (the list says all there is). When the
//! stream breaks it reports "disconnected since T", retries with backoff, and on reconnect
//! lists and resubscribes, so that nothing is stale and nothing doubled.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bollard::query_parameters::EventsOptionsBuilder;
use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::fleet::{Connection, ContainerEvent, EventAction, FleetUpdate};
use super::replay::Replay;
use super::{Container, ContainerId, Endpoint, RunState, from_inspect};

/// How many inspects the watcher runs at once.
const REFRESH_CONCURRENCY: usize = 8;
/// The detail fill after a list: this many inspects at once (the rows on screen)...
const FILL_FIRST: usize = 64;
/// ... then this many per [`FILL_PAUSE`].
const FILL_BATCH: usize = 16;
const FILL_PAUSE: Duration = Duration::from_millis(250);
/// First retry delay after the stream breaks; doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The first subscription replays events from this long before the list call, so none falls
/// between the two (later ones replay from the last event delivered: [`Replay`]).
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
    let mut first = true;
    let mut replay = Replay::default();
    loop {
        let end = session(&endpoint, &tx, &stats, first, &mut replay).await;
        first = false;
        match end {
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
                if tx
                    .send(FleetUpdate::Connection(endpoint.name.clone(), state))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn session(
    endpoint: &Endpoint,
    tx: &mpsc::Sender<FleetUpdate>,
    stats: &WatchStats,
    first: bool,
    replay: &mut Replay,
) -> End {
    let replay_from = replay.since(Utc::now(), REPLAY_MARGIN_S);
    let fill = match connect(endpoint, tx, stats, first).await {
        Ok(fill) => fill,
        Err(end) => return end,
    };
    // Images, volumes and networks too: the host views reread on their events.
    let mut types = vec!["container"];
    types.extend_from_slice(super::objects::EVENT_TYPES);
    let filters = HashMap::from([("type", types)]);
    let options = EventsOptionsBuilder::default()
        .since(&replay_from)
        .filters(&filters)
        .build();
    let mut events = endpoint.docker.events(Some(options));
    let mut refresh = Refresh::new(fill);
    let mut pods = PodNames::default();
    let mut pace = tokio::time::interval(FILL_PAUSE);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        refresh.start_inspects(endpoint, stats);
        tokio::select! {
            item = events.next() => {
                let message = match item {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return broken(format!("events stream broke: {e}"), true),
                    None => return broken("the daemon closed the events stream".into(), true),
                };
                stats.events_received.fetch_add(1, Ordering::Relaxed);
                if let Some(mut object) = super::objects::ObjectEvent::from_message(&message) {
                    object.host.clone_from(&endpoint.name);
                    if tx.send(FleetUpdate::Object(object)).await.is_err() {
                        return End::ReceiverGone;
                    }
                    continue;
                }
                let Some(mut event) = ContainerEvent::from_message(&message) else { continue };
                if !replay.fresh(message.time_nano, &event.id.0, message.action.as_deref().unwrap_or("")) {
                    continue;
                }
                event.host.clone_from(&endpoint.name);
                pods.name(endpoint, &mut event).await;
                refresh.on_event(&event);
                if tx.send(FleetUpdate::Event(event)).await.is_err() {
                    return End::ReceiverGone;
                }
            }
            _ = pace.tick(), if !refresh.fill.is_empty() && refresh.fill_budget < FILL_BATCH => {
                refresh.fill_budget = FILL_BATCH;
            }
            Some(joined) = refresh.inspects.join_next(), if !refresh.inspects.is_empty() => {
                let Ok((id, fresh)) = joined else { continue };
                refresh.in_flight.remove(&id);
                if let Some(fresh) = fresh
                    && tx.send(FleetUpdate::Refreshed(Box::new(fresh))).await.is_err()
                {
                    return End::ReceiverGone;
                }
            }
        }
    }
}

fn broken(error: String, connected: bool) -> End {
    End::Broken { error, connected }
}

/// The start of a session: the API version, the running containers first (on the first
/// session), the full list as a snapshot, then "connected". The detail fill's order comes back.
async fn connect(
    endpoint: &Endpoint,
    tx: &mpsc::Sender<FleetUpdate>,
    stats: &WatchStats,
    first: bool,
) -> Result<VecDeque<ContainerId>, End> {
    // The daemon's API version first (and the first sign of whether it answers at all).
    if let Err(e) = endpoint.negotiate().await {
        return Err(broken(e.to_string(), false));
    }
    let send = |update| async move { tx.send(update).await.map_err(|_| End::ReceiverGone) };
    if let Some(engine) = endpoint.engine() {
        send(FleetUpdate::Engine(endpoint.name.clone(), engine)).await?;
    }
    if first {
        // The running containers first: what the console shows first, long before the full
        // list of a big fleet is in. A failure here is left to the full list to report.
        let running = HashMap::from([("status".to_string(), vec!["running".to_string()])]);
        if let Ok(list) = endpoint.list(&running).await {
            send(FleetUpdate::Running(endpoint.name.clone(), list)).await?;
        }
    }
    let mut list = endpoint
        .list(&HashMap::new())
        .await
        .map_err(|e| broken(e.to_string(), false))?;
    stats.list_calls.fetch_add(1, Ordering::Relaxed);
    stats.connects.fetch_add(1, Ordering::Relaxed);
    let fill = fill_order(&mut list);
    send(FleetUpdate::Snapshot(endpoint.name.clone(), list)).await?;
    let since = Utc::now();
    send(FleetUpdate::Connection(
        endpoint.name.clone(),
        Connection::Connected { since },
    ))
    .await?;
    Ok(fill)
}

/// The inspects of a session: those events asked for (at once), and the paced fill (its
/// members in `filling`; an entry no longer there was destroyed or taken over by an event's
/// inspect).
struct Refresh {
    dirty: Vec<ContainerId>,
    queued: HashSet<ContainerId>,
    fill: VecDeque<ContainerId>,
    filling: HashSet<ContainerId>,
    fill_budget: usize,
    in_flight: HashSet<ContainerId>,
    inspects: JoinSet<(ContainerId, Option<Container>)>,
}

impl Refresh {
    fn new(fill: VecDeque<ContainerId>) -> Self {
        Self {
            dirty: Vec::new(),
            queued: HashSet::new(),
            filling: fill.iter().cloned().collect(),
            fill,
            fill_budget: FILL_FIRST,
            in_flight: HashSet::new(),
            inspects: JoinSet::new(),
        }
    }

    /// Starts inspects: those events asked for first, then the fill within its budget.
    fn start_inspects(&mut self, endpoint: &Endpoint, stats: &WatchStats) {
        while self.inspects.len() < REFRESH_CONCURRENCY {
            let Some(id) = self.next_id() else { break };
            self.in_flight.insert(id.clone());
            stats.inspect_calls.fetch_add(1, Ordering::Relaxed);
            let endpoint = endpoint.clone();
            self.inspects.spawn(async move {
                let fresh = endpoint
                    .inspect(&id.0)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|i| from_inspect(&i))
                    .map(|c| endpoint.stamp(c));
                (id, fresh)
            });
        }
        if self.fill.is_empty() && self.filling.capacity() > 0 {
            // The fill is done: what it kept goes.
            self.filling = HashSet::new();
        }
    }

    /// The next container to inspect, none in flight already: an event's, else the fill's.
    fn next_id(&mut self) -> Option<ContainerId> {
        if let Some(i) = self
            .dirty
            .iter()
            .position(|id| !self.in_flight.contains(id))
        {
            let id = self.dirty.swap_remove(i);
            self.queued.remove(&id);
            return Some(id);
        }
        while self.fill_budget > 0 {
            let id = self.fill.pop_front()?;
            if !self.filling.remove(&id) || self.in_flight.contains(&id) {
                continue;
            }
            self.fill_budget -= 1;
            return Some(id);
        }
        None
    }

    /// An event that changes what an inspect says queues one; a destroyed container leaves
    /// the queue and the fill.
    fn on_event(&mut self, event: &ContainerEvent) {
        let refresh = matches!(
            event.action,
            EventAction::Create
                | EventAction::Start
                | EventAction::Die(_)
                | EventAction::Oom
                | EventAction::HealthStatus(_)
        );
        if refresh && self.queued.insert(event.id.clone()) {
            self.dirty.push(event.id.clone());
        }
        if refresh || event.action == EventAction::Destroy {
            self.filling.remove(&event.id);
        }
        if event.action == EventAction::Destroy && self.queued.remove(&event.id) {
            self.dirty.retain(|id| *id != event.id);
        }
    }
}

/// The names of a Podman host's pods, for its events (which carry a pod's id): looked up again
/// when an event names a pod not known yet.
#[derive(Debug, Default)]
struct PodNames {
    pods: super::podman::Pods,
    /// Pod ids looked up and not found (a pod removed meanwhile): not asked for again.
    unknown: HashSet<String>,
}

impl PodNames {
    /// Puts the name of the event's pod in place of its id, when it can be known.
    async fn name(&mut self, endpoint: &Endpoint, event: &mut ContainerEvent) {
        let Some(id) = event.pod.clone() else { return };
        if self.pods.name_of(&id).is_none() && !self.unknown.contains(&id) && endpoint.is_podman() {
            self.pods = endpoint.pods_or_none().await;
            if self.pods.name_of(&id).is_none() {
                self.unknown.insert(id.clone());
            }
        }
        if let Some(name) = self.pods.name_of(&id) {
            event.pod = Some(name.clone());
        }
    }
}

/// The order the details are filled in after a list: running containers first, then the
/// rest, each in the list's order (by project, then name): the rows on screen come first.
/// Containers that never ran are left out, and their restart count set (0: the list says all
/// an inspect would).
fn fill_order(list: &mut [Container]) -> VecDeque<ContainerId> {
    for c in list.iter_mut() {
        if c.state == RunState::Created && c.restart_count.is_none() {
            c.restart_count = Some(0);
        }
    }
    let mut order: Vec<&Container> = list
        .iter()
        .filter(|c| c.state != RunState::Created)
        .collect();
    order.sort_by(|a, b| {
        (a.state != RunState::Running)
            .cmp(&(b.state != RunState::Running))
            .then_with(|| {
                a.compose_project
                    .is_none()
                    .cmp(&b.compose_project.is_none())
            })
            .then_with(|| a.compose_project.cmp(&b.compose_project))
            .then_with(|| a.name.cmp(&b.name))
    });
    order.into_iter().map(|c| c.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, state: RunState, project: Option<&str>) -> Container {
        let mut c = Container::new(ContainerId(format!("id-{name}")), name.into());
        c.state = state;
        c.compose_project = project.map(str::to_string);
        c
    }

    #[test]
    fn the_fill_starts_with_running_rows_and_skips_what_never_ran() {
        let mut list = vec![
            c("zeta", RunState::Running, None),
            c("old", RunState::Exited, None),
            c("fresh", RunState::Created, None),
            c("web", RunState::Running, Some("shop")),
            c("alpha", RunState::Running, None),
        ];
        let order: Vec<String> = fill_order(&mut list).into_iter().map(|id| id.0).collect();
        assert_eq!(order, ["id-web", "id-alpha", "id-zeta", "id-old"]);
        let fresh = list
            .iter()
            .find(|c| c.name == "fresh")
            .map(|c| c.restart_count);
        assert_eq!(fresh, Some(Some(0)));
    }
}
