//! `fleetdeck completions` and `fleetdeck man`: generated from the command-line definition, so
//! every subcommand is in them; the man page is roff that `man -l` renders (man-db, which
//! scripts/test.sh installs: without it the test fails, it does not skip).

use clap::CommandFactory;
use fleetdeck::cli::Cli;

mod common;

use common::binary::run;

fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
}

#[test]
fn bash_completions_name_every_subcommand() {
    let ran = run(&["completions", "bash"]);
    ran.expect_code(0);
    let names = subcommands();
    assert!(names.len() >= 15, "the CLI has its subcommands: {names:?}");
    for name in names {
        assert!(
            ran.stdout.contains(&name),
            "bash completions lack '{name}':\n{}",
            ran.stdout
        );
    }
    assert!(
        ran.stdout.contains("complete -F"),
        "a bash completion script"
    );
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let ran = run(&["completions", shell]);
        ran.expect_code(0);
        assert!(ran.stdout.contains("fleetdeck"), "{shell}: {}", ran.stdout);
    }
    run(&["completions", "tcsh"]).expect_code(2);
}

#[test]
fn man_page_is_roff_that_man_renders() {
    let ran = run(&["man"]);
    ran.expect_code(0);
    assert!(
        ran.stdout.starts_with(".ie") || ran.stdout.contains(".TH fleetdeck"),
        "{}",
        ran.stdout
    );
    for name in subcommands() {
        assert!(ran.stdout.contains(&name), "the man page lacks '{name}'");
    }
    // man must render the page without complaint (scripts/test.sh installs man-db).
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("fleetdeck.1");
    std::fs::write(&page, &ran.stdout).expect("write the page");
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap_or_else(|e| panic!("cannot run man ({e}): apt-get install man-db"));
    assert!(
        out.status.success(),
        "man -l failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fleetdeck"), "rendered page: {text}");
    for name in subcommands() {
        assert!(text.contains(&name), "the rendered page lacks '{name}'");
    }
}
