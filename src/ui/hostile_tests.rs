//! Hostile input refused: the list, inspect and triage panes drawn over a container whose
//! daemon-given text (image, command, labels, env, health-check output, port address, and the
//! name of a second one, as a hostile daemon could send it) is full of escape sequences: a
//! screen clear, a title change ended by BEL and by ST, an OSC 52 clipboard write, a C1 CSI,
//! and newlines. No cell may hold an escape, a C1 control or BEL, and no sequence may leave its
//! tail behind (`[2J`, `]0;`): each is dropped whole, and a newline shows as a stand-in.
//! Snapshots at 80x24 and 160x48, from the shared fixture and harness. (Log lines are made safe
//! by the engine, with their own tests; what the logs pane adds itself, the daemon's reason for
//! ending a stream, is checked here.)

use std::collections::BTreeMap;

use bollard::models::ContainerInspectResponse;

use crate::app::fixture::{ch, container, now, press, select, send, state_at};
use crate::app::{AppState, Msg, update};
use crate::config::keys::KeyChord;
use crate::engine::detail::ContainerDetail;
use crate::engine::logs::{LogEnd, LogEvent};
use crate::engine::{FleetUpdate, Health, Port, RunState};
use crate::ui::tests::{snapshot, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Everything at once: clear screen, title (BEL), clipboard write, C1 CSI, title (ST).
const PAYLOAD: &str =
    "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{1b}]0;pwned\u{1b}\\";

/// What no screen may show: the tail of a sequence whose introducer alone was dropped.
const RESIDUE: [&str; 6] = ["[2J", "]0;", "]52;", "pwned", "ZXZpbA", "31m"];

fn key(state: &mut AppState, c: char) {
    let _ = update(state, Msg::Key(KeyChord::char(c)));
}

/// `evil-1`: running, unhealthy, in a compose project, with a hostile image, command, label,
/// port address and last health output; and a second container with a hostile name that
/// exited non-zero (so that triage lists it too).
fn hostile_fleet() -> Vec<crate::engine::Container> {
    let mut evil = container(
        "evil-1",
        &format!("evil{PAYLOAD}:latest"),
        RunState::Running,
    );
    evil.command = format!("sh -c 'printf {PAYLOAD}'\nsecond line");
    evil.set_labels(BTreeMap::from([
        (
            "com.docker.compose.project".to_string(),
            format!("pro{PAYLOAD}ject"),
        ),
        ("note".to_string(), format!("line1\nline2{PAYLOAD}")),
    ]));
    evil.health = Some(Health::Unhealthy);
    evil.last_health_output = Some(format!("check{PAYLOAD} failed\nagain"));
    evil.started_at = Some(now() - chrono::Duration::seconds(300));
    evil.ports = vec![Port {
        private: 80,
        public: Some(8080),
        ip: Some(format!("0.0.0.0{PAYLOAD}")),
        protocol: "tcp".into(),
    }];
    let mut named = container(
        &format!("evil{PAYLOAD}-2"),
        "busybox:latest",
        RunState::Exited,
    );
    named.exit_code = Some(3);
    named.finished_at = Some(now() - chrono::Duration::seconds(60));
    vec![evil, named]
}

fn hostile_state(w: u16, h: u16) -> AppState {
    let mut s = state_at(w, h);
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            hostile_fleet(),
        )),
    );
    let _ = update(&mut s, Msg::Tick(now()));
    s
}

/// The inspect of `evil-1` as a hostile daemon could answer it (JSON escapes: `\u001b` ESC,
/// `\u0007` BEL, `\u009b` C1 CSI, `\n`).
fn hostile_detail() -> Box<ContainerDetail> {
    let p =
        r"\u001b[2J\u001b]0;pwned\u0007\u001b]52;c;ZXZpbA==\u0007\u009b31m\u001b]0;pwned\u001b\\";
    let json = r#"{
        "Id": "6576696c2d310000000000000000000000000000000000000000000000000000",
        "Name": "/evil-1",
        "RestartCount": 0,
        "Config": {
            "Image": "evil@P:latest",
            "Cmd": ["sh", "-c", "printf '@P'\nsecond line"],
            "Entrypoint": ["/entry@P"],
            "WorkingDir": "/work@P",
            "User": "root@P",
            "Env": ["MODE=debug@P", "NOTE=line1\nline2@P", "K\u001b]0;pwned\u0007EY=v"],
            "Labels": {"com.docker.compose.project": "pro@Pject", "note": "line1\nline2@P"}
        },
        "State": {
            "Status": "running", "Running": true, "ExitCode": 0,
            "StartedAt": "2024-05-01T11:55:00Z", "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {"Status": "unhealthy", "FailingStreak": 3, "Log": [
                {"Start": "2024-05-01T11:59:50Z", "End": "2024-05-01T11:59:51Z", "ExitCode": 1, "Output": "check@P failed\nagain"}
            ]}
        },
        "HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5}},
        "Mounts": [{"Type": "bind", "Source": "/src@P", "Destination": "/dst@P", "RW": true}],
        "NetworkSettings": {"Networks": {"net@P": {}}, "Ports": {"80/tcp": null}}
    }"#
    .replace("@P", p);
    let inspect: ContainerInspectResponse = serde_json::from_str(&json).expect("inspect json");
    Box::new(ContainerDetail::from_inspect(&inspect, true).expect("detail"))
}

fn inspecting(w: u16, h: u16) -> AppState {
    super::tests::inspect_with(hostile_state(w, h), "evil-1", hostile_detail())
}

/// No cell holds a control character (ESC, BEL, a C1 control, a newline), and the screen shows
/// no tail of a sequence. Returns the screen.
fn assert_clean(state: &AppState, what: &str) -> String {
    let screen = text(state);
    for (y, line) in screen.lines().enumerate() {
        assert!(
            !line.chars().any(char::is_control),
            "{what}: a control character on row {y}: {line:?}"
        );
    }
    for residue in RESIDUE {
        assert!(
            !screen.contains(residue),
            "{what}: {residue:?} left on screen:\n{screen}"
        );
    }
    screen
}

#[test]
fn list_pane_shows_hostile_text_clean() {
    for (w, h) in SIZES {
        let mut s = hostile_state(w, h);
        select(&mut s, "evil-1");
        let screen = assert_clean(&s, "list");
        assert!(screen.contains("evil-1"), "{screen}");
        assert!(screen.contains("project"), "the group header: {screen}");
        snapshot("hostile_list", &s);
    }
}

#[test]
fn inspect_pane_shows_hostile_text_clean() {
    for (w, h) in SIZES {
        let mut s = inspecting(w, h);
        let screen = assert_clean(&s, "inspect");
        assert!(screen.contains("evil:latest"), "{screen}");
        snapshot("hostile_inspect", &s);
        // The lines below the first screen (labels, env, mounts) too.
        for _ in 0..4 {
            key(&mut s, 'G');
            assert_clean(&s, "inspect, scrolled");
        }
        let screen = assert_clean(&s, "inspect, scrolled");
        assert!(
            screen.contains("line1\u{fffd}line2"),
            "a newline in a label shows as a stand-in: {screen}"
        );
        snapshot("hostile_inspect_scrolled", &s);
    }
}

#[test]
fn triage_pane_shows_hostile_text_clean() {
    for (w, h) in SIZES {
        let mut s = hostile_state(w, h);
        key(&mut s, 't');
        let screen = assert_clean(&s, "triage");
        assert!(screen.contains("check failed"), "{screen}");
        snapshot("hostile_triage", &s);
    }
}

#[test]
fn logs_pane_shows_a_hostile_end_of_stream_clean() {
    let mut s = hostile_state(160, 48);
    select(&mut s, "evil-1");
    press(&mut s, ch('l'));
    let t0 = std::time::Instant::now();
    let why = format!("Error response from daemon: {PAYLOAD}gone\nfor good");
    send(&mut s, "evil-1", LogEvent::Ended(LogEnd::Failed(why)), t0);
    let screen = assert_clean(&s, "logs");
    assert!(
        screen.contains("logs ended: Error response from daemon: gone\u{fffd}for good"),
        "{screen}"
    );
}
