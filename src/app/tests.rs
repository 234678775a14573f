//! `update()` tables: key in mode → effect (every default binding), the confirm flow, the
//! filter, sort, marks, outcomes in the status line, ticks that draw nothing. The fixed fleet
//! they run on is in [`super::fixture`].

use std::time::Duration;

use super::fixture::{ago, container, fleet, now, select, state, state_at};
use super::keymap::KeyMode;
use super::keymap::Keymap;
use super::rows::{Row, Sort};
use super::*;
use crate::actions::{Action, Outcome, Target};
use crate::config::Column;
use crate::config::keys::{KeyChord, KeyName};
use crate::engine::exit::{ExitContext, read_exit};
use crate::engine::stats::StatsSample;
use crate::engine::{ContainerEvent, ContainerId, EventAction, FleetUpdate, RunState};

fn id_of(state: &AppState, name: &str) -> ContainerId {
    state
        .fleet
        .containers()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .unwrap_or_else(|| panic!("no {name}"))
}

fn target(state: &AppState, name: &str) -> Target {
    Target {
        id: id_of(state, name),
        name: name.into(),
    }
}

fn key(state: &mut AppState, k: KeyChord) -> Vec<Effect> {
    update(state, Msg::Key(k))
}

fn ch(c: char) -> KeyChord {
    KeyChord::char(c)
}

fn plain(k: KeyName) -> KeyChord {
    KeyChord::plain(k)
}

/// Only the effects that are not stats bookkeeping.
fn acts(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::WatchStats(_)))
        .collect()
}

fn selected_name(state: &AppState) -> String {
    state
        .selected_container()
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

#[test]
fn rows_are_grouped_by_project_then_the_rest() {
    let state = state();
    let names: Vec<String> = state
        .rows
        .iter()
        .map(|r| match r {
            Row::Group { key, count, .. } => format!("[{} {count}]", key.as_deref().unwrap_or("-")),
            Row::Container(id) => state
                .fleet
                .get(id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            Row::Missing(name) => format!("({name})"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "[shop 3]",
            "shop-db-1",
            "shop-web-1",
            "shop-worker-1",
            "[- 4]",
            "api",
            "batch-job",
            "cache",
            "old-1"
        ]
    );
}

#[test]
fn each_default_action_key_in_the_list_gives_its_effect() {
    let stop = Action::Stop { timeout_s: 10 };
    let table: Vec<(KeyChord, &str, Vec<Effect>)> = vec![
        (
            ch('u'),
            "api",
            vec![Effect::RunAction {
                action: Action::Start,
                targets: vec![],
            }],
        ),
        (
            ch('s'),
            "shop-web-1",
            vec![Effect::RunAction {
                action: stop,
                targets: vec![],
            }],
        ),
        (
            ch('r'),
            "shop-web-1",
            vec![Effect::RunAction {
                action: Action::Restart { timeout_s: 10 },
                targets: vec![],
            }],
        ),
        (
            ch('p'),
            "shop-web-1",
            vec![Effect::RunAction {
                action: Action::Pause,
                targets: vec![],
            }],
        ),
        (
            ch('p'),
            "cache",
            vec![Effect::RunAction {
                action: Action::Unpause,
                targets: vec![],
            }],
        ),
        (ch('l'), "api", vec![Effect::OpenLogs(vec![])]),
        (ch('q'), "api", vec![Effect::Quit]),
        (KeyChord::ctrl('c'), "api", vec![Effect::Quit]),
    ];
    for (k, name, want) in table {
        let mut s = state();
        select(&mut s, name);
        let t = target(&s, name);
        let want: Vec<Effect> = want
            .into_iter()
            .map(|e| match e {
                Effect::RunAction { action, .. } => Effect::RunAction {
                    action,
                    targets: vec![t.clone()],
                },
                Effect::OpenLogs(_) => Effect::OpenLogs(vec![t.clone()]),
                other => other,
            })
            .collect();
        assert_eq!(acts(key(&mut s, k)), want, "key {k} on {name}");
        assert_eq!(s.overlay, None, "key {k} opened no dialog");
    }
    // Exec needs a running container: a stopped one is refused in the status line.
    let mut s = state();
    select(&mut s, "shop-web-1");
    assert_eq!(
        acts(key(&mut s, ch('e'))),
        vec![Effect::Exec(target(&s, "shop-web-1"))]
    );
    let mut s = state();
    select(&mut s, "api");
    assert_eq!(acts(key(&mut s, ch('e'))), vec![]);
    let status = s.status.clone().expect("a reason");
    assert!(status.is_error, "{status:?}");
    assert!(
        status.text.contains("api is not running (exited)"),
        "{status:?}"
    );
}

#[test]
fn kill_and_remove_ask_first_naming_what_and_which() {
    for (k, question) in [
        (KeyChord::ctrl('k'), "kill (SIGKILL) shop-web-1"),
        (ch('d'), "remove shop-web-1"),
    ] {
        let mut s = state();
        select(&mut s, "shop-web-1");
        assert_eq!(acts(key(&mut s, k)), vec![], "{k} runs nothing yet");
        assert_eq!(s.overlay, Some(Overlay::Confirm));
        assert_eq!(
            s.confirm.as_ref().map(PendingAction::question).as_deref(),
            Some(question)
        );
        // Unbound keys in the dialog do nothing; y confirms.
        assert_eq!(acts(key(&mut s, ch('s'))), vec![]);
        let effects = acts(key(&mut s, ch('y')));
        assert!(
            matches!(effects.as_slice(), [Effect::RunAction { targets, .. }] if targets.len() == 1)
        );
        assert_eq!(s.overlay, None);
    }
}

#[test]
fn confirm_can_be_cancelled_with_n_or_esc() {
    for cancel in [ch('n'), plain(KeyName::Esc)] {
        let mut s = state();
        select(&mut s, "api");
        key(&mut s, ch('d'));
        assert_eq!(acts(key(&mut s, cancel)), vec![]);
        assert_eq!(s.overlay, None);
        assert_eq!(s.confirm, None);
        assert!(
            s.status
                .as_ref()
                .is_some_and(|st| st.text.starts_with("cancelled: remove api"))
        );
    }
}

#[test]
fn marks_make_a_bulk_action_that_asks_first() {
    let mut s = state();
    select(&mut s, "api");
    key(&mut s, ch(' '));
    assert_eq!(selected_name(&s), "batch-job", "space marks and moves down");
    key(&mut s, ch(' '));
    assert_eq!(s.marks.len(), 2);
    assert_eq!(acts(key(&mut s, ch('u'))), vec![]);
    assert_eq!(s.overlay, Some(Overlay::Confirm));
    assert_eq!(
        s.confirm.as_ref().map(PendingAction::question).as_deref(),
        Some("start 2 containers: api, batch-job")
    );
    let effects = acts(key(&mut s, ch('y')));
    assert_eq!(
        effects,
        vec![Effect::RunAction {
            action: Action::Start,
            targets: vec![target(&s, "api"), target(&s, "batch-job")]
        }]
    );
    assert!(s.marks.is_empty(), "marks are cleared once used");
    // Space again unmarks; Esc clears every mark.
    select(&mut s, "api");
    key(&mut s, ch(' '));
    select(&mut s, "api");
    key(&mut s, ch(' '));
    assert!(s.marks.is_empty());
    key(&mut s, ch(' '));
    key(&mut s, plain(KeyName::Esc));
    assert!(s.marks.is_empty());
}

#[test]
fn an_action_on_a_project_header_applies_to_its_containers() {
    let mut s = state();
    s.selected = 0;
    key(&mut s, ch('s'));
    assert_eq!(
        s.confirm.as_ref().map(PendingAction::question).as_deref(),
        Some("stop 3 containers: shop-db-1, shop-web-1, shop-worker-1")
    );
}

#[test]
fn read_only_refuses_mutations_with_a_message() {
    let mut s = state();
    s.settings.read_only = true;
    select(&mut s, "shop-web-1");
    for k in [
        ch('u'),
        ch('s'),
        ch('r'),
        ch('p'),
        KeyChord::ctrl('k'),
        ch('d'),
    ] {
        assert_eq!(acts(key(&mut s, k)), vec![], "{k}");
        assert_eq!(s.overlay, None);
        let status = s.status.clone().expect("a message");
        assert!(status.is_error);
        assert!(status.text.contains("read-only"), "{}", status.text);
    }
}

#[test]
fn navigation_keys_move_the_selection() {
    let mut s = state_at(80, 10);
    s.selected = 0;
    let table: Vec<(KeyChord, usize)> = vec![
        (ch('j'), 1),
        (plain(KeyName::Down), 2),
        (ch('k'), 1),
        (plain(KeyName::Up), 0),
        (plain(KeyName::Up), 0),
        (ch('G'), 8),
        (ch('g'), 0),
        (plain(KeyName::End), 8),
        (plain(KeyName::Home), 0),
    ];
    for (k, want) in table {
        key(&mut s, k);
        assert_eq!(s.selected, want, "after {k}");
        assert!(s.selected >= s.offset && s.selected < s.offset + s.list_height().max(1));
    }
    let page = s.list_height();
    assert!(page > 0 && page < 9, "a short terminal pages: {page}");
    key(&mut s, plain(KeyName::PageDown));
    assert_eq!(s.selected, page);
    key(&mut s, plain(KeyName::PageUp));
    assert_eq!(s.selected, 0);
}

#[test]
fn inspect_opens_fetches_scrolls_reveals_and_goes_back() {
    for open in [plain(KeyName::Enter), ch('i')] {
        let mut s = state();
        select(&mut s, "shop-db-1");
        let id = id_of(&s, "shop-db-1");
        assert_eq!(
            acts(key(&mut s, open)),
            vec![
                Effect::FetchDetail(id.clone()),
                Effect::LoadHistory(id.clone())
            ]
        );
        assert_eq!(s.base, Base::Inspect);
        assert_eq!(s.key_mode(), Some(KeyMode::Inspect));
        key(&mut s, ch('v'));
        assert!(s.inspect.as_ref().is_some_and(|v| v.reveal));
        // Actions in inspect apply to the inspected container.
        assert_eq!(
            acts(key(&mut s, ch('s'))),
            vec![Effect::RunAction {
                action: Action::Stop { timeout_s: 10 },
                targets: vec![target(&s, "shop-db-1")]
            }]
        );
        key(&mut s, plain(KeyName::Esc));
        assert_eq!(s.base, Base::List);
        assert_eq!(s.inspect, None);
    }
}

#[test]
fn enter_on_a_project_folds_it() {
    let mut s = state();
    s.selected = 0;
    key(&mut s, plain(KeyName::Enter));
    assert!(matches!(
        s.rows[0],
        Row::Group {
            collapsed: true,
            ..
        }
    ));
    assert_eq!(s.rows.len(), 6);
    key(&mut s, ch('z'));
    assert_eq!(s.rows.len(), 9);
}

#[test]
fn overlays_open_and_close() {
    let mut s = state();
    key(&mut s, ch('?'));
    assert_eq!(s.overlay, Some(Overlay::Help));
    key(&mut s, ch('j'));
    key(&mut s, plain(KeyName::Esc));
    assert_eq!(s.overlay, None);
    key(&mut s, ch('?'));
    assert_eq!(
        acts(key(&mut s, ch('q'))),
        vec![],
        "q closes help, it does not quit"
    );
    assert_eq!(s.overlay, None);
    key(&mut s, ch('L'));
    assert!(s.show_log);
    key(&mut s, ch('L'));
    assert!(!s.show_log);
    let before = s.listed_count();
    key(&mut s, ch('a'));
    assert!(!s.show_stopped);
    assert_eq!(s.listed_count(), 3, "running and paused ones");
    key(&mut s, ch('a'));
    assert_eq!(s.listed_count(), before);
}

#[test]
fn the_filter_follows_typing_and_esc_restores() {
    let mut s = state();
    key(&mut s, ch('/'));
    assert_eq!(s.key_mode(), None, "typing: keys are text");
    for c in "web".chars() {
        key(&mut s, ch(c));
    }
    assert_eq!(s.listed_count(), 1, "filtered while typing");
    key(&mut s, plain(KeyName::Enter));
    assert_eq!(s.filter.text, "web");
    assert_eq!(selected_name(&s), "shop-web-1");
    // Esc while editing goes back to the filter in effect before.
    key(&mut s, ch('/'));
    key(&mut s, plain(KeyName::Backspace));
    key(&mut s, plain(KeyName::Backspace));
    key(&mut s, plain(KeyName::Backspace));
    assert_eq!(s.listed_count(), 7);
    key(&mut s, plain(KeyName::Esc));
    assert_eq!(s.filter.text, "web");
    assert_eq!(s.listed_count(), 1);
    // Negation, and Esc in the list clears.
    key(&mut s, ch('/'));
    key(&mut s, KeyChord::ctrl('u'));
    for c in "!exited".chars() {
        key(&mut s, ch(c));
    }
    key(&mut s, plain(KeyName::Enter));
    assert_eq!(s.listed_count(), 4);
    key(&mut s, plain(KeyName::Esc));
    assert!(s.filter.is_empty());
    assert_eq!(s.listed_count(), 7);
}

#[test]
fn sort_keys_and_the_command_line() {
    let mut s = state();
    key(&mut s, ch('o'));
    assert_eq!(s.sort.column, Column::Image);
    key(&mut s, ch('O'));
    assert!(s.sort.descending);
    let mut effects = Vec::new();
    run_command_line(&mut s, "sort restarts desc", &mut effects);
    assert_eq!(
        s.sort,
        Sort {
            column: Column::Restarts,
            descending: true
        }
    );
    let first_in_shop = match &s.rows[1] {
        Row::Container(id) => s.fleet.get(id).map(|c| c.name.clone()),
        Row::Group { .. } | Row::Missing(_) => None,
    };
    assert_eq!(first_in_shop.as_deref(), Some("shop-worker-1"));
    run_command_line(&mut s, "sort name asc", &mut effects);
    assert_eq!(s.sort, Sort::default());
    run_command_line(&mut s, "sort colour", &mut effects);
    assert!(s.status.as_ref().is_some_and(|st| st.is_error));
}

#[test]
fn command_line_acts_by_name() {
    let mut s = state();
    key(&mut s, ch(':'));
    for c in "stop shop-web-1".chars() {
        key(&mut s, ch(c));
    }
    let effects = acts(key(&mut s, plain(KeyName::Enter)));
    assert_eq!(
        effects,
        vec![Effect::RunAction {
            action: Action::Stop { timeout_s: 10 },
            targets: vec![target(&s, "shop-web-1")]
        }]
    );
    let mut effects = Vec::new();
    run_command_line(&mut s, "rm api", &mut effects);
    assert_eq!(s.overlay, Some(Overlay::Confirm), "rm asks first");
    s.overlay = None;
    run_command_line(&mut s, "stop nope", &mut effects);
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.is_error && st.text.contains("nope"))
    );
    run_command_line(&mut s, "q", &mut effects);
    assert!(effects.contains(&Effect::Quit));
}

fn done(s: &AppState, name: &str, result: Result<Outcome, String>) -> ActionDone {
    ActionDone {
        target: target(s, name),
        action: Action::Stop { timeout_s: 10 },
        result,
        duration: Duration::from_millis(412),
        audit_error: None,
    }
}

#[test]
fn outcomes_show_in_words_and_errors_as_errors() {
    let mut s = state();
    let exit = Some(read_exit(143, ExitContext::default()));
    let one = vec![done(&s, "shop-web-1", Ok(Outcome::Stopped { exit }))];
    let _ = update(&mut s, Msg::ActionsDone(one));
    assert_eq!(
        s.status,
        Some(StatusLine {
            text: "stopped shop-web-1: exit 143 (SIGTERM) in 0.4 s".into(),
            is_error: false
        })
    );
    let err = "cannot stop 'api': no such container".to_string();
    let one = vec![done(&s, "api", Err(err.clone()))];
    let _ = update(&mut s, Msg::ActionsDone(one));
    assert_eq!(
        s.status,
        Some(StatusLine {
            text: err,
            is_error: true
        })
    );
    let two = vec![
        done(&s, "api", Ok(Outcome::AlreadyStopped { exit: None })),
        done(&s, "cache", Err("cannot stop 'cache': it is paused".into())),
    ];
    let _ = update(&mut s, Msg::ActionsDone(two));
    let status = s.status.clone().expect("status");
    assert!(status.is_error);
    assert_eq!(
        status.text,
        "stop: 1 of 2 failed: cannot stop 'cache': it is paused"
    );
}

#[test]
fn ticks_draw_only_when_a_shown_time_changes() {
    let mut s = state();
    s.dirty = false;
    // Every time on screen is in minutes or more, and 1 s later still reads the same.
    let _ = update(&mut s, Msg::Tick(now() + chrono::Duration::seconds(1)));
    assert!(!s.dirty, "nothing visible changed");
    let _ = update(&mut s, Msg::Tick(now() + chrono::Duration::seconds(61)));
    assert!(s.dirty, "'up 5m' became 'up 6m'");
}

#[test]
fn stats_are_asked_for_the_running_rows_on_screen_only() {
    let mut s = AppState::new(Settings::default(), Keymap::default(), true, now());
    let _ = update(
        &mut s,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let effects = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet(),
        )),
    );
    let running = vec![id_of(&s, "shop-db-1"), id_of(&s, "shop-web-1")];
    assert!(
        effects.contains(&Effect::WatchStats(running.clone())),
        "{effects:?}"
    );
    assert_eq!(s.watched, running);
    // Folding the project takes them off screen: their streams close.
    s.selected = 0;
    let effects = key(&mut s, ch('z'));
    assert!(effects.contains(&Effect::WatchStats(vec![])), "{effects:?}");
    // A sample for something not watched is ignored.
    let _ = update(
        &mut s,
        Msg::Stats(StatsSample {
            id: running[0].clone(),
            cpu_percent: Some(1.0),
            memory_used: 1,
            memory_limit: None,
        }),
    );
    assert!(s.stats.is_empty());
}

#[test]
fn at_most_the_configured_number_of_streams() {
    let mut s = AppState::new(
        Settings {
            max_stats_streams: 1,
            ..Settings::default()
        },
        Keymap::default(),
        true,
        now(),
    );
    let effects = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Snapshot(
            crate::engine::LOCAL_HOST.to_string(),
            fleet(),
        )),
    );
    assert!(effects.contains(&Effect::WatchStats(vec![id_of(&s, "shop-db-1")])));
}

#[test]
fn a_click_selects_the_row_under_it() {
    let mut s = state();
    let body = crate::geometry::list_body(s.viewport, s.screen()).expect("a list");
    let _ = update(
        &mut s,
        Msg::Mouse(MouseMsg::Click {
            column: 5,
            row: body.y + 2,
        }),
    );
    assert_eq!(selected_name(&s), "shop-web-1");
    let _ = update(
        &mut s,
        Msg::Mouse(MouseMsg::ScrollDown {
            column: 5,
            row: body.y,
        }),
    );
    assert_eq!(s.selected, 5);
}

#[test]
fn the_inspected_container_going_away_returns_to_the_list() {
    let mut s = state();
    select(&mut s, "api");
    key(&mut s, ch('i'));
    let event = ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: id_of(&s, "api"),
        name: Some("api".into()),
        image: None,
        action: EventAction::Destroy,
        time: None,
        pod: None,
        attributes: Default::default(),
    };
    let _ = update(&mut s, Msg::Fleet(FleetUpdate::Event(event)));
    assert_eq!(s.base, Base::List);
    assert_eq!(
        s.status.as_ref().map(|st| st.text.as_str()),
        Some("api was removed")
    );
}

#[test]
fn selection_stays_on_its_container_when_the_fleet_changes() {
    let mut s = state();
    select(&mut s, "cache");
    let mut newer = container("aaa-first", "x", RunState::Running);
    newer.started_at = ago(1);
    let event = ContainerEvent {
        host: crate::engine::LOCAL_HOST.to_string(),
        id: newer.id.clone(),
        name: Some("aaa-first".into()),
        image: Some("x".into()),
        action: EventAction::Create,
        time: None,
        pod: None,
        attributes: Default::default(),
    };
    let _ = update(&mut s, Msg::Fleet(FleetUpdate::Event(event)));
    assert_eq!(selected_name(&s), "cache");
}

#[test]
fn leaving_logs_or_inspect_keeps_the_list_offset_only_as_far_as_the_cursor_needs() {
    for open in ['l', 'i'] {
        let mut s = state_at(80, 24);
        let last = s.rows.len() - 1;
        let height = s.list_height();
        assert!(
            s.rows.len() <= height,
            "the fixture's rows fit an 80x24 list"
        );
        s.selected = last;
        s.clamp_selection();
        assert_eq!(s.offset, 0);
        super::fixture::press(&mut s, KeyChord::plain(KeyName::Char(open)));
        assert_ne!(s.base, Base::List, "'{open}' opened its pane");
        // The fleet changes while the pane is open (the list is not on screen then).
        s.recompute_rows();
        super::fixture::press(&mut s, KeyChord::plain(KeyName::Esc));
        assert_eq!(s.base, Base::List);
        assert_eq!(
            s.offset, 0,
            "after '{open}' and Esc every row fits: none may be hidden above"
        );
    }
}

#[test]
fn a_figure_that_barely_moves_redraws_nothing() {
    let mut s = state_at(120, 30);
    let id = id_of(&s, "shop-web-1");
    assert!(s.watched.contains(&id), "on screen and running: watched");
    let sample = |cpu: f64, mem: u64| {
        Msg::Stats(StatsSample {
            id: id.clone(),
            cpu_percent: Some(cpu),
            memory_used: mem,
            memory_limit: Some(2 << 30),
        })
    };
    let _ = update(&mut s, sample(0.0, 300 << 20));
    s.dirty = false;
    // An idle container's CPU wobbles and its memory creeps by a few KiB: nothing to draw.
    for (cpu, mem) in [
        (0.1, (300 << 20) + 4096),
        (0.0, 300 << 20),
        (0.2, (300 << 20) + 8192),
    ] {
        let _ = update(&mut s, sample(cpu, mem));
        assert!(!s.dirty, "cpu {cpu} mem {mem} redrew the screen");
    }
    assert_eq!(s.stats.get(&id).and_then(|x| x.cpu_percent), Some(0.0));
    // A real move is drawn, and what is kept is the new figure.
    let _ = update(&mut s, sample(12.5, 300 << 20));
    assert!(s.dirty, "a CPU jump is drawn");
    assert_eq!(s.stats.get(&id).and_then(|x| x.cpu_percent), Some(12.5));
    s.dirty = false;
    let _ = update(&mut s, sample(12.5, 400 << 20));
    assert!(s.dirty, "memory grown by 100 MiB is drawn");
}
