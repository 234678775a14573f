//! `update()` cases for the logs pane: opening and closing (streams with it), following and
//! pausing with a count of new lines, search and `n`/`N`, the filter and its index kept as
//! lines arrive and as the ring drops, a bad regex as a status error, timestamps, wrap, save,
//! merging tails by time. The states come from [`crate::app::fixture`].

use std::time::{Duration, Instant};

use super::*;
use crate::app::fixture::{
    at, ch, line, open_on, press, select, send, state_at, type_text, web_lines,
};
use crate::app::keymap::KeyMode;
use crate::app::{AppState, Base, Effect, Msg, Overlay, update};
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::logs::{LogEvent, LogStream};

fn view(s: &AppState) -> &LogsView {
    s.logs.as_deref().expect("the logs pane is open")
}

fn texts_on_screen(s: &AppState) -> Vec<String> {
    let v = view(s);
    let top = if v.follow {
        follow_top(s)
    } else {
        v.entry_at(v.top)
    };
    let page = page(s);
    (top..(top + page).min(v.entries()))
        .filter_map(|k| v.entry(k).map(|(l, _)| l.text.clone()))
        .collect()
}

#[test]
fn l_opens_streams_and_esc_closes_them() {
    let mut s = state_at(80, 24);
    select(&mut s, "shop-web-1");
    let effects = press(&mut s, ch('l'));
    assert_eq!(effects.len(), 1);
    let Effect::OpenLogs(targets) = &effects[0] else {
        panic!("{effects:?}");
    };
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].name, "shop-web-1");
    assert_eq!(s.base, Base::Logs);
    assert_eq!(s.key_mode(), Some(KeyMode::Logs));
    assert!(view(&s).follow);

    assert_eq!(
        press(&mut s, KeyChord::plain(KeyName::Esc)),
        vec![Effect::CloseLogs]
    );
    assert_eq!(s.base, Base::List);
    assert!(s.logs.is_none(), "the buffer goes with the pane");
    assert_eq!(s.key_mode(), Some(KeyMode::List));
}

#[test]
fn l_on_a_project_header_or_marks_merges() {
    let mut s = state_at(80, 24);
    s.selected = s
        .rows
        .iter()
        .position(|r| matches!(r, crate::app::rows::Row::Group { .. }))
        .expect("a project header");
    let effects = press(&mut s, ch('l'));
    let Some(Effect::OpenLogs(targets)) = effects.first() else {
        panic!("{effects:?}");
    };
    assert!(targets.len() > 1, "every container of the project");
    assert!(view(&s).merged());

    let mut s = state_at(80, 24);
    select(&mut s, "api");
    press(&mut s, ch(' '));
    select(&mut s, "cache");
    press(&mut s, ch(' '));
    let effects = press(&mut s, ch('l'));
    let Some(Effect::OpenLogs(targets)) = effects.first() else {
        panic!("{effects:?}");
    };
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["api", "cache"]);
}

#[test]
fn tails_are_merged_by_time_once_all_have_arrived() {
    let t0 = Instant::now();
    let mut s = state_at(80, 24);
    select(&mut s, "api");
    press(&mut s, ch(' '));
    select(&mut s, "cache");
    press(&mut s, ch(' '));
    press(&mut s, ch('l'));
    let api = vec![
        line(LogStream::Stdout, at(1, 0), "api 1"),
        line(LogStream::Stdout, at(3, 0), "api 3"),
    ];
    let cache = vec![
        line(LogStream::Stdout, at(2, 0), "cache 2"),
        line(LogStream::Stdout, at(4, 0), "cache 4"),
    ];
    send(&mut s, "api", LogEvent::Lines(api), t0);
    send(&mut s, "api", LogEvent::CaughtUp, t0);
    assert_eq!(view(&s).entries(), 0, "held until every tail is in");
    assert!(view(&s).merging());
    send(&mut s, "cache", LogEvent::Lines(cache), t0);
    send(&mut s, "cache", LogEvent::CaughtUp, t0);
    assert_eq!(
        texts_on_screen(&s),
        ["api 1", "cache 2", "api 3", "cache 4"]
    );
    // Live lines follow as they come.
    let live = vec![line(LogStream::Stderr, at(5, 0), "api live")];
    send(&mut s, "api", LogEvent::Lines(live), t0);
    let v = view(&s);
    let (last, source) = v.entry(v.entries() - 1).expect("a line");
    assert_eq!(last.text, "api live");
    assert_eq!(v.sources[source].name, "api");
}

#[test]
fn scrolling_back_pauses_and_counts_new_lines_bottom_follows() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 100, t0);
    let bottom = texts_on_screen(&s);
    assert_eq!(
        bottom.last().map(String::as_str),
        Some("GET /api/items/99 200 3ms")
    );
    press(&mut s, ch('k'));
    assert!(!view(&s).follow, "scrolling back pauses");
    let paused = texts_on_screen(&s);
    assert_ne!(paused, bottom, "one line up");

    send(
        &mut s,
        "shop-web-1",
        LogEvent::Lines(web_lines(100, 25)),
        t0,
    );
    assert_eq!(view(&s).new_since_pause, 25);
    assert_eq!(texts_on_screen(&s), paused, "a paused pane stays put");

    press(&mut s, ch('G'));
    assert!(view(&s).follow);
    assert_eq!(view(&s).new_since_pause, 0);
    assert_eq!(
        texts_on_screen(&s).last().map(String::as_str),
        Some("GET /api/items/124 200 6ms")
    );
    // `f` pauses and resumes too; paging down to the end resumes.
    press(&mut s, ch('f'));
    assert!(!view(&s).follow);
    press(&mut s, KeyChord::plain(KeyName::PageDown));
    assert!(view(&s).follow, "paging past the end follows again");
    press(&mut s, ch('g'));
    assert!(!view(&s).follow);
    assert_eq!(
        texts_on_screen(&s).first().map(String::as_str),
        Some("GET /api/items/0 200 3ms")
    );
    press(&mut s, ch('f'));
    assert!(view(&s).follow);
}

#[test]
fn search_moves_between_matches_and_a_bad_regex_is_a_status_error() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 200, t0);
    press(&mut s, ch('/'));
    assert!(matches!(
        s.overlay,
        Some(Overlay::LogInput(LogInput::Search))
    ));
    assert_eq!(s.key_mode(), None, "typing, not keys");
    type_text(&mut s, "request 1[0-9]{2}\\)");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(s.overlay, None);
    let v = view(&s);
    assert!(
        !v.follow,
        "a search jumps to the newest match and pauses there"
    );
    let current = |s: &AppState| {
        let v = view(s);
        v.current_match
            .and_then(|seq| v.line(seq))
            .map(|(l, _)| l.text.clone())
            .unwrap_or_default()
    };
    assert!(current(&s).ends_with("(request 199)"), "{}", current(&s));
    assert!(texts_on_screen(&s).contains(&current(&s)));
    press(&mut s, ch('N'));
    assert!(current(&s).ends_with("(request 192)"), "{}", current(&s));
    assert!(texts_on_screen(&s).contains(&current(&s)));
    press(&mut s, ch('N'));
    assert!(current(&s).ends_with("(request 185)"), "{}", current(&s));
    press(&mut s, ch('n'));
    assert!(current(&s).ends_with("(request 192)"), "{}", current(&s));
    assert!(texts_on_screen(&s).contains(&current(&s)));

    press(&mut s, ch('/'));
    press(&mut s, KeyChord::ctrl('u'));
    type_text(&mut s, "(unclosed");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let status = s.status.clone().expect("an error");
    assert!(status.is_error);
    assert!(
        status.text.contains("bad regular expression '(unclosed'"),
        "{status:?}"
    );
    assert_eq!(
        view(&s).search.as_ref().map(|p| p.text.as_str()),
        Some("request 1[0-9]{2}\\)"),
        "the last good search stays"
    );
}

#[test]
fn the_filter_index_grows_with_lines_and_is_bounded_like_the_buffer() {
    let t0 = Instant::now();
    let mut s = state_at(80, 24);
    s.settings.logs.max_lines = 50;
    select(&mut s, "shop-web-1");
    press(&mut s, ch('l'));
    send(&mut s, "shop-web-1", LogEvent::Lines(web_lines(0, 30)), t0);
    press(&mut s, ch('&'));
    type_text(&mut s, "^error");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let v = view(&s);
    assert_eq!(v.entries(), 4, "requests 3, 10, 17, 24");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text == "filter '^error': 4 of 30 lines"),
        "{:?}",
        s.status
    );
    // Lines arriving are checked as they come.
    send(&mut s, "shop-web-1", LogEvent::Lines(web_lines(30, 10)), t0);
    assert_eq!(view(&s).entries(), 6, "31 and 38 too");
    assert!(texts_on_screen(&s).iter().all(|t| t.starts_with("error")));
    // The ring drops the oldest: the index drops them too.
    for chunk in 0..100 {
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(web_lines(40 + chunk * 10, 10)),
            t0,
        );
    }
    let v = view(&s);
    assert_eq!(v.buffer().len(), 50);
    assert!(v.entries() <= 50 / 7 + 1, "{}", v.entries());
    let first = v.buffer().first_seq();
    for k in 0..v.entries() {
        let seq = v.entry_seq(k).expect("an entry");
        assert!(seq >= first, "no entry for a dropped line");
        let (l, _) = v.entry(k).expect("held");
        assert!(l.text.starts_with("error"), "{}", l.text);
    }
    // An empty filter shows everything again; a bad one is an error and changes nothing.
    press(&mut s, ch('&'));
    press(&mut s, KeyChord::ctrl('u'));
    type_text(&mut s, "[");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert!(s.status.as_ref().is_some_and(|st| st.is_error));
    assert!(view(&s).filter.is_some());
    press(&mut s, ch('&'));
    press(&mut s, KeyChord::ctrl('u'));
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert!(view(&s).filter.is_none());
    assert_eq!(view(&s).entries(), 50);
}

#[test]
fn toggles_save_and_the_dropped_count() {
    let t0 = Instant::now();
    let mut s = state_at(80, 24);
    s.settings.logs.max_lines = 10;
    select(&mut s, "shop-web-1");
    press(&mut s, ch('l'));
    send(&mut s, "shop-web-1", LogEvent::Lines(web_lines(0, 25)), t0);
    assert_eq!(view(&s).dropped(), 15);
    assert!(!view(&s).timestamps);
    press(&mut s, ch('t'));
    assert!(view(&s).timestamps);
    press(&mut s, ch('W'));
    assert!(view(&s).wrap);
    let effects = press(&mut s, ch('w'));
    let [
        Effect::SaveLogs {
            file_name,
            contents,
            lines,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(*lines, 10);
    assert_eq!(file_name, "fleetdeck-logs-shop-web-1-20240501-120000.log");
    assert_eq!(contents.lines().count(), 10);
    assert!(contents.starts_with("2024-05-01T12:00:15.000000000Z stdout GET /api/items/15"));
    assert!(contents.contains("stderr error: upstream timed out (request 17)"));
}

#[test]
fn the_rate_is_lines_per_second_and_decays_on_the_clock() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 10, t0);
    for i in 1..=4 {
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(web_lines(10 * i, 100)),
            t0 + Duration::from_secs(i as u64),
        );
    }
    let rate = view(&s).lines_per_second;
    assert!((100.0..=140.0).contains(&rate), "{rate}");
    let _ = update(
        &mut s,
        Msg::Logs(LogsMsg::Clock(t0 + Duration::from_secs(60))),
    );
    assert_eq!(view(&s).lines_per_second, 0.0);
}

#[test]
fn a_removed_container_ends_with_a_marker_line() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 3, t0);
    send(
        &mut s,
        "shop-web-1",
        LogEvent::Ended(crate::engine::logs::LogEnd::Removed),
        t0,
    );
    let v = view(&s);
    let (last, _) = v.entry(v.entries() - 1).expect("a line");
    assert_eq!(last.stream, LogStream::Marker);
    assert!(last.text.contains("removed"));
}

#[test]
fn a_logs_search_leaves_the_status_line_with_the_pane() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 200, t0);
    press(&mut s, ch('/'));
    type_text(&mut s, "request 1");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let status = |s: &AppState| s.status.as_ref().map(|l| l.text.clone());
    assert!(
        status(&s).is_some_and(|t| t.starts_with("/request 1")),
        "the search speaks in the status line: {:?}",
        status(&s)
    );
    press(&mut s, KeyChord::plain(KeyName::Esc));
    assert_eq!(s.base, Base::List);
    assert_eq!(status(&s), None, "the pane's search went with the pane");
    // A status that is not the pane's stays: an action's outcome that arrives while the pane
    // is open, say.
    press(&mut s, ch('l'));
    assert_eq!(s.base, Base::Logs);
    let _ = update(
        &mut s,
        Msg::Notice {
            text: "stopped web-1".into(),
            is_error: false,
        },
    );
    let _ = update(&mut s, Msg::Key(KeyChord::plain(KeyName::Esc)));
    assert_eq!(s.base, Base::List);
    assert_eq!(status(&s).as_deref(), Some("stopped web-1"));
}
