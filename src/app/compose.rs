//! The compose project the console was started with (`fleetdeck -f FILE`, repeatable): its
//! files are read by the loop (an [`Effect::LoadCompose`]; file I/O never happens here) and
//! come back as a [`ComposeMsg::Loaded`]; the project is then planned against the fleet the
//! console holds, with the pure planner ([`crate::reconcile::plan::plan`]), again whenever a
//! container of the project, or one holding a name it wants, changes.
//!
//! From the plan: each container of the project is marked ([`Drift`]: in sync, drifted with
//! the fields, stopped, a replica too many, an orphan, a conflict), and each container the
//! files want that does not exist becomes a [`MissingRow`], listed in the project's group.
//! `:plan` reads the files again and opens the plan pane ([`Base::Plan`]); `:apply` opens it
//! and asks before running the plan (an [`Effect::ApplyPlan`]), refused under `--read-only`.
//! Each step's outcome comes back as a [`ComposeMsg::Step`], the whole report as a
//! [`ComposeMsg::Applied`]; the status line sums them up. Without a file none of this exists
//! (`AppState::compose` is `None`) and nothing of it shows.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

pub use super::compose_status::apply_summary;
use super::compose_status::{plan_summary, say_plan_when_listed};
use super::{AppState, Base, Effect, Overlay};
use crate::config::keys::ConsoleCommand;
use crate::engine::{Container, ContainerId, RunState};
use crate::geometry::{pane_inner, plan_page};
use crate::reconcile::apply::{ApplyReport, Progress, StepOutcome};
use crate::reconcile::compose::Project;
use crate::reconcile::plan::{self, Action, Plan, PlanOptions, RemoveReason};
use crate::reconcile::{COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL};

/// A loaded project, shared with the effect that applies it (compared by value).
#[derive(Debug, Clone)]
pub struct SharedProject(pub Arc<Project>);

impl PartialEq for SharedProject {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for SharedProject {}

/// How one container stands against the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Made from the files as they are, and running.
    InSync,
    /// Its config differs from the files': these fields (apply recreates it).
    Drifted(Vec<String>),
    /// Present and matching, not running (apply starts it).
    Stopped,
    /// A replica beyond the service's scale (apply removes it).
    Extra,
    /// This project's, of a service no longer in the files (kept).
    Orphan,
    /// Not this project's, but holds a name the files want (never touched).
    Conflict,
}

impl Drift {
    /// The mark: `✓`, `≠ env,health`, `≠ image changed`, `▸ stopped`, `− extra`, `orphan`…
    pub fn mark(&self) -> String {
        match self {
            Self::InSync => "✓".into(),
            Self::Drifted(fields) if fields.len() == 1 && fields[0] == "image" => {
                "≠ image changed".into()
            }
            Self::Drifted(fields) => {
                let short: Vec<&str> = fields.iter().map(|f| short_field(f)).collect();
                format!("≠ {}", short.join(","))
            }
            Self::Stopped => "▸ stopped".into(),
            Self::Extra => "− extra".into(),
            Self::Orphan => "orphan".into(),
            Self::Conflict => "conflict".into(),
        }
    }
}

/// A changed field's name as the narrow drift column says it.
fn short_field(field: &str) -> &str {
    match field {
        "environment" => "env",
        "healthcheck" => "health",
        "entrypoint" => "entry",
        "working_dir" => "workdir",
        other => other,
    }
}

/// A container the files want that does not exist: listed in the project's group.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingRow {
    pub service: String,
    /// What it would be: the name, the image, the project's labels (the filter reads these);
    /// the id is empty.
    pub container: Container,
}

/// What comes back to the console about its project.
#[derive(Debug, Clone)]
pub enum ComposeMsg {
    /// Read the files (again): sent once at start.
    Reload,
    /// The files as read, or why they cannot be used.
    Loaded(Result<SharedProject, super::messages::LoadError>),
    /// One step of a running apply is done.
    Step(Box<StepOutcome>),
    /// A line of a build's or pull's output during an apply (the status line shows it).
    Progress(Box<Progress>),
    /// Image → the id it names now (read after each load): the "image changed" mark.
    Images(BTreeMap<String, String>),
    /// The apply is over.
    Applied(Box<ApplyReport>),
}

/// The project's part of the state.
#[derive(Debug, Clone, Default)]
pub struct ComposeState {
    /// `-f` files, in order.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// The project as last read.
    pub project: Option<SharedProject>,
    /// Why the last read failed (the project read before it, if any, is kept).
    pub error: Option<String>,
    /// The plan against the fleet as the console holds it.
    pub plan: Option<Plan>,
    pub drift: HashMap<ContainerId, Drift>,
    /// Sorted by name.
    pub missing: Vec<MissingRow>,
    /// A read is under way.
    pub loading: bool,
    /// Open the plan pane when the read under way is done (`:plan`).
    pub show_when_loaded: bool,
    /// The confirm dialog is asking about the plan.
    pub pending: bool,
    /// An apply is running.
    pub applying: bool,
    /// The steps of the running (or last) apply, as they came.
    pub outcomes: Vec<StepOutcome>,
    /// The last apply's summary and whether anything failed.
    pub summary: Option<(String, bool)>,
    /// The plan pane's first step on screen.
    pub scroll: usize,
    /// Image reference → the id it names on the daemon, as last read.
    pub image_ids: BTreeMap<String, String>,
    /// The project was read before the container list came: its plan summary waits for it.
    pub summary_waits: bool,
}

impl ComposeState {
    pub fn new(files: Vec<PathBuf>, project_name: Option<String>) -> Self {
        Self {
            files,
            project_name,
            ..Self::default()
        }
    }

    /// The project's name, once read.
    pub fn project_name(&self) -> Option<&str> {
        self.project.as_ref().map(|p| p.0.name.as_str())
    }

    /// The mark of container `id`, if it is the project's (or in its way).
    pub fn drift_of(&self, id: &ContainerId) -> Option<&Drift> {
        self.drift.get(id)
    }

    /// The missing row named `name`.
    pub fn missing_row(&self, name: &str) -> Option<&MissingRow> {
        // Kept sorted by name: the list looks rows up as it draws them.
        self.missing
            .binary_search_by(|m| m.container.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.missing.get(i))
    }

    /// How the last apply went for the container named `name`.
    pub fn outcome_of(&self, name: &str) -> Option<&StepOutcome> {
        self.outcomes.iter().rev().find(|o| o.step.name == name)
    }
}

impl AppState {
    /// Whether the list shows the drift column: a project was read.
    pub fn shows_drift(&self) -> bool {
        self.compose.as_ref().is_some_and(|c| c.project.is_some())
    }
}

/// Where the console's compose project comes from; the loop then sends
/// [`ComposeMsg::Reload`] once.
pub fn start(state: &mut AppState, files: Vec<PathBuf>, project_name: Option<String>) {
    if !files.is_empty() {
        state.compose = Some(Box::new(ComposeState::new(files, project_name)));
    }
}

fn load_effect(compose: &mut ComposeState) -> Effect {
    compose.loading = true;
    Effect::LoadCompose {
        files: compose.files.clone(),
        project_name: compose.project_name.clone(),
    }
}

/// A message about the project.
pub(super) fn on_msg(state: &mut AppState, msg: ComposeMsg, effects: &mut Vec<Effect>) {
    let Some(compose) = state.compose.as_deref_mut() else {
        return;
    };
    state.dirty = true;
    match msg {
        ComposeMsg::Reload => effects.push(load_effect(compose)),
        ComposeMsg::Loaded(result) => {
            compose.loading = false;
            let show = std::mem::take(&mut compose.show_when_loaded);
            match result {
                Ok(project) => {
                    compose.project = Some(project);
                    compose.error = None;
                    replan(state);
                    say_plan_when_listed(state);
                }
                Err(e) => {
                    compose.error = Some(e.to_string());
                    state.set_status(format!("compose: {e}"), true);
                }
            }
            if show {
                open(state);
            }
        }
        ComposeMsg::Step(outcome) => {
            compose.outcomes.push(*outcome);
            let done = compose.outcomes.len();
            let total = compose.plan.as_ref().map_or(done, |p| p.steps.len());
            let name = compose.project_name().unwrap_or_default().to_string();
            state.set_status(format!("applying {name}: {done} of {total} steps …"), false);
        }
        ComposeMsg::Images(ids) => {
            compose.image_ids = ids;
            replan(state);
        }
        ComposeMsg::Progress(p) => state.set_status(p.describe(), false),
        ComposeMsg::Applied(report) => {
            compose.applying = false;
            compose.outcomes = report.outcomes.clone();
            let (text, failed) = apply_summary(&report);
            compose.summary = Some((text.clone(), failed));
            state.set_status(text, failed);
        }
    }
}

/// Whether `c` can matter to the plan of `project`: its project label, or a name the project's
/// services could use.
fn relevant(project: &Project, c: &Container) -> bool {
    if c.compose_project.as_deref() == Some(project.name.as_str()) {
        return true;
    }
    let name = c.name.strip_prefix('/').unwrap_or(&c.name);
    name.strip_prefix(project.name.as_str())
        .is_some_and(|rest| rest.starts_with('-'))
        || project
            .services
            .iter()
            .any(|s| s.container_name.as_deref() == Some(name))
}

/// Plans the project against the fleet again, if one was read: marks and missing rows follow,
/// and the rows are rebuilt.
pub(super) fn replan(state: &mut AppState) {
    if plan_again(state) {
        state.recompute_rows();
        clamp_scroll(state);
    }
}

/// Plans the project against the fleet again; whether there was a project to plan.
fn plan_again(state: &mut AppState) -> bool {
    // Before the whole list is in, a container not seen yet may exist: no missing row for it.
    let listed = state.fleet.is_listed();
    let Some(compose) = state.compose.as_deref_mut() else {
        return false;
    };
    let Some(SharedProject(project)) = &compose.project else {
        return false;
    };
    let actual: Vec<Container> = state
        .fleet
        .containers()
        .filter(|c| relevant(project, c))
        .cloned()
        .collect();
    let options = PlanOptions {
        image_ids: compose.image_ids.clone(),
        ..PlanOptions::default()
    };
    let plan = plan::plan(project, &actual, &options);
    compose.drift.clear();
    compose.missing.clear();
    for step in &plan.steps {
        let drift = match &step.action {
            Action::Create if !listed => continue,
            Action::Create => {
                let image = project
                    .service(&step.service)
                    .map(|s| s.image.clone())
                    .unwrap_or_default();
                let mut c = Container::new(ContainerId(String::new()), step.name.clone());
                c.image = image;
                c.state = RunState::Unknown;
                let labels = [
                    (COMPOSE_PROJECT_LABEL, project.name.clone()),
                    (COMPOSE_SERVICE_LABEL, step.service.clone()),
                ];
                c.set_labels(
                    labels
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                );
                compose.missing.push(MissingRow {
                    service: step.service.clone(),
                    container: c,
                });
                continue;
            }
            Action::Conflict { holder } => {
                compose.drift.insert(holder.clone(), Drift::Conflict);
                continue;
            }
            // An image, not a container: its containers' steps say what it changes.
            Action::Build => continue,
            Action::Unchanged => Drift::InSync,
            Action::Recreate { changed } => Drift::Drifted(changed.clone()),
            Action::Start => Drift::Stopped,
            Action::Remove {
                reason: RemoveReason::ScaleDown,
            } => Drift::Extra,
            Action::Remove {
                reason: RemoveReason::Orphan,
            }
            | Action::Orphan => Drift::Orphan,
        };
        if let Some(id) = &step.container {
            compose.drift.insert(id.clone(), drift);
        }
    }
    compose
        .missing
        .sort_by(|a, b| a.container.name.cmp(&b.container.name));
    compose.plan = Some(plan);
    true
}

/// A fleet change: plans again when it can matter (a snapshot, a connection change, or a
/// container of the project or holding one of its names). Called before the rows are rebuilt.
/// Returns whether the plan was made again (its missing rows may have changed).
pub(super) fn on_fleet(state: &mut AppState, touched: Option<&ContainerId>) -> bool {
    let Some(compose) = state.compose.as_deref() else {
        return false;
    };
    let Some(SharedProject(project)) = &compose.project else {
        return false;
    };
    let matters = match touched {
        None => true,
        Some(id) => {
            compose.drift.contains_key(id)
                || state.fleet.get(id).is_some_and(|c| relevant(project, c))
        }
    };
    let replanned = matters && plan_again(state);
    if replanned {
        clamp_scroll(state);
    }
    if state.compose.as_deref().is_some_and(|c| c.summary_waits) && state.fleet.is_listed() {
        say_plan_when_listed(state);
    }
    replanned
}

/// Opens the plan pane at its top.
pub(super) fn open(state: &mut AppState) {
    state.base = Base::Plan;
    state.inspect = None;
    if let Some(compose) = state.compose.as_deref_mut() {
        compose.scroll = 0;
    }
}

fn no_file(state: &mut AppState, verb: &str) {
    state.set_status(
        format!("{verb}: no compose file (start fleetdeck with -f FILE)"),
        true,
    );
}

/// `:plan`: reads the files again, then shows the plan.
pub(super) fn plan_command(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some(compose) = state.compose.as_deref_mut() else {
        return no_file(state, "plan");
    };
    compose.show_when_loaded = true;
    effects.push(load_effect(compose));
    state.set_status("plan: reading the compose files …", false);
}

/// `:apply` (or the apply key in the plan pane): shows the plan and asks before running it.
pub(super) fn apply_command(state: &mut AppState) {
    let Some(compose) = state.compose.as_deref() else {
        return no_file(state, "apply");
    };
    if compose.project.is_none() {
        let why = compose
            .error
            .clone()
            .unwrap_or_else(|| "the compose files are still being read".into());
        state.set_status(format!("apply: {why}"), true);
        return;
    }
    if !state.fleet.is_listed() {
        state.set_status("apply: waiting for the container list", true);
        return;
    }
    let applying = compose.applying;
    let noop = compose.plan.as_ref().is_none_or(Plan::is_noop);
    open(state);
    if state.settings.read_only {
        state.set_status(
            "read-only: apply is unavailable (fleetdeck was started with --read-only)",
            true,
        );
    } else if applying {
        state.set_status("apply: already running", true);
    } else if noop {
        let text = plan_summary(state);
        state.set_status(format!("{text}: nothing to apply"), false);
    } else if let Some(compose) = state.compose.as_deref_mut() {
        compose.pending = true;
        state.confirm = None;
        state.overlay = Some(Overlay::Confirm);
    }
}

/// The confirm dialog's question while it asks about the plan.
pub fn question(state: &AppState) -> Option<(String, bool)> {
    let compose = state.compose.as_deref().filter(|c| c.pending)?;
    let plan = compose.plan.as_ref()?;
    let counts: Vec<String> = plan
        .counts()
        .iter()
        .filter(|(w, _)| ["create", "recreate", "start", "remove"].contains(w))
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    let destructive = plan
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::Recreate { .. } | Action::Remove { .. }));
    Some((
        format!("apply {}: {}", plan.project, counts.join(", ")),
        destructive,
    ))
}

/// The answer to the confirm dialog about the plan: yes runs it.
pub(super) fn answer(state: &mut AppState, yes: bool, effects: &mut Vec<Effect>) {
    let Some(compose) = state.compose.as_deref_mut().filter(|c| c.pending) else {
        return;
    };
    compose.pending = false;
    let (Some(project), Some(plan)) = (compose.project.clone(), compose.plan.clone()) else {
        return;
    };
    if !yes {
        state.set_status(format!("cancelled: apply {}", plan.project), false);
        return;
    }
    compose.applying = true;
    compose.outcomes.clear();
    compose.summary = None;
    let steps = plan.steps.iter().filter(|s| s.action.mutates()).count();
    state.set_status(format!("applying {}: {steps} steps …", plan.project), false);
    effects.push(Effect::ApplyPlan { project, plan });
}

/// (lines, page) of the plan pane's step list.
pub fn geometry(state: &AppState) -> (usize, usize) {
    let steps = state
        .compose
        .as_ref()
        .and_then(|c| c.plan.as_ref())
        .map_or(0, |p| p.steps.len());
    (steps, plan_page(state.panes().plan.map(pane_inner)))
}

fn clamp_scroll(state: &mut AppState) {
    let (lines, page) = geometry(state);
    if let Some(compose) = state.compose.as_deref_mut() {
        compose.scroll = compose.scroll.min(lines.saturating_sub(page));
    }
}

/// A key in the plan pane.
pub(super) fn run_command(
    state: &mut AppState,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    use ConsoleCommand as Cmd;
    match command {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom | Cmd::PageUp | Cmd::PageDown => {
            let (lines, page) = geometry(state);
            if let Some(compose) = state.compose.as_deref_mut() {
                let max = lines.saturating_sub(page);
                compose.scroll = super::scroll(compose.scroll, max, page.max(1), command);
            }
        }
        Cmd::Apply => apply_command(state),
        Cmd::CommandLine => {
            state.input.clear();
            state.overlay = Some(Overlay::Command);
        }
        Cmd::Help => super::help::open(state),
        Cmd::Back => {
            state.base = Base::List;
            state.clamp_selection();
        }
        Cmd::Quit => effects.push(Effect::Quit),
        _ => {}
    }
}
