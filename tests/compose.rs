//! Compose files against the real daemon, through the real binary: `apply` from empty (names,
//! labels, network alias, hostname, DNS by service name, `docker-compose ps`), changes (one env
//! value, a stopped container, scale 3 → 1 → 2, a dropped service), a second apply that makes
//! no mutating call (audit file and `docker events`), a name held by another container, bad
//! files and `--read-only`. Every project is the test's own, every container, network and
//! volume carries the run label, and the guard removes them all, also when a test fails.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::binary::{Ran, Sandbox};
use common::{Fixture, IMAGE, RUN_LABEL, Spec};
use serde_json::Value;

/// A test's compose project: its name (the fixture's prefix, so that the fixture's containers
/// can take the project's names), its directory, a sandbox for the binary; removes every
/// container, network and volume with the run label when dropped.
struct Compose {
    fixture: Fixture,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl Compose {
    async fn new(test: &str) -> Self {
        Self {
            fixture: Fixture::new(test).await,
            sandbox: Sandbox::new(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn name(&self) -> &str {
        &self.fixture.prefix
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("compose.yaml")
    }

    /// Writes the compose file: `services` (YAML, indented under `services:`), then the run
    /// label on the default network and on the `data` volume.
    fn write(&self, services: &str) {
        let label = format!("{RUN_LABEL}: {}", self.fixture.run);
        let text = format!(
            "services:\n{services}\nnetworks:\n  default:\n    labels:\n      {label}\n\
             volumes:\n  data:\n    labels:\n      {label}\n"
        );
        std::fs::write(self.file(), text).expect("write compose file");
    }

    /// One service: `sleep` in the test image, labelled with the run, plus `extra` lines.
    fn service(&self, name: &str, extra: &str) -> String {
        format!(
            "  {name}:\n    image: {IMAGE}\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n    labels:\n      {RUN_LABEL}: {}\n{extra}",
            self.fixture.run
        )
    }

    fn run(&self, args: &[&str]) -> Ran {
        let file = self.file().display().to_string();
        let mut all: Vec<&str> = vec!["-f", &file, "-p", self.name()];
        all.extend_from_slice(args);
        self.sandbox.run(&all)
    }

    fn run_read_only(&self, args: &[&str]) -> Ran {
        let file = self.file().display().to_string();
        let mut all: Vec<&str> = vec!["--read-only", "-f", &file, "-p", self.name()];
        all.extend_from_slice(args);
        self.sandbox.run(&all)
    }

    /// `plan --json`: one step a line.
    fn plan(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["plan", "--json"];
        args.extend_from_slice(extra);
        self.run(&args).expect_code(0).json_lines()
    }

    /// `apply --json`, expecting `code`: one outcome a line.
    fn apply(&self, extra: &[&str], code: i32) -> Vec<Value> {
        let mut args = vec!["apply", "--json"];
        args.extend_from_slice(extra);
        self.run(&args).expect_code(code).json_lines()
    }

    /// The project's containers: name → id.
    fn containers(&self) -> HashMap<String, String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "--format", "{{.Names}} {{.ID}}", "--filter"])
            .arg(format!("label=com.docker.compose.project={}", self.name()))
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect()
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.containers().into_keys().collect();
        names.sort();
        names
    }

    fn n(&self, service: &str, k: u32) -> String {
        format!("{}-{service}-{k}", self.name())
    }

    async fn inspect(&self, name: &str) -> bollard::models::ContainerInspectResponse {
        self.fixture
            .inspect(name)
            .await
            .expect("the container exists")
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        common::sweep(&self.fixture.run_label(), true);
    }
}

fn words(lines: &[Value], key: &str) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| {
            let step = l.get("step").unwrap_or(l);
            (
                step["name"].as_str().unwrap_or_default().to_string(),
                l[key].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has(lines: &[Value], key: &str, name: &str, word: &str) -> bool {
    words(lines, key)
        .iter()
        .any(|(n, w)| n == name && w == word)
}

#[tokio::test]
async fn apply_from_empty_makes_what_compose_makes() {
    let c = Compose::new("compose-empty").await;
    let services = [
        c.service("web", "    deploy:\n      replicas: 3\n"),
        c.service(
            "db",
            "    hostname: dbhost\n    healthcheck:\n      test: [\"CMD-SHELL\", \"exit 0\"]\n      interval: 1s\n    volumes:\n      - data:/data\n",
        ),
        c.service(
            "worker",
            "    depends_on:\n      db:\n        condition: service_healthy\n",
        ),
    ]
    .join("");
    c.write(&services);

    let plan = c.plan(&[]);
    assert_eq!(plan.len(), 5, "{plan:?}");
    assert!(plan.iter().all(|s| s["action"] == "create"), "{plan:?}");

    let outcomes = c.apply(&[], 0);
    let network = format!("{}_default", c.name());
    let volume = format!("{}_data", c.name());
    assert!(
        has(&outcomes, "outcome", &network, "created"),
        "{outcomes:?}"
    );
    assert!(
        has(&outcomes, "outcome", &volume, "created"),
        "{outcomes:?}"
    );
    let mut expected = vec![
        c.n("db", 1),
        c.n("web", 1),
        c.n("web", 2),
        c.n("web", 3),
        c.n("worker", 1),
    ];
    expected.sort();
    assert_eq!(c.names(), expected);
    for name in &expected {
        assert!(
            has(&outcomes, "outcome", name, "created"),
            "{name}: {outcomes:?}"
        );
    }

    for (service, k) in [("web", 2), ("db", 1), ("worker", 1)] {
        let inspect = c.inspect(&c.n(service, k)).await;
        let config = inspect.config.clone().expect("config");
        let labels = config.labels.clone().expect("labels");
        assert_eq!(labels["com.docker.compose.project"], c.name());
        assert_eq!(labels["com.docker.compose.service"], service);
        assert_eq!(labels["com.docker.compose.container-number"], k.to_string());
        assert_eq!(labels["com.docker.compose.oneoff"], "False");
        assert!(!labels["com.docker.compose.config-hash"].is_empty());
        assert_eq!(labels["fleetdeck.owner"], "fleetdeck");
        assert_eq!(
            inspect.state.and_then(|s| s.running),
            Some(true),
            "{service}"
        );
        let networks = inspect
            .network_settings
            .and_then(|n| n.networks)
            .expect("networks");
        let aliases = networks[&network].aliases.clone().unwrap_or_default();
        assert!(
            aliases.iter().any(|a| a == service),
            "{service}: {aliases:?}"
        );
        if service == "db" {
            assert_eq!(config.hostname.as_deref(), Some("dbhost"));
            let mounts = inspect.mounts.unwrap_or_default();
            assert!(
                mounts
                    .iter()
                    .any(|m| m.name.as_deref() == Some(volume.as_str())),
                "{mounts:?}"
            );
        }
    }

    // The worker, on the project network, reaches db by its service name.
    let ping = Command::new("docker")
        .args(["exec", &c.n("worker", 1), "ping", "-c1", "-W5", "db"])
        .output()
        .expect("docker exec");
    assert!(
        ping.status.success(),
        "ping db: {}{}",
        String::from_utf8_lossy(&ping.stdout),
        String::from_utf8_lossy(&ping.stderr)
    );

    // docker-compose (1.29, installed with the daemon) sees the project.
    let ps = Command::new("docker-compose")
        .args(["-p", c.name(), "-f"])
        .arg(c.file())
        .arg("ps")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run docker-compose ({e}): apt-get install docker-compose (scripts/test.sh does)")
        });
    let text = String::from_utf8_lossy(&ps.stdout);
    for name in &expected {
        assert!(
            text.contains(name.as_str()),
            "docker-compose ps lacks {name}:\n{text}\n{}",
            String::from_utf8_lossy(&ps.stderr)
        );
    }
}

#[tokio::test]
async fn changes_recreate_start_scale_orphans_and_a_second_apply_is_silent() {
    let c = Compose::new("compose-change").await;
    let web = |replicas: u32, a: &str| {
        c.service(
            "web",
            &format!(
                "    deploy:\n      replicas: {replicas}\n    environment:\n      A: \"{a}\"\n"
            ),
        )
    };
    let side = c.service("side", "    environment:\n      B: \"1\"\n");
    c.write(&[web(3, "1"), side.clone()].join(""));
    c.apply(&[], 0);
    let before = c.containers();
    assert_eq!(before.len(), 4);

    // One env value: only web's containers are recreated.
    c.write(&[web(3, "2"), side.clone()].join(""));
    let plan = c.plan(&[]);
    for k in 1..=3 {
        let step = plan
            .iter()
            .find(|s| s["name"] == c.n("web", k).as_str())
            .expect("web step");
        assert_eq!(step["action"], "recreate", "{plan:?}");
        assert_eq!(
            step["changed"],
            serde_json::json!(["environment"]),
            "{plan:?}"
        );
    }
    assert!(
        has(&plan, "action", &c.n("side", 1), "unchanged"),
        "{plan:?}"
    );
    let outcomes = c.apply(&[], 0);
    assert!(
        has(&outcomes, "outcome", &c.n("web", 1), "recreated"),
        "{outcomes:?}"
    );
    let after = c.containers();
    assert_eq!(after.len(), 4, "{after:?}");
    assert_eq!(after[&c.n("side", 1)], before[&c.n("side", 1)]);
    for k in 1..=3 {
        assert_ne!(after[&c.n("web", k)], before[&c.n("web", k)]);
    }
    let env = c
        .inspect(&c.n("web", 2))
        .await
        .config
        .and_then(|c| c.env)
        .unwrap_or_default();
    assert!(env.iter().any(|e| e == "A=2"), "{env:?}");

    // A stopped container: plan says start, apply starts it.
    let side1 = c.n("side", 1);
    Command::new("docker")
        .args(["stop", "-t", "5", &side1])
        .output()
        .expect("docker stop");
    assert!(has(&c.plan(&[]), "action", &side1, "start"));
    assert!(has(&c.apply(&[], 0), "outcome", &side1, "started"));
    assert!(c.fixture.is_running(&side1).await);

    // Scale 3 → 1 → 2.
    c.write(&[web(1, "2"), side.clone()].join(""));
    c.apply(&[], 0);
    assert_eq!(c.names(), vec![c.n("side", 1), c.n("web", 1)]);
    c.write(&[web(2, "2"), side.clone()].join(""));
    c.apply(&[], 0);
    assert_eq!(
        c.names(),
        vec![c.n("side", 1), c.n("web", 1), c.n("web", 2)]
    );

    // Drop a service: an orphan, removed only with --remove-orphans.
    c.write(&web(2, "2"));
    assert!(has(&c.plan(&[]), "action", &side1, "orphan"));
    assert!(has(&c.apply(&[], 0), "outcome", &side1, "orphan"));
    assert!(c.containers().contains_key(&side1));
    assert!(has(
        &c.plan(&["--remove-orphans"]),
        "action",
        &side1,
        "remove"
    ));
    assert!(has(
        &c.apply(&["--remove-orphans"], 0),
        "outcome",
        &side1,
        "removed"
    ));
    assert!(!c.containers().contains_key(&side1));

    // A second apply of the same files: all unchanged, no mutating call at all.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let since = chrono::Utc::now().timestamp();
    let audit_before = c.sandbox.audit_lines().len();
    let outcomes = c.apply(&[], 0);
    assert!(
        outcomes.iter().all(|o| o["outcome"] == "unchanged"),
        "{outcomes:?}"
    );
    assert_eq!(
        c.sandbox.audit_lines().len(),
        audit_before,
        "no new audit line"
    );
    let until = chrono::Utc::now().timestamp() + 1;
    let events = Command::new("docker")
        .args([
            "events",
            "--since",
            &since.to_string(),
            "--until",
            &until.to_string(),
        ])
        .args([
            "--filter",
            &format!("label=com.docker.compose.project={}", c.name()),
        ])
        .args(["--format", "{{.Action}} {{.Actor.Attributes.name}}"])
        .output()
        .expect("docker events");
    let events = String::from_utf8_lossy(&events.stdout);
    let mutating: Vec<&str> = events
        .lines()
        .filter(|l| {
            [
                "create", "start", "stop", "destroy", "kill", "die", "rename",
            ]
            .iter()
            .any(|w| l.starts_with(w))
        })
        .collect();
    assert!(
        mutating.is_empty(),
        "a second apply made calls: {mutating:?}"
    );
}

#[tokio::test]
async fn a_name_held_by_another_container_is_a_conflict_left_alone() {
    let c = Compose::new("compose-conflict").await;
    // Not of the project: no compose labels, same name as web's first replica.
    let holder = c.fixture.run("web-1", Spec::graceful()).await;
    assert_eq!(c.n("web", 1), c.fixture.name("web-1"));
    c.write(&c.service("web", ""));
    let plan = c.plan(&[]);
    let step = plan
        .iter()
        .find(|s| s["name"] == c.n("web", 1).as_str())
        .expect("step");
    assert_eq!(step["action"], "conflict", "{plan:?}");
    assert_eq!(step["holder"], holder.as_str());
    let outcomes = c.apply(&[], 1);
    assert!(
        has(&outcomes, "outcome", &c.n("web", 1), "conflict"),
        "{outcomes:?}"
    );
    let inspect = c.inspect(&holder).await;
    assert_eq!(inspect.state.and_then(|s| s.running), Some(true));
    let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
    assert!(!labels.contains_key("com.docker.compose.project"));
    assert!(c.containers().is_empty(), "nothing made for the project");
}

#[tokio::test]
async fn bad_files_and_read_only_change_nothing() {
    let c = Compose::new("compose-bad").await;
    let file = c.file().display().to_string();
    let cases = [
        (
            format!("{}    foo: 1\n", c.service("web", "")),
            "services.web.foo",
        ),
        ("  web: [\n".to_string(), "bad YAML"),
        (
            format!(
                "  web:\n    command: [\"sleep\", \"1\"]\n    labels:\n      {RUN_LABEL}: {}\n",
                c.fixture.run
            ),
            "services.web.image",
        ),
        (
            "  web:\n    image: \"${FLEETDECK_TEST_UNSET_VAR:?set it}\"\n".to_string(),
            "services.web.image",
        ),
    ];
    for (services, key) in cases {
        c.write(&services);
        for cmd in ["plan", "apply"] {
            let ran = c.run(&[cmd]);
            ran.expect_code(2);
            assert!(
                ran.stderr.contains(&format!("{file}:")) && ran.stderr.contains(key),
                "{cmd}: {}",
                ran.stderr
            );
            let line = ran
                .stderr
                .split(&format!("{file}:"))
                .nth(1)
                .unwrap_or_default();
            assert!(
                line.starts_with(|ch: char| ch.is_ascii_digit()),
                "no line: {}",
                ran.stderr
            );
        }
        assert!(c.containers().is_empty());
    }
    assert!(c.sandbox.audit_lines().is_empty());

    // --read-only: refused (exit 4), nothing made, nothing audited.
    c.write(
        &[
            c.service("web", ""),
            c.service("db", "    volumes:\n      - data:/data\n"),
        ]
        .join(""),
    );
    let ran = c.run_read_only(&["apply"]);
    ran.expect_code(4);
    assert!(ran.stdout.contains("read-only"), "{}", ran.stdout);
    assert!(c.containers().is_empty());
    let nets = Command::new("docker")
        .args([
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("name={}_default", c.name()),
        ])
        .output()
        .expect("docker network ls");
    assert!(String::from_utf8_lossy(&nets.stdout).trim().is_empty());
    assert!(c.sandbox.audit_lines().is_empty());
    c.run_read_only(&["down", "--yes"]).expect_code(0);

    // down: asks (no terminal: refuses), then with --yes removes everything of the project.
    c.run(&["apply"]).expect_code(0);
    assert_eq!(c.containers().len(), 2);
    c.run(&["down"]).expect_code(2);
    assert_eq!(c.containers().len(), 2);
    c.run_read_only(&["down", "--yes"]).expect_code(4);
    c.run(&["down", "--yes", "--volumes"]).expect_code(0);
    assert!(c.containers().is_empty());
    let vols = Command::new("docker")
        .args([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name={}_data", c.name()),
        ])
        .output()
        .expect("docker volume ls");
    assert!(String::from_utf8_lossy(&vols.stdout).trim().is_empty());
}
