//! Snapshots of the compose project on screen, at 80x24 and 160x48: the list's drift column
//! and missing rows, the plan pane with changes and in sync, the apply's confirm, its outcome
//! in the status line, a load error; and that the plan pane draws only its steps on screen.

use std::sync::Arc;

use super::tests::{snapshot, text};
use crate::app::compose::{ComposeMsg, SharedProject};
use crate::app::fixture::{ch, compose_state_at, press, select, shop_project, type_text};
use crate::app::{AppState, Msg, update};
use crate::config::keys::{KeyChord, KeyName};
use crate::reconcile::apply::{ApplyReport, Outcome, StepOutcome};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn command(s: &mut AppState, line: &str) {
    press(s, ch(':'));
    type_text(s, line);
    press(s, KeyChord::plain(KeyName::Enter));
}

fn loaded(s: &mut AppState, project: crate::reconcile::compose::Project) {
    let _ = update(
        s,
        Msg::Compose(ComposeMsg::Loaded(Ok(SharedProject(Arc::new(project))))),
    );
}

/// The plan pane open on the fixture's project.
fn plan_pane(w: u16, h: u16) -> AppState {
    let mut s = compose_state_at(w, h);
    command(&mut s, "plan");
    loaded(&mut s, shop_project());
    s
}

/// An apply of the fixture's plan, every mutating step done but the recreate.
fn applied(s: &mut AppState) {
    command(s, "apply");
    press(s, ch('y'));
    let steps = s
        .compose
        .as_ref()
        .and_then(|c| c.plan.as_ref())
        .map(|p| p.steps.clone())
        .unwrap_or_default();
    let outcomes = steps
        .iter()
        .map(|step| {
            let failed = step.action.word() == "recreate";
            StepOutcome {
                step: step.clone(),
                ok: !failed,
                outcome: match step.action.word() {
                    "create" => Outcome::Created,
                    "start" => Outcome::Started,
                    "recreate" => Outcome::Failed,
                    "remove" => Outcome::Removed,
                    "build" => Outcome::Built,
                    other => other.parse().expect("an outcome word"),
                },
                error: failed.then(|| "no such image: postgres:16".into()),
                container: step.container.clone(),
            }
        })
        .collect();
    let report = ApplyReport {
        project: "shop".into(),
        outcomes,
    };
    let _ = update(s, Msg::Compose(ComposeMsg::Applied(Box::new(report))));
}

#[test]
fn list_with_drift_marks_and_missing_rows() {
    for (w, h) in SIZES {
        let mut s = compose_state_at(w, h);
        select(&mut s, "shop-db-1");
        snapshot("compose_list", &s);
        let screen = text(&s);
        for mark in ["✓", "≠ env", "▸ stopped", "orphan", "conflict", "missing"] {
            assert!(screen.contains(mark), "{mark}:\n{screen}");
        }
        assert!(screen.contains("shop-web-2"), "{screen}");
    }
}

#[test]
fn plan_pane_with_changes_and_in_sync() {
    for (w, h) in SIZES {
        let s = plan_pane(w, h);
        snapshot("compose_plan", &s);
        let mut s = compose_state_at(w, h);
        command(&mut s, "plan");
        let mut project = shop_project();
        project.services.retain(|svc| svc.name == "web");
        project.services[0].replicas = 1;
        loaded(&mut s, project);
        snapshot("compose_plan_in_sync", &s);
    }
}

#[test]
fn apply_confirm_and_outcome() {
    for (w, h) in SIZES {
        let mut s = compose_state_at(w, h);
        command(&mut s, "apply");
        snapshot("compose_apply_confirm", &s);
        let mut s = compose_state_at(w, h);
        applied(&mut s);
        snapshot("compose_applied_plan", &s);
        press(&mut s, KeyChord::plain(KeyName::Esc));
        snapshot("compose_applied_list", &s);
    }
}

#[test]
fn load_error_in_the_status_line() {
    for (w, h) in SIZES {
        let mut s = crate::app::fixture::state_at(w, h);
        crate::app::compose::start(&mut s, vec!["/srv/shop/compose.yaml".into()], None);
        let _ = update(
            &mut s,
            Msg::Compose(ComposeMsg::Loaded(Err(crate::app::LoadError::Compose(
                "/srv/shop/compose.yaml:7: services.web.bogus: unknown key 'bogus'".into(),
            )))),
        );
        snapshot("compose_load_error", &s);
    }
}

#[test]
fn help_over_the_plan_pane_lists_its_keys() {
    let mut s = plan_pane(80, 24);
    press(&mut s, ch('?'));
    assert_eq!(
        crate::app::help::line_count(&s),
        super::help::lines(&s, &super::theme::Theme::plain()).len()
    );
    snapshot("compose_plan_help", &s);
}

#[test]
fn no_size_panics_with_a_project() {
    for (w, h) in [(0, 0), (1, 1), (20, 5), (40, 10), (79, 23), (300, 100)] {
        let mut s = plan_pane(w, h);
        let _ = text(&s);
        for c in ['j', 'G', '?', 'A', 'n'] {
            press(&mut s, ch(c));
            let _ = text(&s);
        }
        let mut s = compose_state_at(w, h);
        let _ = text(&s);
        applied(&mut s);
        let _ = text(&s);
    }
}
