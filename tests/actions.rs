//! The action layer against the real daemon: each action's happy path and idempotent path, and
//! the exit code read for people (143, 137 after a stop timeout, 137 OOM).

mod common;

use std::sync::Arc;

use common::action_context as context;
use common::{Fixture, Spec, target};
use fleetdeck::actions::{Action, ActionContext, ActionError, Outcome, Target};
use fleetdeck::audit::AuditLog;
use fleetdeck::engine::exit::{ExitMeaning, ExitReading};

async fn outcome(ctx: &ActionContext, action: Action, t: &Target) -> Outcome {
    let report = ctx.execute(&action, t).await;
    match report.result {
        Ok(o) => o,
        Err(e) => panic!("{} {} failed: {e}", action.verb(), t.name),
    }
}

#[tokio::test]
async fn every_action_and_its_idempotent_path() {
    let fx = Fixture::new("actions-idem").await;
    // Waits for "ready" after each (re)start: SIGTERM before the trap is set would be a 137.
    let id = fx.create("a", Spec::graceful_ready()).await;
    let t = target(&id, &fx.name("a"));
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = Arc::new(AuditLog::new(dir.path().join("audit.jsonl")));
    let ctx = context(Some(Arc::clone(&audit))).await;

    assert_eq!(outcome(&ctx, Action::Start, &t).await, Outcome::Started);
    assert_eq!(
        outcome(&ctx, Action::Start, &t).await,
        Outcome::AlreadyRunning
    );
    assert_eq!(outcome(&ctx, Action::Unpause, &t).await, Outcome::NotPaused);
    assert_eq!(outcome(&ctx, Action::Pause, &t).await, Outcome::Paused);
    assert_eq!(
        outcome(&ctx, Action::Pause, &t).await,
        Outcome::AlreadyPaused
    );
    let state = fx
        .inspect(&id)
        .await
        .and_then(|i| i.state)
        .and_then(|s| s.paused);
    assert_eq!(state, Some(true), "the daemon agrees it is paused");
    assert_eq!(outcome(&ctx, Action::Unpause, &t).await, Outcome::Unpaused);
    assert_eq!(
        outcome(&ctx, Action::Restart { timeout_s: 5 }, &t).await,
        Outcome::Restarted
    );

    let stopped = outcome(&ctx, Action::Stop { timeout_s: 10 }, &t).await;
    let Outcome::Stopped { exit: Some(exit) } = &stopped else {
        panic!("expected stopped with an exit, got {stopped:?}");
    };
    assert_eq!(exit.code, 143);
    assert_eq!(exit.meaning, ExitMeaning::Sigterm);
    let again = outcome(&ctx, Action::Stop { timeout_s: 10 }, &t).await;
    assert!(
        matches!(&again, Outcome::AlreadyStopped { exit: Some(e) } if e.code == 143),
        "stop on a stopped container says so, with the last exit: {again:?}"
    );

    assert_eq!(
        outcome(
            &ctx,
            Action::Remove {
                force: false,
                volumes: true
            },
            &t
        )
        .await,
        Outcome::Removed
    );
    assert!(
        fx.inspect(&id).await.is_none(),
        "the daemon no longer has it"
    );
    assert_eq!(
        outcome(
            &ctx,
            Action::Remove {
                force: false,
                volumes: false
            },
            &t
        )
        .await,
        Outcome::AlreadyGone
    );

    // One audit line per mutation, with the outcome.
    let text = std::fs::read_to_string(audit.path()).expect("audit file written");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let outcomes: Vec<&str> = lines.iter().filter_map(|l| l["outcome"].as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "started",
            "already_running",
            "not_paused",
            "paused",
            "already_paused",
            "unpaused",
            "restarted",
            "stopped",
            "already_stopped",
            "removed",
            "already_gone"
        ]
    );
    let stop_line = &lines[7];
    assert_eq!(stop_line["action"], "stop");
    assert_eq!(stop_line["exit_code"], 143);
    assert_eq!(stop_line["target_id"], id.as_str());
    assert_eq!(stop_line["parameters"]["timeout_s"], 10);
    assert!(stop_line["duration_ms"].is_u64());
    assert!(
        stop_line["endpoint"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
}

/// Stops a container that ignores SIGTERM (once its trap is set) with a timeout of
/// `timeout_s`; gives the exit read.
async fn stop_a_stubborn_one(test: &str, timeout_s: u64) -> ExitReading {
    let fx = Fixture::new(test).await;
    let id = fx.run("s", Spec::stubborn()).await;
    fx.wait_for_output(&id, "ready").await;
    let ctx = context(None).await;
    let t = target(&id, &fx.name("s"));
    let stopped = outcome(&ctx, Action::Stop { timeout_s }, &t).await;
    stopped.exit().expect("an exit reading").clone()
}

#[tokio::test]
async fn stop_that_runs_out_its_timeout_reads_137_as_killed_after_timeout() {
    let exit = stop_a_stubborn_one("actions-stubborn", 1).await;
    assert_eq!(exit.code, 137);
    assert_eq!(exit.meaning, ExitMeaning::StopTimedOut { timeout_s: 1 });
    assert!(
        exit.text.contains("after the 1 s stop timeout"),
        "{}",
        exit.text
    );
}

#[tokio::test]
async fn oom_kill_reads_137_as_oom() {
    let fx = Fixture::new("actions-oom").await;
    let mut spec = Spec::sh("tail /dev/zero");
    spec.memory = Some(16 * 1024 * 1024);
    let id = fx.run("oom", spec).await;
    fx.wait_for(&id, "exited", |i| {
        i.state.as_ref().and_then(|s| s.running) == Some(false)
    })
    .await;
    let ctx = context(None).await;
    let t = target(&id, &fx.name("oom"));
    let already = outcome(&ctx, Action::Stop { timeout_s: 1 }, &t).await;
    let exit = already.exit().expect("the last exit is read");
    assert_eq!(exit.code, 137);
    assert_eq!(exit.meaning, ExitMeaning::OomKilled);
}

#[tokio::test]
async fn errors_name_the_container_and_the_cause() {
    let fx = Fixture::new("actions-errors").await;
    let id = fx.run("r", Spec::graceful()).await;
    let ctx = context(None).await;
    let t = target(&id, &fx.name("r"));
    // Remove without force on a running container is refused, and nothing changes.
    let report = ctx
        .execute(
            &Action::Remove {
                force: false,
                volumes: false,
            },
            &t,
        )
        .await;
    let err = report.result.expect_err("refused");
    assert!(matches!(err, ActionError::Refused { .. }));
    assert!(err.to_string().contains(&fx.name("r")), "{err}");
    assert!(fx.inspect(&id).await.is_some());
    // Start of something that does not exist: a clear error, not a panic.
    let ghost = target(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ghost",
    );
    let err = ctx
        .execute(&Action::Start, &ghost)
        .await
        .result
        .expect_err("no such container");
    assert_eq!(err.to_string(), "cannot start 'ghost': no such container");
    // Read-only refuses and changes nothing.
    let ro = ActionContext {
        read_only: true,
        ..ctx.clone()
    };
    let err = ro
        .execute(&Action::Stop { timeout_s: 1 }, &t)
        .await
        .result
        .expect_err("read-only");
    assert!(matches!(err, ActionError::ReadOnly { .. }));
    assert!(fx.is_running(&id).await);
}

#[tokio::test]
async fn many_targets_run_concurrently_each_with_its_own_outcome() {
    let fx = Fixture::new("actions-many").await;
    let mut targets = Vec::new();
    for i in 0..4 {
        let suffix = format!("m{i}");
        let id = fx.run(&suffix, Spec::graceful_ready()).await;
        fx.wait_for_output(&id, "ready").await;
        targets.push(target(&id, &fx.name(&suffix)));
    }
    // One of them is already stopped: it says so, the others stop.
    let ctx = context(None).await;
    outcome(&ctx, Action::Stop { timeout_s: 5 }, &targets[2]).await;
    let reports = ctx
        .execute_many(&Action::Stop { timeout_s: 5 }, &targets, 8)
        .await;
    let words: Vec<&str> = reports
        .iter()
        .map(|r| r.result.as_ref().map(Outcome::word).unwrap_or("error"))
        .collect();
    assert_eq!(words, ["stopped", "stopped", "already_stopped", "stopped"]);
    for (r, t) in reports.iter().zip(&targets) {
        assert_eq!(
            r.target, *t,
            "reports come back in the order of the targets"
        );
    }
}

#[tokio::test]
async fn a_stop_longer_than_the_client_timeout_is_not_cut_off() {
    // The endpoint's requests time out after 30 s; a stop's grace period of 31 s must still be
    // waited out (the stop's own request gets the grace period plus a margin).
    let exit = stop_a_stubborn_one("actions-long-stop", 31).await;
    assert_eq!(exit.code, 137);
    assert_eq!(exit.meaning, ExitMeaning::StopTimedOut { timeout_s: 31 });
}
