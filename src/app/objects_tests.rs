//! The host views' update: what opening asks the loop for, events rereading one host (one
//! read in flight, one queued), the prune question carrying the plan, the answer, read-only.

use crate::actions::objects::prune::{PruneItem, PruneKind, PrunePlan};
use crate::app::fixture::{ch, press, state_at};
use crate::app::objects::{Listed, ObjectView, ObjectsEffect, ObjectsMsg, Pending, open, question};
use crate::app::{Base, Effect, Msg, Overlay, update};
use crate::engine::objects::{ObjectEvent, ObjectKind};
use crate::engine::{FleetUpdate, LOCAL_HOST};

fn objects_effects(effects: &[Effect]) -> Vec<&ObjectsEffect> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Objects(o) => Some(o),
            _ => None,
        })
        .collect()
}

fn image_event() -> Msg {
    Msg::Fleet(FleetUpdate::Object(ObjectEvent {
        host: LOCAL_HOST.into(),
        kind: ObjectKind::Image,
        action: "tag".into(),
        id: "sha256:x".into(),
    }))
}

#[test]
fn opening_images_reads_the_list_and_the_disk_usage_and_networks_only_the_list() {
    let mut s = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Images, &mut effects);
    assert_eq!(s.base, Base::Objects);
    assert_eq!(
        objects_effects(&effects),
        [
            &ObjectsEffect::Load {
                view: ObjectView::Images,
                host: None
            },
            &ObjectsEffect::DiskUsage
        ]
    );
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Networks, &mut effects);
    // The images read is still out: the networks read waits behind it.
    assert!(objects_effects(&effects).is_empty(), "{effects:?}");
}

#[test]
fn events_reread_their_host_once_at_a_time_and_never_the_disk_usage() {
    let mut s = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Images, &mut effects);
    let listed = |s: &mut crate::app::AppState| {
        update(
            s,
            Msg::Objects(ObjectsMsg::Listed {
                host: LOCAL_HOST.into(),
                result: Ok(Listed::Images(Vec::new())),
            }),
        )
    };
    let _ = listed(&mut s);
    let first = update(&mut s, image_event());
    assert_eq!(
        objects_effects(&first),
        [&ObjectsEffect::Load {
            view: ObjectView::Images,
            host: Some(LOCAL_HOST.into())
        }]
    );
    // Two more while it is out: one more read, when it ends.
    assert!(objects_effects(&update(&mut s, image_event())).is_empty());
    assert!(objects_effects(&update(&mut s, image_event())).is_empty());
    let after = listed(&mut s);
    assert_eq!(objects_effects(&after).len(), 1);
    assert!(
        objects_effects(&listed(&mut s)).is_empty(),
        "nothing more queued"
    );
    // A volume event means nothing to the images view.
    let volume = Msg::Fleet(FleetUpdate::Object(ObjectEvent {
        host: LOCAL_HOST.into(),
        kind: ObjectKind::Volume,
        action: "create".into(),
        id: "v".into(),
    }));
    assert!(objects_effects(&update(&mut s, volume)).is_empty());
    // Outside the view, nothing is read.
    let _ = press(
        &mut s,
        crate::config::keys::KeyChord::plain(crate::config::keys::KeyName::Esc),
    );
    assert_eq!(s.base, Base::List);
    assert!(objects_effects(&update(&mut s, image_event())).is_empty());
}

#[test]
fn prune_asks_with_its_plan_and_yes_runs_exactly_that_plan() {
    let mut s = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Images, &mut effects);
    let plan_asked = press(&mut s, ch('P'));
    assert_eq!(
        objects_effects(&plan_asked),
        [&ObjectsEffect::PlanPrune {
            kinds: vec![PruneKind::Images]
        }]
    );
    let plan = PrunePlan {
        items: vec![PruneItem {
            kind: PruneKind::Images,
            id: "sha256:d".into(),
            name: "dddddddddddd".into(),
            size: Some(3 << 20),
            reason: "dangling".into(),
        }],
    };
    let plans = vec![(LOCAL_HOST.to_string(), plan)];
    let _ = update(&mut s, Msg::Objects(ObjectsMsg::Planned(Ok(plans.clone()))));
    assert_eq!(s.overlay, Some(Overlay::Confirm));
    let (text, destructive) = question(&s).expect("a question");
    assert_eq!(text, "prune 1 images (frees 3.0 MiB): dddddddddddd");
    assert!(destructive);
    let yes = press(&mut s, ch('y'));
    assert_eq!(objects_effects(&yes), [&ObjectsEffect::RunPrune { plans }]);
    assert!(s.objects.as_ref().is_some_and(|o| o.pending.is_none()));
}

#[test]
fn remove_asks_first_and_no_cancels() {
    let mut s = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Volumes, &mut effects);
    let row = crate::engine::objects::VolumeRow {
        name: "cache".into(),
        driver: "local".into(),
        size: None,
        containers: 0,
        anonymous: false,
        labels: Default::default(),
    };
    let _ = update(
        &mut s,
        Msg::Objects(ObjectsMsg::Listed {
            host: LOCAL_HOST.into(),
            result: Ok(Listed::Volumes(vec![row])),
        }),
    );
    assert!(
        objects_effects(&press(&mut s, ch('d'))).is_empty(),
        "asked first"
    );
    assert!(matches!(
        s.objects.as_ref().and_then(|o| o.pending.clone()),
        Some(Pending::Remove { force: false, .. })
    ));
    assert_eq!(
        question(&s).map(|q| q.0),
        Some("remove volume cache".into())
    );
    assert!(objects_effects(&press(&mut s, ch('n'))).is_empty());
    assert_eq!(
        s.status.as_ref().map(|l| l.text.as_str()),
        Some("cancelled")
    );
}

#[test]
fn read_only_refuses_the_keys() {
    let mut s = state_at(80, 24);
    s.settings.read_only = true;
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Images, &mut effects);
    assert!(objects_effects(&press(&mut s, ch('P'))).is_empty());
    assert!(
        s.status
            .as_ref()
            .is_some_and(|l| l.is_error && l.text.contains("read-only"))
    );
}

#[test]
fn a_host_that_connects_again_is_read_again() {
    let mut s = state_at(80, 24);
    let mut effects = Vec::new();
    open(&mut s, ObjectView::Images, &mut effects);
    let _ = update(
        &mut s,
        Msg::Objects(ObjectsMsg::Listed {
            host: LOCAL_HOST.into(),
            result: Err("no answer".into()),
        }),
    );
    let connected = crate::engine::Connection::Connected {
        since: crate::app::fixture::now(),
    };
    let back = update(
        &mut s,
        Msg::Fleet(FleetUpdate::Connection(LOCAL_HOST.into(), connected)),
    );
    assert_eq!(
        objects_effects(&back),
        [&ObjectsEffect::Load {
            view: ObjectView::Images,
            host: Some(LOCAL_HOST.into())
        }]
    );
}
