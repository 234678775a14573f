//! Keys and the mouse: a key resolves through the [`keymap`](super::keymap) table for the
//! current mode and runs its command in the part of `update` that owns it (the confirm dialog,
//! help, the logs pane, or one of the main views); while a text field is open (the `/` filter,
//! the `:` command line, the logs pane's search and filter) keys type into it instead. A click
//! selects the list row under it; the wheel scrolls the pane under the pointer.

use ratatui::layout::{Position, Rect};

use super::keymap::KeyMode;
use super::{
    AppState, Base, Effect, MouseMsg, Overlay, command, compose, confirm, gpu, help, inspect, list,
    logs, triage,
};
use crate::config::keys::{ConsoleCommand, KeyChord, KeyName};
use crate::geometry;

pub(super) fn on_key(state: &mut AppState, key: KeyChord, effects: &mut Vec<Effect>) {
    state.dirty = true;
    match state.overlay.clone() {
        Some(Overlay::Filter { previous }) => return on_filter_key(state, key, &previous),
        Some(Overlay::Command) => return on_command_key(state, key, effects),
        Some(Overlay::LogInput(kind)) => return logs::on_input_key(state, key, kind),
        Some(Overlay::ConsoleLog) => return super::feeds::on_log_key(state, key, effects),
        _ => {}
    }
    let Some(mode) = state.key_mode() else {
        return;
    };
    let Some(command) = state.keymap.lookup(mode, key) else {
        return;
    };
    run_command(state, mode, command, effects);
}

pub(super) fn on_mouse(state: &mut AppState, mouse: MouseMsg, effects: &mut Vec<Effect>) {
    let panes = state.panes();
    let inside = |r: Option<Rect>, column: u16, row: u16| {
        r.is_some_and(|r| r.contains(Position { x: column, y: row }))
    };
    match mouse {
        MouseMsg::Click { column, row } => {
            if state.overlay.is_some() {
                return;
            }
            if let Some(body) = geometry::list_body(state.viewport, state.screen())
                && inside(Some(body), column, row)
            {
                let index = state.offset + usize::from(row - body.y);
                list::click(state, index, effects);
            }
        }
        MouseMsg::ScrollUp { column, row } | MouseMsg::ScrollDown { column, row } => {
            let up = matches!(mouse, MouseMsg::ScrollUp { .. });
            let command = if up {
                ConsoleCommand::Up
            } else {
                ConsoleCommand::Down
            };
            if state.overlay == Some(Overlay::Help) {
                for _ in 0..3 {
                    help::scroll(state, command);
                }
            } else if inside(panes.logs, column, row) && state.overlay.is_none() {
                logs::wheel(state, up);
            } else if inside(panes.inspect, column, row) {
                for _ in 0..3 {
                    inspect::scroll(state, command);
                }
            } else if inside(panes.list, column, row) && state.overlay.is_none() {
                for _ in 0..3 {
                    list::move_selection(state, command);
                }
                if state.base == Base::Inspect {
                    inspect::open(state, effects);
                }
            }
            state.dirty = true;
        }
    }
}

/// Runs a bound command in `mode`.
pub fn run_command(
    state: &mut AppState,
    mode: KeyMode,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    match mode {
        KeyMode::Confirm => confirm::run_command(state, command, effects),
        KeyMode::Help => help::run_command(state, command),
        KeyMode::Logs => logs::run_command(state, command, effects),
        KeyMode::Plan => compose::run_command(state, command, effects),
        KeyMode::Objects => super::objects::run_command(state, command, effects),
        KeyMode::Swarm => {
            if !super::swarm_act::run_command(state, command, effects) {
                main_command(state, mode, command, effects);
            }
        }
        KeyMode::List | KeyMode::Inspect | KeyMode::Triage | KeyMode::Gpu => {
            main_command(state, mode, command, effects);
        }
    }
}

/// A command in one of the main views (list, inspect, triage, GPU).
fn main_command(
    state: &mut AppState,
    mode: KeyMode,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    use ConsoleCommand as Cmd;
    match command {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom | Cmd::PageUp | Cmd::PageDown => match mode {
            KeyMode::Inspect => inspect::scroll(state, command),
            KeyMode::Triage => triage::move_selection(state, command),
            KeyMode::Gpu => gpu::scroll(state, command),
            _ => list::move_selection(state, command),
        },
        Cmd::Start
        | Cmd::Stop
        | Cmd::Restart
        | Cmd::Pause
        | Cmd::Kill
        | Cmd::Continue
        | Cmd::Remove => {
            confirm::request_command(state, command, effects);
        }
        Cmd::Mark | Cmd::ToggleStopped | Cmd::Collapse | Cmd::SortNext | Cmd::SortReverse => {
            list::run_command(state, command);
        }
        Cmd::Inspect if mode == KeyMode::Triage => triage::inspect(state, effects),
        Cmd::Inspect => list::enter(state, effects),
        Cmd::Logs if mode == KeyMode::Triage && triage::swarm_logs(state, effects) => {}
        Cmd::Logs => open_logs(state, effects),
        Cmd::Exec => confirm::exec(state, effects),
        Cmd::Filter | Cmd::CommandLine => open_input(state, command),
        Cmd::Help => help::open(state),
        Cmd::Quit => effects.push(Effect::Quit),
        Cmd::Back => back(state, mode),
        Cmd::Reveal => inspect::toggle_reveal(state),
        Cmd::ToggleLog => {
            state.show_log = !state.show_log;
            state.clamp_selection();
        }
        Cmd::LogLevels => super::feeds::open_log_keys(state),
        Cmd::Triage => triage::toggle(state),
        Cmd::Gpu => gpu::toggle(state),
        Cmd::Copy => super::copy::run(state, mode, effects),
        // Dialogs', the logs pane's, the host views' and the Swarm views' own keys
        // ([`super::swarm_act`]): nothing in a main view.
        Cmd::Confirm
        | Cmd::Cancel
        | Cmd::Apply
        | Cmd::LogSearch
        | Cmd::SearchNext
        | Cmd::SearchPrev
        | Cmd::LogFilter
        | Cmd::Follow
        | Cmd::Timestamps
        | Cmd::Wrap
        | Cmd::SaveLogs
        | Cmd::ObjectRemove
        | Cmd::ObjectForceRemove
        | Cmd::Prune
        | Cmd::Pull
        | Cmd::Refresh
        | Cmd::ScaleUp
        | Cmd::ScaleDown
        | Cmd::ServiceUpdate
        | Cmd::ServiceRestart
        | Cmd::ServiceRollback
        | Cmd::ServiceRemove
        | Cmd::NodeDrain
        | Cmd::NodePause
        | Cmd::NodeActivate
        | Cmd::NodePromote
        | Cmd::NodeDemote => {}
    }
}

/// The logs pane for the marked containers, or the selected one.
fn open_logs(state: &mut AppState, effects: &mut Vec<Effect>) {
    let targets = state.targets();
    if targets.is_empty() {
        state.set_status("logs: no container selected", true);
    } else {
        logs::open(state, targets, effects);
    }
}

/// The filter line (starting from the filter in force) or the command line (empty).
fn open_input(state: &mut AppState, command: ConsoleCommand) {
    if command == ConsoleCommand::Filter {
        state.input = state.filter.text.clone();
        state.overlay = Some(Overlay::Filter {
            previous: state.filter.text.clone(),
        });
    } else {
        state.input.clear();
        state.overlay = Some(Overlay::Command);
    }
}

/// Esc in a main view: back to the list; in the list, clear the marks, else the filter, else
/// the status line.
fn back(state: &mut AppState, mode: KeyMode) {
    if matches!(mode, KeyMode::Triage | KeyMode::Gpu) {
        state.base = Base::List;
        state.clamp_selection();
    } else if mode == KeyMode::Inspect {
        state.base = Base::List;
        state.inspect = None;
        state.clamp_selection();
    } else if !state.marks.is_empty() {
        state.marks.clear();
        state.set_status("marks cleared", false);
    } else if !state.filter.is_empty() {
        list::set_filter(state, "");
        state.set_status("filter cleared", false);
    } else {
        state.status = None;
    }
}

/// A position moved by a scroll command, within `0..=max`.
pub(super) fn scroll(position: usize, max: usize, page: usize, command: ConsoleCommand) -> usize {
    match command {
        ConsoleCommand::Up => position.saturating_sub(1),
        ConsoleCommand::Down => (position + 1).min(max),
        ConsoleCommand::Top => 0,
        ConsoleCommand::Bottom => max,
        ConsoleCommand::PageUp => position.saturating_sub(page),
        ConsoleCommand::PageDown => (position + page).min(max),
        _ => position,
    }
    .min(max)
}

/// A character typed into a text field, if the key is one.
fn typed(key: KeyChord) -> Option<char> {
    match key.key {
        KeyName::Char(c) if !key.ctrl && !key.alt => Some(c),
        _ => None,
    }
}

fn on_filter_key(state: &mut AppState, key: KeyChord, previous: &str) {
    match key.key {
        KeyName::Enter => {
            state.overlay = None;
            let text = state.input.trim().to_string();
            list::set_filter(state, &text);
            if state.filter.is_empty() {
                state.status = None;
            } else {
                state.set_status(
                    format!(
                        "filter '{}': {} listed",
                        state.filter.text,
                        state.listed_count()
                    ),
                    false,
                );
            }
        }
        KeyName::Esc => {
            state.overlay = None;
            let previous = previous.to_string();
            state.input.clear();
            list::set_filter(state, &previous);
        }
        KeyName::Backspace => {
            state.input.pop();
            let text = state.input.clone();
            list::set_filter(state, &text);
        }
        _ if key.ctrl && key.key == KeyName::Char('u') => {
            state.input.clear();
            list::set_filter(state, "");
        }
        _ => {
            if let Some(c) = typed(key) {
                state.input.push(c);
                // The list follows as the user types.
                let text = state.input.clone();
                list::set_filter(state, &text);
            }
        }
    }
}

fn on_command_key(state: &mut AppState, key: KeyChord, effects: &mut Vec<Effect>) {
    match key.key {
        KeyName::Enter => {
            state.overlay = None;
            let line = std::mem::take(&mut state.input);
            command::run_command_line(state, &line, effects);
        }
        KeyName::Esc => {
            state.overlay = None;
            state.input.clear();
        }
        KeyName::Backspace => {
            if state.input.pop().is_none() {
                state.overlay = None;
            }
        }
        _ if key.ctrl && key.key == KeyName::Char('u') => state.input.clear(),
        _ => {
            if let Some(c) = typed(key) {
                state.input.push(c);
            }
        }
    }
}
