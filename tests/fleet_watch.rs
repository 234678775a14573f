//! The live fleet against the real daemon: the watcher (`engine::watch`) and the reducer
//! (`engine::Fleet`) follow what another client does to containers from the events stream
//! alone, with one list call; when the stream breaks the fleet says "disconnected since T",
//! and on reconnect it lists once more and resubscribes, without doubling anything.
//!
//! Other tests share the daemon: these only ever look at the containers their fixture made.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::{RemoveContainerOptions, StartContainerOptions};
use common::{Fixture, IMAGE, RUN_LABEL, Spec};
use fleetdeck::engine::watch;
use fleetdeck::engine::{Connection, Container, ContainerId, Fleet, FleetUpdate, Health, RunState};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// How long to wait for the daemon to do something before failing: a bound, not a timing
/// assert (the daemon usually takes well under a second).
const BOUND: Duration = Duration::from_secs(30);

/// A fleet fed by a watcher's channel, the way the console keeps one.
struct Live {
    fleet: Fleet,
    rx: mpsc::Receiver<FleetUpdate>,
    /// The fixture's run label value: the containers this test may look at.
    run: String,
}

impl Live {
    fn new(rx: mpsc::Receiver<FleetUpdate>, fx: &Fixture) -> Self {
        Self {
            fleet: Fleet::new(),
            rx,
            run: fx.run.clone(),
        }
    }

    /// The containers of this test's fixture, as the fleet knows them.
    fn mine(&self) -> Vec<&Container> {
        self.fleet
            .sorted()
            .into_iter()
            .filter(|c| c.labels.get(RUN_LABEL) == Some(&self.run))
            .collect()
    }

    /// What the test can see, for failure messages.
    fn describe(&self) -> String {
        let mine: Vec<String> = self
            .mine()
            .iter()
            .map(|c| {
                format!(
                    "{} {} health={:?} exit={:?}",
                    c.name, c.state, c.health, c.exit_code
                )
            })
            .collect();
        format!(
            "connection: {:?}; this test's containers: [{}]",
            self.fleet.connection,
            mine.join("; ")
        )
    }

    /// Receives and applies the next update, failing past `deadline`.
    async fn apply_next(&mut self, deadline: Instant, what: &str) -> FleetUpdate {
        match tokio::time::timeout_at(deadline, self.rx.recv()).await {
            Ok(Some(update)) => {
                self.fleet.apply(update.clone());
                update
            }
            Ok(None) => panic!("the watcher stopped while waiting for {what}"),
            Err(_) => panic!(
                "waited {BOUND:?} for {what} and it never came; {}",
                self.describe()
            ),
        }
    }

    /// Applies updates until `holds` is true of the fleet (checked after every single update,
    /// so that a passing state such as "running" before "exited" is seen).
    async fn until(&mut self, what: &str, holds: impl Fn(&Fleet) -> bool) {
        let deadline = Instant::now() + BOUND;
        while !holds(&self.fleet) {
            self.apply_next(deadline, what).await;
        }
    }

    /// Applies updates until one matches `wanted`; returns it (already applied).
    async fn until_update(
        &mut self,
        what: &str,
        wanted: impl Fn(&FleetUpdate) -> bool,
    ) -> FleetUpdate {
        let deadline = Instant::now() + BOUND;
        loop {
            let update = self.apply_next(deadline, what).await;
            if wanted(&update) {
                return update;
            }
        }
    }
}

fn state_of(fleet: &Fleet, id: &ContainerId) -> Option<RunState> {
    fleet.get(id).map(|c| c.state)
}

fn is_connected(fleet: &Fleet) -> bool {
    matches!(fleet.connection, Connection::Connected { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_fleet_follows_another_client_without_relisting() {
    let fx = Fixture::new("watch-live").await;
    let endpoint = common::endpoint().await;
    let (tx, rx) = mpsc::channel(256);
    let watch = watch::spawn(endpoint, tx);
    let mut live = Live::new(rx, &fx);
    live.until("the first snapshot and a live connection", is_connected)
        .await;

    // Health checks take a few seconds to fail: start that one first, look at it later.
    let mut sick_spec = Spec::graceful();
    sick_spec.health_cmd = Some("exit 1".into());
    let sick = ContainerId(fx.run("sick", sick_spec).await);

    // Create: the fleet learns of it from the `create` event, name and labels included.
    let crash = ContainerId(fx.create("crash", Spec::sh("sleep 1; exit 3")).await);
    live.until("the created container", |f| {
        state_of(f, &crash) == Some(RunState::Created)
    })
    .await;
    let known = live.fleet.get(&crash).expect("the created container");
    assert_eq!(known.name, fx.name("crash"));
    assert_eq!(known.labels.get(RUN_LABEL), Some(&fx.run));
    assert_eq!(known.image, IMAGE);
    assert_eq!(known.exit_code, None, "it has never run");

    // Start, then die with its own exit code.
    fx.docker
        .start_container(&crash.0, None::<StartContainerOptions>)
        .await
        .expect("start the crash container");
    live.until("the crash container running", |f| {
        state_of(f, &crash) == Some(RunState::Running)
    })
    .await;
    assert!(
        live.fleet
            .get(&crash)
            .is_some_and(|c| c.started_at.is_some()),
        "a started container has a start time: {}",
        live.describe()
    );
    live.until("the crash container exited with code 3", |f| {
        f.get(&crash)
            .is_some_and(|c| c.state == RunState::Exited && c.exit_code == Some(3))
    })
    .await;
    assert!(
        live.fleet
            .get(&crash)
            .is_some_and(|c| c.finished_at.is_some()),
        "an exited container has a finish time: {}",
        live.describe()
    );

    // Health: the check fails, the fleet says unhealthy while the process still runs.
    live.until("the sick container unhealthy", |f| {
        f.get(&sick)
            .is_some_and(|c| c.state == RunState::Running && c.health == Some(Health::Unhealthy))
    })
    .await;

    // Pause and unpause.
    let pausy = ContainerId(fx.run("pausy", Spec::graceful()).await);
    live.until("the pausy container running", |f| {
        state_of(f, &pausy) == Some(RunState::Running)
    })
    .await;
    fx.docker
        .pause_container(&pausy.0)
        .await
        .expect("pause the container");
    live.until("the pausy container paused", |f| {
        state_of(f, &pausy) == Some(RunState::Paused)
    })
    .await;
    fx.docker
        .unpause_container(&pausy.0)
        .await
        .expect("unpause the container");
    live.until("the pausy container running again", |f| {
        state_of(f, &pausy) == Some(RunState::Running)
    })
    .await;

    // Destroy: gone from the fleet, the others untouched.
    fx.docker
        .remove_container(&crash.0, None::<RemoveContainerOptions>)
        .await
        .expect("remove the exited crash container");
    live.until("the crash container gone", |f| f.get(&crash).is_none())
        .await;
    let names: Vec<&str> = live.mine().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [fx.name("pausy"), fx.name("sick")],
        "only the destroyed container left the fleet"
    );

    assert!(is_connected(&live.fleet), "{}", live.describe());
    assert_eq!(
        watch.stats.list_calls(),
        1,
        "everything after the first list came from the events stream"
    );
    assert_eq!(watch.stats.connects(), 1, "the stream never broke");
    assert!(watch.stats.events_received() > 0);
}

/// Where the real daemon listens: `DOCKER_HOST` when it names a unix socket, else the default.
fn daemon_socket() -> PathBuf {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
}

/// A unix-socket proxy to the real daemon that the test can cut and bring back: a real
/// broken connection, with the real API on both sides.
struct Proxy {
    path: PathBuf,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on `path` (replacing a stale socket file) and forwards every connection.
    fn start(path: &Path) -> Self {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove the old proxy socket {}: {e}", path.display()),
        }
        let listener = UnixListener::bind(path).expect("bind the proxy socket");
        let task = tokio::spawn(serve(listener, daemon_socket()));
        Self {
            path: path.to_path_buf(),
            task: Some(task),
        }
    }

    /// Cuts every connection and stops listening: the listener and the connection tasks are
    /// dropped before this returns, and the socket file is removed.
    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Cancelled: the accept loop, its listener and its JoinSet of connections dropped.
            let _ = task.await;
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn serve(listener: UnixListener, upstream: PathBuf) {
    // Owned here, so that aborting this task aborts every connection with it.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { continue };
                let upstream = upstream.clone();
                connections.spawn(async move {
                    let Ok(mut daemon) = UnixStream::connect(&upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_stream_marks_disconnected_then_relists_and_resubscribes() {
    let fx = Fixture::new("watch-reconnect").await;
    let before = ContainerId(fx.run("before", Spec::graceful()).await);
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("proxy.sock");
    let mut proxy = Proxy::start(&socket);
    let address = format!("unix://{}", socket.display());
    let endpoint = common::endpoint_at(Some(&address)).await;
    let (tx, rx) = mpsc::channel(256);
    let watch = watch::spawn(endpoint, tx);
    let mut live = Live::new(rx, &fx);
    live.until("connected, with the running container listed", |f| {
        is_connected(f) && state_of(f, &before) == Some(RunState::Running)
    })
    .await;
    assert_eq!(watch.stats.list_calls(), 1);

    // Cut the connection: the fleet is marked disconnected and keeps what it showed.
    proxy.stop().await;
    let first = live
        .until_update("Disconnected after the proxy went away", |u| {
            matches!(
                u,
                FleetUpdate::Connection(_, Connection::Disconnected { .. })
            )
        })
        .await;
    let FleetUpdate::Connection(
        _,
        Connection::Disconnected {
            since,
            attempts,
            error,
        },
    ) = first
    else {
        panic!("expected a Disconnected update, got {first:?}");
    };
    assert_eq!(attempts, 1, "the first failure: {error}");
    assert!(!error.is_empty(), "the disconnection says why");
    assert!(
        matches!(live.fleet.connection, Connection::Disconnected { .. }),
        "{}",
        live.describe()
    );
    assert_eq!(
        state_of(&live.fleet, &before),
        Some(RunState::Running),
        "what was shown stays shown, marked disconnected"
    );

    // Meanwhile another client creates a container. The watcher keeps retrying and failing,
    // still "disconnected since" the same moment, and cannot know of it yet.
    let during = ContainerId(fx.create("during", Spec::graceful()).await);
    let retry = live
        .until_update("a second failed attempt while the proxy is down", |u| {
            matches!(
                u,
                FleetUpdate::Connection(_, Connection::Disconnected { attempts, .. }) if *attempts >= 2
            )
        })
        .await;
    let FleetUpdate::Connection(
        _,
        Connection::Disconnected {
            since: retry_since, ..
        },
    ) = retry
    else {
        panic!("expected a Disconnected update, got {retry:?}");
    };
    assert_eq!(retry_since, since, "disconnected since the first failure");
    assert!(
        live.fleet.get(&during).is_none(),
        "nothing arrives while disconnected: {}",
        live.describe()
    );
    assert_eq!(watch.stats.list_calls(), 1, "a failed list is not a list");

    // Bring the proxy back on the same path: a fresh snapshot with the new container, then
    // connected again.
    drop(proxy);
    let _proxy = Proxy::start(&socket);
    let snapshot = live
        .until_update("a fresh snapshot after reconnecting", |u| {
            matches!(u, FleetUpdate::Snapshot(..))
        })
        .await;
    let FleetUpdate::Snapshot(_, list) = snapshot else {
        panic!("expected a snapshot, got {snapshot:?}");
    };
    let ids: Vec<&ContainerId> = list.iter().map(|c| &c.id).collect();
    let unique: HashSet<&ContainerId> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "no id twice in the snapshot");
    assert!(
        list.iter()
            .any(|c| c.id == during && c.state == RunState::Created),
        "the snapshot has the container created while disconnected"
    );
    assert!(list.iter().any(|c| c.id == before));
    live.until_update("Connected again", |u| {
        matches!(u, FleetUpdate::Connection(_, Connection::Connected { .. }))
    })
    .await;
    assert_eq!(watch.stats.list_calls(), 2, "one list per connection");
    assert_eq!(watch.stats.connects(), 2);

    // Resubscribed: a change by another client arrives as an event again.
    fx.docker
        .start_container(&during.0, None::<StartContainerOptions>)
        .await
        .expect("start the container created while disconnected");
    live.until("the new container running, from the new stream", |f| {
        state_of(f, &during) == Some(RunState::Running)
    })
    .await;
    let mine: Vec<&ContainerId> = live.mine().iter().map(|c| &c.id).collect();
    // Sorted by name: "-before" comes before "-during".
    assert_eq!(
        mine,
        [&before, &during],
        "each container once: {}",
        live.describe()
    );
    let all: Vec<&ContainerId> = live.fleet.containers().map(|c| &c.id).collect();
    let all_unique: HashSet<&ContainerId> = all.iter().copied().collect();
    assert_eq!(all.len(), all_unique.len(), "no id twice in the fleet");
    assert_eq!(watch.stats.list_calls(), 2, "the event needed no list");
}
