//! The console's compose part end to end: the real binary in tmux against the real daemon,
//! started with `-f FILE -p PROJECT` on a one-service file. The container the file wants shows
//! as a `missing` row in the project's group; `:apply` opens the plan and asks; `y` runs it,
//! the status line says what was done, and the container appears in the list, marked in sync.
//! Under `--read-only`, `:apply` refuses and nothing is made.
//!
//! Every container is labelled with the test run (`fleetdeck.test.run`, through the service's
//! `labels:`, and the project's network through its `networks: default: labels:`), each test
//! has its own project name, and a guard removes the project's containers and its network
//! (by name and by the run label) when the test ends, also when it fails. Screens are polled with
//! a generous bound; no elapsed time is asserted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tmux::{Launch, Tmux, shell_quote};
use common::{Fixture, IMAGE, RUN_LABEL};

/// Removes a compose project's containers and its default network on drop, and any network
/// left with the test's run label.
struct ProjectGuard {
    name: String,
    /// `fleetdeck.test.run=RUN`.
    run_label: String,
}

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        // Synchronous on purpose: runs even while a failed test unwinds.
        let filter = format!("label=com.docker.compose.project={}", self.name);
        if let Ok(out) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
        {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f", "-v"])
                    .args(&ids)
                    .output();
            }
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &format!("{}_default", self.name)])
            .output();
        let filter = format!("label={}", self.run_label);
        if let Ok(out) = Command::new("docker")
            .args(["network", "ls", "-q", "--filter", &filter])
            .output()
        {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["network", "rm"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

/// A one-service compose file in `dir`: `web`, on the test image, it and the project's
/// network labelled with the run.
fn compose_file(dir: &Path, fx: &Fixture) -> PathBuf {
    let file = dir.join("compose.yaml");
    let text = format!(
        "services:\n  web:\n    image: {IMAGE}\n    pull_policy: never\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n    labels:\n      {RUN_LABEL}: \"{run}\"\nnetworks:\n  default:\n    labels:\n      {RUN_LABEL}: \"{run}\"\n",
        run = fx.run
    );
    std::fs::write(&file, text).expect("write the compose file");
    file
}

/// A project name of this test alone, short enough that its container names show whole in
/// the list (a valid compose name: lowercase letters and digits).
fn project_name(test: char) -> String {
    format!("fdc{}{test}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_from_the_console_creates_the_missing_container() {
    let fx = Fixture::new("console-compose").await;
    let project = project_name('a');
    let _guard = ProjectGuard {
        name: project.clone(),
        run_label: fx.run_label(),
    };
    let name = format!("{project}-web-1");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = compose_file(dir.path(), &fx);

    let tmux = Tmux::start(160, 40);
    let file_flag = shell_quote(&file);
    tmux.launch_console(
        dir.path(),
        &["-f", &file_flag, "-p", &project],
        Launch::Plain,
    );
    tmux.wait_for_console();
    // The plan summary comes once the whole container list is in (before it, :apply waits).
    tmux.wait_for("the plan summary", |s| {
        s.contains(&format!("plan {project}: 1 create"))
    });
    tmux.filter(&project);
    tmux.wait_for("the missing row of the project", |s| {
        s.lines()
            .any(|l| l.contains(&name) && l.contains("missing"))
    });

    // :apply shows the plan and asks first.
    tmux.keys(&[":"]);
    tmux.type_text("apply");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the confirm naming the plan", |s| {
        s.contains(&format!("apply {project}: create 1?"))
    });
    assert!(
        fx.docker.inspect_container(&name, None).await.is_err(),
        "nothing is made before the yes"
    );

    // Yes: the plan runs and the status line says what was done.
    tmux.keys(&["y"]);
    tmux.wait_for("the apply's outcome", |s| {
        s.contains("apply: 1 created, 0 failed")
    });

    // Back in the list the container is there, running, in sync.
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("the container in sync", |s| {
        s.lines().any(|l| {
            l.contains(&name) && l.contains("✓") && l.contains("running") && !l.contains("missing")
        })
    });
    assert!(
        !screen.contains("not created"),
        "no missing row is left:\n{screen}"
    );
    let inspect = fx
        .docker
        .inspect_container(&name, None)
        .await
        .expect("the daemon has the container");
    let labels = inspect
        .config
        .and_then(|c| c.labels)
        .expect("the container has labels");
    assert_eq!(
        labels.get("com.docker.compose.project"),
        Some(&project),
        "{labels:?}"
    );
    assert_eq!(
        labels.get("com.docker.compose.service").map(String::as_str),
        Some("web")
    );
    assert_eq!(labels.get(RUN_LABEL), Some(&fx.run));
    // Its network carries the run label too: a sweep of the label finds it.
    let network = fx
        .docker
        .inspect_network(&format!("{project}_default"), None)
        .await
        .expect("the project's network");
    assert_eq!(
        network.labels.unwrap_or_default().get(RUN_LABEL),
        Some(&fx.run),
        "the project's network is labelled with the run"
    );
    tmux.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_console_refuses_to_apply() {
    let fx = Fixture::new("console-compose-ro").await;
    let project = project_name('r');
    let _guard = ProjectGuard {
        name: project.clone(),
        run_label: fx.run_label(),
    };
    let name = format!("{project}-web-1");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = compose_file(dir.path(), &fx);

    let tmux = Tmux::start(160, 40);
    let file_flag = shell_quote(&file);
    tmux.launch_console(
        dir.path(),
        &["--read-only", "-f", &file_flag, "-p", &project],
        Launch::Plain,
    );
    tmux.wait_for("the console", |s| s.contains("READ-ONLY"));
    tmux.filter(&project);
    tmux.wait_for("the missing row of the project", |s| {
        s.lines()
            .any(|l| l.contains(&name) && l.contains("missing"))
    });
    tmux.keys(&[":"]);
    tmux.type_text("apply");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the refusal", |s| {
        s.contains("read-only: apply is unavailable")
    });
    assert!(
        screen.contains(&name) && screen.contains("create"),
        "the plan is shown:\n{screen}"
    );
    assert!(!screen.contains("yes, do it"), "no confirm:\n{screen}");
    assert!(
        fx.docker.inspect_container(&name, None).await.is_err(),
        "nothing was made"
    );
    tmux.keys(&["q"]);
}
