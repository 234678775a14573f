//! The console's Swarm views, end to end: the real binary in tmux pointed at the manager of a
//! two-node swarm made by the test; `:services` shows the service's `NAME running/desired` and
//! follows a scale 4 → 6 live to `6/6`; Enter shows its tasks on both nodes; `:nodes` lists
//! both nodes. From the console itself: `+` scales a service 4 → 5 and `:scale web=6` to 6/6,
//! `l` shows its logs with lines from both nodes, and `D` (confirmed) drains node-2 until every
//! task runs on node-1. Screens are polled with a generous bound; no elapsed time is asserted.

mod common;

use common::swarm::Swarm;
use common::tmux::{Launch, Tmux};

/// The service's row: its name then its replicas, as the view shows them.
fn row_of(screen: &str, name: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.trim_start_matches('│').split_whitespace().next() == Some(name))
        .map(str::to_string)
}

/// The console (tmux 120x30) on `swarm`'s manager, on `:services` once it shows web 4/4, and
/// its config home (a temp dir, first: dropped after the console).
fn services_view(swarm: &Swarm) -> (tempfile::TempDir, Tmux) {
    let dir = tempfile::tempdir().expect("temp dir");
    let manager = format!("manager={}", swarm.manager_host());
    let tmux = Tmux::start(120, 30);
    tmux.launch_console(dir.path(), &["--host", &manager], Launch::Plain);
    tmux.wait_for_console();
    tmux.keys(&[":"]);
    tmux.type_text("services");
    tmux.keys(&["Enter"]);
    tmux.wait_for("web 4/4 in the services view", |s| {
        s.contains("Services (1)") && row_of(s, "web").is_some_and(|r| r.contains("4/4"))
    });
    (dir, tmux)
}

#[test]
#[ignore = "needs root, dockerd and ip netns"]
fn services_view_shows_a_scale_converge_live() {
    let swarm = Swarm::start(2);
    swarm.create_service("web", 4, &[], "trap 'exit 0' TERM; sleep 100000 & wait");
    swarm.wait_until("web 4/4", std::time::Duration::from_secs(120), || {
        swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "4/4"
    });
    let (_home, tmux) = services_view(&swarm);

    swarm.docker(0, &["service", "scale", "--detach", "web=6"]);
    let screen = tmux.wait_for("web 6/6, live", |s| {
        row_of(s, "web").is_some_and(|r| r.contains("6/6"))
    });
    assert!(screen.contains("replicated"), "{screen}");

    tmux.keys(&["Enter"]);
    tmux.wait_for("web's tasks on both nodes", |s| {
        s.contains("Tasks of web") && s.contains("node-1") && s.contains("node-2")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("back on the services", |s| s.contains("Services (1)"));
    tmux.keys(&[":"]);
    tmux.type_text("nodes");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("both nodes", |s| {
        s.contains("Nodes (2)") && s.contains("node-1") && s.contains("node-2")
    });
    assert!(screen.contains("Leader"), "{screen}");
}

#[test]
#[ignore = "needs root, dockerd and ip netns"]
fn the_console_scales_follows_a_services_logs_and_drains_a_node() {
    let swarm = Swarm::start(2);
    swarm.create_service(
        "web",
        4,
        &[],
        "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done & wait",
    );
    let bound = std::time::Duration::from_secs(120);
    swarm.wait_until("web 4/4 on both nodes", bound, || {
        swarm.running_tasks_by_node("web").len() == 2
            && swarm.docker(0, &["service", "ls", "--format", "{{.Replicas}}"]) == "4/4"
    });
    let (_home, tmux) = services_view(&swarm);

    // `+`: one replica more, through the action layer; the view follows the manager.
    tmux.keys(&["+"]);
    tmux.wait_for("web 5/5 after +", |s| {
        row_of(s, "web").is_some_and(|r| r.contains("5/5"))
    });
    assert_eq!(
        swarm.docker(
            0,
            &[
                "service",
                "inspect",
                "web",
                "--format",
                "{{.Spec.Mode.Replicated.Replicas}}"
            ]
        ),
        "5"
    );
    tmux.keys(&[":"]);
    tmux.type_text("scale web=6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("web 6/6 after :scale web=6", |s| {
        row_of(s, "web").is_some_and(|r| r.contains("6/6"))
    });
    assert!(screen.contains("scale web to 6"), "{screen}");

    // `l`: every task's lines, merged, under task@node.
    tmux.keys(&["l"]);
    tmux.wait_for("web's logs from both nodes", |s| {
        s.contains("logs service web")
            && s.lines()
                .any(|l| l.contains("@node-1") && l.contains("tick"))
            && s.lines()
                .any(|l| l.contains("@node-2") && l.contains("tick"))
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("back on the services", |s| s.contains("Services (1)"));

    // Drain node-2 from the Nodes view (asked first): its tasks move to node-1.
    tmux.keys(&[":"]);
    tmux.type_text("nodes");
    tmux.keys(&["Enter"]);
    tmux.wait_for("both nodes", |s| {
        s.contains("Nodes (2)") && s.contains("node-2")
    });
    tmux.keys(&["j", "D"]);
    tmux.wait_for("the drain asked first", |s| s.contains("drain node node-2"));
    tmux.keys(&["y"]);
    swarm.wait_until("every task of web on node-1", bound, || {
        swarm.running_tasks_by_node("web") == [("node-1".to_string(), 6)]
    });
    tmux.wait_for("node-2 drained in the view", |s| {
        s.lines()
            .any(|l| l.contains("node-2") && l.contains("drain"))
    });
}
