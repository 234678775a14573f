//! Snapshots of the host views (images, volumes, networks, disk usage) at 80x24 and 200x50,
//! from one fixture: loaded on one host, with two hosts (the HOST column), and while the
//! disk-usage call is still out.

use std::collections::{BTreeMap, HashMap};

use crate::app::fixture::{now, state_at};
use crate::app::objects::{Listed, ObjectView, ObjectsMsg, open};
use crate::app::{AppState, Msg, update};
use crate::engine::objects::{DiskUsage, ImageRow, NetworkRow, UsageLine, VolumeRow};
use crate::engine::{Connection, FleetUpdate};
use crate::ui::tests::snapshot;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const MIB: u64 = 1 << 20;

fn image(id: char, tags: &[&str], size_mib: u64, age_s: i64, containers: u64) -> ImageRow {
    let untagged = tags.is_empty();
    ImageRow {
        id: format!("sha256:{}", id.to_string().repeat(64)),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        size: size_mib * MIB,
        shared_size: None,
        created: now().timestamp() - age_s,
        containers,
        dangling: untagged && id != 'c',
        intermediate: untagged && id == 'c',
        parent: id == 'c',
        labels: BTreeMap::new(),
    }
}

fn images() -> Vec<ImageRow> {
    vec![
        image('a', &["registry.example.com/shop/web:1.25.3"], 142, 3600, 2),
        image('b', &["fleetdeck-test-busybox:latest"], 2, 86_400, 5),
        image('d', &[], 140, 7200, 0),
        image('c', &[], 2, 90_000, 0),
    ]
}

fn volumes() -> Vec<VolumeRow> {
    let v = |name: &str, containers, anonymous| VolumeRow {
        name: name.into(),
        driver: "local".into(),
        size: None,
        containers,
        anonymous,
        labels: BTreeMap::new(),
    };
    vec![
        v("pgdata", 1, false),
        v("cache", 0, false),
        v(&"e".repeat(64), 0, true),
    ]
}

fn networks() -> Vec<NetworkRow> {
    let n = |name: &str, driver: &str, subnet: Option<&str>, containers, internal| NetworkRow {
        id: format!("{name}-id"),
        name: name.into(),
        driver: driver.into(),
        scope: "local".into(),
        subnet: subnet.map(str::to_string),
        gateway: subnet.map(|s| s.replace(".0/16", ".1").replace(".0/24", ".1")),
        containers,
        internal,
        labels: BTreeMap::new(),
    };
    vec![
        n("bridge", "bridge", Some("172.17.0.0/16"), 3, false),
        n("host", "host", None, 0, false),
        n("shop_default", "bridge", Some("172.20.0.0/24"), 2, false),
        n("shop_backend", "bridge", Some("172.21.0.0/24"), 0, true),
    ]
}

fn usage() -> DiskUsage {
    let line = |count, active, size_mib: u64, reclaimable_mib: u64| UsageLine {
        count,
        active,
        size: size_mib * MIB,
        reclaimable: reclaimable_mib * MIB,
    };
    DiskUsage {
        images: line(4, 2, 284, 142),
        containers: line(7, 5, 12, 3),
        volumes: line(3, 1, 900, 120),
        build_cache: line(0, 0, 0, 0),
        image_shared: HashMap::from([(
            format!("sha256:{}", "d".repeat(64)),
            (Some(2 * MIB), Some(0)),
        )]),
        volume_sizes: HashMap::from([
            ("pgdata".to_string(), 780 * MIB),
            ("cache".to_string(), 120 * MIB),
        ]),
    }
}

fn loaded(state: &mut AppState, view: ObjectView, host: &str, usage_too: bool) {
    let listed = match view {
        ObjectView::Images => Some(Listed::Images(images())),
        ObjectView::Volumes => Some(Listed::Volumes(volumes())),
        ObjectView::Networks => Some(Listed::Networks(networks())),
        ObjectView::Df => None,
    };
    if let Some(listed) = listed {
        let msg = ObjectsMsg::Listed {
            host: host.into(),
            result: Ok(listed),
        };
        let _ = update(state, Msg::Objects(msg));
    }
    if usage_too {
        let msg = ObjectsMsg::Usage {
            host: host.into(),
            result: Ok(Box::new(usage())),
        };
        let _ = update(state, Msg::Objects(msg));
    }
}

fn opened(w: u16, h: u16, view: ObjectView) -> AppState {
    let mut s = state_at(w, h);
    let mut effects = Vec::new();
    open(&mut s, view, &mut effects);
    loaded(&mut s, view, crate::engine::LOCAL_HOST, true);
    s
}

#[test]
fn images_view() {
    for (w, h) in SIZES {
        let s = opened(w, h, ObjectView::Images);
        snapshot("objects_images", &s);
    }
}

#[test]
fn volumes_view() {
    for (w, h) in SIZES {
        snapshot("objects_volumes", &opened(w, h, ObjectView::Volumes));
    }
}

#[test]
fn networks_view() {
    for (w, h) in SIZES {
        snapshot("objects_networks", &opened(w, h, ObjectView::Networks));
    }
}

#[test]
fn disk_usage_view() {
    for (w, h) in SIZES {
        snapshot("objects_df", &opened(w, h, ObjectView::Df));
    }
}

#[test]
fn images_view_while_the_disk_usage_is_read() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let mut effects = Vec::new();
        open(&mut s, ObjectView::Images, &mut effects);
        loaded(&mut s, ObjectView::Images, crate::engine::LOCAL_HOST, false);
        snapshot("objects_images_sizes_pending", &s);
    }
}

#[test]
fn images_view_of_two_hosts_has_a_host_column() {
    for (w, h) in SIZES {
        let mut s = state_at(w, h);
        let connected = Connection::Connected { since: now() };
        let _ = update(
            &mut s,
            Msg::Fleet(FleetUpdate::Connection("edge-2".into(), connected)),
        );
        let mut effects = Vec::new();
        open(&mut s, ObjectView::Images, &mut effects);
        loaded(&mut s, ObjectView::Images, crate::engine::LOCAL_HOST, true);
        loaded(&mut s, ObjectView::Images, "edge-2", true);
        snapshot("objects_images_two_hosts", &s);
    }
}
