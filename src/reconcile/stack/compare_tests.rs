//! Comparing specs: what the manager fills in by itself is no change; a real edit is named by
//! its compose key.

use bollard::models::{
    EndpointSpecModeEnum, ServiceSpec, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpecContainerSpecIsolationEnum,
};

use super::compare::{changed_fields, field_name};
use super::convert::stack;
use crate::reconcile::compose::tests::load_one;

fn spec(text: &str) -> ServiceSpec {
    let project = load_one(text).expect("loads");
    let read = |_: &std::path::Path| Ok(Vec::new());
    let mut d = stack(&project, &read).expect("converts");
    d.services.remove(0)
}

const WEB: &str = "services:\n  web:\n    image: nginx\n    environment: {A: '1'}\n    ports: ['80', '8080:81']\n    deploy: {replicas: 2, update_config: {parallelism: 2}}\n";

/// `spec` as the manager answers it: its own defaults filled in.
fn as_the_manager_keeps_it(mut spec: ServiceSpec) -> ServiceSpec {
    if let Some(task) = spec.task_template.as_mut() {
        task.runtime = Some("container".into());
        task.force_update = Some(0);
        if let Some(c) = task.container_spec.as_mut() {
            c.isolation = Some(TaskSpecContainerSpecIsolationEnum::DEFAULT);
            c.health_check = None;
        }
    }
    if let Some(e) = spec.endpoint_spec.as_mut() {
        e.mode = Some(EndpointSpecModeEnum::VIP);
        if let Some(ports) = e.ports.as_mut() {
            ports.reverse();
        }
    }
    if let Some(u) = spec.update_config.as_mut() {
        u.failure_action = Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE);
        u.monitor = Some(5_000_000_000);
        u.order = Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST);
    }
    spec
}

#[test]
fn the_managers_own_defaults_are_no_change() {
    let want = spec(WEB);
    let have = as_the_manager_keeps_it(want.clone());
    assert_eq!(changed_fields(&want, &have), Vec::<String>::new());
}

#[test]
fn edits_are_named_by_their_compose_keys() {
    let want = spec(
        &WEB.replace("replicas: 2", "replicas: 3")
            .replace("A: '1'", "A: '2'"),
    );
    let have = as_the_manager_keeps_it(spec(WEB));
    assert_eq!(
        changed_fields(&want, &have),
        ["deploy.replicas", "environment"]
    );
    let want = spec(&WEB.replace("nginx", "nginx:2"));
    assert_eq!(changed_fields(&want, &have), ["image"]);
    let want = spec(&WEB.replace("parallelism: 2", "parallelism: 2, order: start-first"));
    assert_eq!(changed_fields(&want, &have), ["deploy.update_config"]);
    let global = spec("services:\n  web:\n    image: nginx\n    deploy: {mode: global}\n");
    let replicated = spec("services:\n  web:\n    image: nginx\n");
    assert_eq!(
        changed_fields(&global, &replicated),
        ["deploy.mode", "deploy.replicas"]
    );
}

#[test]
fn removing_a_key_is_a_change_too() {
    let want = spec("services:\n  web:\n    image: nginx\n");
    let have = as_the_manager_keeps_it(spec(WEB));
    assert_eq!(
        changed_fields(&want, &have),
        [
            "deploy.replicas",
            "deploy.update_config",
            "environment",
            "ports"
        ]
    );
}

#[test]
fn spec_paths_name_compose_keys() {
    for (path, name) in [
        ("TaskTemplate.ContainerSpec.Args", "command"),
        ("TaskTemplate.ContainerSpec.Command", "entrypoint"),
        ("Labels.com.docker.stack.image", "image"),
        ("Labels.tier", "deploy.labels"),
        ("TaskTemplate.RestartPolicy.Delay", "deploy.restart_policy"),
        ("Mode.Replicated.Replicas", "deploy.replicas"),
        ("TaskTemplate.Networks", "networks"),
        ("Something.Else", "Something.Else"),
    ] {
        assert_eq!(field_name(path), name, "{path}");
    }
}
