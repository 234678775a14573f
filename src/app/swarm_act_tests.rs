use super::*;
use crate::app::fixture::{ch, now, press, state_at, type_text};
use crate::app::swarm::{SwarmMsg, open, sample_snapshot};
use crate::app::{AppState, Base, Effect, Msg, update};
use crate::config::keys::{KeyChord, KeyName};

/// The Services view on the sample swarm (cache 1/1, shop_db 1/1, shop_web 4/6), at `row`.
fn services_at(row: usize) -> AppState {
    let mut state = state_at(100, 30);
    let mut effects = Vec::new();
    open(&mut state, SwarmPane::Services, &mut effects);
    let _ = update(
        &mut state,
        Msg::Swarm(SwarmMsg::Snapshot(Box::new(sample_snapshot(now())))),
    );
    state.swarm.selected = row;
    state
}

fn scale(name: &str, replicas: u64) -> Effect {
    Effect::SwarmAction(SwarmRequest::Service {
        manager: "manager".into(),
        name: name.into(),
        action: ServiceAction::Scale { replicas },
    })
}

fn enter(state: &mut AppState) -> Vec<Effect> {
    press(state, KeyChord::plain(KeyName::Enter))
}

#[test]
fn a_service_is_named_in_full_by_its_short_name_or_by_id() {
    let services = sample_snapshot(now()).services;
    let name = |q: &str| resolve_service(&services, q).map(|s| s.name.clone());
    assert_eq!(name("shop_web"), Ok("shop_web".into()));
    assert_eq!(name("web"), Ok("shop_web".into()));
    assert_eq!(name("cache"), Ok("cache".into()));
    assert_eq!(name("s2"), Ok("shop_db".into()), "an id");
    assert!(name("nope").is_err_and(|e| e.contains("no service 'nope'")));
    let mut twice = services.clone();
    let mut other = twice[2].clone();
    other.name = "blog_web".into();
    other.stack = Some("blog".into());
    other.id = "s9".into();
    twice.push(other);
    let err = resolve_service(&twice, "web").expect_err("two stacks have a web");
    assert!(err.contains("ambiguous: shop_web, blog_web"), "{err}");
}

#[test]
fn scaling_by_one_counts_from_the_spec_and_stops_at_zero_and_at_global() {
    let services = sample_snapshot(now()).services;
    let web = &services[2];
    assert_eq!(
        scaled_by(web, 1),
        Ok(7),
        "6 wanted, 4 running: one more wanted"
    );
    assert_eq!(scaled_by(web, -1), Ok(5));
    let mut none = web.clone();
    none.replicas = Some(0);
    assert!(scaled_by(&none, -1).is_err());
    let mut global = web.clone();
    global.mode = "global".into();
    assert!(scaled_by(&global, 1).is_err_and(|e| e.contains("global")));
    let mut job = web.clone();
    job.mode = "replicated-job".into();
    assert!(scaled_by(&job, 1).is_err());
}

#[test]
fn scale_and_update_command_lines_parse() {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(parse_scale(&words(&["web=5"])), Ok(("web".into(), 5)));
    assert_eq!(parse_scale(&words(&["web", "6"])), Ok(("web".into(), 6)));
    assert!(parse_scale(&words(&["web=lots"])).is_err());
    assert!(parse_scale(&words(&["=3"])).is_err());
    assert!(parse_scale(&words(&[])).is_err());
    assert_eq!(
        parse_update(&words(&["web", "shop/web:3"])),
        Ok(("web".into(), "shop/web:3".into()))
    );
    assert!(parse_update(&words(&["web"])).is_err());
}

#[test]
fn plus_and_minus_scale_the_selected_service_and_count_from_what_was_asked() {
    let mut state = services_at(0); // cache 1/1
    assert_eq!(press(&mut state, ch('+')), [scale("cache", 2)]);
    assert_eq!(
        state.status.as_ref().map(|s| s.text.as_str()),
        Some("scale cache to 2 …")
    );
    // Before the manager's next read, a second `+` builds on the first.
    assert_eq!(press(&mut state, ch('+')), [scale("cache", 3)]);
    assert_eq!(press(&mut state, ch('-')), [scale("cache", 2)]);
    // The answer shows in the status line.
    let request = SwarmRequest::Service {
        manager: "manager".into(),
        name: "cache".into(),
        action: ServiceAction::Scale { replicas: 2 },
    };
    let _ = update(
        &mut state,
        Msg::Swarm(SwarmMsg::Done(SwarmDone {
            request,
            result: Ok("scaled"),
            warnings: Vec::new(),
            audit_error: None,
        })),
    );
    let status = state.status.clone().expect("a status");
    assert_eq!(status.text, "scale cache to 2: scaled");
    assert!(!status.is_error);
    // The manager's read shows it: the next `+` counts from the manager again.
    let mut read = sample_snapshot(now());
    read.services[0].replicas = Some(2);
    let _ = update(&mut state, Msg::Swarm(SwarmMsg::Snapshot(Box::new(read))));
    assert!(state.swarm.asked.is_empty());
    assert_eq!(press(&mut state, ch('+')), [scale("cache", 3)]);
    // A refused ask is forgotten: the manager's count stands.
    let refused = SwarmDone {
        request: SwarmRequest::Service {
            manager: "manager".into(),
            name: "cache".into(),
            action: ServiceAction::Scale { replicas: 3 },
        },
        result: Err("the manager said no".into()),
        warnings: Vec::new(),
        audit_error: None,
    };
    let _ = update(&mut state, Msg::Swarm(SwarmMsg::Done(refused)));
    assert!(state.status.as_ref().is_some_and(|s| s.is_error));
    assert_eq!(press(&mut state, ch('+')), [scale("cache", 3)]);
}

#[test]
fn the_scale_command_names_a_service_by_its_short_name() {
    let mut state = services_at(0);
    let _ = press(&mut state, ch(':'));
    type_text(&mut state, "scale web=6");
    let effects = enter(&mut state);
    assert_eq!(effects, [scale("shop_web", 6)]);
    let _ = press(&mut state, ch(':'));
    type_text(&mut state, "scale nothing=2");
    assert!(enter(&mut state).is_empty());
    assert!(
        state
            .status
            .as_ref()
            .is_some_and(|s| s.is_error && s.text.contains("no service 'nothing'")),
        "{:?}",
        state.status
    );
}

#[test]
fn update_asks_for_the_image_on_the_command_line() {
    let mut state = services_at(2);
    let _ = press(&mut state, ch('U'));
    assert_eq!(state.overlay, Some(crate::app::Overlay::Command));
    assert_eq!(state.input, "update shop_web shop/web:2");
    for _ in 0..":2".len() {
        let _ = press(&mut state, KeyChord::plain(KeyName::Backspace));
    }
    type_text(&mut state, ":3");
    let effects = enter(&mut state);
    assert_eq!(
        effects,
        [Effect::SwarmAction(SwarmRequest::Service {
            manager: "manager".into(),
            name: "shop_web".into(),
            action: ServiceAction::UpdateImage {
                image: "shop/web:3".into()
            },
        })]
    );
}

#[test]
fn restart_and_rollback_go_at_once_remove_asks_first() {
    let mut state = services_at(2);
    let service = |action| {
        Effect::SwarmAction(SwarmRequest::Service {
            manager: "manager".into(),
            name: "shop_web".into(),
            action,
        })
    };
    assert_eq!(
        press(&mut state, ch('R')),
        [service(ServiceAction::ForceRestart)]
    );
    assert_eq!(
        press(&mut state, ch('b')),
        [service(ServiceAction::Rollback)]
    );
    assert!(press(&mut state, ch('d')).is_empty(), "asked first");
    assert_eq!(state.overlay, Some(crate::app::Overlay::Confirm));
    let (question, destructive) = question(&state).expect("a question");
    assert_eq!(question, "remove service shop_web and every task of it");
    assert!(destructive);
    assert_eq!(press(&mut state, ch('y')), [service(ServiceAction::Remove)]);
    // No: nothing sent, said so.
    let _ = press(&mut state, ch('d'));
    assert!(press(&mut state, ch('n')).is_empty());
    assert!(state.swarm.pending.is_none());
    assert!(
        state
            .status
            .as_ref()
            .is_some_and(|s| s.text.starts_with("cancelled: remove service shop_web")),
        "{:?}",
        state.status
    );
}

#[test]
fn node_keys_act_on_the_selected_node_and_drain_and_demote_ask_first() {
    let mut state = services_at(0);
    assert!(press(&mut state, ch('p')).is_empty(), "no node in Services");
    let mut effects = Vec::new();
    open(&mut state, SwarmPane::Nodes, &mut effects);
    state.swarm.selected = 1; // node-2
    let node = |action| {
        Effect::SwarmAction(SwarmRequest::Node {
            manager: "manager".into(),
            name: "node-2".into(),
            action,
        })
    };
    let avail = |availability| NodeAction::Availability { availability };
    assert_eq!(
        press(&mut state, ch('p')),
        [node(avail(Availability::Pause))]
    );
    assert_eq!(
        press(&mut state, ch('a')),
        [node(avail(Availability::Active))]
    );
    assert_eq!(press(&mut state, ch('>')), [node(NodeAction::Promote)]);
    assert!(press(&mut state, ch('D')).is_empty());
    assert_eq!(
        question(&state).map(|q| q.0),
        Some("drain node node-2: its tasks move to the other nodes".into())
    );
    assert_eq!(
        press(&mut state, ch('y')),
        [node(avail(Availability::Drain))]
    );
    assert!(press(&mut state, ch('<')).is_empty());
    assert_eq!(press(&mut state, ch('y')), [node(NodeAction::Demote)]);
}

#[test]
fn read_only_refuses_every_swarm_action() {
    let mut state = services_at(0);
    state.settings.read_only = true;
    for key in ['+', '-', 'U', 'R', 'b', 'd'] {
        assert!(press(&mut state, ch(key)).is_empty(), "{key}");
        assert!(state.overlay.is_none(), "{key}: {:?}", state.overlay);
        let status = state.status.clone().expect("said why");
        assert!(
            status.is_error && status.text.starts_with("read-only"),
            "{key}: {status:?}"
        );
    }
    let _ = press(&mut state, ch(':'));
    type_text(&mut state, "scale web=6");
    assert!(enter(&mut state).is_empty());
}

#[test]
fn l_opens_the_services_logs_and_esc_goes_back_to_the_view() {
    let mut state = services_at(2);
    let effects = press(&mut state, ch('l'));
    assert_eq!(state.base, Base::Logs);
    let service = Box::new(sample_snapshot(now()).services[2].clone());
    assert!(
        effects.contains(&Effect::OpenServiceLogs {
            manager: "manager".into(),
            service,
        }),
        "{effects:?}"
    );
    // The view's reads stop while the logs are shown, and start again after.
    assert!(effects.contains(&Effect::SwarmWatch(None)), "{effects:?}");
    let effects = press(&mut state, KeyChord::plain(KeyName::Esc));
    assert_eq!(state.base, Base::Swarm);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SwarmWatch(Some(_)))),
        "{effects:?}"
    );
}

#[test]
fn the_triage_view_reads_the_swarm_and_shows_its_problems_beside_the_containers() {
    let mut state = state_at(120, 30);
    let effects = press(&mut state, ch('t'));
    assert_eq!(state.base, Base::Triage);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::SwarmWatch(Some(w)) if w.problems
        )),
        "{effects:?}"
    );
    let _ = update(
        &mut state,
        Msg::Swarm(SwarmMsg::Snapshot(Box::new(sample_snapshot(now())))),
    );
    let _ = update(&mut state, Msg::Frame);
    let rows: Vec<(&str, crate::triage::ProblemKind)> = state
        .triage
        .problems
        .iter()
        .filter(|p| crate::app::triage::is_swarm(p.kind))
        .map(|p| (p.subject.as_str(), p.kind))
        .collect();
    use crate::triage::ProblemKind as K;
    assert!(rows.contains(&("shop_web", K::ServiceDegraded)), "{rows:?}");
    assert!(rows.contains(&("node-2", K::NodeUnavailable)), "{rows:?}");
    // `l` on the service's row opens its logs; Enter on the node's row the Nodes view.
    let web = state
        .triage
        .problems
        .iter()
        .position(|p| p.subject == "shop_web" && p.kind == K::ServiceDegraded)
        .expect("the row");
    state.triage.selected = web;
    let effects = press(&mut state, ch('l'));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::OpenServiceLogs { service, .. } if service.name == "shop_web")
        ),
        "{effects:?}"
    );
    let _ = press(&mut state, KeyChord::plain(KeyName::Esc));
    assert_eq!(state.base, Base::Triage);
    let _ = update(&mut state, Msg::Frame);
    let node = state
        .triage
        .problems
        .iter()
        .position(|p| p.subject == "node-2")
        .expect("the node's row");
    state.triage.selected = node;
    let _ = enter(&mut state);
    assert_eq!(
        (state.base, state.swarm.pane, state.swarm.selected),
        (Base::Swarm, SwarmPane::Nodes, 1)
    );
    // Leaving the triage view, its Swarm rows go.
    let _ = press(&mut state, KeyChord::plain(KeyName::Esc));
    let _ = update(&mut state, Msg::Tick(now()));
    assert!(
        !state
            .triage
            .problems
            .iter()
            .any(|p| crate::app::triage::is_swarm(p.kind))
    );
}
