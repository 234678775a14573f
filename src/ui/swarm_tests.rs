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

/// A key in `state`, through `update`.
fn key(state: &mut AppState, chord: crate::config::keys::KeyChord) {
    let _ = crate::app::update(state, crate::app::Msg::Key(chord));
}

#[test]
fn help_in_the_swarm_views_lists_the_service_and_node_keys() {
    for (w, h) in [(80, 24), (100, 60)] {
        let mut state = view(w, h, SwarmPane::Services);
        key(&mut state, crate::config::keys::KeyChord::char('?'));
        snapshot("swarm_help", &state);
        if h == 60 {
            let screen = text(&state);
            for words in [
                "Keys in the Swarm view",
                "service: one replica more",
                "node: drain",
                ":services  :nodes  :stacks  :secrets",
                ":scale NAME=N",
            ] {
                assert!(screen.contains(words), "{words}: {screen}");
            }
        }
    }
}

#[test]
fn removing_a_service_and_draining_a_node_ask_first() {
    let mut state = view(80, 24, SwarmPane::Services);
    state.swarm.selected = 2;
    key(&mut state, crate::config::keys::KeyChord::char('d'));
    snapshot("swarm_confirm_remove", &state);
    let mut state = view(80, 24, SwarmPane::Nodes);
    state.swarm.selected = 1;
    key(&mut state, crate::config::keys::KeyChord::char('D'));
    snapshot("swarm_confirm_drain", &state);
}

#[test]
fn stopping_a_task_container_warns_in_the_confirm_dialog() {
    use crate::app::fixture::{container, select};
    use crate::engine::{FleetUpdate, RunState};
    let mut state = state_at(80, 24);
    let mut task = container("shop_web.1.x7k2", "shop/web:2", RunState::Running);
    task.set_labels(
        [
            ("com.docker.swarm.task.id", "x7k2"),
            ("com.docker.swarm.service.name", "shop_web"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let _ = crate::app::update(
        &mut state,
        crate::app::Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![task],
        )),
    );
    let _ = crate::app::update(&mut state, crate::app::Msg::Frame);
    select(&mut state, "shop_web.1.x7k2");
    key(&mut state, crate::config::keys::KeyChord::char('s'));
    snapshot("swarm_confirm_task_stop", &state);
}

#[test]
fn the_triage_view_shows_the_swarms_problems_with_a_next_step() {
    for (w, h) in [(80, 24), (160, 40)] {
        let mut state = state_at(w, h);
        key(&mut state, crate::config::keys::KeyChord::char('t'));
        let _ = crate::app::update(
            &mut state,
            crate::app::Msg::Swarm(SwarmMsg::Snapshot(Box::new(sample_snapshot(now())))),
        );
        let _ = crate::app::update(&mut state, crate::app::Msg::Frame);
        snapshot("triage_swarm", &state);
        if w == 160 {
            let screen = text(&state);
            assert!(screen.contains("shop_web"), "{screen}");
            assert!(screen.contains("l service logs"), "{screen}");
            assert!(screen.contains("Enter node"), "{screen}");
        }
    }
}

#[test]
fn a_services_logs_merge_its_tasks_with_a_task_at_node_column() {
    use crate::app::logs::{LogsMsg, ServiceLogMsg};
    use crate::engine::logs::LogStream;
    use crate::engine::swarm::logs::ServiceLogLine;
    let at = std::time::Instant::now();
    for (w, h) in [(80, 24), (120, 30)] {
        let mut state = view(w, h, SwarmPane::Services);
        state.swarm.selected = 2;
        key(&mut state, crate::config::keys::KeyChord::char('l'));
        let line = |s: i64, task: &str, node: &str, stream, text: &str| ServiceLogLine {
            time: crate::app::fixture::ago(60 - s),
            stream,
            task: task.into(),
            node: node.into(),
            text: text.into(),
        };
        let lines = vec![
            line(
                1,
                "shop_web.1",
                "node-1",
                LogStream::Stdout,
                "listening on :80",
            ),
            line(
                2,
                "shop_web.2",
                "node-2",
                LogStream::Stdout,
                "listening on :80",
            ),
            line(
                3,
                "shop_web.1",
                "node-1",
                LogStream::Stdout,
                "GET / 200 3ms",
            ),
            line(
                4,
                "shop_web.2",
                "node-2",
                LogStream::Stderr,
                "upstream timed out",
            ),
        ];
        for event in [
            ServiceLogMsg::Lines(lines),
            ServiceLogMsg::CaughtUp,
            ServiceLogMsg::Lines(vec![line(
                5,
                "shop_web.3",
                "node-2",
                LogStream::Stdout,
                "\u{1b}[2Jstarted\u{7}",
            )]),
        ] {
            let _ = crate::app::update(
                &mut state,
                crate::app::Msg::Logs(LogsMsg::Service { event, at }),
            );
        }
        snapshot("swarm_service_logs", &state);
        let screen = text(&state);
        assert!(screen.contains("shop_web.1@node-1"), "{screen}");
        assert!(screen.contains("shop_web.2@node-2"), "{screen}");
        assert!(screen.contains("service shop_web"), "{screen}");
    }
}
