//! The terminal: init, restore (on quit, error, panic, SIGTERM, SIGHUP), and the event loop.
//!
//! The loop owns the state. One `tokio::select!` waits on the terminal's events, the fleet's
//! updates from the watcher, stats samples, GPU reports (sampled and attributed off the loop,
//! see [`gpu`]), results of actions and inspects (from tasks that
//! send owned messages back over a bounded channel), a one-second clock, and the signals. Each
//! message goes through the pure `update`; its effects are carried out here. The screen is
//! drawn only when `update` marked it dirty, at most `max_fps` times a second: an idle console
//! draws nothing and writes nothing.

pub mod exec;
pub mod gpu;
pub mod input;
pub mod logs;
pub mod terminal;

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::EventStream;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::actions::ActionContext;
use crate::app::keymap::Keymap;
use crate::app::logs::LogsMsg;
use crate::app::{ActionDone, AppState, Effect, Msg, Settings, update};
use crate::engine::detail::ContainerDetail;
use crate::engine::{Endpoint, stats, watch};
use crate::session::{CliError, Exit, Globals};
use crate::ui::theme::Theme;
use crate::ui::{ViewState, render};

/// Where the console's own log lines are filed (the log pane shows them).
const LOG_TARGET: &str = "fleetdeck";

/// Runs the console until the user quits (or a signal ends it).
pub async fn run_console(globals: Globals) -> Result<Exit, CliError> {
    let config = &globals.config;
    // Everything that can fail for a reason the user must fix fails before the terminal changes.
    let keymap = Keymap::new(&config.keys).map_err(|e| CliError::Usage(e.to_string()))?;
    let endpoint = globals.connect().await?;
    let context = globals.action_context(endpoint.clone());
    init_logging(config.logs.buffer_lines);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::from_config(&config.theme, no_color);
    let settings = Settings::from_config(config, globals.read_only, endpoint.address.clone());
    let state = AppState::new(settings, keymap, config.ui.show_stopped, Utc::now());
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let guard = terminal::TerminalGuard::enter(config.ui.mouse).map_err(|e| {
        CliError::Usage(format!(
            "the console needs a terminal (use a subcommand in scripts): {e}"
        ))
    })?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let console = Console {
        state,
        view: ViewState::new(theme),
        context,
        endpoint,
        parallelism: config.actions.parallelism,
        max_streams: config.ui.max_stats_streams,
        frame: Duration::from_secs(1) / config.ui.max_fps.clamp(1, 240),
        gpu: config.gpu.clone(),
        logs_options: config.logs.options(),
        exec_shell: config.actions.exec_shell.clone(),
        detach_keys: config.actions.detach_keys.clone(),
        mouse: config.ui.mouse,
    };
    let result = console.run(&mut term, &mut sigterm, &mut sighup).await;
    drop(guard);
    log::logger().flush();
    result
}

fn init_logging(buffer_lines: usize) {
    // Once per process; a second console in the same process keeps the first logger.
    if tui_logger::init_logger(log::LevelFilter::Info).is_ok() {
        tui_logger::set_default_level(log::LevelFilter::Warn);
        tui_logger::set_level_for_target(LOG_TARGET, log::LevelFilter::Info);
    }
    tui_logger::set_buffer_depth(buffer_lines.max(10));
}

struct Console {
    state: AppState,
    view: ViewState,
    context: ActionContext,
    endpoint: Endpoint,
    parallelism: usize,
    max_streams: usize,
    frame: Duration,
    gpu: crate::config::gpu::GpuConfig,
    logs_options: crate::engine::logs::LogsOptions,
    exec_shell: String,
    detach_keys: String,
    mouse: bool,
}

/// Why the loop ended.
enum Stop {
    Quit,
    Signal(&'static str),
}

impl Console {
    async fn run(
        mut self,
        term: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
        sigterm: &mut tokio::signal::unix::Signal,
        sighup: &mut tokio::signal::unix::Signal,
    ) -> Result<Exit, CliError> {
        let (fleet_tx, mut fleet_rx) = mpsc::channel(1024);
        let _watch = watch::spawn(self.endpoint.clone(), fleet_tx);
        let (stats_tx, mut stats_rx) = mpsc::channel(256);
        let stats = stats::spawn(self.endpoint.clone(), self.max_streams, stats_tx);
        let (msg_tx, mut msg_rx) = mpsc::channel::<Msg>(64);
        let mut gpu_feed = gpu::spawn(self.gpu.interval(), self.gpu.threshold_pct, msg_tx.clone());
        let mut events = EventStream::new();
        let mut log_streams: Option<logs::LogStreams> = None;
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let size = term.size()?;
        let _effects = update(
            &mut self.state,
            Msg::Resize {
                width: size.width,
                height: size.height,
            },
        );
        let mut last_draw: Option<Instant> = None;
        let stop = loop {
            let due = last_draw.map_or_else(Instant::now, |t| t + self.frame);
            if self.state.dirty && Instant::now() >= due {
                if self.state.show_log {
                    tui_logger::move_events();
                }
                term.draw(|frame| render(frame, &self.state, &mut self.view))?;
                self.state.dirty = false;
                last_draw = Some(Instant::now());
            }
            let msg = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => input::message(&event),
                    Some(Err(e)) => return Err(CliError::Output(e)),
                    // The terminal's input is gone: nothing more can be asked of us.
                    None => break Stop::Signal("end of input"),
                },
                Some(fleet) = fleet_rx.recv() => Some(Msg::Fleet(fleet)),
                Some(sample) = stats_rx.recv() => Some(Msg::Stats(sample)),
                Some(msg) = msg_rx.recv() => Some(msg),
                Some(message) = logs::LogStreams::recv(&mut log_streams),
                    if logs::LogStreams::live(&log_streams) =>
                {
                    let at = std::time::Instant::now();
                    Some(Msg::Logs(LogsMsg::Stream { message, at }))
                }
                _ = clock.tick() => {
                    if log_streams.is_some() {
                        let clock = LogsMsg::Clock(std::time::Instant::now());
                        let _effects = update(&mut self.state, Msg::Logs(clock));
                    }
                    Some(Msg::Tick(Utc::now()))
                }
                _ = sigterm.recv() => break Stop::Signal("SIGTERM"),
                _ = sighup.recv() => break Stop::Signal("SIGHUP"),
                () = tokio::time::sleep_until(due), if self.state.dirty => None,
            };
            let Some(msg) = msg else { continue };
            if let Msg::ActionsDone(done) = &msg {
                for d in done {
                    if d.ok() {
                        log::info!(target: LOG_TARGET, "{}", d.describe());
                    } else {
                        log::error!(target: LOG_TARGET, "{}", d.describe());
                    }
                }
            }
            if let Msg::Gpu(_) = &msg {
                // The names for the next sample's attribution (at most once a sample).
                gpu_feed.refresh(&self.state.fleet);
            }
            let mut quit = false;
            for effect in update(&mut self.state, msg) {
                match effect {
                    Effect::Quit => quit = true,
                    Effect::WatchStats(ids) => stats.watch(ids),
                    Effect::RunAction { action, targets } => {
                        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                        log::info!(target: LOG_TARGET, "{} {}", action.verb(), names.join(", "));
                        let context = self.context.clone();
                        let tx = msg_tx.clone();
                        let parallelism = self.parallelism;
                        tokio::spawn(async move {
                            // As `execute_many`, with owned futures: its borrowing closure is
                            // not `Send` for every lifetime, which `tokio::spawn` needs.
                            let done: Vec<ActionDone> = futures_util::stream::iter(targets)
                                .map(|target| {
                                    let context = context.clone();
                                    let action = action.clone();
                                    async move {
                                        ActionDone::from_report(
                                            &context.execute(&action, &target).await,
                                        )
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
                        let tx = msg_tx.clone();
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
                    Effect::OpenLogs(targets) => {
                        // The old streams and what they sent go first.
                        drop(log_streams.take());
                        log_streams = Some(logs::LogStreams::open(
                            &self.endpoint,
                            &targets,
                            &self.logs_options,
                        ));
                    }
                    Effect::CloseLogs => log_streams = None,
                    Effect::SaveLogs {
                        file_name,
                        contents,
                        lines,
                    } => logs::save(file_name, contents, lines, msg_tx.clone()),
                    Effect::Exec(target) => {
                        // Our key reader stops before the shell gets the terminal.
                        drop(events);
                        let result = exec::suspended_exec(
                            &self.context,
                            &target,
                            exec::shell_command(&self.exec_shell),
                            &self.detach_keys,
                            self.mouse,
                        )
                        .await;
                        events = EventStream::new();
                        let (text, is_error) = result?;
                        term.clear()?;
                        let size = term.size()?;
                        let _effects = update(
                            &mut self.state,
                            Msg::Resize {
                                width: size.width,
                                height: size.height,
                            },
                        );
                        let _effects = update(&mut self.state, Msg::Notice { text, is_error });
                        last_draw = None;
                    }
                }
            }
            if quit {
                break Stop::Quit;
            }
        };
        if let Stop::Signal(why) = stop {
            log::warn!(target: LOG_TARGET, "console ended by {why}");
        }
        // Actions still running are not waited for: what they did is in the audit log.
        Ok(Exit::Success)
    }
}
