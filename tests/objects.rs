//! The host's objects against the real daemon: `images --json` against `docker images -a`, a
//! dangling image made by building one tag twice, `prune images` (dry run, then for real)
//! keeping every image in use, `prune volumes` keeping named and in-use volumes, and `df
//! --json` against the API's `LayersSize`. Everything made here carries the test run's label,
//! and every prune is narrowed to it (`--filter label=...`): a test never removes what another
//! test (or another user of the daemon) made. The shared test image is checked to stay.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use common::binary::Sandbox;
use common::keeper::Following;
use common::{Fixture, IMAGE};
use serde_json::Value;

/// Removes the images, containers and volumes labelled with the test's run, also when the test
/// fails.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        common::sweep(&self.0, true);
        let filter = format!("label={}", self.0);
        let ids = docker(&["images", "-aq", "--no-trunc", "--filter", &filter]);
        for id in ids.split_whitespace() {
            let _ = Command::new("docker").args(["rmi", "-f", id]).output();
        }
    }
}

/// `docker ARGS`; its stdout (the test's own view of the daemon).
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds `tag` FROM the test image with `content` in a layer and the run label; its id.
fn build(tag: &str, content: &str, label: &str) -> String {
    let dockerfile = format!("FROM {IMAGE}\nRUN echo {content} > /content\n");
    let mut child = Command::new("docker")
        .args(["build", "-q", "-t", tag, "--label", label, "-"])
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker build runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("build stdin");
        stdin
            .write_all(dockerfile.as_bytes())
            .expect("write the Dockerfile");
    }
    let out = child.wait_with_output().expect("docker build ends");
    assert!(
        out.status.success(),
        "build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(id.starts_with("sha256:"), "an image id: {id}");
    id
}

fn image_exists(id: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", id])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn volume_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["volume", "inspect", name])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ids_of(rows: &Value) -> BTreeSet<String> {
    rows.as_array()
        .expect("a JSON array")
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_string())
        .collect()
}

fn docker_image_ids() -> BTreeSet<String> {
    docker(&["images", "-aq", "--no-trunc"])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn images_json_is_docker_images_a_and_marks_the_dangling_one() {
    let fx = Fixture::new("objects-images").await;
    let _clean = Cleanup(fx.run_label());
    let tag = format!("{}-img:latest", fx.prefix);
    let first = build(&tag, "one", &fx.run_label());
    let second = build(&tag, "two", &fx.run_label());
    assert_ne!(first, second);
    let sandbox = Sandbox::new();

    // Other tests build and remove images meanwhile: compare when docker's list held still
    // around fleetdeck's.
    let mut compared = false;
    let mut rows = Value::Null;
    for _ in 0..20 {
        let before = docker_image_ids();
        rows = sandbox.run(&["images", "--json"]).expect_code(0).json();
        let after = docker_image_ids();
        if before == after {
            assert_eq!(
                ids_of(&rows),
                before,
                "images --json lists what docker images -a lists"
            );
            compared = true;
            break;
        }
    }
    assert!(compared, "docker's image list never held still for one run");
    let row = |id: &str| -> Value {
        rows.as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    let old = row(&first);
    assert_eq!(old["dangling"], true, "{old}");
    assert_eq!(old["tags"], serde_json::json!([]));
    let new = row(&second);
    assert_eq!(new["dangling"], false);
    assert_eq!(new["tags"], serde_json::json!([tag]));
    assert_eq!(new["containers"], 0);
    assert!(new["size"].as_u64().is_some_and(|s| s > 0), "{new}");
    let base = rows
        .as_array()
        .and_then(|r| {
            r.iter().find(|r| {
                r["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == IMAGE))
            })
        })
        .expect("the test image is listed");
    assert_eq!(base["dangling"], false);
}

#[tokio::test]
async fn prune_images_previews_exactly_the_dangling_ones_then_removes_them_and_keeps_those_in_use()
{
    let fx = Fixture::new("objects-prune-images").await;
    let _clean = Cleanup(fx.run_label());
    let label = fx.run_label();
    let free_tag = format!("{}-free:latest", fx.prefix);
    let used_tag = format!("{}-used:latest", fx.prefix);
    let dangling = build(&free_tag, "a1", &label);
    let kept_tagged = build(&free_tag, "a2", &label);
    let in_use = build(&used_tag, "b1", &label);
    // A container made from the image, then the tag moved on: dangling, but in use.
    docker(&[
        "create",
        "--label",
        &label,
        "--network",
        "none",
        &in_use,
        "true",
    ]);
    let retagged = build(&used_tag, "b2", &label);
    let filter = format!("label={label}");
    let sandbox = Sandbox::new();

    let preview = sandbox
        .run(&[
            "prune",
            "images",
            "--filter",
            &filter,
            "--dry-run",
            "--json",
        ])
        .expect_code(0)
        .json();
    let listed: Vec<&str> = preview["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        listed,
        [dangling.as_str()],
        "exactly the dangling image not in use: {preview}"
    );
    assert_eq!(preview["dry_run"], true);
    for id in [&dangling, &kept_tagged, &in_use, &retagged] {
        assert!(image_exists(id), "a dry run removes nothing ({id})");
    }
    assert!(sandbox.audit_lines().is_empty(), "a dry run audits nothing");

    let done = sandbox
        .run(&["prune", "images", "--filter", &filter, "--yes", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(done["items"][0]["id"], dangling.as_str(), "{done}");
    assert_eq!(done["items"][0]["outcome"], "removed", "{done}");
    assert!(!image_exists(&dangling), "the dangling image went");
    for id in [&kept_tagged, &in_use, &retagged] {
        assert!(image_exists(id), "{id} stays (tagged, or in use)");
    }
    assert!(image_exists(IMAGE), "the shared test image stays");
    let audit = sandbox.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l["action"] == "rmi" && l["target_id"] == dangling.as_str()),
        "the removal is audited: {audit:?}"
    );

    // Read-only refuses, and says so with exit 4.
    build(&free_tag, "a3", &label);
    let refused = sandbox.run(&[
        "--read-only",
        "prune",
        "images",
        "--filter",
        &filter,
        "--yes",
    ]);
    refused.expect_code(4);
}

/// A volume labelled with the run; `anonymous` ones get a 64-hex name and Docker's label.
fn volume(label: &str, name: &str, anonymous: bool) -> String {
    let mut args = vec!["volume", "create", "--label", label];
    if anonymous {
        args.extend(["--label", "com.docker.volume.anonymous="]);
    }
    args.push(name);
    docker(&args).trim().to_string()
}

fn random_hex(fx: &Fixture, n: u8) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < 64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write(fx.run.as_bytes());
        h.write_u8(n);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(64);
    out
}

#[tokio::test]
async fn prune_volumes_removes_unused_anonymous_ones_and_keeps_named_and_used_ones() {
    let fx = Fixture::new("objects-prune-volumes").await;
    let _clean = Cleanup(fx.run_label());
    let label = fx.run_label();
    let anonymous = volume(&label, &random_hex(&fx, 1), true);
    let used_anonymous = volume(&label, &random_hex(&fx, 2), true);
    let named = volume(&label, &fx.name("named"), false);
    let used_named = volume(&label, &fx.name("used"), false);
    for v in [&used_anonymous, &used_named] {
        docker(&[
            "create",
            "--label",
            &label,
            "--network",
            "none",
            "-v",
            &format!("{v}:/data"),
            IMAGE,
            "true",
        ]);
    }
    let filter = format!("label={label}");
    let sandbox = Sandbox::new();

    let listed = sandbox
        .run(&["volumes", "--filter", &filter, "--json"])
        .expect_code(0)
        .json();
    let kind = |name: &str| {
        listed
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .map(|r| (r["anonymous"].clone(), r["containers"].clone()))
    };
    assert_eq!(
        kind(&anonymous),
        Some((Value::Bool(true), 0.into())),
        "{listed}"
    );
    assert_eq!(
        kind(&used_named),
        Some((Value::Bool(false), 1.into())),
        "{listed}"
    );

    let preview = sandbox
        .run(&[
            "prune",
            "volumes",
            "--filter",
            &filter,
            "--dry-run",
            "--json",
        ])
        .expect_code(0)
        .json();
    let ids: Vec<&str> = preview["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [anonymous.as_str()], "{preview}");

    sandbox
        .run(&["prune", "volumes", "--filter", &filter, "--yes"])
        .expect_code(0);
    assert!(
        !volume_exists(&anonymous),
        "the unused anonymous volume went"
    );
    for v in [&used_anonymous, &named, &used_named] {
        assert!(volume_exists(v), "{v} stays");
    }

    sandbox
        .run(&["prune", "volumes", "--all", "--filter", &filter, "--yes"])
        .expect_code(0);
    assert!(
        !volume_exists(&named),
        "with --all the unused named volume went"
    );
    for v in [&used_anonymous, &used_named] {
        assert!(volume_exists(v), "{v} is in use: it stays");
    }
}

/// `GET /system/df` of the daemon, as the API answers it (the test's own reading).
fn api_layers_size() -> u64 {
    let out = docker_api("/system/df");
    out["LayersSize"]
        .as_u64()
        .expect("LayersSize in the answer")
}

fn docker_api(path: &str) -> Value {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    let out = Command::new("curl")
        .args([
            "-s",
            "--unix-socket",
            &socket,
            &format!("http://localhost/v1.41{path}"),
        ])
        .output()
        .expect("curl runs");
    serde_json::from_slice(&out.stdout).expect("the API answers JSON")
}

#[tokio::test]
async fn df_json_images_size_is_the_api_layers_size() {
    let fx = Fixture::new("objects-df").await;
    let _clean = Cleanup(fx.run_label());
    let sandbox = Sandbox::new();
    let mut compared = false;
    for _ in 0..20 {
        let before = api_layers_size();
        let df = sandbox.run(&["df", "--json"]).expect_code(0).json();
        let after = api_layers_size();
        for key in ["images", "containers", "volumes", "build_cache"] {
            for field in ["count", "size", "reclaimable"] {
                assert!(df[key][field].is_u64(), "{key}.{field} in {df}");
            }
        }
        if before == after {
            assert_eq!(df["images"]["size"].as_u64(), Some(before), "{df}");
            compared = true;
            break;
        }
    }
    assert!(compared, "LayersSize never held still for one run");
}

#[tokio::test]
async fn triage_flags_the_data_disk_against_its_free_space() {
    let sandbox = Sandbox::new();
    // Any real disk has less than 100% free: the rule must fire, naming the data root.
    std::fs::write(
        sandbox.config_path(),
        "[triage]\ndisk_free_min_pct = 100.0\nreclaimable_max_gib = 1000000.0\n",
    )
    .expect("write the config");
    let root = docker(&["info", "--format", "{{.DockerRootDir}}"])
        .trim()
        .to_string();
    let report = sandbox.run(&["triage", "--json"]).expect_code(6).json();
    let disk = report["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["kind"] == "disk_nearly_full"))
        .unwrap_or_else(|| panic!("a data-disk problem: {report}"));
    assert_eq!(disk["subject"], root.as_str(), "{disk}");
    assert!(
        disk["reason"]
            .as_str()
            .is_some_and(|r| r.contains("free of")),
        "{disk}"
    );
}

#[tokio::test]
async fn the_keepers_gc_removes_dangling_images_when_configured_and_audits_it() {
    let fx = Fixture::new("objects-keeper-gc").await;
    let _clean = Cleanup(fx.run_label());
    let label = fx.run_label();
    let tag = format!("{}-gc:latest", fx.prefix);
    let dangling = build(&tag, "g1", &label);
    let tagged = build(&tag, "g2", &label);
    let sandbox = Sandbox::new();
    // GC every second, images narrowed to this test's: never another test's dangling image.
    std::fs::write(
        sandbox.config_path(),
        format!(
            "[keeper]\ngc_interval = \"1s\"\nreconcile_interval = \"1h\"\n\n\
             [gc]\nimages = \"dangling\"\nimage_labels = [\"{label}\"]\n"
        ),
    )
    .expect("write the config");
    let mut keeper = Following::spawn(&sandbox, &["keep", "--json"]);
    keeper.wait_for("the dangling image's removal", 1, |l| {
        l["decision"] == "gc_remove" && l["id"] == dangling.as_str()
    });
    keeper.terminate();
    assert!(!image_exists(&dangling), "the dangling image went");
    assert!(image_exists(&tagged), "the tagged one stays");
    assert!(image_exists(IMAGE), "the shared test image stays");
    let audit = sandbox.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l["action"] == "rmi" && l["target_id"] == dangling.as_str()),
        "audited: {audit:?}"
    );
}
