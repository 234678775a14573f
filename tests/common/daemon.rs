//! A second Docker daemon for one test (per ../shared/testing/README.md): its own socket, data
//! root, exec root, pidfile, config file `{}` and bridge `fdtestN` (never `--bridge=none`, which
//! would take `docker0` from the machine's daemon), with the test image loaded. It can be killed
//! with SIGKILL and started again on the same data root (a real daemon restart: the in-memory
//! event log is gone). Drop removes its containers, stops it, deletes the bridge and the dirs.
//!
//! The tests that start one are `#[ignore = "needs root and dockerd"]` (`scripts/test.sh` runs
//! them with `--include-ignored` where it can); run anyway without root or without `dockerd`,
//! [`SecondDaemon::start`] fails the test saying which is missing, never passes it unchecked.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The alias every second daemon's bridge carries: `scripts/test.sh` deletes the bridges with
/// it that no running dockerd uses (the label sweep's counterpart for links).
pub const BRIDGE_ALIAS: &str = "fleetdeck.test.run";

pub struct SecondDaemon {
    pub dir: PathBuf,
    /// `unix:///.../docker.sock`, as `--host` takes it.
    pub host: String,
    pub bridge: String,
    /// More `dockerd` flags (a TLS listener), kept for a restart.
    extra: Vec<String>,
    child: Option<Child>,
}

/// Whether this test runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn find_dockerd() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("dockerd"))
        .find(|p| p.is_file())
}

fn sh(script: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run sh")
}

/// Ends the containerd a daemon with its data and exec roots under `dir` started, if it
/// outlived the daemon (only a process whose command line names `dir`): waits up to 10 s,
/// then SIGKILL.
pub fn end_containerd(dir: &Path) {
    let pid_file = dir.join("exec").join("containerd").join("containerd.pid");
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
    else {
        return;
    };
    let ours = || {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(&*dir.to_string_lossy()))
            .unwrap_or(false)
    };
    let begun = Instant::now();
    while ours() && begun.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if ours() {
        let _ = sh(&format!("kill -9 {pid}"));
    }
}

impl SecondDaemon {
    /// Starts a second daemon with the test image `image` loaded from the machine's daemon;
    /// panics, saying what is missing, where this machine cannot (not root, no `dockerd`).
    pub fn start(image: &str) -> Self {
        Self::start_with(image, &[])
    }

    /// As [`SecondDaemon::start`], with more `dockerd` flags (`--host tcp://...`, `--tlsverify`).
    pub fn start_with(image: &str, extra: &[String]) -> Self {
        assert!(
            is_root(),
            "a second dockerd needs root: run this ignored test as root (scripts/test.sh does)"
        );
        let dockerd = find_dockerd().unwrap_or_else(|| {
            panic!("a second dockerd needs dockerd installed: apt-get install docker.io (scripts/test.sh does)")
        });
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = (std::process::id() % 100_000) * 10 + n;
        let dir = PathBuf::from(format!("/tmp/fdd{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("daemon dir");
        std::fs::write(dir.join("daemon.json"), "{}").expect("daemon.json");
        // A bridge of its own, with an address no other test's bridge has.
        let mut bridge = String::new();
        for attempt in 0..20u32 {
            let name = format!("fdtest{}", (tag + attempt * 7919) % 1_000_000_000);
            let octet = 10 + (tag + attempt * 37) % 240;
            // The alias labels it as the test's, for the sweep in scripts/test.sh (a bridge
            // left by a test killed before its drop ran).
            let made = sh(&format!(
                "ip link add {name} type bridge && ip link set {name} alias {BRIDGE_ALIAS} && ip addr add 10.231.{octet}.1/24 dev {name} && ip link set {name} up"
            ));
            if made.status.success() {
                bridge = name;
                break;
            }
            let _ = sh(&format!("ip link del {name} 2>/dev/null"));
        }
        assert!(
            !bridge.is_empty(),
            "could not make a bridge for the second daemon"
        );
        let host = format!("unix://{}", dir.join("docker.sock").display());
        let mut daemon = Self {
            dir,
            host,
            bridge,
            extra: extra.to_vec(),
            child: None,
        };
        daemon.spawn(&dockerd);
        let loaded = sh(&format!(
            "docker save {image} | docker -H {} load",
            daemon.host
        ));
        assert!(
            loaded.status.success(),
            "loading {image} into the second daemon: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        daemon
    }

    fn spawn(&mut self, dockerd: &Path) {
        let d = |p: &str| self.dir.join(p).display().to_string();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("dockerd.log"))
            .expect("dockerd log");
        let child = Command::new(dockerd)
            .args(["--config-file", &d("daemon.json")])
            .args(["--host", &self.host])
            .args(["--data-root", &d("data")])
            .args(["--exec-root", &d("exec")])
            .args(["--pidfile", &d("docker.pid")])
            .arg(format!("--bridge={}", self.bridge))
            .args(["--iptables=false", "--ip-forward=false", "--ip-masq=false"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        self.child = Some(child);
        let begun = Instant::now();
        loop {
            let info = sh(&format!(
                "docker -H {} info --format '{{{{.ID}}}}'",
                self.host
            ));
            if info.status.success() {
                return;
            }
            if begun.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                panic!("the second dockerd did not answer:\n{}", tail.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILL, then a start on the same data root: a real daemon restart.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.restart();
    }

    /// SIGKILL: the daemon is gone (its socket stays, refusing connections).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the daemon again on the same data root, after [`SecondDaemon::kill`].
    pub fn restart(&mut self) {
        // Its containerd goes with it; the new daemon must not wait on the old one's pid file
        // (a pid that may be another process's by now) or sockets.
        let containerd = self.dir.join("exec").join("containerd");
        self.end_containerd();
        for stale in [
            "containerd.pid",
            "containerd.sock",
            "containerd.sock.ttrpc",
            "containerd-debug.sock",
        ] {
            let _ = std::fs::remove_file(containerd.join(stale));
        }
        let _ = std::fs::remove_file(self.dir.join("docker.pid"));
        let dockerd = find_dockerd().expect("dockerd");
        self.spawn(&dockerd);
    }
}

impl SecondDaemon {
    /// Ends the containerd this daemon started, if it outlived it.
    fn end_containerd(&self) {
        end_containerd(&self.dir);
    }
}

impl Drop for SecondDaemon {
    fn drop(&mut self) {
        let _ = sh(&format!(
            "docker -H {h} ps -aq | xargs -r docker -H {h} rm -f",
            h = self.host
        ));
        if let Some(mut child) = self.child.take() {
            let _ = sh(&format!("kill -TERM {}", child.id()));
            let begun = Instant::now();
            while begun.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // A containerd left behind, then mounts, the bridge and the dirs.
        self.end_containerd();
        let _ = sh(&format!(
            "grep ' {d}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l",
            d = self.dir.display()
        ));
        let _ = sh(&format!("ip link del {}", self.bridge));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
