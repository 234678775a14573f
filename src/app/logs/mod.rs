//! The logs pane's state and its part of `update`: the lines of one container, or of several
//! merged by time with a name column, kept in the engine's bounded
//! [`LogBuffer`](crate::engine::logs::LogBuffer) (moved in here
//! line by line from [`LogsMsg`]s; the loop owns the streams). Following sticks to the end;
//! scrolling back pauses it and counts what arrives meanwhile. A search highlights matches and
//! `n`/`N` move between them; a filter shows only matching lines through an index of matching
//! sequence numbers, kept as lines arrive and bounded like the buffer, so that drawing costs
//! O(lines on screen) in every mode. No I/O here: saving builds the text and the loop writes it.
//!
//! Merging: the tails of several containers are held until every stream has sent its tail (or
//! ended), then merged by timestamp; live lines are added as they arrive (each stream batches
//! over a few milliseconds, so arrival order is time order to within that delay).
//!
//! A service's logs (every task through the manager) come merged already: each `task@node`
//! becomes a source as its first line arrives, shown in the name column.
//!
//! [`view`] holds the lines, [`update`] the keys and messages, [`rows`] the rows render draws
//! and `update` counts, [`sgr`] the colours a line keeps (read only for the rows on screen;
//! search, the filter and saving read the plain text).

pub mod rows;
pub mod sgr;
pub mod update;
pub mod view;

use std::time::Instant;

use regex::{Regex, RegexBuilder};

use crate::engine::logs::LogMessage;

pub use update::{
    close, follow_top, on_input_key, on_msg, open, open_service, page, run_command, wheel,
};
pub use view::{LineFilter, LogSource, LogsView};

/// The most containers one pane follows at once.
pub const MAX_SOURCES: usize = 64;

/// What a service's log stream sent ([`crate::engine::swarm::logs`]), owned for the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceLogMsg {
    /// Lines, each named `task@node`: the tails merged by time first, then as they come.
    Lines(Vec<crate::engine::swarm::logs::ServiceLogLine>),
    /// The tails are in; what follows is live.
    CaughtUp,
    /// A read failed (the stream goes on with the other tasks).
    Failed(String),
    /// Nothing more comes.
    Ended,
}

/// What the loop sends the logs pane.
#[derive(Debug, Clone)]
pub enum LogsMsg {
    /// One stream's event, received at `at`.
    Stream { message: LogMessage, at: Instant },
    /// The service stream's event, received at `at`.
    Service { event: ServiceLogMsg, at: Instant },
    /// The clock, for the lines-per-second figure while nothing arrives.
    Clock(Instant),
}

/// Which text field the logs pane is typing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogInput {
    Search,
    Filter,
}

/// A compiled search or filter, with the text typed. Smart case: all lower case matches any
/// case.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: Regex,
}

/// A search or filter that is not a regular expression: the text, and the last line of the
/// regex crate's explanation (the line that says what is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad regular expression '{text}': {why}")]
pub struct PatternError {
    pub text: String,
    pub why: String,
}

/// The status line takes text.
impl From<PatternError> for String {
    fn from(e: PatternError) -> Self {
        e.to_string()
    }
}

impl Pattern {
    pub fn new(text: &str) -> Result<Self, PatternError> {
        let insensitive = !text.chars().any(char::is_uppercase);
        RegexBuilder::new(text)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map(|regex| Self {
                text: text.to_string(),
                regex,
            })
            .map_err(|e| {
                let why = e.to_string();
                PatternError {
                    text: text.to_string(),
                    why: why.lines().last().unwrap_or("invalid").trim().to_string(),
                }
            })
    }
}

/// The rate as the pane shows it.
pub fn format_rate(rate: f64) -> String {
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

#[cfg(test)]
mod tests;
