//! Every kind of refusal names the file, the line and the key.

use super::tests::{Fixture, load_one};

/// (line, key) of the error loading `text`, and checks it names the file.
fn where_(text: &str) -> (usize, String, String) {
    let err = load_one(text).expect_err("refused");
    assert!(err.file.ends_with("compose.yaml"), "{err}");
    (err.line, err.key, err.message)
}

#[test]
fn unknown_service_key() {
    let (line, key, message) = where_("services:\n  web:\n    image: x\n    privilegd: true\n");
    assert_eq!((line, key.as_str()), (4, "services.web.privilegd"));
    assert!(message.contains("unsupported key 'privilegd'"), "{message}");
}

#[test]
fn unknown_top_level_and_nested_keys() {
    let (line, key, _) = where_("services:\n  web: {image: x}\nsecretz:\n  s: {file: ./s}\n");
    assert_eq!((line, key.as_str()), (3, "secretz"));
    let (line, key, _) =
        where_("services:\n  web:\n    image: x\n    deploy:\n      placment: {}\n");
    assert_eq!((line, key.as_str()), (5, "services.web.deploy.placment"));
    let (line, key, _) = where_(
        "services:\n  web:\n    image: x\n    deploy:\n      resources:\n        reservationz: {}\n",
    );
    assert_eq!(
        (line, key.as_str()),
        (6, "services.web.deploy.resources.reservationz")
    );
    let (line, key, _) =
        where_("services:\n  web: {image: x}\nsecrets:\n  s: {file: ./s, contnet: x}\n");
    assert_eq!((line, key.as_str()), (4, "secrets.s.contnet"));
}

#[test]
fn build_keys_are_checked() {
    let (line, key, message) =
        where_("services:\n  web:\n    build:\n      context: .\n      dockerfil: X\n");
    assert_eq!((line, key.as_str()), (5, "services.web.build.dockerfil"));
    assert!(message.contains("unsupported key"), "{message}");
    let (line, key, message) = where_("services:\n  web:\n    image: x\n    secrets: [nope]\n");
    assert_eq!((line, key.as_str()), (4, "services.web.secrets[0]"));
    assert!(message.contains("not declared"), "{message}");
    // An external secret loads (with a warning); a container using it is refused on create.
    assert!(load_one("services:\n  web: {image: x}\nsecrets:\n  s:\n    external: true\n").is_ok());
}

#[test]
fn undeclared_secret_and_config_and_sourceless_ones() {
    let (line, key, message) = where_("services:\n  web:\n    image: x\n    secrets: [s]\n");
    assert_eq!((line, key.as_str()), (4, "services.web.secrets[0]"));
    assert!(message.contains("secret 's' is not declared"), "{message}");
    let (line, key, message) =
        where_("services:\n  web:\n    image: x\n    configs: [c]\nconfigs:\n  d: {content: x}\n");
    assert_eq!((line, key.as_str()), (4, "services.web.configs[0]"));
    assert!(message.contains("config 'c' is not declared"), "{message}");
    let (line, key, message) =
        where_("services:\n  web: {image: x}\nsecrets:\n  s: {labels: {a: b}}\n");
    assert_eq!((line, key.as_str()), (4, "secrets.s"));
    assert!(message.contains("needs one of"), "{message}");
}

#[test]
fn service_without_image() {
    let (line, key, _) = where_("services:\n  web:\n    command: [x]\n");
    assert_eq!((line, key.as_str()), (3, "services.web.image"));
}

#[test]
fn bad_yaml() {
    let (line, key, message) = where_("services:\n  web:\n    image: x\n    ports: [80\n");
    assert!(line >= 4, "{line}");
    assert!(key.starts_with("services.web.ports"), "{key}");
    assert!(message.starts_with("bad YAML"), "{message}");
    let (line, _, message) = where_("services:\n  web:\n    image: x\n    image: y\n");
    assert_eq!(line, 4);
    assert!(message.contains("duplicate key 'image'"), "{message}");
}

#[test]
fn bad_yaml_at_the_end_names_a_line_of_the_file() {
    // Found by fuzz/compose_parse: a file cut off inside a flow mapping, no final newline,
    // was refused at line 3 of a two-line file.
    let (line, _, message) = where_("services:\n  web: {image: x");
    assert!(message.starts_with("bad YAML"), "{message}");
    assert_eq!(line, 2);
    let (line, _, _) = where_("services:\n  web: {image: x\n");
    assert_eq!(line, 3, "the end is on the line after the final newline");
    // Line breaks count as YAML counts them: a lone CR (and CRLF) is one.
    let (line, _, _) = where_("services:\r  web: {image: x");
    assert_eq!(line, 2);
    let (line, _, _) = where_("services:\r\n  web:\r\n    image: {x: y");
    assert_eq!(line, 3);
}

#[test]
fn unset_required_variable() {
    let (line, key, message) = where_(
        "services:\n  web:\n    image: x\n    environment:\n      TOKEN: ${TOKEN:?set TOKEN first}\n",
    );
    assert_eq!((line, key.as_str()), (5, "services.web.environment.TOKEN"));
    assert!(message.contains("set TOKEN first"), "{message}");
    let (line, key, _) = where_("services:\n  web:\n    image: ${IMG?}\n");
    assert_eq!((line, key.as_str()), (3, "services.web.image"));
}

#[test]
fn invalid_template() {
    let (line, key, message) = where_("services:\n  web:\n    image: x\n    command: echo $1\n");
    assert_eq!((line, key.as_str()), (4, "services.web.command"));
    assert!(message.contains("invalid interpolation"), "{message}");
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        ("    restart: sometimes\n", "services.web.restart"),
        ("    ports: [\"99999:80\"]\n", "services.web.ports[0]"),
        ("    volumes: [\"data:/data\"]\n", "services.web.volumes[0]"),
        (
            "    volumes: [\"./x:relative\"]\n",
            "services.web.volumes[0]",
        ),
        ("    networks: [nowhere]\n", "services.web.networks.nowhere"),
        ("    shm_size: lots\n", "services.web.shm_size"),
        (
            "    stop_grace_period: soon\n",
            "services.web.stop_grace_period",
        ),
        ("    read_only: maybe\n", "services.web.read_only"),
        ("    pull_policy: sometimes\n", "services.web.pull_policy"),
        ("    depends_on: [ghost]\n", "services.web.depends_on.ghost"),
        (
            "    depends_on: {x: {condition: soon}}\n",
            "services.web.depends_on.x.condition",
        ),
        (
            "    scale: 2\n    deploy: {replicas: 3}\n",
            "services.web.scale",
        ),
        (
            "    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n",
            "services.web.mem_limit",
        ),
        (
            "    container_name: c\n    scale: 2\n",
            "services.web.container_name",
        ),
        (
            "    network_mode: host\n    networks: [default]\n",
            "services.web.network_mode",
        ),
        (
            "    healthcheck: {test: x, every: 1s}\n",
            "services.web.healthcheck.every",
        ),
    ];
    for (extra, want) in cases {
        let text = format!("services:\n  web:\n    image: x\n{extra}");
        let err = load_one(&text).expect_err(extra);
        assert_eq!(err.key, want, "{extra}: {err}");
        assert!(err.line >= 4, "{extra}: {err}");
    }
}

#[test]
fn dependency_cycle_is_named() {
    let err = load_one(
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
    )
    .expect_err("cycle");
    assert!(err.message.contains("a -> b -> c -> a"), "{err}");
    assert_eq!((err.line, err.key.as_str()), (2, "services.a.depends_on"));
}

#[test]
fn an_error_in_the_second_file_names_it_and_refuses_the_set() {
    let fx = Fixture::new(
        "app",
        &[
            ("compose.yaml", "services:\n  web: {image: x}\n"),
            ("override.yaml", "services:\n  web:\n    bogus: 1\n"),
        ],
    );
    let err = fx
        .load(&["compose.yaml", "override.yaml"], &[])
        .expect_err("refused");
    assert!(err.file.ends_with("override.yaml"), "{err}");
    assert_eq!((err.line, err.key.as_str()), (3, "services.web.bogus"));
}

#[test]
fn unreadable_files_and_bad_env_files() {
    let fx = Fixture::new(
        "app",
        &[(
            "compose.yaml",
            "services:\n  web: {image: x, env_file: nope.env}\n",
        )],
    );
    let err = fx.load(&["missing.yaml"], &[]).expect_err("missing");
    assert_eq!(err.line, 0);
    let err = fx
        .load(&["compose.yaml"], &[])
        .expect_err("env_file missing");
    assert_eq!((err.line, err.key.as_str()), (2, "services.web.env_file"));

    let fx = Fixture::new(
        "app",
        &[
            ("compose.yaml", "services:\n  web: {image: x}\n"),
            (".env", "OK=1\nBROKEN=\"open\n"),
        ],
    );
    let err = fx.load(&["compose.yaml"], &[]).expect_err(".env");
    assert!(err.file.ends_with(".env"), "{err}");
    assert_eq!((err.line, err.key.as_str()), (2, "BROKEN"));
}

#[test]
fn display_names_file_line_and_key() {
    let err =
        load_one("services:\n  web:\n    image: x\n    privilegd: true\n").expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("compose.yaml:4: services.web.privilegd: unsupported key"),
        "{text}"
    );
}

#[test]
fn nested_aliases_that_multiply_are_refused() {
    // Six levels of ten: a million values from a few hundred bytes (found by fuzzing).
    let mut text = String::from("x-a: &a [v, v, v, v, v, v, v, v, v, v]\n");
    for (prev, name) in ["a", "b", "c", "d", "e"]
        .iter()
        .zip(["b", "c", "d", "e", "f"])
    {
        let items = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("x-{name}: &{name} [{items}]\n"));
    }
    text.push_str("services:\n  web:\n    image: x\n");
    let (line, _, message) = where_(&text);
    assert!(message.contains("aliases copy more than"), "{message}");
    assert!((4..=6).contains(&line), "line {line}");
    // A few aliases, as compose files use them, are fine.
    let fine = "x-env: &env {A: '1'}\nservices:\n  web:\n    image: x\n    environment: *env\n  db:\n    image: x\n    environment: *env\n";
    assert!(load_one(fine).is_ok());
}
