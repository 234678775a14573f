//! The logs pane's lines: the followed containers ([`LogSource`]), the engine's bounded
//! [`LogBuffer`] with the source of each line, the filter's index of matching sequence numbers
//! (kept as lines arrive and bounded like the buffer), the rate, and the tails held back until
//! every stream has sent its tail, then merged by time ([`merge`]). Also the readings render
//! and `update` share: entries (lines shown, under a filter the matching ones), matches, and
//! the text saved to a file.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Instant;

use chrono::SecondsFormat;

use super::{MAX_SOURCES, Pattern, sgr};
use crate::actions::Target;
use crate::app::Base;
use crate::engine::ContainerId;
use crate::engine::logs::{
    LogBuffer, LogEnd, LogEvent, LogLine, LogMessage, LogStream, RateMeter, merge,
};
use crate::engine::swarm::logs::ServiceLogLine;

#[derive(Debug, Clone)]
pub struct LogSource {
    pub id: ContainerId,
    pub name: String,
    /// The tail has arrived (or the stream ended).
    pub caught_up: bool,
    pub end: Option<LogEnd>,
    /// Lines held back until every tail has arrived, to merge them by time.
    pub(super) pending: VecDeque<LogLine>,
}

/// The lines shown when a filter is on: the sequence numbers of matching lines.
#[derive(Debug, Clone)]
pub struct LineFilter {
    pub pattern: Pattern,
    pub(super) seqs: VecDeque<u64>,
}

/// The logs pane's state.
#[derive(Debug, Clone)]
pub struct LogsView {
    pub sources: Vec<LogSource>,
    pub(super) buffer: LogBuffer,
    /// The source of each line held, in step with `buffer`.
    origin: VecDeque<u16>,
    /// Lines dropped before reaching the buffer (a tail held back for merging, over the bound).
    dropped_early: u64,
    pub(super) rate: RateMeter,
    /// Lines per second lately, as of the last message.
    pub lines_per_second: f64,
    /// Sticking to the end.
    pub follow: bool,
    /// While paused: the sequence number of the first line on screen.
    pub top: u64,
    /// Lines (matching ones, under a filter) that arrived since following paused.
    pub new_since_pause: u64,
    pub timestamps: bool,
    pub wrap: bool,
    pub search: Option<Pattern>,
    /// The sequence number of the match `n`/`N` moved to last.
    pub current_match: Option<u64>,
    pub filter: Option<LineFilter>,
    /// The view to go back to.
    pub return_to: Base,
    max_lines: usize,
    /// A Swarm service's logs: its name (the sources are its `task@node`s, added as they
    /// come).
    pub service: Option<String>,
    /// The service stream's tails are in (its later lines count in the rate).
    service_live: bool,
}

impl LogsView {
    /// A pane on `targets` keeping at most `max_lines` lines and `max_bytes` bytes of text.
    pub fn new(targets: &[Target], max_lines: usize, max_bytes: usize, return_to: Base) -> Self {
        Self {
            sources: targets
                .iter()
                .take(MAX_SOURCES)
                .map(|t| LogSource {
                    id: t.id.clone(),
                    name: crate::sanitize::printable(&t.name).into_owned(),
                    caught_up: false,
                    end: None,
                    pending: VecDeque::new(),
                })
                .collect(),
            buffer: LogBuffer::new(max_lines, max_bytes),
            origin: VecDeque::new(),
            dropped_early: 0,
            rate: RateMeter::default(),
            lines_per_second: 0.0,
            follow: true,
            top: 0,
            new_since_pause: 0,
            timestamps: false,
            wrap: false,
            search: None,
            current_match: None,
            filter: None,
            return_to,
            max_lines: max_lines.max(1),
            service: None,
            service_live: false,
        }
    }

    /// A pane on the Swarm service `service`, its sources added as its tasks' lines arrive.
    pub fn for_service(service: &str, max_lines: usize, max_bytes: usize, return_to: Base) -> Self {
        let mut view = Self::new(&[], max_lines, max_bytes, return_to);
        view.service = Some(crate::sanitize::printable(service).into_owned());
        view
    }

    pub fn merged(&self) -> bool {
        self.sources.len() > 1 || self.service.is_some()
    }

    pub fn buffer(&self) -> &LogBuffer {
        &self.buffer
    }

    /// Lines dropped to stay within the bounds.
    pub fn dropped(&self) -> u64 {
        self.buffer.dropped() + self.dropped_early
    }

    /// Whether the tails are still being gathered for merging.
    pub fn merging(&self) -> bool {
        self.merged() && self.sources.iter().any(|s| !s.caught_up)
    }

    /// How many lines the pane can show (matching ones under a filter).
    pub fn entries(&self) -> usize {
        match &self.filter {
            Some(f) => f.seqs.len(),
            None => self.buffer.len(),
        }
    }

    /// The sequence number of the `k`-th entry.
    pub fn entry_seq(&self, k: usize) -> Option<u64> {
        match &self.filter {
            Some(f) => f.seqs.get(k).copied(),
            None => (k < self.buffer.len()).then(|| self.buffer.first_seq() + k as u64),
        }
    }

    /// The index of the first entry at or after `seq`.
    pub fn entry_at(&self, seq: u64) -> usize {
        match &self.filter {
            Some(f) => f.seqs.partition_point(|s| *s < seq),
            None => usize::try_from(seq.saturating_sub(self.buffer.first_seq()))
                .unwrap_or(usize::MAX)
                .min(self.buffer.len()),
        }
    }

    /// The line with sequence number `seq` and the index of its source, if still held.
    pub fn line(&self, seq: u64) -> Option<(&LogLine, usize)> {
        let i = usize::try_from(seq.checked_sub(self.buffer.first_seq())?).ok()?;
        let line = self.buffer.get(i)?;
        let source = self.origin.get(i).copied().map_or(0, usize::from);
        Some((line, source))
    }

    /// The `k`-th entry's line and source.
    pub fn entry(&self, k: usize) -> Option<(&LogLine, usize)> {
        self.line(self.entry_seq(k)?)
    }

    fn source_index(&self, id: &ContainerId) -> Option<usize> {
        self.sources.iter().position(|s| s.id == *id)
    }

    /// Appends one line of source `source` to the buffer, keeping the origins and the filter
    /// index in step.
    fn push(&mut self, source: usize, line: LogLine) {
        self.buffer.push(line);
        self.origin
            .push_back(u16::try_from(source).unwrap_or(u16::MAX));
        while self.origin.len() > self.buffer.len() {
            self.origin.pop_front();
        }
        let seq = self.buffer.first_seq() + self.buffer.len() as u64 - 1;
        let first = self.buffer.first_seq();
        let matched = match &mut self.filter {
            Some(f) => {
                while f.seqs.front().is_some_and(|s| *s < first) {
                    f.seqs.pop_front();
                }
                let hit = self
                    .buffer
                    .get(self.buffer.len() - 1)
                    .is_some_and(|l| f.pattern.regex.is_match(&sgr::plain(&l.text)));
                if hit {
                    f.seqs.push_back(seq);
                }
                hit
            }
            None => true,
        };
        if matched && !self.follow {
            self.new_since_pause += 1;
        }
    }

    /// Moves the held-back tails into the buffer, merged by time, once every tail is in.
    fn flush_merge(&mut self) {
        if self.merging() {
            return;
        }
        let mut queues: Vec<VecDeque<LogLine>> = self
            .sources
            .iter_mut()
            .map(|s| std::mem::take(&mut s.pending))
            .collect();
        merge::drain(&mut queues, |i, line| self.push(i, line));
    }

    /// Applies one stream event.
    pub fn on_message(&mut self, message: LogMessage, at: Instant) {
        let Some(i) = self.source_index(&message.container) else {
            return;
        };
        match message.event {
            LogEvent::Lines(lines) => {
                let live = self.sources.get(i).is_some_and(|s| s.caught_up);
                if live {
                    self.rate.record(lines.len() as u64, at);
                }
                if self.merging() {
                    let cap = self.buffer_cap();
                    if let Some(source) = self.sources.get_mut(i) {
                        source.pending.extend(lines);
                        while source.pending.len() > cap {
                            source.pending.pop_front();
                            self.dropped_early += 1;
                        }
                    }
                } else {
                    for line in lines {
                        self.push(i, line);
                    }
                }
            }
            LogEvent::CaughtUp => {
                if let Some(s) = self.sources.get_mut(i) {
                    s.caught_up = true;
                }
                self.flush_merge();
            }
            LogEvent::Ended(end) => {
                let text = match &end {
                    LogEnd::Complete => None,
                    LogEnd::Removed => Some("logs ended: the container was removed".to_string()),
                    // The daemon's words, shown as a line of the pane: made safe like the
                    // lines the engine hands over.
                    LogEnd::Failed(why) => {
                        Some(format!("logs ended: {}", crate::sanitize::printable(why)))
                    }
                };
                if let Some(s) = self.sources.get_mut(i) {
                    s.caught_up = true;
                    s.end = Some(end);
                }
                self.flush_merge();
                if let Some(text) = text {
                    let line = LogLine {
                        stream: LogStream::Marker,
                        time: None,
                        text,
                    };
                    if self.merging() {
                        if let Some(s) = self.sources.get_mut(i) {
                            s.pending.push_back(line);
                        }
                    } else {
                        self.push(i, line);
                    }
                }
            }
        }
        self.lines_per_second = self.rate.per_second(at);
    }

    /// The source `task@node` of a service's line: found, or added (caught up: the engine
    /// merged the tails); past [`MAX_SOURCES`] the last one takes the rest.
    fn service_source(&mut self, name: &str) -> usize {
        if let Some(i) = self.sources.iter().position(|s| s.id.0 == name) {
            return i;
        }
        if self.sources.len() >= MAX_SOURCES {
            return MAX_SOURCES - 1;
        }
        self.sources.push(LogSource {
            id: ContainerId(name.to_string()),
            name: crate::sanitize::printable(name).into_owned(),
            caught_up: true,
            end: None,
            pending: VecDeque::new(),
        });
        self.sources.len() - 1
    }

    /// Applies one event of a service's stream.
    pub fn on_service(&mut self, event: super::ServiceLogMsg, at: Instant) {
        use super::ServiceLogMsg as M;
        let marker = |text: String| LogLine {
            stream: LogStream::Marker,
            time: None,
            text,
        };
        match event {
            M::Lines(lines) => {
                if self.service_live {
                    self.rate.record(lines.len() as u64, at);
                }
                for line in lines {
                    let source = self.service_source(&line.source());
                    let ServiceLogLine {
                        time, stream, text, ..
                    } = line;
                    self.push(source, LogLine { stream, time, text });
                }
            }
            M::CaughtUp => self.service_live = true,
            M::Failed(why) => {
                let text = format!("logs: {}", crate::sanitize::printable(&why));
                self.push(0, marker(text));
            }
            M::Ended => self.push(0, marker("logs ended".to_string())),
        }
        self.lines_per_second = self.rate.per_second(at);
    }

    /// The line bound, for the queues held back while merging.
    fn buffer_cap(&self) -> usize {
        // The buffer's own line bound is not exposed; its capacity at most is what it may hold.
        self.max_lines
    }

    /// Turns the filter on (building its index over what is held) or off.
    pub fn set_filter(&mut self, pattern: Option<Pattern>) {
        self.filter = pattern.map(|pattern| {
            let first = self.buffer.first_seq();
            let seqs = self
                .buffer
                .iter()
                .enumerate()
                .filter(|(_, l)| pattern.regex.is_match(&sgr::plain(&l.text)))
                .map(|(i, _)| first + i as u64)
                .collect();
            LineFilter { pattern, seqs }
        });
    }

    /// The first entry matching the search from entry `start` on (`forward`: newer), or the
    /// last one before `start` (backward). O(entries scanned), on a key press only.
    pub fn find_match(&self, start: usize, forward: bool) -> Option<usize> {
        let search = self.search.as_ref()?;
        let hits = |k: usize| {
            self.entry(k)
                .is_some_and(|(l, _)| search.regex.is_match(&sgr::plain(&l.text)))
        };
        if forward {
            (start..self.entries()).find(|k| hits(*k))
        } else {
            (0..start.min(self.entries())).rev().find(|k| hits(*k))
        }
    }

    /// Everything held, as text: one line each, with the time, the stream, and the container's
    /// name when several are merged.
    pub fn save_text(&self) -> String {
        let mut out = String::with_capacity(self.buffer.bytes() + self.buffer.len() * 48);
        for (i, line) in self.buffer.iter().enumerate() {
            let source = self.origin.get(i).copied().map_or(0, usize::from);
            match line.time {
                Some(t) => out.push_str(&t.to_rfc3339_opts(SecondsFormat::Nanos, true)),
                None => out.push('-'),
            }
            let _ = write!(out, " {}", line.stream.as_str());
            if self.merged()
                && let Some(s) = self.sources.get(source)
            {
                let _ = write!(out, " {}", s.name);
            }
            out.push(' ');
            out.push_str(&sgr::plain(&line.text));
            out.push('\n');
        }
        out
    }

    /// A file name for [`Self::save_text`]: the container (or "merged") and the time.
    pub fn save_name(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        let who = match self.sources.as_slice() {
            [one] => one
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
            _ => "merged".to_string(),
        };
        format!("fleetdeck-logs-{who}-{}.log", now.format("%Y%m%d-%H%M%S"))
    }
}
