//! The console's state: what it is configured with ([`Settings`]), the main view and the
//! overlay over it, the list's rows (filtered, grouped, sorted, recomputed when something they
//! depend on changes) with its selection and scroll offset, the marks, the status line, and
//! the state of each pane; plus the readings of it that `update` and render share (the rows on
//! screen, the targets of an action, the screen's layout input).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use super::filter::Filter;
use super::inspect::InspectView;
use super::keymap::{KeyMode, Keymap};
use super::rows::{self, GroupKey, Row, RowInputs, Sort};
use super::{Effect, PendingAction, logs, triage};
use crate::actions::Target;
use crate::config::{Column, Config};
use crate::engine::stats::StatsSample;
use crate::engine::{Connection, Container, ContainerId, Fleet, RunState};
use crate::geometry::{self, MainView, Panes, Screen};

/// What the console is configured with, fixed for its run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub read_only: bool,
    pub stop_timeout_s: u64,
    pub kill_signal: String,
    /// `y` copies to the clipboard (`ui.clipboard`).
    pub clipboard: bool,
    pub columns: Vec<Column>,
    pub max_stats_streams: usize,
    /// The daemon's address, for the banner.
    pub endpoint: String,
    /// The triage rules' limits (`[triage]`).
    pub thresholds: crate::triage::Thresholds,
    /// The logs pane's bounds.
    pub logs: crate::config::LogsConfig,
    /// Where CPU and memory come from (the console decides at start; the help says which).
    pub stats_source: StatsSource,
    /// Points per history ring (`ui.history_samples`).
    pub history_samples: usize,
}

/// Where the console's CPU and memory figures come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsSource {
    /// Stats API streams for the running containers on screen; `why` the cgroup files are not
    /// read (a remote daemon, unreadable files, `ui.stats_source = "api"`).
    Api { why: String },
    /// Every running container's cgroup files, once a second; `layout` in words. Containers
    /// whose files cannot be read fall back to stats API streams while on screen.
    Cgroup { layout: String },
}

impl StatsSource {
    /// One line for the help overlay.
    pub fn describe(&self) -> String {
        match self {
            Self::Api { why } => format!("Stats: Docker stats API, rows on screen ({why})"),
            Self::Cgroup { layout } => format!("Stats: {layout}, all running, every 1 s"),
        }
    }
}

impl Settings {
    pub fn from_config(config: &Config, read_only: bool, endpoint: String) -> Self {
        Self {
            read_only,
            stop_timeout_s: config.actions.stop_timeout_s,
            kill_signal: config.actions.kill_signal.clone(),
            clipboard: config.ui.clipboard,
            columns: config.ui.columns.clone(),
            max_stats_streams: config.ui.max_stats_streams,
            endpoint,
            thresholds: config.triage.clone(),
            logs: config.logs.clone(),
            stats_source: StatsSource::Api {
                why: "cgroup files not checked".into(),
            },
            history_samples: config.ui.history_samples,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(
            &Config::default(),
            false,
            crate::engine::host::DEFAULT_SOCKET.into(),
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
    /// The compose plan pane ([`super::compose`]).
    Plan,
    /// The host views: images, volumes, networks, disk usage ([`super::objects`]).
    Objects,
    /// The Swarm views ([`super::swarm`]).
    Swarm,
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
    /// fleetdeck's own log pane has the keys (its per-target level filter).
    ConsoleLog,
}

/// The status line: the last outcome, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub is_error: bool,
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
    /// Whether the rows wait for a rebuild (put off to the next frame or key: the order of
    /// one container changed, or a stats sample moved a CPU/memory sort).
    pub rows_stale: bool,
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
    /// The pane the status line speaks of, if it speaks of one (cleared with the pane).
    pub status_pane: Option<Base>,
    pub confirm: Option<PendingAction>,
    pub inspect: Option<InspectView>,
    pub help_scroll: usize,
    pub stats: HashMap<ContainerId, StatsSample>,
    /// CPU and memory over time per running container, GPU memory per GPU.
    pub history: super::history::History,
    /// The stats set last asked for.
    pub watched: Vec<ContainerId>,
    /// With cgroup stats: the running containers whose files could not be read (followed by
    /// stats API streams while on screen).
    pub stats_unreadable: BTreeSet<ContainerId>,
    /// With cgroup stats: the running set last handed to the sampler, and the fleet
    /// generation it was computed at.
    pub sampled: (Option<u64>, Vec<ContainerId>),
    pub show_log: bool,
    /// The logs pane, while open.
    pub logs: Option<Box<logs::LogsView>>,
    /// Problems, their history and the triage view's cursor.
    pub triage: triage::TriageState,
    /// The last GPU report, or why there is none.
    pub gpu: crate::gpu::GpuState,
    pub gpu_scroll: usize,
    /// The console's own log and the GPU feed's bookkeeping ([`super::feeds`]).
    pub feeds: super::feeds::Feeds,
    /// The compose project the console was started with (`-f`); `None` without one.
    pub compose: Option<Box<super::compose::ComposeState>>,
    /// Alerts the keeper could not deliver (the last day): shown in the status line.
    pub undelivered_alerts: u64,
    /// The host views' state, once one was opened ([`super::objects`]).
    pub objects: Option<Box<super::objects::ObjectsState>>,
    /// The Swarm views ([`super::swarm`]).
    pub swarm: super::swarm::SwarmState,
    /// Set by `update` when the screen must be drawn again; the loop clears it.
    pub dirty: bool,
}

impl AppState {
    pub fn new(settings: Settings, keymap: Keymap, show_stopped: bool, now: DateTime<Utc>) -> Self {
        let history_samples = settings.history_samples;
        Self {
            settings,
            keymap,
            fleet: Fleet::new(),
            now,
            base: Base::List,
            overlay: None,
            viewport: Rect::new(0, 0, 80, 24),
            rows: Vec::new(),
            rows_stale: false,
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
            status_pane: None,
            confirm: None,
            inspect: None,
            help_scroll: 0,
            stats: HashMap::new(),
            history: super::history::History::new(history_samples),
            watched: Vec::new(),
            stats_unreadable: BTreeSet::new(),
            sampled: (None, Vec::new()),
            show_log: false,
            logs: None,
            triage: triage::TriageState::default(),
            gpu: crate::gpu::GpuState::Unknown,
            gpu_scroll: 0,
            feeds: super::feeds::Feeds::default(),
            compose: None,
            undelivered_alerts: 0,
            objects: None,
            swarm: super::swarm::SwarmState::default(),
            dirty: true,
        }
    }

    /// The mode keys are looked up in (`None` while typing in a text field).
    pub fn key_mode(&self) -> Option<KeyMode> {
        match &self.overlay {
            Some(Overlay::Help) => Some(KeyMode::Help),
            Some(Overlay::Confirm) => Some(KeyMode::Confirm),
            Some(
                Overlay::Filter { .. }
                | Overlay::Command
                | Overlay::LogInput(_)
                | Overlay::ConsoleLog,
            ) => None,
            None => Some(match self.base {
                Base::List => KeyMode::List,
                Base::Inspect => KeyMode::Inspect,
                Base::Logs => KeyMode::Logs,
                Base::Triage => KeyMode::Triage,
                Base::Gpu => KeyMode::Gpu,
                Base::Plan => KeyMode::Plan,
                Base::Objects => KeyMode::Objects,
                Base::Swarm => KeyMode::Swarm,
            }),
        }
    }

    /// The container of the selected row, if it is a container.
    pub fn selected_container(&self) -> Option<&Container> {
        match self.rows.get(self.selected)? {
            Row::Container(id) => self.fleet.get(id),
            Row::Group { .. } | Row::Missing(_) => None,
        }
    }

    pub(super) fn row_inputs(&self) -> RowInputs<'_> {
        RowInputs {
            fleet: &self.fleet,
            filter: &self.filter,
            sort: self.sort,
            show_stopped: self.show_stopped,
            collapsed: &self.collapsed,
            stats: &self.stats,
            gpu: self.gpu_report(),
            missing: self.compose.as_ref().map_or(&[], |c| c.missing.as_slice()),
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
                Base::Plan => MainView::Plan,
                Base::Objects => MainView::Objects,
                // One full pane, laid out as triage's.
                Base::Swarm => MainView::Triage,
            },
            // The banner: the one host unreachable, or with several, any host not connected.
            disconnected: if self.fleet.several_hosts() {
                self.fleet
                    .connections
                    .values()
                    .any(|c| !matches!(c, Connection::Connected { .. }))
            } else {
                matches!(self.fleet.connection, Connection::Disconnected { .. })
            },
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

    pub(super) fn set_status(&mut self, text: impl Into<String>, is_error: bool) {
        self.status = Some(StatusLine {
            text: text.into(),
            is_error,
        });
        self.status_pane = None;
    }

    /// A status that speaks of one pane ("/ERROR: 3 matches"): it goes when the pane closes.
    pub(super) fn set_pane_status(&mut self, pane: Base, text: impl Into<String>, is_error: bool) {
        self.set_status(text, is_error);
        self.status_pane = Some(pane);
    }

    /// Clears the status line if it speaks of `pane`.
    pub(super) fn clear_pane_status(&mut self, pane: Base) {
        if self.status_pane == Some(pane) {
            self.status = None;
            self.status_pane = None;
        }
    }

    /// Recomputes the rows, keeping the selection on the same row where it still exists.
    pub(super) fn recompute_rows(&mut self) {
        let keep = self.rows.get(self.selected).cloned();
        self.rows_stale = false;
        self.rows = rows::build(&self.row_inputs());
        let inputs = self.row_inputs();
        self.listed = self.fleet.containers().filter(|c| inputs.shows(c)).count();
        if let Some(keep) = keep {
            let found = self.rows.iter().position(|r| match (r, &keep) {
                (Row::Container(a), Row::Container(b)) => a == b,
                (Row::Group { key: a, .. }, Row::Group { key: b, .. }) => a == b,
                (Row::Missing(a), Row::Missing(b)) => a == b,
                _ => false,
            });
            if let Some(i) = found {
                self.selected = i;
            }
        }
        self.clamp_selection();
    }

    pub(super) fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        let height = self.list_height();
        if height == 0 {
            // The list is not on screen (inspect, logs, ...): its offset is settled when it is
            // shown again, for the height it has then, not for a one-row list.
            return;
        }
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
    pub(super) fn on_screen_running(&self) -> Vec<ContainerId> {
        self.visible_rows()
            .iter()
            .filter_map(|r| match r {
                Row::Container(id) => self.fleet.get(id),
                Row::Group { .. } | Row::Missing(_) => None,
            })
            .filter(|c| c.state == RunState::Running)
            .map(|c| c.id.clone())
            .take(self.settings.max_stats_streams)
            .collect()
    }

    /// Asks for stats streams for what is on screen, when that changed (with cgroup stats:
    /// only for what the files could not tell); with streams only, forgets samples of the rest.
    pub(super) fn sync_stats(&mut self, effects: &mut Vec<Effect>) {
        let mut wanted = self.on_screen_running();
        let cgroup = matches!(self.settings.stats_source, StatsSource::Cgroup { .. });
        if cgroup {
            wanted.retain(|id| self.stats_unreadable.contains(id));
        }
        if wanted != self.watched {
            if !cgroup {
                self.stats.retain(|id, _| wanted.contains(id));
            }
            self.watched = wanted.clone();
            effects.push(Effect::WatchStats(wanted));
        }
    }

    /// With cgroup stats: hands the sampler every running container when the set changed
    /// (looked at only when the fleet changed since the last look).
    pub(super) fn sync_sampler(&mut self, effects: &mut Vec<Effect>) {
        if !matches!(self.settings.stats_source, StatsSource::Cgroup { .. })
            || self.sampled.0 == Some(self.fleet.generation)
        {
            return;
        }
        self.sampled.0 = Some(self.fleet.generation);
        let mut running: Vec<ContainerId> = self
            .fleet
            .containers()
            .filter(|c| c.state == RunState::Running)
            .map(|c| c.id.clone())
            .collect();
        running.sort();
        if running != self.sampled.1 {
            self.sampled.1 = running.clone();
            effects.push(Effect::SampleRunning(running));
        }
    }

    /// Forgets what is kept for a container that is gone or no longer running (its stats,
    /// and whether its cgroup could be read); a gone one loses its mark too.
    pub(super) fn forget(&mut self, id: &ContainerId) {
        let container = self.fleet.get(id);
        if container.is_none_or(|c| c.state != RunState::Running) {
            self.stats.remove(id);
            self.stats_unreadable.remove(id);
            self.history.forget(id);
        }
        if container.is_none() {
            self.marks.remove(id);
        }
    }

    pub(super) fn target_of(c: &Container) -> Target {
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
            Some(Row::Missing(_)) | None => Vec::new(),
        }
    }

    /// Every relative time on screen, as text: when it is unchanged by a tick, nothing is drawn.
    pub(super) fn clock_text(&self, now: DateTime<Utc>) -> String {
        let mut text = String::new();
        for connection in self.fleet.connections.values() {
            if let Connection::Disconnected { since, .. } = connection {
                text.push_str(&crate::present::ago(*since, now));
            }
        }
        for row in self.visible_rows() {
            if let Row::Container(id) = row
                && let Some(c) = self.fleet.get(id)
            {
                text.push_str(&crate::present::status_text_on_screen(c, now));
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
