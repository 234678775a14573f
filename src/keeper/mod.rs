//! The keeper (`fleetdeck keep`): the layer that runs when nobody watches. It follows the
//! daemon's event stream through the engine's watcher (which lists and resubscribes after a
//! cut) and records every event and container in the store; keeps its compose projects true
//! (starts stopped-but-matching containers, restarts crashed or unhealthy ones within a budget
//! with backoff and verifies each restart, gives up loudly: see [`restart`] and `containers`);
//! re-plans every `reconcile_interval` (see `drift`); runs GC every `gc_interval` ([`gc`]); and
//! runs scheduled jobs ([`jobs`]). Every mutation goes through the action layer. One line per
//! decision goes to the [`log::DecisionLog`]. On shutdown it stops and removes the job
//! containers it started, flushes the store and returns.

pub mod alerts;
mod containers;
mod drift;
pub mod gc;
pub mod gc_images;
pub mod jobs;
pub mod log;
pub mod restart;
mod stuck;
mod supervise;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::actions::ActionContext;
use crate::actions::run::{RunReport, RunStatus, process_start, this_host};
use crate::config::keeper::KeeperConfig;
use crate::engine::{ContainerId, EngineError, Fleet, FleetUpdate};
use crate::reconcile::compose::Project;
use crate::store::StoreWriter;

use jobs::{Due, Job, LastRun, Scheduler};
use log::DecisionLog;
use restart::{Policy, Tracker};
use supervise::{Task, Tasks};

/// How often the keeper looks at its timers (restarts due, verifications, jobs due).
const TICK: Duration = Duration::from_millis(250);
/// How long shutdown waits for the job containers to be removed and other work to end.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(60);

/// Everything a keeper runs with.
pub struct Setup {
    pub ctx: ActionContext,
    pub store: Option<StoreWriter>,
    pub projects: Vec<Project>,
    pub config: KeeperConfig,
    pub jobs: Vec<Job>,
    /// Each job's last run, where known (from the store), for `catch_up`.
    pub last_runs: Vec<Option<LastRun>>,
    pub log: DecisionLog,
    /// The stop timeout of a restart of an unhealthy container, in seconds.
    pub stop_timeout_s: u64,
    /// `[[alerts]]` and what they read (none: no alerts task).
    pub alerts: alerts::AlertsConfig,
}

/// Why a restart the keeper made failed.
#[derive(Debug, thiserror::Error)]
enum RestartFailed {
    /// The action layer's words.
    #[error(transparent)]
    Action(#[from] crate::actions::ActionError),
    /// Its task ended without a result (`panicked: ...`, `was cancelled`).
    #[error("its task {0}")]
    Task(String),
}

/// What a background task of the keeper reports when it ends.
#[derive(Debug)]
enum Done {
    /// A restart (or start of a crashed container) by the keeper.
    Restarted {
        id: ContainerId,
        name: String,
        result: Result<String, RestartFailed>,
    },
    Reconciled(Vec<drift::Line>),
    Gc(Result<Vec<gc::GcItem>, EngineError>),
    Job {
        index: usize,
        report: Box<RunReport>,
    },
    /// The containers being verified, as inspected (`None`: the daemon did not answer).
    Inspected(Vec<containers::Inspected>),
    /// The alerts task ended (its feed closed).
    AlertsEnded,
}

/// The keeper's state between events.
struct Keeper {
    setup: Setup,
    policy: Policy,
    /// This machine, for the owner labels and GC.
    host: String,
    /// This keeper instance: `host:pid:start`.
    instance: String,
    fleet: Fleet,
    /// When the keeper started: events from before (replayed by the watcher) are recorded but
    /// not acted on; the state they left is read from the first list instead.
    started_at: DateTime<Utc>,
    trackers: HashMap<ContainerId, Tracker>,
    /// When the keeper gave up on a container (a later start by someone resets its budget).
    gave_up_at: HashMap<ContainerId, DateTime<Utc>>,
    /// Containers sent a signal since they last started (a stop, a kill): their death is no
    /// crash.
    signalled: HashSet<ContainerId>,
    /// Containers left stopped on purpose (stopped by someone, exited 0), with why.
    held: HashMap<ContainerId, String>,
    /// Containers the keeper is acting on right now.
    acting: HashSet<ContainerId>,
    tasks: Tasks,
    scheduler: Scheduler,
    jobs_running: usize,
    reconciling: bool,
    collecting: bool,
    /// A verification (inspects of the containers being verified) is out.
    verifying: bool,
    stop_jobs: watch::Sender<bool>,
    /// The feed of the alerts task, when there are rules.
    alerts: Option<alerts::AlertsHandle>,
}

/// The stuck checks' next batch of readings; never without them.
async fn next_readings(
    checks: &mut Option<stuck::StuckChecks>,
) -> Option<Vec<crate::engine::vitals::Vitals>> {
    match checks {
        Some(c) => c.readings.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs the keeper until `shutdown` resolves (to the signal's name), then stops and removes
/// the job containers it started and flushes the store.
pub async fn keep(setup: Setup, shutdown: impl Future<Output = String>) {
    let mut keeper = Keeper::new(setup);
    keeper.run(shutdown).await;
}

impl Keeper {
    fn new(setup: Setup) -> Self {
        let host = this_host();
        let instance = format!(
            "{host}:{}:{}",
            std::process::id(),
            process_start("self").unwrap_or(0)
        );
        let c = &setup.config;
        let policy = Policy {
            budget: c.restart_budget,
            backoff: c.backoff,
            backoff_max: c.backoff_max,
            window: c.window,
            settle: c.settle,
            verify_timeout: c.verify_timeout,
        };
        let scheduler = Scheduler::new(&setup.jobs, &setup.last_runs, Utc::now());
        let (stop_jobs, _) = watch::channel(false);
        Keeper {
            policy,
            host,
            instance,
            fleet: Fleet::new(),
            started_at: Utc::now(),
            trackers: HashMap::new(),
            gave_up_at: HashMap::new(),
            signalled: HashSet::new(),
            held: HashMap::new(),
            acting: HashSet::new(),
            tasks: Tasks::default(),
            scheduler,
            jobs_running: 0,
            reconciling: false,
            collecting: false,
            verifying: false,
            stop_jobs,
            alerts: None,
            setup,
        }
    }
}

impl Keeper {
    fn daemon(&self) -> &str {
        &self.setup.ctx.endpoint.address
    }

    fn note(&self, container_id: &str, action: &str, attributes: serde_json::Value) {
        if let Some(store) = &self.setup.store {
            store.record_note(self.daemon(), container_id, action, attributes);
        }
    }

    async fn run(&mut self, shutdown: impl Future<Output = String>) {
        let log = self.setup.log.clone();
        log.log(
            "start",
            "",
            None,
            &format!(
                "keeper {} keeping {} project(s), {} job(s)",
                self.instance,
                self.setup.projects.len(),
                self.setup.jobs.len()
            ),
            json!({
                "instance": self.instance,
                "projects": self.setup.projects.iter().map(|p| &p.name).collect::<Vec<_>>(),
                "jobs": self.setup.jobs.iter().map(|j| &j.name).collect::<Vec<_>>(),
            }),
        );
        self.start_alerts();
        let (tx, mut updates) = mpsc::channel::<FleetUpdate>(1024);
        let _watch = crate::engine::watch::spawn(self.setup.ctx.endpoint.clone(), tx);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reconcile = tokio::time::interval(self.setup.config.reconcile_interval.max(TICK));
        // The first GC comes one interval after the start (a one-shot `fleetdeck gc` is there
        // for now).
        let gc_every = self.setup.config.gc_interval.max(TICK);
        let mut collect =
            tokio::time::interval_at(tokio::time::Instant::now() + gc_every, gc_every);
        for i in [&mut reconcile, &mut collect] {
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        let mut stuck = stuck::StuckChecks::start(&self.setup.ctx.endpoint);
        let signal = loop {
            tokio::select! {
                signal = &mut shutdown => break signal,
                Some(readings) = next_readings(&mut stuck) => self.stuck(&mut stuck, readings),
                Some(update) = updates.recv() => self.update(update),
                Some(joined) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    self.joined(joined);
                }
                _ = tick.tick() => {
                    if let Some(checks) = stuck.as_mut() {
                        let running = self.fleet.containers().filter(|c| {
                            c.state == crate::engine::RunState::Running
                        });
                        checks.sync(self.fleet.generation, running.map(|c| c.id.clone()));
                    }
                    self.restarts_due();
                    self.verify();
                    self.jobs_due();
                }
                _ = reconcile.tick() => self.reconcile(),
                _ = collect.tick() => self.collect(),
            }
        };
        self.shut_down(&signal).await;
    }

    /// Starts the alerts task (again, after it failed), when there are rules.
    fn start_alerts(&mut self) {
        if self.setup.alerts.rules.is_empty() {
            return;
        }
        let (handle, feed) = alerts::channel();
        let settings = alerts::Settings {
            config: self.setup.alerts.clone(),
            endpoint: self.setup.ctx.endpoint.clone(),
            store: self.setup.store.clone(),
            log: self.setup.log.clone(),
        };
        self.tasks.spawn(Task::Alerts, async move {
            alerts::run(settings, feed).await;
            Done::AlertsEnded
        });
        self.alerts = Some(handle);
    }

    /// The stuck checks' readings: each problem that appeared or cleared, written to the
    /// history and the decision log.
    fn stuck(
        &mut self,
        checks: &mut Option<stuck::StuckChecks>,
        readings: Vec<crate::engine::vitals::Vitals>,
    ) {
        let Some(checks) = checks.as_mut() else {
            return;
        };
        // The config's `[triage]` limits, as the console and `triage` use them.
        let thresholds = &self.setup.alerts.thresholds;
        let notes = checks.on_readings(readings, self.fleet.containers(), thresholds);
        for (id, name, note, attributes) in notes {
            let reason = attributes["reason"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.setup
                .log
                .log(note, &name, Some(&id.0), &reason, attributes.clone());
            self.note(&id.0, note, attributes);
        }
    }

    /// Records an update and reacts to it.
    fn update(&mut self, update: FleetUpdate) {
        if let Some(alerts) = &self.alerts {
            alerts.feed(alerts::Feed::Update(update.clone()));
        }
        if let Some(store) = &self.setup.store {
            let daemon = self.setup.ctx.endpoint.address.as_str();
            match &update {
                FleetUpdate::Snapshot(_, list) | FleetUpdate::Running(_, list) => {
                    for c in list {
                        store.record_container(daemon, c);
                    }
                }
                FleetUpdate::Event(e) => store.record_event(daemon, e),
                FleetUpdate::Refreshed(c) => store.record_container(daemon, c),
                FleetUpdate::Connection(..) | FleetUpdate::Object(_) | FleetUpdate::Engine(..) => {}
            }
        }
        let snapshot = matches!(update, FleetUpdate::Snapshot(..));
        let event = match &update {
            FleetUpdate::Event(e) => Some(e.clone()),
            FleetUpdate::Connection(_, c) => {
                self.setup.log.log(
                    "connection",
                    "",
                    None,
                    "the daemon connection changed",
                    json!({ "connection": c }),
                );
                None
            }
            _ => None,
        };
        self.fleet.apply(update);
        if let Some(event) = event {
            self.event(&event);
        }
        if snapshot {
            self.snapshot();
        }
    }

    fn finished(&mut self, done: Done) {
        let log = self.setup.log.clone();
        match done {
            Done::Restarted { id, name, result } => self.restarted(id, &name, result),
            Done::Inspected(inspected) => self.inspected(inspected),
            Done::AlertsEnded => {}
            Done::Reconciled(lines) => {
                self.reconciling = false;
                for l in lines {
                    log.log(
                        l.decision,
                        &l.subject,
                        l.id.as_ref().map(|i| i.0.as_str()),
                        &l.reason,
                        json!({}),
                    );
                }
            }
            Done::Gc(result) => {
                self.collecting = false;
                match result {
                    Err(e) => log.note("gc_failed", "", &e.to_string()),
                    Ok(items) => {
                        for item in items.iter().filter(|i| i.remove) {
                            let (decision, reason) = match &item.error {
                                None => ("gc_remove", item.reason.clone()),
                                Some(e) => ("gc_failed", format!("{}: {e}", item.reason)),
                            };
                            log.log(decision, &item.name, Some(&item.id.0), &reason, json!({}));
                        }
                    }
                }
            }
            Done::Job { index, report } => {
                self.jobs_running = self.jobs_running.saturating_sub(1);
                self.scheduler.finished(index);
                let name = self.setup.jobs[index].name.clone();
                let note = jobs::run_note(&name, &report);
                let id = report
                    .result
                    .as_ref()
                    .map(|o| o.id.0.clone())
                    .unwrap_or_default();
                self.note(&id, "job.run", note.clone());
                let reason = match &report.result {
                    Ok(o) => match (&o.status, &o.exit) {
                        (RunStatus::Exited, Some(e)) => e.text.clone(),
                        (status, _) => status.word().to_string(),
                    },
                    Err(e) => e.to_string(),
                };
                log.log(
                    "job_done",
                    &name,
                    Some(&id),
                    &reason,
                    json!({
                        "job": name,
                        "status": note["status"],
                        "exit_code": note["exit_code"],
                        "removed": note["removed"],
                        "ok": note["ok"],
                    }),
                );
            }
        }
    }

    fn reconcile(&mut self) {
        if self.reconciling || self.setup.projects.is_empty() {
            return;
        }
        self.reconciling = true;
        let mut hold: HashSet<ContainerId> = self.held.keys().cloned().collect();
        hold.extend(self.acting.iter().cloned());
        hold.extend(
            self.trackers
                .iter()
                .filter(|(_, t)| t.is_busy())
                .map(|(id, _)| id.clone()),
        );
        let ctx = self.setup.ctx.clone();
        let projects = self.setup.projects.clone();
        let auto_apply = self.setup.config.auto_apply;
        self.tasks.spawn(Task::Reconcile, async move {
            Done::Reconciled(drift::pass(&ctx, &projects, &hold, auto_apply).await)
        });
    }

    fn collect(&mut self) {
        if self.collecting {
            return;
        }
        self.collecting = true;
        let ctx = self.setup.ctx.clone();
        let store = self.setup.store.clone();
        let host = self.host.clone();
        let opts = gc::GcOptions {
            max_age: self.setup.config.gc_max_age,
            group: None,
            dry_run: false,
        };
        let images = self.setup.config.gc_images.clone();
        self.tasks.spawn(Task::Gc, async move {
            let mut result = gc::collect(&ctx, store.as_ref(), &host, &opts).await;
            // The images after the containers: a container GC removed frees its image.
            if let Ok(items) = &mut result {
                match gc_images::collect(&ctx, store.as_ref(), &images).await {
                    Ok(more) => items.extend(more),
                    Err(e) => return Done::Gc(Err(e)),
                }
            }
            Done::Gc(result)
        });
    }

    fn jobs_due(&mut self) {
        let log = self.setup.log.clone();
        for (index, due) in self.scheduler.due(&self.setup.jobs, Utc::now()) {
            let job = self.setup.jobs[index].clone();
            match due {
                Due::Skip => {
                    let reason = "its previous run is still going";
                    log.log(
                        "job_skip",
                        &job.name,
                        None,
                        reason,
                        json!({ "job": job.name }),
                    );
                    self.note("", "job.skip", json!({ "job": job.name, "reason": reason }));
                }
                Due::Run => {
                    log.log(
                        "job_start",
                        &job.name,
                        None,
                        &format!("schedule {}", job.schedule_text),
                        json!({ "job": job.name }),
                    );
                    self.jobs_running += 1;
                    let ctx = self.setup.ctx.clone();
                    let instance = self.instance.clone();
                    let mut stop = self.stop_jobs.subscribe();
                    self.tasks.spawn(Task::Job { index }, async move {
                        let interrupt = async move {
                            let _ = stop.wait_for(|s| *s).await;
                            "SIGTERM".to_string()
                        };
                        let report = jobs::run_job(&ctx, &job, &instance, interrupt).await;
                        Done::Job {
                            index,
                            report: Box::new(report),
                        }
                    });
                }
            }
        }
    }

    async fn shut_down(&mut self, signal: &str) {
        let log = self.setup.log.clone();
        log.note(
            "shutdown",
            "",
            &format!("{signal}: stopping {} running job(s)", self.jobs_running),
        );
        let _ = self.stop_jobs.send(true);
        let deadline = Instant::now() + SHUTDOWN_BOUND;
        while self.jobs_running > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.tasks.join_next()).await {
                Ok(Some(joined)) => self.joined(joined),
                Ok(None) | Err(_) => break,
            }
        }
        self.tasks.abort_all();
        if let Some(store) = self.setup.store.clone() {
            // Flushing waits for the writer thread: off the async threads.
            let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
            let failed = match flushed {
                Ok(result) => result.err().map(|e| e.to_string()),
                Err(e) => Some(format!("the flush {e}")),
            };
            if let Some(e) = failed {
                log.note("store_failed", "", &format!("flushing the store: {e}"));
            }
        }
        log.note("stopped", "", "the keeper stopped");
    }
}
