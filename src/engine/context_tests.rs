//! The docker CLI's contexts and environment, read from a temp config dir laid out as
//! `docker context create` (docker 28) writes it, and from variables passed in.

use std::collections::HashMap;
use std::path::Path;

use super::*;

/// What `docker context create edge --docker host=tcp://10.0.0.7:2376,ca=..,cert=..,key=..`
/// wrote (the digest is sha256("edge"), as seen in the real store).
const EDGE_DIGEST: &str = "a1cb100f57e971cacf269e7c26e4630a25a8e9d4bdd35e32df1a80b66b896254";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A context as the docker CLI stores it; `tls` writes the three files.
fn store(dir: &Path, name: &str, host: &str, skip_verify: bool, tls: bool) {
    let digest = format!("{:x}", Sha256::digest(name.as_bytes()));
    write(
        &dir.join("contexts/meta").join(&digest).join("meta.json"),
        &format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":{skip_verify}}}}}}}"#
        ),
    );
    if tls {
        for file in ["ca.pem", "cert.pem", "key.pem"] {
            write(
                &dir.join("contexts/tls")
                    .join(&digest)
                    .join("docker")
                    .join(file),
                "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            );
        }
    }
}

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned().filter(|v| !v.is_empty())
}

#[test]
fn a_tls_context_gives_its_host_its_files_and_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    store(dir.path(), "edge", "tcp://10.0.0.7:2376", false, true);
    assert!(
        dir.path()
            .join("contexts/meta")
            .join(EDGE_DIGEST)
            .join("meta.json")
            .is_file(),
        "the meta store is keyed by the name's sha256"
    );
    let spec = context_in(dir.path(), "edge").expect("edge");
    assert_eq!(spec.name, "edge");
    assert_eq!(spec.url, "tcp://10.0.0.7:2376");
    assert_eq!(spec.origin, "context edge");
    assert!(spec.tls_verify);
    let tls_dir = dir
        .path()
        .join("contexts/tls")
        .join(EDGE_DIGEST)
        .join("docker");
    assert_eq!(spec.tls, Some(TlsFiles::in_dir(&tls_dir)));
    assert!(spec.is_tls() && !spec.skips_verification());
}

#[test]
fn an_ssh_context_and_one_that_skips_verification() {
    let dir = tempfile::tempdir().expect("temp dir");
    store(dir.path(), "sky", "ssh://ops@sky:2222", true, false);
    let spec = context_in(dir.path(), "sky").expect("sky");
    assert_eq!(
        (spec.name.as_str(), spec.url.as_str()),
        ("sky", "ssh://ops@sky:2222")
    );
    assert_eq!(spec.tls, None);
    assert!(spec.is_ssh() && !spec.is_tls());

    store(dir.path(), "lax", "tcp://10.0.0.8:2376", true, true);
    let spec = context_in(dir.path(), "lax").expect("lax");
    assert!(spec.skips_verification());
}

#[test]
fn a_context_name_becomes_a_host_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    store(dir.path(), "prod+eu", "unix:///run/eu.sock", false, false);
    let spec = context_in(dir.path(), "prod+eu").expect("context");
    assert_eq!(spec.name, "prod-eu");
    assert_eq!(spec.url, "unix:///run/eu.sock");
}

#[test]
fn missing_and_unreadable_contexts_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = context_in(dir.path(), "nope").expect_err("no such context");
    let text = err.to_string();
    assert!(
        text.contains("docker context 'nope'") && text.contains("no such context"),
        "{text}"
    );

    let digest = format!("{:x}", Sha256::digest(b"broken"));
    write(
        &dir.path()
            .join("contexts/meta")
            .join(&digest)
            .join("meta.json"),
        "{not json",
    );
    let text = context_in(dir.path(), "broken")
        .expect_err("bad meta")
        .to_string();
    assert!(
        text.contains("'broken'") && text.contains("cannot read") && text.contains("meta.json"),
        "{text}"
    );

    let digest = format!("{:x}", Sha256::digest(b"k8s"));
    write(
        &dir.path()
            .join("contexts/meta")
            .join(&digest)
            .join("meta.json"),
        r#"{"Name":"k8s","Metadata":{},"Endpoints":{}}"#,
    );
    let text = context_in(dir.path(), "k8s")
        .expect_err("no docker endpoint")
        .to_string();
    assert!(text.contains("no docker endpoint"), "{text}");

    store(dir.path(), "odd", "ftp://x", false, false);
    let text = context_in(dir.path(), "odd")
        .expect_err("bad host")
        .to_string();
    assert!(text.contains("'odd'") && text.contains("ftp://x"), "{text}");
}

#[test]
fn the_current_context_comes_from_the_variable_then_the_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(
        current_in(None, Some(dir.path())),
        Ok(None),
        "no config.json"
    );
    write(
        &dir.path().join("config.json"),
        "{\n\t\"auths\": {},\n\t\"currentContext\": \"edge\"\n}",
    );
    assert_eq!(current_in(None, Some(dir.path())), Ok(Some("edge".into())));
    assert_eq!(
        current_in(Some("sky".into()), Some(dir.path())),
        Ok(Some("sky".into()))
    );
    assert_eq!(
        current_in(Some("default".into()), Some(dir.path())),
        Ok(None)
    );
    write(
        &dir.path().join("config.json"),
        "{\"currentContext\": \"default\"}",
    );
    assert_eq!(current_in(None, Some(dir.path())), Ok(None));
    write(&dir.path().join("config.json"), "{\"auths\": {}}");
    assert_eq!(current_in(None, Some(dir.path())), Ok(None));
    write(&dir.path().join("config.json"), "{oops");
    let err = current_in(None, Some(dir.path())).expect_err("bad config.json");
    assert!(err.to_string().contains("config.json"), "{err}");
}

#[test]
fn docker_host_with_tls_variables() {
    let plain = from_env_with(&vars(&[("DOCKER_HOST", "tcp://10.0.0.7:2375")]))
        .expect("ok")
        .expect("a host");
    assert_eq!(plain.tls, None);
    assert!(!plain.is_tls());

    let verified = from_env_with(&vars(&[
        ("DOCKER_HOST", "tcp://10.0.0.7:2376"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/certs"),
    ]))
    .expect("ok")
    .expect("a host");
    assert_eq!(verified.tls, Some(TlsFiles::in_dir(Path::new("/certs"))));
    assert!(verified.tls_verify && verified.is_tls());
    assert_eq!(verified.origin, "DOCKER_HOST");

    let from_config = from_env_with(&vars(&[
        ("DOCKER_HOST", "tcp://10.0.0.7:2376"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CONFIG", "/cfg"),
    ]))
    .expect("ok")
    .expect("a host");
    assert_eq!(from_config.tls, Some(TlsFiles::in_dir(Path::new("/cfg"))));

    let unverified = from_env_with(&vars(&[
        ("DOCKER_HOST", "tcp://10.0.0.7:2376"),
        ("DOCKER_TLS", "1"),
        ("DOCKER_CERT_PATH", "/certs"),
    ]))
    .expect("ok")
    .expect("a host");
    assert!(unverified.skips_verification());

    let unix = from_env_with(&vars(&[
        ("DOCKER_HOST", "unix:///tmp/d.sock"),
        ("DOCKER_TLS_VERIFY", "1"),
    ]))
    .expect("ok")
    .expect("a host");
    assert_eq!(unix.tls, None, "TLS is for tcp:// hosts");

    assert_eq!(from_env_with(&vars(&[("DOCKER_HOST", "")])), Ok(None));
    assert!(from_env_with(&vars(&[("DOCKER_HOST", "nonsense")])).is_err());
}

#[test]
fn a_host_flag_gets_tls_from_the_variables() {
    let mut spec = HostSpec::from_flag("tls=tcp://127.0.0.1:2376").expect("flag");
    apply_env_tls_with(&vars(&[]), &mut spec);
    assert_eq!(spec.tls, None);
    apply_env_tls_with(
        &vars(&[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", "/certs")]),
        &mut spec,
    );
    assert_eq!(spec.tls, Some(TlsFiles::in_dir(Path::new("/certs"))));
    assert_eq!(spec.name, "tls");
}
