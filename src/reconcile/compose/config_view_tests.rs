//! `fleetdeck config`'s view: the normalised project written as a compose file loads again
//! into the same project; the YAML writer quotes what YAML would misread.

use std::time::Duration;

use serde_json::json;

use super::config_view::{config_view, duration_text};
use super::tests::Fixture;
use super::yaml_out::to_yaml;
use super::*;

fn every_key() -> Project {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/every-key");
    let mut opts = LoadOptions {
        files: vec![dir.join("compose.yaml")],
        profiles: vec!["all".into()],
        ..LoadOptions::default()
    };
    opts.env.insert("HOME".into(), "/home/me".into());
    load(&opts).expect("loads")
}

fn reload(text: &str) -> Project {
    let fx = Fixture::new("again", &[("compose.yaml", text)]);
    let mut opts = fx.opts(&["compose.yaml"], &[("HOME", "/home/me")]);
    opts.profiles = vec!["all".into()];
    load(&opts).unwrap_or_else(|e| panic!("the output loads again: {e}\n{text}"))
}

fn assert_same(a: &Project, b: &Project) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.networks, b.networks);
    assert_eq!(a.volumes, b.volumes);
    // A `content:` value is printed masked (values are never shown): compare the sources as
    // they serialise, masked, so the round trip checks everything but those values.
    assert_eq!(json!(a.secrets), json!(b.secrets));
    assert_eq!(json!(a.configs), json!(b.configs));
    // The output keys services by name: compare them in that order.
    let sorted = |p: &Project| {
        let mut s = p.services.clone();
        s.sort_by(|x, y| x.name.cmp(&y.name));
        // The BuildKit-only build keys are said in the warnings and left out of the output.
        for b in s.iter_mut().filter_map(|x| x.build.as_mut()) {
            b.ignored.clear();
        }
        s
    };
    let (x, y) = (sorted(a), sorted(b));
    assert_eq!(x.len(), y.len());
    for (x, y) in x.iter().zip(&y) {
        assert_eq!(x, y, "service {}", x.name);
    }
}

#[test]
fn the_yaml_output_loads_again_into_the_same_project() {
    let p = every_key();
    let text = to_yaml(&config_view(&p));
    assert_same(&p, &reload(&text));
}

#[test]
fn the_json_output_loads_again_into_the_same_project() {
    // JSON is YAML: the --json output is a compose file too.
    let p = every_key();
    let text = config_view(&p).to_string();
    assert_same(&p, &reload(&text));
}

#[test]
fn values_yaml_would_misread_are_quoted() {
    let v = json!({
        "a": "yes", "b": "1.5", "c": "", "d": "x: y", "e": "#x", "f": "plain/path-1",
        "g": "null", "h": "two\nlines", "i": " lead", "1": "k",
    });
    let text = to_yaml(&v);
    for line in [
        "a: \"yes\"",
        "b: \"1.5\"",
        "c: \"\"",
        "d: \"x: y\"",
        "e: \"#x\"",
        "f: plain/path-1",
        "g: \"null\"",
        "h: \"two\\nlines\"",
        "i: \" lead\"",
        "\"1\": k",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
}

#[test]
fn durations_are_written_as_compose_writes_them() {
    assert_eq!(duration_text(Duration::from_secs(90)), "1m30s");
    assert_eq!(duration_text(Duration::from_secs(3725)), "1h2m5s");
    assert_eq!(duration_text(Duration::from_millis(500)), "500ms");
    assert_eq!(duration_text(Duration::ZERO), "0s");
}

#[test]
fn dollars_are_escaped_and_defaults_filled() {
    let p = tests::load_one("services:\n  web:\n    image: x\n    environment: {A: \"$$HOME\"}\n")
        .expect("loads");
    let text = to_yaml(&config_view(&p));
    assert!(text.contains("A: \"$$HOME\""), "{text}");
    assert!(text.contains("replicas: 1"), "{text}");
    assert!(text.contains("name: app_default"), "{text}");
    assert_same(&p, &reload(&text));
}
