//! Stack plans from a file and what the manager has.

use std::collections::HashMap;

use bollard::models::{ObjectVersion, Service, ServiceSpec};

use super::NAMESPACE_LABEL;
use super::convert::{Desired, stack};
use super::plan::{Action, Current, Kind, ObjectInfo, plan, with_ids};
use crate::reconcile::compose::tests::load_one;

const FILE: &str = "services:
  web:
    image: nginx
    secrets: [token]
    configs: [conf]
    networks: [front]
  db:
    image: postgres
networks:
  front: {}
secrets:
  token: {file: ./token.txt}
configs:
  conf: {content: a=1}
";

fn desired(text: &str) -> Desired {
    let project = load_one(text).expect("loads");
    let read = |_: &std::path::Path| Ok(Vec::new());
    stack(&project, &read).expect("converts")
}

fn object(id: &str, name: &str, stack: Option<&str>) -> ObjectInfo {
    ObjectInfo {
        id: id.into(),
        name: name.into(),
        labels: stack
            .map(|s| HashMap::from([(NAMESPACE_LABEL.to_string(), s.to_string())]))
            .unwrap_or_default(),
        data: None,
    }
}

/// What the manager has after `d` was deployed: ids, network ids in the specs.
fn deployed(d: &Desired) -> Current {
    let networks: Vec<ObjectInfo> = d
        .networks
        .iter()
        .enumerate()
        .map(|(i, n)| object(&format!("net{i}"), &n.name, Some("app")))
        .collect();
    let services = d
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut spec = s.clone();
            for n in spec
                .task_template
                .as_mut()
                .and_then(|t| t.networks.as_mut())
                .into_iter()
                .flatten()
            {
                let id = networks
                    .iter()
                    .find(|o| Some(&o.name) == n.target.as_ref())
                    .map(|o| o.id.clone());
                n.target = id;
            }
            Service {
                id: Some(format!("svc{i}")),
                version: Some(ObjectVersion { index: Some(7) }),
                spec: Some(spec),
                ..Service::default()
            }
        })
        .collect();
    let mut conf = object("cfg0", "app_conf", Some("app"));
    conf.data = d.configs[0].data.clone();
    Current {
        services,
        health_read: true,
        networks,
        secrets: vec![object("sec0", "app_token", Some("app"))],
        configs: vec![conf],
    }
}

fn actions(p: &super::plan::StackPlan) -> Vec<(Kind, String, Action)> {
    p.steps
        .iter()
        .map(|s| (s.kind, s.name.clone(), s.action.clone()))
        .collect()
}

#[test]
fn a_new_stack_is_all_creates_objects_before_services() {
    let p = plan(&desired(FILE), &Current::default());
    let got: Vec<(Kind, String)> = p.steps.iter().map(|s| (s.kind, s.name.clone())).collect();
    assert_eq!(
        got,
        [
            (Kind::Network, "app_default".into()),
            (Kind::Network, "app_front".into()),
            (Kind::Secret, "app_token".into()),
            (Kind::Config, "app_conf".into()),
            (Kind::Service, "app_web".into()),
            (Kind::Service, "app_db".into()),
        ]
    );
    assert!(p.steps.iter().all(|s| s.action == Action::Create));
    assert_eq!(p.counts(), [("create".to_string(), 6)]);
}

#[test]
fn a_deployed_stack_is_unchanged() {
    let d = desired(FILE);
    let p = plan(&d, &deployed(&d));
    assert!(p.is_noop(), "{:?}", actions(&p));
    let web = p.steps.iter().find(|s| s.name == "app_web").expect("web");
    assert_eq!(web.id.as_deref(), Some("svc0"));
}

#[test]
fn an_edit_is_an_update_with_its_fields_and_the_version() {
    let d = desired(FILE);
    let have = deployed(&d);
    let edited = desired(&FILE.replace("image: postgres", "image: postgres:17"));
    let p = plan(&edited, &have);
    let changed: Vec<(Kind, String, Action)> = actions(&p)
        .into_iter()
        .filter(|(_, _, a)| *a != Action::Unchanged)
        .collect();
    assert_eq!(
        changed,
        [(
            Kind::Service,
            "app_db".into(),
            Action::Update {
                changed: vec!["image".into()]
            }
        )]
    );
    let db = p.steps.iter().find(|s| s.name == "app_db").expect("db");
    assert!(matches!(
        db.payload,
        super::plan::Payload::Service(_, Some(7))
    ));
}

#[test]
fn an_image_the_manager_pinned_is_kept_when_the_file_names_the_same() {
    let d = desired(FILE);
    let mut have = deployed(&d);
    let spec = have.services[1]
        .spec
        .as_mut()
        .and_then(|s| s.task_template.as_mut())
        .and_then(|t| t.container_spec.as_mut());
    if let Some(c) = spec {
        c.image = Some("postgres@sha256:abc".into());
    }
    if let Some(t) = have.services[1]
        .spec
        .as_mut()
        .and_then(|s| s.task_template.as_mut())
    {
        t.force_update = Some(3);
    }
    assert!(plan(&d, &have).is_noop());
}

#[test]
fn what_the_file_dropped_is_removed_and_nothing_of_anyone_else() {
    let d = desired(FILE);
    let mut have = deployed(&d);
    let labelled = |stack: &str| HashMap::from([(NAMESPACE_LABEL.to_string(), stack.to_string())]);
    let gone = |name: &str, stack: &str| Service {
        id: Some(format!("id-{name}")),
        spec: Some(ServiceSpec {
            name: Some(name.into()),
            labels: Some(labelled(stack)),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    have.services.push(gone("app_old", "app"));
    have.services.push(gone("other_web", "other"));
    have.networks.push(object("n9", "app_back", Some("app")));
    have.networks.push(object("n10", "bridge", None));
    have.secrets
        .push(object("s9", "app_old_secret", Some("app")));
    have.configs.push(object("c9", "other_conf", Some("other")));
    let p = plan(&d, &have);
    let removed: Vec<(Kind, String)> = p
        .steps
        .iter()
        .filter(|s| s.action == Action::Remove)
        .map(|s| (s.kind, s.name.clone()))
        .collect();
    assert_eq!(
        removed,
        [
            (Kind::Service, "app_old".into()),
            (Kind::Network, "app_back".into()),
            (Kind::Secret, "app_old_secret".into()),
        ]
    );
    // `down`: nothing desired, every object of the stack removed.
    let down = plan(
        &Desired {
            stack: "app".into(),
            ..Desired::default()
        },
        &have,
    );
    assert_eq!(down.steps.len(), 2 + 1 + 3 + 2 + 1, "{:?}", actions(&down));
    assert!(down.steps.iter().all(|s| s.action == Action::Remove));
    assert!(
        !down
            .steps
            .iter()
            .any(|s| s.name.starts_with("other") || s.name == "bridge")
    );
}

#[test]
fn a_changed_config_and_a_missing_external_are_conflicts() {
    let d = desired(FILE);
    let mut have = deployed(&d);
    have.configs[0].data = Some("b2xk".into());
    let p = plan(&d, &have);
    let conf = p.steps.iter().find(|s| s.name == "app_conf").expect("conf");
    assert!(
        matches!(&conf.action, Action::Conflict { reason } if reason.contains("cannot be changed"))
    );
    let text = "services:\n  web:\n    image: nginx\n    networks: [ext]\nnetworks:\n  ext: {external: true, name: shared}\n";
    let p = plan(&desired(text), &Current::default());
    let ext = p.steps.iter().find(|s| s.name == "shared").expect("shared");
    assert!(matches!(&ext.action, Action::Conflict { reason } if reason.contains("not found")));
}

#[test]
fn secret_and_config_ids_are_filled_in_by_name() {
    let d = desired(FILE);
    let mut spec = d.services[0].clone();
    let secrets = HashMap::from([("app_token".to_string(), "S1".to_string())]);
    let configs = HashMap::from([("app_conf".to_string(), "C1".to_string())]);
    with_ids(&mut spec, &secrets, &configs);
    let c = spec
        .task_template
        .and_then(|t| t.container_spec)
        .unwrap_or_default();
    assert_eq!(
        c.secrets.unwrap_or_default()[0].secret_id.as_deref(),
        Some("S1")
    );
    assert_eq!(
        c.configs.unwrap_or_default()[0].config_id.as_deref(),
        Some("C1")
    );
}

#[test]
fn a_health_check_edit_is_an_update_when_the_manager_s_was_read() {
    // A config too: the fixture's manager has the file's first one.
    let file = |health: &str| {
        format!(
            "services:\n  web:\n    image: nginx\n    configs: [conf]\n{health}configs:\n  conf: {{content: a=1}}\n"
        )
    };
    let check = |test: &str| {
        format!("    healthcheck:\n      test: [\"CMD\", \"{test}\"]\n      interval: 5s\n")
    };
    let web = |p: &super::plan::StackPlan| -> Vec<Action> {
        actions(p)
            .into_iter()
            .filter(|(k, _, _)| *k == Kind::Service)
            .map(|(_, _, a)| a)
            .collect()
    };
    let update = Action::Update {
        changed: vec!["healthcheck".into()],
    };
    let before = desired(&file(&check("true")));
    let mut current = deployed(&before);
    let after = desired(&file(&check("false")));
    assert_eq!(web(&plan(&before, &current)), [Action::Unchanged]);
    assert_eq!(web(&plan(&after, &current)), std::slice::from_ref(&update));
    // Dropped from the file: an update too.
    let none = desired(&file(""));
    assert_eq!(web(&plan(&none, &current)), [update]);
    // Where the manager's health checks could not be read (a transport without a plain GET),
    // the field is not compared, rather than always "changed".
    current.health_read = false;
    for service in &mut current.services {
        if let Some(c) = service
            .spec
            .as_mut()
            .and_then(|s| s.task_template.as_mut())
            .and_then(|t| t.container_spec.as_mut())
        {
            c.health_check = None;
        }
    }
    assert_eq!(web(&plan(&after, &current)), [Action::Unchanged]);
}

#[test]
fn the_engine_s_healthcheck_field_is_read_from_its_own_json() {
    let mut services = vec![Service {
        id: Some("svc0".into()),
        spec: Some(ServiceSpec {
            task_template: Some(bollard::models::TaskSpec {
                container_spec: Some(Default::default()),
                ..Default::default()
            }),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }];
    let raw = serde_json::json!([
        {"ID": "svc0", "Spec": {"TaskTemplate": {"ContainerSpec": {
            "Image": "nginx",
            "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5_000_000_000_i64, "Retries": 3}
        }}}},
        {"ID": "other", "Spec": {}}
    ]);
    crate::engine::stack_reads::with_health_checks(&mut services, &raw);
    let health = services[0]
        .spec
        .as_ref()
        .and_then(|s| s.task_template.as_ref())
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.health_check.clone())
        .expect("read");
    assert_eq!(
        health.test,
        Some(vec!["CMD".to_string(), "true".to_string()])
    );
    assert_eq!(health.interval, Some(5_000_000_000));
    assert_eq!(health.retries, Some(3));
}
