//! Hosts reached over TLS, over ssh and through a docker context, each a real daemon and the
//! real binary: a second dockerd listening on `tcp://127.0.0.1:PORT` with `--tlsverify` and
//! certificates the test made; the test's own sshd on 127.0.0.1, through which `docker system
//! dial-stdio` reaches the machine's daemon; a context that the docker CLI itself wrote into a
//! temp `DOCKER_CONFIG`, naming a second daemon's socket.
//!
//! Each test needs root (a second dockerd, an sshd) and is `#[ignore]`d for it:
//! `scripts/test.sh` runs them with `--include-ignored` where it can. Run without root, or with
//! any other piece missing, a test fails saying what; it never passes unchecked.

mod common;

use std::path::Path;
use std::process::Command;

use common::binary::{Ran, Sandbox};
use common::daemon::SecondDaemon;
use common::sshd::{Client, Sshd};
use common::tls::{Certs, file, free_port};
use common::{Fixture, IMAGE, RUN_LABEL, Spec};

/// A second daemon with `flags` (fails the test, saying why, without root or dockerd).
fn second_daemon(flags: &[String]) -> SecondDaemon {
    SecondDaemon::start_with(IMAGE, flags)
}

/// Runs a container named `name` on `daemon`, labelled with the fixture's run (the daemon's
/// drop removes it with everything else there).
fn run_on(daemon: &SecondDaemon, fx: &Fixture, name: &str) {
    let out = Command::new("docker")
        .args(["-H", &daemon.host, "run", "-d", "--network", "none"])
        .args(["--label", &fx.run_label(), "--name", name, IMAGE])
        .args(["sleep", "600"])
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker run on the second daemon: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The names in a `ps --json` that exited 0.
fn names(ran: &Ran) -> Vec<String> {
    ran.expect_code(0);
    ran.json()
        .as_array()
        .expect("ps --json prints an array")
        .iter()
        .filter_map(|row| row["name"].as_str().map(str::to_string))
        .collect()
}

/// `ps -a --json` limited to the fixture's containers, after `globals`.
fn ps<'a>(globals: &[&'a str], filter: &'a str) -> Vec<&'a str> {
    let mut args = globals.to_vec();
    args.extend(["ps", "-a", "--json", "--filter", filter]);
    args
}

/// The docker CLI, with its config in `config`.
fn docker_cli(config: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", config)
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails unless the run exited 3 (no host answered) saying every one of `words`.
fn fails(ran: &Ran, words: &[&str]) {
    ran.expect_code(3);
    assert!(
        words.iter().all(|w| ran.stderr.contains(w)),
        "the error says {words:?}: {}",
        ran.stderr
    );
}

/// A sandbox whose config names one `[[hosts]]` entry with `lines` in it.
fn with_host(lines: &str) -> Sandbox {
    let cli = Sandbox::new();
    std::fs::write(cli.config_path(), format!("[[hosts]]\n{lines}")).expect("write config");
    cli
}

#[tokio::test]
#[ignore = "needs root and dockerd (a second daemon)"]
async fn tls_hosts_check_the_daemon_and_show_the_client_certificate() {
    let fx = Fixture::new("hosts-tls").await;
    let certs = Certs::make();
    let port = free_port();
    let daemon = second_daemon(&certs.dockerd_flags(port));
    let name = fx.name("tls");
    run_on(&daemon, &fx, &name);
    let url = format!("tcp://127.0.0.1:{port}");
    let filter = format!("label={}", fx.run_label());
    let (client, other) = (certs.client(), certs.other());
    // `ps` with one [[hosts]] entry, its TLS lines `tls`.
    let ps_tls = |tls: &str| {
        with_host(&format!("name = \"tls\"\nurl = \"{url}\"\n{tls}")).run(&ps(&[], &filter))
    };
    // The CA of one set and the client certificate and key of another.
    let files = |ca: &Path, client: &Path| {
        format!(
            "tls_ca = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            file(ca, "ca.pem"),
            file(client, "cert.pem"),
            file(client, "key.pem")
        )
    };

    // The files from a config entry's directory.
    let ran = ps_tls(&format!("tls_cert_path = \"{}\"\n", client.display()));
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);
    assert!(!ran.stderr.contains("NOT verified"), "{}", ran.stderr);

    // The files from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, for a --host.
    let host = format!("tls={url}");
    let ran = Sandbox::new().run_with(&ps(&["--host", &host], &filter), |cmd| {
        cmd.env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", &client);
    });
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);

    // A CA that did not sign the daemon's certificate: the host, the distrust, the CA named.
    let ran = ps_tls(&files(&other, &client));
    fails(
        &ran,
        &[
            "'tls'",
            "certificate was not trusted",
            &file(&other, "ca.pem"),
        ],
    );

    // The same CA, no check: connects, and says so on every start.
    let ran = ps_tls(&format!("{}tls_verify = false\n", files(&other, &client)));
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);
    assert!(
        ran.stderr.contains("warning") && ran.stderr.contains("NOT verified"),
        "tls_verify = false is warned: {}",
        ran.stderr
    );

    // A client certificate the daemon's CA did not sign: the host and the certificate named.
    let ran = ps_tls(&files(&client, &other));
    fails(
        &ran,
        &[
            "'tls'",
            "refused the client certificate",
            &file(&other, "cert.pem"),
        ],
    );

    // Files that are not there: the missing one named.
    let ran = ps_tls("tls_cert_path = \"/nonexistent/fleetdeck-certs\"\n");
    fails(&ran, &["'tls'", "/nonexistent/fleetdeck-certs/ca.pem"]);

    // A TLS context, written by the docker CLI (it copies the files into its store).
    let config = tempfile::tempdir().expect("temp dir");
    docker_cli(
        config.path(),
        &[
            "context",
            "create",
            "tlsctx",
            "--docker",
            &format!(
                "host={url},ca={},cert={},key={}",
                file(&client, "ca.pem"),
                file(&client, "cert.pem"),
                file(&client, "key.pem")
            ),
        ],
    );
    let ran = Sandbox::new().run_with(&ps(&["--context", "tlsctx"], &filter), |cmd| {
        cmd.env("DOCKER_CONFIG", config.path());
    });
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);
}

#[tokio::test]
#[ignore = "needs root and sshd (the test's own sshd)"]
async fn ssh_hosts_list_and_stop_through_dial_stdio() {
    let dot_ssh = dirs::home_dir().map(|h| h.join(".ssh"));
    let had_dot_ssh = dot_ssh.as_deref().is_some_and(Path::exists);
    let sshd = Sshd::start();
    let fx = Fixture::new("hosts-ssh").await;
    let id = fx.run("web", Spec::graceful_ready()).await;
    fx.wait_for_output(&id, "ready").await;
    let name = fx.name("web");
    let filter = format!("label={}", fx.run_label());
    let url = sshd.url();
    let trusted = sshd.path_for(Client {
        key_in_config: true,
        host_known: true,
    });
    let keyless = sshd.path_for(Client {
        key_in_config: false,
        host_known: true,
    });
    let stranger = sshd.path_for(Client {
        key_in_config: true,
        host_known: false,
    });
    let cli = Sandbox::new();
    // `ps` with `globals`, ssh set up as the PATH `path` says.
    let ps_via = |cli: &Sandbox, globals: &[&str], path: &std::ffi::OsString| {
        cli.run_with(&ps(globals, &filter), |cmd| {
            cmd.env("PATH", path);
        })
    };
    let lists_it = |ran: &Ran| {
        assert_eq!(
            names(ran),
            [name.as_str()],
            "{}\n{}",
            ran.stderr,
            sshd.log()
        );
    };

    // The key and the known host from the user's ssh configuration; the port from the URL.
    lists_it(&ps_via(&cli, &["--host", &url], &trusted));

    // The key from the config entry's ssh_key.
    let keyed = with_host(&format!(
        "name = \"sshd\"\nurl = \"{url}\"\nssh_key = \"{}\"\n",
        sshd.client_key.display()
    ));
    lists_it(&ps_via(&keyed, &[], &keyless));

    // No key: ssh's own words, and the host named.
    let ran = ps_via(&cli, &["--host", &url], &keyless);
    fails(&ran, &["'127.0.0.1'", "Permission denied"]);

    // A host key that is not known: refused, never accepted on the way.
    let ran = ps_via(&cli, &["--host", &url], &stranger);
    fails(&ran, &["'127.0.0.1'", "Host key verification failed"]);

    // A mutation over ssh.
    let ran = cli.run_with(&["--host", &url, "stop", &name, "--json"], |cmd| {
        cmd.env("PATH", &trusted);
    });
    ran.expect_code(0);
    let report = ran.report();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["target"]["name"], name.as_str(), "{report}");
    assert!(!fx.is_running(&id).await, "the daemon says it stopped");
    let code = fx
        .inspect(&id)
        .await
        .and_then(|i| i.state)
        .and_then(|s| s.exit_code);
    assert_eq!(code, Some(143), "a graceful stop");

    if let Some(dot_ssh) = dot_ssh
        && !had_dot_ssh
    {
        assert!(
            !dot_ssh.exists(),
            "nothing was written to {}",
            dot_ssh.display()
        );
    }
}

#[tokio::test]
#[ignore = "needs root and dockerd (a second daemon)"]
async fn a_docker_context_names_a_daemon() {
    let fx = Fixture::new("hosts-context").await;
    let daemon = second_daemon(&[]);
    let name = fx.name("ctx");
    run_on(&daemon, &fx, &name);
    let filter = format!("label={}", fx.run_label());
    let config = tempfile::tempdir().expect("temp dir");
    docker_cli(
        config.path(),
        &[
            "context",
            "create",
            "fdt-second",
            "--docker",
            &format!("host={}", daemon.host),
        ],
    );
    let cli = Sandbox::new();
    let bare = |cmd: &mut Command| {
        cmd.env("DOCKER_CONFIG", config.path())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
    };

    let ran = cli.run_with(&ps(&["--context", "fdt-second"], &filter), bare);
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);
    let rows = ran.json();
    assert_eq!(
        rows[0]["labels"][RUN_LABEL],
        fx.run.as_str(),
        "the row is the container the test made: {rows}"
    );

    // The docker CLI's current context, when nothing else names a host.
    docker_cli(config.path(), &["context", "use", "fdt-second"]);
    let ran = cli.run_with(&ps(&[], &filter), bare);
    assert_eq!(names(&ran), [name.as_str()], "{}", ran.stderr);

    let ran = cli.run_with(&ps(&["--context", "nope"], &filter), bare);
    ran.expect_code(2);
    assert!(
        ran.stderr.contains("docker context 'nope'") && ran.stderr.contains("no such context"),
        "{}",
        ran.stderr
    );
}
