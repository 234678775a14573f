//! A Podman service for one test (per ../shared/testing/README.md): `podman system service` on
//! a socket of its own (`DIR/podman/podman.sock`, so `XDG_RUNTIME_DIR=DIR` finds it as a
//! rootless socket), with its own storage root, run root, tmp dir and file events log under a
//! temp dir, runc, cgroupfs and explicit ulimits (a `containers.conf` given by
//! `CONTAINERS_CONF`), and the test image loaded from the machine's Docker daemon.
//!
//! Services of one test binary take turns (a lock held while one lives): Podman instances
//! share the machine's lock segment, and one at a time keeps them from meeting. Drop stops
//! the service, removes what it ran and the dir.
//!
//! The tests that start one are `#[ignore = "needs root and podman"]` (`scripts/test.sh` runs
//! them where it can); run anyway without root or without podman, [`PodmanService::start`]
//! fails the test saying which is missing, never passes it unchecked.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::daemon::is_root;

/// One service at a time per test binary.
static TURN: Mutex<()> = Mutex::new(());

/// The service's `containers.conf`; its events log is its own (Podman's default,
/// `/run/libpod/events/events.log`, is every instance's).
fn containers_conf(dir: &Path) -> String {
    format!(
        r#"[containers]
default_ulimits = ["nproc=1024:1024", "nofile=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{}"
"#,
        dir.join("events.log").display()
    )
}

pub struct PodmanService {
    pub dir: tempfile::TempDir,
    /// `unix:///.../podman/podman.sock`, as `--host` takes it.
    pub host: String,
    /// The image as Podman names it (`localhost/fleetdeck-test-busybox:latest`).
    pub image: String,
    child: Option<Child>,
    _turn: MutexGuard<'static, ()>,
}

fn find_podman() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("podman"))
        .find(|p| p.is_file())
}

impl PodmanService {
    /// Starts a service with the test image `image` (on the machine's Docker daemon: build it
    /// first with `ensure_image`) loaded; panics, saying what is missing, where this machine
    /// cannot (not root, no podman).
    pub fn start(image: &str) -> Self {
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(
            is_root(),
            "a Podman service with its own storage needs root: run this ignored test as root (scripts/test.sh does)"
        );
        assert!(
            find_podman().is_some(),
            "these tests need podman: apt-get install podman (scripts/test.sh does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("fdpod")
            .tempdir_in("/tmp")
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("podman")).expect("socket dir");
        std::fs::write(
            dir.path().join("containers.conf"),
            containers_conf(dir.path()),
        )
        .expect("conf");
        let host = format!("unix://{}", dir.path().join("podman/podman.sock").display());
        let mut service = Self {
            dir,
            host,
            image: format!("localhost/{image}"),
            child: None,
            _turn: turn,
        };
        let child = service
            .podman()
            .args(["system", "service", "--time=0", &service.host])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(service.dir.path().join("service.log")).expect("log"),
            ))
            .spawn()
            .expect("start podman system service");
        service.child = Some(child);
        service.wait_until_up();
        let loaded = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "docker save {image} | {} load",
                service.podman_line()
            ))
            .env("CONTAINERS_CONF", service.conf())
            .output()
            .expect("run docker save | podman load");
        assert!(
            loaded.status.success(),
            "loading {image} into podman: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        service
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("containers.conf")
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("podman/podman.sock")
    }

    /// The podman command line on this service's storage (for `sh -c`).
    fn podman_line(&self) -> String {
        let d = self.dir.path();
        format!(
            "podman --root {} --runroot {} --tmpdir {}",
            d.join("root").display(),
            d.join("runroot").display(),
            d.join("tmp").display()
        )
    }

    /// `podman` on this service's storage, `CONTAINERS_CONF` set.
    pub fn podman(&self) -> Command {
        let d = self.dir.path();
        let mut cmd = Command::new("podman");
        cmd.arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("runroot"))
            .arg("--tmpdir")
            .arg(d.join("tmp"))
            .env("CONTAINERS_CONF", self.conf());
        cmd
    }

    /// Runs `podman ARGS` (through the service's socket), failing the test unless it
    /// succeeds; its stdout, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = Command::new("podman")
            .arg("--url")
            .arg(&self.host)
            .args(args)
            .env("CONTAINERS_CONF", self.conf())
            .output()
            .expect("run podman");
        assert!(
            output.status.success(),
            "podman {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn wait_until_up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let socket = self.socket();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "podman system service ended ({status}): {}",
                    std::fs::read_to_string(self.dir.path().join("service.log"))
                        .unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "podman's socket never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The service's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }

    /// Whether `path` is this service's own (for asserts on what fleetdeck connected to).
    pub fn owns(&self, path: &Path) -> bool {
        path.starts_with(self.dir.path())
    }
}

impl PodmanService {
    /// Kills the processes whose command line names this service's dir (its conmons).
    fn end_own_processes(&self) {
        let dir = self.dir.path().display().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let named = std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(&dir));
            if named && pid != std::process::id() {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).output();
            }
        }
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        // What it ran goes first (a container holds mounts under the storage root).
        let _ = self.podman().args(["pod", "rm", "-af"]).output();
        let _ = self.podman().args(["rm", "-af", "-t", "0"]).output();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // An exec's conmon stays 5 min after the exec (`--exit-delay 300`), then runs podman's
        // cleanup on this storage (mounting it again): this service's own, ended now.
        self.end_own_processes();
        // The storage's own mounts (its overlay home is bind-mounted on itself), deepest
        // first, so that the temp dir can go.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "awk '{{print $2}}' /proc/mounts | grep '^{}/' | sort -r | xargs -r umount -l",
                self.dir.path().display()
            ))
            .output();
    }
}
