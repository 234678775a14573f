//! The whole Compose Specification loads: a file that uses every key of the schema
//! (tests/fixtures/compose/every-key, written from the schema), what each key gives, the
//! warnings for what fleetdeck accepts and does not act on, and unknown keys refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::spec_check::{Map, Shape};
use super::spec_keys::ROOT;
use super::tests::load_one;
use super::yaml::{self, Node, Value};
use super::*;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/every-key")
}

fn load_every_key() -> Project {
    let dir = fixture_dir();
    let opts = LoadOptions {
        files: vec![dir.join("compose.yaml")],
        project_name: None,
        profiles: vec!["all".into()],
        env: [
            ("HOME", "/home/me"),
            ("SECRET_VAR", "s"),
            ("CONFIG_VAR", "c"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    };
    load(&opts).unwrap_or_else(|e| panic!("the every-key fixture loads: {e}"))
}

/// Every (shape, key) the fixture's mappings use.
fn used(node: &Node, shape: &'static Shape, seen: &mut BTreeSet<(usize, &'static str)>) {
    match (&node.value, &shape.map) {
        (Value::Map(entries), Map::Keys(keys)) => {
            for (key, value) in entries {
                if let Some((k, inner)) = keys.iter().find(|(k, _)| *k == key.name) {
                    seen.insert((shape as *const Shape as usize, k));
                    used(value, inner, seen);
                }
            }
        }
        (Value::Map(entries), Map::Dict(inner)) => {
            for (_, value) in entries {
                used(value, inner, seen);
            }
        }
        (Value::Seq(items), _) => {
            if let Some(inner) = shape.items {
                for item in items {
                    used(item, inner, seen);
                }
            }
        }
        _ => {}
    }
}

/// Every key of the schema not in `seen`, as dotted paths.
fn missing(
    shape: &'static Shape,
    path: &str,
    seen: &BTreeSet<(usize, &'static str)>,
    visited: &mut BTreeSet<usize>,
    out: &mut Vec<String>,
) {
    if !visited.insert(shape as *const Shape as usize) {
        return;
    }
    match &shape.map {
        Map::Keys(keys) => {
            for (k, inner) in keys.iter() {
                let p = fields::join(path, k);
                if !seen.contains(&(shape as *const Shape as usize, *k)) {
                    out.push(p.clone());
                }
                missing(inner, &p, seen, visited, out);
            }
        }
        Map::Dict(inner) => missing(inner, &format!("{path}.*"), seen, visited, out),
        Map::Free => {}
    }
    if let Some(inner) = shape.items {
        missing(inner, &format!("{path}[]"), seen, visited, out);
    }
}

#[test]
fn the_every_key_fixture_uses_every_key_of_the_schema() {
    let file = fixture_dir().join("compose.yaml");
    let text = std::fs::read_to_string(&file).expect("fixture");
    let arc: std::sync::Arc<Path> = std::sync::Arc::from(file.as_path());
    let doc = yaml::parse(&arc, &text).expect("parses");
    let mut seen = BTreeSet::new();
    used(&doc, &ROOT, &mut seen);
    let mut out = Vec::new();
    missing(&ROOT, "", &seen, &mut BTreeSet::new(), &mut out);
    assert!(
        out.is_empty(),
        "keys of the schema the fixture lacks: {out:#?}"
    );
}

#[test]
fn a_file_using_every_key_of_the_specification_loads() {
    let p = load_every_key();
    assert_eq!(p.name, "everykey");
    let names: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    for s in ["base", "dep", "shorter", "inc", "inc2"] {
        assert!(names.contains(&s), "{s} in {names:?}");
    }
    assert!(p.disabled_services.contains(&"external-svc".to_string()));
    let base = p.service("base").expect("base");
    assert_eq!(base.expose, vec!["3000/tcp", "4000/udp", "4001/udp"]);
    assert_eq!(base.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        base.sysctls.get("net.core.somaxconn").map(String::as_str),
        Some("1024")
    );
    assert!(base.stdin_open && base.tty && !base.privileged);
    assert_eq!(base.devices.len(), 2);
    assert_eq!(base.devices[0].target, "/dev/xnull");
    assert_eq!(base.devices[1].permissions, "r");
    assert_eq!(base.device_cgroup_rules, vec!["c 1:3 mr"]);
    // gpus first (with the gpu capability), then the reservations.
    assert_eq!(base.device_requests.len(), 3);
    assert_eq!(base.device_requests[0].capabilities, vec!["utility", "gpu"]);
    assert_eq!(base.device_requests[0].count, 1);
    assert_eq!(base.device_requests[1].count, -1);
    assert_eq!(base.device_requests[2].count, 1);
    assert_eq!(base.device_requests[2].device_ids, vec!["0"]);
    assert_eq!(base.limits.memory_reservation, Some(16 << 20));
    assert_eq!(base.limits.memory, Some(64 << 20));
    assert_eq!(base.limits.pids, Some(100));
    assert_eq!(base.limits.cpu_shares, Some(512));
    assert_eq!(base.limits.memswap_limit, Some(128 << 20));
    assert_eq!(base.pid.as_deref(), Some("host"));
    assert_eq!(base.ipc.as_deref(), Some("private"));
    assert_eq!(base.userns_mode.as_deref(), Some("host"));
    assert_eq!(base.cgroup_parent.as_deref(), Some("fleetdeck-test"));
    assert_eq!(base.group_add, vec!["1000"]);
    assert_eq!(base.oom_score_adj, Some(100));
    assert_eq!(base.volumes_from, vec!["dep:ro"]);
    assert_eq!(base.links, vec!["dep:database"]);
    assert_eq!(base.mac_address.as_deref(), Some("02:42:ac:11:00:99"));
    assert_eq!(base.domainname.as_deref(), Some("example.com"));
    assert_eq!(
        base.annotations.get("com.example.a").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        base.stop_grace_period,
        Some(std::time::Duration::from_secs(10))
    );
    // deploy.restart_policy wins over restart, as in compose.
    assert_eq!(base.restart.as_deref(), Some("on-failure:3"));
    // label_file under labels; env_file under environment.
    assert_eq!(
        base.labels.get("com.example.fromfile").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        base.environment.get("FROM_FILE").map(String::as_str),
        Some("overridden")
    );
    assert_eq!(base.environment.get("OTHER").map(String::as_str), Some("2"));
    let front = &base.networks["front"];
    assert_eq!(front.priority, 100);
    assert_eq!(front.link_local_ips, vec!["169.254.8.8"]);
    assert_eq!(base.secrets[1].target, "/run/secrets/token2");
    assert_eq!(base.configs[1].target, "/etc/inline.conf");
    assert_eq!(base.volumes.len(), 5);
    assert_eq!(base.volumes[2].subpath.as_deref(), Some("sub"));
    assert_eq!(base.volumes[4].kind, MountKind::Image);
    let net = &p.networks["front"];
    assert_eq!(net.enable_ipv4, Some(true));
    assert!(net.enable_ipv6 && net.attachable);
    assert_eq!(p.networks["outside"].name, "some-external-net");
    assert!(p.networks["outside"].external);
    assert_eq!(p.volumes["old"].name, "some-external-volume");
    assert_eq!(
        p.secrets["ext"],
        FileSource::External("swarm-secret".into())
    );
}

#[test]
fn extends_include_and_the_merge_tags() {
    let p = load_every_key();
    let dep = p.service("dep").expect("dep");
    // From sub/base.yaml: command; its relative volume resolved against sub/.
    assert_eq!(
        dep.command,
        Some(vec!["sleep".to_string(), "infinity".to_string()])
    );
    let sub = fixture_dir().join("sub");
    assert_eq!(
        dep.volumes[0].source.as_deref().map(PathBuf::from),
        Some(sub.join("data-in-sub"))
    );
    // `!override` replaced the inherited labels, `!reset` dropped the inherited environment.
    assert_eq!(dep.labels.get("only").map(String::as_str), Some("this"));
    assert!(!dep.labels.contains_key("from"), "{:?}", dep.labels);
    assert!(dep.environment.is_empty(), "{:?}", dep.environment);
    assert_eq!(dep.network_mode.as_deref(), Some("bridge"));
    let shorter = p.service("shorter").expect("shorter");
    // extends in the same file; `network_mode: !reset` lets it join networks.
    assert_eq!(shorter.network_mode, None);
    assert!(shorter.networks.contains_key("front"));
    assert_eq!(shorter.image, "everykey/dep");
    assert_eq!(
        shorter.build.as_ref().map(|b| PathBuf::from(&b.context)),
        Some(fixture_dir().join("sub"))
    );
    // include: its own directory for relative paths, its env_file for interpolation.
    let inc = p.service("inc").expect("inc");
    assert_eq!(
        inc.volumes[0].source.as_deref().map(PathBuf::from),
        Some(sub.join("here"))
    );
    assert_eq!(
        p.service("inc2").map(|s| s.image.as_str()),
        Some("busybox:latest")
    );
}

#[test]
fn swarm_only_and_unused_keys_are_said_once_each() {
    let p = load_every_key();
    let w = p.warnings.join("\n");
    for key in [
        "deploy.placement",
        "deploy.update_config",
        "deploy.rollback_config",
        "deploy.endpoint_mode",
        "deploy.resources.reservations.cpus",
        "deploy.resources.reservations.generic_resources",
        "develop",
        "post_start",
        "pre_stop",
        "provider",
        "models",
        "credential_spec",
    ] {
        assert_eq!(
            p.warnings
                .iter()
                .filter(|l| l.starts_with(&format!("{key} (")))
                .count(),
            1,
            "{key} once in:\n{w}"
        );
    }
    let global = load_one(
        "services:\n  a: {image: x, deploy: {mode: global}}\n  b: {image: x, deploy: {mode: global}}\n",
    )
    .expect("loads");
    assert_eq!(global.warnings.len(), 1, "{:?}", global.warnings);
    assert!(
        global.warnings[0].contains("service a, service b"),
        "{:?}",
        global.warnings
    );
}

#[test]
fn a_key_the_specification_lacks_is_refused_where_it_is() {
    for (text, line, key) in [
        (
            "services:\n  web:\n    image: x\n    develop:\n      wach: []\n",
            5,
            "services.web.develop.wach",
        ),
        (
            "services:\n  web: {image: x}\nnetworks:\n  n:\n    ipam:\n      confg: []\n",
            6,
            "networks.n.ipam.confg",
        ),
        (
            "services:\n  web:\n    image: x\n    build:\n      contxt: .\n",
            5,
            "services.web.build.contxt",
        ),
        (
            "include:\n  - pth: a.yaml\nservices: {}\n",
            2,
            "include[0].pth",
        ),
    ] {
        let err = load_one(text).expect_err(text);
        assert_eq!((err.line, err.key.as_str()), (line, key), "{err}");
        assert!(err.message.contains("unsupported key"), "{err}");
    }
}

#[test]
fn an_unknown_tag_is_refused_and_reset_works_within_one_file() {
    let err = load_one("services:\n  web:\n    image: !weird x\n").expect_err("refused");
    assert_eq!(err.line, 3);
    assert!(err.message.contains("!weird"), "{err}");
    let p = load_one("services:\n  web:\n    image: x\n    ports: !reset [\"80:80\"]\n")
        .expect("loads");
    assert!(p.services[0].ports.is_empty());
}

#[test]
fn an_extends_cycle_and_an_include_conflict_are_refused() {
    let err = load_one("services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n")
        .expect_err("cycle");
    assert!(err.message.contains("cycle"), "{err}");
    let fx = tests::Fixture::new(
        "app",
        &[
            (
                "compose.yaml",
                "include: [other.yaml]\nservices:\n  web: {image: x}\n",
            ),
            ("other.yaml", "services:\n  web: {image: y}\n"),
        ],
    );
    let err = fx.load(&["compose.yaml"], &[]).expect_err("conflict");
    assert_eq!(err.key, "services.web");
    assert!(err.message.contains("included"), "{err}");
}

#[test]
fn a_raw_env_file_is_taken_as_written_and_refresh_takes_its_interval() {
    let fx = tests::Fixture::new(
        "app",
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: x\n    env_file: [{path: raw.env, format: raw}]\n    pull_policy: refresh\n    pull_refresh_after: 2h\n",
            ),
            ("raw.env", "# comment\nA=\"quoted $HOME\"\nB=x=y\n"),
        ],
    );
    let p = fx
        .load(&["compose.yaml"], &[("HOME", "/home/me")])
        .expect("loads");
    let web = &p.services[0];
    assert_eq!(
        web.environment.get("A").map(String::as_str),
        Some("\"quoted $HOME\"")
    );
    assert_eq!(web.environment.get("B").map(String::as_str), Some("x=y"));
    assert_eq!(web.pull_policy, PullPolicy::Refresh(7200));
}
