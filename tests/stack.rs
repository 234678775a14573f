//! Stacks from compose files against a real swarm made by the test (tests/common/swarm.rs):
//! the same file deployed once by `docker stack deploy` and once by `fleetdeck apply --swarm`
//! under two stack names gives the same service specs, field by field with the stack name
//! (and the ids the manager gives) normalised; each deployment then plans as unchanged, a
//! second apply changes nothing, an edit plans as an update naming its fields, `--read-only`
//! refuses, and `down --swarm` removes the stack's objects and nothing else.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::binary::Sandbox;
use common::swarm::Swarm;
use serde_json::Value;

const FILE: &str = r#"
version: "3.8"
services:
  web:
    image: fleetdeck-test-busybox:latest
    command: ["sh", "-c", "while true; do sleep 1; done"]
    environment:
      MODE: web
      LEVEL: "3"
    labels:
      team: core
    networks: [front, back]
    ports:
      - "80"
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
      retries: 2
    stop_grace_period: 3s
    deploy:
      replicas: 2
      labels:
        tier: frontend
      update_config:
        parallelism: 2
        delay: 1s
        order: start-first
        failure_action: rollback
      rollback_config:
        parallelism: 1
      restart_policy:
        condition: on-failure
        delay: 2s
        max_attempts: 3
        window: 10s
      resources:
        limits:
          memory: 64M
          cpus: "0.5"
        reservations:
          memory: 16M
      placement:
        constraints: [node.role == manager]
    secrets: [token]
    configs:
      - source: conf
        target: /etc/app.conf
  worker:
    image: fleetdeck-test-busybox:latest
    entrypoint: ["sh", "-c"]
    command: ["sleep 100000"]
    restart: always
    networks: [back]
    deploy:
      mode: global
  job:
    image: fleetdeck-test-busybox:latest
    command: sleep 100000
networks:
  front: {}
  back:
    labels:
      purpose: backend
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./app.conf
"#;

const SERVICES: [&str; 3] = ["web", "worker", "job"];

fn write_files(dir: &Path, text: &str) -> String {
    std::fs::write(dir.join("token.txt"), "s3cret\n").expect("write token");
    std::fs::write(dir.join("app.conf"), "a=1\n").expect("write conf");
    let file = dir.join("stack.yaml");
    std::fs::write(&file, text).expect("write the compose file");
    file.display().to_string()
}

/// `fleetdeck -H MANAGER -p STACK -f FILE ARGS...`.
fn fleetdeck(
    sandbox: &Sandbox,
    swarm: &Swarm,
    stack: &str,
    file: &str,
    args: &[&str],
) -> common::binary::Ran {
    let host = swarm.manager_host();
    let mut all = vec!["-H", host.as_str(), "-p", stack, "-f", file];
    all.extend_from_slice(args);
    sandbox.run(&all)
}

/// Every leaf of a JSON value by its path.
fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| flatten(v, format!("{path}.{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(v, format!("{path}[{i}]"), out)),
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// A service's spec as the manager has it, with the stack's name as `STACK`, network ids as
/// the networks' names, and the ids of secrets and configs left out.
fn spec(swarm: &Swarm, stack: &str, service: &str) -> BTreeMap<String, Value> {
    let networks = swarm.docker(
        0,
        &[
            "network",
            "ls",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Name}}",
        ],
    );
    let mut text = swarm.docker(
        0,
        &[
            "service",
            "inspect",
            &format!("{stack}_{service}"),
            "--format",
            "{{json .Spec}}",
        ],
    );
    for line in networks.lines() {
        if let Some((id, name)) = line.split_once(' ') {
            text = text.replace(id, name);
        }
    }
    let text = text
        .replace(&format!("{stack}_"), "STACK_")
        .replace(&format!("\"{stack}\""), "\"STACK\"");
    let value: Value = serde_json::from_str(&text).expect("a service spec");
    let mut leaves = BTreeMap::new();
    flatten(&value, String::new(), &mut leaves);
    leaves.retain(|path, _| !path.ends_with(".SecretID") && !path.ends_with(".ConfigID"));
    leaves
}

fn plan_actions(ran: &common::binary::Ran) -> Vec<(String, String, Value)> {
    ran.json_lines()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap_or_default().to_string(),
                l["action"].as_str().unwrap_or_default().to_string(),
                l["changed"].clone(),
            )
        })
        .collect()
}

fn versions(swarm: &Swarm, stack: &str) -> Vec<String> {
    SERVICES
        .iter()
        .map(|s| {
            swarm.docker(
                0,
                &[
                    "service",
                    "inspect",
                    &format!("{stack}_{s}"),
                    "--format",
                    "{{.Version.Index}}",
                ],
            )
        })
        .collect()
}

fn names(swarm: &Swarm, what: &[&str]) -> Vec<String> {
    let mut args = what.to_vec();
    args.extend_from_slice(&["--format", "{{.Name}}"]);
    let mut out: Vec<String> = swarm.docker(0, &args).lines().map(str::to_string).collect();
    out.sort();
    out
}

#[test]
#[ignore = "needs root, dockerd and ip netns"]
fn a_stack_applied_by_fleetdeck_is_the_one_docker_stack_deploy_makes() {
    let swarm = Swarm::start(1);
    let sandbox = Sandbox::new();
    let file = write_files(sandbox.path(), FILE);

    swarm.docker(
        0,
        &[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            &file,
            "dk",
        ],
    );
    fleetdeck(&sandbox, &swarm, "fd", &file, &["apply", "--swarm"]).expect_code(0);

    for service in SERVICES {
        let (docker, ours) = (spec(&swarm, "dk", service), spec(&swarm, "fd", service));
        let paths: std::collections::BTreeSet<&String> = docker.keys().chain(ours.keys()).collect();
        let differ: Vec<String> = paths
            .into_iter()
            .filter(|p| docker.get(*p) != ours.get(*p))
            .map(|p| {
                format!(
                    "{p}: docker {:?}, fleetdeck {:?}",
                    docker.get(p),
                    ours.get(p)
                )
            })
            .collect();
        assert!(
            differ.is_empty(),
            "service {service} differs:\n{}",
            differ.join("\n")
        );
        for field in [
            ".TaskTemplate.ContainerSpec.Args[0]",
            ".UpdateConfig.Parallelism",
            ".TaskTemplate.RestartPolicy.Condition",
            ".Labels.com.docker.stack.namespace",
            ".TaskTemplate.Networks[0].Target",
        ] {
            if service == "web" {
                assert!(ours.contains_key(field), "web's spec has {field}: {ours:?}");
            }
        }
    }

    // Both deployments plan as unchanged, each under its own name.
    for stack in ["fd", "dk"] {
        let ran = fleetdeck(
            &sandbox,
            &swarm,
            stack,
            &file,
            &["plan", "--swarm", "--json"],
        );
        let actions = plan_actions(ran.expect_code(0));
        assert_eq!(
            actions.len(),
            8,
            "3 services, 3 networks, a secret, a config: {actions:?}"
        );
        assert!(
            actions.iter().all(|(_, a, _)| a == "unchanged"),
            "{stack}: {actions:?}"
        );
    }

    // A second apply changes nothing: every step unchanged, no service's version moves.
    let before = versions(&swarm, "fd");
    let ran = fleetdeck(
        &sandbox,
        &swarm,
        "fd",
        &file,
        &["apply", "--swarm", "--json"],
    );
    let outcomes: Vec<String> = ran
        .expect_code(0)
        .json_lines()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(outcomes.iter().all(|o| o == "unchanged"), "{outcomes:?}");
    assert_eq!(versions(&swarm, "fd"), before);

    // An edit plans as an update naming its fields; read-only refuses it; apply makes it.
    let edited = FILE
        .replace("replicas: 2", "replicas: 3")
        .replace("LEVEL: \"3\"", "LEVEL: \"4\"")
        .replace("retries: 2", "retries: 5");
    let edited_dir = tempfile::tempdir().expect("temp dir");
    let edited_file = write_files(edited_dir.path(), &edited);
    let ran = fleetdeck(
        &sandbox,
        &swarm,
        "fd",
        &edited_file,
        &["plan", "--swarm", "--json"],
    );
    let actions = plan_actions(ran.expect_code(0));
    let changed: Vec<&(String, String, Value)> = actions
        .iter()
        .filter(|(_, a, _)| a != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1, "{actions:?}");
    assert_eq!(changed[0].0, "fd_web");
    assert_eq!(changed[0].1, "update");
    assert_eq!(
        changed[0].2,
        serde_json::json!(["deploy.replicas", "environment", "healthcheck"])
    );
    let host = swarm.manager_host();
    sandbox
        .run(&[
            "--read-only",
            "-H",
            &host,
            "-p",
            "fd",
            "-f",
            &edited_file,
            "apply",
            "--swarm",
        ])
        .expect_code(4);
    assert_eq!(versions(&swarm, "fd"), before, "read-only changed nothing");
    fleetdeck(&sandbox, &swarm, "fd", &edited_file, &["apply", "--swarm"]).expect_code(0);
    let replicas = swarm.docker(
        0,
        &[
            "service",
            "inspect",
            "fd_web",
            "--format",
            "{{.Spec.Mode.Replicated.Replicas}}",
        ],
    );
    assert_eq!(replicas, "3");
    let ran = fleetdeck(
        &sandbox,
        &swarm,
        "fd",
        &edited_file,
        &["plan", "--swarm", "--json"],
    );
    assert!(
        plan_actions(ran.expect_code(0))
            .iter()
            .all(|(_, a, _)| a == "unchanged")
    );
    let audit = sandbox.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l["action"] == "update service" && l["target_name"] == "fd_web"),
        "the update is audited: {audit:?}"
    );

    // Down asks first (stdin is no terminal: refused without --yes), then removes only fd's.
    fleetdeck(&sandbox, &swarm, "fd", &edited_file, &["down", "--swarm"]).expect_code(2);
    assert_eq!(names(&swarm, &["service", "ls"]).len(), 6);
    fleetdeck(
        &sandbox,
        &swarm,
        "fd",
        &edited_file,
        &["down", "--swarm", "--yes"],
    )
    .expect_code(0);
    assert_eq!(
        names(&swarm, &["service", "ls"]),
        ["dk_job", "dk_web", "dk_worker"]
    );
    // A removed network leaves the node once the removed services' tasks are gone.
    let networks = || -> Vec<String> {
        names(&swarm, &["network", "ls"])
            .into_iter()
            .filter(|n| n.starts_with("dk_") || n.starts_with("fd_"))
            .collect()
    };
    swarm.wait_until(
        "fd's networks gone from the node",
        Duration::from_secs(120),
        || networks() == ["dk_back", "dk_default", "dk_front"],
    );
    assert_eq!(names(&swarm, &["secret", "ls"]), ["dk_token"]);
    assert_eq!(names(&swarm, &["config", "ls"]), ["dk_conf"]);
}

/// The machine's own daemon is in no swarm: a stack is refused there, naming the host, and
/// nothing is read beyond `/info` or changed.
#[test]
fn a_host_that_is_no_swarm_manager_is_refused() {
    let sandbox = Sandbox::new();
    let file = write_files(sandbox.path(), FILE);
    for args in [
        vec!["plan", "--swarm"],
        vec!["apply", "--swarm"],
        vec!["down", "--swarm", "--yes"],
    ] {
        let mut all = vec![
            "--daemon-timeout",
            "30s",
            "-p",
            "fdnoswarm",
            "-f",
            file.as_str(),
        ];
        all.extend_from_slice(&args);
        let ran = sandbox.run(&all);
        ran.expect_code(2);
        assert!(
            ran.stderr.contains("not in a swarm") && ran.stderr.contains("Swarm manager"),
            "{args:?}: {}",
            ran.stderr
        );
    }
    assert!(sandbox.audit_lines().is_empty(), "nothing was attempted");
}
