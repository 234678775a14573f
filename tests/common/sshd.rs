//! An sshd of the test's own on 127.0.0.1 (a free port, its own host key, config, pid file and
//! log in a temp dir; root logs in with a key the test made, listed in an authorized-keys file
//! in that dir), and the ssh client set-up that reaches it without touching `~/.ssh`: an
//! `ssh` wrapper, first on the PATH of the fleetdeck run, that execs the system's ssh with
//! `-F CONFIG` (with `-F`, ssh reads no `~/.ssh/config` and does not create `~/.ssh`), the
//! config naming a known-hosts file in the temp dir.
//!
//! sshd must run as root to log a user in: the test that starts one is `#[ignore = "needs
//! root ..."]`, and [`Sshd::start`] run without root fails it, saying so. A missing sshd fails
//! it too: `scripts/test.sh` installs openssh-server.

use std::ffi::OsString;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::daemon::is_root;
use super::tls::free_port;

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The private key root logs in with.
    pub client_key: PathBuf,
    child: Child,
}

/// How a client set-up finds its way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The config names the test's key (`IdentityFile`); else no key at all unless fleetdeck
    /// passes one (`ssh_key`), since `IdentitiesOnly yes` keeps agents and `~/.ssh` out.
    pub key_in_config: bool,
    /// The known-hosts file holds the daemon's host key; else it is empty (and host keys are
    /// checked strictly, so the login fails).
    pub host_known: bool,
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sshd {
    /// Starts the sshd and waits until it accepts connections.
    pub fn start() -> Self {
        assert!(
            is_root(),
            "the test's sshd must run as root: run this ignored test as root (scripts/test.sh does)"
        );
        assert!(
            Path::new(SSHD).is_file(),
            "{SSHD} is missing: apt-get install openssh-server (scripts/test.sh does)"
        );
        // sshd refuses to start without its privilege-separation dir; the package makes it
        // only when its service starts.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = |name: &str| dir.path().join(name);
        let show = |name: &str| path(name).display().to_string();
        run(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", &show("host_key")],
        );
        run(
            "ssh-keygen",
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "fleetdeck-test",
                "-f",
                &show("client_key"),
            ],
        );
        std::fs::copy(path("client_key.pub"), path("authorized_keys")).expect("authorized_keys");
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {pid}\n\
             AuthorizedKeysFile {authorized}\nStrictModes no\nPubkeyAuthentication yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nAllowUsers root\nLogLevel VERBOSE\n",
            host_key = show("host_key"),
            pid = show("sshd.pid"),
            authorized = show("authorized_keys"),
        );
        std::fs::write(path("sshd_config"), config).expect("sshd_config");
        let log = std::fs::File::create(path("sshd.log")).expect("sshd.log");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f", &show("sshd_config")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start sshd");
        let mut sshd = Self {
            client_key: path("client_key"),
            dir,
            port,
            child,
        };
        sshd.wait_ready();
        sshd
    }

    fn wait_ready(&mut self) {
        let begun = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || begun.elapsed() > Duration::from_secs(30) {
                panic!(
                    "the test's sshd did not listen on 127.0.0.1:{} ({exited:?}):\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What sshd logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// `ssh://root@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ssh://root@127.0.0.1:{}", self.port)
    }

    /// A PATH whose first dir holds an `ssh` set up as `client` says, for the fleetdeck run.
    pub fn path_for(&self, client: Client) -> OsString {
        let name = format!(
            "client-{}-{}",
            if client.key_in_config { "key" } else { "nokey" },
            if client.host_known {
                "known"
            } else {
                "unknown"
            }
        );
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("client dir");
        let known_hosts = dir.join("known_hosts");
        let entry = if client.host_known {
            let public = std::fs::read_to_string(self.dir.path().join("host_key.pub"))
                .expect("host_key.pub");
            let key: Vec<&str> = public.split_whitespace().take(2).collect();
            format!("[127.0.0.1]:{} {}\n", self.port, key.join(" "))
        } else {
            String::new()
        };
        std::fs::write(&known_hosts, entry).expect("known_hosts");
        let mut config = format!(
            "Host *\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking yes\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
             LogLevel ERROR\n",
            known_hosts.display()
        );
        if client.key_in_config {
            config.push_str(&format!("  IdentityFile {}\n", self.client_key.display()));
        }
        let config_path = dir.join("ssh_config");
        std::fs::write(&config_path, config).expect("ssh_config");
        let wrapper = dir.join("ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
                config_path.display()
            ),
        )
        .expect("ssh wrapper");
        run("chmod", &["755", &wrapper.display().to_string()]);
        let mut dirs = vec![dir];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).expect("a PATH")
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
