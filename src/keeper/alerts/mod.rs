//! Alerts: the keeper tells someone. The keeper feeds what it sees ([`Feed`]: each fleet
//! update, each give-up) to one task through a bounded channel that never blocks it
//! ([`AlertsHandle::feed`]); that task reads the updates into [`signal::Signal`]s, asks each
//! `[[alerts]]` rule whether it fires ([`signal::matches`]), holds back duplicates and floods
//! ([`limit::Limiter`]; one notice says how many were suppressed), records each alert in the
//! store first and then delivers it to the rule's sinks, each delivery a task of its own that
//! retries with backoff ([`deliver`]). Log rules' lines come from [`follow`]; disk and Swarm
//! problems from a periodic triage pass ([`problems_pass`]).

pub mod alert;
pub mod deliver;
pub mod follow;
pub mod limit;
pub mod oneshot;
pub mod signal;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::config::alerts::{AlertKind, AlertRule, AlertRules};
use crate::engine::logs::LogsOptions;
use crate::engine::{
    Connection, Container, ContainerId, Endpoint, EventAction, Fleet, FleetUpdate,
};
use crate::keeper::log::DecisionLog;
use crate::store::{AlertEntry, StoreWriter};
use crate::triage::{Problem, Thresholds};

use alert::Alert;
use deliver::{Delivery, HttpClient, Reports};
use follow::{Follow, Follower, Matched};
use limit::{Admit, Limiter};
use signal::{Judge, Signal, Subject};

/// Feeds waiting for the alerts task, at most; beyond that they are dropped and counted.
pub const FEED_CAPACITY: usize = 4096;
/// Matched log lines waiting for the router, at most (a full channel slows the log streams).
const MATCHED_CAPACITY: usize = 256;
/// How often the router looks at its timers (host down, suppression notices).
const TICK: Duration = Duration::from_secs(1);

/// What the keeper tells the alerts task.
#[derive(Debug)]
pub enum Feed {
    Update(FleetUpdate),
    /// The keeper spent the container's restart budget.
    GaveUp {
        id: ContainerId,
        name: String,
        reason: String,
    },
    /// Triage's problems now (any kind; those of an alert kind fire when new).
    Problems(Vec<Problem>),
}

/// The keeper's end of the feed: never blocks.
#[derive(Debug, Clone)]
pub struct AlertsHandle {
    tx: mpsc::Sender<Feed>,
    dropped: Arc<AtomicU64>,
}

impl AlertsHandle {
    /// Hands `feed` to the alerts task, or counts it as dropped when the task is behind.
    pub fn feed(&self, feed: Feed) {
        if self.tx.try_send(feed).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                log::warn!("alerts: {n} update(s) dropped: the alerts task is behind");
            }
        }
    }
}

/// A feed: the keeper's handle and the task's end.
pub fn channel() -> (AlertsHandle, mpsc::Receiver<Feed>) {
    let (tx, rx) = mpsc::channel(FEED_CAPACITY);
    let handle = AlertsHandle {
        tx,
        dropped: Arc::new(AtomicU64::new(0)),
    };
    (handle, rx)
}

/// The alerts' part of the configuration.
#[derive(Debug, Clone, Default)]
pub struct AlertsConfig {
    pub rules: AlertRules,
    /// Triage's limits: the crash-loop count and window of `restart_loop`.
    pub thresholds: Thresholds,
    /// The log streams' bounds (the config's `[logs]`).
    pub logs: LogsOptions,
    /// How often triage runs for `disk` and `swarm` rules.
    pub triage_every: Duration,
}

/// What the alerts task runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: AlertsConfig,
    pub endpoint: Endpoint,
    pub store: Option<StoreWriter>,
    pub log: DecisionLog,
}

/// Runs the alerts task until `feed` closes.
pub async fn run(settings: Settings, feed: mpsc::Receiver<Feed>) {
    Router::new(settings).run(feed).await;
}

/// The alerts task's state.
struct Router {
    s: Settings,
    judge: Judge,
    fleet: Fleet,
    limiters: Vec<Limiter>,
    client: HttpClient,
    deliveries: JoinSet<()>,
    follow: Option<mpsc::UnboundedSender<Follow>>,
    /// The containers of the first list: their logs are read from now on; any other's from
    /// its start.
    baseline: Option<HashSet<ContainerId>>,
    /// Since when the host has not answered, and the host-down rules fired for this outage.
    down: Option<(Instant, String)>,
    down_fired: HashSet<String>,
    /// The problems of the last triage pass (kind word, subject).
    problems: HashSet<(String, String)>,
    /// Alert ids: the start time and a sequence.
    id_base: String,
    seq: u64,
}

impl Router {
    fn new(s: Settings) -> Self {
        let host = s.endpoint.name.clone();
        let limiters = s
            .config
            .rules
            .0
            .iter()
            .map(|r| Limiter::new(r.dedup, r.rate_limit, r.rate_window))
            .collect();
        let now = Utc::now();
        Self {
            judge: Judge::new(&host, s.config.thresholds.clone(), now),
            fleet: Fleet::new(),
            limiters,
            client: deliver::http_client(),
            deliveries: JoinSet::new(),
            follow: None,
            baseline: None,
            down: None,
            down_fired: HashSet::new(),
            problems: HashSet::new(),
            id_base: format!("{host}-{}", now.timestamp_nanos_opt().unwrap_or(0)),
            seq: 0,
            s,
        }
    }

    fn host(&self) -> &str {
        &self.s.endpoint.name
    }

    async fn run(mut self, mut feed: mpsc::Receiver<Feed>) {
        let (matched_tx, mut matched) = mpsc::channel::<Matched>(MATCHED_CAPACITY);
        let mut follower = None;
        if self
            .s
            .config
            .rules
            .0
            .iter()
            .any(|r| r.fires_on(AlertKind::Log))
        {
            let (tx, rx) = mpsc::unbounded_channel();
            self.follow = Some(tx);
            let f = Follower {
                endpoint: self.s.endpoint.clone(),
                host: self.host().to_string(),
                options: self.s.config.logs.clone(),
                matched: matched_tx,
            };
            follower = Some(tokio::spawn(f.run(rx)));
        }
        self.resume_pending().await;
        let wanted = |kind: AlertKind| self.s.config.rules.0.iter().any(|r| r.on.contains(&kind));
        let wants = Wants {
            disk: wanted(AlertKind::Disk),
            swarm: wanted(AlertKind::Swarm),
        };
        let wants_triage = wants.disk || wants.swarm;
        let (problems_tx, mut problems) = mpsc::channel::<Vec<Problem>>(1);
        let mut triage = tokio::time::interval(self.s.config.triage_every.max(TICK));
        let mut triaging: Option<tokio::task::JoinHandle<()>> = None;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                f = feed.recv() => match f {
                    None => break,
                    Some(f) => self.fed(f),
                },
                Some(m) = matched.recv() => self.matched(m),
                Some(p) = problems.recv() => self.fed(Feed::Problems(p)),
                Some(_) = self.deliveries.join_next(), if !self.deliveries.is_empty() => {}
                _ = tick.tick() => self.tick(),
                _ = triage.tick(), if wants_triage => {
                    if triaging.as_ref().is_none_or(|t| t.is_finished()) {
                        let endpoint = self.s.endpoint.clone();
                        let thresholds = self.s.config.thresholds.clone();
                        let tx = problems_tx.clone();
                        // Triage's gathering is driven on a blocking thread of its own (its
                        // future borrows across its stats calls, which `spawn` cannot take).
                        let runtime = tokio::runtime::Handle::current();
                        triaging = Some(tokio::task::spawn_blocking(move || {
                            let pass = problems_pass(&endpoint, &thresholds, wants);
                            let found = runtime.block_on(pass);
                            let _ = tx.blocking_send(found);
                        }));
                    }
                }
            }
        }
        if let Some(f) = follower {
            f.abort();
        }
        if let Some(t) = triaging {
            t.abort();
        }
    }

    /// Delivers again what a previous keeper left pending.
    async fn resume_pending(&mut self) {
        let Some(store) = self.s.store.clone() else {
            return;
        };
        let host = self.host().to_string();
        for d in oneshot::pending(&store, &host, &self.s.config.rules).await {
            self.s.log.log(
                "alert_resumed",
                &d.subject,
                None,
                &format!(
                    "{}: delivering again what a previous keeper left pending",
                    d.sink
                ),
                json!({ "rule": d.rule, "sink": d.sink.word() }),
            );
            let reports = Reports {
                store: self.s.store.clone(),
                log: self.s.log.clone(),
            };
            self.deliveries
                .spawn(deliver::deliver(d, self.client.clone(), reports));
        }
    }

    fn fed(&mut self, feed: Feed) {
        match feed {
            Feed::Update(update) => self.update(update),
            Feed::GaveUp { id, name, reason } => {
                let subject = self.fleet.get(&id).map_or_else(
                    || Subject {
                        id: id.0.clone(),
                        name,
                        project: None,
                    },
                    Subject::of,
                );
                let signal = Signal::new(AlertKind::GaveUp, self.host(), Some(subject), reason);
                self.signal(&signal, 0);
            }
            Feed::Problems(found) => {
                let mut now = HashSet::new();
                for p in &found {
                    let key = (signal::problem_word(p), p.subject.clone());
                    let new = !self.problems.contains(&key);
                    now.insert(key);
                    if new && let Some(s) = signal::from_problem(p, self.host(), &self.fleet) {
                        self.signal(&s, 0);
                    }
                }
                self.problems = now;
            }
        }
    }

    fn update(&mut self, update: FleetUpdate) {
        let event = match &update {
            FleetUpdate::Event(e) => Some(e.clone()),
            FleetUpdate::Connection(_, c) => {
                self.connection(c);
                None
            }
            _ => None,
        };
        let listed = matches!(update, FleetUpdate::Snapshot(..));
        self.fleet.apply(update);
        if listed {
            self.follow_all();
        }
        if let Some(e) = event {
            let c = self.fleet.get(&e.id).cloned();
            for s in self.judge.event(&e, c.as_ref()) {
                self.signal(&s, 0);
            }
            match &e.action {
                EventAction::Destroy => {
                    if let Some(f) = &self.follow {
                        let _ = f.send(Follow::Stop(e.id.clone()));
                    }
                }
                EventAction::Create | EventAction::Start | EventAction::Rename(_) => {
                    if let Some(c) = c {
                        self.follow_one(&c);
                    }
                }
                _ => {}
            }
        }
    }

    fn connection(&mut self, c: &Connection) {
        match c {
            Connection::Connected { .. } => {
                self.down = None;
                self.down_fired.clear();
            }
            Connection::Disconnected { error, .. } => {
                if self.down.is_none() {
                    self.down = Some((Instant::now(), error.clone()));
                } else if let Some((_, e)) = &mut self.down {
                    e.clone_from(error);
                }
            }
            Connection::Connecting => {}
        }
    }

    /// Follows every container a log rule selects (after a list).
    fn follow_all(&mut self) {
        if self.follow.is_none() {
            return;
        }
        let first = self.baseline.is_none();
        if first {
            self.baseline = Some(self.fleet.containers().map(|c| c.id.clone()).collect());
        }
        let all: Vec<Container> = self.fleet.containers().cloned().collect();
        for c in &all {
            self.follow_one(c);
        }
    }

    fn follow_one(&mut self, c: &Container) {
        let Some(follow) = &self.follow else { return };
        let rules: Vec<(String, regex::Regex)> = self
            .s
            .config
            .rules
            .0
            .iter()
            .filter(|r| signal::follows(r, c))
            .filter_map(|r| Some((r.name.clone(), r.pattern.as_ref()?.0.clone())))
            .collect();
        if rules.is_empty() {
            return;
        }
        let from_start = self.baseline.as_ref().is_some_and(|b| !b.contains(&c.id));
        let _ = follow.send(Follow::Start {
            subject: Subject::of(c),
            rules,
            from_start,
        });
    }

    fn matched(&mut self, m: Matched) {
        self.signal(&m.signal, m.more);
    }

    fn tick(&mut self) {
        let now = Instant::now();
        if let Some((since, error)) = self.down.clone() {
            let down_for = now.saturating_duration_since(since);
            let signals = signal::host_down(
                &self.s.config.rules.0,
                self.host(),
                down_for,
                &error,
                &self.down_fired,
            );
            for s in signals {
                if let Some(rule) = &s.rule {
                    self.down_fired.insert(rule.clone());
                }
                self.signal(&s, 0);
            }
        }
        for i in 0..self.limiters.len() {
            if let Some(count) = self.limiters[i].tick(now) {
                let rule = self.s.config.rules.0[i].clone();
                let notice = Alert::suppressed(&rule.name, self.host(), count, rule.rate_window);
                self.s.log.log(
                    "alert_suppressed",
                    "",
                    None,
                    &notice.message,
                    json!({ "rule": rule.name, "suppressed": count }),
                );
                self.send(&rule, &notice);
            }
        }
    }

    /// Every rule that fires on `signal` (plus `more` like it, held back) sends an alert,
    /// unless its limiter holds it back.
    fn signal(&mut self, signal: &Signal, more: u64) {
        let now = Instant::now();
        for i in 0..self.s.config.rules.0.len() {
            if !signal::matches(&self.s.config.rules.0[i], signal) {
                continue;
            }
            let admit = self.limiters[i].admit(signal.dedup_key(), now);
            self.limiters[i].hold(more);
            if admit == Admit::Send {
                let rule = self.s.config.rules.0[i].clone();
                let alert = Alert::new(&rule.name, signal);
                self.send(&rule, &alert);
            }
        }
    }

    /// Records `alert` for each of the rule's sinks, then delivers it there.
    fn send(&mut self, rule: &AlertRule, alert: &Alert) {
        self.seq += 1;
        let id = format!("{}-{}", self.id_base, self.seq);
        let subject = alert.container.as_ref().map_or("", |c| c.name.as_str());
        self.s.log.log(
            "alert",
            subject,
            alert.container.as_ref().map(|c| c.id.as_str()),
            &alert.message,
            json!({ "rule": alert.rule, "kind": alert.kind, "alert": alert.to_json() }),
        );
        let body = alert.body(rule.template.as_ref());
        for sink in deliver::sinks(rule) {
            let key = format!("{id}/{}", sink.word());
            if let Some(store) = &self.s.store {
                store.record_alert(AlertEntry {
                    key: key.clone(),
                    time: Utc::now(),
                    rule: rule.name.clone(),
                    kind: alert.kind.clone(),
                    sink: sink.to_string(),
                    host: Some(alert.host.clone()),
                    container_id: alert.container.as_ref().map(|c| c.id.clone()),
                    container_name: alert.container.as_ref().map(|c| c.name.clone()),
                    project: alert.project.clone(),
                    message: alert.message.clone(),
                    body: alert.to_json(),
                });
            }
            let delivery = Delivery {
                key,
                rule: rule.name.clone(),
                subject: subject.to_string(),
                sink,
                body: body.clone(),
                timeout: rule.timeout,
                give_up_after: rule.give_up_after,
            };
            let reports = Reports {
                store: self.s.store.clone(),
                log: self.s.log.clone(),
            };
            self.deliveries
                .spawn(deliver::deliver(delivery, self.client.clone(), reports));
        }
    }
}

/// One triage pass for the `disk` and `swarm` rules: the problems of the fleet now. A pass
/// that cannot reach the daemon finds nothing (the host-down rules say that).
pub async fn problems_pass(
    endpoint: &Endpoint,
    thresholds: &Thresholds,
    wants: Wants,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if wants.disk {
        problems.extend(disk_problems(endpoint, thresholds).await);
    }
    // On a Swarm manager, its services and nodes; elsewhere nothing.
    if wants.swarm
        && let Ok(swarm) = endpoint.swarm_info().await
        && swarm.active()
        && swarm.manager
    {
        match crate::triage::swarm::gather(endpoint, thresholds, Utc::now()).await {
            Ok(found) => problems.extend(found),
            Err(e) => log::debug!("alerts: swarm not read: {e}"),
        }
    }
    problems
}

/// Which of the triage-fed kinds some rule fires on: only those are read.
#[derive(Debug, Clone, Copy)]
pub struct Wants {
    pub disk: bool,
    pub swarm: bool,
}

/// The disk problems: a container that died with "no space left on device" (the fleet's
/// triage) and the host's data disk and reclaimable space (a host without the disk-usage call
/// adds nothing there).
async fn disk_problems(endpoint: &Endpoint, thresholds: &Thresholds) -> Vec<Problem> {
    let gathered = match crate::triage::gather::gather(endpoint, thresholds, 100.0).await {
        Ok(g) => g,
        Err(e) => {
            log::debug!("alerts: triage pass: {e}");
            return Vec::new();
        }
    };
    let ctx = crate::triage::Context {
        history: &gathered.history,
        memory: &gathered.memory,
        gpu: gathered.gpu.as_ref(),
        now: Utc::now(),
        thresholds,
        observed: &gathered.observed,
    };
    let mut problems = crate::triage::evaluate(&gathered.containers, &ctx);
    match crate::triage::disk::read(endpoint).await {
        Ok(reading) => problems.extend(crate::triage::disk::rules(&reading, thresholds)),
        Err(e) => log::debug!("alerts: disk not read: {e}"),
    }
    problems
}
