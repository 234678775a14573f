//! The console's own log pane end to end: the real binary in tmux against the real daemon. Stop
//! a container with `s`, press `T`: the log pane (tui-logger's widget) shows the stop with its
//! level, its target list names `fleetdeck`, the footer lists the pane's keys; narrowing the
//! `fleetdeck` target to warnings with `←` hides the info line, `→` brings it back; `Esc` gives
//! the keys back (the list goes, the log stays).
//!
//! Its own tmux server and session, killed on drop; screens polled with a generous bound.

mod common;

use std::time::Duration;

use common::tmux::{Launch, Tmux};
use common::{Fixture, Spec};

/// The rows of the target list ("EWIDT:target"), top to bottom.
fn targets(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("level shown"))
        .skip(1)
        .filter_map(|l| {
            let at = l.find("EWIDT:")?;
            let rest = &l[at + "EWIDT:".len()..];
            Some(
                rest.split('│')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

/// One key, then a pause so that the next acts on the frame it drew (the pane's keys act on
/// what the last frame showed).
fn key(tmux: &Tmux, key: &str) {
    tmux.keys(&[key]);
    std::thread::sleep(Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_pane_shows_the_stop_and_filters_it_per_target() {
    let fx = Fixture::new("console-log-e2e").await;
    let _web = fx.run("web", Spec::graceful()).await;
    let web_name = fx.name("web");
    let dir = tempfile::tempdir().expect("temp dir");

    let tmux = Tmux::start(160, 40);
    tmux.launch_console(dir.path(), &[], Launch::Plain);
    tmux.wait_for_console();
    tmux.filter_to(&web_name);
    tmux.keys(&["s"]);
    let stopped = format!("stopped {web_name}: exit 143");
    tmux.wait_for("the stop in the status line", |s| s.contains(&stopped));

    tmux.keys(&["T"]);
    let screen = tmux.wait_for("the log pane with its targets and the stop", |s| {
        s.contains("fleetdeck log") && s.contains("level shown") && s.contains(":INFO :stopped")
    });
    assert!(
        screen.contains("Esc done"),
        "the pane's keys in the footer:\n{screen}"
    );
    let listed = targets(&screen);
    let row = listed
        .iter()
        .position(|t| t == "fleetdeck")
        .unwrap_or_else(|| panic!("the fleetdeck target is listed: {listed:?}\n{screen}"));
    for _ in 0..row {
        key(&tmux, "Down");
    }
    // Everything is shown at first: trace, debug, info go, warnings and errors stay.
    for _ in 0..3 {
        key(&tmux, "Left");
    }
    tmux.wait_for("the info line hidden", |s| {
        s.contains("level shown") && !s.contains(":INFO :stopped")
    });
    key(&tmux, "Right");
    tmux.wait_for("the info line back", |s| s.contains(":INFO :stopped"));

    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("the keys given back", |s| {
        !s.contains("level shown") && s.contains("q quit")
    });
    assert!(
        screen.contains("fleetdeck log"),
        "the log stays shown:\n{screen}"
    );
    tmux.keys(&["q"]);
}
