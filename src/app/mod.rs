//! The console's state and its pure `update(state, msg) -> effects`: no I/O, no terminal, no
//! clock (the time comes in with `Msg::Tick`), no await. Everything that enters the console is
//! a [`Msg`]; everything the console wants done outside is an [`Effect`] the loop carries out.
//! Keys resolve through the [`keymap`] table; destructive commands, and any action on more than
//! one container, go through a confirm step first.
//!
//! The state keeps the list's rows (filtered, grouped, sorted) and its scroll offset, recomputed
//! here when something they depend on changes, so that render only formats what is on screen.
//! Geometry (how many rows fit, where a click landed) comes from [`crate::geometry`], the one
//! place that lays out the screen, shared with render.

pub mod command;
pub mod filter;
pub mod gpu;
pub mod help;
pub mod inspect;
pub mod keymap;
pub mod logs;
pub mod rows;
pub mod triage;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use crate::actions::{Action, ActionReport, Outcome, Target};
use crate::config::keys::{ConsoleCommand, KeyChord, KeyName};
use crate::config::{Column, Config};
use crate::engine::detail::ContainerDetail;
use crate::engine::exit::{ExitReading, short_tag};
use crate::engine::stats::StatsSample;
use crate::engine::{Connection, Container, ContainerId, Fleet, FleetUpdate, RunState};

use crate::geometry::{self, MainView, Panes, Screen};
use filter::Filter;
use keymap::{KeyMode, Keymap};
use rows::{GroupKey, Row, RowInputs, Sort};

/// What the console is configured with, fixed for its run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub read_only: bool,
    pub stop_timeout_s: u64,
    pub kill_signal: String,
    pub columns: Vec<Column>,
    pub max_stats_streams: usize,
    /// The daemon's address, for the banner.
    pub endpoint: String,
    /// The triage rules' limits (`[triage]`).
    pub thresholds: crate::triage::Thresholds,
    /// The logs pane's bounds.
    pub logs: crate::config::LogsConfig,
}

impl Settings {
    pub fn from_config(config: &Config, read_only: bool, endpoint: String) -> Self {
        Self {
            read_only,
            stop_timeout_s: config.actions.stop_timeout_s,
            kill_signal: config.actions.kill_signal.clone(),
            columns: config.ui.columns.clone(),
            max_stats_streams: config.ui.max_stats_streams,
            endpoint,
            thresholds: config.triage.clone(),
            logs: config.logs.clone(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(
            &Config::default(),
            false,
            crate::engine::DEFAULT_HOST.into(),
        )
    }
}

/// The main view under any overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    List,
    Inspect,
    /// The logs pane ([`logs`]).
    Logs,
    /// The triage view ([`triage`]).
    Triage,
    /// The GPU pane ([`gpu`]).
    Gpu,
}

/// What is drawn over the main view and takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Confirm,
    /// Typing a filter; `previous` is restored by Esc.
    Filter {
        previous: String,
    },
    /// Typing a `:` command.
    Command,
    /// Typing a search or a filter in the logs pane.
    LogInput(logs::LogInput),
}

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub action: Action,
    pub targets: Vec<Target>,
}

impl PendingAction {
    /// What will be done to which containers, in words: "kill (SIGKILL) web-1, web-2".
    pub fn question(&self) -> String {
        let verb = match &self.action {
            Action::Kill { signal } => format!("kill ({signal})"),
            Action::Remove { force: true, .. } => "force-remove".into(),
            other => verb_word(other).to_string(),
        };
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        let count = match names.len() {
            1 => String::new(),
            n => format!("{n} containers: "),
        };
        format!("{verb} {count}{}", names.join(", "))
    }
}

/// The status line: the last outcome, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub is_error: bool,
}

/// The inspect pane's state.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectView {
    pub id: ContainerId,
    /// The name when opened, to say what went away if it is removed.
    pub name: String,
    /// Fetched with secrets unmasked; render masks them unless `reveal`.
    pub detail: Option<Box<ContainerDetail>>,
    pub error: Option<String>,
    pub scroll: usize,
    pub reveal: bool,
}

/// A mouse event, in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseMsg {
    Click { column: u16, row: u16 },
    ScrollUp { column: u16, row: u16 },
    ScrollDown { column: u16, row: u16 },
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

fn exit_brief(exit: &ExitReading) -> String {
    format!("exit {} ({})", exit.code, short_tag(&exit.meaning))
}

fn verb_word(action: &Action) -> &'static str {
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

fn verb_ing(action: &Action) -> &'static str {
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
        result: Result<Box<ContainerDetail>, String>,
    },
    Stats(StatsSample),
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
}

/// What the console wants done outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    RunAction {
        action: Action,
        targets: Vec<Target>,
    },
    FetchDetail(ContainerId),
    /// Follow stats for exactly these containers (those on screen, running).
    WatchStats(Vec<ContainerId>),
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
    Quit,
}

/// The console's state. One owner: the event loop.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Settings,
    pub keymap: Keymap,
    pub fleet: Fleet,
    /// The time as of the last tick: render computes every relative time from it.
    pub now: DateTime<Utc>,
    pub base: Base,
    pub overlay: Option<Overlay>,
    /// The terminal's size.
    pub viewport: Rect,
    pub rows: Vec<Row>,
    /// How many containers the rows list (folded ones included), kept with the rows.
    pub listed: usize,
    /// Index into `rows`.
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
    pub marks: BTreeSet<ContainerId>,
    pub collapsed: BTreeSet<GroupKey>,
    pub show_stopped: bool,
    pub sort: Sort,
    pub filter: Filter,
    /// The text being typed in the filter or command line.
    pub input: String,
    pub status: Option<StatusLine>,
    pub confirm: Option<PendingAction>,
    pub inspect: Option<InspectView>,
    pub help_scroll: usize,
    pub stats: HashMap<ContainerId, StatsSample>,
    /// The stats set last asked for.
    pub watched: Vec<ContainerId>,
    pub show_log: bool,
    /// The logs pane, while open.
    pub logs: Option<Box<logs::LogsView>>,
    /// Problems, their history and the triage view's cursor.
    pub triage: triage::TriageState,
    /// The last GPU report, or why there is none.
    pub gpu: crate::gpu::GpuState,
    pub gpu_scroll: usize,
    /// Set by `update` when the screen must be drawn again; the loop clears it.
    pub dirty: bool,
}

impl AppState {
    pub fn new(settings: Settings, keymap: Keymap, show_stopped: bool, now: DateTime<Utc>) -> Self {
        Self {
            settings,
            keymap,
            fleet: Fleet::new(),
            now,
            base: Base::List,
            overlay: None,
            viewport: Rect::new(0, 0, 80, 24),
            rows: Vec::new(),
            listed: 0,
            selected: 0,
            offset: 0,
            marks: BTreeSet::new(),
            collapsed: BTreeSet::new(),
            show_stopped,
            sort: Sort::default(),
            filter: Filter::default(),
            input: String::new(),
            status: None,
            confirm: None,
            inspect: None,
            help_scroll: 0,
            stats: HashMap::new(),
            watched: Vec::new(),
            show_log: false,
            logs: None,
            triage: triage::TriageState::default(),
            gpu: crate::gpu::GpuState::Unknown,
            gpu_scroll: 0,
            dirty: true,
        }
    }

    /// The mode keys are looked up in (`None` while typing in a text field).
    pub fn key_mode(&self) -> Option<KeyMode> {
        match &self.overlay {
            Some(Overlay::Help) => Some(KeyMode::Help),
            Some(Overlay::Confirm) => Some(KeyMode::Confirm),
            Some(Overlay::Filter { .. } | Overlay::Command | Overlay::LogInput(_)) => None,
            None => Some(match self.base {
                Base::List => KeyMode::List,
                Base::Inspect => KeyMode::Inspect,
                Base::Logs => KeyMode::Logs,
                Base::Triage => KeyMode::Triage,
                Base::Gpu => KeyMode::Gpu,
            }),
        }
    }

    /// The container of the selected row, if it is a container.
    pub fn selected_container(&self) -> Option<&Container> {
        match self.rows.get(self.selected)? {
            Row::Container(id) => self.fleet.get(id),
            Row::Group { .. } => None,
        }
    }

    fn row_inputs(&self) -> RowInputs<'_> {
        RowInputs {
            fleet: &self.fleet,
            filter: &self.filter,
            sort: self.sort,
            show_stopped: self.show_stopped,
            collapsed: &self.collapsed,
            stats: &self.stats,
            gpu: self.gpu_report(),
        }
    }

    /// How many containers are listed (passing the filter and the stopped switch).
    pub fn listed_count(&self) -> usize {
        self.listed
    }

    /// The rows on screen: `rows[offset..offset + visible]`.
    pub fn visible_rows(&self) -> &[Row] {
        let height = self.list_height();
        let start = self.offset.min(self.rows.len());
        let end = (start + height).min(self.rows.len());
        &self.rows[start..end]
    }

    /// What the screen's layout depends on besides its size.
    pub fn screen(&self) -> Screen {
        Screen {
            view: match self.base {
                Base::List => MainView::List,
                Base::Inspect => MainView::Inspect,
                Base::Logs => MainView::Logs,
                Base::Triage => MainView::Triage,
                Base::Gpu => MainView::Gpu,
            },
            disconnected: matches!(self.fleet.connection, Connection::Disconnected { .. }),
            show_log: self.show_log,
        }
    }

    /// Where each pane is on the terminal now.
    pub fn panes(&self) -> Panes {
        geometry::panes(self.viewport, self.screen())
    }

    /// How many list rows fit on screen now.
    pub fn list_height(&self) -> usize {
        geometry::list_body(self.viewport, self.screen()).map_or(0, |body| usize::from(body.height))
    }

    fn set_status(&mut self, text: impl Into<String>, is_error: bool) {
        self.status = Some(StatusLine {
            text: text.into(),
            is_error,
        });
    }

    /// Recomputes the rows, keeping the selection on the same row where it still exists.
    fn recompute_rows(&mut self) {
        let keep = self.rows.get(self.selected).cloned();
        self.rows = rows::build(&self.row_inputs());
        let inputs = self.row_inputs();
        self.listed = self.fleet.containers().filter(|c| inputs.shows(c)).count();
        if let Some(keep) = keep {
            let found = self.rows.iter().position(|r| match (r, &keep) {
                (Row::Container(a), Row::Container(b)) => a == b,
                (Row::Group { key: a, .. }, Row::Group { key: b, .. }) => a == b,
                _ => false,
            });
            if let Some(i) = found {
                self.selected = i;
            }
        }
        self.clamp_selection();
    }

    fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        let height = self.list_height().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // No blank space below the last row while rows are hidden above.
        let max_offset = self.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// The running containers on screen, at most the configured number of streams.
    fn on_screen_running(&self) -> Vec<ContainerId> {
        self.visible_rows()
            .iter()
            .filter_map(|r| match r {
                Row::Container(id) => self.fleet.get(id),
                Row::Group { .. } => None,
            })
            .filter(|c| c.state == RunState::Running)
            .map(|c| c.id.clone())
            .take(self.settings.max_stats_streams)
            .collect()
    }

    /// Asks for stats for what is on screen, when that changed; forgets samples of the rest.
    fn sync_stats(&mut self, effects: &mut Vec<Effect>) {
        let wanted = self.on_screen_running();
        if wanted != self.watched {
            self.stats.retain(|id, _| wanted.contains(id));
            self.watched = wanted.clone();
            effects.push(Effect::WatchStats(wanted));
        }
    }

    fn target_of(c: &Container) -> Target {
        Target {
            id: c.id.clone(),
            name: c.name.clone(),
        }
    }

    /// What an action applies to: the inspected container; else the marks; else the selected
    /// container, or every listed container of the selected project.
    pub fn targets(&self) -> Vec<Target> {
        if self.base == Base::Triage {
            return triage::target(self).into_iter().collect();
        }
        if self.base == Base::Inspect {
            return self
                .inspect
                .as_ref()
                .and_then(|i| self.fleet.get(&i.id))
                .map(Self::target_of)
                .into_iter()
                .collect();
        }
        if !self.marks.is_empty() {
            let mut marked: Vec<&Container> = self
                .marks
                .iter()
                .filter_map(|id| self.fleet.get(id))
                .collect();
            marked.sort_by(|a, b| a.name.cmp(&b.name));
            return marked.into_iter().map(Self::target_of).collect();
        }
        match self.rows.get(self.selected) {
            Some(Row::Container(id)) => self
                .fleet
                .get(id)
                .map(Self::target_of)
                .into_iter()
                .collect(),
            Some(Row::Group { key, .. }) => rows::members(&self.row_inputs(), key)
                .into_iter()
                .map(Self::target_of)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Every relative time on screen, as text: when it is unchanged by a tick, nothing is drawn.
    fn clock_text(&self, now: DateTime<Utc>) -> String {
        let mut text = String::new();
        if let Connection::Disconnected { since, .. } = &self.fleet.connection {
            text.push_str(&crate::present::ago(*since, now));
        }
        for row in self.visible_rows() {
            if let Row::Container(id) = row
                && let Some(c) = self.fleet.get(id)
            {
                text.push_str(&crate::present::status_text(c, now));
                text.push('|');
            }
        }
        if self.base == Base::Inspect
            && let Some(c) = self.inspect.as_ref().and_then(|i| self.fleet.get(&i.id))
        {
            for t in [c.started_at, c.finished_at, c.created]
                .into_iter()
                .flatten()
            {
                text.push_str(&crate::present::ago(t, now));
            }
        }
        if let Some(detail) = self.inspect.as_ref().and_then(|i| i.detail.as_ref()) {
            for check in detail.health_log.iter().filter_map(|h| h.start) {
                text.push_str(&crate::present::ago(check, now));
            }
        }
        text
    }
}

/// Applies one message; returns what the loop must do. Pure: no I/O, no clock.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    let triage_trigger = triage::trigger(state, &msg);
    match msg {
        Msg::Key(key) => on_key(state, key, &mut effects),
        Msg::Mouse(mouse) => on_mouse(state, mouse, &mut effects),
        Msg::Resize { width, height } => {
            state.viewport = Rect::new(0, 0, width, height);
            state.clamp_selection();
            state.dirty = true;
        }
        Msg::Fleet(fleet_update) => on_fleet(state, fleet_update, &mut effects),
        Msg::ActionsDone(done) => on_actions_done(state, &done),
        Msg::Detail { id, result } => {
            if let Some(view) = state.inspect.as_mut().filter(|v| v.id == id) {
                match result {
                    Ok(detail) => {
                        view.detail = Some(detail);
                        view.error = None;
                    }
                    Err(e) => view.error = Some(e),
                }
                state.dirty = true;
            }
        }
        Msg::Stats(sample) => {
            if state.watched.contains(&sample.id) {
                // Only what the screen shows counts: one decimal of CPU, the memory text.
                let shown = |s: &StatsSample| {
                    (
                        s.cpu_percent.map(|c| (c * 10.0).round() as i64),
                        crate::present::bytes(s.memory_used),
                        s.memory_limit,
                    )
                };
                let now_shown = shown(&sample);
                let before = state.stats.insert(sample.id.clone(), sample);
                let resort = matches!(state.sort.column, Column::Cpu | Column::Memory);
                if resort {
                    state.recompute_rows();
                }
                state.dirty |= resort || before.as_ref().map(shown) != Some(now_shown);
            }
        }
        Msg::Tick(now) => {
            let before = state.clock_text(state.now);
            let after = state.clock_text(now);
            state.now = now;
            state.dirty |= before != after;
        }
        Msg::Notice { text, is_error } => {
            state.set_status(text, is_error);
            state.dirty = true;
        }
        Msg::Logs(msg) => logs::on_msg(state, msg),
        Msg::Gpu(gpu_state) => gpu::on_state(state, *gpu_state),
    }
    triage::after(state, triage_trigger);
    state.sync_stats(&mut effects);
    effects
}

fn on_fleet(state: &mut AppState, fleet_update: FleetUpdate, effects: &mut Vec<Effect>) {
    let touched = match &fleet_update {
        FleetUpdate::Event(e) => Some(e.id.clone()),
        FleetUpdate::Refreshed(c) => Some(c.id.clone()),
        FleetUpdate::Snapshot(_) | FleetUpdate::Connection(_) => None,
    };
    let snapshot = matches!(fleet_update, FleetUpdate::Snapshot(_));
    triage::record(state, &fleet_update);
    if !state.fleet.apply(fleet_update) {
        return;
    }
    if snapshot {
        triage::prune(state);
    }
    state.dirty = true;
    let fleet = &state.fleet;
    state.marks.retain(|id| fleet.get(id).is_some());
    state.recompute_rows();
    if state.base == Base::Inspect
        && let Some(view) = &state.inspect
    {
        if state.fleet.get(&view.id).is_none() {
            let name = view.name.clone();
            state.base = Base::List;
            state.inspect = None;
            state.set_status(format!("{name} was removed"), false);
        } else if touched.as_ref() == Some(&view.id) || snapshot {
            effects.push(Effect::FetchDetail(view.id.clone()));
        }
    }
}

fn on_actions_done(state: &mut AppState, done: &[ActionDone]) {
    state.dirty = true;
    let Some(first) = done.first() else {
        return;
    };
    if done.len() == 1 {
        state.set_status(first.describe(), !first.ok());
        return;
    }
    let failed: Vec<&ActionDone> = done.iter().filter(|d| !d.ok()).collect();
    let verb = verb_word(&first.action);
    if failed.is_empty() {
        let names: Vec<&str> = done.iter().map(|d| d.target.name.as_str()).collect();
        let slowest = done.iter().map(|d| d.duration).max().unwrap_or_default();
        state.set_status(
            format!(
                "{verb}: {n} of {n} done in {:.1} s: {}",
                slowest.as_secs_f64(),
                names.join(", "),
                n = done.len()
            ),
            false,
        );
    } else {
        let first_error = failed.first().map(|d| d.describe()).unwrap_or_default();
        state.set_status(
            format!(
                "{verb}: {} of {} failed: {first_error}",
                failed.len(),
                done.len()
            ),
            true,
        );
    }
}

fn on_mouse(state: &mut AppState, mouse: MouseMsg, effects: &mut Vec<Effect>) {
    let panes = state.panes();
    let inside = |r: Option<Rect>, column: u16, row: u16| {
        r.is_some_and(|r| r.contains(ratatui::layout::Position { x: column, y: row }))
    };
    match mouse {
        MouseMsg::Click { column, row } => {
            if state.overlay.is_some() {
                return;
            }
            if let Some(body) = geometry::list_body(state.viewport, state.screen())
                && inside(Some(body), column, row)
            {
                let index = state.offset + usize::from(row - body.y);
                if index < state.rows.len() {
                    state.selected = index;
                    state.clamp_selection();
                    if state.base == Base::Inspect {
                        open_inspect(state, effects);
                    }
                    state.dirty = true;
                }
            }
        }
        MouseMsg::ScrollUp { column, row } | MouseMsg::ScrollDown { column, row } => {
            let up = matches!(mouse, MouseMsg::ScrollUp { .. });
            let command = if up {
                ConsoleCommand::Up
            } else {
                ConsoleCommand::Down
            };
            if state.overlay == Some(Overlay::Help) {
                for _ in 0..3 {
                    scroll_help(state, command);
                }
            } else if inside(panes.logs, column, row) && state.overlay.is_none() {
                logs::wheel(state, up);
            } else if inside(panes.inspect, column, row) {
                for _ in 0..3 {
                    scroll_inspect(state, command);
                }
            } else if inside(panes.list, column, row) && state.overlay.is_none() {
                for _ in 0..3 {
                    move_selection(state, command);
                }
                if state.base == Base::Inspect {
                    open_inspect(state, effects);
                }
            }
            state.dirty = true;
        }
    }
}

fn on_key(state: &mut AppState, key: KeyChord, effects: &mut Vec<Effect>) {
    state.dirty = true;
    match state.overlay.clone() {
        Some(Overlay::Filter { previous }) => return on_filter_key(state, key, &previous),
        Some(Overlay::Command) => return on_command_key(state, key, effects),
        Some(Overlay::LogInput(kind)) => return logs::on_input_key(state, key, kind),
        _ => {}
    }
    let Some(mode) = state.key_mode() else {
        return;
    };
    let Some(command) = state.keymap.lookup(mode, key) else {
        return;
    };
    run_command(state, mode, command, effects);
}

/// Runs a bound command in `mode`.
pub fn run_command(
    state: &mut AppState,
    mode: KeyMode,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    use ConsoleCommand as Cmd;
    match mode {
        KeyMode::Confirm => match command {
            Cmd::Confirm => {
                state.overlay = None;
                if let Some(pending) = state.confirm.take() {
                    dispatch(state, pending.action, pending.targets, effects);
                }
            }
            Cmd::Cancel => {
                state.overlay = None;
                if let Some(pending) = state.confirm.take() {
                    state.set_status(format!("cancelled: {}", pending.question()), false);
                }
            }
            _ => {}
        },
        KeyMode::Help => match command {
            Cmd::Help | Cmd::Back | Cmd::Quit => state.overlay = None,
            other => scroll_help(state, other),
        },
        KeyMode::Logs => logs::run_command(state, command, effects),
        KeyMode::List | KeyMode::Inspect | KeyMode::Triage | KeyMode::Gpu => match command {
            Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom | Cmd::PageUp | Cmd::PageDown => {
                if mode == KeyMode::Inspect {
                    scroll_inspect(state, command);
                } else if mode == KeyMode::Triage {
                    triage::move_selection(state, command);
                } else if mode == KeyMode::Gpu {
                    gpu::scroll(state, command);
                } else {
                    move_selection(state, command);
                }
            }
            Cmd::Mark => {
                if let Some(id) = state.selected_container().map(|c| c.id.clone()) {
                    if !state.marks.remove(&id) {
                        state.marks.insert(id);
                    }
                    move_selection(state, Cmd::Down);
                }
            }
            Cmd::Start => request(state, Action::Start, effects),
            Cmd::Stop => request(
                state,
                Action::Stop {
                    timeout_s: state.settings.stop_timeout_s,
                },
                effects,
            ),
            Cmd::Restart => request(
                state,
                Action::Restart {
                    timeout_s: state.settings.stop_timeout_s,
                },
                effects,
            ),
            Cmd::Pause => {
                let ids: Vec<ContainerId> = state.targets().into_iter().map(|t| t.id).collect();
                let all_paused = !ids.is_empty()
                    && ids.iter().all(|id| {
                        state
                            .fleet
                            .get(id)
                            .is_some_and(|c| c.state == RunState::Paused)
                    });
                let action = if all_paused {
                    Action::Unpause
                } else {
                    Action::Pause
                };
                request(state, action, effects);
            }
            Cmd::Kill => request(
                state,
                Action::Kill {
                    signal: state.settings.kill_signal.clone(),
                },
                effects,
            ),
            Cmd::Remove => request(
                state,
                Action::Remove {
                    force: false,
                    volumes: false,
                },
                effects,
            ),
            Cmd::Inspect if mode == KeyMode::Triage => triage::inspect(state, effects),
            Cmd::Inspect => match state.rows.get(state.selected) {
                Some(Row::Group { key, .. }) => {
                    let key = key.clone();
                    toggle_fold(state, key);
                }
                Some(Row::Container(_)) => open_inspect(state, effects),
                None => {}
            },
            Cmd::Logs => {
                let targets = state.targets();
                if targets.is_empty() {
                    state.set_status("logs: no container selected", true);
                } else {
                    logs::open(state, targets, effects);
                }
            }
            Cmd::Exec if state.settings.read_only => state.set_status(
                "read-only: exec is unavailable (fleetdeck was started with --read-only)",
                true,
            ),
            Cmd::Exec => match state.targets().as_slice() {
                [one] => match state.fleet.get(&one.id).map(|c| c.state) {
                    Some(RunState::Running) => effects.push(Effect::Exec(one.clone())),
                    Some(other) => state.set_status(
                        format!(
                            "exec: {} is not running ({}): start it first",
                            one.name,
                            other.as_str()
                        ),
                        true,
                    ),
                    None => state.set_status(format!("exec: {} is gone", one.name), true),
                },
                [] => state.set_status("exec: no container selected", true),
                _ => state.set_status("exec: select one container (not several)", true),
            },
            Cmd::Filter => {
                state.input = state.filter.text.clone();
                state.overlay = Some(Overlay::Filter {
                    previous: state.filter.text.clone(),
                });
            }
            Cmd::CommandLine => {
                state.input.clear();
                state.overlay = Some(Overlay::Command);
            }
            Cmd::Help => {
                state.help_scroll = 0;
                state.overlay = Some(Overlay::Help);
            }
            Cmd::Quit => effects.push(Effect::Quit),
            Cmd::Back => {
                if matches!(mode, KeyMode::Triage | KeyMode::Gpu) {
                    state.base = Base::List;
                } else if mode == KeyMode::Inspect {
                    state.base = Base::List;
                    state.inspect = None;
                } else if !state.marks.is_empty() {
                    state.marks.clear();
                    state.set_status("marks cleared", false);
                } else if !state.filter.is_empty() {
                    set_filter(state, "");
                    state.set_status("filter cleared", false);
                } else {
                    state.status = None;
                }
            }
            Cmd::ToggleStopped => {
                state.show_stopped = !state.show_stopped;
                state.recompute_rows();
                let word = if state.show_stopped {
                    "showing"
                } else {
                    "hiding"
                };
                state.set_status(format!("{word} stopped containers"), false);
            }
            Cmd::Collapse => {
                let key = match state.rows.get(state.selected) {
                    Some(Row::Group { key, .. }) => Some(key.clone()),
                    Some(Row::Container(id)) => {
                        state.fleet.get(id).map(|c| c.compose_project.clone())
                    }
                    None => None,
                };
                // Only projects are folded: a list without headers has nothing to fold.
                if let Some(key) = key
                    && state.rows.iter().any(|r| matches!(r, Row::Group { .. }))
                {
                    toggle_fold(state, key);
                }
            }
            Cmd::SortNext => {
                let columns = &state.settings.columns;
                let i = columns
                    .iter()
                    .position(|c| *c == state.sort.column)
                    .map_or(0, |i| (i + 1) % columns.len().max(1));
                let column = columns.get(i).copied().unwrap_or(Column::Name);
                set_sort(state, column, state.sort.descending);
            }
            Cmd::SortReverse => {
                set_sort(state, state.sort.column, !state.sort.descending);
            }
            Cmd::Reveal => {
                if let Some(view) = state.inspect.as_mut() {
                    view.reveal = !view.reveal;
                }
            }
            Cmd::ToggleLog => {
                state.show_log = !state.show_log;
                state.clamp_selection();
            }
            Cmd::Triage => triage::toggle(state),
            Cmd::Gpu => gpu::toggle(state),
            Cmd::Confirm | Cmd::Cancel => {}
            // The logs pane's own keys.
            Cmd::LogSearch
            | Cmd::SearchNext
            | Cmd::SearchPrev
            | Cmd::LogFilter
            | Cmd::Follow
            | Cmd::Timestamps
            | Cmd::Wrap
            | Cmd::SaveLogs => {}
        },
    }
}

fn toggle_fold(state: &mut AppState, key: GroupKey) {
    if !state.collapsed.remove(&key) {
        state.collapsed.insert(key.clone());
    }
    state.recompute_rows();
    // Keep the cursor on the header of the group just folded.
    if let Some(i) = state
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { key: k, .. } if *k == key))
    {
        state.selected = i;
        state.clamp_selection();
    }
}

fn set_sort(state: &mut AppState, column: Column, descending: bool) {
    state.sort = rows::Sort { column, descending };
    state.recompute_rows();
    let arrow = if descending { "↓" } else { "↑" };
    state.set_status(format!("sorted by {} {arrow}", column.name()), false);
}

fn set_filter(state: &mut AppState, text: &str) {
    state.filter = Filter::parse(text);
    state.offset = 0;
    // Land on the first container, not on a project header.
    state.rows.clear();
    state.recompute_rows();
    state.selected = state
        .rows
        .iter()
        .position(|r| matches!(r, Row::Container(_)))
        .unwrap_or(0);
    state.clamp_selection();
}

fn open_inspect(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some((id, name)) = state
        .selected_container()
        .map(|c| (c.id.clone(), c.name.clone()))
    else {
        return;
    };
    inspect_container(state, id, name, effects);
}

/// Opens the inspect pane on one container (fetching its details unless already shown).
fn inspect_container(
    state: &mut AppState,
    id: ContainerId,
    name: String,
    effects: &mut Vec<Effect>,
) {
    if state.inspect.as_ref().is_some_and(|v| v.id == id) {
        state.base = Base::Inspect;
        return;
    }
    state.base = Base::Inspect;
    state.inspect = Some(InspectView {
        id: id.clone(),
        name,
        detail: None,
        error: None,
        scroll: 0,
        reveal: false,
    });
    effects.push(Effect::FetchDetail(id));
}

fn move_selection(state: &mut AppState, command: ConsoleCommand) {
    let page = state.list_height().max(1);
    let last = state.rows.len().saturating_sub(1);
    state.selected = match command {
        ConsoleCommand::Up => state.selected.saturating_sub(1),
        ConsoleCommand::Down => (state.selected + 1).min(last),
        ConsoleCommand::Top => 0,
        ConsoleCommand::Bottom => last,
        ConsoleCommand::PageUp => state.selected.saturating_sub(page),
        ConsoleCommand::PageDown => (state.selected + page).min(last),
        _ => state.selected,
    };
    state.clamp_selection();
}

fn scroll(position: usize, max: usize, page: usize, command: ConsoleCommand) -> usize {
    match command {
        ConsoleCommand::Up => position.saturating_sub(1),
        ConsoleCommand::Down => (position + 1).min(max),
        ConsoleCommand::Top => 0,
        ConsoleCommand::Bottom => max,
        ConsoleCommand::PageUp => position.saturating_sub(page),
        ConsoleCommand::PageDown => (position + page).min(max),
        _ => position,
    }
    .min(max)
}

fn scroll_inspect(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = inspect::geometry(state);
    let max = lines.saturating_sub(page);
    if let Some(view) = state.inspect.as_mut() {
        view.scroll = scroll(view.scroll, max, page.max(1), command);
    }
}

fn scroll_help(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = help::geometry(state);
    let max = lines.saturating_sub(page);
    state.help_scroll = scroll(state.help_scroll, max, page.max(1), command);
}

/// An action from a key: refused when read-only, confirmed when destructive or bulk.
fn request(state: &mut AppState, action: Action, effects: &mut Vec<Effect>) {
    if state.settings.read_only {
        state.set_status(
            format!(
                "read-only: {} is unavailable (fleetdeck was started with --read-only)",
                verb_word(&action)
            ),
            true,
        );
        return;
    }
    let targets = state.targets();
    if targets.is_empty() {
        state.set_status(
            format!("{}: no container selected", verb_word(&action)),
            true,
        );
        return;
    }
    if action.is_destructive() || targets.len() > 1 {
        state.confirm = Some(PendingAction { action, targets });
        state.overlay = Some(Overlay::Confirm);
        return;
    }
    dispatch(state, action, targets, effects);
}

/// Sends an action to the action layer and says so.
fn dispatch(state: &mut AppState, action: Action, targets: Vec<Target>, effects: &mut Vec<Effect>) {
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    state.set_status(
        format!("{} {} …", verb_ing(&action), names.join(", ")),
        false,
    );
    state.marks.clear();
    effects.push(Effect::RunAction { action, targets });
}

/// A character typed into a text field, if the key is one.
fn typed(key: KeyChord) -> Option<char> {
    match key.key {
        KeyName::Char(c) if !key.ctrl && !key.alt => Some(c),
        _ => None,
    }
}

fn on_filter_key(state: &mut AppState, key: KeyChord, previous: &str) {
    match key.key {
        KeyName::Enter => {
            state.overlay = None;
            let text = state.input.trim().to_string();
            set_filter(state, &text);
            if state.filter.is_empty() {
                state.status = None;
            } else {
                state.set_status(
                    format!(
                        "filter '{}': {} listed",
                        state.filter.text,
                        state.listed_count()
                    ),
                    false,
                );
            }
        }
        KeyName::Esc => {
            state.overlay = None;
            let previous = previous.to_string();
            state.input.clear();
            set_filter(state, &previous);
        }
        KeyName::Backspace => {
            state.input.pop();
            let text = state.input.clone();
            set_filter(state, &text);
        }
        _ if key.ctrl && key.key == KeyName::Char('u') => {
            state.input.clear();
            set_filter(state, "");
        }
        _ => {
            if let Some(c) = typed(key) {
                state.input.push(c);
                // The list follows as the user types.
                let text = state.input.clone();
                set_filter(state, &text);
            }
        }
    }
}

fn on_command_key(state: &mut AppState, key: KeyChord, effects: &mut Vec<Effect>) {
    match key.key {
        KeyName::Enter => {
            state.overlay = None;
            let line = std::mem::take(&mut state.input);
            run_command_line(state, &line, effects);
        }
        KeyName::Esc => {
            state.overlay = None;
            state.input.clear();
        }
        KeyName::Backspace => {
            if state.input.pop().is_none() {
                state.overlay = None;
            }
        }
        _ if key.ctrl && key.key == KeyName::Char('u') => state.input.clear(),
        _ => {
            if let Some(c) = typed(key) {
                state.input.push(c);
            }
        }
    }
}

/// Runs a `:` command line.
pub fn run_command_line(state: &mut AppState, line: &str, effects: &mut Vec<Effect>) {
    use command::CommandLine as Cl;
    let parsed = match command::parse(line, &state.settings) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return,
        Err(e) => {
            state.set_status(e, true);
            return;
        }
    };
    match parsed {
        Cl::Quit => effects.push(Effect::Quit),
        Cl::Help => {
            state.help_scroll = 0;
            state.overlay = Some(Overlay::Help);
        }
        Cl::Sort { column, descending } => {
            let descending = descending.unwrap_or(state.sort.descending);
            set_sort(state, column, descending);
        }
        Cl::Filter(text) => set_filter(state, &text),
        Cl::ToggleStopped => {
            run_command(state, KeyMode::List, ConsoleCommand::ToggleStopped, effects)
        }
        Cl::Triage => {
            if state.base != Base::Triage {
                triage::toggle(state);
            }
        }
        Cl::Gpu => {
            if state.base != Base::Gpu {
                gpu::toggle(state);
            }
        }
        Cl::Action { action, names } => {
            if names.is_empty() {
                return request(state, action, effects);
            }
            if state.settings.read_only {
                return request(state, action, effects);
            }
            let fleet: Vec<Container> = state.fleet.containers().cloned().collect();
            let mut targets = Vec::new();
            for name in &names {
                match crate::engine::resolve::resolve(&fleet, name) {
                    Ok(c) => targets.push(AppState::target_of(c)),
                    Err(e) => {
                        state.set_status(format!("{}: {e}", verb_word(&action)), true);
                        return;
                    }
                }
            }
            if action.is_destructive() || targets.len() > 1 {
                state.confirm = Some(PendingAction { action, targets });
                state.overlay = Some(Overlay::Confirm);
            } else {
                dispatch(state, action, targets, effects);
            }
        }
    }
}
