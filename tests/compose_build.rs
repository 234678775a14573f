//! Compose `build:`, `secrets:`/`configs:` and image drift against the real daemon, through the
//! real binary: a build from the local test image with `args`, a `target` stage and a
//! `.dockerignore`d file that must not reach the image; a failing build that leaves no
//! container and no tag and names its step; secrets by file, by environment and by content
//! readable in the container and absent from every output; a tag moved to another image seen
//! by `plan --pull` and recreated by `apply --pull` with the anonymous volume carried over;
//! `depends_on: {restart: true}`. Every container carries the run label; the guard removes
//! them, their anonymous volumes and the images the test tagged, also when a test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::binary::{Ran, Sandbox};
use common::{Fixture, IMAGE, RUN_LABEL};
use serde_json::Value;

struct Project {
    fixture: Fixture,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    /// Images the test tagged (removed on drop).
    images: Vec<String>,
}

impl Project {
    async fn new(test: &str) -> Self {
        Self {
            fixture: Fixture::new(test).await,
            sandbox: Sandbox::new(),
            dir: tempfile::tempdir().expect("temp dir"),
            images: Vec::new(),
        }
    }

    fn name(&self) -> &str {
        &self.fixture.prefix
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn put(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    /// The run label line, for a service's `labels:`.
    fn label(&self) -> String {
        format!("{RUN_LABEL}: {}", self.fixture.run)
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let file = self.path("compose.yaml").display().to_string();
        let mut all: Vec<&str> = vec!["-f", &file, "-p", self.name()];
        all.extend_from_slice(args);
        self.sandbox.run_with(&all, |cmd| {
            for (k, v) in env {
                cmd.env(k, v);
            }
        })
    }

    fn run(&self, args: &[&str]) -> Ran {
        self.run_env(args, &[])
    }

    fn container(&self, service: &str) -> String {
        format!("{}-{service}-1", self.name())
    }

    fn exec(&self, service: &str, script: &str) -> String {
        let out = Command::new("docker")
            .args(["exec", &self.container(service), "sh", "-c", script])
            .output()
            .expect("docker exec");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn names(&self) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "--format", "{{.Names}}", "--filter"])
            .arg(format!("label=com.docker.compose.project={}", self.name()))
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let filter = format!("label={}", self.fixture.run_label());
        let out = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output();
        let ids: Vec<String> = out
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f", "-v"])
                .args(&ids)
                .output();
        }
        for image in &self.images {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

fn image_exists(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn image_id(image: &str) -> String {
    let out = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
        .expect("docker image inspect");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `(step name, word)` of each line that is a plan step or an apply outcome.
fn words(lines: &[Value], key: &str) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l.get("event").is_none())
        .map(|l| {
            let step = l.get("step").unwrap_or(l);
            (
                step["name"].as_str().unwrap_or_default().to_string(),
                l[key].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn all_unchanged(plan: &[Value]) -> bool {
    !plan.is_empty() && plan.iter().all(|s| s["action"] == "unchanged")
}

const LOOP: &str = "[\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]";

#[tokio::test]
async fn a_build_with_args_a_target_and_dockerignore_runs_and_then_plans_unchanged() {
    let mut p = Project::new("compose-build").await;
    let image = format!("{}-web", p.name());
    p.images.push(image.clone());
    p.put(
        "ctx/Dockerfile",
        &format!(
            "FROM {IMAGE} AS base\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\nCOPY . /ctx/\n\
             FROM base AS dev\nRUN echo dev > /stage\n\
             FROM base AS prod\nRUN echo prod > /stage\n"
        ),
    );
    p.put("ctx/.dockerignore", "secret.txt\n*.log\n!keep.log\n");
    p.put("ctx/secret.txt", "must not reach the image");
    p.put("ctx/noise.log", "left out");
    p.put("ctx/keep.log", "taken back by the exception");
    p.put("ctx/app.txt", "the app");
    p.put(
        "compose.yaml",
        &format!(
            "services:\n  web:\n    build:\n      context: ./ctx\n      args:\n        GREETING: hello-args\n      target: dev\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {}\n",
            p.label()
        ),
    );

    let plan = p.run(&["plan", "--json"]).expect_code(0).json_lines();
    assert_eq!(
        words(&plan, "action"),
        vec![
            (image.clone(), "build".to_string()),
            (p.container("web"), "create".to_string())
        ],
        "{plan:?}"
    );

    let ran = p.run(&["apply", "--json"]);
    let lines = ran.expect_code(0).json_lines();
    let got = words(&lines, "outcome");
    assert!(got.contains(&(image.clone(), "built".into())), "{lines:?}");
    assert!(
        got.contains(&(p.container("web"), "created".into())),
        "{lines:?}"
    );
    let progress: Vec<&Value> = lines.iter().filter(|l| l["event"] == "progress").collect();
    assert!(
        progress.iter().any(|l| l["kind"] == "build"
            && l["service"] == "web"
            && l["line"].as_str().is_some_and(|t| t.starts_with("Step 1/"))),
        "build progress events: {lines:?}"
    );

    assert_eq!(p.exec("web", "cat /greeting"), "hello-args");
    assert_eq!(p.exec("web", "cat /stage"), "dev", "the target stage");
    assert_eq!(p.exec("web", "cat /ctx/app.txt"), "the app");
    assert_eq!(
        p.exec("web", "cat /ctx/keep.log"),
        "taken back by the exception"
    );
    assert_eq!(
        p.exec("web", "ls -a /ctx | sort | tr '\\n' ' '"),
        ". .. .dockerignore Dockerfile app.txt keep.log",
        "secret.txt and noise.log are left out of the context"
    );

    let again = p.run(&["plan", "--json"]).expect_code(0).json_lines();
    assert!(all_unchanged(&again), "{again:?}");

    // --build rebuilds and the plan says so; the daemon's cache makes the same image, so the
    // container is kept, as compose keeps it.
    let forced = p
        .run(&["plan", "--json", "--build"])
        .expect_code(0)
        .json_lines();
    assert_eq!(forced[0]["action"], "build", "{forced:?}");
    let before = p.exec("web", "hostname");
    let lines = p
        .run(&["apply", "--json", "--build"])
        .expect_code(0)
        .json_lines();
    let got = words(&lines, "outcome");
    assert!(got.contains(&(image.clone(), "built".into())), "{lines:?}");
    assert!(
        got.contains(&(p.container("web"), "unchanged".into())),
        "{lines:?}"
    );
    assert_eq!(p.exec("web", "hostname"), before, "the same container");
}

#[tokio::test]
async fn a_failing_build_names_its_step_and_leaves_nothing_behind() {
    let mut p = Project::new("compose-build-fail").await;
    let image = format!("{}-web", p.name());
    p.images.push(image.clone());
    p.put(
        "ctx/Dockerfile",
        &format!("FROM {IMAGE}\nRUN echo first\nRUN exit 3\nRUN echo never\n"),
    );
    p.put(
        "compose.yaml",
        &format!(
            "services:\n  web:\n    build: ./ctx\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {}\n",
            p.label()
        ),
    );
    let ran = p.run(&["apply", "--json"]);
    let lines = ran.expect_code(1).json_lines();
    let build = lines
        .iter()
        .find(|l| l["step"]["action"] == "build")
        .expect("the build's outcome");
    assert_eq!(build["outcome"], "failed", "{lines:?}");
    let error = build["error"].as_str().unwrap_or_default();
    assert!(error.contains("step 3/4 RUN exit 3"), "{error}");
    assert!(error.contains("non-zero code: 3"), "{error}");
    assert!(
        words(&lines, "outcome").contains(&(p.container("web"), "skipped".into())),
        "{lines:?}"
    );
    assert!(p.names().is_empty(), "no container: {:?}", p.names());
    assert!(!image_exists(&image), "no tag");
    let audit = p.sandbox.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l.to_string().contains("build") && l.to_string().contains(&image)),
        "the build is audited: {audit:?}"
    );
    // Under --read-only nothing is built.
    let file = p.path("compose.yaml").display().to_string();
    let refused = p.sandbox.run(&[
        "--read-only",
        "-f",
        &file,
        "-p",
        p.name(),
        "apply",
        "--json",
    ]);
    let lines = refused.json_lines();
    let build = lines
        .iter()
        .find(|l| l["step"]["action"] == "build")
        .expect("the build's outcome");
    assert_eq!(build["outcome"], "skipped", "{lines:?}");
}

fn masked_everywhere(p: &Project, values: &[&str], outputs: &[(&str, String)]) {
    let audit = std::fs::read_to_string(p.sandbox.audit_path()).expect("the audit file");
    let mut all: Vec<(&str, String)> = outputs.to_vec();
    all.push(("audit log", audit));
    for (what, text) in &all {
        for v in values {
            assert!(!text.contains(v), "{what} shows a secret value:\n{text}");
        }
    }
}

#[tokio::test]
async fn secrets_and_configs_reach_the_container_and_no_output() {
    let p = Project::new("compose-secrets").await;
    let (file_value, env_value, content_value) =
        ("file-secret-4e1f", "env-secret-77ab", "content-config-90cd");
    p.put("token.txt", file_value);
    p.put(
        "compose.yaml",
        &format!(
            "services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {}\n    secrets:\n      - token\n      - source: api\n        target: api_key\n        mode: 0400\n    configs:\n      - source: motd\n        target: /etc/motd\n\
             secrets:\n  token:\n    file: ./token.txt\n  api:\n    environment: FD_TEST_API_KEY\n\
             configs:\n  motd:\n    content: {content_value}\n",
            p.label()
        ),
    );
    let env = [("FD_TEST_API_KEY", env_value)];
    let plan = p
        .run_env(&["plan", "--json"], &env)
        .expect_code(0)
        .text()
        .to_string();
    let apply = p
        .run_env(&["apply", "--json"], &env)
        .expect_code(0)
        .text()
        .to_string();
    assert_eq!(p.exec("app", "cat /run/secrets/token"), file_value);
    assert_eq!(p.exec("app", "cat /run/secrets/api_key"), env_value);
    assert_eq!(p.exec("app", "stat -c %a /run/secrets/api_key"), "400");
    assert_eq!(p.exec("app", "cat /etc/motd"), content_value);
    let inspect = p
        .sandbox
        .run(&["inspect", "--json", &p.container("app")])
        .expect_code(0)
        .text()
        .to_string();
    let docker_inspect = Command::new("docker")
        .args(["inspect", &p.container("app")])
        .output()
        .expect("docker inspect");
    let again = p.run_env(&["plan", "--json"], &env);
    again.expect_code(0);
    assert!(all_unchanged(&again.json_lines()), "{}", again.text());
    let config = p.run_env(&["config"], &env);
    config.expect_code(0);
    assert!(
        config.text().contains("environment: FD_TEST_API_KEY"),
        "{}",
        config.text()
    );
    masked_everywhere(
        &p,
        &[file_value, env_value, content_value],
        &[
            ("plan --json", plan),
            ("apply --json", apply),
            ("inspect --json", inspect),
            (
                "docker inspect",
                String::from_utf8_lossy(&docker_inspect.stdout).into_owned(),
            ),
            ("plan after apply", again.text().to_string()),
            ("config", config.text().to_string()),
        ],
    );
}

#[tokio::test]
async fn an_external_secret_loads_and_refuses_only_the_container_that_uses_it() {
    let p = Project::new("compose-extsecret").await;
    p.put(
        "compose.yaml",
        &format!(
            "services:\n  uses:\n    image: {IMAGE}\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {0}\n    secrets: [swarm_only]\n  plain:\n    image: {IMAGE}\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {0}\n\
             secrets:\n  swarm_only:\n    external: true\n",
            p.label()
        ),
    );
    let plan = p.run(&["plan", "--json"]);
    plan.expect_code(0);
    assert!(
        plan.stderr.contains("external (secrets.swarm_only)"),
        "the warning: {}",
        plan.stderr
    );
    let ran = p.run(&["apply", "--json"]);
    let lines = ran.expect_code(1).json_lines();
    let failed = lines
        .iter()
        .find(|l| l["outcome"] == "failed")
        .unwrap_or_else(|| panic!("a failed step: {lines:?}"));
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("secret 'swarm_only'") && error.contains("Swarm"),
        "{error}"
    );
    let names = p.names();
    assert!(
        !names.iter().any(|n| n.contains("uses")),
        "no container for the service using it: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("plain")),
        "the other service is made: {names:?}"
    );
}

fn docker_build(context: &Path, tag: &str) {
    let out = Command::new("docker")
        .args(["build", "-q", "-t", tag])
        .arg(context)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_moved_tag_is_image_drift_and_the_anonymous_volume_is_carried_over() {
    let mut p = Project::new("compose-drift").await;
    let tag = format!("{}-img:latest", p.name());
    p.images.push(tag.clone());
    p.put(
        "v1/Dockerfile",
        &format!("FROM {IMAGE}\nRUN echo v1 > /version\n"),
    );
    p.put(
        "v2/Dockerfile",
        &format!("FROM {IMAGE}\nRUN echo v2 > /version\n"),
    );
    docker_build(&p.path("v1"), &tag);
    let first_id = image_id(&tag);
    let script = "[ -f /data/first ] || cat /version > /data/first; trap 'exit 0' TERM; while true; do sleep 0.2; done";
    p.put(
        "compose.yaml",
        &format!(
            "services:\n  db:\n    image: {tag}\n    command: [\"sh\", \"-c\", \"{script}\"]\n    network_mode: none\n    volumes:\n      - /data\n    labels:\n      {label}\n\
             \x20 web:\n    image: {IMAGE}\n    command: {LOOP}\n    network_mode: none\n    labels:\n      {label}\n    depends_on:\n      db:\n        condition: service_started\n        restart: true\n",
            label = p.label()
        ),
    );
    p.run(&["apply", "--json"]).expect_code(0);
    assert_eq!(p.exec("db", "cat /version"), "v1");
    let first_volume = p.exec("db", "cat /data/first");
    assert_eq!(first_volume, "v1");

    docker_build(&p.path("v2"), &tag);
    assert_ne!(image_id(&tag), first_id, "the tag names another image now");
    let plain = p.run(&["plan", "--json"]).expect_code(0).json_lines();
    assert!(
        all_unchanged(&plain),
        "without --pull no image is compared: {plain:?}"
    );
    let pulled = p
        .run(&["plan", "--json", "--pull"])
        .expect_code(0)
        .json_lines();
    let db = pulled
        .iter()
        .find(|s| s["service"] == "db")
        .expect("db's step");
    assert_eq!(db["action"], "recreate", "{pulled:?}");
    assert_eq!(db["changed"], serde_json::json!(["image"]), "{pulled:?}");

    let lines = p
        .run(&["apply", "--json", "--pull"])
        .expect_code(0)
        .json_lines();
    let got = words(&lines, "outcome");
    assert!(
        got.contains(&(p.container("db"), "recreated".into())),
        "{lines:?}"
    );
    assert!(
        got.contains(&(p.container("web"), "restarted".into())),
        "depends_on restart: true restarts web: {lines:?}"
    );
    assert_eq!(p.exec("db", "cat /version"), "v2", "the new image");
    assert_eq!(
        p.exec("db", "cat /data/first"),
        "v1",
        "the anonymous volume of the old container is the new one's"
    );
    let after = p
        .run(&["plan", "--json", "--pull"])
        .expect_code(0)
        .json_lines();
    assert!(all_unchanged(&after), "{after:?}");
}
