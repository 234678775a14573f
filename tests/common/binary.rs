//! Runs of the real fleetdeck binary: a [`Sandbox`] (its own audit file, history store and an empty config in
//! a temp dir, so that no test writes the user's audit log or depends on the user's config),
//! [`Ran`], what a finished run gave, with the asserts on its exit code and output, and
//! [`Killed`], a run left going that is killed when the test ends, also when it fails.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fleetdeck");

/// How long a run may go on before it is killed and the test fails: a bound, not a timing
/// assert.
pub const RUN_BOUND: Duration = Duration::from_secs(120);

/// What is written to a run's stdin: never a terminal, and an answer that must not be taken
/// for a confirmation.
const STDIN: &str = "y\n";

/// Runs `fleetdeck ARGS` to its end as a user would, with the machine's own config (no
/// sandbox: for the read-only subcommands).
pub fn run(args: &[&str]) -> Ran {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    Ran::of(args, cmd)
}

/// A temp dir holding a run's audit file (not there until written) and an empty config.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("config.toml"), "").expect("write an empty config");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn audit_path(&self) -> PathBuf {
        self.path().join("audit.jsonl")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// The run's history store (not there until written), never the user's.
    pub fn store_path(&self) -> PathBuf {
        self.path().join("fleet.db")
    }

    /// The sandbox's global flags, ahead of any subcommand.
    pub fn globals(&self) -> Vec<String> {
        vec![
            "--audit-file".into(),
            self.audit_path().display().to_string(),
            "--config".into(),
            self.config_path().display().to_string(),
            "--store".into(),
            self.store_path().display().to_string(),
        ]
    }

    /// `fleetdeck` with the sandbox's globals and `args`: stdin null, stdout and stderr piped.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(self.globals())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `fleetdeck ARGS` to its end (within [`RUN_BOUND`]). Stdin is a pipe holding "y":
    /// never a terminal, and an answer that must not be taken for a confirmation.
    pub fn run(&self, args: &[&str]) -> Ran {
        Ran::of(args, self.command(args))
    }

    /// As [`Sandbox::run`], with the command set up further first (environment variables).
    pub fn run_with(&self, args: &[&str], setup: impl FnOnce(&mut Command)) -> Ran {
        let mut cmd = self.command(args);
        setup(&mut cmd);
        Ran::of(args, cmd)
    }

    /// Runs, fails unless it exited 0, and gives its stdout, which must be UTF-8.
    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).expect_code(0).text().to_string()
    }

    /// Starts `fleetdeck ARGS` (stdin null, stdout and stderr piped) and leaves it running.
    pub fn spawn(&self, args: &[&str]) -> Killed {
        let child = self.command(args).spawn().expect("spawn fleetdeck");
        Killed {
            child,
            args: args.join(" "),
        }
    }

    /// As [`Sandbox::spawn`], from a shell that runs `first` (`ulimit -Sn 256`) before it
    /// becomes fleetdeck.
    pub fn spawn_after(&self, first: &str, args: &[&str]) -> Killed {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{first} && exec \"$0\" \"$@\""))
            .arg(BIN)
            .args(self.globals())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().expect("spawn sh, then fleetdeck");
        Killed {
            child,
            args: format!("{first} && fleetdeck {}", args.join(" ")),
        }
    }

    /// The audit file's lines, parsed; none when the file was never written.
    pub fn audit_lines(&self) -> Vec<Value> {
        match std::fs::read_to_string(self.audit_path()) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("each audit line is JSON"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("cannot read the audit file: {e}"),
        }
    }
}

/// What one finished run of the binary gave.
pub struct Ran {
    /// The arguments after the sandbox's globals, for failure messages.
    pub args: String,
    pub status: ExitStatus,
    pub code: Option<i32>,
    /// Stdout as text (invalid UTF-8 replaced; [`Ran::text`] insists on UTF-8).
    pub stdout: String,
    /// Stdout as written.
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

impl Ran {
    fn of(args: &[&str], cmd: Command) -> Self {
        let output = assert_cmd::Command::from_std(cmd)
            .write_stdin(STDIN)
            .timeout(RUN_BOUND)
            .output()
            .expect("run fleetdeck");
        Self::from_output(args.join(" "), output)
    }

    fn from_output(args: String, output: Output) -> Self {
        Self {
            args,
            status: output.status,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stdout_bytes: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Fails unless the run exited with `code`, showing what it printed.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "`fleetdeck {}` ended with {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Stdout, which must be UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.stdout_bytes).unwrap_or_else(|e| {
            panic!(
                "`fleetdeck {}` wrote stdout that is not UTF-8: {e}",
                self.args
            )
        })
    }

    /// Stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`fleetdeck {}` printed no valid JSON ({e})\n--- stdout\n{}\n--- stderr\n{}",
                self.args, self.stdout, self.stderr
            )
        })
    }

    /// Stdout (UTF-8) parsed as one JSON document a line.
    pub fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The one report of an action run with `--json`.
    pub fn report(&self) -> Value {
        let json = self.json();
        let reports = json.as_array().expect("an action prints a JSON array");
        assert_eq!(reports.len(), 1, "one report per target: {json}");
        reports[0].clone()
    }
}

/// A run left going, killed (and reaped) when dropped: also when the test fails.
pub struct Killed {
    pub child: Child,
    args: String,
}

impl Killed {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends signal `sig` ("INT", "TERM") to the run.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{sig} {}", self.id());
    }

    /// Waits for the run to end, within [`RUN_BOUND`] (a hang fails the test rather than
    /// stalling it), and gives what it wrote to the pipes that were not taken.
    pub fn finish(mut self) -> Ran {
        let deadline = Instant::now() + RUN_BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stdout = Vec::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_end(&mut stdout);
        }
        let mut stderr = Vec::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_end(&mut stderr);
        }
        let Some(status) = status else {
            panic!(
                "`fleetdeck {}` still ran after {RUN_BOUND:?}\n--- stdout\n{}\n--- stderr\n{}",
                self.args,
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            );
        };
        Ran::from_output(
            std::mem::take(&mut self.args),
            Output {
                status,
                stdout,
                stderr,
            },
        )
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
