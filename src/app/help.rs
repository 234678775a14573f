//! The help overlay's scroll range: which keys it lists (those of the main view's mode, then
//! the confirm dialog's, then the text fields' and the command line's), counted from the keymap
//! table without building any line, and how many lines fit. Render draws exactly these lines
//! and sizes its box from the same count.

use super::keymap::KeyMode;
use super::{AppState, Base};
use crate::geometry;

/// The keys of the text fields (filter, command line, logs search), as the overlay lists them.
pub const TEXT_KEYS: [(&str, &str); 4] = [
    ("Enter", "apply"),
    ("Esc", "cancel"),
    ("Backspace", "delete a character"),
    ("Ctrl-u", "clear"),
];

/// The notes at the end of the overlay.
pub const NOTES: [&str; 3] = [
    "Commands: :stop NAME…  :start  :restart  :kill [-s SIG]  :rm [-f]",
    "          :sort COLUMN [asc|desc]  :filter TEXT  :stopped  :q",
    "Filter: web  !exited  state:unhealthy  image:nginx  label:env=prod",
];

/// The mode whose keys the overlay lists over `base`.
pub fn mode(base: Base) -> KeyMode {
    match base {
        Base::List => KeyMode::List,
        Base::Inspect => KeyMode::Inspect,
        Base::Logs => KeyMode::Logs,
        Base::Triage => KeyMode::Triage,
        Base::Gpu => KeyMode::Gpu,
    }
}

/// How many lines the overlay has: a title and the keys of each section, blank lines between.
pub fn line_count(state: &AppState) -> usize {
    let view = state.keymap.commands(mode(state.base)).count();
    let confirm = state.keymap.commands(KeyMode::Confirm).count();
    (1 + view) + 1 + (1 + confirm) + 1 + (1 + TEXT_KEYS.len()) + 1 + NOTES.len()
}

/// (lines of content, lines that fit).
pub fn geometry(state: &AppState) -> (usize, usize) {
    let count = line_count(state);
    (count, geometry::help_page(state.viewport, count))
}
