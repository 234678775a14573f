//! Planner cases, and `apply_to_model`: a plan carried out on a list of containers, purely.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::compose::{Project, ServiceSpec};
use super::plan::*;
use super::{
    COMPOSE_HASH_LABEL, COMPOSE_NUMBER_LABEL, COMPOSE_ONEOFF_LABEL, COMPOSE_PROJECT_LABEL,
    COMPOSE_SERVICE_LABEL, OWNER_LABEL,
};
use crate::engine::model::{Container, ContainerId, RunState};

pub(super) fn project(name: &str, services: Vec<ServiceSpec>) -> Project {
    Project {
        name: name.to_string(),
        working_dir: PathBuf::from("/srv/app"),
        config_files: vec![PathBuf::from("/srv/app/compose.yaml")],
        services,
        disabled_services: Vec::new(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        ..Project::default()
    }
}

fn svc(name: &str, replicas: u32) -> ServiceSpec {
    let mut s = ServiceSpec::new(name, "nginx");
    s.replicas = replicas;
    s
}

/// Carries `plan` out on `model`: creates and recreates make running containers labelled as
/// [`container_labels`] says, starts run, removes remove; nothing else changes. `counter`
/// numbers new container ids.
pub(super) fn apply_to_model(
    project: &Project,
    plan: &Plan,
    model: &mut Vec<Container>,
    opts: &PlanOptions,
    counter: &mut u64,
) {
    let mut fresh = |step: &Step| {
        *counter += 1;
        let spec = project
            .service(&step.service)
            .expect("planned service exists");
        let number = step.number.expect("a wanted container has a number");
        let mut c = Container::new(ContainerId(format!("new{counter}")), step.name.clone());
        c.image = spec.image.clone();
        c.state = RunState::Running;
        let image_id = opts.image_ids.get(&spec.image).map(String::as_str);
        c.set_labels(container_labels(project, spec, number, image_id));
        c
    };
    for step in &plan.steps {
        let at = step
            .container
            .as_ref()
            .and_then(|id| model.iter().position(|c| &c.id == id));
        match (&step.action, at) {
            (Action::Create, _) => {
                let c = fresh(step);
                model.push(c);
            }
            (Action::Recreate { .. }, Some(i)) => {
                let c = fresh(step);
                model[i] = c;
            }
            (Action::Start, Some(i)) => model[i].state = RunState::Running,
            (Action::Remove { .. }, Some(i)) => {
                model.remove(i);
            }
            _ => {}
        }
    }
}

fn run(project: &Project, model: &mut Vec<Container>, opts: &PlanOptions) -> Plan {
    let plan = plan(project, model, opts);
    let mut counter = model.len() as u64 * 1000;
    apply_to_model(project, &plan, model, opts, &mut counter);
    plan
}

fn words(plan: &Plan) -> Vec<(String, &'static str)> {
    plan.steps
        .iter()
        .map(|s| (s.name.clone(), s.action.word()))
        .collect()
}

fn w(name: &str, word: &'static str) -> (String, &'static str) {
    (name.to_string(), word)
}

#[test]
fn from_empty_everything_is_created_in_dependency_order() {
    let mut web = svc("web", 3);
    web.depends_on.insert(
        "db".into(),
        super::compose::Dependency {
            condition: super::compose::Condition::ServiceHealthy,
            restart: false,
        },
    );
    let p = project("shop", vec![web, svc("db", 1)]);
    let plan = plan(&p, &[], &PlanOptions::default());
    assert_eq!(
        words(&plan),
        vec![
            w("shop-db-1", "create"),
            w("shop-web-1", "create"),
            w("shop-web-2", "create"),
            w("shop-web-3", "create")
        ]
    );
    assert_eq!(plan.steps[3].number, Some(3));
    assert!(!plan.is_noop());
    assert_eq!(plan.counts().get("create"), Some(&4));
}

#[test]
fn labels_follow_compose_and_carry_the_owner() {
    let p = project("shop", vec![svc("web", 1)]);
    let mut spec = svc("web", 1);
    spec.labels
        .insert(COMPOSE_PROJECT_LABEL.into(), "spoof".into());
    spec.labels.insert("team".into(), "ops".into());
    let labels = container_labels(&p, &spec, 2, Some("sha256:abc"));
    let get = |k: &str| labels.get(k).map(String::as_str);
    assert_eq!(get(COMPOSE_PROJECT_LABEL), Some("shop"));
    assert_eq!(get(COMPOSE_SERVICE_LABEL), Some("web"));
    assert_eq!(get(COMPOSE_NUMBER_LABEL), Some("2"));
    assert_eq!(get(COMPOSE_ONEOFF_LABEL), Some("False"));
    assert_eq!(get(OWNER_LABEL), Some("fleetdeck"));
    assert_eq!(
        get("com.docker.compose.project.working_dir"),
        Some("/srv/app")
    );
    assert_eq!(
        get("com.docker.compose.project.config_files"),
        Some("/srv/app/compose.yaml")
    );
    assert_eq!(get("com.docker.compose.image"), Some("sha256:abc"));
    assert_eq!(get("team"), Some("ops"));
    assert_eq!(get(COMPOSE_HASH_LABEL).map(str::len), Some(64));
    let mut named = svc("db", 1);
    named.container_name = Some("the-db".into());
    assert_eq!(container_name("shop", &named, 1), "the-db");
    assert_eq!(container_name("shop", &svc("db", 1), 4), "shop-db-4");
}

#[test]
fn second_plan_is_all_unchanged() {
    let p = project("shop", vec![svc("web", 2), svc("db", 1)]);
    let mut model = Vec::new();
    run(&p, &mut model, &PlanOptions::default());
    let again = plan(&p, &model, &PlanOptions::default());
    assert!(again.is_noop());
    assert!(again.steps.iter().all(|s| s.action == Action::Unchanged));
    assert_eq!(again.steps.len(), 3);
}

#[test]
fn an_env_change_recreates_only_that_service() {
    let p = project("shop", vec![svc("web", 2), svc("db", 1)]);
    let mut model = Vec::new();
    run(&p, &mut model, &PlanOptions::default());
    let mut changed = p.clone();
    changed.services[0]
        .environment
        .insert("MODE".into(), "fast".into());
    let plan = plan(&changed, &model, &PlanOptions::default());
    let recreate = Action::Recreate {
        changed: vec!["environment".into()],
    };
    assert_eq!(
        plan.steps.iter().filter(|s| s.action == recreate).count(),
        2
    );
    assert!(
        plan.steps
            .iter()
            .filter(|s| s.service == "db")
            .all(|s| s.action == Action::Unchanged)
    );
    assert!(
        plan.steps
            .iter()
            .filter(|s| s.action == recreate)
            .all(|s| s.service == "web")
    );
}

#[test]
fn a_stopped_matching_container_is_started() {
    let p = project("shop", vec![svc("web", 2)]);
    let mut model = Vec::new();
    run(&p, &mut model, &PlanOptions::default());
    model[1].state = RunState::Exited;
    let started = plan(&p, &model, &PlanOptions::default());
    assert_eq!(
        words(&started),
        vec![w("shop-web-1", "unchanged"), w("shop-web-2", "start")]
    );
    model[1].state = RunState::Dead;
    let plan = plan(&p, &model, &PlanOptions::default());
    assert_eq!(
        plan.steps[1].action,
        Action::Recreate {
            changed: vec!["state".into()]
        }
    );
}

#[test]
fn scale_three_one_two_numbers_from_the_highest_existing() {
    let mut p = project("shop", vec![svc("web", 3)]);
    let mut model = Vec::new();
    let opts = PlanOptions::default();
    run(&p, &mut model, &opts);
    p.services[0].replicas = 1;
    let down = run(&p, &mut model, &opts);
    assert_eq!(
        words(&down),
        vec![
            w("shop-web-1", "unchanged"),
            w("shop-web-2", "remove"),
            w("shop-web-3", "remove")
        ]
    );
    assert_eq!(
        down.steps[1].action,
        Action::Remove {
            reason: RemoveReason::ScaleDown
        }
    );
    p.services[0].replicas = 2;
    let up = run(&p, &mut model, &opts);
    assert_eq!(
        words(&up),
        vec![w("shop-web-1", "unchanged"), w("shop-web-2", "create")]
    );
    // No gap filling: with 1 and 3 present, scaling to 3 makes 4.
    model.retain(|c| c.name != "shop-web-2");
    let mut three = svc("web", 1);
    three.replicas = 3;
    let mut c3 = model[0].clone();
    c3.id = ContainerId("c3".into());
    c3.name = "shop-web-3".into();
    c3.labels.insert(COMPOSE_NUMBER_LABEL.into(), "3".into());
    model.push(c3);
    p.services[0].replicas = 3;
    let plan = plan(&p, &model, &opts);
    assert_eq!(
        words(&plan),
        vec![
            w("shop-web-1", "unchanged"),
            w("shop-web-3", "unchanged"),
            w("shop-web-4", "create")
        ]
    );
}

#[test]
fn orphans_are_removed_only_with_remove_orphans() {
    let p = project("shop", vec![svc("web", 1), svc("old", 1)]);
    let mut model = Vec::new();
    run(&p, &mut model, &PlanOptions::default());
    let trimmed = project("shop", vec![svc("web", 1)]);
    let kept = plan(&trimmed, &model, &PlanOptions::default());
    assert_eq!(
        words(&kept),
        vec![w("shop-web-1", "unchanged"), w("shop-old-1", "orphan")]
    );
    assert!(kept.is_noop());
    let opts = PlanOptions {
        remove_orphans: true,
        ..PlanOptions::default()
    };
    let removed = plan(&trimmed, &model, &opts);
    assert_eq!(
        removed.steps[1].action,
        Action::Remove {
            reason: RemoveReason::Orphan
        }
    );
    // A service only disabled by profiles is not an orphan.
    let mut disabled = trimmed.clone();
    disabled.disabled_services.push("old".into());
    assert_eq!(
        words(&plan(&disabled, &model, &opts)),
        vec![w("shop-web-1", "unchanged")]
    );
}

#[test]
fn a_foreign_container_holding_the_name_is_a_conflict_and_untouched() {
    let p = project("shop", vec![svc("web", 2)]);
    let mut foreign = Container::new(ContainerId("f1".into()), "shop-web-1".into());
    foreign.state = RunState::Exited;
    let mut other_project = Container::new(ContainerId("o1".into()), "/other-web-1".into());
    other_project.set_labels(BTreeMap::from([
        (COMPOSE_PROJECT_LABEL.to_string(), "other".to_string()),
        (COMPOSE_SERVICE_LABEL.to_string(), "web".to_string()),
    ]));
    let opts = PlanOptions {
        remove_orphans: true,
        ..PlanOptions::default()
    };
    let plan = plan(&p, &[foreign, other_project], &opts);
    assert_eq!(
        words(&plan),
        vec![w("shop-web-1", "conflict"), w("shop-web-2", "create")]
    );
    assert_eq!(
        plan.steps[0].action,
        Action::Conflict {
            holder: ContainerId("f1".into())
        }
    );
    assert_eq!(plan.steps[0].container, None);
    // The conflict holds its slot until the holder is gone: carried out, the plan stays put.
    let mut model = vec![Container::new(
        ContainerId("f1".into()),
        "shop-web-1".into(),
    )];
    run(&p, &mut model, &opts);
    let again = super::plan::plan(&p, &model, &opts);
    assert_eq!(
        words(&again),
        vec![w("shop-web-1", "conflict"), w("shop-web-2", "unchanged")]
    );
    assert!(again.is_noop());
    assert_eq!(model[0].labels, BTreeMap::new());
}

#[test]
fn one_off_containers_and_unlabelled_hashes() {
    let p = project("shop", vec![svc("web", 1)]);
    let mut oneoff = Container::new(ContainerId("r1".into()), "shop-web-run-1".into());
    oneoff.set_labels(BTreeMap::from([
        (COMPOSE_PROJECT_LABEL.to_string(), "shop".to_string()),
        (COMPOSE_SERVICE_LABEL.to_string(), "web".to_string()),
        (COMPOSE_ONEOFF_LABEL.to_string(), "True".to_string()),
    ]));
    // A container compose made: the project's labels, but a hash fleetdeck cannot read.
    let mut by_compose = Container::new(ContainerId("c1".into()), "shop-web-1".into());
    by_compose.state = RunState::Running;
    by_compose.set_labels(BTreeMap::from([
        (COMPOSE_PROJECT_LABEL.to_string(), "shop".to_string()),
        (COMPOSE_SERVICE_LABEL.to_string(), "web".to_string()),
        (COMPOSE_NUMBER_LABEL.to_string(), "1".to_string()),
        (COMPOSE_HASH_LABEL.to_string(), "0123".to_string()),
    ]));
    let plan = plan(&p, &[oneoff, by_compose], &PlanOptions::default());
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(
        plan.steps[0].action,
        Action::Recreate {
            changed: vec!["config".into()]
        }
    );
}

#[test]
fn a_new_image_id_recreates() {
    let p = project("shop", vec![svc("web", 1)]);
    let mut model = Vec::new();
    let old = PlanOptions {
        image_ids: BTreeMap::from([("nginx".into(), "sha256:old".into())]),
        ..PlanOptions::default()
    };
    run(&p, &mut model, &old);
    assert!(plan(&p, &model, &old).is_noop());
    let new = PlanOptions {
        image_ids: BTreeMap::from([("nginx".into(), "sha256:new".into())]),
        ..PlanOptions::default()
    };
    assert_eq!(
        plan(&p, &model, &new).steps[0].action,
        Action::Recreate {
            changed: vec!["image".into()]
        }
    );
}

#[test]
fn the_plan_serialises_with_its_word() {
    let p = project("shop", vec![svc("web", 1)]);
    let plan = plan(&p, &[], &PlanOptions::default());
    let json = serde_json::to_value(&plan).expect("json");
    assert_eq!(json["steps"][0]["action"], "create");
    assert_eq!(json["steps"][0]["name"], "shop-web-1");
}

fn built(name: &str) -> ServiceSpec {
    let mut s = ServiceSpec::new(name, &format!("shop-{name}"));
    s.build = Some(super::compose::BuildSpec::new(PathBuf::from("/srv/app")));
    s
}

#[test]
fn a_missing_built_image_is_a_build_step_before_its_containers() {
    let p = project("shop", vec![built("web")]);
    let opts = PlanOptions {
        missing_images: ["shop-web".to_string()].into(),
        ..PlanOptions::default()
    };
    let first = plan(&p, &[], &opts);
    assert_eq!(
        words(&first),
        vec![
            ("shop-web".into(), "build"),
            ("shop-web-1".into(), "create")
        ]
    );
    assert!(first.steps[0].container.is_none() && first.steps[0].number.is_none());
    // Present: no build, and nothing to do once made with that image.
    let present = PlanOptions {
        image_ids: BTreeMap::from([("shop-web".into(), "sha256:a".into())]),
        ..PlanOptions::default()
    };
    let mut model = Vec::new();
    run(&p, &mut model, &present);
    assert!(plan(&p, &model, &present).is_noop());
}

#[test]
fn build_flag_and_pull_policy_build_rebuild_and_recreate() {
    let mut web = built("web");
    let present = PlanOptions {
        image_ids: BTreeMap::from([("shop-web".into(), "sha256:a".into())]),
        ..PlanOptions::default()
    };
    let p = project("shop", vec![web.clone()]);
    let mut model = Vec::new();
    run(&p, &mut model, &present);
    let forced = PlanOptions {
        build: true,
        ..present.clone()
    };
    let plan1 = plan(&p, &model, &forced);
    assert_eq!(plan1.steps[0].action, Action::Build);
    assert_eq!(
        plan1.steps[1].action,
        Action::Recreate {
            changed: vec!["image".into()]
        }
    );
    web.pull_policy = super::compose::PullPolicy::Build;
    let p = project("shop", vec![web]);
    assert_eq!(plan(&p, &model, &present).steps[0].action, Action::Build);
    // A service without build: is never built.
    let q = project("shop", vec![svc("web", 1)]);
    assert!(
        !plan(&q, &[], &forced)
            .steps
            .iter()
            .any(|s| s.action == Action::Build)
    );
}
