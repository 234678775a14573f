//! Property: for random wanted and actual fleets, a plan never starts, recreates or removes a
//! container without this project's labels, and carrying the plan out on the model then
//! planning again leaves nothing to do (all unchanged, bar the orphans kept without
//! `remove_orphans` and the conflicts, which stay as they were).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::compose::ServiceSpec;
use super::plan::*;
use super::plan_tests::{apply_to_model, project};
use super::{
    COMPOSE_HASH_LABEL, COMPOSE_NUMBER_LABEL, COMPOSE_ONEOFF_LABEL, COMPOSE_PROJECT_LABEL,
    COMPOSE_SERVICE_LABEL,
};
use crate::engine::model::{Container, ContainerId, RunState};

const SERVICES: &[&str] = &["web", "db", "cache", "worker"];
const PROJECTS: &[&str] = &["shop", "other"];

/// An actual container: project (or none), service, number, state, env value, oneoff.
type Actual = (Option<usize>, usize, u32, u8, u8, bool);

/// A wanted service: which name, how many replicas, which env value.
fn wanted() -> impl Strategy<Value = Vec<(usize, u32, u8)>> {
    prop::collection::vec((0..SERVICES.len(), 0u32..4, 0u8..3), 0..4)
}

fn actual() -> impl Strategy<Value = Vec<Actual>> {
    prop::collection::vec(
        (
            prop::option::of(0..PROJECTS.len()),
            0..SERVICES.len(),
            1u32..6,
            0u8..4,
            0u8..3,
            any::<bool>(),
        ),
        0..8,
    )
}

fn spec(service: usize, replicas: u32, env: u8) -> ServiceSpec {
    let mut s = ServiceSpec::new(SERVICES[service], "img");
    s.replicas = replicas;
    s.environment.insert("V".into(), env.to_string());
    s
}

fn state(code: u8) -> RunState {
    [
        RunState::Running,
        RunState::Exited,
        RunState::Created,
        RunState::Dead,
    ][usize::from(code % 4)]
}

fn build(
    wanted: &[(usize, u32, u8)],
    actual: &[Actual],
) -> (super::compose::Project, Vec<Container>) {
    let mut services: Vec<ServiceSpec> = Vec::new();
    for &(s, r, e) in wanted {
        if !services.iter().any(|x| x.name == SERVICES[s]) {
            services.push(spec(s, r, e));
        }
    }
    let p = project("shop", services);
    let mut containers = Vec::new();
    for (i, &(proj, s, n, st, env, oneoff)) in actual.iter().enumerate() {
        let name = match proj {
            Some(pi) => format!("{}-{}-{n}", PROJECTS[pi], SERVICES[s]),
            None => format!("shop-{}-{n}", SERVICES[s]),
        };
        if containers.iter().any(|c: &Container| c.name == name) {
            continue; // the daemon holds one container per name
        }
        let mut c = Container::new(ContainerId(format!("a{i}")), name);
        c.state = state(st);
        if let Some(pi) = proj {
            let labels = if PROJECTS[pi] == "shop" {
                let mut l = container_labels(&p, &spec(s, 1, env), n, None);
                if env == 2 {
                    l.remove(COMPOSE_HASH_LABEL);
                }
                l
            } else {
                BTreeMap::from([
                    (COMPOSE_PROJECT_LABEL.to_string(), PROJECTS[pi].to_string()),
                    (COMPOSE_SERVICE_LABEL.to_string(), SERVICES[s].to_string()),
                    (COMPOSE_NUMBER_LABEL.to_string(), n.to_string()),
                ])
            };
            c.set_labels(labels);
            if oneoff {
                c.labels.insert(COMPOSE_ONEOFF_LABEL.into(), "True".into());
            }
        }
        containers.push(c);
    }
    (p, containers)
}

proptest! {
    #[test]
    fn plans_touch_only_ours_and_converge(
        wanted in wanted(),
        actual in actual(),
        remove_orphans in any::<bool>(),
    ) {
        let (p, mut model) = build(&wanted, &actual);
        let opts = PlanOptions { remove_orphans, ..PlanOptions::default() };
        let first = plan(&p, &model, &opts);
        for step in &first.steps {
            if let Some(id) = &step.container
                && step.action.mutates()
            {
                let c = model.iter().find(|c| &c.id == id).expect("a step names a real container");
                prop_assert!(is_ours("shop", c), "{:?} on a container not ours: {:?}", step.action, c.labels);
            }
            if let Action::Conflict { holder } = &step.action {
                let c = model.iter().find(|c| &c.id == holder).expect("holder exists");
                prop_assert!(!is_ours("shop", c) || c.labels.get(COMPOSE_SERVICE_LABEL) != Some(&step.service));
            }
        }
        let before: Vec<Container> = model.clone();
        let mut counter = 0;
        apply_to_model(&p, &first, &mut model, &opts, &mut counter);
        // Containers not ours are exactly as they were.
        for c in before.iter().filter(|c| !is_ours("shop", c)) {
            prop_assert_eq!(model.iter().find(|m| m.id == c.id), Some(c));
        }
        let second = plan(&p, &model, &opts);
        for step in &second.steps {
            match &step.action {
                Action::Unchanged => {}
                Action::Orphan => prop_assert!(!remove_orphans),
                Action::Conflict { .. } => prop_assert!(first.steps.contains(step)),
                other => prop_assert!(false, "after apply, {} is {:?}", step.name, other),
            }
        }
        prop_assert!(second.is_noop());
        // Each service now has exactly its scale in running containers, unless a conflict
        // stands in the way.
        for s in &p.services {
            let running = model
                .iter()
                .filter(|c| is_ours("shop", c) && c.labels.get(COMPOSE_SERVICE_LABEL) == Some(&s.name))
                .count();
            let conflicts = second.steps.iter().filter(|x| x.service == s.name && matches!(x.action, Action::Conflict { .. })).count();
            prop_assert_eq!(running + conflicts, s.replicas as usize);
        }
    }
}
