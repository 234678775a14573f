//! The list and the help of a Podman host: the engine in the list's title and the help's
//! engine line, and a pod's containers under a `pod NAME` group after the compose projects,
//! at 80x24 and 200x50 (snapshots), drawn from the one fixture.

use super::tests::{snapshot, text};
use crate::app::fixture::{container, fleet, state_at};
use crate::app::{AppState, Msg, update};
use crate::config::keys::KeyChord;
use crate::engine::{EngineInfo, EngineKind, FleetUpdate, LOCAL_HOST, RunState};

/// The fixture's state on a Podman host with a pod `infra-pod` of two containers.
fn podman_state(width: u16, height: u16) -> AppState {
    let mut s = state_at(width, height);
    let mut list = fleet();
    for name in ["pod-app", "pod-sidecar"] {
        let mut c = container(name, "localhost/app:1", RunState::Running);
        c.pod = Some("infra-pod".into());
        list.push(c);
    }
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(LOCAL_HOST.to_string(), list)),
    );
    let engine = EngineInfo {
        kind: EngineKind::Podman,
        name: "Podman Engine".into(),
        version: "4.3.1".into(),
        api_version: "1.41".into(),
    };
    let _ = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Engine(LOCAL_HOST.to_string(), engine)),
    );
    let _ = update(&mut s, Msg::Frame);
    s
}

#[test]
fn a_podman_host_shows_its_engine_and_its_pods() {
    for (w, h) in [(80, 24), (200, 50)] {
        let s = podman_state(w, h);
        let screen = text(&s);
        assert!(screen.contains("podman 4.3.1"), "{screen}");
        assert!(screen.contains("pod infra-pod"), "{screen}");
        snapshot("podman_list", &s);
    }
}

#[test]
fn the_help_names_the_engine() {
    let mut s = podman_state(200, 50);
    let _ = update(&mut s, Msg::Key(KeyChord::char('?')));
    let _ = update(&mut s, Msg::Key(KeyChord::char('G')));
    let help = text(&s);
    assert!(
        help.contains("Engine: podman 4.3.1 (Podman Engine, host local)."),
        "{help}"
    );
}
