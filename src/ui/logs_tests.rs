//! Snapshots of the logs pane at 80x24 and 160x48: following, paused with a count of new
//! lines, search highlights, the filter, merged containers with the name column, the notice of
//! dropped lines, timestamps and wrap; and the check that a search match is drawn in reverse
//! video (a style a text snapshot cannot show).

use std::time::{Duration, Instant};

use ratatui::style::Modifier;

use crate::app::AppState;
use crate::app::fixture::{
    at, ch, line, open_on, press, select, send, state_at, type_text, web_lines,
};
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::logs::{LogEvent, LogStream};
use crate::ui::tests::{draw, text};
use crate::ui::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snapshot(name: &str, state: &AppState) {
    let (w, h) = (state.viewport.width, state.viewport.height);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(state));
}

/// A steady 40 lines a second over the last seconds, for a stable rate figure.
fn with_rate(state: &mut AppState, name: &str, t0: Instant) {
    for i in 1..=3 {
        send(
            state,
            name,
            LogEvent::Lines(web_lines(1_000 + 40 * i, 40)),
            t0 + Duration::from_secs(i as u64),
        );
    }
}

#[test]
fn following() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = open_on(w, h, "shop-web-1", 60, t0);
        with_rate(&mut s, "shop-web-1", t0);
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(vec![
                line(
                    LogStream::Marker,
                    at(1_200, 0),
                    "restarted at 2024-05-01T12:20:00.000Z",
                ),
                line(LogStream::Stdout, at(1_200, 5), "listening on :8080"),
            ]),
            t0 + Duration::from_secs(3),
        );
        snapshot("logs_following", &s);
        press(&mut s, ch('t'));
        snapshot("logs_following_timestamps", &s);
    }
}

#[test]
fn paused_with_new_lines() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = open_on(w, h, "shop-web-1", 100, t0);
        press(&mut s, KeyChord::plain(KeyName::PageUp));
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(web_lines(100, 57)),
            t0,
        );
        snapshot("logs_paused", &s);
    }
}

#[test]
fn search_highlights() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = open_on(w, h, "shop-web-1", 100, t0);
        press(&mut s, ch('/'));
        type_text(&mut s, "timed out");
        snapshot("logs_search_typing", &s);
        press(&mut s, KeyChord::plain(KeyName::Enter));
        snapshot("logs_search", &s);
    }
}

#[test]
fn a_match_is_drawn_in_reverse_video() {
    let t0 = Instant::now();
    let mut s = open_on(80, 24, "shop-web-1", 100, t0);
    press(&mut s, ch('/'));
    type_text(&mut s, "timed out");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let terminal = draw(&s, Theme::default());
    let buffer = terminal.backend().buffer();
    let mut reversed = 0;
    let mut plain_text = 0;
    // The body only: the title names the search too.
    for y in 1..buffer.area.height - 3 {
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(col) = row.find("timed out") {
            let x = u16::try_from(row[..col].chars().count()).expect("fits");
            let cell = &buffer[(x, y)];
            assert!(cell.modifier.contains(Modifier::REVERSED), "row {y}: {row}");
            reversed += 1;
            let before = &buffer[(x.saturating_sub(2), y)];
            if !before.modifier.contains(Modifier::REVERSED) {
                plain_text += 1;
            }
        }
    }
    assert!(reversed > 0, "some match is on screen");
    assert_eq!(plain_text, reversed, "only the match is reversed");
}

#[test]
fn filter() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = open_on(w, h, "shop-web-1", 200, t0);
        press(&mut s, ch('&'));
        type_text(&mut s, "^error");
        press(&mut s, KeyChord::plain(KeyName::Enter));
        snapshot("logs_filter", &s);
        press(&mut s, ch('&'));
        press(&mut s, KeyChord::ctrl('u'));
        type_text(&mut s, "nothing-like-this");
        press(&mut s, KeyChord::plain(KeyName::Enter));
        snapshot("logs_filter_nothing", &s);
    }
}

#[test]
fn merged() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = state_at(w, h);
        for name in ["shop-web-1", "shop-db-1", "shop-worker-1"] {
            select(&mut s, name);
            press(&mut s, ch(' '));
        }
        press(&mut s, ch('l'));
        snapshot("logs_merged_gathering", &s);
        let db = (0..30)
            .map(|i| {
                line(
                    LogStream::Stdout,
                    at(i, 500),
                    &format!("checkpoint complete: wrote {} buffers", i * 3),
                )
            })
            .collect();
        let worker = (0..10)
            .map(|i| {
                line(
                    LogStream::Stderr,
                    at(i * 3, 250),
                    "job failed: out of memory",
                )
            })
            .collect();
        send(&mut s, "shop-db-1", LogEvent::Lines(db), t0);
        send(&mut s, "shop-db-1", LogEvent::CaughtUp, t0);
        send(&mut s, "shop-worker-1", LogEvent::Lines(worker), t0);
        send(&mut s, "shop-worker-1", LogEvent::CaughtUp, t0);
        send(&mut s, "shop-web-1", LogEvent::Lines(web_lines(0, 30)), t0);
        send(&mut s, "shop-web-1", LogEvent::CaughtUp, t0);
        press(&mut s, ch('t'));
        snapshot("logs_merged", &s);
    }
}

#[test]
fn dropped_lines_and_wrap() {
    for (w, h) in SIZES {
        let t0 = Instant::now();
        let mut s = state_at(w, h);
        s.settings.logs.max_lines = 500;
        select(&mut s, "shop-web-1");
        press(&mut s, ch('l'));
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(web_lines(0, 1_734)),
            t0,
        );
        send(&mut s, "shop-web-1", LogEvent::CaughtUp, t0);
        snapshot("logs_dropped", &s);
        let long = "x=1 ".repeat(60);
        send(
            &mut s,
            "shop-web-1",
            LogEvent::Lines(vec![line(LogStream::Stdout, at(2_000, 0), &long)]),
            t0,
        );
        press(&mut s, ch('W'));
        snapshot("logs_wrap", &s);
    }
}
