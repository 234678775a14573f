//! The console with several hosts, end to end: the real binary in tmux against the machine's
//! daemon and a second `dockerd` started here. Both fleets in one list with a HOST column;
//! the second daemon killed mid-session shows as unreachable while the first still answers
//! keys; started again, its fleet comes back right: a container made and one removed while
//! the console still had it as unreachable are there and gone, nothing doubled. And a host that
//! accepts TCP and never answers does not hold back the other host's fleet.
//!
//! The tmux server (a unique socket) and session are this test's alone, killed on drop.
//! Screens are polled with a generous bound; no elapsed time is ever asserted.

mod common;

use std::net::TcpListener;

use common::daemon::SecondDaemon;
use common::hosts::{LOCAL, docker_at, run_on};
use common::tmux::{Launch, Tmux};
use common::{Fixture, IMAGE, Spec};

/// How many rows of the list show `name` as a whole word (not as a prefix of a longer name;
/// not the title's filter).
fn rows_of(screen: &str, name: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.starts_with('│') && l.split_whitespace().any(|w| w == name))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and dockerd (a second daemon)"]
async fn a_dead_host_is_shown_unreachable_and_comes_back_right() {
    let mut daemon = SecondDaemon::start(IMAGE);
    // Short names: they must fit the name column whole.
    let fx = Fixture::new("ch").await;
    let here = fx.name("here");
    let old = fx.name("old");
    let new = fx.name("new");
    fx.run("here", Spec::graceful()).await;
    fx.run("also", Spec::graceful()).await;
    run_on(&daemon.host, &fx.run, &old);
    let d2 = format!("d2={}", daemon.host);
    let dir = tempfile::tempdir().expect("temp dir");

    let tmux = Tmux::start(180, 45);
    tmux.launch_console(dir.path(), &["--host", LOCAL, "--host", &d2], Launch::Plain);
    let screen = tmux.wait_for("both fleets, with a HOST column", |s| {
        s.contains("HOST") && rows_of(s, &here) == 1 && rows_of(s, &old) == 1
    });
    let line = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(&screen, &old).contains("d2"), "{screen}");
    assert!(line(&screen, &here).contains("local"), "{screen}");
    // Grouped by host: a header per host.
    assert!(screen.contains("d2 · (no project)"), "{screen}");

    // An action goes to the container's own host: `s` on the second daemon's container stops
    // it there (the first daemon has no such container).
    tmux.filter_to(&old);
    tmux.keys(&["s"]);
    let status = || {
        docker_at(
            &daemon.host,
            &["inspect", "--format", "{{.State.Status}}", &old],
        )
    };
    let mut polls = 0;
    while status() != "exited" {
        polls += 1;
        assert!(polls < 300, "the stop never reached d2: {}", status());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    tmux.wait_for("the stop shown", |s| {
        s.lines().any(|l| l.contains(&old) && l.contains("exited"))
    });
    tmux.keys(&["Escape"]);

    // Logs come from the container's own host: a container on d2 only says its line there.
    let talk = fx.name("talk");
    docker_at(
        &daemon.host,
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--label",
            &format!("{}={}", common::RUN_LABEL, fx.run),
            "--name",
            &talk,
            IMAGE,
            "sh",
            "-c",
            "echo hello-from-d2; sleep 1000",
        ],
    );
    tmux.filter_to(&talk);
    tmux.keys(&["l"]);
    tmux.wait_for("d2's log line in the logs pane", |s| {
        s.contains("hello-from-d2")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| s.contains("HOST"));
    tmux.keys(&["Escape"]);

    // The second daemon dies: its host is shown unreachable, the attempts climbing.
    daemon.kill();
    tmux.wait_for("d2 unreachable, retried a few times", |s| {
        s.contains("d2 unreachable since") && s.contains("attempt 4")
    });
    // The first host still answers a key: the filter narrows the list to its container.
    tmux.filter(&here);
    tmux.wait_for("the filter applied", |s| {
        rows_of(s, &here) == 1 && rows_of(s, &old) == 0
    });
    tmux.keys(&["Escape"]);

    // Back up; while the console still has it as unreachable (its next try is seconds away),
    // one container is removed and one made.
    daemon.restart();
    docker_at(&daemon.host, &["rm", "-f", &old]);
    run_on(&daemon.host, &fx.run, &new);
    let screen = tmux.wait_for("d2 back, listed anew", |s| {
        !s.contains("unreachable") && rows_of(s, &new) == 1
    });
    assert_eq!(rows_of(&screen, &old), 0, "removed while down:\n{screen}");
    assert_eq!(rows_of(&screen, &here), 1, "nothing doubled:\n{screen}");
    assert!(line(&screen, &new).contains("d2"), "{screen}");

    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| !s.contains("q quit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_never_answers_does_not_hold_back_the_others() {
    let fx = Fixture::new("cn").await;
    let here = fx.name("up");
    fx.run("up", Spec::graceful()).await;
    let hole = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = hole.local_addr().expect("its address").port();
    let hole_host = format!("hole=tcp://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("temp dir");

    // A minute's timeout: were the first frame waiting on that host, this screen would not
    // come within the poll's bound.
    let tmux = Tmux::start(160, 40);
    tmux.launch_console(
        dir.path(),
        &[
            "--daemon-timeout",
            "60s",
            "--host",
            LOCAL,
            "--host",
            &hole_host,
        ],
        Launch::Plain,
    );
    // The status line may show another message first: waited for, not read once.
    tmux.wait_for("the local fleet, the other host connecting", |s| {
        rows_of(s, &here) == 1
            && s.contains("hole connecting")
            && s.contains("1 of 2 hosts connected")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| !s.contains("q quit"));
    drop(hole);
}
