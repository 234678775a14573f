//! Snapshots of the console's own log pane (tui-logger's widget) drawn into a `TestBackend`:
//! the newest records with their levels and a wrapped long line; the target list while the
//! pane has the keys; one target narrowed to errors by its keys. The records go into
//! tui-logger's one buffer, so these tests take turns ([`BUFFER`]) and all use the same three
//! targets (the buffer's target list outlives a test). Times and the rate in the title are
//! redacted.

use std::sync::{Mutex, MutexGuard, PoisonError};

use log::Level;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::fixture::state;
use crate::app::{Msg, update};
use crate::config::keys::{KeyChord, KeyName};

/// The buffer is the process's: one test at a time fills and draws it.
static BUFFER: Mutex<()> = Mutex::new(());

const STORE: &str = "fleetdeck::store::writer";
const CLIENT: &str = "bollard::docker";
const CONSOLE: &str = "fleetdeck";

/// Empties the buffer and fills it with `records`, in order; the guard keeps it so.
fn records(records: &[(Level, &str, &str)]) -> MutexGuard<'static, ()> {
    let guard = BUFFER.lock().unwrap_or_else(PoisonError::into_inner);
    tui_logger::move_events();
    tui_logger::set_buffer_depth(100);
    tui_logger::set_default_level(log::LevelFilter::Trace);
    for (level, target, text) in records {
        tui_logger::Drain::new().log(
            &log::Record::builder()
                .level(*level)
                .target(target)
                .args(format_args!("{text}"))
                .build(),
        );
    }
    tui_logger::move_events();
    guard
}

fn usual() -> MutexGuard<'static, ()> {
    records(&[
        (Level::Info, CONSOLE, "started web-1"),
        (
            Level::Warn,
            STORE,
            "history is not being written: the store /var/lib/fleet.db cannot grow: the disk (or its quota) is full",
        ),
        (Level::Error, CONSOLE, "stop db-1: no such container"),
        (Level::Debug, CLIENT, "GET /containers/json"),
        (Level::Info, CONSOLE, "stopped web-1: exit 143 (SIGTERM)"),
    ])
}

fn draw(s: &AppState, pane: &LogPaneState, (w, h): (u16, u16)) -> String {
    let theme = Theme::from_config(&crate::config::ThemeConfig::default(), true);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| render(f, f.area(), s, &theme, pane))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, screen: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d\d:\d\d:\d\d:", "hh:mm:ss:");
    // The rate and the dashes after it: its width varies with the rate.
    settings.add_filter(r"\[log=[0-9.]+/s\]─*", "[log=N/s]──");
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

fn key(s: &mut AppState, pane: &LogPaneState, k: KeyName) {
    for effect in update(s, Msg::Key(KeyChord::plain(k))) {
        if let crate::app::Effect::ConsoleLogKey(k) = effect {
            pane.key(k);
        }
    }
}

#[test]
fn the_pane_shows_the_newest_records_with_their_levels() {
    let _buffer = usual();
    let mut s = state();
    s.show_log = true;
    let pane = LogPaneState::default();
    let screen = draw(&s, &pane, (72, 7));
    // Five rows: the oldest record does not fit; the store's warning wraps under the indent.
    assert!(screen.contains("fleetdeck log"), "{screen}");
    assert!(!screen.contains("started web-1"), "{screen}");
    assert!(
        screen.contains(":INFO :stopped web-1: exit 143 (SIGTERM)"),
        "{screen}"
    );
    assert!(!screen.contains("level shown"), "no target list: {screen}");
    snapshot("console_log_newest", &screen);
}

#[test]
fn with_its_keys_the_pane_lists_the_targets_and_their_levels() {
    let _buffer = usual();
    let mut s = state();
    let pane = LogPaneState::default();
    key(&mut s, &pane, KeyName::Char('T'));
    let screen = draw(&s, &pane, (100, 9));
    for target in [CONSOLE, STORE, CLIENT] {
        assert!(screen.contains(target), "{target}: {screen}");
    }
    snapshot("console_log_targets", &screen);
    // Esc gives the keys back: the list goes, the log stays.
    key(&mut s, &pane, KeyName::Esc);
    let screen = draw(&s, &pane, (100, 9));
    assert!(!screen.contains(STORE), "{screen}");
    assert!(screen.contains("fleetdeck log"), "{screen}");
}

#[test]
fn the_whole_console_with_the_log_pane_holding_the_keys() {
    let _buffer = usual();
    let mut s = crate::app::fixture::state_at(80, 24);
    let pane = LogPaneState::default();
    key(&mut s, &pane, KeyName::Char('T'));
    let screen = super::super::tests::text(&s);
    assert!(screen.contains("level shown"), "{screen}");
    assert!(
        screen.contains("Esc done"),
        "the pane's keys in the footer: {screen}"
    );
    snapshot("console_log_keys_80x24", &screen);
}

#[test]
fn a_target_narrowed_by_its_keys_shows_fewer_levels() {
    let _buffer = records(&[
        (Level::Warn, CLIENT, "client warning"),
        (Level::Error, CLIENT, "client error"),
        (Level::Info, CONSOLE, "console info"),
        (Level::Warn, STORE, "store warning"),
    ]);
    let mut s = state();
    let pane = LogPaneState::default();
    key(&mut s, &pane, KeyName::Char('T'));
    let screen = draw(&s, &pane, (100, 9));
    assert!(screen.contains("client warning"), "{screen}");
    // Select the client's target, then show fewer of its levels until only errors are left
    // (each key acts on what the last frame showed, as in the console).
    let row = screen
        .lines()
        .skip(1)
        .position(|l| l.contains(CLIENT))
        .expect("the client's target is listed");
    for _ in 0..row {
        key(&mut s, &pane, KeyName::Down);
        let _ = draw(&s, &pane, (100, 9));
    }
    // Trace, debug, info, warn: four keys from everything to errors alone.
    for _ in 0..4 {
        key(&mut s, &pane, KeyName::Left);
        let _ = draw(&s, &pane, (100, 9));
    }
    let screen = draw(&s, &pane, (100, 9));
    assert!(!screen.contains("client warning"), "{screen}");
    assert!(screen.contains("client error"), "{screen}");
    assert!(
        screen.contains("store warning"),
        "other targets untouched: {screen}"
    );
    assert!(screen.contains("console info"), "{screen}");
    snapshot("console_log_narrowed", &screen);
}
