use super::*;
use crate::app::fixture::{now, state_at};
use crate::app::{Msg, update};
use crate::config::keys::{KeyChord, KeyName};

fn open_services() -> (AppState, Vec<Effect>) {
    let mut state = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut state, SwarmPane::Services, &mut effects);
    let _ = update(
        &mut state,
        Msg::Swarm(SwarmMsg::Snapshot(Box::new(sample_snapshot(now())))),
    );
    (state, effects)
}

#[test]
fn opening_a_view_asks_the_loop_to_read_the_manager_and_esc_stops_it() {
    let (mut state, effects) = open_services();
    assert_eq!(state.base, Base::Swarm);
    assert_eq!(
        effects,
        [Effect::SwarmWatch(Some(SwarmWatch {
            pane: SwarmPane::Services,
            service: None,
            problems: false,
        }))]
    );
    let effects = update(&mut state, Msg::Key(KeyChord::plain(KeyName::Esc)));
    assert_eq!(state.base, Base::List);
    assert!(effects.contains(&Effect::SwarmWatch(None)), "{effects:?}");
}

#[test]
fn enter_on_a_service_shows_its_tasks_with_each_slots_history_folded() {
    let (mut state, _) = open_services();
    state.swarm.selected = 2; // shop_web
    let mut effects = Vec::new();
    enter(&mut state, &mut effects);
    assert_eq!(state.swarm.pane, SwarmPane::Tasks);
    assert_eq!(state.swarm.service.as_deref(), Some("s1"));
    assert_eq!(
        effects,
        [Effect::SwarmWatch(Some(SwarmWatch {
            pane: SwarmPane::Tasks,
            service: Some("s1".into()),
            problems: false,
        }))]
    );
    // The loop's next read has the tasks.
    on_msg(
        &mut state,
        SwarmMsg::Snapshot(Box::new(sample_snapshot(now()))),
    );
    let lines = state.swarm.task_lines();
    let folded: Vec<(&str, usize)> = lines
        .iter()
        .map(|l| (l.task.name.as_str(), l.older))
        .collect();
    assert_eq!(folded, [("shop_web.1", 0), ("shop_web.2", 2)]);
    let mut effects = Vec::new();
    back(&mut state, &mut effects);
    assert_eq!(state.swarm.pane, SwarmPane::Services);
    assert_eq!(state.swarm.selected, 2, "back on the service it came from");
}

#[test]
fn stacks_group_services_by_namespace_and_objects_list_names_only() {
    let (mut state, _) = open_services();
    state.swarm.pane = SwarmPane::Stacks;
    assert_eq!(
        state.swarm.stack_lines(),
        [StackLine {
            name: "shop".into(),
            services: 2,
            running: 5,
            desired: 7
        }]
    );
    state.swarm.pane = SwarmPane::Objects;
    let kinds: Vec<(&str, &str)> = state
        .swarm
        .object_lines()
        .iter()
        .map(|o| (o.kind, o.object.name.as_str()))
        .collect();
    assert_eq!(kinds, [("secret", "db_password"), ("config", "nginx_conf")]);
}

#[test]
fn container_keys_do_nothing_in_the_swarm_views() {
    let (mut state, _) = open_services();
    for c in ['s', 'u', 'x', 'r', 'e', 'C'] {
        let effects = update(&mut state, Msg::Key(KeyChord::char(c)));
        assert!(effects.is_empty(), "{c}: {effects:?}");
        assert!(state.overlay.is_none(), "{c} opened {:?}", state.overlay);
    }
}

#[test]
fn the_command_line_opens_each_view() {
    for (line, pane) in [
        ("services", SwarmPane::Services),
        ("nodes", SwarmPane::Nodes),
        ("stacks", SwarmPane::Stacks),
        ("secrets", SwarmPane::Objects),
    ] {
        let mut state = state_at(80, 24);
        let mut effects = Vec::new();
        crate::app::run_command_line(&mut state, line, &mut effects);
        assert_eq!(
            (state.base, state.swarm.pane),
            (Base::Swarm, pane),
            "{line}"
        );
        assert!(matches!(effects.as_slice(), [Effect::SwarmWatch(Some(_))]));
    }
}

#[test]
fn a_task_container_is_grouped_under_its_service_and_stopping_it_warns() {
    use crate::app::fixture::{container, select};
    use crate::app::rows::{Row, group_title};
    use crate::engine::{FleetUpdate, RunState};
    let mut state = state_at(120, 30);
    let mut task = container("web.1.abc", "img", RunState::Running);
    task.set_labels(
        [
            ("com.docker.swarm.task.id", "abc"),
            ("com.docker.swarm.service.name", "web"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let _ = update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            vec![task],
        )),
    );
    let _ = update(&mut state, Msg::Frame);
    let groups: Vec<String> = state
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Group { key, .. } => Some(group_title(key)),
            _ => None,
        })
        .collect();
    assert!(groups.contains(&"service web".to_string()), "{groups:?}");
    select(&mut state, "web.1.abc");
    let effects = update(&mut state, Msg::Key(KeyChord::char('s')));
    assert!(effects.is_empty(), "asked first: {effects:?}");
    let question = state
        .confirm
        .as_ref()
        .map(|p| p.question())
        .unwrap_or_default();
    assert!(
        question.contains(
            "web.1.abc is a task of Swarm service web: Swarm will replace it (use fleetdeck service scale|rm)"
        ),
        "{question}"
    );
}
