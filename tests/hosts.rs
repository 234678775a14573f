//! Several hosts at once, against real daemons: the machine's own and a second `dockerd` on its
//! own socket, data root, exec root and bridge (started here). One fleet from both with a HOST
//! column and a `host` field; actions routed to the container's own daemon; a name on both
//! hosts is ambiguous without `@HOST`; a host that accepts TCP and never answers costs `ps` no
//! more than the timeout, and the other host still answers (exit 3, the dead host named).

mod common;

use std::net::TcpListener;

use common::binary::Sandbox;
use common::daemon::SecondDaemon;
use common::hosts::{LOCAL, docker_at, run_on};
use common::{Fixture, IMAGE, Spec};
use serde_json::Value;

fn rows_named<'a>(rows: &'a [Value], name: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["name"] == name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and dockerd (a second daemon)"]
async fn one_fleet_from_two_daemons_and_each_action_on_its_own_host() {
    let daemon = SecondDaemon::start(IMAGE);
    let fx = Fixture::new("hosts-two").await;
    let both = fx.name("both");
    let only_here = fx.name("here");
    let only_there = fx.name("there");
    fx.run("both", Spec::graceful()).await;
    fx.run("here", Spec::graceful()).await;
    run_on(&daemon.host, &fx.run, &both);
    run_on(&daemon.host, &fx.run, &only_there);
    let d2 = format!("d2={}", daemon.host);
    let sb = Sandbox::new();

    // One list: every container of both hosts, each with its host.
    let ran = sb.run(&["--host", LOCAL, "--host", &d2, "ps", "--json"]);
    let rows = ran.expect_code(0).json();
    let rows = rows.as_array().expect("a list");
    let hosts_of = |name: &str| -> Vec<String> {
        let mut hosts: Vec<String> = rows_named(rows, name)
            .iter()
            .map(|r| r["host"].as_str().unwrap_or_default().to_string())
            .collect();
        hosts.sort();
        hosts
    };
    assert_eq!(hosts_of(&both), ["d2", "local"]);
    assert_eq!(hosts_of(&only_here), ["local"]);
    assert_eq!(hosts_of(&only_there), ["d2"]);

    // The table has a HOST column, with both hosts in it.
    let text = sb.ok(&["--host", LOCAL, "--host", &d2, "ps"]);
    let header = text.lines().next().unwrap_or_default();
    assert!(header.starts_with("HOST"), "{text}");
    let line_of = |name: &str| text.lines().find(|l| l.contains(name)).unwrap_or_default();
    assert!(line_of(&only_there).starts_with("d2 "), "{text}");
    assert!(line_of(&only_here).starts_with("local "), "{text}");

    // A name on both hosts is ambiguous without @HOST, and both are listed.
    let ran = sb.run(&["--host", LOCAL, "--host", &d2, "stop", &both, "--json"]);
    ran.expect_code(2);
    let why = &ran.stderr;
    assert!(why.contains("ambiguous"), "{why}");
    assert!(
        why.contains(&format!("{both}@d2")) && why.contains(&format!("{both}@local")),
        "{why}"
    );

    // With @d2 the stop goes to the second daemon, and the local one is left running.
    let target = format!("{both}@d2");
    let ran = sb.run(&["--host", LOCAL, "--host", &d2, "stop", &target, "--json"]);
    let report = ran.expect_code(0).json();
    let report = &report.as_array().expect("reports")[0];
    assert_eq!(report["host"], "d2", "{report}");
    assert_eq!(report["ok"], true, "{report}");
    let state = |host: &str| docker_at(host, &["inspect", "--format", "{{.State.Status}}", &both]);
    assert_eq!(state(&daemon.host), "exited");
    assert_eq!(state("unix:///var/run/docker.sock"), "running");

    // A name on one host alone needs no @: it goes to its host.
    let ran = sb.run(&[
        "--host",
        LOCAL,
        "--host",
        &d2,
        "stop",
        &only_there,
        "--json",
    ]);
    let report = ran.expect_code(0).json();
    assert_eq!(report[0]["host"], "d2", "{report}");
    assert_eq!(
        docker_at(
            &daemon.host,
            &["inspect", "--format", "{{.State.Status}}", &only_there]
        ),
        "exited"
    );

    // inspect and logs find a container on its own host.
    let target = format!("{only_there}@d2");
    let detail = sb
        .run(&["--host", LOCAL, "--host", &d2, "inspect", &target, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(detail["host"], "d2");
    assert_eq!(detail["name"], only_there.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_never_answers_costs_the_timeout_and_the_other_still_answers() {
    let fx = Fixture::new("hosts-hole").await;
    let here = fx.name("up");
    fx.run("up", Spec::graceful()).await;
    // Accepts connections (the kernel completes the handshake) and never answers a byte.
    let hole = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = hole.local_addr().expect("its address").port();
    let hole_host = format!("hole=tcp://127.0.0.1:{port}");
    let sb = Sandbox::new();

    let ran = sb.run(&[
        "--daemon-timeout",
        "2s",
        "--host",
        LOCAL,
        "--host",
        &hole_host,
        "ps",
        "--json",
    ]);
    // The reachable host's fleet is printed; the exit says a host could not be reached.
    ran.expect_code(3);
    let rows = ran.json();
    let rows = rows.as_array().expect("a list");
    assert_eq!(rows_named(rows, &here).len(), 1, "{rows:?}");
    let err = &ran.stderr;
    assert!(err.contains("hole"), "the dead host is named: {err}");
    assert!(err.contains("no answer within 2s"), "the cause: {err}");

    // Alone, the dead host is exit 3 with the host and the cause.
    let ran = sb.run(&["--daemon-timeout", "1s", "--host", &hole_host, "ps"]);
    ran.expect_code(3);
    let err = &ran.stderr;
    assert!(
        err.contains("cannot reach host 'hole'") && err.contains("no answer within 1s"),
        "{err}"
    );
    drop(hole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_names_the_host_and_the_cause() {
    // A port nobody listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let sb = Sandbox::new();
    let host = format!("gone=tcp://127.0.0.1:{port}");
    let ran = sb.run(&["--host", &host, "stop", "web", "--json"]);
    ran.expect_code(3);
    let err = &ran.stderr;
    assert!(err.contains("cannot reach host 'gone'"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}
