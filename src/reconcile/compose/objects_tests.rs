//! `build:`, top-level `secrets:` / `configs:` and the services' references to them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::tests::{Fixture, load_one};
use super::*;

#[test]
fn build_as_a_string_names_the_image_project_service() {
    let p = load_one("services:\n  web:\n    build: ./web\n").expect("loads");
    let web = &p.services[0];
    assert_eq!(web.image, "app-web");
    let build = web.build.as_ref().expect("build");
    assert_eq!(PathBuf::from(&build.context), p.working_dir.join("web"));
    assert_eq!(build.dockerfile, "Dockerfile");
}

#[test]
fn build_as_a_mapping_reads_every_key() {
    let fx = Fixture::new(
        "app",
        &[(
            "compose.yaml",
            r#"
services:
  web:
    image: me/web:1
    build:
      context: ctx
      dockerfile: Dockerfile.dev
      dockerfile_inline: "FROM scratch"
      args: {A: "1", FROM_ENV: null}
      ssh: [default]
      labels: [l=1]
      cache_from: [me/web:cache]
      cache_to: [type=inline]
      no_cache: true
      additional_contexts: {base: ../base, remote: "https://example.com/x.git"}
      network: host
      provenance: true
      sbom: false
      pull: true
      target: prod
      shm_size: 64m
      extra_hosts: ["a=1.2.3.4"]
      isolation: default
      privileged: false
      secrets: [tok]
      tags: [me/web:extra]
      ulimits: {nofile: 1024}
      platforms: [linux/amd64]
      entitlements: [network.host]
secrets:
  tok: {environment: TOKEN}
"#,
        )],
    );
    let p = fx
        .load(&["compose.yaml"], &[("FROM_ENV", "env"), ("TOKEN", "t")])
        .expect("loads");
    let b = p.services[0].build.clone().expect("build");
    assert_eq!(PathBuf::from(&b.context), fx.dir.join("ctx"));
    assert_eq!(b.dockerfile, "Dockerfile.dev");
    assert_eq!(b.dockerfile_inline.as_deref(), Some("FROM scratch"));
    assert_eq!(
        b.args,
        BTreeMap::from([("A".into(), "1".into()), ("FROM_ENV".into(), "env".into())])
    );
    assert_eq!(b.labels.get("l").map(String::as_str), Some("1"));
    assert_eq!(b.cache_from, vec!["me/web:cache".to_string()]);
    assert!(b.no_cache && b.pull);
    assert_eq!(b.network.as_deref(), Some("host"));
    assert_eq!(b.target.as_deref(), Some("prod"));
    assert_eq!(b.shm_size, Some(64 << 20));
    assert_eq!(b.extra_hosts, vec!["a:1.2.3.4".to_string()]);
    // The BuildKit-only keys: accepted, named, and said once in the warnings.
    let mut ignored = b.ignored.clone();
    ignored.sort();
    assert_eq!(
        ignored,
        [
            "additional_contexts",
            "cache_to",
            "entitlements",
            "isolation",
            "platforms",
            "privileged",
            "provenance",
            "sbom",
            "secrets",
            "ssh",
            "tags",
            "ulimits"
        ]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("build.ssh (service web)")),
        "{:?}",
        p.warnings
    );
    assert_eq!(p.services[0].image, "me/web:1");
}

#[test]
fn a_remote_build_context_is_kept_as_written() {
    let p = load_one("services:\n  web:\n    build: https://github.com/me/web.git#main\n")
        .expect("loads");
    let b = p.services[0].build.as_ref().expect("build");
    assert_eq!(
        b.context,
        PathBuf::from("https://github.com/me/web.git#main")
    );
}

#[test]
fn top_level_secrets_and_configs_with_each_source() {
    let p = load_one(
        r#"
services:
  web:
    image: x
    secrets:
      - db_pass
      - source: api
        target: api_key
        uid: "100"
        gid: "101"
        mode: 0440
    configs:
      - nginx
      - source: inline
        target: /etc/app.conf
        mode: "0o644"
secrets:
  db_pass: {file: ./secrets/db.txt}
  api: {environment: API_KEY}
  ext: {external: true}
  named: {external: {name: real}}
  own: {file: x, name: custom, labels: {a: b}, driver: d, driver_opts: {o: "1"}, template_driver: golang}
configs:
  nginx: {file: ./nginx.conf}
  inline: {content: "hello $$x"}
  fromenv: {environment: CONF}
"#,
    )
    .expect("loads");
    let s = &p.secrets;
    assert_eq!(
        s["db_pass"],
        FileSource::File(p.working_dir.join("secrets/db.txt"))
    );
    assert!(matches!(&s["api"], FileSource::Environment { var, value: None } if var == "API_KEY"));
    assert_eq!(s["ext"], FileSource::External("ext".into()));
    assert_eq!(s["named"], FileSource::External("real".into()));
    assert!(s["ext"].unavailable().is_some_and(|w| w.contains("Swarm")));
    assert_eq!(s["own"], FileSource::File(p.working_dir.join("x")));
    assert_eq!(
        p.configs["inline"].value().map(Secret::expose),
        Some("hello $x")
    );
    assert!(matches!(&p.configs["fromenv"], FileSource::Environment { var, .. } if var == "CONF"));
    // Accepted with a warning each: refused only when a container using one is created.
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("external (secrets.ext, secrets.named): only Swarm")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("API_KEY")),
        "{:?}",
        p.warnings
    );
    let web = &p.services[0];
    assert_eq!(
        web.secrets,
        vec![
            FileRef {
                source: "db_pass".into(),
                target: "/run/secrets/db_pass".into(),
                uid: None,
                gid: None,
                mode: None,
            },
            FileRef {
                source: "api".into(),
                target: "/run/secrets/api_key".into(),
                uid: Some("100".into()),
                gid: Some("101".into()),
                mode: Some(0o440),
            },
        ]
    );
    assert_eq!(web.configs[0].target, "/nginx");
    assert_eq!(web.configs[1].target, "/etc/app.conf");
    assert_eq!(web.configs[1].mode, Some(0o644));
}

#[test]
fn network_ipam_is_read() {
    let p = load_one(
        r#"
services:
  web: {image: x, networks: [back]}
networks:
  back:
    ipam:
      driver: default
      options: {foo: bar}
      config:
        - subnet: 172.28.0.0/16
          ip_range: 172.28.5.0/24
          gateway: 172.28.5.254
          aux_addresses: {host1: 172.28.1.5}
"#,
    )
    .expect("loads");
    let ipam = p.networks["back"].ipam.clone().expect("ipam");
    assert_eq!(ipam.driver.as_deref(), Some("default"));
    assert_eq!(ipam.options.get("foo").map(String::as_str), Some("bar"));
    assert_eq!(ipam.config[0].subnet.as_deref(), Some("172.28.0.0/16"));
    assert_eq!(ipam.config[0].ip_range.as_deref(), Some("172.28.5.0/24"));
    assert_eq!(ipam.config[0].gateway.as_deref(), Some("172.28.5.254"));
    assert_eq!(
        ipam.config[0]
            .aux_addresses
            .get("host1")
            .map(String::as_str),
        Some("172.28.1.5")
    );
}
