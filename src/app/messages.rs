//! What enters the console and what it asks for: every input is a [`Msg`] (keys, mouse,
//! resize, fleet events, action results, details, stats, the clock, logs, GPU reports); every
//! outside job is an [`Effect`] the loop carries out. [`ActionDone`] is one action's result,
//! owned, with its description in words for the status line.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::logs;
use crate::actions::{Action, ActionReport, Outcome, Target};
use crate::config::keys::KeyChord;
use crate::engine::detail::ContainerDetail;
use crate::engine::exit::{ExitReading, short_tag};
use crate::engine::stats::StatsSample;
use crate::engine::{ContainerId, FleetUpdate};

/// A mouse event, in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseMsg {
    Click { column: u16, row: u16 },
    ScrollUp { column: u16, row: u16 },
    ScrollDown { column: u16, row: u16 },
}

/// Why something the loop read for the console (an inspect, a history, the compose files) is
/// not there. The sources' own errors are not `Clone`; their words are kept, under their kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("no such container")]
    NoSuchContainer,
    #[error("the daemon's answer had no id")]
    NoId,
    /// The daemon (or its host) failed the read.
    #[error("{0}")]
    Daemon(String),
    /// The history store could not be read.
    #[error("{0}")]
    Store(String),
    /// The compose files cannot be used (the loader's error, with file and line).
    #[error("{0}")]
    Compose(String),
    /// The task doing the read failed (a panic, a cancelled runtime).
    #[error("{what} failed: {why}")]
    Task { what: &'static str, why: String },
}

/// One action's result, owned (the loop builds it from the action layer's report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDone {
    pub target: Target,
    pub action: Action,
    pub result: Result<Outcome, String>,
    pub duration: Duration,
    pub audit_error: Option<String>,
}

pub(super) fn exit_brief(exit: &ExitReading) -> String {
    format!("exit {} ({})", exit.code, short_tag(&exit.meaning))
}

pub(super) fn verb_word(action: &Action) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Stop { .. } => "stop",
        Action::Restart { .. } => "restart",
        Action::Kill { .. } => "kill",
        Action::Pause => "pause",
        Action::Unpause => "unpause",
        Action::Remove { .. } => "remove",
    }
}

pub(super) fn verb_ing(action: &Action) -> &'static str {
    match action {
        Action::Start => "starting",
        Action::Stop { .. } => "stopping",
        Action::Restart { .. } => "restarting",
        Action::Kill { .. } => "killing",
        Action::Pause => "pausing",
        Action::Unpause => "unpausing",
        Action::Remove { .. } => "removing",
    }
}

impl ActionDone {
    pub fn from_report(report: &ActionReport) -> Self {
        Self {
            target: report.target.clone(),
            action: report.action.clone(),
            result: report
                .result
                .as_ref()
                .map(Clone::clone)
                .map_err(ToString::to_string),
            duration: report.duration,
            audit_error: report.audit_error.clone(),
        }
    }

    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }

    /// One line for people: "stopped web-1: exit 143 (SIGTERM) in 0.4 s".
    pub fn describe(&self) -> String {
        let name = &self.target.name;
        let took = format!("in {:.1} s", self.duration.as_secs_f64());
        let with_exit = |word: &str, exit: &Option<ExitReading>| match exit {
            Some(e) => format!("{word} {name}: {} {took}", exit_brief(e)),
            None => format!("{word} {name} {took}"),
        };
        let outcome = match &self.result {
            Ok(o) => o,
            Err(e) => return e.clone(),
        };
        let mut text = match outcome {
            Outcome::Started => format!("started {name} {took}"),
            Outcome::AlreadyRunning => format!("{name} is already running"),
            Outcome::Stopped { exit } => with_exit("stopped", exit),
            Outcome::AlreadyStopped { exit } => match exit {
                Some(e) => format!("{name} was already stopped ({})", exit_brief(e)),
                None => format!("{name} was already stopped"),
            },
            Outcome::Restarted => format!("restarted {name} {took}"),
            Outcome::Killed { signal, exit } => match exit {
                Some(e) => format!("sent {signal} to {name}: {} {took}", exit_brief(e)),
                None => format!("sent {signal} to {name} {took}"),
            },
            Outcome::Paused => format!("paused {name} {took}"),
            Outcome::AlreadyPaused => format!("{name} is already paused"),
            Outcome::Unpaused => format!("unpaused {name} {took}"),
            Outcome::NotPaused => format!("{name} is not paused (nothing to do)"),
            Outcome::Removed => format!("removed {name} {took}"),
            Outcome::AlreadyGone => format!("{name} was already gone"),
        };
        if let Some(e) = &self.audit_error {
            text.push_str(&format!(" (audit not written: {e})"));
        }
        text
    }
}

/// Everything that enters the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyChord),
    Mouse(MouseMsg),
    Resize {
        width: u16,
        height: u16,
    },
    Fleet(FleetUpdate),
    ActionsDone(Vec<ActionDone>),
    Detail {
        id: ContainerId,
        result: Result<Box<ContainerDetail>, LoadError>,
    },
    Stats(StatsSample),
    /// The running containers whose cgroup files could not be read at the last sampling
    /// (sorted): with cgroup stats, those on screen get stats API streams instead.
    StatsUnreadable(Vec<ContainerId>),
    /// The loop is about to draw: what was put off until a frame (the list's order after
    /// stats samples and fleet events, the triage view's problems) is brought up to date.
    Frame,
    /// The clock: the only way time enters the state.
    Tick(DateTime<Utc>),
    /// A message for the status line from the loop ("logs: not built yet").
    Notice {
        text: String,
        is_error: bool,
    },
    /// Log lines and the clock for the logs pane.
    Logs(logs::LogsMsg),
    /// A GPU report, attributed off the loop, or why there is none.
    Gpu(Box<crate::gpu::GpuState>),
    /// The running containers' vitals (cgroup counters, process states), every few seconds
    /// ([`super::stuck`]).
    Vitals(Vec<crate::engine::vitals::Vitals>),
    /// More of the console's own log is in the log pane's buffer ([`super::feeds`]).
    ConsoleLogged,
    /// The compose project: read, applied ([`super::compose`]).
    Compose(super::compose::ComposeMsg),
    /// The host views: lists, disk usage, prune plans, outcomes ([`super::objects`]).
    Objects(super::objects::ObjectsMsg),
    /// What the swarm manager said ([`super::swarm`]).
    Swarm(super::swarm::SwarmMsg),
    /// A container's recorded history (newest last), or why there is none.
    History {
        id: ContainerId,
        result: Result<Vec<crate::store::EventRow>, LoadError>,
    },
    /// How many alerts the keeper gave up delivering (the last day, from the store).
    UndeliveredAlerts(u64),
}

/// What the console wants done outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    RunAction {
        action: Action,
        targets: Vec<Target>,
    },
    FetchDetail(ContainerId),
    /// Load the container's recorded history from the store; the loop answers with
    /// `Msg::History`.
    LoadHistory(ContainerId),
    /// Follow stats for exactly these containers (those on screen, running) with stats API
    /// streams.
    WatchStats(Vec<ContainerId>),
    /// Sample exactly these containers (every running one, sorted) from their cgroup files.
    SampleRunning(Vec<ContainerId>),
    /// Open log streams for these containers (closing any open ones).
    OpenLogs(Vec<Target>),
    /// Close the logs pane's streams.
    CloseLogs,
    /// Write the logs pane's lines to a new file.
    SaveLogs {
        file_name: String,
        contents: String,
        lines: usize,
    },
    Exec(Target),
    /// Put `text` on the operator's clipboard (OSC 52 through the terminal); `what` says what
    /// it is, for the log ("web-1's id").
    Copy {
        text: String,
        what: String,
    },
    /// Hand the GPU feed the fleet's container ids → names, for attribution
    /// ([`super::feeds`]).
    GpuNames(std::collections::HashMap<String, String>),
    /// Read the compose files; the loop answers with `Msg::Compose(ComposeMsg::Loaded)`.
    LoadCompose {
        files: Vec<std::path::PathBuf>,
        project_name: Option<String>,
    },
    /// Run the plan; the loop answers with a `ComposeMsg::Step` per step, then
    /// `ComposeMsg::Applied`.
    ApplyPlan {
        project: super::compose::SharedProject,
        plan: crate::reconcile::plan::Plan,
    },
    /// A key for the log pane's widget (its target list and per-target levels).
    ConsoleLogKey(super::feeds::ConsoleLogKey),
    /// The host views' reads and actions ([`super::objects`]); answered with `Msg::Objects`.
    Objects(super::objects::ObjectsEffect),
    /// Read the swarm manager for this view (`None`: no Swarm view is open, stop reading);
    /// the loop answers with `Msg::Swarm`.
    SwarmWatch(Option<super::swarm::SwarmWatch>),
    /// Run a Swarm action on the manager; answered with `SwarmMsg::Done`
    /// ([`super::swarm_act`]).
    SwarmAction(super::swarm_act::SwarmRequest),
    /// Open the logs pane's stream on a service's tasks, through the manager `manager` (in
    /// place of any open streams).
    OpenServiceLogs {
        manager: String,
        service: Box<crate::engine::swarm::ServiceRow>,
    },
    Quit,
}
