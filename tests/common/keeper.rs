//! A running `fleetdeck keep --json` (or any run printing JSON lines): its stdout read line by
//! line on a thread, so that a test can wait for a decision while the run goes on; killed when
//! dropped, also when the test fails.

use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::binary::{Killed, Ran, Sandbox};

/// How long a test waits for one decision before it fails: a bound, not a timing assert.
pub const WAIT_BOUND: Duration = Duration::from_secs(120);

pub struct Following {
    pub run: Option<Killed>,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Following {
    /// Starts `fleetdeck ARGS` in the sandbox and follows its stdout.
    pub fn spawn(sandbox: &Sandbox, args: &[&str]) -> Self {
        let mut run = sandbox.spawn(args);
        let stdout = run.child.stdout.take().expect("stdout is piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                if let Ok(mut all) = sink.lock() {
                    all.push(value);
                }
            }
        });
        Self {
            run: Some(run),
            lines,
        }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<Value> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The lines with this `decision`.
    pub fn decisions(&self, decision: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["decision"] == decision)
            .collect()
    }

    /// Waits until `count` lines satisfy `pred`; gives them.
    pub fn wait_for(&self, what: &str, count: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WAIT_BOUND;
        loop {
            let found: Vec<Value> = self.lines().into_iter().filter(|l| pred(l)).collect();
            if found.len() >= count {
                return found;
            }
            if Instant::now() >= deadline {
                panic!(
                    "never saw {count} × {what}; the lines:\n{}",
                    self.lines()
                        .iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits for the run to end.
    pub fn terminate(&mut self) -> Ran {
        let run = self.run.take().expect("still running");
        run.signal("TERM");
        run.finish()
    }
}
