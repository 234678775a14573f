//! Container logs: the engine half of the logs pane and of `fleetdeck logs`. A [`Demuxer`]
//! turns the daemon's byte stream (8-byte-header frames, or raw bytes for a TTY container) into
//! sanitized [`LogLine`]s; [`stream::open`] runs one task per container that fetches the tail,
//! follows it live and on across restarts (with a "restarted at T" marker), and sends batches
//! over a bounded channel; a [`LogBuffer`] keeps the last lines for a pane, bounded by lines and
//! bytes, counting what it dropped. Nothing here imports ratatui.

pub mod demux;
pub mod merge;
mod pace;
pub mod ring;
pub mod stream;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

pub use demux::{Demuxer, FrameDecoder, LineSplitter, encode_frame, parse_timestamp};
pub use ring::{LogBuffer, RateMeter};
pub use stream::{LogEnd, LogEvent, LogHandle, LogMessage, LogRequest, open};

/// Which stream a line came from; `Marker` is a line fleetdeck wrote itself ("restarted at T").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
    Marker,
}

impl LogStream {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Marker => "marker",
        }
    }
}

/// One line of a container's output: the stream, the daemon's timestamp when it has one, and the
/// text with escape sequences and control characters removed (invalid UTF-8 shown as U+FFFD);
/// SGR sequences stay only where the stream was asked to keep them
/// ([`LogsOptions::keep_sgr`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub stream: LogStream,
    pub time: Option<DateTime<Utc>>,
    pub text: String,
}

impl LogLine {
    /// The marker inserted when a followed container starts again.
    pub fn restarted(at: DateTime<Utc>) -> Self {
        Self {
            stream: LogStream::Marker,
            time: Some(at),
            text: format!(
                "restarted at {}",
                at.to_rfc3339_opts(SecondsFormat::Millis, true)
            ),
        }
    }
}

/// How many of the last lines to fetch before following.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    All,
    Last(u64),
}

/// A `--tail` that is neither `all` nor a count of lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad tail '{text}': expected a number of lines or 'all'")]
pub struct TailError {
    pub text: String,
}

impl Tail {
    /// Parses `all` or a count of lines.
    pub fn parse(text: &str) -> Result<Self, TailError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("all") {
            return Ok(Self::All);
        }
        text.parse::<u64>().map(Self::Last).map_err(|_| TailError {
            text: text.to_string(),
        })
    }

    /// The daemon's query value.
    pub fn query(self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Last(n) => n.to_string(),
        }
    }
}

/// Default for [`LogsOptions::tail`].
pub const DEFAULT_TAIL: u64 = 1_000;
/// Default for [`LogsOptions::max_lines`].
pub const DEFAULT_MAX_LINES: usize = 10_000;
/// Default for [`LogsOptions::max_bytes`].
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Default for [`LogsOptions::max_line_bytes`].
pub const DEFAULT_MAX_LINE_BYTES: usize = 1024 * 1024;

/// The settings of log streams (the `[logs]` section of the config, once it has one).
#[derive(Debug, Clone, PartialEq)]
pub struct LogsOptions {
    /// Lines fetched before following (`tail`).
    pub tail: Tail,
    /// Lines a [`LogBuffer`] keeps per stream (`max_lines`).
    pub max_lines: usize,
    /// Bytes of text a [`LogBuffer`] keeps per stream (`max_bytes`).
    pub max_bytes: usize,
    /// A line longer than this is cut into pieces of this size (`max_line_bytes`): what bounds
    /// the memory of a container that writes without newlines.
    pub max_line_bytes: usize,
    /// Lines sent in one batch at most.
    pub batch_lines: usize,
    /// How long a live batch waits for more lines before it goes, while lines come faster than
    /// this (a flood); a line after a quiet spell goes at once. Zero never waits.
    pub batch_delay: std::time::Duration,
    /// Batches waiting in a stream's channel at most: a slow reader slows the stream down.
    pub channel_batches: usize,
    /// Keep the SGR sequences (colours, bold, …) in the lines' text, every other sequence still
    /// removed ([`crate::sanitize::keep_sgr`]); off, the text is plain.
    pub keep_sgr: bool,
}

impl Default for LogsOptions {
    fn default() -> Self {
        Self {
            tail: Tail::Last(DEFAULT_TAIL),
            max_lines: DEFAULT_MAX_LINES,
            max_bytes: DEFAULT_MAX_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            batch_lines: 1_024,
            batch_delay: std::time::Duration::from_millis(20),
            channel_batches: 16,
            keep_sgr: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_parses() {
        assert_eq!(Tail::parse("all"), Ok(Tail::All));
        assert_eq!(Tail::parse("25"), Ok(Tail::Last(25)));
        assert!(Tail::parse("-1").is_err());
        assert!(Tail::parse("lots").is_err());
        assert_eq!(Tail::Last(7).query(), "7");
    }
}
