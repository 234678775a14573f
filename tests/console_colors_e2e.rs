//! Log colours and the clipboard end to end: the real binary in tmux against the real daemon.
//! (a) A container prints red and bold text with a screen clear and an OSC 0 title in the same
//! line: the logs pane shows RED in red and BOLD in bold (`capture-pane -e`), the line reads
//! `RED BOLD tail` (the clear and the title are stripped whole) and the pane's title is
//! unchanged. (b) `y` on a container in the list writes OSC 52 with its full id: tmux, with
//! `set-clipboard on`, reads it into its paste buffer.
//!
//! Screens are polled with a generous bound; no elapsed time is asserted.

mod common;

use std::time::Duration;

use common::tmux::{Launch, Tmux};
use common::{Fixture, Spec};

/// tmux takes OSC 52 from the program in the pane into a paste buffer.
const TMUX_CONFIG: &str = "set -g set-clipboard on\nset -g default-terminal tmux-256color\n";

fn write_config(dir: &std::path::Path, text: &str) {
    let config = dir.join("fleetdeck");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("config.toml"), text).expect("config file");
}

fn start(config_home: &std::path::Path) -> Tmux {
    let tmux = Tmux::start_with(120, 30, Some(TMUX_CONFIG), &["env", "PS1=$ ", "sh"]);
    tmux.launch_console(config_home, &[], Launch::AsPaneProcess);
    tmux.wait_for_console();
    tmux
}

/// What is in effect just before `word` on `line` of a `capture-pane -e` screen: the
/// foreground colour (as its SGR parameters: `31`, `38;5;1`) and whether it is bold.
#[derive(Debug, Default, PartialEq)]
struct Sgr {
    fg: Option<String>,
    bold: bool,
}

fn sgr_before(line: &str, word: &str) -> Sgr {
    let end = line.find(word).expect("the word is on the line");
    let mut state = Sgr::default();
    let mut rest = &line[..end];
    while let Some(at) = rest.find("\u{1b}[") {
        let after = &rest[at + 2..];
        let Some(stop) = after.find(|c: char| c.is_ascii_alphabetic()) else {
            break;
        };
        if after[stop..].starts_with('m') {
            let list: Vec<&str> = after[..stop].split(';').collect();
            let mut i = 0;
            while i < list.len() {
                let extended = match list.get(i + 1) {
                    Some(&"5") => 3,
                    Some(&"2") => 5,
                    _ => 1,
                };
                match list[i] {
                    "" | "0" => state = Sgr::default(),
                    "1" => state.bold = true,
                    "22" => state.bold = false,
                    "39" => state.fg = None,
                    "38" => {
                        state.fg = Some(list[i..(i + extended).min(list.len())].join(";"));
                        i += extended - 1;
                    }
                    "48" => i += extended - 1,
                    p if p.len() == 2 && (p.starts_with('3') || p.starts_with('9')) => {
                        state.fg = Some(p.to_string());
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        rest = &after[stop + 1..];
    }
    state
}

/// Filters the list to `name` and waits until it is the one row, selected (the fleet may still
/// be arriving when the filter is typed).
fn select_only(tmux: &Tmux, name: &str) {
    tmux.filter_to(name);
    tmux.wait_for(&format!("{name} listed alone and selected"), |s| {
        // "1 of N" while others are on the daemon; "1" when this test's is the only one.
        (s.contains("containers 1 of") || s.contains("containers 1 ·")) && s.contains("› fdt-")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_colours_show_and_other_sequences_are_stripped() {
    let fx = Fixture::new("console-colors").await;
    let script = r"while true; do printf '\033[31mRED\033[0m \033[1mBOLD\033[0m \033[2J\033]0;title\007tail\n'; sleep 1; done";
    let id = fx.run("colors", Spec::sh(script)).await;
    fx.wait_for_output(&id, "tail").await;
    let name = fx.name("colors");
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), "");

    let tmux = start(dir.path());
    let title_before = tmux.pane_title();
    select_only(&tmux, &name);
    tmux.keys(&["l"]);
    let screen = tmux.wait_for("the coloured line in the logs pane", |s| {
        s.contains("RED BOLD tail")
    });
    assert!(
        screen.contains(&format!("logs {name}")) && screen.contains("lines/s"),
        "the pane's border is intact (no screen clear went through):\n{screen}"
    );
    assert!(!screen.contains("title"), "{screen}");
    assert_eq!(tmux.pane_title(), title_before, "the title is unchanged");

    let styled = tmux.screen_with_styles();
    let line = styled
        .lines()
        .find(|l| l.contains("RED") && l.contains("tail"))
        .unwrap_or_else(|| panic!("the line with styles:\n{styled:?}"));
    let red = sgr_before(line, "RED");
    assert!(
        matches!(red.fg.as_deref(), Some("31" | "38;5;1")),
        "RED is red: {red:?} in {line:?}"
    );
    assert!(!red.bold, "RED is not bold: {line:?}");
    let bold = sgr_before(line, "BOLD");
    let expected = Sgr {
        fg: None,
        bold: true,
    };
    assert_eq!(bold, expected, "BOLD is bold, not red: {line:?}");
    let tail = sgr_before(line, "tail");
    assert_eq!(tail, Sgr::default(), "tail has no style: {line:?}");

    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| !s.contains("RED BOLD"));
    tmux.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_on_a_container_writes_osc_52_with_its_id() {
    let fx = Fixture::new("console-copy").await;
    let id = fx
        .run("copy", Spec::sh("while true; do sleep 1; done"))
        .await;
    assert_eq!(id.len(), 64, "a full id: {id}");
    let name = fx.name("copy");
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), "");

    let tmux = start(dir.path());
    select_only(&tmux, &name);
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the copy on the status line", |s| {
        s.contains(&format!("copied {name}'s id (64 bytes)"))
    });
    assert!(
        tmux.alternate_on(),
        "still on the console's screen:\n{screen}"
    );
    let mut buffer = String::new();
    for _ in 0..100 {
        buffer = tmux.tmux(&["show-buffer"]);
        if buffer == id {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(buffer, id, "tmux's paste buffer holds the container's id");

    // Turned off in the config: `y` says so and writes nothing.
    tmux.keys(&["q"]);
    drop(tmux);
    write_config(dir.path(), "[ui]\nclipboard = false\n");
    let tmux = start(dir.path());
    select_only(&tmux, &name);
    tmux.keys(&["y"]);
    tmux.wait_for("the clipboard is off", |s| s.contains("clipboard is off"));
    assert_eq!(tmux.tmux(&["show-buffer"]), "", "no buffer was made");
    tmux.keys(&["q"]);
}
