//! `update` tables for the compose project: the read at start, the marks and missing rows from
//! the plan, `:plan`, `:apply` with its confirm (and under `--read-only`), the outcomes in the
//! status line, and the plan pane's keys. Without a file nothing of it exists.

use std::sync::Arc;

use super::compose::{ComposeMsg, Drift, SharedProject};
use super::fixture::{
    ch, compose_fleet, compose_state_at, container, press, shop_project, state, type_text,
};
use super::keymap::KeyMode;
use super::rows::Row;
use super::{AppState, Base, Effect, Msg, Overlay, update};
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::{ContainerId, FleetUpdate, RunState};
use crate::reconcile::apply::{ApplyReport, Progress, StepOutcome};
use crate::reconcile::plan::{Action, Step};

fn command(s: &mut AppState, line: &str) -> Vec<Effect> {
    press(s, ch(':'));
    type_text(s, line);
    press(s, KeyChord::plain(KeyName::Enter))
}

fn status(s: &AppState) -> (String, bool) {
    s.status
        .as_ref()
        .map(|l| (l.text.clone(), l.is_error))
        .unwrap_or_default()
}

fn id_of(s: &AppState, name: &str) -> ContainerId {
    s.fleet
        .containers()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .unwrap_or_else(|| panic!("no {name}"))
}

fn drift(s: &AppState, name: &str) -> Option<Drift> {
    let id = id_of(s, name);
    s.compose.as_ref()?.drift_of(&id).cloned()
}

fn row_names(s: &AppState) -> Vec<String> {
    s.rows
        .iter()
        .map(|r| match r {
            Row::Group { key, .. } => format!("[{}]", key.as_deref().unwrap_or("-")),
            Row::Container(id) => s.fleet.get(id).map(|c| c.name.clone()).unwrap_or_default(),
            Row::Missing(name) => format!("({name})"),
        })
        .collect()
}

fn outcome(step: &Step, ok: bool, word: &str, error: Option<&str>) -> StepOutcome {
    StepOutcome {
        step: step.clone(),
        ok,
        outcome: word.parse().expect("an outcome word"),
        error: error.map(str::to_string),
        container: step.container.clone(),
    }
}

fn steps(s: &AppState) -> Vec<Step> {
    s.compose
        .as_ref()
        .and_then(|c| c.plan.as_ref())
        .map(|p| p.steps.clone())
        .unwrap_or_default()
}

#[test]
fn without_a_file_nothing_of_it_exists() {
    let mut s = state();
    assert!(s.compose.is_none());
    assert!(!s.shows_drift());
    for verb in ["plan", "apply"] {
        let effects = command(&mut s, verb);
        assert!(effects.is_empty(), "{verb}: {effects:?}");
        assert_eq!(
            status(&s),
            (
                format!("{verb}: no compose file (start fleetdeck with -f FILE)"),
                true
            )
        );
        assert_eq!(s.base, Base::List);
    }
    // Messages about a project the console does not have change nothing.
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Reload));
    assert!(s.compose.is_none());
}

#[test]
fn the_files_are_read_at_start_and_a_bad_file_leaves_the_console_running() {
    let mut s = state();
    super::compose::start(
        &mut s,
        vec!["a.yaml".into(), "b.yaml".into()],
        Some("p".into()),
    );
    let effects = update(&mut s, Msg::Compose(ComposeMsg::Reload));
    assert!(effects.contains(&Effect::LoadCompose {
        files: vec!["a.yaml".into(), "b.yaml".into()],
        project_name: Some("p".into()),
    }));
    assert!(s.compose.as_ref().is_some_and(|c| c.loading));
    let error = "a.yaml:3: services.web.bogus: unknown key".to_string();
    let failed = Err(crate::app::LoadError::Compose(error.clone()));
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Loaded(failed)));
    assert_eq!(status(&s), (format!("compose: {error}"), true));
    assert!(!s.shows_drift());
    assert!(s.rows.iter().all(|r| !matches!(r, Row::Missing(_))));
    // Still a console: keys work, and :apply says why it cannot.
    press(&mut s, ch('j'));
    command(&mut s, "apply");
    assert_eq!(status(&s), (format!("apply: {error}"), true));
}

#[test]
fn the_plan_marks_each_container_and_lists_the_missing_ones() {
    let s = compose_state_at(80, 24);
    assert!(s.shows_drift());
    assert_eq!(drift(&s, "shop-web-1"), Some(Drift::InSync));
    assert_eq!(
        drift(&s, "shop-db-1"),
        Some(Drift::Drifted(vec!["environment".into()]))
    );
    assert_eq!(drift(&s, "shop-worker-1"), Some(Drift::Stopped));
    assert_eq!(drift(&s, "shop-old-1"), Some(Drift::Orphan));
    assert_eq!(drift(&s, "cache"), Some(Drift::Conflict));
    assert_eq!(drift(&s, "api"), None);
    // The missing replica is listed last in the project's group.
    let names = row_names(&s);
    let shop = names
        .iter()
        .position(|n| n == "[shop]")
        .expect("shop group");
    let rest = names.iter().position(|n| n == "[-]").expect("the rest");
    assert_eq!(names[rest - 1], "(shop-web-2)", "{names:?}");
    assert!(shop < rest);
    let marks: Vec<String> = [
        Drift::InSync,
        Drift::Drifted(vec!["environment".into(), "image".into()]),
        Drift::Stopped,
        Drift::Extra,
        Drift::Orphan,
        Drift::Conflict,
    ]
    .iter()
    .map(Drift::mark)
    .collect();
    assert_eq!(
        marks,
        [
            "✓",
            "≠ env,image",
            "▸ stopped",
            "− extra",
            "orphan",
            "conflict"
        ]
    );
}

#[test]
fn missing_rows_follow_the_filter_and_the_fold() {
    let mut s = compose_state_at(80, 24);
    press(&mut s, ch('/'));
    type_text(&mut s, "web");
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(
        row_names(&s),
        ["[shop]", "shop-web-1", "(shop-web-2)"],
        "the filter reads a missing row as the container it would be"
    );
    press(&mut s, KeyChord::plain(KeyName::Esc));
    s.selected = 0;
    press(&mut s, ch('z'));
    assert!(!row_names(&s).iter().any(|n| n == "(shop-web-2)"));
    // Enter on a missing row says what it is; actions have no target there.
    press(&mut s, ch('z'));
    let i = s
        .rows
        .iter()
        .position(|r| matches!(r, Row::Missing(_)))
        .expect("a missing row");
    s.selected = i;
    assert!(s.targets().is_empty());
    press(&mut s, KeyChord::plain(KeyName::Enter));
    assert_eq!(
        status(&s),
        (
            "shop-web-2 does not exist yet (:apply creates it)".into(),
            false
        )
    );
}

#[test]
fn fleet_changes_move_the_marks() {
    let mut s = compose_state_at(80, 24);
    // The missing replica appears, as apply would make it.
    let project = shop_project();
    let mut web2 = container("shop-web-2", "nginx:1.25", RunState::Running);
    web2.set_labels(crate::reconcile::plan::container_labels(
        &project,
        &project.services[0],
        2,
        None,
    ));
    let mut fleet = compose_fleet();
    fleet.push(web2);
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet,
        )),
    );
    assert_eq!(drift(&s, "shop-web-2"), Some(Drift::InSync));
    assert!(s.compose.as_ref().is_some_and(|c| c.missing.is_empty()));
    assert!(!s.rows.iter().any(|r| matches!(r, Row::Missing(_))));
    // The stopped worker starts: in sync.
    let worker = id_of(&s, "shop-worker-1");
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Event(crate::engine::ContainerEvent {
            host: crate::engine::LOCAL_HOST.to_string(),
            id: worker,
            name: Some("shop-worker-1".into()),
            image: None,
            action: crate::engine::EventAction::Start,
            time: None,
            pod: None,
            attributes: Default::default(),
        })),
    );
    assert_eq!(drift(&s, "shop-worker-1"), Some(Drift::InSync));
}

#[test]
fn plan_reads_the_files_again_then_shows_the_plan() {
    let mut s = compose_state_at(80, 24);
    let effects = command(&mut s, "plan");
    assert!(effects.contains(&Effect::LoadCompose {
        files: vec!["/srv/shop/compose.yaml".into()],
        project_name: None,
    }));
    assert_eq!(s.base, Base::List, "the pane opens once the files are read");
    let _ = update(
        &mut s,
        Msg::Compose(ComposeMsg::Loaded(Ok(SharedProject(Arc::new(
            shop_project(),
        ))))),
    );
    assert_eq!(s.base, Base::Plan);
    assert_eq!(s.key_mode(), Some(KeyMode::Plan));
    assert_eq!(
        status(&s),
        (
            "plan shop: 1 conflict, 1 create, 1 orphan, 1 recreate, 1 start, 1 unchanged".into(),
            false
        )
    );
    // Esc closes it; ? lists its keys.
    press(&mut s, ch('?'));
    assert_eq!(s.overlay, Some(Overlay::Help));
    press(&mut s, KeyChord::plain(KeyName::Esc));
    press(&mut s, KeyChord::plain(KeyName::Esc));
    assert_eq!(s.base, Base::List);
}

#[test]
fn apply_asks_first_and_runs_the_plan_on_yes() {
    let mut s = compose_state_at(80, 24);
    let effects = command(&mut s, "apply");
    assert!(effects.is_empty(), "nothing runs before the yes");
    assert_eq!(s.base, Base::Plan);
    assert_eq!(s.overlay, Some(Overlay::Confirm));
    let (question, destructive) = super::compose::question(&s).expect("asking about the plan");
    assert_eq!(question, "apply shop: create 1, recreate 1, start 1");
    assert!(destructive, "a recreate removes a container");
    // No: nothing runs.
    let effects = press(&mut s, ch('n'));
    assert!(effects.is_empty());
    assert_eq!(s.overlay, None);
    assert_eq!(status(&s), ("cancelled: apply shop".into(), false));
    // The pane's own key asks again; yes runs it.
    press(&mut s, ch('A'));
    assert_eq!(s.overlay, Some(Overlay::Confirm));
    let effects = press(&mut s, ch('y'));
    let plan = s
        .compose
        .as_ref()
        .and_then(|c| c.plan.clone())
        .expect("a plan");
    assert_eq!(
        effects,
        vec![Effect::ApplyPlan {
            project: SharedProject(Arc::new(shop_project())),
            plan,
        }]
    );
    assert_eq!(status(&s), ("applying shop: 3 steps …".into(), false));
    assert!(s.compose.as_ref().is_some_and(|c| c.applying));
    // A second apply while one runs is refused.
    let effects = command(&mut s, "apply");
    assert!(effects.is_empty());
    assert_eq!(status(&s), ("apply: already running".into(), true));
    assert_eq!(s.overlay, None);
}

#[test]
fn apply_is_refused_read_only_and_has_nothing_to_do_in_sync() {
    let mut s = compose_state_at(80, 24);
    s.settings.read_only = true;
    let effects = command(&mut s, "apply");
    assert!(effects.is_empty());
    assert_eq!(s.overlay, None);
    assert_eq!(s.base, Base::Plan, "looking at the plan is allowed");
    assert_eq!(
        status(&s),
        (
            "read-only: apply is unavailable (fleetdeck was started with --read-only)".into(),
            true
        )
    );
    // A project in sync: nothing to ask about.
    let mut s = compose_state_at(80, 24);
    let mut project = shop_project();
    project.services.retain(|svc| svc.name == "web");
    project.services[0].replicas = 1;
    let _ = update(
        &mut s,
        Msg::Compose(ComposeMsg::Loaded(Ok(SharedProject(Arc::new(project))))),
    );
    let effects = command(&mut s, "apply");
    assert!(effects.is_empty());
    assert_eq!(s.overlay, None);
    assert_eq!(
        status(&s),
        (
            "plan shop: 3 orphan, 1 unchanged: nothing to apply".into(),
            false
        )
    );
}

#[test]
fn outcomes_come_back_to_the_status_line() {
    let mut s = compose_state_at(80, 24);
    command(&mut s, "apply");
    press(&mut s, ch('y'));
    let plan = steps(&s);
    let step = |word: &str| {
        plan.iter()
            .find(|st| st.action.word() == word)
            .cloned()
            .unwrap_or_else(|| panic!("no {word} step"))
    };
    let first = outcome(&step("create"), true, "created", None);
    let _ = update(
        &mut s,
        Msg::Compose(ComposeMsg::Step(Box::new(first.clone()))),
    );
    assert_eq!(status(&s), ("applying shop: 1 of 6 steps …".into(), false));
    let line = Progress {
        service: "web".into(),
        kind: "build",
        line: "Step 2/3 : RUN make".into(),
    };
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Progress(Box::new(line))));
    assert_eq!(
        status(&s),
        ("building web: Step 2/3 : RUN make".into(), false)
    );
    let report = ApplyReport {
        project: "shop".into(),
        outcomes: vec![
            first,
            outcome(&step("recreate"), true, "recreated", None),
            outcome(&step("start"), true, "started", None),
            outcome(&step("unchanged"), true, "unchanged", None),
        ],
    };
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Applied(Box::new(report))));
    assert_eq!(
        status(&s),
        (
            "apply: 1 created, 1 recreated, 1 started, 0 failed".into(),
            false
        )
    );
    assert!(s.compose.as_ref().is_some_and(|c| !c.applying));
    // With a failure: the error style, the count and the first error.
    let report = ApplyReport {
        project: "shop".into(),
        outcomes: vec![
            outcome(&step("create"), true, "created", None),
            outcome(
                &step("recreate"),
                false,
                "failed",
                Some("creating shop-db-1: no such image postgres:16"),
            ),
        ],
    };
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Applied(Box::new(report))));
    assert_eq!(
        status(&s),
        (
            "apply: 1 created, 1 failed (shop-db-1: creating shop-db-1: no such image postgres:16)"
                .into(),
            true
        )
    );
    let report = ApplyReport {
        project: "shop".into(),
        outcomes: vec![outcome(&step("unchanged"), true, "unchanged", None)],
    };
    assert_eq!(
        super::compose::apply_summary(&report),
        ("apply: nothing to change".into(), false)
    );
    // A network made for the project is counted apart from the containers.
    let mut network = step("create");
    network.service = "(network)".into();
    network.name = "shop_default".into();
    let report = ApplyReport {
        project: "shop".into(),
        outcomes: vec![
            outcome(&network, true, "created", None),
            outcome(&step("create"), true, "created", None),
        ],
    };
    assert_eq!(
        super::compose::apply_summary(&report),
        (
            "apply: 1 created, 0 failed (+1 network/volume)".into(),
            false
        )
    );
}

#[test]
fn the_plan_pane_scrolls_within_its_steps() {
    let mut s = compose_state_at(80, 10);
    command(&mut s, "plan");
    let _ = update(
        &mut s,
        Msg::Compose(ComposeMsg::Loaded(Ok(SharedProject(Arc::new(
            shop_project(),
        ))))),
    );
    let (lines, page) = super::compose::geometry(&s);
    assert_eq!(lines, 6);
    assert!(page < lines, "{page}");
    let scroll = |s: &AppState| s.compose.as_ref().map_or(0, |c| c.scroll);
    press(&mut s, ch('G'));
    assert_eq!(scroll(&s), lines - page);
    press(&mut s, ch('j'));
    assert_eq!(scroll(&s), lines - page, "not past the end");
    press(&mut s, ch('k'));
    assert_eq!(scroll(&s), lines - page - 1);
    press(&mut s, ch('g'));
    assert_eq!(scroll(&s), 0);
    assert!(matches!(
        steps(&s).first().map(|st| &st.action),
        Some(Action::Unchanged | Action::Create)
    ));
}

#[test]
fn an_image_id_that_differs_from_the_container_s_marks_image_changed() {
    let mut s = compose_state_at(80, 24);
    let Some(plan) = s.compose.as_ref().and_then(|c| c.plan.clone()) else {
        panic!("a plan");
    };
    let Some(kept) = plan
        .steps
        .iter()
        .find(|st| st.action == Action::Unchanged)
        .cloned()
    else {
        panic!("an unchanged step: {plan:?}");
    };
    let project = s
        .compose
        .as_ref()
        .and_then(|c| c.project.clone())
        .expect("project");
    let image = project
        .0
        .service(&kept.service)
        .expect("service")
        .image
        .clone();
    let ids = [(image, "sha256:another".to_string())]
        .into_iter()
        .collect();
    let _ = update(&mut s, Msg::Compose(ComposeMsg::Images(ids)));
    let id = kept.container.expect("a container");
    let mark = s
        .compose
        .as_ref()
        .and_then(|c| c.drift_of(&id))
        .map(Drift::mark);
    assert_eq!(mark.as_deref(), Some("≠ image changed"));
}

/// A console started with `-f`, the files read before any container list came.
fn read_before_the_list() -> AppState {
    let mut s = AppState::new(
        super::Settings::default(),
        super::keymap::Keymap::default(),
        true,
        super::fixture::now(),
    );
    let _ = update(
        &mut s,
        Msg::Resize {
            width: 100,
            height: 30,
        },
    );
    super::compose::start(&mut s, vec!["/srv/shop/compose.yaml".into()], None);
    let _ = update(
        &mut s,
        Msg::Compose(ComposeMsg::Loaded(Ok(SharedProject(Arc::new(
            shop_project(),
        ))))),
    );
    s
}

#[test]
fn the_first_plan_summary_waits_for_the_container_list() {
    let mut s = read_before_the_list();
    let waiting = (
        "plan shop: waiting for the container list …".to_string(),
        false,
    );
    assert_eq!(status(&s), waiting);
    // The running containers come first: stopped ones may still exist, so it still waits.
    let running: Vec<_> = compose_fleet()
        .into_iter()
        .filter(|c| c.state == RunState::Running)
        .collect();
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Running(
            crate::engine::LOCAL_HOST.to_string(),
            running,
        )),
    );
    assert_eq!(status(&s), waiting);
    assert!(
        s.compose.as_ref().is_some_and(|c| c.missing.is_empty()),
        "no missing row before the list is in"
    );
    // The full list: the summary counts what exists (not "create" for it).
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            compose_fleet(),
        )),
    );
    assert_eq!(
        status(&s),
        (
            "plan shop: 1 conflict, 1 create, 1 orphan, 1 recreate, 1 start, 1 unchanged".into(),
            false
        )
    );
    assert_eq!(s.compose.as_ref().map(|c| c.missing.len()), Some(1));
    // Said once: a later change of the fleet leaves the status line alone.
    s.status = None;
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            compose_fleet(),
        )),
    );
    assert_eq!(s.status, None);
}

#[test]
fn apply_before_the_container_list_is_refused() {
    let mut s = read_before_the_list();
    let effects = command(&mut s, "apply");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(s.overlay, None);
    assert_eq!(
        status(&s),
        ("apply: waiting for the container list".into(), true)
    );
}
