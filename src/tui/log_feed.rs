//! The console's own log, as messages: a `log` logger that turns each record the log pane
//! shows (the console's lines from `info` up, every other target's from `warn` up) into an
//! owned [`ConsoleLogLine`] sent over a bounded channel the event loop reads, so that the
//! lines reach the state through `update` and render reads nothing else. A full channel drops
//! the line rather than block whoever logged it.
//!
//! A logger is installed once per process; each console points it at its own channel.

use std::sync::{Mutex, PoisonError};

use chrono::Local;
use log::{Level, LevelFilter, Log, Metadata, Record};
use tokio::sync::mpsc;

use super::effects::LOG_TARGET;
use crate::app::feeds::ConsoleLogLine;

/// How many lines may wait for the loop.
pub const CHANNEL_LINES: usize = 256;

/// Where lines go now: the running console's channel, if any.
static FEED: Mutex<Option<mpsc::Sender<ConsoleLogLine>>> = Mutex::new(None);

struct FeedLogger;

impl Log for FeedLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let floor = if metadata.target() == LOG_TARGET {
            Level::Info
        } else {
            Level::Warn
        };
        metadata.level() <= floor
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = ConsoleLogLine {
            at: Local::now(),
            level: record.level(),
            text: record.args().to_string(),
        };
        let feed = FEED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = feed.as_ref() {
            let _ = tx.try_send(line);
        }
    }

    fn flush(&self) {}
}

/// Installs the logger (the first time) and sends its lines to a new channel from now on;
/// returns the channel's receiving end.
pub fn attach() -> mpsc::Receiver<ConsoleLogLine> {
    static LOGGER: FeedLogger = FeedLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
    let (tx, rx) = mpsc::channel(CHANNEL_LINES);
    *FEED.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_logs_from_info_and_the_rest_from_warn() {
        let logger = FeedLogger;
        let at = |target: &str, level| {
            logger.enabled(&Metadata::builder().target(target).level(level).build())
        };
        assert!(at(LOG_TARGET, Level::Info));
        assert!(!at(LOG_TARGET, Level::Debug));
        assert!(at("bollard::docker", Level::Warn));
        assert!(!at("bollard::docker", Level::Info));
    }
}
