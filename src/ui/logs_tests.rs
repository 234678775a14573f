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

/// The cell where `word` starts on screen (ASCII rows).
fn find(buffer: &ratatui::buffer::Buffer, word: &str) -> (u16, u16) {
    for y in 0..buffer.area.height {
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().chars().next().unwrap_or(' '))
            .collect();
        if let Some(x) = row.find(word) {
            return (row[..x].chars().count() as u16, y);
        }
    }
    panic!("{word} is not on screen");
}

/// A pane with lines that carry their own SGR colours and attributes (as a stream kept them).
fn coloured(w: u16, h: u16) -> AppState {
    let t0 = Instant::now();
    let mut s = open_on(w, h, "shop-web-1", 5, t0);
    let lines = [
        "\u{1b}[31mRED\u{1b}[0m \u{1b}[1mBOLD\u{1b}[0m tail",
        "\u{1b}[38;5;208morange\u{1b}[0m \u{1b}[38;2;10;20;30mrgb\u{1b}[0m \u{1b}[42mgreenbg\u{1b}[49m plain",
        "\u{1b}[3mitalic\u{1b}[23m \u{1b}[4munder\u{1b}[24m \u{1b}[7mrev\u{1b}[27m \u{1b}[2mdim\u{1b}[22m end",
    ];
    send(
        &mut s,
        "shop-web-1",
        LogEvent::Lines(
            lines
                .iter()
                .map(|l| line(LogStream::Stdout, at(100, 0), l))
                .collect(),
        ),
        t0,
    );
    s
}

#[test]
fn container_colours_are_styles() {
    use ratatui::style::{Color, Style};
    for (w, h) in SIZES {
        let s = coloured(w, h);
        // The text is the plain text: no sequence shows.
        snapshot("logs_colours", &s);
        let terminal = draw(&s, Theme::default());
        let buffer = terminal.backend().buffer();
        let cell = |word: &str, dx: u16| {
            let (x, y) = find(buffer, word);
            buffer[(x + dx, y)].clone()
        };
        let expect = [
            ("RED", Style::new().fg(Color::Red)),
            ("BOLD", Style::new().add_modifier(Modifier::BOLD)),
            ("orange", Style::new().fg(Color::Indexed(208))),
            ("rgb", Style::new().fg(Color::Rgb(10, 20, 30))),
            ("greenbg", Style::new().bg(Color::Green)),
            ("italic", Style::new().add_modifier(Modifier::ITALIC)),
            ("under", Style::new().add_modifier(Modifier::UNDERLINED)),
            ("rev", Style::new().add_modifier(Modifier::REVERSED)),
            ("dim", Style::new().add_modifier(Modifier::DIM)),
        ];
        for (word, style) in expect {
            for dx in 0..word.len() as u16 {
                let c = cell(word, dx);
                if let Some(fg) = style.fg {
                    assert_eq!(c.fg, fg, "{word}: {c:?}");
                }
                if let Some(bg) = style.bg {
                    assert_eq!(c.bg, bg, "{word}: {c:?}");
                }
                assert!(c.modifier.contains(style.add_modifier), "{word}: {c:?}");
            }
        }
        // What follows a reset has no style of its own.
        for word in ["tail", "plain", "end"] {
            let c = cell(word, 0);
            assert_eq!(c.fg, Color::Reset, "{word}: {c:?}");
            assert_eq!(c.bg, Color::Reset, "{word}: {c:?}");
            assert!(c.modifier.is_empty(), "{word}: {c:?}");
        }
        assert!(cell("RED", 3).modifier.is_empty());
        assert_eq!(cell("RED", 3).fg, Color::Reset);
    }
}

#[test]
fn no_color_draws_container_colours_plain() {
    use ratatui::style::Color;
    let s = coloured(80, 24);
    let terminal = draw(&s, Theme::plain());
    let buffer = terminal.backend().buffer();
    for word in [
        "RED", "BOLD", "orange", "rgb", "greenbg", "italic", "under", "rev", "dim",
    ] {
        let (x, y) = find(buffer, word);
        for dx in 0..word.len() as u16 {
            let c = &buffer[(x + dx, y)];
            assert_eq!(c.fg, Color::Reset, "{word}: {c:?}");
            assert_eq!(c.bg, Color::Reset, "{word}: {c:?}");
            assert!(c.modifier.is_empty(), "{word}: {c:?}");
        }
    }
    // The same text as with colours.
    assert_eq!(text(&s), {
        let plain = draw(&s, Theme::plain());
        let b = plain.backend().buffer();
        (0..b.area.height)
            .map(|y| {
                let row: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
                format!("{}\n", row.trim_end())
            })
            .collect::<String>()
    });
}

#[test]
fn a_search_match_inside_coloured_text_is_highlighted() {
    let mut s = coloured(80, 24);
    press(&mut s, ch('/'));
    type_text(&mut s, "ED B");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    let terminal = draw(&s, Theme::default());
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "RED BOLD");
    // "R" keeps its red; "ED B" is the match; "OLD" keeps bold.
    assert_eq!(buffer[(x, y)].fg, ratatui::style::Color::Red);
    for dx in 1..5 {
        assert!(buffer[(x + dx, y)].modifier.contains(Modifier::REVERSED));
    }
    assert!(buffer[(x + 5, y)].modifier.contains(Modifier::BOLD));
    assert!(!buffer[(x + 5, y)].modifier.contains(Modifier::REVERSED));
}
