//! The fleet reducer: a map of containers kept current by applying daemon events, plus the
//! connection state. Pure: no I/O, so it is tested by feeding recorded events.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{EventMessage, EventMessageTypeEnum};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::kind::EngineInfo;
use super::model::{Container, ContainerId, Health, RunState, clean_name, time_from_nanos};

/// What happened to a container, as the events stream says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum EventAction {
    Create,
    Start,
    /// The process ended; the exit code when the event carried one.
    Die(Option<i64>),
    /// A signal was sent (by `kill`, or by `stop` on its way to SIGKILL).
    Kill(Option<String>),
    Oom,
    HealthStatus(Option<Health>),
    Pause,
    Unpause,
    /// Renamed; the new name.
    Rename(String),
    Destroy,
    Stop,
    Restart,
    /// Anything else (exec, attach, resize, ...): passed on, changes nothing here.
    Other(String),
}

/// A container event, parsed from the daemon's `EventMessage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerEvent {
    /// The short name of the host the event came from.
    pub host: String,
    pub id: ContainerId,
    pub name: Option<String>,
    pub image: Option<String>,
    pub action: EventAction,
    pub time: Option<DateTime<Utc>>,
    /// The pod the container is in (Podman): its id as the event says it (`podId`), its name
    /// once the watcher has looked it up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The actor's attributes: the container's labels plus `name`, `image` and the like.
    #[serde(skip)]
    pub attributes: HashMap<String, String>,
}

/// Attribute keys Docker adds to an event's actor that are not labels, and those Podman adds
/// (`containerExitCode` on every event, `podId`, `health_status`).
const NON_LABEL_ATTRIBUTES: &[&str] = &[
    "name",
    "image",
    "exitCode",
    "signal",
    "oldName",
    "execID",
    "height",
    "width",
    "containerExitCode",
    "podId",
    "health_status",
];

impl ContainerEvent {
    /// Parses a daemon event. Returns `None` for events that are not about a container.
    pub fn from_message(message: &EventMessage) -> Option<Self> {
        if let Some(typ) = message.typ
            && typ != EventMessageTypeEnum::CONTAINER
        {
            return None;
        }
        let actor = message.actor.as_ref()?;
        let id = ContainerId(actor.id.clone()?);
        let attributes = actor.attributes.clone().unwrap_or_default();
        let raw = message.action.as_deref()?;
        let (word, arg) = match raw.split_once(':') {
            Some((word, arg)) => (word.trim(), Some(arg.trim())),
            None => (raw.trim(), None),
        };
        let action = match word {
            "create" => EventAction::Create,
            "start" => EventAction::Start,
            "die" => EventAction::Die(attributes.get("exitCode").and_then(|c| c.parse().ok())),
            "kill" => EventAction::Kill(attributes.get("signal").cloned()),
            "oom" => EventAction::Oom,
            // Docker: `health_status: unhealthy`. Podman sends a bare `health_status` (the
            // status in a field of its own, read before the check's result is stored): `None`,
            // and the inspect the event queues tells the status.
            "health_status" => EventAction::HealthStatus(
                arg.or(attributes.get("health_status").map(String::as_str))
                    .and_then(Health::parse),
            ),
            "pause" => EventAction::Pause,
            "unpause" => EventAction::Unpause,
            "rename" => EventAction::Rename(attributes.get("name").map(|n| clean_name(n))?),
            // Podman's Docker-compatible events say `remove` where Docker says `destroy`.
            "destroy" | "remove" => EventAction::Destroy,
            "stop" => EventAction::Stop,
            "restart" => EventAction::Restart,
            other => EventAction::Other(other.to_string()),
        };
        let time = message
            .time_nano
            .and_then(time_from_nanos)
            .or_else(|| message.time.and_then(|s| DateTime::from_timestamp(s, 0)));
        Some(Self {
            host: super::model::LOCAL_HOST.to_string(),
            id,
            name: attributes.get("name").map(|n| clean_name(n)),
            image: attributes.get("image").cloned(),
            action,
            time,
            pod: attributes.get("podId").filter(|p| !p.is_empty()).cloned(),
            attributes,
        })
    }

    /// The container's labels, as the event's attributes carry them.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.attributes
            .iter()
            .filter(|(k, _)| !NON_LABEL_ATTRIBUTES.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Whether the engine currently has a live events stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Connection {
    /// Not yet connected.
    Connecting,
    Connected {
        since: DateTime<Utc>,
    },
    /// The stream broke or could not be opened: what is shown is as of `since`.
    Disconnected {
        since: DateTime<Utc>,
        attempts: u32,
        error: String,
    },
}

/// What the engine sends to whoever keeps a fleet.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetUpdate {
    /// A fresh list of every container of one host (named first): replaces that host's part
    /// of the fleet (sent on connect and reconnect).
    Snapshot(String, Vec<Container>),
    /// One host's running containers, listed before the full list on the first connect (a
    /// filtered list call is many times faster on a big fleet): added to the fleet, which
    /// stays [`Fleet::listing`] until the [`FleetUpdate::Snapshot`] that follows.
    Running(String, Vec<Container>),
    /// One event from the stream.
    Event(ContainerEvent),
    /// Which engine one host is (read at connect, before its snapshot).
    Engine(String, EngineInfo),
    /// Details from an inspect made after an event (restart count, ports, command, ...).
    Refreshed(Box<Container>),
    /// The connection to one host changed.
    Connection(String, Connection),
    /// An image, volume or network changed (the host views reread); the fleet is unchanged.
    Object(super::objects::ObjectEvent),
}

/// The fleet: every container one daemon knows, and whether we are connected to it.
#[derive(Debug, Clone)]
pub struct Fleet {
    containers: HashMap<ContainerId, Container>,
    /// The connection of the one host, or of several taken together (see
    /// [`Fleet::connections`] for each).
    pub connection: Connection,
    /// Each host's connection, by the host's short name.
    pub connections: BTreeMap<String, Connection>,
    /// Each host's engine, once it said which it is.
    pub engines: BTreeMap<String, EngineInfo>,
    /// The first host named (the console's compose project is applied there).
    pub primary: Option<String>,
    /// The hosts whose full list is still to come.
    listing_hosts: std::collections::BTreeSet<String>,
    /// Bumped on every change, so a consumer can tell whether to redraw.
    pub generation: u64,
    /// Whether only part of the fleet is in (the running containers), the full list to come.
    pub listing: bool,
    /// Whether a full list ([`FleetUpdate::Snapshot`]) has come in.
    snapshot_seen: bool,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            containers: HashMap::new(),
            connection: Connection::Connecting,
            connections: BTreeMap::new(),
            engines: BTreeMap::new(),
            primary: None,
            listing_hosts: std::collections::BTreeSet::new(),
            generation: 0,
            listing: false,
            snapshot_seen: false,
        }
    }
}

impl Fleet {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fleet that expects these hosts, each connecting.
    pub fn with_hosts<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut fleet = Self::default();
        for host in hosts {
            fleet.primary.get_or_insert_with(|| host.to_string());
            fleet
                .connections
                .insert(host.to_string(), Connection::Connecting);
        }
        fleet
    }

    /// Whether more than one host is in the fleet.
    pub fn several_hosts(&self) -> bool {
        self.connections.len() > 1
    }

    /// The connection of all hosts taken together: the one host's; with several, connected
    /// when every host is, else disconnected when no host is connected and one is
    /// disconnected, else connecting (each host's own is in [`Fleet::connections`]).
    fn overall(&self) -> Connection {
        let mut states = self.connections.values();
        let Some(first) = states.next() else {
            return Connection::Connecting;
        };
        if self.connections.len() == 1 {
            return first.clone();
        }
        let all = || self.connections.values();
        if let Some(since) = all()
            .map(|c| match c {
                Connection::Connected { since } => Some(*since),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .and_then(|s| s.into_iter().min())
        {
            return Connection::Connected { since };
        }
        let none_up = !all().any(|c| matches!(c, Connection::Connected { .. }));
        match all().find(|c| matches!(c, Connection::Disconnected { .. })) {
            Some(down) if none_up => down.clone(),
            Some(_) => all()
                .find(|c| matches!(c, Connection::Connected { .. }))
                .cloned()
                .unwrap_or(Connection::Connecting),
            None => Connection::Connecting,
        }
    }

    pub fn get(&self, id: &ContainerId) -> Option<&Container> {
        self.containers.get(id)
    }

    pub fn len(&self) -> usize {
        self.containers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
    }

    /// Every container, in no particular order.
    pub fn containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.values()
    }

    /// Every container, sorted by name.
    pub fn sorted(&self) -> Vec<&Container> {
        let mut all: Vec<&Container> = self.containers.values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Whether the full list is in: a snapshot came and no host's full list is still to come.
    /// Before that, what the fleet lacks may yet exist (a plan from it would create it again).
    pub fn is_listed(&self) -> bool {
        self.snapshot_seen && !self.listing
    }

    /// Applies one update. Returns whether anything changed.
    pub fn apply(&mut self, update: FleetUpdate) -> bool {
        let changed = match update {
            FleetUpdate::Snapshot(host, list) => {
                if self.connections.len() <= 1 && self.connections.keys().all(|h| *h == host) {
                    self.containers = list.into_iter().map(|c| (c.id.clone(), c)).collect();
                } else {
                    self.containers.retain(|_, c| c.host != host);
                    self.containers
                        .extend(list.into_iter().map(|c| (c.id.clone(), c)));
                }
                self.connections
                    .entry(host.clone())
                    .or_insert(Connection::Connecting);
                self.listing_hosts.remove(&host);
                self.listing = !self.listing_hosts.is_empty();
                self.snapshot_seen = true;
                true
            }
            FleetUpdate::Running(host, list) => {
                self.containers
                    .extend(list.into_iter().map(|c| (c.id.clone(), c)));
                self.listing_hosts.insert(host);
                self.listing = true;
                true
            }
            FleetUpdate::Event(event) => self.apply_event(&event),
            FleetUpdate::Engine(host, engine) => {
                self.engines.get(&host) != Some(&engine) && {
                    self.engines.insert(host, engine);
                    true
                }
            }
            FleetUpdate::Refreshed(fresh) => self.apply_refresh(*fresh),
            FleetUpdate::Connection(host, connection) => {
                let changed = self.connections.get(&host) != Some(&connection);
                self.connections.insert(host, connection);
                self.connection = self.overall();
                changed
            }
            FleetUpdate::Object(_) => false,
        };
        if changed {
            self.generation += 1;
        }
        changed
    }

    /// Applies one event. Replaying an event already reflected converges to the same state.
    pub fn apply_event(&mut self, event: &ContainerEvent) -> bool {
        if event.action == EventAction::Destroy {
            return self.containers.remove(&event.id).is_some();
        }
        if let EventAction::Other(_) = event.action {
            return false;
        }
        let container = self.containers.entry(event.id.clone()).or_insert_with(|| {
            let mut fresh =
                Container::new(event.id.clone(), event.name.clone().unwrap_or_default());
            fresh.host.clone_from(&event.host);
            fresh.set_labels(event.labels());
            fresh.created = event.time;
            fresh
        });
        if let Some(image) = &event.image
            && container.image.is_empty()
        {
            container.image.clone_from(image);
        }
        if let Some(pod) = &event.pod {
            container.pod = Some(pod.clone());
        }
        match &event.action {
            EventAction::Create => {}
            EventAction::Start => {
                container.state = RunState::Running;
                container.started_at = event.time;
                container.oom_killed = false;
                container.last_signal = None;
                if container.health.is_some() {
                    container.health = Some(Health::Starting);
                }
            }
            EventAction::Die(code) => {
                container.state = RunState::Exited;
                container.exit_code = *code;
                container.finished_at = event.time;
            }
            EventAction::Kill(signal) => container.last_signal.clone_from(signal),
            EventAction::Oom => container.oom_killed = true,
            EventAction::HealthStatus(health) => container.health = *health,
            EventAction::Pause => container.state = RunState::Paused,
            EventAction::Unpause => container.state = RunState::Running,
            EventAction::Rename(name) => container.name.clone_from(name),
            EventAction::Stop | EventAction::Restart => {}
            EventAction::Destroy | EventAction::Other(_) => {}
        }
        true
    }

    /// Merges an inspect's details. The run state is left to events (an inspect can be older
    /// than the last event by the time it arrives).
    fn apply_refresh(&mut self, fresh: Container) -> bool {
        match self.containers.get_mut(&fresh.id) {
            // Only snapshots and events add containers: an inspect that lands after a destroy
            // must not bring the container back.
            None => false,
            Some(known) => {
                let before = known.clone();
                known.name = fresh.name;
                known.image = fresh.image;
                known.command = fresh.command;
                known.restart_count = fresh.restart_count;
                known.oom_killed |= fresh.oom_killed;
                known.created = fresh.created.or(known.created);
                known.labels = fresh.labels;
                known.compose_project = fresh.compose_project;
                known.compose_service = fresh.compose_service;
                known.ports = fresh.ports;
                known.memory_limit = fresh.memory_limit;
                known.last_health_output = fresh.last_health_output;
                known.health_failing_streak = fresh.health_failing_streak;
                if known.started_at.is_none() {
                    known.started_at = fresh.started_at;
                }
                if known.finished_at.is_none() {
                    known.finished_at = fresh.finished_at;
                }
                if known.exit_code.is_none() {
                    known.exit_code = fresh.exit_code;
                }
                if known.health.is_none() {
                    known.health = fresh.health;
                }
                *known != before
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    pub(crate) fn message(
        id: &str,
        action: &str,
        attrs: &[(&str, &str)],
        nanos: i64,
    ) -> EventMessage {
        EventMessage {
            typ: Some(EventMessageTypeEnum::CONTAINER),
            action: Some(action.to_string()),
            actor: Some(EventActor {
                id: Some(id.to_string()),
                attributes: Some(
                    attrs
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }),
            scope: None,
            time: Some(nanos / 1_000_000_000),
            time_nano: Some(nanos),
        }
    }

    fn apply(fleet: &mut Fleet, msg: EventMessage) -> bool {
        let event = ContainerEvent::from_message(&msg).expect("a container event");
        fleet.apply(FleetUpdate::Event(event))
    }

    #[test]
    fn recorded_json_event_parses() {
        // As the 20.10 daemon sends it on /events.
        let json = r#"{"status":"die","id":"aaa","from":"fleetdeck-test","Type":"container","Action":"die","Actor":{"ID":"aaa","Attributes":{"exitCode":"143","image":"fleetdeck-test","name":"web-1","com.docker.compose.project":"shop"}},"scope":"local","time":1714557600,"timeNano":1714557600123456789}"#;
        let msg: EventMessage = serde_json::from_str(json).expect("valid event json");
        let event = ContainerEvent::from_message(&msg).expect("container event");
        assert_eq!(event.action, EventAction::Die(Some(143)));
        assert_eq!(event.name.as_deref(), Some("web-1"));
        let labels = event.labels();
        assert_eq!(labels.len(), 1);
        assert_eq!(
            labels.get("com.docker.compose.project").map(String::as_str),
            Some("shop")
        );
    }

    #[test]
    fn lifecycle_follows_events() {
        let mut fleet = Fleet::new();
        let attrs = [
            ("name", "web-1"),
            ("image", "img"),
            ("com.docker.compose.project", "shop"),
        ];
        assert!(apply(&mut fleet, message("aaa", "create", &attrs, 1)));
        let id = ContainerId("aaa".into());
        let c = fleet.get(&id).expect("created");
        assert_eq!(c.state, RunState::Created);
        assert_eq!(c.compose_project.as_deref(), Some("shop"));
        apply(&mut fleet, message("aaa", "start", &attrs, 2));
        assert_eq!(fleet.get(&id).map(|c| c.state), Some(RunState::Running));
        apply(
            &mut fleet,
            message("aaa", "health_status: unhealthy", &attrs, 3),
        );
        assert_eq!(
            fleet.get(&id).and_then(|c| c.health),
            Some(Health::Unhealthy)
        );
        apply(&mut fleet, message("aaa", "pause", &attrs, 4));
        assert_eq!(fleet.get(&id).map(|c| c.state), Some(RunState::Paused));
        apply(&mut fleet, message("aaa", "unpause", &attrs, 5));
        apply(&mut fleet, message("aaa", "kill", &[("signal", "9")], 6));
        apply(&mut fleet, message("aaa", "oom", &attrs, 7));
        apply(&mut fleet, message("aaa", "die", &[("exitCode", "137")], 8));
        let c = fleet.get(&id).expect("still there");
        assert_eq!(c.state, RunState::Exited);
        assert_eq!(c.exit_code, Some(137));
        assert!(c.oom_killed);
        assert_eq!(c.last_signal.as_deref(), Some("9"));
        apply(
            &mut fleet,
            message(
                "aaa",
                "rename",
                &[("name", "/web-2"), ("oldName", "/web-1")],
                9,
            ),
        );
        assert_eq!(fleet.get(&id).map(|c| c.name.as_str()), Some("web-2"));
        assert!(apply(&mut fleet, message("aaa", "destroy", &attrs, 10)));
        assert!(fleet.is_empty());
        // Destroy of something unknown changes nothing.
        assert!(!apply(&mut fleet, message("aaa", "destroy", &attrs, 11)));
    }

    #[test]
    fn exec_events_change_nothing() {
        let mut fleet = Fleet::new();
        assert!(!apply(
            &mut fleet,
            message("aaa", "exec_start: sh -c true", &[], 1)
        ));
        assert!(fleet.is_empty());
    }

    #[test]
    fn non_container_events_are_ignored() {
        let mut msg = message("net", "connect", &[], 1);
        msg.typ = Some(EventMessageTypeEnum::NETWORK);
        assert_eq!(ContainerEvent::from_message(&msg), None);
    }

    #[test]
    fn replay_after_snapshot_converges() {
        let mut fleet = Fleet::new();
        let mut c = Container::new(ContainerId("aaa".into()), "web-1".into());
        c.state = RunState::Exited;
        c.exit_code = Some(3);
        fleet.apply(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![c],
        ));
        // Events from just before the snapshot replayed after it: end state is the same.
        apply(&mut fleet, message("aaa", "start", &[], 1));
        apply(&mut fleet, message("aaa", "die", &[("exitCode", "3")], 2));
        let got = fleet.get(&ContainerId("aaa".into())).expect("present");
        assert_eq!((got.state, got.exit_code), (RunState::Exited, Some(3)));
        assert_eq!(fleet.len(), 1);
    }
}

#[cfg(test)]
#[path = "fleet_podman_tests.rs"]
mod podman_tests;
