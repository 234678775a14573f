//! The real binary against the real daemon: `ps`/`inspect` JSON, target resolution, the
//! action subcommands' outcomes and exit codes, the confirm rule without a terminal, the
//! audit file, and the `events` stream.
//!
//! Every run gets its own `--audit-file` and an empty `--config` in a temp dir, so that no test
//! writes the user's audit log or depends on the user's config. Other tests share the daemon:
//! these only ever touch the containers their own fixture made.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use bollard::query_parameters::StartContainerOptions;
use common::binary::Sandbox;
use common::{Fixture, RUN_LABEL, Spec};
use serde_json::Value;

/// How long to wait for the daemon before failing: a bound, not a timing assert.
const BOUND: Duration = Duration::from_secs(30);

/// The `--filter` that limits `ps` to this fixture's containers.
fn only_mine(fx: &Fixture) -> String {
    format!("label={}", fx.run_label())
}

/// A time field of `ps`/`inspect` JSON: null, or an RFC 3339 string that is not Docker's zero.
fn time_field(row: &Value, key: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    match &row[key] {
        Value::Null => None,
        Value::String(s) => {
            assert!(!s.starts_with("0001-01-01"), "{key} is Docker's zero time");
            Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .unwrap_or_else(|e| panic!("{key} = {s:?} is not RFC 3339: {e}")),
            )
        }
        other => panic!("{key} is neither a string nor null: {other}"),
    }
}

const PS_FIELDS: &[&str] = &[
    "id",
    "name",
    "image",
    "command",
    "state",
    "health",
    "exit_code",
    "oom_killed",
    "restart_count",
    "created",
    "started_at",
    "finished_at",
    "labels",
    "ports",
    "compose_project",
    "compose_service",
    "exit",
    "status",
];

/// The fields of `ps --json` without `--detail` (the list call's).
const LISTED_FIELDS: &[&str] = &[
    "host",
    "id",
    "name",
    "image",
    "command",
    "state",
    "health",
    "exit_code",
    "created",
    "labels",
    "ports",
    "compose_project",
    "compose_service",
    "status",
];

#[tokio::test]
async fn ps_json_has_snake_case_fields_and_real_times() {
    let fx = Fixture::new("cli-ps").await;
    let cli = Sandbox::new();
    let fresh = fx.create("fresh", Spec::graceful()).await;
    let web = fx
        .run(
            "web",
            Spec::graceful()
                .label("com.docker.compose.project", "shop")
                .label("com.docker.compose.service", "web"),
        )
        .await;
    let done = fx.run("done", Spec::sh("exit 3")).await;
    fx.wait_for(&done, "exited", |i| {
        i.state.as_ref().and_then(|s| s.running) == Some(false)
    })
    .await;

    let ran = cli.run(&[
        "ps",
        "-a",
        "--detail",
        "--json",
        "--filter",
        &only_mine(&fx),
    ]);
    ran.expect_code(0);
    assert!(
        !ran.stdout.contains("0001-01-01"),
        "Docker's zero time never shows: {}",
        ran.stdout
    );
    let json = ran.json();
    let rows = json.as_array().expect("ps --json prints an array");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(
        names,
        [fx.name("done"), fx.name("fresh"), fx.name("web")],
        "all three, sorted by name"
    );
    for row in rows {
        let object = row.as_object().expect("each row is an object");
        for field in PS_FIELDS {
            assert!(object.contains_key(*field), "row lacks {field}: {row}");
        }
        assert!(
            time_field(row, "created").is_some(),
            "every container has a creation time: {row}"
        );
        time_field(row, "started_at");
        time_field(row, "finished_at");
        assert_eq!(row["labels"][RUN_LABEL], fx.run.as_str());
        assert_eq!(row["oom_killed"], false);
        assert!(row["ports"].is_array());
        assert!(row["status"].is_string());
    }
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no row with id {id}: {json}"))
            .clone()
    };

    let fresh = row(&fresh);
    assert_eq!(fresh["state"], "created");
    assert_eq!(fresh["started_at"], Value::Null, "never started: {fresh}");
    assert_eq!(fresh["finished_at"], Value::Null, "never finished: {fresh}");
    assert_eq!(fresh["exit_code"], Value::Null, "never ran: {fresh}");
    assert_eq!(fresh["exit"], Value::Null);
    assert_eq!(fresh["health"], Value::Null);
    assert_eq!(fresh["compose_project"], Value::Null);

    let web = row(&web);
    assert_eq!(web["state"], "running");
    assert_eq!(web["compose_project"], "shop");
    assert_eq!(web["compose_service"], "web");
    assert_eq!(web["labels"]["com.docker.compose.project"], "shop");
    assert!(time_field(&web, "started_at").is_some(), "{web}");
    assert_eq!(web["finished_at"], Value::Null, "still running: {web}");
    assert!(
        web["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("fleetdeck-test-busybox"))
    );
    assert!(
        web["command"].as_str().is_some_and(|c| c.contains("trap")),
        "{web}"
    );

    let done = row(&done);
    assert_eq!(done["state"], "exited");
    assert_eq!(done["exit_code"], 3);
    assert_eq!(done["exit"]["code"], 3);
    assert!(done["exit"]["text"].is_string());
    assert_eq!(done["restart_count"], 0);
    // Both times are there. (Not compared: for a process that exits at once, Docker 20.10
    // can record FinishedAt a little before StartedAt.)
    assert!(time_field(&done, "started_at").is_some(), "it ran: {done}");
    assert!(
        time_field(&done, "finished_at").is_some(),
        "it finished: {done}"
    );

    // Without --detail: one list call. What it says is there, with the daemon's own status
    // words; what only an inspect tells is left out, not given as null.
    let ran = cli.run(&["ps", "-a", "--json", "--filter", &only_mine(&fx)]);
    let listed = ran.expect_code(0).json();
    let listed = listed.as_array().expect("ps --json prints an array");
    assert_eq!(listed.len(), 3, "{listed:?}");
    for row in listed {
        let object = row.as_object().expect("each row is an object");
        for field in LISTED_FIELDS {
            assert!(object.contains_key(*field), "row lacks {field}: {row}");
        }
        for field in [
            "started_at",
            "finished_at",
            "restart_count",
            "oom_killed",
            "exit",
        ] {
            assert!(!object.contains_key(field), "{field} needs --detail: {row}");
        }
    }
    let listed_row = |id: &str| {
        listed
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no row with id {id}: {listed:?}"))
            .clone()
    };
    let status = |row: &Value| row["status"].as_str().unwrap_or_default().to_string();
    assert!(status(&listed_row(web["id"].as_str().unwrap_or_default())).starts_with("Up "));
    let done_listed = listed_row(done["id"].as_str().unwrap_or_default());
    assert!(
        status(&done_listed).starts_with("Exited (3)"),
        "{done_listed}"
    );
    assert_eq!(done_listed["exit_code"], 3);
    assert_eq!(
        listed_row(fresh["id"].as_str().unwrap_or_default())["status"],
        "Created"
    );

    // Without -a only what is up is listed.
    let ran = cli.run(&["ps", "--json", "--filter", &only_mine(&fx)]);
    let json = ran.expect_code(0).json();
    let names: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, [fx.name("web")]);
}

#[tokio::test]
async fn inspect_json_masks_secrets_unless_revealed() {
    let fx = Fixture::new("cli-inspect").await;
    let cli = Sandbox::new();
    let mut spec = Spec::graceful();
    spec.env = vec!["DB_PASSWORD=hunter2".into(), "MODE=debug".into()];
    let id = fx.create("db", spec).await;
    let name = fx.name("db");

    let ran = cli.run(&["inspect", &name, "--json"]);
    ran.expect_code(0);
    assert!(
        !ran.stdout.contains("hunter2"),
        "the secret leaked: {}",
        ran.stdout
    );
    let json = ran.json();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["name"], name.as_str());
    assert_eq!(json["started_at"], Value::Null);
    let env = json["env"].as_array().expect("env is an array");
    let var = |key: &str| {
        env.iter()
            .find(|v| v["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in env: {json}"))
            .clone()
    };
    assert_eq!(var("DB_PASSWORD")["secret"], true);
    assert_eq!(var("MODE")["value"], "debug", "plain values are shown");
    assert_eq!(var("MODE")["secret"], false);

    let human = cli.run(&["inspect", &name]);
    human.expect_code(0);
    assert!(!human.stdout.contains("hunter2"), "{}", human.stdout);
    assert!(human.stdout.contains("DB_PASSWORD="), "{}", human.stdout);

    let revealed = cli.run(&["inspect", &name, "--json", "--reveal"]);
    let json = revealed.expect_code(0).json();
    let shown = json["env"]
        .as_array()
        .expect("env is an array")
        .iter()
        .find(|v| v["key"] == "DB_PASSWORD")
        .map(|v| v["value"].clone());
    assert_eq!(shown, Some(Value::from("hunter2")));
}

#[tokio::test]
async fn targets_resolve_by_name_id_prefix_and_name_prefix() {
    let fx = Fixture::new("cli-resolve").await;
    let cli = Sandbox::new();
    let web = fx.run("web", Spec::graceful()).await;
    let web2 = fx.run("web-2", Spec::graceful()).await;
    let db = fx.create("db", Spec::graceful()).await;
    let resolved_id = |query: &str| -> String {
        let ran = cli.run(&["inspect", query, "--json"]);
        ran.expect_code(0).json()["id"]
            .as_str()
            .expect("inspect --json has an id")
            .to_string()
    };

    // An exact name wins even where it is also a prefix of another name.
    assert_eq!(resolved_id(&fx.name("web")), web);
    assert_eq!(resolved_id(&fx.name("web-2")), web2);
    assert_eq!(resolved_id(&db), db, "the full id");
    assert_eq!(resolved_id(&db[..12]), db, "a unique id prefix");
    assert_eq!(resolved_id(&fx.name("d")), db, "a unique name prefix");

    // Ambiguous: usage error listing both candidates, and nothing acted on.
    let ambiguous = fx.name("we");
    let ran = cli.run(&["inspect", &ambiguous]);
    ran.expect_code(2);
    for (name, id) in [(fx.name("web"), &web), (fx.name("web-2"), &web2)] {
        assert!(
            ran.stderr.contains(&format!("{name} ({})", &id[..12])),
            "stderr names {name}: {}",
            ran.stderr
        );
    }
    cli.run(&["stop", &ambiguous, "--json"]).expect_code(2);
    assert!(fx.is_running(&web).await && fx.is_running(&web2).await);
    assert!(cli.audit_lines().is_empty(), "nothing was done");

    // Unknown.
    let ran = cli.run(&["inspect", &fx.name("nope")]);
    ran.expect_code(2);
    assert!(
        ran.stderr.contains(&fx.name("nope")),
        "stderr names the query: {}",
        ran.stderr
    );
    cli.run(&["start", &fx.name("nope")]).expect_code(2);
}

#[tokio::test]
async fn stop_reports_exit_143_then_already_stopped() {
    let fx = Fixture::new("cli-stop").await;
    let cli = Sandbox::new();
    let id = fx.run("svc", Spec::graceful_ready()).await;
    fx.wait_for_output(&id, "ready").await;
    let name = fx.name("svc");

    let report = cli.run(&["stop", &name, "--json"]).expect_code(0).report();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["outcome"], "stopped", "{report}");
    assert_eq!(report["exit"]["code"], 143, "{report}");
    assert_eq!(report["target"]["id"], id.as_str());
    assert_eq!(report["target"]["name"], name.as_str());
    assert!(!fx.is_running(&id).await, "the daemon agrees it stopped");

    let again = cli.run(&["stop", &name, "--json"]).expect_code(0).report();
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["outcome"], "already_stopped", "{again}");
    assert_eq!(
        again["exit"]["code"], 143,
        "the last exit is still told: {again}"
    );
}

#[tokio::test]
async fn unreachable_daemon_exits_3() {
    let cli = Sandbox::new();
    let host = "unix:///nonexistent/docker.sock";
    let ran = cli.run(&["--host", host, "ps"]);
    ran.expect_code(3);
    assert!(
        ran.stderr.contains("/nonexistent/docker.sock"),
        "the message names the endpoint: {}",
        ran.stderr
    );
    cli.run(&["--host", host, "stop", "anything"])
        .expect_code(3);
    assert!(cli.audit_lines().is_empty());
}

#[tokio::test]
async fn read_only_refuses_with_exit_4_and_changes_nothing() {
    let fx = Fixture::new("cli-readonly").await;
    let cli = Sandbox::new();
    let id = fx.run("svc", Spec::graceful()).await;
    let name = fx.name("svc");

    let ran = cli.run(&["--read-only", "stop", &name]);
    ran.expect_code(4);
    assert!(
        format!("{}{}", ran.stdout, ran.stderr).contains("read-only"),
        "the refusal says why: {} {}",
        ran.stdout,
        ran.stderr
    );
    assert!(fx.is_running(&id).await, "still running");
    cli.run(&["--read-only", "rm", "--force", "--yes", &name])
        .expect_code(4);
    assert!(fx.is_running(&id).await, "still there and running");
    assert!(
        cli.audit_lines().is_empty(),
        "a refusal changed nothing, so nothing is audited"
    );
}

#[tokio::test]
async fn rm_and_kill_need_yes_without_a_terminal() {
    let fx = Fixture::new("cli-confirm").await;
    let cli = Sandbox::new();
    let idle = fx.create("idle", Spec::graceful()).await;
    let busy = fx.run("busy", Spec::graceful()).await;

    let ran = cli.run(&["rm", &fx.name("idle")]);
    ran.expect_code(2);
    assert!(ran.stderr.contains("--yes"), "{}", ran.stderr);
    assert!(fx.inspect(&idle).await.is_some(), "not removed");

    let ran = cli.run(&["kill", &fx.name("busy")]);
    ran.expect_code(2);
    assert!(ran.stderr.contains("--yes"), "{}", ran.stderr);
    assert!(fx.is_running(&busy).await, "not killed");
    assert!(cli.audit_lines().is_empty());
}

#[tokio::test]
async fn rm_with_yes_removes_and_a_gone_target_is_already_gone() {
    let fx = Fixture::new("cli-rm").await;
    let cli = Sandbox::new();
    let id = fx.create("old", Spec::graceful()).await;

    let report = cli
        .run(&["rm", &fx.name("old"), "--yes", "--json"])
        .expect_code(0)
        .report();
    assert_eq!(report["outcome"], "removed", "{report}");
    assert!(
        fx.inspect(&id).await.is_none(),
        "the daemon no longer has it"
    );

    let ghost = fx.name("never-made");
    let report = cli
        .run(&["rm", &ghost, "--yes", "--json"])
        .expect_code(0)
        .report();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["outcome"], "already_gone", "{report}");
    assert_eq!(report["target"]["name"], ghost.as_str());
}

#[tokio::test]
async fn audit_file_gets_one_line_per_mutation() {
    let fx = Fixture::new("cli-audit").await;
    let cli = Sandbox::new();
    let id = fx.create("aud", Spec::graceful_ready()).await;
    let name = fx.name("aud");

    cli.run(&["start", &name]).expect_code(0);
    fx.wait_for_output(&id, "ready").await;
    cli.run(&["--read-only", "stop", &name]).expect_code(4);
    cli.run(&["stop", &name]).expect_code(0);
    cli.run(&["stop", &name]).expect_code(0);
    cli.run(&["rm", &name, "--yes"]).expect_code(0);

    let lines = cli.audit_lines();
    let outcomes: Vec<&str> = lines.iter().filter_map(|l| l["outcome"].as_str()).collect();
    assert_eq!(
        outcomes,
        ["started", "stopped", "already_stopped", "removed"],
        "one line per mutation, none for the read-only refusal: {lines:?}"
    );
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(actions, ["start", "stop", "stop", "rm"]);
    for line in &lines {
        assert_eq!(line["target_id"], id.as_str(), "{line}");
        assert_eq!(line["target_name"], name.as_str(), "{line}");
        assert_eq!(line["ok"], true, "{line}");
        assert!(time_field(line, "time").is_some(), "{line}");
        assert!(
            line["who"].as_str().is_some_and(|w| w.contains('@')),
            "{line}"
        );
    }
    assert_eq!(
        lines[1]["exit_code"], 143,
        "the stop's exit code is audited"
    );
}

#[tokio::test]
async fn events_json_streams_a_start() {
    let fx = Fixture::new("cli-events").await;
    let cli = Sandbox::new();
    let mut child = cli.spawn(&["events", "--json"]);
    let stdout = child.child.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let id = fx.create("ev", Spec::sh("exit 0")).await;
    let deadline = Instant::now() + BOUND;
    let mut seen = 0usize;
    let found: Value = 'outer: loop {
        // The child may not have subscribed yet when the first start happens: start the
        // container again (it exits at once) until a start of it comes through.
        let started = fx
            .docker
            .start_container(&id, None::<StartContainerOptions>)
            .await;
        let round = Instant::now() + Duration::from_secs(3);
        loop {
            let now = Instant::now();
            assert!(
                now < deadline,
                "no start event for {id} within {BOUND:?} ({seen} lines read, last start: {started:?})"
            );
            match lines.recv_timeout(round.min(deadline).saturating_duration_since(now)) {
                Ok(line) => {
                    seen += 1;
                    let event: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("events --json line is not JSON ({e}): {line}"));
                    if event["id"] == id.as_str() && event["action"]["kind"] == "start" {
                        break 'outer event;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("fleetdeck events ended: {:?}", child.child.try_wait())
                }
            }
        }
    };
    assert_eq!(found["name"], fx.name("ev").as_str(), "{found}");
    assert!(time_field(&found, "time").is_some(), "{found}");
    assert!(
        matches!(child.child.try_wait(), Ok(None)),
        "events keeps running until interrupted"
    );
    drop(child);
}

/// What a container controls, full of escape sequences: a screen clear, a title change (BEL),
/// an OSC 52 clipboard write, a C1 CSI, a newline.
const HOSTILE: &str = "a\u{1b}[2J\u{1b}]0;pwned\u{7}b\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31mc\nline2";

/// Fails if `bytes` (what fleetdeck wrote for a terminal) hold ESC, BEL or a C1 control, or
/// the tail of a sequence whose introducer alone was dropped.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.chars().enumerate() {
        assert!(
            !matches!(c, '\u{1b}' | '\u{7}' | '\u{80}'..='\u{9f}'),
            "{what}: {c:?} at char {i}:\n{text}"
        );
    }
    for residue in ["[2J", "]0;", "]52;", "pwned", "ZXZpbA", "31m"] {
        assert!(!text.contains(residue), "{what}: {residue:?} left:\n{text}");
    }
}

#[tokio::test]
async fn text_output_refuses_hostile_container_data() {
    let fx = Fixture::new("cli-hostile").await;
    let cli = Sandbox::new();
    let since = (chrono::Utc::now() - chrono::Duration::seconds(2)).to_rfc3339();
    let mut spec = Spec::graceful().label("note", HOSTILE);
    spec.env = vec![format!("MODE={HOSTILE}")];
    // The health check prints the same sequences (busybox printf: octal escapes, and U+009B as
    // its two UTF-8 bytes) and fails, so that its output is in the health log.
    spec.health_cmd = Some(
        r"printf 'a\033[2J\033]0;pwned\007b\033]52;c;ZXZpbA==\007\302\23331mc\nline2'; exit 1"
            .into(),
    );
    let id = fx.run("evil", spec).await;
    let name = fx.name("evil");
    fx.wait_for(&id, "health-checked", |i| {
        i.state
            .as_ref()
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.log.as_ref())
            .is_some_and(|log| log.iter().any(|l| l.output.is_some()))
    })
    .await;

    let inspect = cli.run(&["inspect", &name]);
    inspect.expect_code(0);
    assert_terminal_safe("inspect", &inspect.stdout_bytes);
    let text = inspect.text();
    assert!(text.contains("label       note=abc\u{fffd}line2"), "{text}");
    assert!(text.contains("env         MODE=abc\u{fffd}line2"), "{text}");
    assert!(
        text.contains("  check     "),
        "the health log is shown: {text}"
    );

    // JSON holds no raw control character either (serde_json escapes those below U+0020,
    // fleetdeck the C1 ones too), and the value a script reads back is the container's own.
    let json = cli.run(&["inspect", &name, "--json"]);
    json.expect_code(0);
    assert!(
        !json.stdout_bytes.iter().any(|b| matches!(b, 0x1b | 0x07)),
        "{}",
        json.stdout
    );
    assert!(!json.stdout.contains('\u{9b}'), "{}", json.stdout);
    assert_eq!(json.json()["labels"]["note"], HOSTILE);

    let ps = cli.run(&["ps", "-a", "--filter", &only_mine(&fx)]);
    ps.expect_code(0);
    assert_terminal_safe("ps", &ps.stdout_bytes);
    assert!(ps.text().contains(&name), "{}", ps.stdout);

    let until = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let events = cli.run(&["events", "--since", &since, "--until", &until]);
    events.expect_code(0);
    assert_terminal_safe("events", &events.stdout_bytes);
    assert!(
        events
            .text()
            .lines()
            .any(|l| l.contains(&name) && l.ends_with("  start")),
        "{}",
        events.stdout
    );
}

/// The soft and hard limits on open files in `/proc/PID/limits`.
fn open_files_limits(pid: u32) -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .map(str::parse::<u64>);
    Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
}

#[test]
fn the_soft_open_files_limit_is_raised_toward_the_hard_one() {
    let cli = Sandbox::new();
    let child = cli.spawn_after("ulimit -Sn 256", &["events", "--json"]);
    // Until the shell has become fleetdeck and fleetdeck has raised it, the soft limit is 256.
    let deadline = Instant::now() + common::binary::RUN_BOUND;
    let (soft, hard) = loop {
        let limits = open_files_limits(child.id());
        let is_fleetdeck = std::fs::read_link(format!("/proc/{}/exe", child.id()))
            .is_ok_and(|exe| exe.ends_with("fleetdeck"));
        if let Some((soft, hard)) = limits.filter(|(soft, _)| is_fleetdeck && *soft != 256) {
            break (soft, hard);
        }
        assert!(
            Instant::now() < deadline,
            "the soft limit stayed {limits:?} (fleetdeck: {is_fleetdeck})"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        soft,
        hard.min(8192),
        "raised to the hard limit, at most 8192"
    );
    drop(child);
}
