//! Snapshots of every pane and overlay (list, inspect, help, confirm, status bar, disconnected
//! banner, empty fleet) at 80x24 and 160x48, drawn from fixed states with a fixed `now`, and the
//! checks that no size panics and that `NO_COLOR` means no colour. The states come from the one
//! fixture, [`crate::app::fixture`]; the render harness here ([`draw`], [`text`], [`snapshot`])
//! is the one every `ui` snapshot test draws with.

use bollard::models::ContainerInspectResponse;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::{ViewState, render};
use crate::app::fixture::{now, select, state_at};
use crate::app::{AppState, Msg, StatusLine, update};
use crate::config::keys::KeyChord;
use crate::engine::detail::ContainerDetail;
use crate::engine::stats::StatsSample;
use crate::engine::{Connection, FleetUpdate};
use crate::ui::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// One frame of `state` drawn with `theme` into a test terminal of the state's size.
pub(super) fn draw(state: &AppState, theme: Theme) -> Terminal<TestBackend> {
    let backend = TestBackend::new(state.viewport.width, state.viewport.height);
    let mut terminal = Terminal::new(backend).expect("test backend");
    let mut view = ViewState::new(theme);
    terminal
        .draw(|frame| render(frame, state, &mut view))
        .expect("draw");
    terminal
}

/// The screen as text, one line per row, trailing spaces cut.
pub(super) fn text(state: &AppState) -> String {
    let terminal = draw(state, Theme::default());
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Checks the screen against the snapshot `{name}_{w}x{h}` (ids redacted).
pub(super) fn snapshot(name: &str, state: &AppState) {
    let (w, h) = (state.viewport.width, state.viewport.height);
    let mut settings = insta::Settings::clone_current();
    // Ids are fixed in these states; redact anything that looks like a real one anyway.
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[id]");
    settings.bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(state)));
}

fn key(state: &mut AppState, c: char) {
    let _ = update(state, Msg::Key(KeyChord::char(c)));
}

fn with_stats(state: &mut AppState) {
    for (i, id) in state.watched.clone().into_iter().enumerate() {
        let _ = update(
            state,
            Msg::Stats(StatsSample {
                id,
                cpu_percent: Some(12.5 * (i + 1) as f64),
                memory_used: 300 * 1024 * 1024 * (i as u64 + 1),
                memory_limit: Some(2 * 1024 * 1024 * 1024),
            }),
        );
    }
}

fn detail() -> Box<ContainerDetail> {
    let json = r#"{
        "Id": "73686f702d64622d31000000000000000000000000000000000000000000000000",
        "Name": "/shop-db-1",
        "RestartCount": 2,
        "Path": "docker-entrypoint.sh",
        "Args": ["postgres"],
        "Config": {
            "Image": "postgres:16",
            "Cmd": ["postgres", "-c", "max_connections=200"],
            "Entrypoint": ["docker-entrypoint.sh"],
            "WorkingDir": "/var/lib/postgresql",
            "Env": ["PATH=/usr/local/bin:/usr/bin", "POSTGRES_USER=shop", "POSTGRES_PASSWORD=hunter2", "API_TOKEN=abc123"],
            "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "db"}
        },
        "State": {
            "Status": "running", "Running": true, "ExitCode": 0,
            "StartedAt": "2024-05-01T11:55:00Z", "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {"Status": "unhealthy", "FailingStreak": 3, "Log": [
                {"Start": "2024-05-01T11:59:30Z", "End": "2024-05-01T11:59:31Z", "ExitCode": 0, "Output": "accepting connections\n"},
                {"Start": "2024-05-01T11:59:40Z", "End": "2024-05-01T11:59:41Z", "ExitCode": 1, "Output": "pg_isready: no response\n"},
                {"Start": "2024-05-01T11:59:50Z", "End": "2024-05-01T11:59:51Z", "ExitCode": 1, "Output": "pg_isready: no response\n"}
            ]}
        },
        "HostConfig": {
            "Memory": 536870912, "NanoCpus": 1500000000, "PidsLimit": 200,
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5}
        },
        "Mounts": [{"Type": "volume", "Name": "shop_pgdata", "Source": "/var/lib/docker/volumes/shop_pgdata/_data", "Destination": "/var/lib/postgresql/data", "RW": true},
                   {"Type": "bind", "Source": "/etc/shop/pg.conf", "Destination": "/etc/postgresql.conf", "RW": false}],
        "NetworkSettings": {"Networks": {"shop_default": {}}, "Ports": {"5432/tcp": null}}
    }"#;
    let inspect: ContainerInspectResponse = serde_json::from_str(json).expect("inspect json");
    Box::new(ContainerDetail::from_inspect(&inspect, true).expect("detail"))
}

pub(super) fn inspecting(w: u16, h: u16) -> AppState {
    inspect_with(state_at(w, h), "shop-db-1", detail())
}

/// `s` with `name` selected, inspected, and `detail` come back from the daemon.
pub(super) fn inspect_with(mut s: AppState, name: &str, detail: Box<ContainerDetail>) -> AppState {
    select(&mut s, name);
    key(&mut s, 'i');
    let id = s
        .inspect
        .as_ref()
        .map(|v| v.id.clone())
        .expect("inspecting");
    let _ = update(
        &mut s,
        Msg::Detail {
            id,
            result: Ok(detail),
        },
    );
    s
}

#[test]
fn list() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        with_stats(&mut s);
        select(&mut s, "shop-web-1");
        snapshot("list", &s);
    }
}

#[test]
fn list_with_marks_filter_and_fold() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        select(&mut s, "api");
        key(&mut s, ' ');
        key(&mut s, ' ');
        s.selected = 0;
        key(&mut s, 'z');
        snapshot("list_marked_folded", &s);
        key(&mut s, '/');
        for c in "!exited".chars() {
            key(&mut s, c);
        }
        snapshot("list_filter_typing", &s);
    }
}

#[test]
fn inspect() {
    for (w, h) in SIZES {
        let s = inspecting(w, h);
        snapshot("inspect", &s);
        let mut masked = s.clone();
        key(&mut masked, 'G');
        let mut revealed = masked.clone();
        key(&mut revealed, 'v');
        assert!(
            text(&revealed).contains("POSTGRES_PASSWORD=hunter2"),
            "revealed"
        );
        assert!(text(&masked).contains("POSTGRES_PASSWORD=••••••"), "masked");
        assert!(!text(&masked).contains("hunter2"), "masked");
        assert!(!text(&masked).contains("abc123"), "masked");
    }
    let mut s = inspecting(80, 24);
    key(&mut s, 'G');
    snapshot("inspect_scrolled", &s);
}

#[test]
fn help() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        key(&mut s, '?');
        snapshot("help", &s);
    }
    let mut s = state_at(80, 24);
    s.settings.read_only = true;
    key(&mut s, '?');
    snapshot("help_read_only", &s);
}

#[test]
fn several_hosts_in_the_list_the_banner_and_help() {
    let mut s = state_at(160, 48);
    // The fixture's fleet is on `local`; a second host that is still connecting.
    s.fleet.primary = Some("local".into());
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Connection(
            "edge-2".into(),
            Connection::Connecting,
        )),
    );
    let fleet: Vec<_> = s.fleet.sorted().into_iter().cloned().collect();
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet,
        )),
    );
    let screen = text(&s);
    assert!(screen.contains("HOST"), "{screen}");
    assert!(
        screen.contains("local · shop"),
        "host then project: {screen}"
    );
    assert!(screen.contains("edge-2 connecting"), "{screen}");
    key(&mut s, '?');
    key(&mut s, 'G');
    let help = text(&s);
    assert!(
        help.contains("edge-2 (connecting), local (connected)"),
        "{help}"
    );
}

#[test]
fn confirm() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        select(&mut s, "api");
        let _ = update(&mut s, Msg::Key(KeyChord::ctrl('k')));
        snapshot("confirm_kill", &s);
        let mut s = state_at(w, h);
        s.selected = 0;
        key(&mut s, 'd');
        snapshot("confirm_remove_many", &s);
    }
}

#[test]
fn status_bar() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        s.status = Some(StatusLine {
            text: "stopped shop-web-1: exit 143 (SIGTERM) in 0.4 s".into(),
            is_error: false,
        });
        snapshot("status_ok", &s);
        s.status = Some(StatusLine {
            text:
                "cannot remove 'shop-db-1': it is running (stop it first, or remove with --force)"
                    .into(),
            is_error: true,
        });
        s.settings.read_only = true;
        snapshot("status_error_read_only", &s);
    }
}

/// Alerts the keeper gave up delivering are counted at the right of the status line.
#[test]
fn status_counts_undelivered_alerts() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        s.undelivered_alerts = 3;
        snapshot("status_undelivered_alerts", &s);
    }
}

#[test]
fn status_errors_use_the_error_style() {
    let mut s = state_at(80, 24);
    s.status = Some(StatusLine {
        text: "cannot stop 'api': no such container".into(),
        is_error: true,
    });
    let terminal = draw(&s, Theme::default());
    let cell = &terminal.backend().buffer()[(0, 23)];
    assert_eq!(cell.symbol(), "✖");
    assert_eq!(cell.fg, Color::Red);
}

#[test]
fn disconnected_banner() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Connection(crate::engine::LOCAL_HOST.to_string(), Connection::Disconnected {
                since: now() - chrono::Duration::seconds(200),
                attempts: 4,
                error: "cannot reach the Docker daemon at unix:///var/run/docker.sock: connection refused".into(),
            })),
        );
        snapshot("disconnected", &s);
    }
}

#[test]
fn empty_fleet() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Snapshot(
                crate::engine::LOCAL_HOST.to_string(),
                Vec::new(),
            )),
        );
        snapshot("empty", &s);
        let mut s = state_at(w, h);
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Connection(
                crate::engine::LOCAL_HOST.to_string(),
                Connection::Connecting,
            )),
        );
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Snapshot(
                crate::engine::LOCAL_HOST.to_string(),
                Vec::new(),
            )),
        );
        snapshot("connecting", &s);
    }
    let mut s = state_at(80, 24);
    key(&mut s, '/');
    for c in "nothing-like-this".chars() {
        key(&mut s, c);
    }
    assert!(text(&s).contains("no container matches the filter 'nothing-like-this'"));
}

#[test]
fn no_size_panics() {
    for (w, h) in [
        (20, 5),
        (1, 1),
        (0, 0),
        (10, 3),
        (40, 10),
        (79, 23),
        (300, 100),
    ] {
        for mut s in [state_at(w, h), inspecting(w, h)] {
            let _ = draw(&s, Theme::default());
            for c in ['?', 'L', 'j', 'G', 'd', 'T', 'k', 'h', 'l', 'f', ' '] {
                key(&mut s, c);
                let _ = draw(&s, Theme::default());
            }
        }
    }
}

#[test]
fn small_terminals_still_show_the_list() {
    let mut s = state_at(20, 5);
    select(&mut s, "cache");
    let screen = text(&s);
    assert!(screen.contains("cache"), "{screen}");
}

#[test]
fn no_color_means_no_colours() {
    let mut s = inspecting(160, 48);
    s.status = Some(StatusLine {
        text: "boom".into(),
        is_error: true,
    });
    key(&mut s, '?');
    let terminal = draw(&s, Theme::plain());
    for cell in terminal.backend().buffer().content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
}

/// The counts `update` scrolls by (counted without building a line) are the lines render
/// draws, in every inspect state (loading, failed, fetched, secrets shown) and for help over
/// every view; render also asserts it on every frame in debug builds.
#[test]
fn scroll_counts_are_the_lines_drawn() {
    let theme = Theme::plain();
    let mut s = inspecting(80, 24);
    let counted = |s: &AppState| {
        let view = s.inspect.as_ref().expect("inspecting");
        (
            crate::app::inspect::line_count(s, view),
            super::inspect::lines(s, view, &theme).len(),
        )
    };
    let (n, drawn) = counted(&s);
    assert_eq!(n, drawn);
    key(&mut s, 'v');
    assert!(s.inspect.as_ref().is_some_and(|v| v.reveal));
    let (n, drawn) = counted(&s);
    assert_eq!(n, drawn);
    if let Some(view) = s.inspect.as_mut() {
        view.detail = None;
    }
    let (n, drawn) = counted(&s);
    assert_eq!(n, drawn);
    if let Some(view) = s.inspect.as_mut() {
        view.error = Some("no such container".into());
    }
    let (n, drawn) = counted(&s);
    assert_eq!(n, drawn);
    for name in ["shop-worker-1", "cache", "old-1", "api"] {
        let mut s = state_at(80, 24);
        select(&mut s, name);
        key(&mut s, 'i');
        let (n, drawn) = counted(&s);
        assert_eq!(n, drawn, "{name}");
    }

    for base in [None, Some('i'), Some('l'), Some('t'), Some('6')] {
        let mut s = state_at(80, 24);
        if let Some(c) = base {
            key(&mut s, c);
        }
        key(&mut s, '?');
        assert_eq!(
            crate::app::help::line_count(&s),
            super::help::lines(&s, &theme).len(),
            "{:?}",
            s.base
        );
    }
}

#[test]
fn an_exited_container_shows_no_health() {
    use crate::engine::{FleetUpdate, Health, RunState};
    let mut c = crate::app::fixture::container("done-1", "busybox", RunState::Exited);
    c.health = Some(Health::Healthy);
    c.exit_code = Some(137);
    let mut running = crate::app::fixture::container("live-1", "busybox", RunState::Running);
    running.health = Some(Health::Healthy);
    let mut state = crate::app::fixture::state_at(120, 20);
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![c, running],
        )),
    );
    let screen = text(&state);
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} is listed:\n{screen}"))
            .to_string()
    };
    assert!(!line("done-1").contains("healthy"), "{}", line("done-1"));
    assert!(line("live-1").contains("healthy"), "{}", line("live-1"));
}

/// `y` in inspect copies the section at the top of the pane, and what `update` takes for each
/// line's section is the field render draws there.
#[test]
fn y_in_inspect_copies_the_section_drawn_there() {
    let theme = Theme::plain();
    let mut s = inspecting(80, 24);
    let view = s.inspect.clone().expect("inspecting");
    let drawn = super::inspect::lines(&s, &view, &theme);
    let mut label = "id".to_string();
    for (i, line) in drawn.iter().enumerate() {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let key: String = text
            .chars()
            .take(12)
            .collect::<String>()
            .trim()
            .to_lowercase();
        if i > 0 && !key.is_empty() {
            label = match key.as_str() {
                "state" => "id".into(),
                "docker error" => "error".into(),
                "restart" => "restart policy".into(),
                other => other.into(),
            };
        }
        let (section, _) = crate::app::copy::section_at(&s, &view, i).expect("a section");
        assert_eq!(section, label, "line {i}: {text}");
    }

    // Scrolled to the environment: its variables, secrets masked.
    let env_line = drawn
        .iter()
        .position(|l| l.spans.iter().any(|s| s.content.starts_with("Env")))
        .expect("an Env line");
    if let Some(v) = s.inspect.as_mut() {
        v.scroll = env_line;
    }
    let effects = update(&mut s, Msg::Key(KeyChord::char('y')));
    let copied: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            crate::app::Effect::Copy { text, what } => Some((text.clone(), what.clone())),
            _ => None,
        })
        .collect();
    let [(text, what)] = copied.as_slice() else {
        panic!("one copy: {effects:?}");
    };
    assert_eq!(what, "shop-db-1's env");
    assert!(text.contains("POSTGRES_USER=shop"), "{text}");
    assert!(
        !text.contains("hunter2"),
        "a masked secret is copied masked: {text}"
    );
    assert_eq!(
        s.status.as_ref().map(|l| l.text.clone()),
        Some(format!("copied shop-db-1's env ({} bytes)", text.len()))
    );

    // At the top: the full id.
    if let Some(v) = s.inspect.as_mut() {
        v.scroll = 0;
    }
    let effects = update(&mut s, Msg::Key(KeyChord::char('y')));
    assert!(effects.iter().any(|e| matches!(
        e,
        crate::app::Effect::Copy { text, what } if text.len() == 64 && what == "shop-db-1's id"
    )));
}

#[test]
fn columns_stay_put_as_content_changes() {
    use crate::engine::{FleetUpdate, RunState};
    for (width, height) in [(80, 24), (120, 30), (160, 48)] {
        let mut s = state_at(width, height);
        let header = |s: &AppState| {
            text(s)
                .lines()
                .find(|l| l.contains("NAME"))
                .expect("a header line")
                .to_string()
        };
        let before = header(&s);
        // A status grows long (a SIGKILL a moment ago), an image name grows: the columns and
        // their widths stay, the long cells are cut.
        let mut c = crate::app::fixture::container(
            "shop-web-1",
            "registry.example.com/team/a-very-long-image-name:2024.05.01",
            RunState::Exited,
        );
        c.exit_code = Some(137);
        c.last_signal = Some("SIGKILL".into());
        c.finished_at = crate::app::fixture::ago(4);
        let _ = update(&mut s, Msg::Fleet(FleetUpdate::Refreshed(Box::new(c))));
        assert_eq!(header(&s), before, "at {width}x{height} the columns moved");
    }
}
