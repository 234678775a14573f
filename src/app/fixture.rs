//! The one test fixture of the console, shared by `app`'s `update()` tests and `ui`'s snapshot
//! tests: a fixed "now", a fixed fleet with every state worth drawing (in a compose project
//! and not), the state built from it at a given size, the logs pane open on a container with
//! lines a web server might write, a GPU report attributed over a fake `/proc`, and the few
//! helpers that drive `update` with keys and log messages. Nothing here draws: render
//! harnesses live with the snapshot tests.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};

use super::keymap::Keymap;
use super::logs::LogsMsg;
use super::rows::Row;
use super::{AppState, Effect, Msg, Settings, update};
use crate::config::keys::KeyChord;
use crate::engine::logs::{LogEvent, LogLine, LogMessage, LogStream};
use crate::engine::{Connection, Container, ContainerId, FleetUpdate, Health, Port, RunState};
use crate::gpu;

/// The fixed "now" of every test: relative times are deterministic.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `seconds` before [`now`].
pub(crate) fn ago(seconds: i64) -> Option<DateTime<Utc>> {
    Some(now() - chrono::Duration::seconds(seconds))
}

/// A container with a fixed id derived from its name.
pub(crate) fn container(name: &str, image: &str, state: RunState) -> Container {
    let hex: String = name
        .bytes()
        .map(|b| format!("{:02x}", b))
        .collect::<String>()
        .chars()
        .chain(std::iter::repeat('0'))
        .take(64)
        .collect();
    let mut c = Container::new(ContainerId(hex), name.into());
    c.image = image.into();
    c.state = state;
    c.restart_count = Some(0);
    c.created = ago(3 * 86_400);
    c
}

pub(crate) fn in_project(mut c: Container, project: &str) -> Container {
    let mut labels = BTreeMap::new();
    labels.insert(
        "com.docker.compose.project".to_string(),
        project.to_string(),
    );
    labels.insert("com.docker.compose.service".to_string(), c.name.clone());
    c.set_labels(labels);
    c
}

/// A small fleet with every state worth drawing.
pub(crate) fn fleet() -> Vec<Container> {
    let mut web = in_project(
        container("shop-web-1", "nginx:1.25", RunState::Running),
        "shop",
    );
    web.health = Some(Health::Healthy);
    web.started_at = ago(3 * 3600 + 120);
    web.ports = vec![Port {
        private: 80,
        public: Some(8080),
        ip: Some("0.0.0.0".into()),
        protocol: "tcp".into(),
    }];
    let mut db = in_project(
        container("shop-db-1", "postgres:16", RunState::Running),
        "shop",
    );
    db.health = Some(Health::Unhealthy);
    db.started_at = ago(300);
    db.restart_count = Some(2);
    db.ports = vec![Port {
        private: 5432,
        public: None,
        ip: None,
        protocol: "tcp".into(),
    }];
    let mut worker = in_project(
        container("shop-worker-1", "shop/worker:latest", RunState::Exited),
        "shop",
    );
    worker.exit_code = Some(137);
    worker.oom_killed = true;
    worker.finished_at = ago(190);
    worker.restart_count = Some(5);
    let mut cache = container("cache", "redis:7", RunState::Paused);
    cache.started_at = ago(2 * 86_400);
    let mut batch = container("batch-job", "busybox:latest", RunState::Exited);
    batch.exit_code = Some(0);
    batch.finished_at = ago(3600);
    let old = container("old-1", "busybox:latest", RunState::Created);
    let mut api = container("api", "example/api:2.3.1", RunState::Exited);
    api.exit_code = Some(1);
    api.finished_at = ago(600);
    vec![web, db, worker, cache, batch, old, api]
}

/// A state with the fixed fleet, connected, at `width` x `height`.
pub(crate) fn state_at(width: u16, height: u16) -> AppState {
    let mut state = AppState::new(Settings::default(), Keymap::default(), true, now());
    let _ = update(&mut state, Msg::Resize { width, height });
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet(),
        )),
    );
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Connection(
            crate::engine::LOCAL_HOST.to_string(),
            Connection::Connected {
                since: ago(3600).unwrap_or_default(),
            },
        )),
    );
    state
}

pub(crate) fn state() -> AppState {
    state_at(80, 24)
}

/// Moves the selection onto the container named `name`.
pub(crate) fn select(state: &mut AppState, name: &str) {
    let i = state
        .rows
        .iter()
        .position(|r| matches!(r, Row::Container(id) if state.fleet.get(id).is_some_and(|c| c.name == name)))
        .unwrap_or_else(|| panic!("{name} is not listed"));
    state.selected = i;
    state.clamp_selection();
}

/// A key as a single character.
pub(crate) fn ch(c: char) -> KeyChord {
    KeyChord::char(c)
}

/// Presses a key; returns its effects, without the stats bookkeeping.
pub(crate) fn press(state: &mut AppState, k: KeyChord) -> Vec<Effect> {
    update(state, Msg::Key(k))
        .into_iter()
        .filter(|e| !matches!(e, Effect::WatchStats(_)))
        .collect()
}

/// Types `text` into whatever takes keys.
pub(crate) fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, ch(c));
    }
}

/// `seconds` and `millis` after [`now`].
pub(crate) fn at(seconds: i64, millis: i64) -> Option<DateTime<Utc>> {
    Some(now() + chrono::Duration::seconds(seconds) + chrono::Duration::milliseconds(millis))
}

pub(crate) fn line(stream: LogStream, time: Option<DateTime<Utc>>, text: &str) -> LogLine {
    LogLine {
        stream,
        time,
        text: text.into(),
    }
}

/// Sends `event` as the stream of the container named `name`.
pub(crate) fn send(state: &mut AppState, name: &str, event: LogEvent, t: Instant) {
    let id = state
        .fleet
        .containers()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .unwrap_or_else(|| panic!("no {name}"));
    let _ = update(
        state,
        Msg::Logs(LogsMsg::Stream {
            message: LogMessage {
                container: id,
                event,
            },
            at: t,
        }),
    );
}

/// Lines a web server might write: `n` of them from second `from`, every seventh on stderr.
pub(crate) fn web_lines(from: i64, n: i64) -> Vec<LogLine> {
    (from..from + n)
        .map(|i| {
            if i % 7 == 3 {
                line(
                    LogStream::Stderr,
                    at(i, 0),
                    &format!("error: upstream timed out (request {i})"),
                )
            } else {
                line(
                    LogStream::Stdout,
                    at(i, 0),
                    &format!("GET /api/items/{i} 200 {}ms", 3 + i % 11),
                )
            }
        })
        .collect()
}

/// The logs pane open on `name` at `width` x `height`, following `n` lines.
pub(crate) fn open_on(width: u16, height: u16, name: &str, n: i64, t0: Instant) -> AppState {
    let mut s = state_at(width, height);
    select(&mut s, name);
    press(&mut s, ch('l'));
    send(&mut s, name, LogEvent::Lines(web_lines(0, n)), t0);
    send(&mut s, name, LogEvent::CaughtUp, t0);
    s
}

/// The GPU fixture's report, attributed over a fake `/proc`.
pub(crate) fn gpu_report() -> gpu::GpuReport {
    let dir = tempfile::tempdir().expect("temp dir");
    gpu::fixture::fake_proc(dir.path());
    gpu::attribute(
        &gpu::fixture::sample(),
        dir.path(),
        &gpu::fixture::known(),
        90.0,
    )
}

/// The compose project of the fixture's `shop`: `web` (2 replicas), `db`, `worker`, and `cache`
/// named `cache` (which the fixture's own, unlabelled `cache` container holds).
pub(crate) fn shop_project() -> crate::reconcile::compose::Project {
    use crate::reconcile::compose::{Project, ServiceSpec};
    let mut web = ServiceSpec::new("web", "nginx:1.25");
    web.replicas = 2;
    let mut db = ServiceSpec::new("db", "postgres:16");
    db.environment
        .insert("POSTGRES_DB".to_string(), "shop".to_string());
    let worker = ServiceSpec::new("worker", "shop/worker:latest");
    let mut cache = ServiceSpec::new("cache", "redis:7");
    cache.container_name = Some("cache".to_string());
    Project {
        name: "shop".to_string(),
        working_dir: "/srv/shop".into(),
        config_files: vec!["/srv/shop/compose.yaml".into()],
        services: vec![web, db, worker, cache],
        disabled_services: Vec::new(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        ..Project::default()
    }
}

/// The fixture's fleet with `shop`'s containers labelled as compose would make them from
/// [`shop_project`]: `shop-web-1` as the file says, `shop-db-1` from an older environment,
/// `shop-worker-1` stopped; plus `shop-old-1`, of a service the file no longer has.
pub(crate) fn compose_fleet() -> Vec<Container> {
    use crate::reconcile::plan::container_labels;
    let project = shop_project();
    let mut fleet = fleet();
    for c in &mut fleet {
        let (service, mut spec) = match c.name.as_str() {
            "shop-web-1" => ("web", project.services[0].clone()),
            "shop-db-1" => ("db", project.services[1].clone()),
            "shop-worker-1" => ("worker", project.services[2].clone()),
            _ => continue,
        };
        if service == "db" {
            spec.environment
                .insert("POSTGRES_DB".to_string(), "shop_old".to_string());
        }
        c.set_labels(container_labels(&project, &spec, 1, None));
    }
    let mut old = container("shop-old-1", "busybox:latest", RunState::Running);
    old.started_at = ago(86_400);
    let mut spec = crate::reconcile::compose::ServiceSpec::new("old", "busybox:latest");
    spec.replicas = 1;
    old.set_labels(container_labels(&project, &spec, 1, None));
    fleet.push(old);
    fleet
}

/// A state at `width` x `height` started with `-f /srv/shop/compose.yaml`, the files read as
/// [`shop_project`], over [`compose_fleet`].
pub(crate) fn compose_state_at(width: u16, height: u16) -> AppState {
    use super::compose::{self, ComposeMsg, SharedProject};
    let mut state = state_at(width, height);
    compose::start(&mut state, vec!["/srv/shop/compose.yaml".into()], None);
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            compose_fleet(),
        )),
    );
    let project = SharedProject(std::sync::Arc::new(shop_project()));
    let _ = update(&mut state, Msg::Compose(ComposeMsg::Loaded(Ok(project))));
    state.status = None;
    state
}
