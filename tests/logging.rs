//! Every subcommand has a logger: what the layers under it log reaches stderr (by default
//! warnings and errors; `-v`/`FLEETDECK_LOG` for more) and never stdout, so `--json` output
//! stays one clean document. Through the real binary against the real daemon.

mod common;

use common::binary::Sandbox;

/// A gc group no test's container is in: the run lists nothing and removes nothing.
fn empty_group() -> String {
    format!("fdt-logging-{}", std::process::id())
}

#[test]
fn a_subcommands_warning_goes_to_stderr_and_not_stdout() {
    let sandbox = Sandbox::new();
    // A store that cannot be opened: the command runs without history, and says so.
    std::fs::write(
        sandbox.store_path(),
        b"not a database, not even close: 0123456789abcdef",
    )
    .expect("write a corrupt store");
    let group = empty_group();
    let ran = sandbox.run(&["gc", "--dry-run", "--json", "--group", &group]);
    ran.expect_code(0);
    assert!(
        ran.json().is_array(),
        "stdout is the JSON report alone: {}",
        ran.stdout
    );
    let store = sandbox.store_path().display().to_string();
    let warning = ran
        .stderr
        .lines()
        .find(|l| l.contains("not recording history"))
        .unwrap_or_else(|| panic!("no warning on stderr: {}", ran.stderr));
    assert!(warning.starts_with("fleetdeck: warning: "), "{warning}");
    assert!(warning.contains(&store), "names the file: {warning}");
    assert!(warning.contains("corrupt"), "says why: {warning}");
    assert!(!ran.stdout.contains("warning"), "{}", ran.stdout);
}

#[test]
fn verbose_logs_go_to_stderr_and_json_stays_clean() {
    let sandbox = Sandbox::new();
    let quiet = sandbox.run(&["ps", "--json"]);
    quiet.expect_code(0);
    assert!(
        !quiet.stderr.contains("fleetdeck: debug"),
        "{}",
        quiet.stderr
    );

    let loud = sandbox.run(&["-vv", "ps", "--json"]);
    loud.expect_code(0);
    assert!(loud.json().is_array(), "{}", loud.stdout);
    assert!(
        loud.stderr.contains("fleetdeck: debug bollard"),
        "-vv shows the client's debug lines on stderr: {}",
        loud.stderr
    );

    // FLEETDECK_LOG: directives over the default.
    let env = sandbox.run_with(&["ps", "--json"], |cmd| {
        cmd.env("FLEETDECK_LOG", "bollard=debug");
    });
    env.expect_code(0);
    assert!(env.json().is_array(), "{}", env.stdout);
    assert!(
        env.stderr.contains("fleetdeck: debug bollard"),
        "{}",
        env.stderr
    );
}
