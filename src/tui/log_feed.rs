//! The console's own log, into tui-logger's buffer: a `log` logger that keeps what the
//! console's filter lets through (`session::logging`: the console's lines from `info`, every
//! other target's from `warn`, more with `-v` or `FLEETDECK_LOG`) and hands each record to
//! tui-logger (its `Drain`), then nudges the event loop over a one-slot channel. The loop moves
//! the records into the buffer the log pane's widget reads (`tui_logger::move_events`) and
//! marks the pane to be drawn (`Msg::ConsoleLogged`).
//!
//! tui-logger's buffer is a process global: it is written here and read by
//! `ui::console_log` alone (docs/architecture.md). Its own mover thread (a wake-up every
//! 10 ms) is never started: the loop moves records when told there are some.

use std::sync::{Mutex, PoisonError};

use log::{Log, Metadata, Record};
use tokio::sync::mpsc;

use crate::sanitize::printable_lines;
use crate::session::logging::Verbosity;

/// Where the records go now: the running console's filter and nudge channel, if any.
static FEED: Mutex<Option<Feed>> = Mutex::new(None);

struct Feed {
    filter: env_filter::Filter,
    nudge: mpsc::Sender<()>,
}

struct ConsoleLogger;

impl Log for ConsoleLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let feed = FEED.lock().unwrap_or_else(PoisonError::into_inner);
        feed.as_ref().is_some_and(|f| f.filter.enabled(metadata))
    }

    fn log(&self, record: &Record<'_>) {
        let feed = FEED.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(feed) = feed.as_ref() else { return };
        if !feed.filter.matches(record) {
            return;
        }
        // A daemon's error quotes what it likes: made terminal-safe before the pane holds it.
        let text = printable_lines(&record.args().to_string()).into_owned();
        tui_logger::Drain::new().log(
            &Record::builder()
                .level(record.level())
                .target(record.target())
                .args(format_args!("{text}"))
                .build(),
        );
        // One waiting nudge is enough: the loop moves every record there is.
        let _ = feed.nudge.try_send(());
    }

    fn flush(&self) {}
}
// The filter is `Verbosity::filter(true)`, tested in `session::logging`; the pane's rendering
// of what reaches the buffer in `ui::console_log`.

/// Installs the logger (the first time), keeps at most `depth` records in the pane's buffer,
/// and nudges a new channel from now on; returns the channel's receiving end.
pub fn attach(verbosity: &Verbosity, depth: usize) -> mpsc::Receiver<()> {
    static LOGGER: ConsoleLogger = ConsoleLogger;
    let filter = verbosity.filter(true);
    let max = filter.filter();
    tui_logger::set_buffer_depth(depth.max(10));
    // Every record kept is shown at first; the pane's per-target filter narrows that.
    tui_logger::set_default_level(log::LevelFilter::Trace);
    let (nudge, rx) = mpsc::channel(1);
    *FEED.lock().unwrap_or_else(PoisonError::into_inner) = Some(Feed { filter, nudge });
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(max);
    }
    rx
}

/// Moves the records logged since the last call into the buffer the log pane reads.
pub fn move_records() {
    tui_logger::move_events();
}
