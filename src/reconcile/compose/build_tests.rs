//! `build:`, `secrets:` and `configs:` as the loader reads them.

use super::tests::{Fixture, load_one};
use super::*;

#[test]
fn build_without_image_names_the_image_project_service() {
    let p = load_one("services:\n  web:\n    build: ./web\n").expect("loads");
    let web = &p.services[0];
    assert_eq!(web.image, "app-web", "compose v2's name");
    let build = web.build.as_ref().expect("a build");
    assert!(build.context.ends_with("app/web"), "{build:?}");
    assert_eq!(build.dockerfile, "Dockerfile");
}

#[test]
fn every_build_key_of_the_classic_builder_is_read() {
    let text = "services:\n  web:\n    image: me/web:1\n    pull_policy: build\n    build:\n      context: ctx\n      dockerfile: df/Dockerfile.dev\n      args:\n        A: one\n        FROM_ENV:\n        UNSET:\n      target: dev\n      labels: [x=y]\n      network: none\n      shm_size: 64m\n      extra_hosts: [\"db:10.0.0.2\"]\n      cache_from: [me/web:cache]\n      no_cache: true\n      pull: true\n      ssh: [default]\n";
    let fx = Fixture::new("app", &[("compose.yaml", text)]);
    let p = fx
        .load(&["compose.yaml"], &[("FROM_ENV", "env-value")])
        .expect("loads");
    let web = &p.services[0];
    assert_eq!(web.pull_policy, PullPolicy::Build);
    let b = web.build.as_ref().expect("a build");
    assert_eq!(b.context, fx.dir.join("ctx"));
    assert_eq!(b.dockerfile, "df/Dockerfile.dev");
    assert_eq!(b.args.get("A").map(String::as_str), Some("one"));
    assert_eq!(
        b.args.get("FROM_ENV").map(String::as_str),
        Some("env-value")
    );
    assert!(
        !b.args.contains_key("UNSET"),
        "an unset argument is left out"
    );
    assert_eq!(b.target.as_deref(), Some("dev"));
    assert_eq!(b.labels.get("x").map(String::as_str), Some("y"));
    assert_eq!(b.network.as_deref(), Some("none"));
    assert_eq!(b.shm_size, Some(64 * 1024 * 1024));
    assert_eq!(b.extra_hosts, vec!["db:10.0.0.2".to_string()]);
    assert_eq!(b.cache_from, vec!["me/web:cache".to_string()]);
    assert!(b.no_cache && b.pull);
    assert_eq!(b.ignored, vec!["ssh".to_string()]);
}

#[test]
fn dockerfile_inline_is_kept() {
    let p = load_one(
        "services:\n  web:\n    build:\n      dockerfile_inline: |\n        FROM scratch\n",
    )
    .expect("loads");
    let b = p.services[0].build.as_ref().expect("a build");
    assert_eq!(b.dockerfile_inline.as_deref(), Some("FROM scratch\n"));
}

#[test]
fn secrets_and_configs_get_compose_targets_and_masked_values() {
    let text = "services:\n  web:\n    image: x\n    secrets:\n      - token\n      - source: api\n        target: api_key\n        uid: \"1000\"\n        mode: 0440\n    configs:\n      - app\n      - source: inline\n        target: /etc/inline.conf\nsecrets:\n  token:\n    file: ./token.txt\n  api:\n    environment: API_KEY\nconfigs:\n  app:\n    file: ./app.conf\n  inline:\n    content: \"hello ${WHO}\"\n";
    let fx = Fixture::new("app", &[("compose.yaml", text)]);
    let p = fx
        .load(&["compose.yaml"], &[("API_KEY", "k-123"), ("WHO", "you")])
        .expect("loads");
    let web = &p.services[0];
    let targets: Vec<&str> = web.secrets.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["/run/secrets/token", "/run/secrets/api_key"]);
    assert_eq!(web.secrets[1].uid.as_deref(), Some("1000"));
    assert_eq!(web.secrets[1].mode, Some(0o440));
    let targets: Vec<&str> = web.configs.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["/app", "/etc/inline.conf"]);
    assert_eq!(
        p.secrets.get("token"),
        Some(&FileSource::File(fx.dir.join("token.txt")))
    );
    match p.secrets.get("api") {
        Some(FileSource::Environment {
            var,
            value: Some(v),
        }) => assert_eq!((var.as_str(), v.expose()), ("API_KEY", "k-123")),
        other => panic!("{other:?}"),
    }
    match p.configs.get("inline") {
        Some(FileSource::Value(v)) => assert_eq!(v.expose(), "hello you"),
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_string(&p).expect("serialises");
    let debug = format!("{p:?}");
    // `fleetdeck config` shows the variable's name and a masked content, never a value.
    let config = super::config_view::config_view(&p).to_string();
    for shown in [json, debug, config] {
        assert!(
            !shown.contains("k-123") && !shown.contains("hello you"),
            "{shown}"
        );
        assert!(shown.contains(secrets::MASK));
    }
}

#[test]
fn an_environment_secret_needs_its_variable() {
    // Accepted at load with a warning naming the variable; refused for a container using it.
    let text = "services:\n  web: {image: x, secrets: [s]}\n  other: {image: x}\nsecrets:\n  s:\n    environment: NOPE_UNSET\n";
    let p = load_one(text).expect("loads");
    assert!(
        p.warnings.iter().any(|w| w.contains("NOPE_UNSET")),
        "{:?}",
        p.warnings
    );
    let why = |name: &str| {
        let spec = p.service(name).expect("a service");
        crate::reconcile::files::unavailable(&p, spec)
    };
    let refused = why("web").expect("web is refused");
    assert!(
        refused.contains("secret 's'") && refused.contains("NOPE_UNSET"),
        "{refused}"
    );
    assert_eq!(why("other"), None);
}
