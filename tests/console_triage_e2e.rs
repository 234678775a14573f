//! The console's triage view end to end: the real binary in tmux against the real daemon, a
//! container that exited with 3 beside a healthy one. `t` lists the first with "exited with 3"
//! and not the second; the status bar counts the problems; `Esc` goes back to the list.
//!
//! The tmux server (a unique socket) and session are this test's alone, killed on drop.
//! Screens are polled with a generous bound; no elapsed time is ever asserted.

mod common;

use common::tmux::{Launch, Tmux};
use common::{Fixture, Spec};

/// The screen's line naming `name`, if any.
fn line_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_lists_the_failed_container_and_not_the_healthy_one() {
    // A short test name: the container names must fit the view's name column whole.
    let fx = Fixture::new("ct").await;
    let failed = fx.run("exit3", Spec::sh("exit 3")).await;
    let _healthy = fx.run("fine", Spec::graceful()).await;
    fx.wait_for(&failed, "exited", |i| {
        i.state.as_ref().and_then(|s| s.exit_code) == Some(3)
            && i.state.as_ref().and_then(|s| s.running) == Some(false)
    })
    .await;
    let (failed_name, healthy_name) = (fx.name("exit3"), fx.name("fine"));
    let dir = tempfile::tempdir().expect("temp dir");

    let tmux = Tmux::start(160, 40);
    tmux.launch_console(dir.path(), &[], Launch::Plain);
    tmux.wait_for("the list with both containers", |s| {
        s.contains(&failed_name) && s.contains(&healthy_name)
    });
    // The status bar counts problems in the list already.
    tmux.wait_for("a problem count", |s| s.contains(" problem"));

    tmux.keys(&["t"]);
    let screen = tmux.wait_for("the failed container in triage", |s| {
        s.contains("triage")
            && line_of(s, &failed_name).is_some_and(|l| l.contains("exited with 3"))
    });
    let row = line_of(&screen, &failed_name).unwrap_or_default();
    assert!(row.contains("exited non-zero"), "{row}");
    assert!(row.contains("r restart"), "the suggested key: {row}");
    assert!(
        !screen.contains(&healthy_name),
        "a healthy container is not a problem:\n{screen}"
    );

    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| {
        s.contains("containers") && s.contains(&healthy_name)
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| !s.contains("containers"));
}
