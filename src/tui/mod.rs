//! The terminal: init, restore (on quit, error, panic, SIGTERM, SIGHUP), and the event loop.
//!
//! The loop owns the state. One `tokio::select!` waits on the terminal's events, the fleet's
//! updates from the watcher, stats samples, GPU reports (sampled and attributed off the loop,
//! see [`gpu`]), results of actions and inspects (from tasks that send owned messages back
//! over a bounded channel), the console's own log lines ([`log_feed`]), a one-second clock,
//! and the signals. Every message goes through `effects::step`, the one place that calls the
//! pure `update` and carries out each effect it returns (the console's side of them is `Io::carry`). The
//! screen is drawn only when `update` marked it dirty, at most `max_fps` times a second: an
//! idle console draws nothing and writes nothing.

pub mod compose;
pub mod effects;
pub mod exec;
pub mod gpu;
pub mod history;
pub mod input;
pub mod log_feed;
pub mod logs;
pub mod terminal;

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
use crate::app::feeds::ConsoleLogLine;
use crate::app::keymap::Keymap;
use crate::app::logs::LogsMsg;
use crate::app::{ActionDone, AppState, Effect, Msg, Settings};
use crate::engine::detail::ContainerDetail;
use crate::engine::stats::{StatsSample, StatsWatch};
use crate::engine::{Endpoint, FleetUpdate, stats, watch};
use crate::session::{CliError, Exit, Globals};
use crate::ui::theme::Theme;
use crate::ui::{ViewState, render};
use effects::{Carrier, Flow, LOG_TARGET, step};

/// Runs the console until the user quits (or a signal ends it).
pub async fn run_console(globals: Globals) -> Result<Exit, CliError> {
    let config = &globals.config;
    // Everything that can fail for a reason the user must fix fails before the terminal changes.
    let keymap = Keymap::new(&config.keys).map_err(|e| CliError::Usage(e.to_string()))?;
    let endpoint = globals.connect().await?;
    let context = globals.action_context(endpoint.clone());
    let log_rx = log_feed::attach();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::from_config(&config.theme, no_color);
    let settings = Settings::from_config(config, globals.read_only, endpoint.address.clone());
    let mut state = AppState::new(settings, keymap, config.ui.show_stopped, Utc::now());
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
    let fleet_watch = watch::spawn(endpoint.clone(), fleet_tx);
    let (stats_tx, stats_rx) = mpsc::channel(256);
    let stats = stats::spawn(endpoint.clone(), config.ui.max_stats_streams, stats_tx);
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
    let mut console = Console {
        state,
        view: ViewState::new(theme),
        frame: Duration::from_secs(1) / config.ui.max_fps.clamp(1, 240),
        io: Io {
            term: &mut term,
            events: Some(EventStream::new()),
            log_streams: None,
            last_draw: None,
            stats,
            gpu_feed,
            msg_tx,
            context,
            endpoint,
            parallelism: config.actions.parallelism,
            logs_options: config.logs.options(),
            exec_shell: config.actions.exec_shell.clone(),
            detach_keys: config.actions.detach_keys.clone(),
            mouse: config.ui.mouse,
            history,
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
    drop(fleet_watch);
    drop(guard);
    log::logger().flush();
    result
}

/// The console: the state, what render keeps, and what carries out the effects.
struct Console<'t> {
    state: AppState,
    view: ViewState,
    /// The shortest time between two frames.
    frame: Duration,
    io: Io<'t>,
}

/// What the loop waits on besides the terminal's events and the log streams (kept in [`Io`],
/// since effects replace them).
struct Inbound<'s> {
    fleet: mpsc::Receiver<FleetUpdate>,
    stats: mpsc::Receiver<StatsSample>,
    msgs: mpsc::Receiver<Msg>,
    log: mpsc::Receiver<ConsoleLogLine>,
    sigterm: &'s mut tokio::signal::unix::Signal,
    sighup: &'s mut tokio::signal::unix::Signal,
}

/// The console's side of the effects: the terminal, the streams and the tasks it starts.
struct Io<'t> {
    term: &'t mut Terminal<CrosstermBackend<std::io::Stdout>>,
    /// The terminal's events; `None` while a shell has the terminal.
    events: Option<EventStream>,
    log_streams: Option<logs::LogStreams>,
    /// When the screen was last drawn; `None` draws at once.
    last_draw: Option<Instant>,
    stats: StatsWatch,
    gpu_feed: gpu::GpuFeed,
    /// Where the tasks started here send their results.
    msg_tx: mpsc::Sender<Msg>,
    context: ActionContext,
    endpoint: Endpoint,
    parallelism: usize,
    logs_options: crate::engine::logs::LogsOptions,
    exec_shell: String,
    detach_keys: String,
    mouse: bool,
    /// Where the inspect pane's recorded history comes from.
    history: history::HistorySource,
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

impl Console<'_> {
    async fn run(&mut self, mut inbound: Inbound<'_>) -> Result<Exit, CliError> {
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let size = self.io.term.size()?;
        let first = Msg::Resize {
            width: size.width,
            height: size.height,
        };
        let mut flow = step(&mut self.state, &mut self.io, [first]).await?;
        let stop = loop {
            if flow == Flow::Quit {
                break Stop::Quit;
            }
            let due = self
                .io
                .last_draw
                .map_or_else(Instant::now, |t| t + self.frame);
            if self.state.dirty && Instant::now() >= due {
                self.io
                    .term
                    .draw(|frame| render(frame, &self.state, &mut self.view))?;
                self.state.dirty = false;
                self.io.last_draw = Some(Instant::now());
            }
            let msgs: Vec<Msg> = tokio::select! {
                event = next_event(&mut self.io.events) => match event {
                    Some(Ok(event)) => input::message(&event).into_iter().collect(),
                    Some(Err(e)) => return Err(CliError::Output(e)),
                    // The terminal's input is gone: nothing more can be asked of us.
                    None => break Stop::Signal("end of input"),
                },
                Some(fleet) = inbound.fleet.recv() => vec![Msg::Fleet(fleet)],
                Some(sample) = inbound.stats.recv() => vec![Msg::Stats(sample)],
                Some(msg) = inbound.msgs.recv() => vec![msg],
                Some(line) = inbound.log.recv() => vec![Msg::ConsoleLog(line)],
                Some(message) = logs::LogStreams::recv(&mut self.io.log_streams),
                    if logs::LogStreams::live(&self.io.log_streams) =>
                {
                    let at = std::time::Instant::now();
                    vec![Msg::Logs(LogsMsg::Stream { message, at })]
                }
                _ = clock.tick() => {
                    let mut msgs = Vec::with_capacity(2);
                    if self.io.log_streams.is_some() {
                        msgs.push(Msg::Logs(LogsMsg::Clock(std::time::Instant::now())));
                    }
                    msgs.push(Msg::Tick(Utc::now()));
                    msgs
                }
                _ = inbound.sigterm.recv() => break Stop::Signal("SIGTERM"),
                _ = inbound.sighup.recv() => break Stop::Signal("SIGHUP"),
                () = tokio::time::sleep_until(due), if self.state.dirty => Vec::new(),
            };
            flow = step(&mut self.state, &mut self.io, msgs).await?;
        };
        if let Stop::Signal(why) = stop {
            log::warn!(target: LOG_TARGET, "console ended by {why}");
        }
        // Actions still running are not waited for: what they did is in the audit log.
        Ok(Exit::Success)
    }
}

impl Carrier for Io<'_> {
    async fn carry(&mut self, effect: Effect) -> Result<Vec<Msg>, CliError> {
        match effect {
            // `step` reads it; nothing to do here.
            Effect::Quit => {}
            Effect::WatchStats(ids) => self.stats.watch(ids),
            Effect::GpuNames(names) => self.gpu_feed.hand(names),
            Effect::RunAction { action, targets } => {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                log::info!(target: LOG_TARGET, "{} {}", action.verb(), names.join(", "));
                let context = self.context.clone();
                let tx = self.msg_tx.clone();
                let parallelism = self.parallelism;
                tokio::spawn(async move {
                    // As `execute_many`, with owned futures: its borrowing closure is not
                    // `Send` for every lifetime, which `tokio::spawn` needs.
                    let done: Vec<ActionDone> = futures_util::stream::iter(targets)
                        .map(|target| {
                            let context = context.clone();
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
                let endpoint = self.endpoint.clone();
                let tx = self.msg_tx.clone();
                tokio::spawn(async move {
                    let result = match endpoint.inspect(&id.0).await {
                        Ok(Some(inspect)) => ContainerDetail::from_inspect(&inspect, true)
                            .map(Box::new)
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
                self.log_streams = Some(logs::LogStreams::open(
                    &self.endpoint,
                    &targets,
                    &self.logs_options,
                ));
            }
            Effect::CloseLogs => self.log_streams = None,
            Effect::LoadCompose {
                files,
                project_name,
            } => compose::load(files, project_name, self.msg_tx.clone()),
            Effect::ApplyPlan { project, plan } => compose::run(
                self.context.clone(),
                project,
                plan,
                self.parallelism,
                self.msg_tx.clone(),
            ),
            Effect::SaveLogs {
                file_name,
                contents,
                lines,
            } => logs::save(file_name, contents, lines, self.msg_tx.clone()),
            Effect::Exec(target) => {
                // Our key reader stops before the shell gets the terminal.
                self.events = None;
                let result = exec::suspended_exec(
                    &self.context,
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
                self.last_draw = None;
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
