//! History that cannot be written is said while it happens: `fleetdeck keep` with its store on a
//! small tmpfs that fills up goes on restarting a crash-looping service, and says on stderr, while
//! it runs, that history is not being written, naming the file and the cause (the disk is full):
//! once, not once per failed batch; and once more when the disk has room again. Needs root (to
//! mount the tmpfs) and dockerd.

mod common;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::{BIN, Sandbox};
use common::{Fixture, IMAGE, RUN_LABEL};
use serde_json::Value;

/// A long restart budget: the service is restarted all through the test.
const KEEPER: &str = "[keeper]\nrestart_budget = 1000\nbackoff = \"100ms\"\nbackoff_max = \"300ms\"\n\
                      settle = \"3s\"\nverify_timeout = \"30s\"\nwindow = \"10m\"\n\
                      reconcile_interval = \"1h\"\ngc_interval = \"1h\"\n";

/// How long the test waits for one thing to be seen: a bound, not a timing assert.
const WAIT_BOUND: Duration = Duration::from_secs(120);

/// A small tmpfs, unmounted when dropped (also when the test fails).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "mount a tmpfs (this test needs root)");
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem has no room left.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("create the filler");
        let chunk = vec![0u8; 4096];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A running `fleetdeck keep --json`: its stdout (JSON lines) and stderr (text lines) read on
/// threads; killed when dropped.
struct Keeping {
    child: Child,
    stdout: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Keeping {
    fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fleetdeck keep");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (out, sink) = (child.stdout.take().expect("stdout"), Arc::clone(&stdout));
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout is JSON lines only ({e}): {line}"));
                sink.lock().expect("lines").push(value);
            }
        });
        let (err, sink) = (child.stderr.take().expect("stderr"), Arc::clone(&stderr));
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("lines").push(line);
            }
        });
        Self {
            child,
            stdout,
            stderr,
        }
    }

    fn restarts(&self, name: &str) -> usize {
        let lines = self.stdout.lock().expect("lines");
        lines
            .iter()
            .filter(|l| l["decision"] == "restart" && l["container"] == name)
            .count()
    }

    fn errors(&self) -> Vec<String> {
        self.stderr.lock().expect("lines").clone()
    }

    fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until `ok` holds, failing with everything the run printed after [`WAIT_BOUND`].
    fn wait(&mut self, what: &str, ok: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + WAIT_BOUND;
        while !ok(self) {
            assert!(
                self.still_running(),
                "keep ended while waiting for {what}: {:?}",
                self.errors()
            );
            if Instant::now() >= deadline {
                panic!(
                    "never saw {what}\n--- stdout\n{:?}\n--- stderr\n{}",
                    self.stdout.lock().expect("lines"),
                    self.errors().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Keeping {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and dockerd"]
async fn keep_says_while_running_that_a_full_disk_stops_its_history() {
    let fixture = Fixture::new("keep-store-full").await;
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.config_path(), KEEPER).expect("write the config");
    let project = tempfile::tempdir().expect("temp dir");
    let file = project.path().join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            "name: {name}\nservices:\n  svc:\n    image: {IMAGE}\n    command: [\"sh\", \"-c\", \"sleep 1; exit 3\"]\n    \
             network_mode: none\n    restart: \"no\"\n    labels:\n      {RUN_LABEL}: {run}\n",
            name = fixture.prefix,
            run = fixture.run,
        ),
    )
    .expect("write the compose file");
    let file = file.display().to_string();
    sandbox.run(&["-f", &file, "apply"]).expect_code(0);
    let name = format!("{}-svc-1", fixture.prefix);

    let tmpfs = Tmpfs::mount("1m");
    let store = tmpfs.path().join("fleet.db");
    let mut cmd = Command::new(BIN);
    cmd.arg("--audit-file")
        .arg(sandbox.audit_path())
        .arg("--config")
        .arg(sandbox.config_path())
        .arg("--store")
        .arg(&store)
        .args(["keep", "-f", &file, "--json"]);
    let mut keep = Keeping::spawn(cmd);
    // Kept, with its history written.
    keep.wait("a first restart", |k| k.restarts(&name) >= 1);
    assert!(store.exists(), "the store is made");

    let filler = tmpfs.fill();
    let shown = store.display().to_string();
    keep.wait("the store's failure said on stderr", |k| {
        k.errors()
            .iter()
            .any(|l| l.contains("history is not being written") && l.contains(&shown))
    });
    assert!(keep.still_running(), "said while it runs, not at its end");
    let said = keep.errors();
    let line = said
        .iter()
        .find(|l| l.contains("history is not being written"))
        .cloned()
        .unwrap_or_default();
    assert!(line.starts_with("fleetdeck: warning: "), "{line}");
    assert!(line.contains("disk"), "the cause: {line}");

    // It goes on keeping: more restarts, each recorded into a full disk, and said only once.
    let before = keep.restarts(&name);
    keep.wait("two more restarts", |k| k.restarts(&name) >= before + 2);
    assert_eq!(
        count(&keep.errors(), "history is not being written"),
        1,
        "said once, not per failed write: {:?}",
        keep.errors()
    );

    // Room again: said once, with what was lost.
    std::fs::remove_file(&filler).expect("remove the filler");
    keep.wait("writing again said on stderr", |k| {
        count(&k.errors(), "again;") >= 1
    });
    let back = keep
        .errors()
        .into_iter()
        .find(|l| l.contains("again;"))
        .unwrap_or_default();
    assert!(back.contains(&shown), "{back}");
    assert!(back.contains("record(s) were lost"), "{back}");

    let pid = keep.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
    let ended = keep.child.wait().expect("keep ends");
    assert_eq!(ended.code(), Some(0), "{:?}", keep.errors());
}
