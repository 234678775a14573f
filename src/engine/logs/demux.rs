//! From the daemon's bytes to lines. The logs endpoint multiplexes stdout and stderr into frames
//! (an 8-byte header: stream type, three zero bytes, payload length big-endian), except for a
//! container with a TTY, whose output comes raw. A frame can hold part of a line or many lines,
//! and a read can hold part of a frame or many frames: [`FrameDecoder`] finds the frames,
//! [`LineSplitter`] carries partial lines per stream across them, strips the daemon's
//! timestamps (one at the start of every frame with `timestamps=true`: a long line the daemon
//! stored in 16 KiB pieces carries one per piece), cuts lines longer than the configured bound,
//! and sanitizes the text. [`Demuxer`] puts the two together; it does no I/O.

use std::borrow::Cow;

use bollard::container::LogOutput;
use chrono::{DateTime, NaiveDate, Utc};

use super::{LogLine, LogStream};
use crate::sanitize::{keep_sgr, strip_escapes};

/// The longest timestamp the splitter waits for (RFC 3339 with nanoseconds and an offset is 35).
const MAX_STAMP: usize = 40;

/// Writes one multiplexed frame (header and payload) to `out`: for tests and benchmarks, and
/// the reference for what [`FrameDecoder`] reads.
pub fn encode_frame(stream: LogStream, payload: &[u8], out: &mut Vec<u8>) {
    let kind = match stream {
        LogStream::Stderr => 2,
        LogStream::Stdout | LogStream::Marker => 1,
    };
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload.get(..len as usize).unwrap_or(payload));
}

/// Finds the frames in a multiplexed byte stream, whatever the reads' boundaries.
#[derive(Debug, Clone, Default)]
pub struct FrameDecoder {
    header: [u8; 8],
    header_len: usize,
    remaining: usize,
    stream: Option<LogStream>,
    fresh: bool,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one read; calls `part(stream, bytes, frame_start)` for each piece of a frame's
    /// payload in it, `frame_start` true for a frame's first piece. Empty frames give nothing.
    pub fn push<'a>(
        &mut self,
        mut bytes: &'a [u8],
        mut part: impl FnMut(LogStream, &'a [u8], bool),
    ) {
        while !bytes.is_empty() {
            if self.remaining == 0 {
                let need = 8 - self.header_len;
                let take = need.min(bytes.len());
                let (head, rest) = bytes.split_at(take);
                self.header[self.header_len..self.header_len + take].copy_from_slice(head);
                self.header_len += take;
                bytes = rest;
                if self.header_len < 8 {
                    return;
                }
                self.header_len = 0;
                let [kind, _, _, _, a, b, c, d] = self.header;
                // stdin (0) and stdout (1) show as stdout; stderr (2) and the daemon's own
                // errors (3) as stderr; an unknown type is shown rather than dropped.
                self.stream = Some(if matches!(kind, 2 | 3) {
                    LogStream::Stderr
                } else {
                    LogStream::Stdout
                });
                self.remaining = u32::from_be_bytes([a, b, c, d]) as usize;
                self.fresh = true;
                continue;
            }
            let take = self.remaining.min(bytes.len());
            let (payload, rest) = bytes.split_at(take);
            part(
                self.stream.unwrap_or(LogStream::Stdout),
                payload,
                self.fresh,
            );
            self.fresh = false;
            self.remaining -= take;
            bytes = rest;
        }
    }
}

/// Parses a daemon timestamp (RFC 3339, nanoseconds, `Z`): a fast path for the daemon's fixed
/// format, then any RFC 3339 time.
pub fn parse_timestamp(bytes: &[u8]) -> Option<DateTime<Utc>> {
    fast_timestamp(bytes).or_else(|| {
        let text = std::str::from_utf8(bytes).ok()?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z` without going through a format parser.
fn fast_timestamp(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b.last() != Some(&b'Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = i32::try_from(num(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
    let mut nanos = 0;
    let frac = &b[19..b.len() - 1];
    if !frac.is_empty() {
        let digits = frac.strip_prefix(b".")?;
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = num(20..20 + digits.len())? * 10u32.pow(9 - digits.len() as u32);
    }
    let time = date.and_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(time.and_utc())
}

/// One stream's line in progress.
#[derive(Debug, Clone, Default)]
struct Pending {
    /// The text so far (timestamps removed).
    line: Vec<u8>,
    /// The time of the line's first piece.
    time: Option<DateTime<Utc>>,
    /// A timestamp being read, split across reads.
    stamp: Vec<u8>,
    /// Whether the next bytes may start with a timestamp (line start, frame start).
    expect_stamp: bool,
}

/// Splits each stream's bytes into lines, carrying partial lines across pieces.
#[derive(Debug, Clone)]
pub struct LineSplitter {
    timestamps: bool,
    /// Keep SGR sequences in the text ([`crate::sanitize::keep_sgr`]).
    keep_sgr: bool,
    max_line: usize,
    pending: [Pending; 2],
}

impl LineSplitter {
    /// `timestamps`: the daemon was asked for them, so each line and each frame starts with
    /// one. Lines longer than `max_line_bytes` are cut into pieces of that size.
    pub fn new(timestamps: bool, max_line_bytes: usize) -> Self {
        let start = Pending {
            expect_stamp: timestamps,
            ..Pending::default()
        };
        Self {
            timestamps,
            keep_sgr: false,
            max_line: max_line_bytes.max(4),
            pending: [start.clone(), start],
        }
    }

    /// Keeps SGR sequences (colours, bold, …) in the lines' text; every other sequence is still
    /// removed whole.
    pub fn keep_sgr(mut self, keep: bool) -> Self {
        self.keep_sgr = keep;
        self
    }

    /// Feeds a piece of `stream`; complete lines are appended to `out`. `frame_start`: the
    /// piece starts a frame (where the daemon puts a timestamp even in the middle of a line).
    pub fn push(
        &mut self,
        stream: LogStream,
        mut data: &[u8],
        frame_start: bool,
        out: &mut Vec<LogLine>,
    ) {
        let timestamps = self.timestamps;
        let max = self.max_line;
        let sgr = self.keep_sgr;
        let p = &mut self.pending[usize::from(stream == LogStream::Stderr)];
        if timestamps && frame_start {
            // Held bytes of the last frame that never became a stamp were text.
            unstamp(p, stream, max, sgr, out);
            p.expect_stamp = true;
        }
        while !data.is_empty() {
            if p.expect_stamp {
                let room = MAX_STAMP - p.stamp.len();
                let window = &data[..data.len().min(room + 1)];
                match window.iter().position(|&b| b == b' ' || b == b'\n') {
                    Some(i) if window[i] == b' ' => {
                        let held = p.stamp.len();
                        let parsed = if held == 0 {
                            parse_timestamp(&data[..i])
                        } else {
                            p.stamp.extend_from_slice(&data[..i]);
                            parse_timestamp(&p.stamp)
                        };
                        p.expect_stamp = false;
                        if let Some(t) = parsed {
                            if p.line.is_empty() && p.time.is_none() {
                                p.time = Some(t);
                            }
                            p.stamp.clear();
                            data = &data[i + 1..];
                        } else {
                            p.stamp.truncate(held);
                            unstamp(p, stream, max, sgr, out);
                        }
                        continue;
                    }
                    Some(_) => {
                        p.expect_stamp = false;
                        unstamp(p, stream, max, sgr, out);
                        continue;
                    }
                    None if window.len() > room => {
                        p.expect_stamp = false;
                        unstamp(p, stream, max, sgr, out);
                        continue;
                    }
                    None => {
                        p.stamp.extend_from_slice(data);
                        return;
                    }
                }
            }
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let piece = &data[..i];
                    if p.line.is_empty() && piece.len() <= max {
                        out.push(make_line(stream, p.time, piece, sgr));
                    } else {
                        extend_bounded(p, stream, piece, max, sgr, out);
                        out.push(make_line(stream, p.time, &p.line, sgr));
                        p.line.clear();
                    }
                    p.time = None;
                    p.expect_stamp = timestamps;
                    data = &data[i + 1..];
                }
                None => {
                    extend_bounded(p, stream, data, max, sgr, out);
                    data = &[];
                }
            }
        }
    }

    /// The stream ended: what is left of a line is a line.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        let max = self.max_line;
        let sgr = self.keep_sgr;
        for (i, p) in self.pending.iter_mut().enumerate() {
            let stream = if i == 0 {
                LogStream::Stdout
            } else {
                LogStream::Stderr
            };
            unstamp(p, stream, max, sgr, out);
            if !p.line.is_empty() {
                out.push(make_line(stream, p.time, &p.line, sgr));
            }
            p.line.clear();
            p.time = None;
            p.expect_stamp = self.timestamps;
        }
    }
}

/// What was held as a possible timestamp turned out to be text.
fn unstamp(p: &mut Pending, stream: LogStream, max: usize, sgr: bool, out: &mut Vec<LogLine>) {
    if !p.stamp.is_empty() {
        let held = std::mem::take(&mut p.stamp);
        extend_bounded(p, stream, &held, max, sgr, out);
        p.stamp = held;
        p.stamp.clear();
    }
}

/// Appends to the line in progress, cutting off a line each time it reaches `max` bytes (at a
/// character boundary, so that a cut never shows a replacement character).
fn extend_bounded(
    p: &mut Pending,
    stream: LogStream,
    mut bytes: &[u8],
    max: usize,
    sgr: bool,
    out: &mut Vec<LogLine>,
) {
    while p.line.len() + bytes.len() > max {
        let room = max.saturating_sub(p.line.len());
        p.line.extend_from_slice(&bytes[..room]);
        bytes = &bytes[room..];
        let cut = char_boundary(&p.line);
        let rest = p.line.split_off(cut);
        out.push(make_line(stream, p.time, &p.line, sgr));
        p.line.clear();
        p.line.extend_from_slice(&rest);
    }
    p.line.extend_from_slice(bytes);
}

/// The length of `bytes` without an incomplete UTF-8 character at its end (never 0).
fn char_boundary(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=3.min(len) {
        let b = bytes[len - back];
        if b & 0xc0 == 0xc0 {
            let width = if b >= 0xf0 {
                4
            } else if b >= 0xe0 {
                3
            } else {
                2
            };
            return if back < width && back < len {
                len - back
            } else {
                len
            };
        }
        if b & 0x80 == 0 {
            break;
        }
    }
    len
}

/// A line from raw bytes: invalid UTF-8 shown as U+FFFD, escape sequences removed (but SGR's,
/// with `sgr`).
fn make_line(stream: LogStream, time: Option<DateTime<Utc>>, bytes: &[u8], sgr: bool) -> LogLine {
    let clean: fn(&str) -> Cow<'_, str> = if sgr { keep_sgr } else { strip_escapes };
    let text = match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => clean(s).into_owned(),
        Cow::Owned(s) => match clean(&s) {
            Cow::Owned(clean) => clean,
            Cow::Borrowed(_) => s,
        },
    };
    LogLine { stream, time, text }
}

/// Bytes in, lines out: frames (or raw TTY bytes), then lines per stream.
#[derive(Debug, Clone)]
pub struct Demuxer {
    frames: FrameDecoder,
    lines: LineSplitter,
    raw: bool,
}

impl Demuxer {
    /// `tty`: the container has a TTY, so its stream is raw (no frames, all stdout).
    pub fn new(tty: bool, timestamps: bool, max_line_bytes: usize) -> Self {
        Self {
            frames: FrameDecoder::new(),
            lines: LineSplitter::new(timestamps, max_line_bytes),
            raw: tty,
        }
    }

    /// Keeps SGR sequences in the lines' text ([`LineSplitter::keep_sgr`]).
    pub fn keep_sgr(mut self, keep: bool) -> Self {
        self.lines = self.lines.keep_sgr(keep);
        self
    }

    /// Feeds bytes as read from the logs endpoint.
    pub fn push_bytes(&mut self, bytes: &[u8], out: &mut Vec<LogLine>) {
        if self.raw {
            self.lines.push(LogStream::Stdout, bytes, false, out);
        } else {
            let lines = &mut self.lines;
            self.frames.push(bytes, |stream, part, start| {
                lines.push(stream, part, start, out)
            });
        }
    }

    /// Feeds one chunk as bollard decoded it: a frame's payload (stdout, stderr), or raw bytes
    /// of a TTY container (console).
    pub fn push_output(&mut self, output: &LogOutput, out: &mut Vec<LogLine>) {
        match output {
            LogOutput::StdOut { message } | LogOutput::StdIn { message } => {
                self.lines.push(LogStream::Stdout, message, true, out);
            }
            LogOutput::StdErr { message } => {
                self.lines.push(LogStream::Stderr, message, true, out);
            }
            LogOutput::Console { message } => {
                self.lines.push(LogStream::Stdout, message, false, out);
            }
        }
    }

    /// The stream ended: flushes partial lines.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        self.lines.finish(out);
    }
}

#[cfg(test)]
#[path = "demux_tests.rs"]
mod tests;
