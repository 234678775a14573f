//! Snapshots of the charts: inspect's CPU and memory charts (with a memory limit, without one,
//! and before the first sample), the list's trend column, and the GPU pane's memory history;
//! at 80x24 and 160x48.

use crate::app::fixture::{gpu_report, now, state_at};
use crate::app::{AppState, Msg, StatsSource, update};
use crate::config::Column;
use crate::config::keys::KeyChord;
use crate::engine::stats::StatsSample;
use crate::engine::{ContainerId, RunState};
use crate::gpu::GpuState;
use crate::ui::tests::{inspecting, snapshot, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn cgroup(state: &mut AppState) {
    state.settings.stats_source = StatsSource::Cgroup {
        layout: "cgroup v2 (systemd driver) at /sys/fs/cgroup".into(),
    };
}

/// `n` samples of a container climbing and falling: CPU in a saw of 0..90 %, memory from
/// 100 MiB up by 3 MiB a sample.
fn feed(state: &mut AppState, id: &ContainerId, n: u64) {
    for i in 0..n {
        let _ = update(
            state,
            Msg::Stats(StatsSample {
                id: id.clone(),
                cpu_percent: Some(((i * 7) % 90) as f64),
                memory_used: (100 + 3 * i) << 20,
                memory_limit: Some(2 << 30),
            }),
        );
    }
}

fn inspected(w: u16, h: u16) -> (AppState, ContainerId) {
    let mut s = inspecting(w, h);
    cgroup(&mut s);
    let id = s
        .inspect
        .as_ref()
        .map(|v| v.id.clone())
        .expect("inspecting");
    (s, id)
}

#[test]
fn inspect_charts_with_a_limit() {
    for (w, h) in SIZES {
        let (mut s, id) = inspected(w, h);
        feed(&mut s, &id, 100);
        let screen = text(&s);
        assert!(screen.contains("limit 512 MiB"), "{screen}");
        snapshot("inspect_charts_limit", &s);
    }
}

#[test]
fn inspect_charts_without_a_limit() {
    for (w, h) in SIZES {
        let (mut s, id) = inspected(w, h);
        if let Some(detail) = s.inspect.as_mut().and_then(|v| v.detail.as_mut()) {
            detail.limits.memory_bytes = None;
        }
        feed(&mut s, &id, 40);
        let screen = text(&s);
        assert!(screen.contains("no limit"), "{screen}");
        snapshot("inspect_charts_no_limit", &s);
    }
}

#[test]
fn inspect_charts_before_the_first_sample() {
    for (w, h) in SIZES {
        let (s, _) = inspected(w, h);
        assert!(text(&s).contains("no samples yet"));
        snapshot("inspect_charts_no_samples", &s);
    }
}

#[test]
fn list_trend_column() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        cgroup(&mut s);
        // At 80 columns the trend (the least important) fits beside a few others.
        s.settings.columns = if w < 100 {
            vec![Column::Name, Column::State, Column::Cpu, Column::Trend]
        } else {
            vec![
                Column::Name,
                Column::State,
                Column::Status,
                Column::Cpu,
                Column::Memory,
                Column::Trend,
            ]
        };
        // In name order: each gets a fixed number of samples.
        let running: Vec<ContainerId> = s
            .fleet
            .sorted()
            .into_iter()
            .filter(|c| c.state == RunState::Running)
            .map(|c| c.id.clone())
            .collect();
        for (k, id) in running.iter().enumerate() {
            feed(&mut s, id, 5 + 3 * k as u64);
        }
        let _ = update(&mut s, Msg::Frame);
        let screen = text(&s);
        assert!(screen.contains("CPU TREND"), "{screen}");
        snapshot("list_trend", &s);
    }
}

#[test]
fn gpu_memory_history() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        for i in 0..40u64 {
            let mut report = gpu_report();
            // GPU 0 climbs to the report's figure, GPU 1 falls to it.
            for g in &mut report.gpus {
                let used = g.info.memory_used_bytes;
                g.info.memory_used_bytes = if g.info.index == 0 {
                    used / 40 * (i + 1)
                } else {
                    used / 40 * (79 - i)
                };
            }
            let _ = update(
                &mut s,
                Msg::Gpu(Box::new(GpuState::Available { report, at: now() })),
            );
        }
        let _ = update(&mut s, Msg::Key(KeyChord::char('6')));
        let screen = text(&s);
        assert!(screen.contains('▁') || screen.contains('█'), "{screen}");
        snapshot("gpu_history", &s);
    }
}
