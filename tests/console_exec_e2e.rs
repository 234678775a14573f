//! The console's exec end to end: the real binary in tmux against the real daemon. `e` on a
//! running container hands the terminal to a shell in it (a command typed runs there and its
//! output shows), `exit` gives the console back as it was (the list drawn, the alternate screen
//! on, keys answered); `e` on a stopped container says why in the status line and the console
//! stays.
//!
//! Screens are polled with a generous bound; no elapsed time is asserted.

mod common;

use common::tmux::{Launch, Tmux};
use common::{Fixture, Spec};

/// This test's console: in a fresh tmux session, its config home `dir`, filtered to `name`.
fn console_on(dir: &std::path::Path, name: &str) -> Tmux {
    let tmux = Tmux::start(120, 30);
    tmux.launch_console(dir, &[], Launch::ThenStty);
    tmux.wait_for_console();
    tmux.filter_to(name);
    tmux
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_runs_a_shell_and_the_console_comes_back() {
    let fx = Fixture::new("console-exec").await;
    let _shell = fx.run("shell", Spec::graceful()).await;
    let name = fx.name("shell");
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = console_on(dir.path(), &name);

    tmux.keys(&["e"]);
    tmux.wait_for("the shell's banner", |s| {
        s.contains(&format!("in {name} (exit"))
    });
    assert!(
        !tmux.alternate_on(),
        "the console left its screen to the shell"
    );
    tmux.type_text("echo fleet-$((40+2))");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the command's output, from the container's shell", |s| {
        s.lines().any(|l| l.trim() == "fleet-42")
    });
    tmux.type_text("exit");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the console again, with the exec's outcome", |s| {
        s.contains(&name) && s.contains("q quit") && s.contains("exit 0")
    });
    assert!(tmux.alternate_on(), "the console is on its screen again");
    assert!(
        !screen.contains("fleet-42"),
        "the console redrew over the shell:\n{screen}"
    );
    // Keys are answered again: help opens and closes.
    tmux.keys(&["?"]);
    tmux.wait_for("the help", |s| s.contains("Keys in the list view"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list without the help", |s| {
        !s.contains("Keys in the list view") && s.contains(&name)
    });
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the shell again", |s| s.contains("icanon"));
    assert!(!tmux.alternate_on());
    assert!(
        screen.contains("icanon") && !screen.contains("-icanon"),
        "raw mode is left:\n{screen}"
    );

    // The exec is audited like every mutation.
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit written");
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"exec\"") && l.contains(&name)),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_on_a_stopped_container_says_why_and_the_console_stays() {
    let fx = Fixture::new("console-exec-stopped").await;
    let _stopped = fx.create("stopped", Spec::graceful()).await;
    let name = fx.name("stopped");
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = console_on(dir.path(), &name);
    tmux.keys(&["e"]);
    let screen = tmux.wait_for("the reason in the status line", |s| {
        s.contains(&format!("exec: {name} is not running (created)"))
    });
    assert!(
        screen.contains("q quit"),
        "the list is still there:\n{screen}"
    );
    assert!(tmux.alternate_on(), "the console never left its screen");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell again", |s| s.contains("icanon"));
}
