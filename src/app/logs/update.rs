//! The logs pane's part of `update`: opening it on containers (the loop opens the streams)
//! and closing it, stream messages and the clock, scrolling (scrolling back pauses following
//! and counts what arrives meanwhile; reaching the end follows again), search with `n`/`N`,
//! the filter, the toggles, saving (the text is built here, the loop writes it), and the
//! search and filter text fields.

use ratatui::layout::Rect;

use super::{LogInput, LogsMsg, LogsView, MAX_SOURCES, Pattern, format_rate, rows, sgr};
use crate::actions::Target;
use crate::app::{AppState, Base, Effect, Overlay, help};
use crate::config::keys::{ConsoleCommand, KeyChord, KeyName};

/// `l`: opens the pane on `targets`.
pub fn open(state: &mut AppState, targets: Vec<Target>, effects: &mut Vec<Effect>) {
    let settings = &state.settings.logs;
    let shown: Vec<Target> = targets.iter().take(MAX_SOURCES).cloned().collect();
    let view = LogsView::new(
        &shown,
        settings.max_lines,
        settings.max_bytes,
        return_to(state),
    );
    if targets.len() > MAX_SOURCES {
        state.set_pane_status(
            Base::Logs,
            format!(
                "logs: following the first {MAX_SOURCES} of {} containers",
                targets.len()
            ),
            false,
        );
    } else {
        state.status = None;
    }
    show(state, view);
    effects.push(Effect::OpenLogs(shown));
}

/// `l` on a Swarm service: the pane on every task of `service` (the caller asks the loop for
/// the stream).
pub fn open_service(state: &mut AppState, service: &str) {
    let settings = &state.settings.logs;
    let view = LogsView::for_service(
        service,
        settings.max_lines,
        settings.max_bytes,
        return_to(state),
    );
    state.status = None;
    show(state, view);
}

/// Where Esc leaves a pane opened now: the view it was opened from (the list, when the pane
/// replaces itself).
fn return_to(state: &AppState) -> Base {
    if state.base == Base::Logs {
        Base::List
    } else {
        state.base
    }
}

/// Shows `view` as the logs pane.
fn show(state: &mut AppState, view: LogsView) {
    state.logs = Some(Box::new(view));
    state.base = Base::Logs;
    state.overlay = None;
}

/// Closes the pane (its streams close with it).
pub fn close(state: &mut AppState, effects: &mut Vec<Effect>) {
    state.clear_pane_status(Base::Logs);
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
        LogsMsg::Service { event, at } => {
            view.on_service(event, at);
            state.dirty = true;
        }
        LogsMsg::Clock(at) => {
            let before = format_rate(view.lines_per_second);
            view.lines_per_second = view.rate.per_second(at);
            state.dirty |= format_rate(view.lines_per_second) != before;
        }
    }
}

/// The pane's body (the lines), if the pane is shown.
fn body(state: &AppState) -> Option<Rect> {
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
        state.set_pane_status(Base::Logs, "no search: / searches", true);
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
            state.set_pane_status(Base::Logs, format!("/{text}"), false);
        }
        None => {
            let word = if forward { "below" } else { "above" };
            state.set_pane_status(Base::Logs, format!("/{text}: no match {word}"), true);
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
                    state.set_pane_status(Base::Logs, "save: no lines to save", true);
                } else {
                    effects.push(Effect::SaveLogs {
                        file_name: view.save_name(state.now),
                        contents: view.save_text(),
                        lines: view.buffer.len(),
                    });
                }
            }
        }
        Cmd::Copy => copy(state, effects),
        Cmd::Back => close(state, effects),
        Cmd::Help => help::open(state),
        Cmd::Quit => effects.push(Effect::Quit),
        _ => {}
    }
}

/// The entries on screen now (with wrap, those that start on it).
pub fn screen_entries(state: &AppState) -> std::ops::Range<usize> {
    let top = current_top(state);
    let (Some(view), Some(body)) = (state.logs.as_deref(), body(state)) else {
        return 0..0;
    };
    let (width, height) = (usize::from(body.width), usize::from(body.height));
    let entries = view.entries();
    if !view.wrap {
        return top..top.saturating_add(height).min(entries);
    }
    let name_width = rows::name_width(view);
    let (mut k, mut used) = (top, 0);
    while k < entries && used < height {
        used += rows::entry_rows(view, k, width, height, name_width).len();
        k += 1;
    }
    top..k
}

/// `y`: the line of the current search match while a search is on, else the lines on screen
/// (their plain text, without the gutter, names or times).
fn copy(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !crate::app::copy::clipboard_on(state) {
        return;
    }
    let on_screen = screen_entries(state);
    let Some(view) = state.logs.as_deref() else {
        return;
    };
    let matched = view
        .search
        .as_ref()
        .zip(view.current_match)
        .and_then(|(search, seq)| {
            let (line, _) = view.line(seq)?;
            Some((
                sgr::plain(&line.text).into_owned(),
                format!("the line matching /{}/", search.text),
            ))
        });
    let (text, what) = matched.unwrap_or_else(|| {
        let lines: Vec<String> = on_screen
            .filter_map(|k| view.entry(k))
            .map(|(line, _)| sgr::plain(&line.text).into_owned())
            .collect();
        let who = match view.sources.as_slice() {
            _ if view.service.is_some() => {
                format!("service {}", view.service.as_deref().unwrap_or_default())
            }
            [one] => one.name.clone(),
            many => format!("{} containers", many.len()),
        };
        let n = lines.len();
        let plural = if n == 1 { "" } else { "s" };
        (lines.join("\n"), format!("{n} line{plural} of {who}"))
    });
    crate::app::copy::offer(state, text, what, effects);
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
                state.set_pane_status(Base::Logs, e, true);
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
                state.set_pane_status(Base::Logs, "search cleared", false);
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
            state.set_pane_status(Base::Logs, text, false);
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
