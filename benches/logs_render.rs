//! Render cost of the logs pane with 1,000 and with 1,000,000 lines buffered (200x50, one
//! container, following; then paused in the middle; then with a filter on and a search
//! highlighted). Render reads only the lines on screen (and the filter keeps an index of
//! matching lines as they arrive), so the two sizes should cost the same.
//!
//! `cargo bench --bench logs_render`

use std::time::Instant;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use fleetdeck::app::keymap::Keymap;
use fleetdeck::app::logs::LogsMsg;
use fleetdeck::app::{AppState, Msg, Settings, update};
use fleetdeck::config::keys::{KeyChord, KeyName};
use fleetdeck::engine::logs::{LogEvent, LogLine, LogMessage, LogStream};
use fleetdeck::engine::{Container, ContainerId, FleetUpdate, RunState};
use fleetdeck::ui::theme::Theme;
use fleetdeck::ui::{ViewState, render};

fn key(state: &mut AppState, k: KeyChord) {
    let _ = update(state, Msg::Key(k));
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        key(state, KeyChord::char(c));
    }
}

/// The pane open on one container holding `lines` lines.
fn state(lines: usize) -> AppState {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut settings = Settings::default();
    settings.logs.max_lines = lines;
    settings.logs.max_bytes = lines * 64;
    let mut state = AppState::new(settings, Keymap::default(), true, now);
    let _ = update(
        &mut state,
        Msg::Resize {
            width: 200,
            height: 50,
        },
    );
    let id = ContainerId(format!("{:064x}", 1));
    let mut c = Container::new(id.clone(), "web-1".into());
    c.state = RunState::Running;
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            fleetdeck::engine::LOCAL_HOST.to_string(),
            vec![c],
        )),
    );
    key(&mut state, KeyChord::char('l'));
    let at = Instant::now();
    let mut n = 0;
    while n < lines {
        let batch: Vec<LogLine> = (n..(n + 1024).min(lines))
            .map(|i| LogLine {
                stream: if i % 7 == 3 {
                    LogStream::Stderr
                } else {
                    LogStream::Stdout
                },
                time: Some(now + chrono::Duration::milliseconds(i as i64)),
                text: format!("GET /api/items/{i} 200 {}ms user-agent=bench/1.0", i % 13),
            })
            .collect();
        n += batch.len();
        let _ = update(
            &mut state,
            Msg::Logs(LogsMsg::Stream {
                message: LogMessage {
                    container: id.clone(),
                    event: LogEvent::Lines(batch),
                },
                at,
            }),
        );
    }
    state
}

fn bench_logs(c: &mut Criterion) {
    let mut view = ViewState::new(Theme::default());
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    for lines in [1_000, 1_000_000] {
        let mut s = state(lines);
        let held = s.logs.as_ref().map_or(0, |l| l.buffer().len());
        assert_eq!(held, lines, "the buffer holds every line");
        c.bench_function(
            &format!("render logs following, {lines} lines 200x50"),
            |b| {
                b.iter(|| {
                    terminal
                        .draw(|frame| render(frame, &s, &mut view))
                        .expect("draw");
                });
            },
        );
        // Paused in the middle, timestamps on.
        key(&mut s, KeyChord::char('t'));
        key(&mut s, KeyChord::plain(KeyName::Home));
        for _ in 0..(lines / 2 / 48) {
            key(&mut s, KeyChord::plain(KeyName::PageDown));
        }
        c.bench_function(&format!("render logs paused, {lines} lines 200x50"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| render(frame, &s, &mut view))
                    .expect("draw");
            });
        });
        // A filter (about one line in seven) and a search highlighted.
        key(&mut s, KeyChord::char('&'));
        type_text(&mut s, "^GET /api/items/[0-9]*3 ");
        key(&mut s, KeyChord::plain(KeyName::Enter));
        key(&mut s, KeyChord::char('/'));
        type_text(&mut s, "200");
        key(&mut s, KeyChord::plain(KeyName::Enter));
        c.bench_function(
            &format!("render logs filtered + search, {lines} lines 200x50"),
            |b| {
                b.iter(|| {
                    terminal
                        .draw(|frame| render(frame, &s, &mut view))
                        .expect("draw");
                });
            },
        );
    }
}

criterion_group!(benches, bench_logs);
criterion_main!(benches);
