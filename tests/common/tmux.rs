//! The tmux harness of the end-to-end tests: a tmux server and session per test (a unique
//! socket, killed on drop), keys sent by name or literally, screens captured and polled with a
//! generous bound (no elapsed time is ever asserted), and what the logs and exec tests read
//! besides: the pane's process id and title, the raw bytes written to the pane, and the screen
//! with its styles. And the console's side of it: the command line that starts the real
//! console in the pane, and its filter.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::binary::BIN;

static SESSIONS: AtomicU32 = AtomicU32::new(0);

/// A tmux server and session of this test alone.
pub struct Tmux {
    socket: String,
    session: String,
    /// Holds the server's config file, when it has one.
    _config: Option<tempfile::TempDir>,
}

impl Tmux {
    /// A session of `width` x `height` running a plain `sh` (prompt `$ `), with no tmux
    /// config.
    pub fn start(width: u16, height: u16) -> Self {
        Self::start_with(width, height, None, &["env", "PS1=$ ", "sh"])
    }

    /// A session of `width` x `height` running `command` (a single argument is run by the
    /// shell), under the tmux config `config` (none: `/dev/null`).
    pub fn start_with(width: u16, height: u16, config: Option<&str>, command: &[&str]) -> Self {
        let n = SESSIONS.fetch_add(1, Ordering::Relaxed);
        let config_dir = config.map(|text| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("tmux.conf"), text).expect("tmux config");
            dir
        });
        let config_file = config_dir.as_ref().map_or_else(
            || "/dev/null".to_string(),
            |dir| dir.path().join("tmux.conf").display().to_string(),
        );
        let tmux = Self {
            socket: format!("fleetdeck-e2e-{}-{n}", std::process::id()),
            session: format!("console-{}-{n}", std::process::id()),
            _config: config_dir,
        };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", &config_file, "new-session", "-d"])
            .args([
                "-s",
                &tmux.session,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .args(command)
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys by tmux name ("Enter", "C-u", "q"); an argument that names no key is sent
    /// as its text.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    /// The screen with its attributes and colours as SGR sequences (`capture-pane -e`).
    pub fn screen_with_styles(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", &self.session])
    }

    fn display(&self, format: &str) -> String {
        self.tmux(&["display", "-p", "-t", &self.session, format])
            .trim()
            .to_string()
    }

    pub fn alternate_on(&self) -> bool {
        self.display("#{alternate_on}") == "1"
    }

    /// The pane's title (what a program set with OSC 0 or 2).
    pub fn pane_title(&self) -> String {
        self.display("#{pane_title}")
    }

    /// The process id of the pane's first process (the shell).
    pub fn pane_pid(&self) -> u32 {
        self.display("#{pane_pid}")
            .parse()
            .expect("tmux gives the pane's pid")
    }

    /// Resizes the session's window to `width` x `height`.
    pub fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&["resize-window", "-t", &self.session, "-x", &w, "-y", &h]);
    }

    /// Appends every byte written to the pane from now on to `file`.
    pub fn pipe_output_to(&self, file: &Path) {
        let command = format!("cat >> {}", shell_quote(file));
        self.tmux(&["pipe-pane", "-o", "-t", &self.session, &command]);
    }

    /// Polls the screen until `check` holds; fails with the last screen after a generous bound.
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..300 {
            last = self.screen();
            if check(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the screen never showed {what}; last screen:\n{last}");
    }

    /// Types and enters the command line that starts the real console, its config home
    /// (`XDG_CONFIG_HOME`) `config_home`, its audit file `config_home/audit.jsonl`, with `flags`
    /// besides; `launch` says what the shell does around it. Waits for nothing.
    pub fn launch_console(&self, config_home: &Path, flags: &[&str], launch: Launch) {
        let (before, after) = match launch {
            Launch::AsPaneProcess => ("exec ", ""),
            Launch::ThenStty => ("", "; stty -a"),
            Launch::Plain => ("", ""),
        };
        let flags: String = flags.iter().map(|f| format!(" {f}")).collect();
        self.type_text(&format!(
            "{before}env XDG_CONFIG_HOME={} {BIN}{flags} --audit-file {}{after}",
            shell_quote(config_home),
            shell_quote(&config_home.join("audit.jsonl"))
        ));
        self.keys(&["Enter"]);
    }

    /// Waits for the console's list (its title and the quit key in the status bar).
    pub fn wait_for_console(&self) -> String {
        self.wait_for("the console", |s| {
            s.contains("containers") && s.contains("q quit")
        })
    }

    /// Replaces the console's filter with `text`.
    pub fn filter(&self, text: &str) {
        self.keys(&["/"]);
        self.keys(&["C-u"]);
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    /// Filters the console to `name` and waits until the container shows, selected: the title
    /// shows the filter as it is typed, so the name alone is not enough (on a busy daemon the
    /// fleet may still be arriving, and a key pressed then finds no container selected).
    pub fn filter_to(&self, name: &str) -> String {
        self.filter(name);
        self.wait_for(&format!("the container {name}"), |s| {
            s.contains(name) && s.lines().skip(1).any(|l| l.contains("│›"))
        })
    }
}

/// What the pane's shell does around the console [`Tmux::launch_console`] starts.
#[derive(Debug, Clone, Copy)]
pub enum Launch {
    /// `exec`: the console replaces the shell, so the pane's process is the console's.
    AsPaneProcess,
    /// `; stty -a`: when the console quits, the shell prints the terminal's modes.
    ThenStty,
    /// Just the console; the shell comes back when it quits.
    Plain,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

pub fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// The resident memory of process `pid` in bytes, from `/proc/PID/status`.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The child processes of `pid` (from `/proc/PID/task/*/children`).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

/// The name of process `pid` (`/proc/PID/comm`).
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}
