//! The Swarm views of the console (a manager among the hosts): Services (running/desired as
//! `4/6`, live), a service's Tasks (Enter on a service; each slot's newest task, its older ones
//! folded into a count), Nodes, Stacks (services grouped by `com.docker.stack.namespace`), and
//! Secrets/Configs (name and age, never their content). The loop reads the manager while a
//! view is open ([`Effect::SwarmWatch`]): on its service/node/secret/config events, and the
//! task-driven counts of what is on screen at a modest rate; closing the view stops it.

use chrono::{DateTime, Utc};

use super::input::scroll;
use super::messages::Effect;
use super::state::{AppState, Base};
use crate::config::keys::ConsoleCommand;
use crate::engine::swarm::{NodeRow, ServiceRow, SwarmObject, TaskRow};

/// Which Swarm view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SwarmPane {
    #[default]
    Services,
    /// The tasks of the service chosen with Enter.
    Tasks,
    Nodes,
    Stacks,
    /// Secrets and configs.
    Objects,
}

impl SwarmPane {
    pub fn title(self) -> &'static str {
        match self {
            Self::Services => "Services",
            Self::Tasks => "Tasks",
            Self::Nodes => "Nodes",
            Self::Stacks => "Stacks",
            Self::Objects => "Secrets and configs",
        }
    }
}

/// What the loop reads for the open view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmWatch {
    pub pane: SwarmPane,
    /// The service whose tasks are shown (its id).
    pub service: Option<String>,
    /// The triage view is shown: every task and node too, for the Swarm rules.
    pub problems: bool,
}

/// What the manager said, as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmSnapshot {
    /// The manager's host name.
    pub manager: String,
    pub services: Vec<ServiceRow>,
    pub nodes: Vec<NodeRow>,
    /// The shown service's tasks (history included, newest first within a slot); for the
    /// triage view ([`SwarmWatch::problems`]) every task.
    pub tasks: Vec<TaskRow>,
    pub secrets: Vec<SwarmObject>,
    pub configs: Vec<SwarmObject>,
}

/// What the loop tells the Swarm views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwarmMsg {
    Snapshot(Box<SwarmSnapshot>),
    /// A Swarm action's answer ([`super::swarm_act`]).
    Done(super::swarm_act::SwarmDone),
    /// No manager among the hosts, or a read failed: why, for the view.
    Failed(String),
}

/// The Swarm views' state.
#[derive(Debug, Clone, Default)]
pub struct SwarmState {
    pub pane: SwarmPane,
    /// The service whose tasks are shown (its id).
    pub service: Option<String>,
    pub snapshot: Option<SwarmSnapshot>,
    pub error: Option<String>,
    pub selected: usize,
    /// A Swarm action waiting for the user's yes.
    pub pending: Option<super::swarm_act::SwarmRequest>,
    /// What the loop was last asked to read (`None`: nothing).
    pub watching: Option<SwarmWatch>,
    /// Replicas asked for by service name, until the manager's read shows them (or the ask
    /// failed): the next `+`/`-` counts from them.
    pub asked: std::collections::BTreeMap<String, u64>,
}

/// One row of the Tasks view: a slot's newest task and how many older ones are folded.
#[derive(Debug, Clone, Copy)]
pub struct TaskLine<'a> {
    pub task: &'a TaskRow,
    pub older: usize,
}

/// One row of the Stacks view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackLine {
    pub name: String,
    pub services: usize,
    pub running: u64,
    pub desired: u64,
}

/// One row of the Secrets and configs view.
#[derive(Debug, Clone, Copy)]
pub struct ObjectLine<'a> {
    pub kind: &'static str,
    pub object: &'a SwarmObject,
}

impl SwarmState {
    /// The watch the loop needs for the view shown.
    pub fn watch(&self) -> SwarmWatch {
        SwarmWatch {
            pane: self.pane,
            service: self.service.clone(),
            problems: false,
        }
    }

    /// The tasks view's rows: each slot's newest task, older ones counted.
    pub fn task_lines(&self) -> Vec<TaskLine<'_>> {
        let mut lines: Vec<TaskLine<'_>> = Vec::new();
        for task in self.snapshot.iter().flat_map(|s| &s.tasks) {
            match lines.last_mut() {
                Some(last) if last.task.name == task.name => last.older += 1,
                _ => lines.push(TaskLine { task, older: 0 }),
            }
        }
        lines
    }

    /// The stacks view's rows, by name.
    pub fn stack_lines(&self) -> Vec<StackLine> {
        let mut lines: Vec<StackLine> = Vec::new();
        for s in self.snapshot.iter().flat_map(|s| &s.services) {
            let Some(stack) = &s.stack else { continue };
            match lines.iter_mut().find(|l| &l.name == stack) {
                Some(line) => {
                    line.services += 1;
                    line.running += s.running;
                    line.desired += s.desired;
                }
                None => lines.push(StackLine {
                    name: stack.clone(),
                    services: 1,
                    running: s.running,
                    desired: s.desired,
                }),
            }
        }
        lines.sort_by(|a, b| a.name.cmp(&b.name));
        lines
    }

    /// The secrets and configs view's rows.
    pub fn object_lines(&self) -> Vec<ObjectLine<'_>> {
        let Some(snapshot) = &self.snapshot else {
            return Vec::new();
        };
        let secrets = snapshot.secrets.iter().map(|object| ObjectLine {
            kind: "secret",
            object,
        });
        let configs = snapshot.configs.iter().map(|object| ObjectLine {
            kind: "config",
            object,
        });
        secrets.chain(configs).collect()
    }

    /// How many rows the shown view has.
    pub fn len(&self) -> usize {
        let Some(snapshot) = &self.snapshot else {
            return 0;
        };
        match self.pane {
            SwarmPane::Services => snapshot.services.len(),
            SwarmPane::Tasks => self.task_lines().len(),
            SwarmPane::Nodes => snapshot.nodes.len(),
            SwarmPane::Stacks => self.stack_lines().len(),
            SwarmPane::Objects => snapshot.secrets.len() + snapshot.configs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The service of the selected row in the services view.
    pub fn selected_service(&self) -> Option<&ServiceRow> {
        self.snapshot.as_ref()?.services.get(self.selected)
    }

    /// The name of the service whose tasks are shown.
    pub fn shown_service(&self) -> Option<&ServiceRow> {
        let id = self.service.as_deref()?;
        self.snapshot.as_ref()?.services.iter().find(|s| s.id == id)
    }
}

/// Opens a Swarm view (`:services`, `:nodes`, `:stacks`, `:secrets`).
pub fn open(state: &mut AppState, pane: SwarmPane, effects: &mut Vec<Effect>) {
    state.base = Base::Swarm;
    state.swarm.pane = pane;
    state.swarm.service = None;
    state.swarm.selected = 0;
    state.dirty = true;
    sync_watch(state, effects);
}

/// What the loop should read: the shown Swarm view; in the triage view, what the Swarm rules
/// read; else nothing. Asked for when it changes.
pub(super) fn sync_watch(state: &mut AppState, effects: &mut Vec<Effect>) {
    let want = match state.base {
        Base::Swarm => Some(state.swarm.watch()),
        Base::Triage => Some(SwarmWatch {
            pane: SwarmPane::Services,
            service: None,
            problems: true,
        }),
        _ => None,
    };
    if want != state.swarm.watching {
        if state.swarm.watching.as_ref().is_some_and(|w| w.problems) {
            // The Swarm rows leave with the triage view.
            state.triage.stale = true;
        }
        state.swarm.watching.clone_from(&want);
        effects.push(Effect::SwarmWatch(want));
    }
}

/// The Swarm problems (services, nodes, quorum) of the last read, while the triage view has
/// the loop read them ([`SwarmWatch::problems`]).
pub fn problems(state: &AppState) -> Vec<crate::triage::Problem> {
    let reading = state.swarm.watching.as_ref().is_some_and(|w| w.problems);
    let Some(snapshot) = state.swarm.snapshot.as_ref().filter(|_| reading) else {
        return Vec::new();
    };
    crate::triage::swarm::evaluate(&crate::triage::swarm::SwarmView {
        services: &snapshot.services,
        tasks: &snapshot.tasks,
        nodes: &snapshot.nodes,
        now: state.now,
        thresholds: &state.settings.thresholds,
    })
}

/// What the loop read.
pub fn on_msg(state: &mut AppState, msg: SwarmMsg) {
    match msg {
        SwarmMsg::Snapshot(snapshot) => {
            state.swarm.asked.retain(|name, replicas| {
                let service = snapshot.services.iter().find(|s| s.name == *name);
                service.is_some_and(|s| s.replicas != Some(*replicas))
            });
            state.swarm.snapshot = Some(*snapshot);
            state.swarm.error = None;
            if state.swarm.watching.as_ref().is_some_and(|w| w.problems) {
                state.triage.stale = true;
                state.dirty |= state.base == Base::Triage;
            }
        }
        SwarmMsg::Failed(why) => state.swarm.error = Some(why),
        SwarmMsg::Done(done) => super::swarm_act::on_done(state, &done),
    }
    let len = state.swarm.len();
    state.swarm.selected = state.swarm.selected.min(len.saturating_sub(1));
    state.dirty |= state.base == Base::Swarm;
}

/// Up, down, page, top, bottom in the shown view.
pub fn move_selection(state: &mut AppState, command: ConsoleCommand) {
    let max = state.swarm.len().saturating_sub(1);
    let page = state.list_height().max(1);
    state.swarm.selected = scroll(state.swarm.selected, max, page, command);
    state.dirty = true;
}

/// Enter: a service's tasks; a stack's services.
pub fn enter(state: &mut AppState, effects: &mut Vec<Effect>) {
    match state.swarm.pane {
        SwarmPane::Services => {
            let Some(id) = state.swarm.selected_service().map(|s| s.id.clone()) else {
                return;
            };
            state.swarm.pane = SwarmPane::Tasks;
            state.swarm.service = Some(id);
            state.swarm.selected = 0;
            if let Some(snapshot) = &mut state.swarm.snapshot {
                snapshot.tasks.clear();
            }
        }
        SwarmPane::Stacks => {
            state.swarm.pane = SwarmPane::Services;
            state.swarm.selected = 0;
        }
        _ => return,
    }
    state.dirty = true;
    sync_watch(state, effects);
}

/// Esc: from a service's tasks back to the services; else back to the list, and the loop
/// stops reading the manager.
pub fn back(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.swarm.pane == SwarmPane::Tasks {
        let id = state.swarm.service.take();
        state.swarm.pane = SwarmPane::Services;
        let services = state.swarm.snapshot.iter().flat_map(|s| &s.services);
        state.swarm.selected = services
            .into_iter()
            .position(|s| Some(&s.id) == id.as_ref())
            .unwrap_or(0);
    } else {
        state.base = Base::List;
        state.clamp_selection();
    }
    state.dirty = true;
    sync_watch(state, effects);
}

/// An age for the views ("3m"), from the state's clock.
pub fn age(now: DateTime<Utc>, time: Option<DateTime<Utc>>) -> String {
    time.map(|t| crate::present::short_duration_on_screen((now - t).num_seconds()))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;

/// A swarm for tests: two nodes, a stack of two services (one short of its replicas, with a
/// failed slot), a plain service, a secret and a config.
#[cfg(test)]
pub(crate) fn sample_snapshot(now: DateTime<Utc>) -> SwarmSnapshot {
    let object = |name: &str| SwarmObject {
        id: name.into(),
        name: name.into(),
        created: Some(now - chrono::Duration::seconds(86_400)),
        updated: Some(now - chrono::Duration::seconds(3600)),
        labels: Default::default(),
    };
    SwarmSnapshot {
        manager: "manager".into(),
        services: vec![
            sample_service(now, "s3", "cache", None, (1, 1)),
            sample_service(now, "s2", "shop_db", Some("shop"), (1, 1)),
            sample_service(now, "s1", "shop_web", Some("shop"), (4, 6)),
        ],
        nodes: vec![
            sample_node("node-1", "manager", "active", "Leader"),
            sample_node("node-2", "worker", "drain", ""),
        ],
        tasks: sample_tasks(now),
        secrets: vec![object("db_password")],
        configs: vec![object("nginx_conf")],
    }
}

/// A replicated service for [`sample_snapshot`]; `s1` publishes a port and has its update
/// paused.
#[cfg(test)]
fn sample_service(
    now: DateTime<Utc>,
    id: &str,
    name: &str,
    stack: Option<&str>,
    (running, desired): (u64, u64),
) -> ServiceRow {
    use crate::engine::swarm::model::without_digest;
    let ago = |s: i64| Some(now - chrono::Duration::seconds(s));
    ServiceRow {
        id: id.into(),
        name: name.into(),
        stack: stack.map(str::to_string),
        mode: "replicated".into(),
        running,
        desired,
        image: without_digest("shop/web:2@sha256:00"),
        ports: if id == "s1" {
            vec!["*:8080->80/tcp".into()]
        } else {
            Vec::new()
        },
        update_state: (id == "s1").then(|| "paused".to_string()),
        update_message: None,
        update_started: ago(60),
        replicas: Some(desired),
        created: ago(7200),
        updated: ago(60),
        labels: Default::default(),
    }
}

#[cfg(test)]
fn sample_node(name: &str, role: &str, availability: &str, manager: &str) -> NodeRow {
    NodeRow {
        id: name.into(),
        hostname: name.into(),
        role: role.into(),
        availability: availability.into(),
        status: "ready".into(),
        manager_status: manager.into(),
        engine: "20.10.24".into(),
        addr: String::new(),
        labels: Default::default(),
        tasks_running: Some(3),
    }
}

/// `shop_web`'s tasks: slot 1 running, slot 2 rejected twice (a missing image) after an
/// older task shut down.
#[cfg(test)]
fn sample_tasks(now: DateTime<Utc>) -> Vec<TaskRow> {
    let ago = |s: i64| Some(now - chrono::Duration::seconds(s));
    let task =
        |slot: i64, node: &str, state: &str, desired: &str, error: Option<&str>, s| TaskRow {
            id: format!("t{slot}{state}"),
            service_id: "s1".into(),
            name: format!("shop_web.{slot}"),
            slot: Some(slot),
            node_id: node.into(),
            node: node.into(),
            desired_state: desired.into(),
            state: state.into(),
            message: String::new(),
            error: error.map(str::to_string),
            exit_code: None,
            container_id: None,
            image: "shop/web:2".into(),
            since: ago(s),
            created: ago(s),
        };
    let missing = Some("No such image: shop/web:2");
    vec![
        task(1, "node-1", "running", "running", None, 300),
        task(2, "node-2", "rejected", "running", missing, 5),
        task(2, "node-2", "rejected", "shutdown", missing, 20),
        task(2, "node-1", "shutdown", "shutdown", None, 60),
    ]
}
