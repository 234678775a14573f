//! The terminal: init, restore (on quit, error, panic, SIGTERM, SIGHUP), and the event loop.
//!
//! The loop owns the state. One `tokio::select!` waits on the terminal's events, the fleet's
//! updates from the watcher, stats samples, GPU reports (sampled and attributed off the loop,
//! see [`gpu`]), results of actions and inspects (from tasks that send owned messages back
//! over a bounded channel), the console's own log lines ([`log_feed`]), a one-second clock,
//! and the signals. Every message goes through `effects::step`, the one place that calls the
//! pure `update` and carries out each effect it returns (the console's side of them is `Io::carry`). The
//! screen is drawn only when `update` marked it dirty, when [`frame_clock`] says so: input is
//! drawn as soon as every input already waiting has been handled (the terminal's events are
//! taken before anything else), changes from the daemon at most `max_fps` times a second,
//! stats samples and detail fills at most `background_fps`; an idle console draws nothing and
//! writes nothing. Before each frame `Msg::Frame` lets `update` do what it put off (the list's
//! order). With a local daemon CPU and memory come from the cgroup files, read for every
//! running container by a sampler thread; else from stats API streams for the rows on screen.

mod carry;
pub mod clipboard;
pub mod compose;
pub mod effects;
pub mod exec;
pub(crate) mod frame_clock;
pub mod gpu;
pub mod history;
pub mod input;
pub mod log_feed;
pub mod logs;
mod objects;
pub mod swarm;
pub mod terminal;

use std::collections::BTreeMap;

use crate::engine::Fleet;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, EventStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::actions::ActionContext;
use crate::app::keymap::Keymap;
use crate::app::logs::LogsMsg;
use crate::app::{AppState, Msg, Settings};
use crate::engine::ContainerId;
use crate::engine::cgroup_stats::{CgroupSampler, spawn_sampler};
use crate::engine::stats::{StatsSample, StatsWatch};
use crate::engine::vitals::{VitalsWatch, spawn_watch};
use crate::engine::{Endpoint, FleetUpdate, stats, watch};
use crate::session::{CliError, Exit, Globals};
use crate::ui::theme::Theme;
use crate::ui::{ViewState, render};
use effects::{Flow, LOG_TARGET, step};
use frame_clock::{Change, FrameClock};

/// How often the vitals watch reads every running container's counters and process states.
const VITALS_INTERVAL: Duration = Duration::from_secs(10);
/// How often the cgroup sampler reads every running container.
const CGROUP_INTERVAL: Duration = Duration::from_secs(1);
/// The most stats samples taken from the channel in one loop turn.
const STATS_BATCH: usize = 1024;

/// Runs the console until the user quits (or a signal ends it).
pub async fn run_console(globals: Globals) -> Result<Exit, CliError> {
    let config = &globals.config;
    // Everything that can fail for a reason the user must fix fails before the terminal changes.
    let keymap = Keymap::new(&config.keys).map_err(|e| CliError::Usage(e.to_string()))?;
    let endpoints = all_endpoints(&globals)?;
    let Some(endpoint) = endpoints.first().cloned() else {
        return Err(CliError::Usage("no host to connect to".into()));
    };
    let log_rx = log_feed::attach(&globals.verbosity, config.logs.buffer_lines);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::from_config(&config.theme, no_color);
    let logs_options = logs_options(config, &theme);
    let mut settings = Settings::from_config(config, globals.read_only, endpoint.address.clone());
    // Room for a second of samples of a big fleet from the cgroup sampler.
    let (stats_tx, stats_rx) = mpsc::channel(4096);
    let sampler = start_sampler(&mut settings, config, &endpoint, &stats_tx);
    let state = initial_state(settings, keymap, &endpoints, &globals);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let guard = enter_terminal(config.ui.mouse)?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let (fleet_rx, fleet_watches) = watch_fleet(&endpoints);
    let hosts = host_ios(&globals, &endpoints, &stats_tx);
    drop(stats_tx);
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(64);
    let history = first_messages(&state, &globals, &msg_tx);
    let vitals = start_vitals(&endpoint, sampler.is_some(), &msg_tx);
    let gpu_feed = gpu::spawn(
        config.gpu.interval(),
        config.gpu.threshold_pct,
        msg_tx.clone(),
    );
    let view = ViewState::new(theme);
    let log_pane = view.console_log.clone();
    let mut console = Console {
        state,
        view,
        clock: FrameClock::new(config.ui.max_fps, config.ui.background_fps),
        io: Io {
            term: &mut term,
            events: Some(EventStream::new()),
            log_streams: None,
            redraw: false,
            hosts,
            primary: endpoint.name.clone(),
            sampler,
            vitals,
            unreadable: Vec::new(),
            gpu_feed,
            swarm_feed: swarm::SwarmFeed::default(),
            msg_tx,
            parallelism: config.actions.parallelism,
            logs_options,
            exec_shell: config.actions.exec_shell.clone(),
            detach_keys: config.actions.detach_keys.clone(),
            mouse: config.ui.mouse,
            history,
            log_pane,
            alerts_in: 0,
        },
    };
    let inbound = Inbound {
        fleet: fleet_rx,
        stats: stats_rx,
        msgs: msg_rx,
        log: log_rx,
        sigterm: &mut sigterm,
        sighup: &mut sighup,
    };
    let result = console.run(inbound).await;
    // The streams and the key reader end before the terminal is given back.
    drop(console);
    drop(fleet_watches);
    drop(guard);
    log::logger().flush();
    result
}

/// The terminal in the console's modes (raw, the alternate screen, the mouse if asked).
fn enter_terminal(mouse: bool) -> Result<terminal::TerminalGuard, CliError> {
    terminal::TerminalGuard::enter(mouse).map_err(|e| {
        CliError::Usage(format!(
            "the console needs a terminal (use a subcommand in scripts): {e}"
        ))
    })
}

/// The logs pane's options: the containers' own colours reach it only when the console has
/// colours.
fn logs_options(config: &crate::config::Config, theme: &Theme) -> crate::engine::logs::LogsOptions {
    crate::engine::logs::LogsOptions {
        keep_sgr: theme.color,
        ..config.logs.options()
    }
}

/// Every host's client, made before the terminal changes (a bad URL or certificate file is
/// the user's to fix); nothing is called yet: each host connects in its own watcher, so a
/// slow or dead one delays nothing.
fn all_endpoints(globals: &Globals) -> Result<Vec<Endpoint>, CliError> {
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for endpoint in globals.endpoints()? {
        endpoints.push(endpoint?);
    }
    Ok(endpoints)
}

/// The cgroup sampler, where the daemon is local and its files readable; the settings say
/// where the stats come from.
fn start_sampler(
    settings: &mut Settings,
    config: &crate::config::Config,
    endpoint: &Endpoint,
    stats_tx: &mpsc::Sender<StatsSample>,
) -> Option<CgroupSampler> {
    let choice = crate::session::stats_source::choose(config.ui.stats_source, &endpoint.address);
    settings.stats_source = choice.source;
    match spawn_sampler(choice.layout?, CGROUP_INTERVAL, stats_tx.clone()) {
        Ok(sampler) => Some(sampler),
        Err(e) => {
            // The thread could not start: every running row on screen gets a stream.
            settings.stats_source = crate::app::StatsSource::Api {
                why: format!("the cgroup sampler did not start: {e}"),
            };
            None
        }
    }
}

/// The vitals watch of the stuck rules, where the cgroup sampler runs (a local daemon with
/// readable cgroup files): every running container's counters and process states every
/// [`VITALS_INTERVAL`], sent to the loop as `Msg::Vitals` (dropped while the loop is busy).
fn start_vitals(
    endpoint: &Endpoint,
    sampling: bool,
    msg_tx: &mpsc::Sender<Msg>,
) -> Option<VitalsWatch> {
    let layout = crate::triage::stuck_gather::layout_of(endpoint).filter(|_| sampling)?;
    let tx = msg_tx.clone();
    let send = move |readings| {
        !matches!(
            tx.try_send(Msg::Vitals(readings)),
            Err(mpsc::error::TrySendError::Closed(_))
        )
    };
    match spawn_watch(layout, "/proc".into(), VITALS_INTERVAL, send) {
        Ok(watch) => Some(watch),
        Err(e) => {
            log::warn!(target: LOG_TARGET, "the stuck checks' vitals watch did not start: {e}");
            None
        }
    }
}

/// The state the console starts from: every host named, the compose project (if any).
fn initial_state(
    settings: Settings,
    keymap: Keymap,
    endpoints: &[Endpoint],
    globals: &Globals,
) -> AppState {
    let mut state = AppState::new(settings, keymap, globals.config.ui.show_stopped, Utc::now());
    state.fleet = Fleet::with_hosts(endpoints.iter().map(|e| e.name.as_str()));
    crate::app::compose::start(
        &mut state,
        globals.compose_files.clone(),
        globals.project_name.clone(),
    );
    state
}

/// One watcher per host, all sending on one channel.
fn watch_fleet(endpoints: &[Endpoint]) -> (mpsc::Receiver<FleetUpdate>, Vec<watch::Watch>) {
    let (fleet_tx, fleet_rx) = mpsc::channel(1024);
    let fleet_watches: Vec<watch::Watch> = endpoints
        .iter()
        .map(|e| watch::spawn(e.clone(), fleet_tx.clone()))
        .collect();
    (fleet_rx, fleet_watches)
}

/// Each host's action context and stats streams, by the host's short name.
fn host_ios(
    globals: &Globals,
    endpoints: &[Endpoint],
    stats_tx: &mpsc::Sender<StatsSample>,
) -> BTreeMap<String, HostIo> {
    let max_streams = globals.config.ui.max_stats_streams;
    endpoints
        .iter()
        .map(|e| {
            let io = HostIo {
                context: globals.action_context(e.clone()),
                stats: stats::spawn(e.clone(), max_streams, stats_tx.clone()),
            };
            (e.name.clone(), io)
        })
        .collect()
}

/// Queues what the loop does first (read the compose files, say why there is no history)
/// and opens the inspect pane's history.
fn first_messages(
    state: &AppState,
    globals: &Globals,
    msg_tx: &mpsc::Sender<Msg>,
) -> history::HistorySource {
    if state.compose.is_some() {
        // The compose files are read as the first thing the loop does.
        let _ = msg_tx.try_send(Msg::Compose(crate::app::compose::ComposeMsg::Reload));
    }
    let (history, history_notice) = history::HistorySource::open(globals);
    if let Some(text) = history_notice {
        let _ = msg_tx.try_send(Msg::Notice {
            text,
            is_error: true,
        });
    }
    history
}

/// The console: the state, what render keeps, and what carries out the effects.
struct Console<'t> {
    state: AppState,
    view: ViewState,
    /// When to draw.
    clock: FrameClock,
    io: Io<'t>,
}

/// What the loop waits on besides the terminal's events and the log streams (kept in [`Io`],
/// since effects replace them).
struct Inbound<'s> {
    fleet: mpsc::Receiver<FleetUpdate>,
    stats: mpsc::Receiver<StatsSample>,
    msgs: mpsc::Receiver<Msg>,
    /// A nudge: records are waiting for the log pane's buffer.
    log: mpsc::Receiver<()>,
    sigterm: &'s mut tokio::signal::unix::Signal,
    sighup: &'s mut tokio::signal::unix::Signal,
}

/// The console's side of the effects: the terminal, the streams and the tasks it starts.
struct Io<'t> {
    term: &'t mut Terminal<CrosstermBackend<std::io::Stdout>>,
    /// The terminal's events; `None` while a shell has the terminal.
    events: Option<EventStream>,
    log_streams: Option<logs::LogStreams>,
    /// Set when the terminal was handed back by a shell: the next frame is drawn at once.
    redraw: bool,
    /// Each host's action context and stats streams, by the host's short name.
    hosts: BTreeMap<String, HostIo>,
    /// The first host named: where the console's compose project is applied.
    primary: String,
    /// The cgroup sampler, with a local daemon whose files are readable.
    sampler: Option<CgroupSampler>,
    /// The vitals watch (stuck containers), beside the cgroup sampler.
    vitals: Option<VitalsWatch>,
    /// The containers the sampler could not read, as last told to `update`.
    unreadable: Vec<ContainerId>,
    gpu_feed: gpu::GpuFeed,
    /// The swarm manager's reader, while a Swarm view is open.
    swarm_feed: swarm::SwarmFeed,
    /// Where the tasks started here send their results.
    msg_tx: mpsc::Sender<Msg>,
    parallelism: usize,
    logs_options: crate::engine::logs::LogsOptions,
    exec_shell: String,
    detach_keys: String,
    mouse: bool,
    /// Where the inspect pane's recorded history comes from.
    history: history::HistorySource,
    /// The log pane's widget state, for its keys.
    log_pane: std::sync::Arc<crate::ui::console_log::LogPaneState>,
    /// Clock ticks until the undelivered alerts are counted again.
    alerts_in: u32,
}

/// One host's side of the effects.
struct HostIo {
    context: ActionContext,
    stats: StatsWatch,
}

/// Why the loop ended.
enum Stop {
    Quit,
    Signal(&'static str),
}

/// What one wait of the loop brought: messages to step, or the end.
enum Turn {
    Msgs(Vec<Msg>, Change),
    Stop(Stop),
}

impl Turn {
    /// One message, drawn as soon as its kind of change allows.
    fn one(msg: Msg) -> Self {
        let change = Change::of(&msg);
        Turn::Msgs(vec![msg], change)
    }
}

/// The cgroup sampler sends a second's samples of every running container at once: what is
/// already waiting is taken in one step (one wake-up, one frame decision), not one loop turn
/// per sample.
fn stats_batch(first: StatsSample, stats: &mut mpsc::Receiver<StatsSample>) -> Vec<Msg> {
    let mut msgs = vec![Msg::Stats(first)];
    while msgs.len() < STATS_BATCH {
        match stats.try_recv() {
            Ok(sample) => msgs.push(Msg::Stats(sample)),
            Err(_) => break,
        }
    }
    msgs
}

/// The next terminal event; never, while no reader is open.
async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// The next terminal event if one is already waiting; `None` (at once) when none is. Polled
/// with this task's own waker: the key reader keeps the waker of the first poll that found
/// nothing, so a poll with any other waker would leave the loop deaf to the next key.
async fn waiting_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    let events = events.as_mut()?;
    std::future::poll_fn(|cx| match events.poll_next_unpin(cx) {
        std::task::Poll::Ready(event) => std::task::Poll::Ready(event),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

impl Console<'_> {
    async fn run(&mut self, mut inbound: Inbound<'_>) -> Result<Exit, CliError> {
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let size = self.io.term.size()?;
        let first = Msg::Resize {
            width: size.width,
            height: size.height,
        };
        let mut flow = self.step(vec![first], Change::Input).await?;
        let stop = loop {
            if flow == Flow::Quit {
                break Stop::Quit;
            }
            if self.clock.should_draw(std::time::Instant::now(), false) {
                flow = self.draw().await?;
                continue;
            }
            let (msgs, change) = match self.wait(&mut inbound, &mut clock).await? {
                Turn::Msgs(msgs, change) => (msgs, change),
                Turn::Stop(stop) => break stop,
            };
            flow = self.step(msgs, change).await?;
        };
        if let Stop::Signal(why) = stop {
            log::warn!(target: LOG_TARGET, "console ended by {why}");
        }
        // Actions still running are not waited for: what they did is in the audit log.
        Ok(Exit::Success)
    }

    /// Waits for the next thing to handle: the terminal first, then a signal, a frame that
    /// is due, and what the tasks, watchers, streams and the clock send.
    async fn wait(
        &mut self,
        inbound: &mut Inbound<'_>,
        clock: &mut tokio::time::Interval,
    ) -> Result<Turn, CliError> {
        let due = self
            .clock
            .due(std::time::Instant::now())
            .map(Instant::from_std);
        let turn = tokio::select! {
            // The terminal first: a key waits for nothing else.
            biased;
            event = next_event(&mut self.io.events) => match event {
                Some(Ok(event)) => Turn::Msgs(self.input(&event).await, Change::Input),
                Some(Err(e)) => return Err(CliError::Output(e)),
                // The terminal's input is gone: nothing more can be asked of us.
                None => Turn::Stop(Stop::Signal("end of input")),
            },
            _ = inbound.sigterm.recv() => Turn::Stop(Stop::Signal("SIGTERM")),
            _ = inbound.sighup.recv() => Turn::Stop(Stop::Signal("SIGHUP")),
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                Turn::Msgs(Vec::new(), Change::Coalesced)
            }
            Some(msg) = inbound.msgs.recv() => Turn::one(msg),
            Some(fleet) = inbound.fleet.recv() => Turn::one(Msg::Fleet(fleet)),
            Some(message) = logs::LogStreams::recv(&mut self.io.log_streams),
                if logs::LogStreams::live(&self.io.log_streams) =>
            {
                Turn::Msgs(vec![Msg::Logs(message)], Change::Background)
            }
            _ = clock.tick() => Turn::Msgs(self.tick(), Change::Background),
            Some(sample) = inbound.stats.recv() => {
                Turn::Msgs(stats_batch(sample, &mut inbound.stats), Change::Coalesced)
            }
            Some(()) = inbound.log.recv() => {
                log_feed::move_records();
                Turn::Msgs(vec![Msg::ConsoleLogged], Change::Background)
            }
        };
        Ok(turn)
    }

    /// The messages of a terminal event and of every input already waiting, all handled
    /// before the frame.
    async fn input(&mut self, event: &Event) -> Vec<Msg> {
        let mut msgs: Vec<Msg> = input::message(event).into_iter().collect();
        while let Some(Ok(event)) = waiting_event(&mut self.io.events).await {
            msgs.extend(input::message(&event));
        }
        msgs
    }

    /// The messages of the one-second clock.
    fn tick(&mut self) -> Vec<Msg> {
        if self.io.alerts_in == 0 {
            self.io.alerts_in = history::ALERTS_EVERY_TICKS;
            self.io.history.count_undelivered(self.io.msg_tx.clone());
        }
        self.io.alerts_in -= 1;
        let mut msgs = Vec::with_capacity(3);
        if self.io.log_streams.is_some() {
            msgs.push(Msg::Logs(LogsMsg::Clock(std::time::Instant::now())));
        }
        msgs.push(Msg::Tick(Utc::now()));
        if let Some(ids) = self.io.unreadable_changed() {
            msgs.push(Msg::StatsUnreadable(ids));
        }
        msgs
    }

    /// Runs `msgs` through `update` and their effects; notes a change to draw.
    async fn step(&mut self, msgs: Vec<Msg>, change: Change) -> Result<Flow, CliError> {
        let flow = step(&mut self.state, &mut self.io, msgs).await?;
        if std::mem::take(&mut self.io.redraw) {
            self.clock.redraw_now();
        }
        if std::mem::take(&mut self.state.dirty) {
            self.clock.mark(change);
        }
        Ok(flow)
    }

    /// Lets `update` bring up to date what it put off until a frame, then draws.
    async fn draw(&mut self) -> Result<Flow, CliError> {
        let flow = step(&mut self.state, &mut self.io, [Msg::Frame]).await?;
        self.io.redraw = false;
        self.io
            .term
            .draw(|frame| render(frame, &self.state, &mut self.view))?;
        self.state.dirty = false;
        self.clock.drawn(std::time::Instant::now());
        Ok(flow)
    }
}

impl Io<'_> {
    /// The containers the cgroup sampler could not read, when they changed since last told.
    fn unreadable_changed(&mut self) -> Option<Vec<ContainerId>> {
        let now = self.sampler.as_ref()?.unreadable_ids();
        (now != self.unreadable).then(|| {
            self.unreadable.clone_from(&now);
            now
        })
    }
}
