//! Render cost of the container list: 1,000 containers (in 20 compose projects, with stats on
//! the rows on screen) drawn into a 200x50 `TestBackend`. Render formats only the rows on
//! screen, so this stays flat as the fleet grows. Also the cost of `update` re-sorting the
//! rows after a re-sort key, which is O(fleet); and of one stats sample and of one event that
//! leaves its row in place applied to a 5,000-container state, which must not grow with the
//! fleet (O(1)-ish: no rebuild of the rows).

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use fleetdeck::app::keymap::Keymap;
use fleetdeck::app::{AppState, Msg, Settings, StatsSource, update};
use fleetdeck::config::keys::KeyChord;
use fleetdeck::engine::stats::StatsSample;
use fleetdeck::engine::{Container, ContainerId, FleetUpdate, Health, Port, RunState};
use fleetdeck::engine::{ContainerEvent, EventAction};
use fleetdeck::ui::theme::Theme;
use fleetdeck::ui::{ViewState, render};

fn fleet(n: usize) -> Vec<Container> {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            let mut c = Container::new(ContainerId(format!("{i:064x}")), format!("svc-{i:04}"));
            c.image = format!("registry.example/team/app-{}:1.{}", i % 37, i % 11);
            c.state = match i % 10 {
                0 => RunState::Exited,
                1 => RunState::Paused,
                _ => RunState::Running,
            };
            c.health = match i % 4 {
                0 => Some(Health::Healthy),
                1 => Some(Health::Unhealthy),
                _ => None,
            };
            c.exit_code = (c.state == RunState::Exited).then_some(137);
            c.oom_killed = i % 20 == 0;
            c.started_at = Some(now - chrono::Duration::seconds(i as i64 * 37));
            c.finished_at = Some(now - chrono::Duration::seconds(i as i64 * 11));
            c.restart_count = Some((i % 7) as u64);
            c.ports = vec![Port {
                private: 8000 + (i % 100) as u16,
                public: Some(30000 + i as u16),
                ip: Some("0.0.0.0".into()),
                protocol: "tcp".into(),
            }];
            let mut labels = BTreeMap::new();
            if i % 5 != 0 {
                labels.insert(
                    "com.docker.compose.project".into(),
                    format!("project-{}", i % 20),
                );
            }
            c.set_labels(labels);
            c
        })
        .collect()
}

fn state() -> AppState {
    state_of(1000, Settings::default())
}

fn state_of(n: usize, settings: Settings) -> AppState {
    let now = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut state = AppState::new(settings, Keymap::default(), true, now);
    let _ = update(
        &mut state,
        Msg::Resize {
            width: 200,
            height: 50,
        },
    );
    let effects = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            fleetdeck::engine::LOCAL_HOST.to_string(),
            fleet(n),
        )),
    );
    let _ = effects;
    // Move into the middle of the fleet, then feed stats for the rows on screen.
    for _ in 0..500 {
        let _ = update(&mut state, Msg::Key(KeyChord::char('j')));
    }
    for (i, id) in state.watched.clone().into_iter().enumerate() {
        let _ = update(
            &mut state,
            Msg::Stats(StatsSample {
                id,
                cpu_percent: Some(i as f64 * 1.5),
                memory_used: (i as u64 + 1) * 50 * 1024 * 1024,
                memory_limit: Some(8 << 30),
            }),
        );
    }
    state
}

fn bench_render(c: &mut Criterion) {
    let state = state();
    let mut view = ViewState::new(Theme::default());
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    c.bench_function("render list 1000 containers 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| render(frame, &state, &mut view))
                .expect("draw");
        });
    });
    let mut state = state.clone();
    c.bench_function("update: re-sort 1000 containers", |b| {
        b.iter(|| update(&mut state, Msg::Key(KeyChord::char('O'))));
    });
}

/// One message applied to a 5,000-container state: a stats sample (cgroup stats, so every
/// running container is followed) and an event that leaves its row where it is.
fn bench_one_message(c: &mut Criterion) {
    let settings = Settings {
        stats_source: StatsSource::Cgroup {
            layout: "cgroup v2 (systemd driver) at /sys/fs/cgroup".into(),
        },
        ..Settings::default()
    };
    let mut state = state_of(5000, settings);
    let id = ContainerId(format!("{:064x}", 4242));
    let mut cpu = 0.0;
    c.bench_function("update: one stats sample, 5000 containers", |b| {
        b.iter(|| {
            cpu = if cpu > 50.0 { 0.0 } else { cpu + 1.0 };
            update(
                &mut state,
                Msg::Stats(StatsSample {
                    id: id.clone(),
                    cpu_percent: Some(cpu),
                    memory_used: 64 << 20,
                    memory_limit: Some(8 << 30),
                }),
            )
        });
    });
    c.bench_function("update: one event in place, 5000 containers", |b| {
        b.iter(|| {
            let event = ContainerEvent {
                host: fleetdeck::engine::LOCAL_HOST.to_string(),
                id: id.clone(),
                name: None,
                image: None,
                action: EventAction::Kill(Some("15".into())),
                time: None,
                pod: None,
                attributes: Default::default(),
            };
            update(&mut state, Msg::Fleet(FleetUpdate::Event(event)))
        });
    });
}

criterion_group!(benches, bench_render, bench_one_message);

/// The floor: what `Terminal::draw` costs at 200x50 with nothing drawn (buffer diff and the
/// test backend's writes), to read the list's own share.
fn bench_empty(c: &mut Criterion) {
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    c.bench_function("draw nothing 200x50", |b| {
        b.iter(|| {
            terminal.draw(|_| {}).expect("draw");
        });
    });
}

criterion_group!(floor, bench_empty);
criterion_main!(benches, floor);
