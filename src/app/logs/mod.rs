//! The logs pane's state and its part of `update`: the lines of one container, or of several
//! merged by time with a name column, kept in the engine's bounded [`LogBuffer`] (moved in here
//! line by line from [`LogsMsg`]s; the loop owns the streams). Following sticks to the end;
//! scrolling back pauses it and counts what arrives meanwhile. A search highlights matches and
//! `n`/`N` move between them; a filter shows only matching lines through an index of matching
//! sequence numbers, kept as lines arrive and bounded like the buffer, so that drawing costs
//! O(lines on screen) in every mode. No I/O here: saving builds the text and the loop writes it.
//!
//! Merging: the tails of several containers are held until every stream has sent its tail (or
//! ended), then merged by timestamp; live lines are added as they arrive (each stream batches
//! over a few milliseconds, so arrival order is time order to within that delay).

pub mod rows;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Instant;

use chrono::SecondsFormat;
use regex::{Regex, RegexBuilder};

use super::{AppState, Base, Effect, Overlay};
use crate::actions::Target;
use crate::config::keys::{ConsoleCommand, KeyChord, KeyName};
use crate::engine::ContainerId;
use crate::engine::logs::{
    LogBuffer, LogEnd, LogEvent, LogLine, LogMessage, LogStream, RateMeter, merge,
};

/// The most containers one pane follows at once.
pub const MAX_SOURCES: usize = 64;

/// What the loop sends the logs pane.
#[derive(Debug, Clone)]
pub enum LogsMsg {
    /// One stream's event, received at `at`.
    Stream { message: LogMessage, at: Instant },
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

impl Pattern {
    pub fn new(text: &str) -> Result<Self, String> {
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
                let last = why.lines().last().unwrap_or("invalid").trim().to_string();
                format!("bad regular expression '{text}': {last}")
            })
    }
}

/// One followed container.
#[derive(Debug, Clone)]
pub struct LogSource {
    pub id: ContainerId,
    pub name: String,
    /// The tail has arrived (or the stream ended).
    pub caught_up: bool,
    pub end: Option<LogEnd>,
    /// Lines held back until every tail has arrived, to merge them by time.
    pending: VecDeque<LogLine>,
}

/// The lines shown when a filter is on: the sequence numbers of matching lines.
#[derive(Debug, Clone)]
pub struct LineFilter {
    pub pattern: Pattern,
    seqs: VecDeque<u64>,
}

/// The logs pane's state.
#[derive(Debug, Clone)]
pub struct LogsView {
    pub sources: Vec<LogSource>,
    buffer: LogBuffer,
    /// The source of each line held, in step with `buffer`.
    origin: VecDeque<u16>,
    /// Lines dropped before reaching the buffer (a tail held back for merging, over the bound).
    dropped_early: u64,
    rate: RateMeter,
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
        }
    }

    pub fn merged(&self) -> bool {
        self.sources.len() > 1
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
                    .is_some_and(|l| f.pattern.regex.is_match(&l.text));
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
                    LogEnd::Failed(why) => Some(format!("logs ended: {why}")),
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
                .filter(|(_, l)| pattern.regex.is_match(&l.text))
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
                .is_some_and(|(l, _)| search.regex.is_match(&l.text))
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
            out.push_str(&line.text);
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

/// `l`: opens the pane on `targets`.
pub fn open(state: &mut AppState, targets: Vec<Target>, effects: &mut Vec<Effect>) {
    let settings = &state.settings.logs;
    let shown: Vec<Target> = targets.iter().take(MAX_SOURCES).cloned().collect();
    let view = LogsView::new(
        &shown,
        settings.max_lines,
        settings.max_bytes,
        if state.base == Base::Logs {
            Base::List
        } else {
            state.base
        },
    );
    if targets.len() > MAX_SOURCES {
        state.set_status(
            format!(
                "logs: following the first {MAX_SOURCES} of {} containers",
                targets.len()
            ),
            false,
        );
    } else {
        state.status = None;
    }
    state.logs = Some(Box::new(view));
    state.base = Base::Logs;
    state.overlay = None;
    effects.push(Effect::OpenLogs(shown));
}

/// Closes the pane (its streams close with it).
pub fn close(state: &mut AppState, effects: &mut Vec<Effect>) {
    if let Some(view) = state.logs.take() {
        state.base = view.return_to;
        effects.push(Effect::CloseLogs);
    } else {
        state.base = Base::List;
    }
    state.clamp_selection();
}

/// A message for the pane.
pub fn on_msg(state: &mut AppState, msg: LogsMsg) {
    let Some(view) = state.logs.as_mut() else {
        return;
    };
    match msg {
        LogsMsg::Stream { message, at } => {
            view.on_message(message, at);
            state.dirty = true;
        }
        LogsMsg::Clock(at) => {
            let before = format_rate(view.lines_per_second);
            view.lines_per_second = view.rate.per_second(at);
            state.dirty |= format_rate(view.lines_per_second) != before;
        }
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

/// The pane's body (the lines), if the pane is shown.
fn body(state: &AppState) -> Option<ratatui::layout::Rect> {
    state.panes().logs.map(crate::geometry::pane_inner)
}

/// How many rows of lines fit.
pub fn page(state: &AppState) -> usize {
    body(state).map_or(0, |b| usize::from(b.height))
}

/// The index of the first entry drawn while following (the one at the top of the screen).
pub fn follow_top(state: &AppState) -> usize {
    match (state.logs.as_deref(), body(state)) {
        (Some(view), Some(body)) => rows::follow_top(view, body),
        _ => 0,
    }
}

/// The entry on top of the screen now (following: the first one drawn at the end).
fn current_top(state: &AppState) -> usize {
    let Some(view) = state.logs.as_deref() else {
        return 0;
    };
    if view.follow {
        follow_top(state)
    } else {
        view.entry_at(view.top)
    }
}

/// Pauses with entry `k` on top (or higher up, so that the screen stays full).
fn pause_at(view: &mut LogsView, k: usize, page: usize) {
    if view.follow {
        view.follow = false;
        view.new_since_pause = 0;
    }
    let k = k.min(view.entries().saturating_sub(page.max(1)));
    view.top = view
        .entry_seq(k)
        .unwrap_or_else(|| view.buffer.first_seq() + view.buffer.len() as u64);
}

fn resume(view: &mut LogsView) {
    view.follow = true;
    view.new_since_pause = 0;
}

/// Scrolls by a command; reaching the end follows again.
fn scroll(state: &mut AppState, command: ConsoleCommand) {
    let top = current_top(state);
    let page = page(state).max(1);
    let Some(view) = state.logs.as_deref_mut() else {
        return;
    };
    let entries = view.entries();
    let last_top = entries.saturating_sub(page);
    let to = match command {
        ConsoleCommand::Up => top.saturating_sub(1),
        ConsoleCommand::Down => top + 1,
        ConsoleCommand::PageUp => top.saturating_sub(page),
        ConsoleCommand::PageDown => top + page,
        ConsoleCommand::Top => 0,
        _ => top,
    };
    if command == ConsoleCommand::Bottom || (to > last_top && command != ConsoleCommand::Top) {
        resume(view);
    } else if to != top || !view.follow {
        pause_at(view, to, page);
    }
}

/// Moves to the next (`forward`) or previous search match.
fn jump(state: &mut AppState, forward: bool) {
    let top = current_top(state);
    let page = page(state).max(1);
    let Some(view) = state.logs.as_deref_mut() else {
        return;
    };
    let Some(text) = view.search.as_ref().map(|s| s.text.clone()) else {
        state.set_status("no search: / searches", true);
        return;
    };
    // From the last match moved to, while it is held (and shown under a filter); else forward
    // from the line above the top, backward from below the screen (the newest match first).
    let current = view
        .current_match
        .map(|seq| view.entry_at(seq))
        .filter(|k| view.entry_seq(*k) == view.current_match);
    let start = match current {
        Some(k) if forward => k + 1,
        Some(k) => k,
        None if forward => top,
        None => top.saturating_add(page).min(view.entries()),
    };
    match view.find_match(start, forward) {
        Some(k) => {
            view.current_match = view.entry_seq(k);
            let context = (page / 3).min(3);
            pause_at(view, k.saturating_sub(context), page);
            state.set_status(format!("/{text}"), false);
        }
        None => {
            let word = if forward { "below" } else { "above" };
            state.set_status(format!("/{text}: no match {word}"), true);
        }
    }
}

/// A key bound in the logs pane.
pub fn run_command(state: &mut AppState, command: ConsoleCommand, effects: &mut Vec<Effect>) {
    use ConsoleCommand as Cmd;
    match command {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            scroll(state, command);
        }
        Cmd::Follow => {
            let top = current_top(state);
            let page = page(state);
            if let Some(view) = state.logs.as_deref_mut() {
                if view.follow {
                    pause_at(view, top, page);
                } else {
                    resume(view);
                }
            }
        }
        Cmd::LogSearch => start_input(state, LogInput::Search),
        Cmd::LogFilter => start_input(state, LogInput::Filter),
        Cmd::SearchNext => jump(state, true),
        Cmd::SearchPrev => jump(state, false),
        Cmd::Timestamps => {
            if let Some(view) = state.logs.as_deref_mut() {
                view.timestamps = !view.timestamps;
            }
        }
        Cmd::Wrap => {
            if let Some(view) = state.logs.as_deref_mut() {
                view.wrap = !view.wrap;
            }
        }
        Cmd::SaveLogs => {
            if let Some(view) = state.logs.as_deref() {
                if view.buffer.is_empty() {
                    state.set_status("save: no lines to save", true);
                } else {
                    effects.push(Effect::SaveLogs {
                        file_name: view.save_name(state.now),
                        contents: view.save_text(),
                        lines: view.buffer.len(),
                    });
                }
            }
        }
        Cmd::Back => close(state, effects),
        Cmd::Help => {
            state.help_scroll = 0;
            state.overlay = Some(Overlay::Help);
        }
        Cmd::Quit => effects.push(Effect::Quit),
        _ => {}
    }
}

fn start_input(state: &mut AppState, kind: LogInput) {
    let Some(view) = state.logs.as_deref() else {
        return;
    };
    state.input = match kind {
        LogInput::Search => view.search.as_ref().map(|p| p.text.clone()),
        LogInput::Filter => view.filter.as_ref().map(|f| f.pattern.text.clone()),
    }
    .unwrap_or_default();
    state.overlay = Some(Overlay::LogInput(kind));
}

/// A key while typing a search or a filter: Enter applies, Esc cancels.
pub fn on_input_key(state: &mut AppState, key: KeyChord, kind: LogInput) {
    match key.key {
        KeyName::Enter => {
            state.overlay = None;
            let text = std::mem::take(&mut state.input);
            apply_input(state, kind, &text);
        }
        KeyName::Esc => {
            state.overlay = None;
            state.input.clear();
        }
        KeyName::Backspace if state.input.pop().is_none() => state.overlay = None,
        KeyName::Backspace => {}
        _ if key.ctrl && key.key == KeyName::Char('u') => state.input.clear(),
        KeyName::Char(c) if !key.ctrl && !key.alt => state.input.push(c),
        _ => {}
    }
}

fn apply_input(state: &mut AppState, kind: LogInput, text: &str) {
    let pattern = if text.is_empty() {
        None
    } else {
        match Pattern::new(text) {
            Ok(p) => Some(p),
            Err(e) => {
                state.set_status(e, true);
                return;
            }
        }
    };
    let Some(view) = state.logs.as_deref_mut() else {
        return;
    };
    match kind {
        LogInput::Search => {
            let on = pattern.is_some();
            view.search = pattern;
            view.current_match = None;
            if on {
                jump(state, false);
            } else {
                state.set_status("search cleared", false);
            }
        }
        LogInput::Filter => {
            view.set_filter(pattern);
            view.new_since_pause = 0;
            let (shown, held) = (view.entries(), view.buffer.len());
            let text = match &view.filter {
                Some(f) => format!("filter '{}': {shown} of {held} lines", f.pattern.text),
                None => "filter cleared: every line".to_string(),
            };
            state.set_status(text, false);
        }
    }
}

/// Mouse wheel over the pane: three lines.
pub fn wheel(state: &mut AppState, up: bool) {
    let command = if up {
        ConsoleCommand::Up
    } else {
        ConsoleCommand::Down
    };
    for _ in 0..3 {
        scroll(state, command);
    }
}

#[cfg(test)]
mod tests;
