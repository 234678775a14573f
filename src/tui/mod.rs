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
use crate::app::{ActionDone, AppState, Effect, Msg, Settings};
use crate::engine::ContainerId;
use crate::engine::cgroup_stats::{CgroupSampler, spawn_sampler};
use crate::engine::detail::ContainerDetail;
use crate::engine::stats::{StatsSample, StatsWatch};
use crate::engine::{Endpoint, FleetUpdate, stats, watch};
use crate::session::{CliError, Exit, Globals};
use crate::ui::theme::Theme;
use crate::ui::{ViewState, render};
use effects::{Carrier, Flow, LOG_TARGET, step};
use frame_clock::{Change, FrameClock};

/// How often the cgroup sampler reads every running container.
const CGROUP_INTERVAL: Duration = Duration::from_secs(1);
/// The most stats samples taken from the channel in one loop turn.
const STATS_BATCH: usize = 1024;

/// Runs the console until the user quits (or a signal ends it).
pub async fn run_console(globals: Globals) -> Result<Exit, CliError> {
    let config = &globals.config;
    // Everything that can fail for a reason the user must fix fails before the terminal changes.
    let keymap = Keymap::new(&config.keys).map_err(|e| CliError::Usage(e.to_string()))?;
    // Every host's client, made before the terminal changes (a bad URL or certificate file is
    // the user's to fix); nothing is called yet: each host connects in its own watcher, so a
    // slow or dead one delays nothing.
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for endpoint in globals.endpoints()? {
        endpoints.push(endpoint?);
    }
    let Some(endpoint) = endpoints.first().cloned() else {
        return Err(CliError::Usage("no host to connect to".into()));
    };
    let log_rx = log_feed::attach(&globals.verbosity, config.logs.buffer_lines);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::from_config(&config.theme, no_color);
    // The containers' own colours reach the logs pane only when the console has colours.
    let logs_options = crate::engine::logs::LogsOptions {
        keep_sgr: theme.color,
        ..config.logs.options()
    };
    let mut settings = Settings::from_config(config, globals.read_only, endpoint.address.clone());
    // Room for a second of samples of a big fleet from the cgroup sampler.
    let (stats_tx, stats_rx) = mpsc::channel(4096);
    let choice = crate::session::stats_source::choose(config.ui.stats_source, &endpoint.address);
    settings.stats_source = choice.source;
    let sampler = match choice.layout {
        Some(layout) => match spawn_sampler(layout, CGROUP_INTERVAL, stats_tx.clone()) {
            Ok(sampler) => Some(sampler),
            Err(e) => {
                // The thread could not start: every running row on screen gets a stream.
                settings.stats_source = crate::app::StatsSource::Api {
                    why: format!("the cgroup sampler did not start: {e}"),
                };
                None
            }
        },
        None => None,
    };
    let mut state = AppState::new(settings, keymap, config.ui.show_stopped, Utc::now());
    state.fleet = Fleet::with_hosts(endpoints.iter().map(|e| e.name.as_str()));
    crate::app::compose::start(
        &mut state,
        globals.compose_files.clone(),
        globals.project_name.clone(),
    );
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let guard = terminal::TerminalGuard::enter(config.ui.mouse).map_err(|e| {
        CliError::Usage(format!(
            "the console needs a terminal (use a subcommand in scripts): {e}"
        ))
    })?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let (fleet_tx, fleet_rx) = mpsc::channel(1024);
    let fleet_watches: Vec<watch::Watch> = endpoints
        .iter()
        .map(|e| watch::spawn(e.clone(), fleet_tx.clone()))
        .collect();
    drop(fleet_tx);
    let hosts: BTreeMap<String, HostIo> = endpoints
        .iter()
        .map(|e| {
            let io = HostIo {
                context: globals.action_context(e.clone()),
                stats: stats::spawn(e.clone(), config.ui.max_stats_streams, stats_tx.clone()),
            };
            (e.name.clone(), io)
        })
        .collect();
    drop(stats_tx);
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(64);
    if state.compose.is_some() {
        // The compose files are read as the first thing the loop does.
        let _ = msg_tx.try_send(Msg::Compose(crate::app::compose::ComposeMsg::Reload));
    }
    let (history, history_notice) = history::HistorySource::open(&globals);
    if let Some(text) = history_notice {
        let _ = msg_tx.try_send(Msg::Notice {
            text,
            is_error: true,
        });
    }
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
            unreadable: Vec::new(),
            gpu_feed,
            msg_tx,
            parallelism: config.actions.parallelism,
            logs_options,
            exec_shell: config.actions.exec_shell.clone(),
            detach_keys: config.actions.detach_keys.clone(),
            mouse: config.ui.mouse,
            history,
            log_pane,
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
    /// The containers the sampler could not read, as last told to `update`.
    unreadable: Vec<ContainerId>,
    gpu_feed: gpu::GpuFeed,
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
}

/// One host's side of the effects.
struct HostIo {
    context: ActionContext,
    stats: StatsWatch,
}

impl Io<'_> {
    /// The host a container is on (the fleet says), and that host's side.
    fn host_of(&self, fleet: &Fleet, id: &ContainerId) -> Result<&HostIo, String> {
        let host = fleet
            .get(id)
            .map_or(self.primary.as_str(), |c| c.host.as_str());
        self.hosts
            .get(host)
            .ok_or_else(|| format!("host '{host}' is not one of this console's"))
    }
}

/// Why the loop ended.
enum Stop {
    Quit,
    Signal(&'static str),
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
            let due = self
                .clock
                .due(std::time::Instant::now())
                .map(Instant::from_std);
            let (msgs, change): (Vec<Msg>, Change) = tokio::select! {
                // The terminal first: a key waits for nothing else.
                biased;
                event = next_event(&mut self.io.events) => match event {
                    Some(Ok(event)) => {
                        let mut msgs: Vec<Msg> = input::message(&event).into_iter().collect();
                        // Every input already waiting is handled before the frame.
                        while let Some(Ok(event)) = waiting_event(&mut self.io.events).await {
                            msgs.extend(input::message(&event));
                        }
                        (msgs, Change::Input)
                    }
                    Some(Err(e)) => return Err(CliError::Output(e)),
                    // The terminal's input is gone: nothing more can be asked of us.
                    None => break Stop::Signal("end of input"),
                },
                _ = inbound.sigterm.recv() => break Stop::Signal("SIGTERM"),
                _ = inbound.sighup.recv() => break Stop::Signal("SIGHUP"),
                () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    (Vec::new(), Change::Coalesced)
                }
                Some(msg) = inbound.msgs.recv() => {
                    let change = Change::of(&msg);
                    (vec![msg], change)
                }
                Some(fleet) = inbound.fleet.recv() => {
                    let msg = Msg::Fleet(fleet);
                    let change = Change::of(&msg);
                    (vec![msg], change)
                }
                Some(message) = logs::LogStreams::recv(&mut self.io.log_streams),
                    if logs::LogStreams::live(&self.io.log_streams) =>
                {
                    let at = std::time::Instant::now();
                    (vec![Msg::Logs(LogsMsg::Stream { message, at })], Change::Background)
                }
                _ = clock.tick() => {
                    let mut msgs = Vec::with_capacity(3);
                    if self.io.log_streams.is_some() {
                        msgs.push(Msg::Logs(LogsMsg::Clock(std::time::Instant::now())));
                    }
                    msgs.push(Msg::Tick(Utc::now()));
                    if let Some(ids) = self.io.unreadable_changed() {
                        msgs.push(Msg::StatsUnreadable(ids));
                    }
                    (msgs, Change::Background)
                }
                Some(sample) = inbound.stats.recv() => {
                    // The cgroup sampler sends a second's samples of every running container at
                    // once: take what is already waiting in one step (one wake-up, one frame
                    // decision), not one loop turn per sample.
                    let mut msgs = vec![Msg::Stats(sample)];
                    while msgs.len() < STATS_BATCH {
                        match inbound.stats.try_recv() {
                            Ok(sample) => msgs.push(Msg::Stats(sample)),
                            Err(_) => break,
                        }
                    }
                    (msgs, Change::Coalesced)
                }
                Some(()) = inbound.log.recv() => {
                    log_feed::move_records();
                    (vec![Msg::ConsoleLogged], Change::Background)
                }
            };
            flow = self.step(msgs, change).await?;
        };
        if let Stop::Signal(why) = stop {
            log::warn!(target: LOG_TARGET, "console ended by {why}");
        }
        // Actions still running are not waited for: what they did is in the audit log.
        Ok(Exit::Success)
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

impl Carrier for Io<'_> {
    async fn carry(&mut self, effect: Effect, fleet: &Fleet) -> Result<Vec<Msg>, CliError> {
        match effect {
            // `step` reads it; nothing to do here.
            Effect::Quit => {}
            Effect::WatchStats(ids) => {
                // Each host streams its own containers' stats.
                let mut by_host: BTreeMap<&str, Vec<ContainerId>> = self
                    .hosts
                    .keys()
                    .map(|h| (h.as_str(), Vec::new()))
                    .collect();
                for id in ids {
                    let host = fleet.get(&id).map_or(self.primary.as_str(), |c| &c.host);
                    if let Some(list) = by_host.get_mut(host) {
                        list.push(id);
                    }
                }
                for (host, ids) in by_host {
                    if let Some(io) = self.hosts.get(host) {
                        io.stats.watch(ids);
                    }
                }
            }
            Effect::SampleRunning(ids) => {
                if let Some(sampler) = &self.sampler {
                    sampler.set_running(ids);
                }
            }
            Effect::GpuNames(names) => self.gpu_feed.hand(names),
            Effect::ConsoleLogKey(key) => self.log_pane.key(key),
            Effect::RunAction { action, targets } => {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                log::info!(target: LOG_TARGET, "{} {}", action.verb(), names.join(", "));
                // Each target goes to its own host.
                let targets: Vec<(ActionContext, crate::actions::Target)> = targets
                    .into_iter()
                    .filter_map(|t| {
                        let context = self.host_of(fleet, &t.id).ok()?.context.clone();
                        Some((context, t))
                    })
                    .collect();
                let tx = self.msg_tx.clone();
                let parallelism = self.parallelism;
                tokio::spawn(async move {
                    // As `execute_many`, with owned futures: its borrowing closure is not
                    // `Send` for every lifetime, which `tokio::spawn` needs.
                    let done: Vec<ActionDone> = futures_util::stream::iter(targets)
                        .map(|(context, target)| {
                            let action = action.clone();
                            async move {
                                ActionDone::from_report(&context.execute(&action, &target).await)
                            }
                        })
                        .buffered(parallelism.max(1))
                        .collect()
                        .await;
                    let _ = tx.send(Msg::ActionsDone(done)).await;
                });
            }
            Effect::FetchDetail(id) => {
                let endpoint = match self.host_of(fleet, &id) {
                    Ok(io) => io.context.endpoint.clone(),
                    Err(e) => {
                        return Ok(vec![Msg::Detail { id, result: Err(e) }]);
                    }
                };
                let tx = self.msg_tx.clone();
                tokio::spawn(async move {
                    let result = match endpoint.inspect(&id.0).await {
                        Ok(Some(inspect)) => ContainerDetail::from_inspect(&inspect, true)
                            .map(|mut d| {
                                d.container.host.clone_from(&endpoint.name);
                                Box::new(d)
                            })
                            .ok_or_else(|| "the daemon's answer had no id".to_string()),
                        Ok(None) => Err("no such container".to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Msg::Detail { id, result }).await;
                });
            }
            Effect::LoadHistory(id) => self.history.load(id, self.msg_tx.clone()),
            Effect::OpenLogs(targets) => {
                // The old streams and what they sent go first.
                drop(self.log_streams.take());
                let routed: Vec<(Endpoint, crate::actions::Target)> = targets
                    .into_iter()
                    .filter_map(|t| {
                        let endpoint = self.host_of(fleet, &t.id).ok()?.context.endpoint.clone();
                        Some((endpoint, t))
                    })
                    .collect();
                self.log_streams = Some(logs::LogStreams::open(&routed, &self.logs_options));
            }
            Effect::CloseLogs => self.log_streams = None,
            Effect::LoadCompose {
                files,
                project_name,
            } => compose::load(
                files,
                project_name,
                self.hosts[&self.primary].context.endpoint.clone(),
                self.msg_tx.clone(),
            ),
            Effect::ApplyPlan { project, plan } => compose::run(
                self.hosts[&self.primary].context.clone(),
                project,
                plan,
                self.parallelism,
                self.msg_tx.clone(),
            ),
            Effect::Copy { text, what } => {
                // Through the terminal's own writer, so that it lands between frames.
                if let Err(e) = clipboard::copy(self.term.backend_mut(), &text) {
                    return Ok(vec![Msg::Notice {
                        text: format!("copy failed: {e}"),
                        is_error: true,
                    }]);
                }
                log::info!(target: LOG_TARGET, "copied {what} ({} bytes)", text.len());
            }
            Effect::SaveLogs {
                file_name,
                contents,
                lines,
            } => logs::save(file_name, contents, lines, self.msg_tx.clone()),
            Effect::Exec(target) => {
                // Our key reader stops before the shell gets the terminal.
                self.events = None;
                let context = match self.host_of(fleet, &target.id) {
                    Ok(io) => io.context.clone(),
                    Err(text) => {
                        self.events = Some(EventStream::new());
                        return Ok(vec![Msg::Notice {
                            text,
                            is_error: true,
                        }]);
                    }
                };
                let result = exec::suspended_exec(
                    &context,
                    &target,
                    exec::shell_command(&self.exec_shell),
                    &self.detach_keys,
                    self.mouse,
                )
                .await;
                self.events = Some(EventStream::new());
                let (text, is_error) = result?;
                self.term.clear()?;
                let size = self.term.size()?;
                self.redraw = true;
                // The terminal may have changed size meanwhile: the rows now on screen get
                // their stats streams from this resize's effects.
                return Ok(vec![
                    Msg::Resize {
                        width: size.width,
                        height: size.height,
                    },
                    Msg::Notice { text, is_error },
                ]);
            }
        }
        Ok(Vec::new())
    }
}
