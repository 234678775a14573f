//! Scheduled jobs of `fleetdeck keep` against the real daemon, through the real binary: an
//! `@every 2s` job that sleeps 5 s runs, leaves no container, is skipped while its previous
//! run still goes; SIGTERM mid-run stops and removes its container and the keeper exits 0.
//! `fleetdeck jobs` lists the job. The job's containers carry the run label; the guard removes
//! anything left, also when the test fails.

mod common;

use common::binary::Sandbox;
use common::keeper::Following;
use common::{Fixture, IMAGE, RUN_LABEL};

fn config(fixture: &Fixture) -> String {
    format!(
        "[keeper]\nreconcile_interval = \"1h\"\ngc_interval = \"1h\"\n\n\
         [jobs.tick]\nschedule = \"@every 2s\"\n\
         run = {{ image = \"{IMAGE}\", command = [\"sh\", \"-c\", \"echo hello; sleep 5\"], \
         network = \"none\", timeout = \"1m\", grace = \"1s\", labels = {{ \"{RUN_LABEL}\" = \"{}\" }} }}\n",
        fixture.run
    )
}

async fn job_containers(fixture: &Fixture) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label={}", fixture.run_label()))
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_every_2s_job_runs_is_skipped_while_running_and_leaves_nothing() {
    let fixture = Fixture::new("jobs-every").await;
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.config_path(), config(&fixture)).expect("write the config");

    let listed = sandbox.run(&["jobs", "--json"]);
    listed.expect_code(0);
    let jobs = listed.json();
    assert_eq!(jobs[0]["name"], "tick");
    assert_eq!(jobs[0]["schedule"], "@every 2s");
    assert!(jobs[0]["next_run"].is_string(), "{jobs}");
    let table = sandbox.run(&["jobs"]);
    assert!(table.text().contains("unknown"), "{}", table.stdout);

    let mut keep = Following::spawn(&sandbox, &["keep", "--json"]);
    let done = keep.wait_for("job_done", 1, |l| l["decision"] == "job_done");
    assert_eq!(done[0]["exit_code"], 0, "{done:?}");
    assert_eq!(done[0]["removed"], true, "{done:?}");
    let id = done[0]["id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty());
    assert!(
        fixture.inspect(&id).await.is_none(),
        "the run left its container"
    );
    // The run takes 5 s on a 2 s beat: the beat while it ran was skipped.
    let skips = keep.decisions("job_skip");
    assert!(!skips.is_empty(), "{:?}", keep.lines());
    assert!(
        skips[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("still going"))
    );

    // Mid-run: SIGTERM stops and removes the job's container, and the keeper exits 0.
    keep.wait_for("a second job_start", 2, |l| l["decision"] == "job_start");
    for _ in 0..600 {
        if !job_containers(&fixture).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!job_containers(&fixture).await.is_empty(), "a run is going");
    let ran = keep.terminate();
    ran.expect_code(0);
    assert!(
        job_containers(&fixture).await.is_empty(),
        "the keeper left job containers behind"
    );
    let last = keep.decisions("job_done");
    assert_eq!(
        last.last().map(|l| l["status"].clone()),
        Some("interrupted".into()),
        "{last:?}"
    );
    assert!(!keep.decisions("stopped").is_empty());
}
