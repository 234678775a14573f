//! Snapshots of the triage view (problems, a selected one, none), the GPU pane (the fixture's
//! two GPUs, one over the threshold; NVML unavailable; not sampled yet), the list's GPU column
//! (and its absence without a GPU), and the problem count of the status bar in every view; at
//! 80x24 and 160x48.

use ratatui::style::Color;

use crate::app::fixture::{container, gpu_report, now, select, state_at};
use crate::app::{AppState, Msg, update};
use crate::config::keys::KeyChord;
use crate::engine::{FleetUpdate, Health, RunState};
use crate::gpu::{GpuReport, GpuState, Unavailable};
use crate::ui::tests::{draw, snapshot, text};
use crate::ui::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn key(state: &mut AppState, c: char) {
    let _ = update(state, Msg::Key(KeyChord::char(c)));
}

fn with_gpu(state: &mut AppState, report: GpuReport) {
    let _ = update(
        state,
        Msg::Gpu(Box::new(GpuState::Available { report, at: now() })),
    );
    // The clock finds the GPU's problem (outside the view, inputs wait for it).
    let _ = update(state, Msg::Tick(now()));
}

/// The fixture's report with its two containers renamed to two of the fixed fleet's.
fn fleet_gpu_report(state: &AppState) -> GpuReport {
    let mut report = gpu_report();
    let id = |name: &str| {
        state
            .fleet
            .containers()
            .find(|c| c.name == name)
            .map(|c| c.id.0.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let rename = |from: &str| match from {
        "trainer" => ("shop-db-1", id("shop-db-1")),
        _ => ("shop-web-1", id("shop-web-1")),
    };
    for c in &mut report.containers {
        let (name, id) = rename(&c.name);
        c.name = name.into();
        c.id = id;
    }
    for p in &mut report.processes {
        if let Some(c) = p.container.as_mut() {
            let (name, id) = rename(&c.name);
            c.name = name.into();
            c.id = id;
        }
    }
    report
}

#[test]
fn triage_view() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let report = gpu_report();
        with_gpu(&mut s, report);
        key(&mut s, 't');
        key(&mut s, 'j');
        snapshot("triage", &s);
    }
}

#[test]
fn triage_view_without_problems() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let mut web = container("web-1", "nginx:1.25", RunState::Running);
        web.health = Some(Health::Healthy);
        web.started_at = Some(now() - chrono::Duration::seconds(600));
        let mut done = container("migrate", "busybox:latest", RunState::Exited);
        done.exit_code = Some(0);
        done.finished_at = Some(now() - chrono::Duration::seconds(60));
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Snapshot(
                crate::engine::LOCAL_HOST.to_string(),
                vec![web, done],
            )),
        );
        key(&mut s, 't');
        snapshot("triage_empty", &s);
    }
}

#[test]
fn status_bar_counts_problems_in_every_view() {
    let mut s = state_at(160, 48);
    assert!(text(&s).contains("‼ 4 problems (t)"), "{}", text(&s));
    select(&mut s, "shop-db-1");
    key(&mut s, 'i');
    assert!(text(&s).contains("‼ 4 problems (t)"), "inspect");
    key(&mut s, 't');
    assert!(text(&s).contains("‼ 4 problems (t)"), "triage");
    key(&mut s, '6');
    assert!(text(&s).contains("‼ 4 problems (t)"), "gpu");
    key(&mut s, '?');
    assert!(text(&s).contains("‼ 4 problems (t)"), "help");
    // Fewer problems, fewer counted; none, said so.
    let healthy = container("web-1", "nginx:1.25", RunState::Running);
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![healthy],
        )),
    );
    assert!(text(&s).contains("✓ no problems"), "{}", text(&s));
    // The worst severity colours it, and a glyph says it without colour.
    let s = state_at(80, 24);
    let terminal = draw(&s, Theme::default());
    let buffer = terminal.backend().buffer();
    let row = 23;
    let x = (0..80)
        .find(|x| buffer[(*x, row)].symbol() == "‼")
        .expect("the count's glyph");
    assert_eq!(buffer[(x, row)].fg, Color::Red);
}

#[test]
fn gpu_pane() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        with_gpu(&mut s, gpu_report());
        key(&mut s, '6');
        snapshot("gpu", &s);
    }
    let mut s = state_at(80, 24);
    with_gpu(&mut s, gpu_report());
    key(&mut s, '6');
    let screen = text(&s);
    assert!(screen.contains("(gone)"), "{screen}");
}

#[test]
fn gpu_pane_unavailable_and_not_yet_sampled() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let _ = update(
            &mut s,
            Msg::Gpu(Box::new(GpuState::Unavailable {
                reason: Unavailable::LibraryNotFound(
                    "libnvidia-ml.so.1: cannot open shared object file".into(),
                ),
            })),
        );
        key(&mut s, '6');
        snapshot("gpu_unavailable", &s);
        // Nothing else shows a trace of it: the list has no GPU column.
        key(&mut s, '6');
        assert!(!text(&s).contains("GPU MEM"), "{}", text(&s));
    }
    let mut s = state_at(80, 24);
    key(&mut s, '6');
    assert!(text(&s).contains("sampling the GPUs"), "{}", text(&s));
}

#[test]
fn list_gpu_column() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let report = fleet_gpu_report(&s);
        with_gpu(&mut s, report);
        select(&mut s, "shop-web-1");
        snapshot("list_gpu", &s);
        let screen = text(&s);
        assert!(screen.contains("GPU MEM"), "{screen}");
        assert!(screen.contains("76.0 GiB"), "{screen}");
    }
}

#[test]
fn no_size_panics_in_triage_and_gpu() {
    for (w, h) in [
        (20, 5),
        (1, 1),
        (0, 0),
        (10, 3),
        (40, 10),
        (79, 23),
        (300, 100),
    ] {
        let mut s = state_at(w, h);
        with_gpu(&mut s, gpu_report());
        for c in ['t', 'j', 'G', 'd', 'n', '6', 'G', 'j', '6'] {
            key(&mut s, c);
            let _ = draw(&s, Theme::default());
        }
    }
}

#[test]
fn no_color_in_triage_and_gpu() {
    let mut s = state_at(160, 48);
    with_gpu(&mut s, gpu_report());
    key(&mut s, 't');
    for view in ['t', '6'] {
        if view == '6' {
            key(&mut s, '6');
        }
        let terminal = draw(&s, Theme::plain());
        for cell in terminal.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        }
    }
}

/// The GPU pane's line count (what `update` scrolls by) is the lines drawn at any width (render
/// also checks it on every frame, in debug builds only), over widths where the reason wraps
/// differently, NVML unavailable and with the fixture's GPUs.
#[test]
fn gpu_line_count_is_the_lines_drawn_at_any_width() {
    let theme = Theme::plain();
    let same_at = |s: &AppState, width: usize| {
        assert_eq!(
            crate::app::gpu::line_count(s, width),
            crate::ui::gpu::lines(s, width, &theme).len(),
            "width {width}: {:?}",
            s.gpu
        );
    };
    for w in [20, 31, 47, 64, 80, 123] {
        let mut s = state_at(w, 24);
        let _ = update(
            &mut s,
            Msg::Gpu(Box::new(GpuState::Unavailable {
                reason: Unavailable::LibraryNotFound(
                    "libnvidia-ml.so.1: cannot open shared object file: no such file".into(),
                ),
            })),
        );
        key(&mut s, '6');
        let _ = text(&s);
        for width in 0..=usize::from(w) {
            same_at(&s, width);
        }
        let report = fleet_gpu_report(&s);
        with_gpu(&mut s, report);
        let _ = text(&s);
        for width in 0..=usize::from(w) {
            same_at(&s, width);
        }
    }
}
