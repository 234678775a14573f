//! The config hash: stable, blind to scale and ordering keys, and telling which fields changed.

use std::collections::BTreeMap;

use super::compose::{Condition, Dependency, PullPolicy, ServiceSpec};
use super::hash::*;

fn web() -> ServiceSpec {
    let mut s = ServiceSpec::new("web", "nginx:1.27");
    s.environment.insert("A".into(), "1".into());
    s.ports.push(super::compose::PortSpec {
        target: 80,
        published: Some("8080".into()),
        host_ip: None,
        protocol: "tcp".into(),
    });
    s
}

#[test]
fn the_hash_is_sha256_hex_and_stable() {
    let h = config_hash(&web());
    assert_eq!(h.len(), 64);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(h, config_hash(&web().clone()));
    // Pinned: a change here recreates every container fleetdeck made. Only change it on purpose.
    assert_eq!(
        config_hash(&ServiceSpec::new("web", "nginx")),
        PINNED_MINIMAL_HASH,
    );
}

const PINNED_MINIMAL_HASH: &str =
    "b88ccaf0f7a82cdfe3d2e138b7ca7e214352ca56c633e41d83af5f0727e96857";

#[test]
fn canonical_json_sorts_keys() {
    let v: serde_json::Value =
        serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"z":0,"y":null}],"c":"x"}}"#).expect("json");
    assert_eq!(
        canonical_json(&v),
        r#"{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}"#
    );
}

#[test]
fn scale_depends_on_build_pull_policy_and_profiles_do_not_change_the_hash() {
    let base = config_hash(&web());
    let mut s = web();
    s.replicas = 7;
    s.depends_on.insert(
        "db".into(),
        Dependency {
            condition: Condition::ServiceHealthy,
            restart: true,
        },
    );
    s.build = Some(crate::reconcile::compose::BuildSpec::new("/srv/web".into()));
    s.pull_policy = PullPolicy::Always;
    s.profiles = vec!["dev".into()];
    assert_eq!(config_hash(&s), base);
    assert!(changed_fields(&web(), &s).is_empty());
}

#[test]
fn each_config_change_changes_the_hash_and_is_named() {
    let base = web();
    let mut env = web();
    env.environment.insert("A".into(), "2".into());
    let mut image = web();
    image.image = "nginx:1.28".into();
    let mut both = env.clone();
    both.image = "nginx:1.28".into();
    for (changed, fields) in [
        (&env, vec!["environment"]),
        (&image, vec!["image"]),
        (&both, vec!["environment", "image"]),
    ] {
        assert_ne!(config_hash(changed), config_hash(&base));
        assert_eq!(changed_fields(&base, changed), fields);
        let label = field_hashes_label(&base);
        assert_eq!(
            changed_fields_from_label(Some(&label), changed),
            Some(fields.iter().map(|f| f.to_string()).collect())
        );
    }
    assert_eq!(changed_fields_from_label(None, &base), None);
}

#[test]
fn field_hashes_round_trip_and_skip_empty_fields() {
    let label = field_hashes_label(&web());
    let parsed = parse_field_hashes(&label);
    assert_eq!(parsed, field_hashes(&web()));
    let keys: Vec<&str> = parsed.keys().map(String::as_str).collect();
    // Empty fields (no command, no labels, read_only false ...) have no entry.
    assert_eq!(
        keys,
        vec![
            "environment",
            "image",
            "limits",
            "name",
            "networks",
            "ports"
        ]
    );
    assert!(parsed.values().all(|h| h.len() == 8));
    assert_eq!(
        changed_fields_from_label(Some(&label), &web()),
        Some(Vec::new())
    );
    // Adding a field that was empty names it.
    let mut more = web();
    more.read_only = true;
    assert_eq!(
        changed_fields_from_label(Some(&label), &more),
        Some(vec!["read_only".to_string()])
    );
}

#[test]
fn map_order_does_not_matter() {
    let mut a = ServiceSpec::new("w", "i");
    let mut b = ServiceSpec::new("w", "i");
    a.labels = BTreeMap::from([("x".into(), "1".into()), ("y".into(), "2".into())]);
    b.labels.insert("y".into(), "2".into());
    b.labels.insert("x".into(), "1".into());
    assert_eq!(config_hash(&a), config_hash(&b));
}

/// A service with a mount of each kind, a network alias, a health check and limits: its hash
/// is the one fleetdeck wrote before the keys of issue #20 were added (the label of a
/// container `apply` made with 5ea4295 from this file, in /tmp/fdpin). New keys, empty, stay
/// out of the hash, so containers made earlier are not recreated.
#[test]
fn keys_added_later_leave_the_hash_of_a_service_without_them_alone() {
    let p = super::compose::tests::load_one(
        r#"
services:
  web:
    image: fleetdeck-test-busybox:latest
    environment: {A: "1"}
    ports: ["18080:80"]
    volumes: [data:/data, ./here:/here:ro, {type: tmpfs, target: /t, tmpfs: {size: 1m}}]
    networks: {back: {aliases: [api]}}
    healthcheck: {test: ["CMD", "true"], interval: 5s}
    deploy: {resources: {limits: {cpus: "0.5", memory: 64m}}}
    ulimits: {nofile: 1024}
    restart: unless-stopped
networks:
  back: {}
volumes:
  data: {}
"#,
    )
    .expect("loads");
    let mut spec = p.services[0].clone();
    // The bind's path depends on where the test runs: the one the earlier version saw.
    spec.volumes[1].source = Some("/tmp/fdpin/here".into());
    assert_eq!(
        config_hash(&spec),
        "7410feef1a6b42fe52fed77a8b0c83827f0d3d958c876ebac006012d9bc53499"
    );
}
