//! The logs pane end to end: the real binary in tmux against the real daemon. (a) A container
//! floods its log (`yes`) for 20 s with the pane open: the console still answers keys (help
//! opens and closes) and its resident memory stays within a bound derived from the configured
//! buffer. (b) A container prints escape sequences (clear screen, an OSC 52 clipboard write,
//! an OSC 0 title): none reaches the terminal: the screen keeps the console and shows the
//! text, the pane's title is unchanged, and the raw bytes written to the pane hold neither
//! sequence.
//!
//! Screens are polled with a generous bound; no elapsed time is asserted.

mod common;

use std::time::{Duration, Instant};

use common::tmux::{self, Launch, Tmux, rss_bytes};
use common::{Fixture, Spec};

/// Writes a config under `dir` (as `$XDG_CONFIG_HOME/fleetdeck/config.toml`).
fn write_config(dir: &std::path::Path, text: &str) {
    let config = dir.join("fleetdeck");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("config.toml"), text).expect("config file");
}

/// Starts the console in `tmux` as the pane's own process (so the pane's pid is the console's).
fn start_console(tmux: &Tmux, config_home: &std::path::Path) {
    tmux.launch_console(config_home, &[], Launch::AsPaneProcess);
    tmux.wait_for_console();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_leaves_the_console_answering_within_its_memory_bound() {
    let fx = Fixture::new("console-logs-flood").await;
    let _flood = fx.run("flood", Spec::sh("yes some-log-line")).await;
    let name = fx.name("flood");
    let dir = tempfile::tempdir().expect("temp dir");
    let max_bytes: u64 = 256 * 1024;
    write_config(
        dir.path(),
        &format!("[logs]\nmax_lines = 100000\nmax_bytes = {max_bytes}\ntail = 1000\n"),
    );

    let tmux = Tmux::start(120, 30);
    start_console(&tmux, dir.path());
    let pid = tmux.pane_pid();
    assert_eq!(
        tmux::comm(pid),
        "fleetdeck",
        "the pane runs the console itself"
    );

    tmux.filter_to(&name);
    tmux.keys(&["l"]);
    tmux.wait_for("the flood in the logs pane", |s| {
        s.contains("some-log-line") && s.contains("following")
    });

    let bound = 64 * 1024 * 1024 + 2 * max_bytes;
    let started = Instant::now();
    let mut rounds = 0;
    let mut peak = 0;
    // 20 s of flood; the loop's pace is the console's, the bound on each wait generous.
    while started.elapsed() < Duration::from_secs(20) || rounds < 3 {
        tmux.keys(&["?"]);
        tmux.wait_for("the help over the flood", |s| {
            s.contains("Keys in the logs view")
        });
        tmux.keys(&["Escape"]);
        tmux.wait_for("the help closed, the flood still shown", |s| {
            !s.contains("Keys in the logs view") && s.contains("some-log-line")
        });
        let rss = rss_bytes(pid).expect("the console is running");
        peak = peak.max(rss);
        assert!(
            rss < bound,
            "the console holds {rss} bytes, over {bound} (max_bytes {max_bytes})"
        );
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("flood: {rounds} rounds of help, peak RSS {peak} bytes (bound {bound})");
    let screen = tmux.screen();
    assert!(
        screen.contains("older dropped"),
        "the pane says the ring dropped lines:\n{screen}"
    );

    // Esc closes the pane (and its stream); the list is back.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| {
        s.contains(&name) && !s.contains("some-log-line")
    });
    tmux.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_from_a_container_never_reach_the_terminal() {
    let fx = Fixture::new("console-logs-escapes").await;
    let script = r"printf '\033[2J\033]52;c;aGVsbG8=\007\033]0;pwned-title\007 visible-text\n'; \
                   while true; do sleep 1; done";
    let id = fx.run("escapes", Spec::sh(script)).await;
    fx.wait_for_output(&id, "visible-text").await;
    let name = fx.name("escapes");
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), "");
    let raw = dir.path().join("pane-output.bin");

    let tmux = Tmux::start(120, 30);
    let title_before = tmux.pane_title();
    tmux.pipe_output_to(&raw);
    start_console(&tmux, dir.path());
    tmux.filter_to(&name);
    tmux.keys(&["l"]);
    let screen = tmux.wait_for("the visible text in the logs pane", |s| {
        s.contains("visible-text")
    });
    // The console's frame is still drawn around it: no clear screen went through.
    assert!(
        screen.contains(&format!("logs {name}")) && screen.contains("lines/s"),
        "the pane's border is intact:\n{screen}"
    );
    assert!(tmux.alternate_on(), "still on the console's screen");
    let title = tmux.pane_title();
    assert_ne!(title, "pwned-title", "a container set the terminal's title");
    assert_eq!(title, title_before, "the title is unchanged");

    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| !s.contains("visible-text"));
    tmux.keys(&["q"]);
    // The bytes written: give tmux's pipe a moment to flush what it has, by polling its file.
    let mut bytes = Vec::new();
    for _ in 0..50 {
        bytes = std::fs::read(&raw).unwrap_or_default();
        if bytes.windows(12).any(|w| w == b"visible-text") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        bytes.windows(12).any(|w| w == b"visible-text"),
        "the pipe saw the console's output ({} bytes)",
        bytes.len()
    );
    assert!(
        !bytes.windows(4).any(|w| w == b"]52;"),
        "an OSC 52 clipboard write reached the terminal"
    );
    assert!(
        !bytes.windows(11).any(|w| w == b"pwned-title"),
        "the OSC 0 title reached the terminal"
    );
}
