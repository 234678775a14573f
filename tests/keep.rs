//! `fleetdeck keep` against the real daemon, through the real binary: a crash-looping service
//! restarted up to its budget then given up with the reason; an unhealthy one restarted and
//! verified healthy; a stopped-but-matching one started. Each test keeps its own compose
//! project (its containers carry the run label), with short intervals in a sandbox config, and
//! the guard removes everything, also when a test fails.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::binary::Sandbox;
use common::keeper::Following;
use common::{Fixture, IMAGE, RUN_LABEL};

/// The keeper's timings for the tests: short backoff and settle, no GC during the test.
const KEEPER: &str = "[keeper]\nrestart_budget = 3\nbackoff = \"100ms\"\nbackoff_max = \"500ms\"\n\
                      settle = \"3s\"\nverify_timeout = \"30s\"\nwindow = \"10m\"\n\
                      reconcile_interval = \"1h\"\ngc_interval = \"1h\"\n";

struct Kept {
    fixture: Fixture,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl Kept {
    async fn new(test: &str) -> Self {
        let kept = Self {
            fixture: Fixture::new(test).await,
            sandbox: Sandbox::new(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::write(kept.sandbox.config_path(), KEEPER).expect("write the config");
        kept
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("compose.yaml")
    }

    /// A project of one service `svc` running `script`, with `extra` service lines.
    fn write(&self, script: &str, extra: &str) {
        let text = format!(
            "name: {name}\nservices:\n  svc:\n    image: {IMAGE}\n    command: [\"sh\", \"-c\", {script:?}]\n    \
             network_mode: none\n    restart: \"no\"\n    labels:\n      {RUN_LABEL}: {run}\n{extra}",
            name = self.fixture.prefix,
            run = self.fixture.run,
        );
        std::fs::write(self.file(), text).expect("write compose file");
    }

    fn container(&self) -> String {
        format!("{}-svc-1", self.fixture.prefix)
    }

    fn apply(&self) {
        let file = self.file().display().to_string();
        self.sandbox.run(&["-f", &file, "apply"]).expect_code(0);
    }

    fn keep(&self) -> Following {
        let file = self.file().display().to_string();
        Following::spawn(&self.sandbox, &["keep", "-f", &file, "--json"])
    }
}

fn about<'a>(line: &'a serde_json::Value, decision: &str, name: &str) -> Option<&'a str> {
    (line["decision"] == decision && line["container"] == name)
        .then(|| line["reason"].as_str().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_restarts_a_crash_loop_up_to_its_budget_then_gives_up() {
    let kept = Kept::new("keep-crash").await;
    kept.write("sleep 1; exit 3", "");
    kept.apply();
    let name = kept.container();
    let mut keep = kept.keep();
    let given_up = keep.wait_for("give_up", 1, |l| about(l, "give_up", &name).is_some());
    let reason = given_up[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("exited 3"), "{reason}");
    assert!(reason.contains("gave up after 3 restarts"), "{reason}");
    let restarts: Vec<_> = keep
        .lines()
        .into_iter()
        .filter(|l| about(l, "restart", &name).is_some())
        .collect();
    assert_eq!(restarts.len(), 3, "{restarts:?}");
    let attempts: Vec<u64> = restarts
        .iter()
        .map(|l| l["attempt"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(attempts, vec![1, 2, 3]);
    let ran = keep.terminate();
    ran.expect_code(0);
    // Left alone: no restart after the give-up.
    let after: Vec<_> = keep
        .lines()
        .into_iter()
        .skip_while(|l| about(l, "give_up", &name).is_none())
        .filter(|l| about(l, "restart", &name).is_some() || about(l, "start", &name).is_some())
        .collect();
    assert!(after.is_empty(), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_restarts_an_unhealthy_container_and_verifies_it_healthy() {
    let kept = Kept::new("keep-sick").await;
    // Unhealthy on its first run; a restart (same filesystem) makes /ok and so fixes it.
    kept.write(
        "trap 'exit 0' TERM; if [ -f /started ]; then touch /ok; fi; touch /started; while true; do sleep 0.2; done",
        "    healthcheck:\n      test: [\"CMD-SHELL\", \"test -f /ok\"]\n      interval: 1s\n      timeout: 1s\n      retries: 1\n",
    );
    kept.apply();
    let name = kept.container();
    let mut keep = kept.keep();
    let restart = keep.wait_for("restart", 1, |l| about(l, "restart", &name).is_some());
    assert!(
        restart[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("unhealthy")),
        "{restart:?}"
    );
    let verified = keep.wait_for("verified", 1, |l| about(l, "verified", &name).is_some());
    assert_eq!(verified[0]["reason"], "healthy");
    keep.terminate().expect_code(0);
    kept.fixture
        .wait_for(&name, "healthy", |i| {
            i.state
                .as_ref()
                .and_then(|s| s.health.as_ref())
                .and_then(|h| h.status)
                .is_some_and(|s| s.to_string() == "healthy")
        })
        .await;
    assert!(keep.decisions("give_up").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_starts_a_stopped_container_that_matches_the_files() {
    let kept = Kept::new("keep-stopped").await;
    kept.write("trap 'exit 0' TERM; while true; do sleep 0.2; done", "");
    kept.apply();
    let name = kept.container();
    let stopped = Command::new("docker")
        .args(["stop", "-t", "5", &name])
        .output()
        .expect("docker stop");
    assert!(stopped.status.success(), "{stopped:?}");
    assert!(!kept.fixture.is_running(&name).await);
    let mut keep = kept.keep();
    let started = keep.wait_for("start", 1, |l| about(l, "start", &name).is_some());
    assert!(
        started[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stopped but matching")),
        "{started:?}"
    );
    kept.fixture
        .wait_for(&name, "running", |i| {
            i.state.as_ref().and_then(|s| s.running) == Some(true)
        })
        .await;
    keep.terminate().expect_code(0);
}

/// Needs the real store (issue 12, part 1): the give-up recorded by the keeper is what
/// `triage` shows afterwards. Run after the merge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_give_up_is_shown_by_triage() {
    let kept = Kept::new("keep-triage").await;
    kept.write("sleep 1; exit 3", "");
    kept.apply();
    let name = kept.container();
    let mut keep = kept.keep();
    keep.wait_for("give_up", 1, |l| about(l, "give_up", &name).is_some());
    keep.terminate().expect_code(0);
    let ran = kept.sandbox.run(&["triage", "--since", "10m", "--json"]);
    let json = ran.json();
    let problems = json["problems"].as_array().cloned().unwrap_or_default();
    assert!(
        problems
            .iter()
            .any(|p| { p.to_string().contains(&name) && p.to_string().contains("gave up") }),
        "triage does not show the give-up of {name}: {json}"
    );
}
