//! Snapshots of the Swarm views (services with one short of its replicas, a service's tasks
//! with a slot's history folded, nodes, stacks, secrets and configs, no manager), at 80x24 and
//! 160x48.

use crate::app::AppState;
use crate::app::fixture::{now, state_at};
use crate::app::swarm::{SwarmMsg, SwarmPane, on_msg, open, sample_snapshot};
use crate::ui::tests::{snapshot, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn view(width: u16, height: u16, pane: SwarmPane) -> AppState {
    let mut state = state_at(width, height);
    let mut effects = Vec::new();
    open(&mut state, pane, &mut effects);
    if pane == SwarmPane::Tasks {
        state.swarm.service = Some("s1".into());
    }
    on_msg(
        &mut state,
        SwarmMsg::Snapshot(Box::new(sample_snapshot(now()))),
    );
    state
}

#[test]
fn the_swarm_views() {
    for (w, h) in SIZES {
        for (name, pane) in [
            ("swarm_services", SwarmPane::Services),
            ("swarm_tasks", SwarmPane::Tasks),
            ("swarm_nodes", SwarmPane::Nodes),
            ("swarm_stacks", SwarmPane::Stacks),
            ("swarm_objects", SwarmPane::Objects),
        ] {
            snapshot(name, &view(w, h, pane));
        }
    }
}

#[test]
fn the_services_view_shows_name_and_replicas_as_docker_does() {
    let screen = text(&view(80, 24, SwarmPane::Services));
    assert!(screen.contains("shop_web"), "{screen}");
    assert!(screen.contains("4/6"), "{screen}");
    let objects = text(&view(80, 24, SwarmPane::Objects));
    assert!(objects.contains("db_password") && objects.contains("nginx_conf"));
}

#[test]
fn no_manager_says_so() {
    let mut state = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut state, SwarmPane::Services, &mut effects);
    on_msg(
        &mut state,
        SwarmMsg::Failed("no host is a swarm manager (local)".into()),
    );
    snapshot("swarm_no_manager", &state);
}
