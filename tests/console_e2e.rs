//! The console end to end: the real binary in tmux against the real daemon. An operator's
//! path: filter to this test's containers, filter to one, stop it with `s` and read the exit in
//! the status line (the daemon confirms), remove another with `d` and the confirm key, quit
//! with `q` and find the terminal restored (no alternate screen, echo on).
//!
//! Each test has its own tmux server (a unique socket) and session, killed on drop. Screens
//! are polled with a generous bound; no elapsed time is ever asserted.

mod common;

use std::time::Duration;

use common::tmux::{Launch, Tmux};
use common::{Fixture, Spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_filters_stops_removes_and_quits() {
    let fx = Fixture::new("console-e2e").await;
    let web = fx.run("web", Spec::graceful()).await;
    let _other = fx.run("other", Spec::graceful()).await;
    let old = fx.create("old", Spec::sh("true")).await;
    let (web_name, old_name) = (fx.name("web"), fx.name("old"));
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");

    let tmux = Tmux::start(160, 40);
    tmux.launch_console(dir.path(), &[], Launch::ThenStty);
    tmux.wait_for_console();
    assert!(
        tmux.alternate_on(),
        "the console draws on the alternate screen"
    );

    // Only this test's containers.
    tmux.filter(&fx.prefix);
    tmux.wait_for("this test's three containers", |s| {
        s.contains(&web_name) && s.contains(&fx.name("other")) && s.contains(&old_name)
    });

    // Filter to one and stop it with `s`.
    tmux.filter(&web_name);
    tmux.wait_for("only the web container", |s| {
        s.contains(&web_name) && !s.contains(&fx.name("other"))
    });
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("the stop reported with its exit code", |s| {
        s.contains(&format!("stopped {web_name}: exit 143 (SIGTERM)"))
    });
    assert!(
        screen.contains("✖ exited"),
        "the row shows the exit:\n{screen}"
    );
    let inspect = fx.inspect(&web).await.expect("the container still exists");
    let state = inspect.state.expect("a state");
    assert_eq!(state.running, Some(false), "the daemon says it stopped");
    assert_eq!(state.exit_code, Some(143));

    // Remove another with `d`, which asks first.
    tmux.filter(&old_name);
    tmux.wait_for("only the old container", |s| {
        s.contains(&old_name) && !s.contains(&web_name)
    });
    tmux.keys(&["d"]);
    tmux.wait_for("the confirm dialog naming it", |s| {
        s.contains(&format!("remove {old_name}?"))
    });
    assert!(
        fx.inspect(&old).await.is_some(),
        "nothing removed before the yes"
    );
    tmux.keys(&["y"]);
    tmux.wait_for("the removal reported", |s| {
        s.contains(&format!("removed {old_name}"))
    });
    let mut gone = false;
    for _ in 0..100 {
        if fx.inspect(&old).await.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the daemon no longer has {old_name}");

    // Quit: the terminal is as it was.
    tmux.keys(&["q"]);
    // stty -a prints the local flags (echo, icanon) last: wait for that line, not the first.
    let screen = tmux.wait_for("the shell again, with stty's report", |s| {
        s.contains("icanon")
    });
    assert!(!tmux.alternate_on(), "the alternate screen is left");
    let echo_on = screen.split_whitespace().any(|word| word == "echo");
    assert!(echo_on, "echo is on again:\n{screen}");
    assert!(
        screen.contains("icanon") && !screen.contains("-icanon"),
        "raw mode is left:\n{screen}"
    );

    // Both mutations are in the audit log.
    let audit = std::fs::read_to_string(&audit).expect("the audit file was written");
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let actions: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap_or_default(),
                l["target_name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![("stop", web_name.as_str()), ("rm", old_name.as_str())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_console_refuses_and_quits_cleanly() {
    let fx = Fixture::new("console-ro").await;
    let web = fx.run("web", Spec::graceful()).await;
    let web_name = fx.name("web");
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");
    let tmux = Tmux::start(100, 30);
    tmux.launch_console(dir.path(), &["--read-only"], Launch::ThenStty);
    tmux.wait_for("the console", |s| s.contains("READ-ONLY"));
    tmux.filter_to(&web_name);
    tmux.keys(&["s"]);
    tmux.wait_for("the refusal", |s| {
        s.contains("read-only: stop is unavailable")
    });
    assert!(fx.is_running(&web).await, "nothing was stopped");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| s.contains("icanon"));
    assert!(!tmux.alternate_on());
    assert!(
        !audit.exists(),
        "a refusal changes nothing, so nothing is audited"
    );
}
