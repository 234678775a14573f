//! `update()` cases for `y`: the Effect and the status line in the list, the logs pane (lines on
//! screen, the current search match, plain text without colours) and with the clipboard off.
//! Inspect's sections are checked against the drawn pane in `ui::tests`.

use std::time::Instant;

use super::*;
use crate::app::fixture::{ch, line, open_on, press, select, send, state, type_text};
use crate::app::keymap::KeyMode;
use crate::app::logs;
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::logs::{LogEvent, LogStream};

fn copies(effects: &[Effect]) -> Vec<(&str, &str)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy { text, what } => Some((text.as_str(), what.as_str())),
            _ => None,
        })
        .collect()
}

fn status(s: &AppState) -> (&str, bool) {
    s.status
        .as_ref()
        .map_or(("", false), |l| (l.text.as_str(), l.is_error))
}

#[test]
fn y_in_the_list_copies_the_full_id() {
    let mut s = state();
    select(&mut s, "shop-web-1");
    let id = s
        .selected_container()
        .map(|c| c.id.0.clone())
        .expect("selected");
    assert_eq!(id.len(), 64);
    let effects = press(&mut s, ch('y'));
    assert_eq!(copies(&effects), [(id.as_str(), "shop-web-1's id")]);
    assert_eq!(status(&s), ("copied shop-web-1's id (64 bytes)", false));
}

#[test]
fn y_with_the_clipboard_off_says_so() {
    let mut s = state();
    s.settings.clipboard = false;
    select(&mut s, "shop-web-1");
    let effects = press(&mut s, ch('y'));
    assert!(copies(&effects).is_empty());
    let (text, is_error) = status(&s);
    assert!(text.contains("clipboard is off"), "{text}");
    assert!(is_error);

    let mut s = open_on(80, 24, "shop-web-1", 5, Instant::now());
    s.settings.clipboard = false;
    assert!(copies(&press(&mut s, ch('y'))).is_empty());
    assert!(status(&s).0.contains("clipboard is off"));
}

#[test]
fn y_in_the_logs_pane_copies_the_lines_on_screen_as_plain_text() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 3, t0);
    send(
        &mut s,
        "shop-web-1",
        LogEvent::Lines(vec![line(
            LogStream::Stdout,
            None,
            "\u{1b}[31mRED\u{1b}[0m done",
        )]),
        t0,
    );
    let effects = press(&mut s, ch('y'));
    let copied = copies(&effects);
    assert_eq!(copied.len(), 1);
    let (text, what) = copied[0];
    assert_eq!(
        text,
        "GET /api/items/0 200 3ms\nGET /api/items/1 200 4ms\nGET /api/items/2 200 5ms\nRED done"
    );
    assert_eq!(what, "4 lines of shop-web-1");
    assert_eq!(
        status(&s),
        (
            format!("copied 4 lines of shop-web-1 ({} bytes)", text.len()).as_str(),
            false
        )
    );
}

#[test]
fn y_in_the_logs_pane_copies_only_what_is_on_screen() {
    let mut s = open_on(80, 24, "shop-web-1", 200, Instant::now());
    let page = logs::page(&s);
    let effects = press(&mut s, ch('y'));
    let (text, what) = copies(&effects)[0];
    assert_eq!(text.lines().count(), page);
    assert!(text.ends_with("(request 199)"), "{text}");
    assert_eq!(what, format!("{page} lines of shop-web-1"));
}

#[test]
fn y_during_a_search_copies_the_matching_line() {
    let mut s = open_on(80, 24, "shop-web-1", 200, Instant::now());
    press(&mut s, ch('/'));
    type_text(&mut s, "request 150");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let effects = press(&mut s, ch('y'));
    let line = "error: upstream timed out (request 150)";
    assert_eq!(
        copies(&effects),
        [(line, "the line matching /request 150/")]
    );
    assert_eq!(
        status(&s).0,
        format!(
            "copied the line matching /request 150/ ({} bytes)",
            line.len()
        )
    );
}

#[test]
fn y_is_in_the_help() {
    let map = crate::app::keymap::Keymap::default();
    for mode in [KeyMode::List, KeyMode::Inspect, KeyMode::Logs] {
        assert_eq!(
            map.lookup(mode, ch('y')),
            Some(crate::config::keys::ConsoleCommand::Copy),
            "{mode:?}"
        );
        assert!(
            map.commands(mode)
                .any(|i| i.command == crate::config::keys::ConsoleCommand::Copy)
        );
    }
    assert_eq!(
        map.lookup(KeyMode::Confirm, ch('y')),
        Some(crate::config::keys::ConsoleCommand::Confirm)
    );
}
