//! The fleet fed events as Podman 4.3's Docker-compatible `/events` sends them (recorded):
//! `remove` for a removal, a bare `health_status`, `podId` and `containerExitCode` on every
//! event, and `init`, `cleanup`, `exec_died` besides Docker's words.

use super::*;

/// A recorded Podman event with `action` and `attributes` (besides name and image).
fn podman(action: &str, extra: &str) -> ContainerEvent {
    let json = format!(
        r#"{{"status":"{action}","id":"74b6df1dc9e1","from":"localhost/fleetdeck-test-busybox:latest","Type":"container","Action":"{action}","Actor":{{"ID":"74b6df1dc9e1","Attributes":{{"containerExitCode":"0","image":"localhost/fleetdeck-test-busybox:latest","name":"t1","podId":"","x":"y"{extra}}}}},"scope":"local","time":1796547147,"timeNano":1796547147449300341}}"#
    );
    let message: EventMessage = serde_json::from_str(&json).expect("a podman event");
    ContainerEvent::from_message(&message).expect("a container event")
}

#[test]
fn podmans_remove_is_a_destroy_and_its_attributes_are_not_labels() {
    let created = podman("create", "");
    assert_eq!(created.action, EventAction::Create);
    assert_eq!(created.pod, None, "an empty podId is no pod");
    let labels = created.labels();
    assert_eq!(
        labels.len(),
        1,
        "only the container's own label: {labels:?}"
    );
    assert_eq!(labels.get("x").map(String::as_str), Some("y"));
    let mut fleet = Fleet::new();
    assert!(fleet.apply(FleetUpdate::Event(created)));
    assert!(fleet.apply(FleetUpdate::Event(podman("start", ""))));
    // Podman's die carries exitCode (and containerExitCode).
    let die = podman("die", r#","exitCode":"143""#);
    assert_eq!(die.action, EventAction::Die(Some(143)));
    fleet.apply(FleetUpdate::Event(die));
    // Podman's own words change nothing.
    for word in ["init", "cleanup", "exec_died", "sync", "mount"] {
        assert!(!fleet.apply(FleetUpdate::Event(podman(word, ""))), "{word}");
    }
    let id = ContainerId("74b6df1dc9e1".into());
    assert_eq!(fleet.get(&id).map(|c| c.exit_code), Some(Some(143)));
    assert_eq!(podman("remove", "").action, EventAction::Destroy);
    assert!(fleet.apply(FleetUpdate::Event(podman("remove", ""))));
    assert!(
        fleet.get(&id).is_none(),
        "a removed container leaves the fleet"
    );
}

#[test]
fn a_bare_health_status_leaves_the_status_to_the_inspect() {
    // Podman: no `: unhealthy` after the word (the status, read before the check's result was
    // stored, comes in a field bollard does not read).
    assert_eq!(
        podman("health_status", "").action,
        EventAction::HealthStatus(None)
    );
    // Should it come as an attribute, it is read.
    assert_eq!(
        podman("health_status", r#","health_status":"unhealthy""#).action,
        EventAction::HealthStatus(Some(Health::Unhealthy))
    );
}

#[test]
fn a_pod_comes_with_the_event_and_sticks() {
    let event = podman("create", r#","podId":"5a24a52d6791""#);
    assert_eq!(event.pod.as_deref(), Some("5a24a52d6791"));
    let mut fleet = Fleet::new();
    let mut named = event.clone();
    named.pod = Some("shop".into());
    fleet.apply(FleetUpdate::Event(named));
    let id = ContainerId("74b6df1dc9e1".into());
    assert_eq!(
        fleet.get(&id).and_then(|c| c.pod.clone()).as_deref(),
        Some("shop")
    );
    // An inspect (Podman's compatible one says no pod) leaves it.
    let fresh = Container::new(id.clone(), "t1".into());
    fleet.apply(FleetUpdate::Refreshed(Box::new(fresh)));
    assert_eq!(
        fleet.get(&id).and_then(|c| c.pod.clone()).as_deref(),
        Some("shop")
    );
}

#[test]
fn a_hosts_engine_is_kept_once() {
    let mut fleet = Fleet::new();
    let info = crate::engine::EngineInfo {
        kind: crate::engine::EngineKind::Podman,
        name: "Podman Engine".into(),
        version: "4.3.1".into(),
        api_version: "1.41".into(),
    };
    assert!(fleet.apply(FleetUpdate::Engine("local".into(), info.clone())));
    assert!(!fleet.apply(FleetUpdate::Engine("local".into(), info)));
    assert!(fleet.engines["local"].is_podman());
}
