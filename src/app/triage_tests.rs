//! `update()` cases of the triage view and the GPU pane: the keys that open them, the problems
//! found in the fixed fleet, a suggestion's key giving its effect through the confirm flow,
//! the history fed from fleet events, memory from stats, and GPU reports.

use std::collections::HashMap;

use chrono::Duration;

use crate::actions::{Action, Target};
use crate::app::fixture::{container, gpu_report, now, state, state_at};
use crate::app::keymap::KeyMode;
use crate::app::{AppState, Base, Effect, Msg, Overlay, update};
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::stats::StatsSample;
use crate::engine::{ContainerEvent, ContainerId, EventAction, FleetUpdate, RunState};
use crate::gpu::{self, GpuState};
use crate::triage::{ProblemKind, Severity, Suggestion};

fn press(state: &mut AppState, k: KeyChord) -> Vec<Effect> {
    update(state, Msg::Key(k))
        .into_iter()
        .filter(|e| !matches!(e, Effect::WatchStats(_)))
        .collect()
}

fn ch(state: &mut AppState, c: char) -> Vec<Effect> {
    press(state, KeyChord::char(c))
}

fn tick(state: &mut AppState, seconds: i64) {
    let at = state.now + Duration::seconds(seconds);
    let _ = update(state, Msg::Tick(at));
}

/// (subject, kind) of every problem, in order.
fn found(state: &AppState) -> Vec<(String, ProblemKind)> {
    state
        .triage
        .problems
        .iter()
        .map(|p| (p.subject.clone(), p.kind))
        .collect()
}

fn select_problem(state: &mut AppState, subject: &str) {
    let i = state
        .triage
        .problems
        .iter()
        .position(|p| p.subject == subject)
        .unwrap_or_else(|| panic!("no problem for {subject}: {:?}", found(state)));
    state.triage.selected = i;
}

fn target(state: &AppState, name: &str) -> Target {
    let c = state
        .fleet
        .containers()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    Target {
        id: c.id.clone(),
        name: name.into(),
    }
}

#[test]
fn the_fixed_fleet_has_its_problems_worst_first() {
    let s = state();
    assert_eq!(
        found(&s),
        [
            ("shop-worker-1".to_string(), ProblemKind::OomKilled),
            ("shop-db-1".to_string(), ProblemKind::Unhealthy),
            ("api".to_string(), ProblemKind::ExitedNonZero),
            ("old-1".to_string(), ProblemKind::Stuck),
        ]
    );
    let severities: Vec<Severity> = s.triage.problems.iter().map(|p| p.severity).collect();
    assert!(
        severities.windows(2).all(|w| w[0] >= w[1]),
        "{severities:?}"
    );
}

#[test]
fn t_opens_triage_and_t_or_esc_goes_back() {
    let mut s = state();
    // The view asks the loop to read a swarm manager's problems too (none without one).
    assert!(matches!(
        ch(&mut s, 't').as_slice(),
        [Effect::SwarmWatch(Some(w))] if w.problems
    ));
    assert_eq!(s.base, Base::Triage);
    assert_eq!(s.key_mode(), Some(KeyMode::Triage));
    ch(&mut s, 't');
    assert_eq!(s.base, Base::List);
    ch(&mut s, 't');
    press(&mut s, KeyChord::plain(KeyName::Esc));
    assert_eq!(s.base, Base::List);
    // The command line opens it too, and `?` shows the key.
    ch(&mut s, ':');
    for c in "triage".chars() {
        ch(&mut s, c);
    }
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(s.base, Base::Triage);
    let help: Vec<_> = s
        .keymap
        .commands(KeyMode::List)
        .map(|i| i.command)
        .collect();
    assert!(help.contains(&crate::config::keys::ConsoleCommand::Triage));
    assert!(help.contains(&crate::config::keys::ConsoleCommand::Gpu));
}

#[test]
fn moving_in_triage_moves_over_problems_not_the_list() {
    let mut s = state();
    let list_selected = s.selected;
    ch(&mut s, 't');
    assert_eq!(s.triage.selected, 0);
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    assert_eq!(s.triage.selected, 2);
    ch(&mut s, 'G');
    assert_eq!(s.triage.selected, 3);
    ch(&mut s, 'j');
    assert_eq!(s.triage.selected, 3, "stops at the last problem");
    ch(&mut s, 'g');
    assert_eq!(s.triage.selected, 0);
    assert_eq!(s.selected, list_selected);
}

#[test]
fn a_suggestion_key_acts_on_the_problem_s_container() {
    let mut s = state();
    ch(&mut s, 't');
    select_problem(&mut s, "api");
    let p = s.triage.selected_problem().expect("selected").clone();
    assert_eq!(p.suggestion, Suggestion::Restart);
    let effects = ch(&mut s, 'r');
    assert_eq!(
        effects,
        [Effect::RunAction {
            action: Action::Restart { timeout_s: 10 },
            targets: vec![target(&s, "api")],
        }]
    );
    assert_eq!(s.base, Base::Triage, "the view stays");
}

#[test]
fn remove_from_triage_asks_first() {
    let mut s = state();
    ch(&mut s, 't');
    select_problem(&mut s, "old-1");
    assert!(ch(&mut s, 'd').is_empty(), "nothing is removed yet");
    assert_eq!(s.overlay, Some(Overlay::Confirm));
    let pending = s.confirm.clone().expect("pending");
    assert_eq!(pending.targets, vec![target(&s, "old-1")]);
    assert_eq!(
        ch(&mut s, 'y'),
        [Effect::RunAction {
            action: Action::Remove {
                force: false,
                volumes: false
            },
            targets: vec![target(&s, "old-1")],
        }]
    );
}

#[test]
fn enter_inspects_the_problem_s_container_and_logs_open_for_it() {
    let mut s = state();
    ch(&mut s, 't');
    select_problem(&mut s, "shop-worker-1");
    let id = target(&s, "shop-worker-1").id;
    let effects = press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(
        effects,
        [
            Effect::FetchDetail(id.clone()),
            Effect::LoadHistory(id.clone()),
            // Leaving the triage view, the swarm's problems are no longer read.
            Effect::SwarmWatch(None),
        ]
    );
    assert_eq!(s.base, Base::Inspect);
    assert_eq!(s.inspect.as_ref().map(|v| v.id.clone()), Some(id));
    let mut s = state();
    ch(&mut s, 't');
    select_problem(&mut s, "shop-db-1");
    assert_eq!(s.targets(), vec![target(&s, "shop-db-1")]);
}

#[test]
fn read_only_refuses_the_suggestion() {
    let mut s = state();
    s.settings.read_only = true;
    ch(&mut s, 't');
    select_problem(&mut s, "api");
    assert!(ch(&mut s, 'r').is_empty());
    let status = s.status.clone().expect("says why");
    assert!(
        status.is_error && status.text.contains("read-only"),
        "{status:?}"
    );
}

#[test]
fn the_history_comes_from_fleet_events_and_finds_a_crash_loop() {
    let mut s = state();
    let mut c = container("flappy", "busybox:latest", RunState::Running);
    c.started_at = Some(now());
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![c.clone()],
        )),
    );
    assert!(found(&s).is_empty(), "{:?}", found(&s));
    for i in 0..3 {
        for action in [EventAction::Die(Some(3)), EventAction::Start] {
            let event = ContainerEvent {
                host: crate::engine::LOCAL_HOST.to_string(),
                id: c.id.clone(),
                name: Some("flappy".into()),
                image: None,
                action,
                time: Some(now() + Duration::seconds(i)),
                pod: None,
                attributes: HashMap::new(),
            };
            let _ = update(&mut s, Msg::Fleet(FleetUpdate::Event(event)));
        }
    }
    // Outside the view, events wait for the clock.
    assert!(s.triage.stale);
    tick(&mut s, 5);
    assert_eq!(found(&s), [("flappy".to_string(), ProblemKind::CrashLoop)]);
    let p = &s.triage.problems[0];
    assert!(p.reason.starts_with("died 3 times in 10m"), "{}", p.reason);
    assert!(s.dirty);
}

#[test]
fn in_the_view_problems_follow_events_by_the_next_frame() {
    let mut s = state();
    ch(&mut s, 't');
    let api = target(&s, "api").id;
    let event = ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: api,
        name: Some("api".into()),
        image: None,
        action: EventAction::Start,
        time: Some(now()),
        pod: None,
        attributes: HashMap::new(),
    };
    s.dirty = false;
    let _ = update(&mut s, Msg::Fleet(FleetUpdate::Event(event)));
    assert!(s.dirty);
    // Found again once per frame (the loop sends `Frame` before it draws), not per event.
    let _ = update(&mut s, Msg::Frame);
    assert!(
        !found(&s).iter().any(|(n, _)| n == "api"),
        "{:?}",
        found(&s)
    );
}

#[test]
fn memory_near_the_limit_comes_from_stats() {
    let mut s = state_at(80, 24);
    let web = target(&s, "shop-web-1").id;
    let mut fleet: Vec<_> = s.fleet.containers().cloned().collect();
    for c in &mut fleet {
        if c.id == web {
            c.memory_limit = Some(1000 << 20);
        }
    }
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet,
        )),
    );
    assert!(s.watched.contains(&web), "stats are watched for the row");
    let _ = update(
        &mut s,
        Msg::Stats(StatsSample {
            id: web.clone(),
            cpu_percent: Some(1.0),
            memory_used: 950 << 20,
            memory_limit: Some(1000 << 20),
        }),
    );
    tick(&mut s, 1);
    let p = s
        .triage
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::MemoryNearLimit)
        .expect("memory problem");
    assert_eq!(p.container_id.as_ref(), Some(&web));
    assert!(p.reason.contains("(95 %)"), "{}", p.reason);
}

#[test]
fn a_gpu_over_its_threshold_is_a_problem_whose_inspect_opens_the_gpu_pane() {
    let mut s = state();
    let report = gpu_report();
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available { report, at: now() })),
    );
    tick(&mut s, 1);
    ch(&mut s, 't');
    select_problem(&mut s, "GPU 0");
    assert_eq!(
        s.triage.selected_problem().map(|p| p.kind),
        Some(ProblemKind::GpuOverThreshold)
    );
    assert!(ch(&mut s, 'r').is_empty(), "no container to restart");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(s.base, Base::Gpu);
    assert_eq!(s.key_mode(), Some(KeyMode::Gpu));
}

#[test]
fn the_gpu_key_opens_the_pane_which_scrolls_and_closes() {
    let mut s = state_at(80, 16);
    ch(&mut s, '6');
    assert_eq!(s.base, Base::Gpu);
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available {
            report: gpu_report(),
            at: now(),
        })),
    );
    ch(&mut s, 'G');
    assert!(s.gpu_scroll > 0, "the report is longer than 80x16");
    ch(&mut s, 'g');
    assert_eq!(s.gpu_scroll, 0);
    press(&mut s, KeyChord::plain(KeyName::F(6)));
    assert_eq!(s.base, Base::List);
    ch(&mut s, ':');
    for c in "gpu".chars() {
        ch(&mut s, c);
    }
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(s.base, Base::Gpu);
    press(&mut s, KeyChord::plain(KeyName::Esc));
    assert_eq!(s.base, Base::List);
}

#[test]
fn gpu_reports_redraw_only_what_shows_them() {
    let mut s = state();
    let report = gpu_report();
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available {
            report: report.clone(),
            at: now(),
        })),
    );
    assert!(s.gpu_report().is_some());
    // The same report again, a second later: the list shows nothing new.
    s.dirty = false;
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available {
            report: report.clone(),
            at: now() + Duration::seconds(1),
        })),
    );
    assert!(!s.dirty);
    // A utilisation change shows in the GPU pane only.
    let mut busier = report;
    busier.gpus[1].info.utilization_pct = Some(50);
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available {
            report: busier.clone(),
            at: now(),
        })),
    );
    assert!(!s.dirty, "the list has no utilisation");
    ch(&mut s, '6');
    busier.gpus[1].info.utilization_pct = Some(60);
    s.dirty = false;
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Available {
            report: busier,
            at: now(),
        })),
    );
    assert!(s.dirty);
}

#[test]
fn an_unavailable_gpu_is_a_state() {
    let mut s = state();
    let _ = update(
        &mut s,
        Msg::Gpu(Box::new(GpuState::Unavailable {
            reason: gpu::Unavailable::DriverNotLoaded,
        })),
    );
    assert!(s.gpu_report().is_none());
    assert!(matches!(s.gpu, GpuState::Unavailable { .. }));
}

#[test]
fn history_is_forgotten_for_containers_gone_from_a_fresh_list() {
    let mut s = state();
    let gone = ContainerId("f".repeat(64));
    let event = ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: gone.clone(),
        name: Some("ghost".into()),
        image: None,
        action: EventAction::Die(Some(1)),
        time: Some(now()),
        pod: None,
        attributes: HashMap::new(),
    };
    let _ = update(&mut s, Msg::Fleet(FleetUpdate::Event(event)));
    let fleet: Vec<_> = s
        .fleet
        .containers()
        .filter(|c| c.id != gone)
        .cloned()
        .collect();
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet,
        )),
    );
    let mut probe = crate::triage::History::new();
    std::mem::swap(&mut probe, &mut s.triage.history);
    let before = format!("{probe:?}");
    assert!(!before.contains(&gone.0), "{before}");
}
