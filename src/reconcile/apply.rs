//! Applying a plan: networks and volumes first, then the services level by level in
//! `depends_on` order, each service waiting for its dependencies' conditions, the steps of a
//! level run at most `parallelism` at a time; orphans last. Every mutation goes through the
//! action layer (audited, refused under `--read-only`). A failed step makes the services that
//! depend on its service `skipped`, with the reason. A recreate creates the new container under
//! a temporary name before the old one is stopped and removed, then renames and starts it.
//! Steps that change nothing (unchanged, orphan kept, conflict) make no daemon call, so a
//! second apply of the same files makes no create, stop or remove call.
//!
//! [`plan_live`] is the plan against the daemon as it is: one list call.

mod error;
mod image;
mod resources;
mod steps;
mod wait;

pub use error::StepError;
pub use image::build_request;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::join_all;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use super::compose::{Project, PullPolicy, ServiceSpec};
use super::order::levels;
use super::plan::{Action, Plan, PlanOptions, Step, plan};
use crate::actions::ActionContext;
use crate::engine::{ContainerId, Endpoint, EngineError};

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Remove this project's containers whose service is gone from the files (the plan must
    /// have been made with the same switch; apply carries out the plan's `remove` steps).
    pub remove_orphans: bool,
    /// How long to wait for one dependency's `depends_on` condition.
    pub wait_timeout: Duration,
    /// How many steps of one level run at once.
    pub parallelism: usize,
    /// How long one image pull may take.
    pub pull_timeout: Duration,
    /// `--pull`: pull every image that has no `build:`, present or not.
    pub pull: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            remove_orphans: false,
            wait_timeout: Duration::from_secs(120),
            parallelism: 8,
            pull_timeout: Duration::from_secs(300),
            pull: false,
        }
    }
}

/// A line of a build's or a pull's output, as it comes (not part of the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub service: String,
    /// `build` or `pull`.
    pub kind: &'static str,
    pub line: String,
}

impl Progress {
    /// `building web: Step 2/3 : RUN make` (or `pulling ...`).
    pub fn describe(&self) -> String {
        let word = if self.kind == "pull" {
            "pulling"
        } else {
            "building"
        };
        format!("{word} {}: {}", self.service, self.line)
    }
}

/// What became of one step (or of a network or volume made for the project: those have the
/// service `(network)` / `(volume)`, the daemon's name, and a `create` action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    pub step: Step,
    /// Whether the step reached what the files want.
    pub ok: bool,
    /// What the step came to (its word in `--json` and the tables).
    pub outcome: Outcome,
    /// What went wrong, saying what was being done ("creating shop-web-2: ...").
    pub error: Option<String>,
    /// The container the step left (the new one after a create or recreate).
    pub container: Option<ContainerId>,
}

/// What a step came to: its word (`created`, …) in `--json`, the tables and the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Recreated,
    Started,
    Restarted,
    Built,
    Removed,
    Unchanged,
    Conflict,
    Orphan,
    /// Not tried: a dependency failed, or read-only.
    Skipped,
    Failed,
}

impl Outcome {
    const ALL: [Self; 11] = [
        Self::Created,
        Self::Recreated,
        Self::Started,
        Self::Restarted,
        Self::Built,
        Self::Removed,
        Self::Unchanged,
        Self::Conflict,
        Self::Orphan,
        Self::Skipped,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Recreated => "recreated",
            Self::Started => "started",
            Self::Restarted => "restarted",
            Self::Built => "built",
            Self::Removed => "removed",
            Self::Unchanged => "unchanged",
            Self::Conflict => "conflict",
            Self::Orphan => "orphan",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    /// Whether the step made a container run (what the history records as an apply).
    pub fn made_it_run(self) -> bool {
        matches!(self, Self::Created | Self::Recreated | Self::Started)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an outcome of a step")]
pub struct UnknownOutcome(pub String);

impl std::str::FromStr for Outcome {
    type Err = UnknownOutcome;
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == word)
            .ok_or_else(|| UnknownOutcome(word.to_string()))
    }
}

impl StepOutcome {
    /// Whether this is a network or volume made for the project, not a container's step.
    pub fn is_resource(&self) -> bool {
        self.step.service.starts_with('(')
    }

    fn new(step: &Step, ok: bool, outcome: Outcome, error: Option<String>) -> Self {
        Self {
            step: step.clone(),
            ok,
            outcome,
            error,
            container: step.container.clone(),
        }
    }

    fn failed(step: &Step, error: String) -> Self {
        Self::new(step, false, Outcome::Failed, Some(error))
    }

    fn skipped(step: &Step, why: String) -> Self {
        Self::new(step, false, Outcome::Skipped, Some(why))
    }
}

/// Everything an apply did, in plan order (networks and volumes first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub project: String,
    pub outcomes: Vec<StepOutcome>,
}

impl ApplyReport {
    /// Whether every step reached what the files want.
    pub fn ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.ok)
    }

    /// How many outcomes of each word.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for o in &self.outcomes {
            *out.entry(o.outcome.to_string()).or_insert(0) += 1;
        }
        out
    }
}

/// The plan of `project` against the daemon as it is now: one list call (every container, for
/// the names another container may hold); the list carries the labels the planner reads. The
/// image ids are resolved (one inspect each) of the services that build, of those whose pull
/// policy is `always`, and of every service with `--pull`, so that a tag that names another
/// image now shows as the `image` change; a missing image of a service that builds is built.
pub async fn plan_live(
    endpoint: &Endpoint,
    project: &Project,
    opts: &PlanOptions,
) -> Result<Plan, EngineError> {
    let actual = endpoint.list(&HashMap::new()).await?;
    let mut opts = opts.clone();
    for spec in &project.services {
        let resolve = spec.build.is_some() || opts.pull || spec.pull_policy == PullPolicy::Always;
        if !resolve
            || opts.image_ids.contains_key(&spec.image)
            || opts.missing_images.contains(&spec.image)
        {
            continue;
        }
        match endpoint.image_id(&spec.image).await? {
            Some(id) => {
                opts.image_ids.insert(spec.image.clone(), id);
            }
            None => {
                opts.missing_images.insert(spec.image.clone());
            }
        }
    }
    Ok(plan(project, &actual, &opts))
}

/// One apply in progress: what is done so far, shared by the steps running at once.
struct Run<'a> {
    ctx: &'a ActionContext,
    project: &'a Project,
    opts: &'a ApplyOptions,
    progress: Option<mpsc::Sender<StepOutcome>>,
    events: Option<mpsc::Sender<Progress>>,
    permits: Semaphore,
    /// (plan index, outcome); resources get indices before the plan's.
    done: Mutex<Vec<(usize, StepOutcome)>>,
    /// Service → why it failed (its dependents are skipped).
    failed: Mutex<BTreeMap<String, String>>,
    /// Services with a container recreated (`depends_on: {restart: true}` restarts dependents).
    updated: Mutex<BTreeSet<String>>,
}

impl Run<'_> {
    async fn record(&self, index: usize, outcome: StepOutcome) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(outcome.clone()).await;
        }
        if let Ok(mut done) = self.done.lock() {
            done.push((index, outcome));
        }
    }

    fn mark_failed(&self, service: &str, why: &str) {
        if let Ok(mut failed) = self.failed.lock() {
            failed
                .entry(service.to_string())
                .or_insert_with(|| why.to_string());
        }
    }

    fn failure_of(&self, service: &str) -> Option<String> {
        self.failed.lock().ok()?.get(service).cloned()
    }

    /// Whether a dependency of `spec` with `restart: true` was recreated by this apply.
    fn restart_due(&self, spec: &ServiceSpec) -> bool {
        let Ok(updated) = self.updated.lock() else {
            return false;
        };
        spec.depends_on
            .iter()
            .any(|(name, d)| d.restart && updated.contains(name))
    }

    /// The image first: built (a `build` step, recorded as its own outcome) or made present;
    /// gives its id, or why the service's containers cannot be made.
    async fn image(
        &self,
        spec: &ServiceSpec,
        steps: &[(usize, &Step)],
    ) -> Result<Option<String>, StepError> {
        if let Some((i, step)) = steps
            .iter()
            .find(|(_, s)| matches!(s.action, Action::Build))
        {
            let built = image::build(self, spec).await;
            let outcome = match &built {
                Ok(_) => StepOutcome::new(step, true, Outcome::Built, None),
                Err(e) => StepOutcome::failed(step, e.to_string()),
            };
            self.record(*i, outcome).await;
            return built.map(Some);
        }
        let makes = steps
            .iter()
            .any(|(_, s)| matches!(s.action, Action::Create | Action::Recreate { .. }));
        if makes {
            image::ensure(self, spec).await
        } else {
            Ok(None)
        }
    }

    /// One service's steps: skipped when a dependency failed, else after its dependencies'
    /// conditions hold and its image is there.
    async fn service(&self, spec: &ServiceSpec, steps: Vec<(usize, &Step)>, blocked: Option<&str>) {
        let restart = self.restart_due(spec);
        let work = restart || steps.iter().any(|(_, s)| s.action.mutates());
        let dep_failure = spec.depends_on.keys().find_map(|d| {
            self.failure_of(d)
                .map(|why| format!("dependency {d} failed: {why}"))
        });
        let mut why_not = blocked.map(str::to_string).or(dep_failure);
        if work && why_not.is_none() {
            for (dep, d) in &spec.depends_on {
                if let Err(e) = wait::wait_for(self, dep, d.condition).await {
                    why_not = Some(e.to_string());
                    break;
                }
            }
        }
        let mut image_id = None;
        if why_not.is_none() {
            match self.image(spec, &steps).await {
                Ok(id) => image_id = id,
                Err(e) => why_not = Some(e.to_string()),
            }
        } else if let Some((i, step)) = steps
            .iter()
            .find(|(_, s)| matches!(s.action, Action::Build))
        {
            let why = why_not.clone().unwrap_or_default();
            self.record(*i, StepOutcome::skipped(step, why)).await;
        }
        let rest = steps
            .iter()
            .filter(|(_, s)| !matches!(s.action, Action::Build));
        let outcomes = join_all(rest.map(|(i, step)| {
            let why_not = why_not.clone();
            let image_id = image_id.clone();
            async move {
                let outcome = match why_not {
                    Some(why) if step.action.mutates() => StepOutcome::skipped(step, why),
                    _ => {
                        let _permit = self.permits.acquire().await.ok();
                        if restart && matches!(step.action, Action::Unchanged) {
                            steps::restart(self, spec, step).await
                        } else {
                            steps::run_step(self, Some(spec), step, image_id.as_deref()).await
                        }
                    }
                };
                if !outcome.ok && outcome.outcome != Outcome::Conflict {
                    let why = outcome.error.clone().unwrap_or_default();
                    self.mark_failed(&spec.name, &why);
                }
                if outcome.outcome == Outcome::Recreated
                    && let Ok(mut updated) = self.updated.lock()
                {
                    updated.insert(spec.name.clone());
                }
                self.record(*i, outcome).await;
            }
        }));
        outcomes.await;
        if let Some(why) = why_not.filter(|_| work) {
            self.mark_failed(&spec.name, &why);
        }
    }
}

/// Carries out `plan` (made for `project`) through the action layer, sending each outcome to
/// `progress` as it comes; the report holds them all, in plan order.
pub async fn apply(
    ctx: &ActionContext,
    project: &Project,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: Option<mpsc::Sender<StepOutcome>>,
) -> ApplyReport {
    apply_with(ctx, project, plan, opts, progress, None).await
}

/// [`apply`], with each line of a build's or pull's output sent to `events` as it comes.
pub async fn apply_with(
    ctx: &ActionContext,
    project: &Project,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: Option<mpsc::Sender<StepOutcome>>,
    events: Option<mpsc::Sender<Progress>>,
) -> ApplyReport {
    let run = Run {
        ctx,
        project,
        opts,
        progress,
        events,
        permits: Semaphore::new(opts.parallelism.max(1)),
        done: Mutex::new(Vec::new()),
        failed: Mutex::new(BTreeMap::new()),
        updated: Mutex::new(BTreeSet::new()),
    };
    let base = 1_000;
    if ctx.read_only && !plan.is_noop() {
        for (i, step) in plan.steps.iter().enumerate() {
            let outcome = if step.action.mutates() {
                StepOutcome::skipped(step, "refused: fleetdeck is read-only (--read-only)".into())
            } else {
                steps::passive(step)
            };
            run.record(base + i, outcome).await;
        }
        return finish(project, run);
    }

    let blocked = resources::ensure(&run, plan)
        .await
        .err()
        .map(|e| e.to_string());
    let mut by_service: BTreeMap<&str, Vec<(usize, &Step)>> = BTreeMap::new();
    let mut rest: Vec<(usize, &Step)> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let known = project.service(&step.service).is_some()
            && !matches!(step.action, Action::Orphan)
            && !matches!(
                step.action,
                Action::Remove {
                    reason: super::plan::RemoveReason::Orphan
                }
            );
        if known {
            by_service
                .entry(step.service.as_str())
                .or_default()
                .push((base + i, step));
        } else {
            rest.push((base + i, step));
        }
    }
    let order = levels(&project.services)
        .unwrap_or_else(|_| vec![project.services.iter().map(|s| s.name.clone()).collect()]);
    for level in order {
        let services = level.iter().filter_map(|name| {
            let spec = project.service(name)?;
            let steps = by_service.remove(name.as_str()).unwrap_or_default();
            Some(run.service(spec, steps, blocked.as_deref()))
        });
        join_all(services).await;
    }
    // Orphans: removed (with --remove-orphans) or reported.
    join_all(rest.into_iter().map(|(i, step)| {
        let run = &run;
        async move {
            let outcome = {
                let _permit = run.permits.acquire().await.ok();
                steps::run_step(run, None, step, None).await
            };
            run.record(i, outcome).await;
        }
    }))
    .await;
    finish(project, run)
}

fn finish(project: &Project, run: Run<'_>) -> ApplyReport {
    let mut done = run.done.into_inner().unwrap_or_default();
    done.sort_by_key(|(i, _)| *i);
    ApplyReport {
        project: project.name.clone(),
        outcomes: done.into_iter().map(|(_, o)| o).collect(),
    }
}

#[cfg(test)]
mod outcome_tests {
    use super::Outcome;

    #[test]
    fn an_outcome_is_its_word_in_json_and_text_and_reads_back() {
        for outcome in Outcome::ALL {
            let json = serde_json::to_string(&outcome).expect("json");
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
            assert_eq!(outcome.to_string(), outcome.as_str());
            assert_eq!(outcome.as_str().parse::<Outcome>(), Ok(outcome));
        }
        assert_eq!(Outcome::Recreated.as_str(), "recreated");
        assert!(
            "create".parse::<Outcome>().is_err(),
            "an action, not an outcome"
        );
        let ran: Vec<_> = Outcome::ALL
            .into_iter()
            .filter(|o| o.made_it_run())
            .collect();
        assert_eq!(
            ran,
            [Outcome::Created, Outcome::Recreated, Outcome::Started]
        );
    }
}
