//! `fleetdeck gc` against the real daemon, through the real binary: a `fleetdeck run` killed
//! with SIGKILL leaves its container, which the next GC removes (saying why); one whose owner
//! is alive stays; a container without fleetdeck's owner label stays; `--dry-run` removes
//! nothing and lists the same; a protected one stays until its time. Every test works in a
//! group of its own (`run --group`, `gc --group`), so that it never touches what another test
//! made; the guard removes what is left.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::binary::{Killed, Sandbox};
use common::{Fixture, IMAGE, Spec};
use serde_json::Value;

struct Gc {
    fixture: Fixture,
    sandbox: Sandbox,
}

impl Gc {
    async fn new(test: &str) -> Self {
        Self {
            fixture: Fixture::new(test).await,
            sandbox: Sandbox::new(),
        }
    }

    fn group(&self) -> String {
        self.fixture.prefix.clone()
    }

    /// A `fleetdeck run` of a long sleep in the group, left going; its container's id once
    /// it runs.
    async fn run(&self, suffix: &str, extra: &[&str]) -> (Killed, String) {
        let name = self.fixture.name(suffix);
        let label = self.fixture.run_label();
        let group = self.group();
        let mut args = vec![
            "run",
            "--name",
            &name,
            "--group",
            &group,
            "--label",
            &label,
            "--network",
            "none",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[IMAGE, "sleep", "300"]);
        let run = self.sandbox.spawn(&args);
        self.fixture
            .wait_for(&name, "running", |i| {
                i.state.as_ref().and_then(|s| s.running) == Some(true)
            })
            .await;
        let id = self
            .fixture
            .inspect(&name)
            .await
            .and_then(|i| i.id)
            .expect("an id");
        (run, id)
    }

    /// `gc --group G --json [extra]`: id → the listed item.
    fn gc(&self, extra: &[&str]) -> BTreeMap<String, Value> {
        let group = self.group();
        let mut args = vec!["gc", "--group", &group, "--json"];
        args.extend_from_slice(extra);
        let ran = self.sandbox.run(&args);
        ran.expect_code(0);
        ran.json()
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|i| (i["id"].as_str().unwrap_or_default().to_string(), i.clone()))
            .collect()
    }

    async fn exists(&self, id: &str) -> bool {
        self.fixture.inspect(id).await.is_some()
    }
}

/// SIGKILL: the run cannot remove its container.
fn kill_hard(run: Killed) {
    run.signal("KILL");
    let ran = run.finish();
    assert_eq!(ran.code, None, "killed by a signal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_removes_what_a_killed_run_left_and_nothing_else() {
    let gc = Gc::new("gc-orphan").await;
    let (orphaned, orphan_id) = gc.run("orphan", &[]).await;
    let (_alive, alive_id) = gc.run("alive", &[]).await;
    // Not fleetdeck's: in the group, but without the owner label.
    let stranger = gc
        .fixture
        .run(
            "stranger",
            Spec::sh("sleep 300").label("fleetdeck.group", &gc.group()),
        )
        .await;
    kill_hard(orphaned);
    assert!(gc.exists(&orphan_id).await, "SIGKILL leaves the container");

    let dry = gc.gc(&["--dry-run"]);
    assert!(
        !dry.contains_key(&stranger),
        "an unowned container is not even listed"
    );
    assert_eq!(dry[&orphan_id]["action"], "remove");
    assert_eq!(dry[&orphan_id]["removed"], false);
    assert!(
        dry[&orphan_id]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is gone")),
        "{dry:?}"
    );
    assert_eq!(dry[&alive_id]["action"], "keep");
    for id in [&orphan_id, &alive_id, &stranger] {
        assert!(gc.exists(id).await, "--dry-run removed {id}");
    }

    let real = gc.gc(&[]);
    let actions = |m: &BTreeMap<String, Value>| -> Vec<(String, Value, Value)> {
        m.iter()
            .map(|(id, i)| (id.clone(), i["action"].clone(), i["reason"].clone()))
            .collect()
    };
    assert_eq!(actions(&dry), actions(&real), "the dry run lists the same");
    assert_eq!(real[&orphan_id]["removed"], true);
    assert!(!gc.exists(&orphan_id).await, "removed by GC");
    assert!(gc.exists(&alive_id).await, "its owner is alive");
    assert!(gc.exists(&stranger).await, "not fleetdeck's");
    let audited = gc.sandbox.audit_lines();
    assert!(
        audited
            .iter()
            .any(|l| l["action"] == "rm" && l.to_string().contains(&orphan_id)),
        "the removal is audited: {audited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_leaves_a_protected_container_until_its_time() {
    let gc = Gc::new("gc-protected").await;
    // Protected for an hour: no machine is slow enough for GC to come after its time.
    let (run_long, long) = gc.run("long", &["--protect-for", "1h"]).await;
    // Protected for two seconds: its time passes during the test.
    let (run_short, short) = gc.run("short", &["--protect-for", "2s"]).await;
    kill_hard(run_long);
    kill_hard(run_short);
    let first = gc.gc(&[]);
    assert_eq!(first[&long]["action"], "keep", "{first:?}");
    assert!(
        first[&long]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("protected until")),
        "{first:?}"
    );
    assert!(gc.exists(&long).await, "the protected container is there");
    // Once its time has passed, a GC removes the short one (the first already, on a machine
    // slow enough), and still keeps the long one.
    let mut listed = first;
    for _ in 0..100 {
        assert_eq!(listed[&long]["action"], "keep", "{listed:?}");
        if listed.get(&short).is_some_and(|i| i["removed"] == true) {
            assert!(!gc.exists(&short).await);
            assert!(gc.exists(&long).await);
            return;
        }
        assert!(
            gc.exists(&short).await,
            "removed by something other than this GC: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        listed = gc.gc(&[]);
    }
    panic!("the container protected for 2 s was never removed after its time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_rm_act_on_a_whole_group() {
    let gc = Gc::new("gc-group").await;
    let (run_a, a) = gc.run("a", &[]).await;
    let (run_b, b) = gc.run("b", &[]).await;
    // The runs' own processes would remove their containers once stopped (run cleans up on
    // every path), racing the `rm` below: end them first, leaving the containers running.
    for run in [&run_a, &run_b] {
        run.signal("KILL");
    }
    let _ = (run_a.finish(), run_b.finish());
    assert!(gc.exists(&a).await && gc.exists(&b).await);
    let group = gc.group();
    let ran = gc
        .sandbox
        .run(&["stop", "--group", &group, "-t", "1", "--json"]);
    ran.expect_code(0);
    let reports = ran.json();
    assert_eq!(reports.as_array().map(Vec::len), Some(2), "{reports}");
    // Without --yes and no terminal, rm refuses.
    gc.sandbox.run(&["rm", "--group", &group]).expect_code(2);
    gc.sandbox
        .run(&["rm", "--group", &group, "--yes", "--force"])
        .expect_code(0);
    assert!(!gc.exists(&a).await && !gc.exists(&b).await);
}

/// `history NAME --json`: the recorded events of the container named NAME.
fn history(sandbox: &Sandbox, name: &str) -> Vec<Value> {
    let ran = sandbox.run(&["history", name, "--json"]);
    ran.expect_code(0);
    ran.json_lines()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_finds_by_name_a_container_gc_removed() {
    let gc = Gc::new("gc-history").await;
    let name = gc.fixture.name("gone");
    let (run, id) = gc.run("gone", &[]).await;
    // `run` records its container as soon as it made it (the writer writes within ~200 ms):
    // wait for that, bounded, before the owner is killed.
    let mut recorded = false;
    for _ in 0..50 {
        let ran = gc.sandbox.run(&["history", &name, "--json"]);
        if ran.code == Some(0) && ran.json_lines().iter().any(|e| e["action"] == "create") {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        recorded,
        "`run` recorded nothing of its container while it ran"
    );
    kill_hard(run);

    let removed = gc.gc(&[]);
    assert_eq!(removed[&id]["removed"], true, "{removed:?}");
    assert!(!gc.exists(&id).await);

    let events = history(&gc.sandbox, &name);
    let removal = events
        .iter()
        .find(|e| e["action"] == "gc.remove")
        .unwrap_or_else(|| panic!("no gc.remove in the history of {name}: {events:?}"));
    assert_eq!(removal["container_id"], id.as_str());
    assert_eq!(removal["name"], name.as_str(), "{removal}");
    let short = &id[..12];
    let by_id = history(&gc.sandbox, short);
    assert_eq!(by_id, events, "the id prefix finds the same history");
}
