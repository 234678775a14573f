//! The conversion, checked against what docker/cli's `convert` package makes of the same keys.

use std::path::Path;

use bollard::models::{ServiceSpec, TaskSpecContainerSpec, TaskSpecRestartPolicyConditionEnum};

use super::convert::{Desired, stack};
use super::{IMAGE_LABEL, NAMESPACE_LABEL};
use crate::reconcile::compose::swarm::is_swarm_only_warning;
use crate::reconcile::compose::tests::load_one;

fn no_files(_: &Path) -> std::io::Result<Vec<u8>> {
    Ok(b"content".to_vec())
}

fn desired(text: &str) -> Desired {
    let project = load_one(text).expect("loads");
    stack(&project, &no_files).expect("converts")
}

fn service<'a>(d: &'a Desired, name: &str) -> &'a ServiceSpec {
    d.services
        .iter()
        .find(|s| s.name.as_deref() == Some(name))
        .expect("the service")
}

fn container(s: &ServiceSpec) -> &TaskSpecContainerSpec {
    s.task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .expect("a container spec")
}

#[test]
fn names_and_labels_are_docker_stack_deploys() {
    let d = desired(
        "services:\n  web:\n    image: nginx:1\n    labels: {team: core}\n    deploy: {labels: {tier: front}}\n",
    );
    assert_eq!(d.stack, "app");
    let web = service(&d, "app_web");
    let labels = web.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(NAMESPACE_LABEL).map(String::as_str), Some("app"));
    assert_eq!(labels.get(IMAGE_LABEL).map(String::as_str), Some("nginx:1"));
    assert_eq!(labels.get("tier").map(String::as_str), Some("front"));
    let c = container(web);
    let clabels = c.labels.clone().unwrap_or_default();
    assert_eq!(clabels.get("team").map(String::as_str), Some("core"));
    assert_eq!(
        clabels.get(NAMESPACE_LABEL).map(String::as_str),
        Some("app")
    );
    assert!(!clabels.contains_key(IMAGE_LABEL));
    // The default network: made, overlay, labelled, the service an alias on it.
    assert_eq!(d.networks.len(), 1);
    assert_eq!(d.networks[0].name, "app_default");
    assert_eq!(d.networks[0].driver.as_deref(), Some("overlay"));
    let nets = web
        .task_template
        .as_ref()
        .and_then(|t| t.networks.clone())
        .unwrap_or_default();
    assert_eq!(nets[0].target.as_deref(), Some("app_default"));
    assert_eq!(nets[0].aliases.clone().unwrap_or_default(), ["web"]);
}

#[test]
fn deploy_keys_are_honoured() {
    let d = desired(
        "services:
  web:
    image: nginx
    deploy:
      replicas: 4
      update_config: {delay: 10s, order: start-first}
      rollback_config: {parallelism: 3, failure_action: continue}
      restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}
      resources: {limits: {cpus: '0.5', memory: 64M}, reservations: {memory: 16M}}
      placement: {constraints: [node.role == worker], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 2}
      endpoint_mode: dnsrr
  agent:
    image: agent
    deploy: {mode: global}
",
    );
    let web = service(&d, "app_web");
    let mode = web.mode.clone().unwrap_or_default();
    assert_eq!(mode.replicated.and_then(|r| r.replicas), Some(4));
    let update = web.update_config.clone().unwrap_or_default();
    assert_eq!(update.parallelism, Some(1), "docker's default parallelism");
    assert_eq!(update.delay, Some(10_000_000_000));
    assert_eq!(
        update.order.map(|o| o.to_string()),
        Some("start-first".into())
    );
    let rollback = web.rollback_config.clone().unwrap_or_default();
    assert_eq!(rollback.parallelism, Some(3));
    assert_eq!(
        rollback.failure_action.map(|a| a.to_string()),
        Some("continue".into())
    );
    let task = web.task_template.clone().unwrap_or_default();
    let restart = task.restart_policy.unwrap_or_default();
    assert_eq!(
        restart.condition,
        Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
    );
    assert_eq!(
        (restart.max_attempts, restart.delay),
        (Some(3), Some(5_000_000_000))
    );
    let resources = task.resources.unwrap_or_default();
    let limits = resources.limits.unwrap_or_default();
    assert_eq!(
        (limits.nano_cpus, limits.memory_bytes),
        (Some(500_000_000), Some(64 << 20))
    );
    assert_eq!(
        resources.reservations.and_then(|r| r.memory_bytes),
        Some(16 << 20)
    );
    let placement = task.placement.unwrap_or_default();
    assert_eq!(
        placement.constraints.unwrap_or_default(),
        ["node.role == worker"]
    );
    assert_eq!(placement.max_replicas, Some(2));
    let spread = placement.preferences.unwrap_or_default();
    assert_eq!(
        spread[0]
            .spread
            .clone()
            .and_then(|s| s.spread_descriptor)
            .as_deref(),
        Some("node.labels.zone")
    );
    let endpoint = web.endpoint_spec.clone().unwrap_or_default();
    assert_eq!(endpoint.mode.map(|m| m.to_string()), Some("dnsrr".into()));
    let agent = service(&d, "app_agent");
    let mode = agent.mode.clone().unwrap_or_default();
    assert!(mode.global.is_some() && mode.replicated.is_none());
}

#[test]
fn global_with_replicas_and_an_unknown_mode_are_refused() {
    for (deploy, why) in [
        ("{mode: global, replicas: 2}", "replicas can only be used"),
        ("{mode: sideways}", "unknown deploy mode"),
    ] {
        let text = format!("services:\n  web:\n    image: nginx\n    deploy: {deploy}\n");
        let err = match load_one(&text) {
            Err(e) => e.to_string(),
            Ok(project) => stack(&project, &no_files)
                .map(|_| ())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        };
        assert!(err.contains(why), "{deploy}: {err}");
    }
}

#[test]
fn restart_falls_back_to_the_service_restart_key() {
    for (restart, condition, attempts) in [
        (
            "always",
            Some(TaskSpecRestartPolicyConditionEnum::ANY),
            None,
        ),
        (
            "unless-stopped",
            Some(TaskSpecRestartPolicyConditionEnum::ANY),
            None,
        ),
        (
            "on-failure:3",
            Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE),
            Some(3),
        ),
        ("\"no\"", None, None),
    ] {
        let d = desired(&format!(
            "services:\n  web:\n    image: nginx\n    restart: {restart}\n"
        ));
        let task = service(&d, "app_web")
            .task_template
            .clone()
            .unwrap_or_default();
        let policy = task.restart_policy;
        assert_eq!(
            policy.as_ref().and_then(|p| p.condition),
            condition,
            "{restart}"
        );
        assert_eq!(policy.and_then(|p| p.max_attempts), attempts, "{restart}");
    }
}

#[test]
fn container_fields_are_converted() {
    let d = desired(
        "services:
  web:
    image: nginx
    entrypoint: [sh, -c]
    command: [echo hi]
    environment: {B: '2', A: '1'}
    extra_hosts: ['db:10.0.0.2']
    cap_add: [net_admin]
    cap_drop: [ALL]
    healthcheck: {disable: true}
    ports: ['8080:80', '9090:90/udp']
",
    );
    let web = service(&d, "app_web");
    let c = container(web);
    assert_eq!(c.command.clone().unwrap_or_default(), ["sh", "-c"]);
    assert_eq!(c.args.clone().unwrap_or_default(), ["echo hi"]);
    assert_eq!(c.env.clone().unwrap_or_default(), ["A=1", "B=2"]);
    assert_eq!(c.hosts.clone().unwrap_or_default(), ["10.0.0.2 db"]);
    assert_eq!(
        c.capability_add.clone().unwrap_or_default(),
        ["CAP_NET_ADMIN"]
    );
    assert_eq!(c.capability_drop.clone().unwrap_or_default(), ["ALL"]);
    assert_eq!(
        c.health_check
            .clone()
            .and_then(|h| h.test)
            .unwrap_or_default(),
        ["NONE"]
    );
    let ports = web
        .endpoint_spec
        .clone()
        .and_then(|e| e.ports)
        .unwrap_or_default();
    let published: Vec<Option<i64>> = ports.iter().map(|p| p.published_port).collect();
    assert_eq!(published, [Some(8080), Some(9090)]);
    assert_eq!(ports[1].protocol.map(|p| p.to_string()), Some("udp".into()));
}

#[test]
fn secrets_and_configs_are_named_and_referenced_as_docker_does() {
    let d = desired(
        "services:
  web:
    image: nginx
    secrets: [token, {source: ext, target: other, mode: 0400}]
    configs: [{source: conf, target: /etc/app.conf}]
secrets:
  token: {file: ./token.txt, labels: {kind: api}}
  ext: {external: true, name: shared_ext}
configs:
  conf: {content: 'a=1', name: my_conf}
",
    );
    assert_eq!(d.secrets.len(), 1);
    let token = &d.secrets[0];
    assert_eq!(token.name.as_deref(), Some("app_token"));
    assert_eq!(
        token.data.as_deref(),
        Some("Y29udGVudA=="),
        "base64 of what the reader gave"
    );
    let labels = token.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("kind").map(String::as_str), Some("api"));
    assert_eq!(labels.get(NAMESPACE_LABEL).map(String::as_str), Some("app"));
    assert_eq!(d.external_secrets, ["shared_ext"]);
    assert_eq!(d.configs[0].name.as_deref(), Some("my_conf"));
    assert_eq!(d.configs[0].data.as_deref(), Some("YT0x"));
    let c = container(service(&d, "app_web"));
    let secrets = c.secrets.clone().unwrap_or_default();
    let refs: Vec<(Option<String>, Option<String>, Option<u32>)> = secrets
        .iter()
        .map(|s| {
            let f = s.file.clone().unwrap_or_default();
            (s.secret_name.clone(), f.name, f.mode)
        })
        .collect();
    assert_eq!(
        refs,
        [
            (Some("app_token".into()), Some("token".into()), Some(0o444)),
            (Some("shared_ext".into()), Some("other".into()), Some(0o400)),
        ],
        "sorted by name, targets as docker gives them"
    );
    let configs = c.configs.clone().unwrap_or_default();
    assert_eq!(configs[0].config_name.as_deref(), Some("my_conf"));
    assert_eq!(
        configs[0].file.clone().and_then(|f| f.name).as_deref(),
        Some("/etc/app.conf")
    );
}

#[test]
fn a_secret_file_that_cannot_be_read_is_an_error_naming_it() {
    let project =
        load_one("services:\n  web:\n    image: nginx\nsecrets:\n  token: {file: ./missing}\n")
            .expect("loads");
    let fail = |_: &Path| -> std::io::Result<Vec<u8>> { Err(std::io::Error::other("gone")) };
    let err = stack(&project, &fail)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("secret token") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn swarm_keys_are_not_warned_about_under_swarm_and_unused_keys_are() {
    let text = "services:\n  web:\n    image: nginx\n    container_name: w\n    deploy: {update_config: {parallelism: 2}, placement: {constraints: [a==b]}}\n";
    let project = load_one(text).expect("loads");
    assert!(!project.warnings.is_empty(), "the container path warns");
    assert!(
        project.warnings.iter().all(|w| is_swarm_only_warning(w)),
        "{:?}",
        project.warnings
    );
    let d = stack(&project, &no_files).expect("converts");
    assert_eq!(d.ignored.len(), 1, "{:?}", d.ignored);
    assert!(d.ignored[0].starts_with("container_name (services web)"));
}
