//! The container list's part of `update`: moving the selection, marks, folding a project,
//! sorting, the `/` filter (applied as it is typed), the stopped switch, and Enter (fold a
//! project header, inspect a container). The rows themselves are built in [`super::rows`].

use super::filter::Filter;
use super::rows::{self, GroupKey, Row};
use super::{AppState, Base, Effect, inspect};
use crate::config::Column;
use crate::config::keys::ConsoleCommand;

/// A list command in a main view: mark, the stopped switch, fold, sort.
pub(super) fn run_command(state: &mut AppState, command: ConsoleCommand) {
    match command {
        ConsoleCommand::Mark => {
            if let Some(id) = state.selected_container().map(|c| c.id.clone()) {
                if !state.marks.remove(&id) {
                    state.marks.insert(id);
                }
                move_selection(state, ConsoleCommand::Down);
            }
        }
        ConsoleCommand::ToggleStopped => {
            state.show_stopped = !state.show_stopped;
            state.recompute_rows();
            let word = if state.show_stopped {
                "showing"
            } else {
                "hiding"
            };
            state.set_status(format!("{word} stopped containers"), false);
        }
        ConsoleCommand::Collapse => {
            let key = match state.rows.get(state.selected) {
                Some(Row::Group { key, .. }) => Some(key.clone()),
                Some(Row::Container(id)) => {
                    state.fleet.get(id).map(|c| rows::group_of(&state.fleet, c))
                }
                Some(Row::Missing(_)) => state
                    .compose
                    .as_ref()
                    .and_then(|c| c.project_name())
                    .map(|p| rows::project_group(&state.fleet, p)),
                None => None,
            };
            // Only projects are folded: a list without headers has nothing to fold.
            if let Some(key) = key
                && state.rows.iter().any(|r| matches!(r, Row::Group { .. }))
            {
                toggle_fold(state, key);
            }
        }
        ConsoleCommand::SortNext => {
            let columns = &state.settings.columns;
            let i = columns
                .iter()
                .position(|c| *c == state.sort.column)
                .map_or(0, |i| (i + 1) % columns.len().max(1));
            let column = columns.get(i).copied().unwrap_or(Column::Name);
            set_sort(state, column, state.sort.descending);
        }
        ConsoleCommand::SortReverse => {
            set_sort(state, state.sort.column, !state.sort.descending);
        }
        _ => {}
    }
}

/// Enter on the list: folds a project header, inspects a container.
pub(super) fn enter(state: &mut AppState, effects: &mut Vec<Effect>) {
    match state.rows.get(state.selected) {
        Some(Row::Group { key, .. }) => {
            let key = key.clone();
            toggle_fold(state, key);
        }
        Some(Row::Container(_)) => inspect::open(state, effects),
        Some(Row::Missing(name)) => {
            let text = format!("{name} does not exist yet (:apply creates it)");
            state.set_status(text, false);
        }
        None => {}
    }
}

/// Selects the row at `index` (from a click), keeping the inspect pane on the selection.
pub(super) fn click(state: &mut AppState, index: usize, effects: &mut Vec<Effect>) {
    if index < state.rows.len() {
        state.selected = index;
        state.clamp_selection();
        if state.base == Base::Inspect {
            inspect::open(state, effects);
        }
        state.dirty = true;
    }
}

fn toggle_fold(state: &mut AppState, key: GroupKey) {
    if !state.collapsed.remove(&key) {
        state.collapsed.insert(key.clone());
    }
    state.recompute_rows();
    // Keep the cursor on the header of the group just folded.
    if let Some(i) = state
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { key: k, .. } if *k == key))
    {
        state.selected = i;
        state.clamp_selection();
    }
}

pub(super) fn set_sort(state: &mut AppState, column: Column, descending: bool) {
    state.sort = rows::Sort { column, descending };
    state.recompute_rows();
    let arrow = if descending { "↓" } else { "↑" };
    state.set_status(format!("sorted by {} {arrow}", column.name()), false);
}

pub(super) fn set_filter(state: &mut AppState, text: &str) {
    state.filter = Filter::parse(text);
    state.offset = 0;
    // Land on the first container, not on a project header.
    state.rows.clear();
    state.recompute_rows();
    state.selected = state
        .rows
        .iter()
        .position(|r| matches!(r, Row::Container(_)))
        .unwrap_or(0);
    state.clamp_selection();
}

pub(super) fn move_selection(state: &mut AppState, command: ConsoleCommand) {
    let page = state.list_height().max(1);
    let last = state.rows.len().saturating_sub(1);
    state.selected = match command {
        ConsoleCommand::Up => state.selected.saturating_sub(1),
        ConsoleCommand::Down => (state.selected + 1).min(last),
        ConsoleCommand::Top => 0,
        ConsoleCommand::Bottom => last,
        ConsoleCommand::PageUp => state.selected.saturating_sub(page),
        ConsoleCommand::PageDown => (state.selected + page).min(last),
        _ => state.selected,
    };
    state.clamp_selection();
}
