//! A Docker Swarm made by the test (per ../shared/testing/README.md): one to a few nodes, each a
//! `dockerd` in its own network namespace (entered with `nsenter --net`, never `ip netns exec`,
//! which remounts /sys) with its own hostname (`unshare --uts`), socket, data root, exec root,
//! pidfile and `{}` config file; the namespaces joined by a bridge of the test's own, an
//! iptables `DOCKER-USER` rule letting frames pass between them (the machine's FORWARD policy is
//! DROP), `swarm init` on node 1 and `swarm join` on the others, and the test image loaded into
//! each node (no registry: `docker save | docker -H NODE load`).
//!
//! Every name (bridge, namespaces, veths, dirs, the /24 of the nodes) is made from the test
//! process's pid and a counter, so two swarm tests (two test binaries at once) never clash.
//! Drop undoes it all in reverse: `swarm leave --force`, the daemons stopped (and their
//! containerd), mounts, namespaces, links, the iptables rule, the dirs. The machine's own daemon
//! and its `docker0` are never touched.
//!
//! The tests that start one are `#[ignore = "needs root, dockerd and ip netns"]`;
//! `scripts/test.sh` runs them where it can. Run anyway without root or without `dockerd`,
//! [`Swarm::start`] fails the test saying what is missing, never passes it unchecked.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::IMAGE;
use super::daemon::{BRIDGE_ALIAS, is_root};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// One node: a dockerd in its own network namespace.
struct Node {
    netns: String,
    /// The host end of the node's veth pair (on the bridge).
    veth: String,
    hostname: String,
    addr: String,
    dir: PathBuf,
    host: String,
    child: Option<Child>,
}

/// A swarm of `nodes` nodes; node 0 is the manager (the one `swarm init` ran on).
pub struct Swarm {
    tag: u32,
    bridge: String,
    /// The first three octets of the nodes' /24 (`10.A.B`).
    net: String,
    /// Whether the `DOCKER-USER` rule was added (and so must be deleted).
    rule: bool,
    nodes: Vec<Node>,
}

fn sh(script: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run sh")
}

fn sh_ok(script: &str) -> String {
    let out = sh(script);
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn find_dockerd() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("dockerd"))
        .find(|p| p.is_file())
}

/// The iptables rule letting the nodes' frames across the bridge, as `-I`/`-D` take it.
fn rule(bridge: &str) -> String {
    format!("DOCKER-USER -i {bridge} -o {bridge} -j ACCEPT")
}

/// Makes the test image on the machine's daemon with the docker CLI, unless it is there.
fn ensure_image_cli() {
    if sh(&format!("docker image inspect {IMAGE} >/dev/null 2>&1"))
        .status
        .success()
    {
        return;
    }
    let busybox = std::env::var("FLEETDECK_TEST_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".into());
    let dir = PathBuf::from(format!("/tmp/fdsw-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("image build dir");
    std::fs::copy(&busybox, dir.join("busybox")).unwrap_or_else(|e| {
        panic!("the test image needs a static busybox at {busybox} (apt-get install busybox-static): {e}")
    });
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"/bin/sh\"]\n",
    )
    .expect("Dockerfile");
    let built = sh(&format!(
        "DOCKER_BUILDKIT=0 docker build -q -t {IMAGE} {}",
        dir.display()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    // Another test may have built it meanwhile: what counts is that it is there now.
    assert!(
        built.status.success()
            || sh(&format!("docker image inspect {IMAGE} >/dev/null 2>&1"))
                .status
                .success(),
        "building the test image: {}",
        String::from_utf8_lossy(&built.stderr)
    );
}

impl Swarm {
    /// Starts a swarm of `nodes` nodes (1 or more), every node ready, the test image loaded into
    /// each; panics, saying what is missing, where this machine cannot (not root, no `dockerd`).
    pub fn start(nodes: usize) -> Self {
        assert!(nodes >= 1, "a swarm has at least one node");
        assert!(
            is_root(),
            "a swarm of test daemons needs root: run this ignored test as root (scripts/test.sh does)"
        );
        let dockerd = find_dockerd().unwrap_or_else(|| {
            panic!("a swarm of test daemons needs dockerd: apt-get install docker.io (scripts/test.sh does)")
        });
        for tool in ["nsenter", "unshare", "ip"] {
            assert!(
                sh(&format!("command -v {tool}")).status.success(),
                "a swarm of test daemons needs {tool} (util-linux, iproute2)"
            );
        }
        ensure_image_cli();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = (std::process::id() % 1_000_000) * 10 + n % 10;
        let mut swarm = Self {
            tag,
            bridge: String::new(),
            net: String::new(),
            rule: false,
            nodes: Vec::new(),
        };
        swarm.make_bridge();
        // The rule only where the machine's daemon made the chain (else FORWARD is not DROP).
        if sh("iptables -L DOCKER-USER -n >/dev/null 2>&1")
            .status
            .success()
        {
            sh_ok(&format!("iptables -I {}", rule(&swarm.bridge)));
            swarm.rule = true;
        }
        for i in 0..nodes {
            swarm.add_node(i);
        }
        for i in 0..nodes {
            swarm.spawn(i, &dockerd);
        }
        for i in 0..nodes {
            swarm.wait_up(i);
        }
        swarm.form();
        for i in 0..nodes {
            sh_ok(&format!(
                "docker save {IMAGE} | docker -H {} load -q",
                swarm.nodes[i].host
            ));
        }
        swarm
    }

    /// A bridge named after the tag with a /24 that no interface of the machine has yet.
    fn make_bridge(&mut self) {
        for attempt in 0..40u32 {
            let k = self.tag.wrapping_add(attempt.wrapping_mul(7919));
            let net = format!("10.{}.{}", 212 + (k / 250) % 40, k % 250);
            let name = format!("fdsw{}", self.tag % 10_000_000 + attempt * 13);
            if sh(&format!("ip -o addr | grep -q ' {net}\\.'"))
                .status
                .success()
            {
                continue;
            }
            let made = sh(&format!(
                "ip link add {name} type bridge && ip link set {name} alias {BRIDGE_ALIAS} && ip addr add {net}.1/24 dev {name} && ip link set {name} up"
            ));
            if made.status.success() {
                self.bridge = name;
                self.net = net;
                return;
            }
            let _ = sh(&format!("ip link del {name} 2>/dev/null"));
        }
        panic!("could not make a bridge for the swarm's nodes");
    }

    /// Node `i`'s namespace, veth pair (address `NET.(11+i)`), and dir.
    fn add_node(&mut self, i: usize) {
        let netns = format!("fdsw{}n{i}", self.tag);
        let veth = format!("fdsv{}n{i}", self.tag % 10_000_000);
        let peer = format!("fdsp{}n{i}", self.tag % 10_000_000);
        let addr = format!("{}.{}", self.net, 11 + i);
        let dir = PathBuf::from(format!("/tmp/fdsw{}n{i}", self.tag));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("node dir");
        std::fs::write(dir.join("daemon.json"), "{}").expect("daemon.json");
        let host = format!("unix://{}", dir.join("d.sock").display());
        // Pushed before the commands, so Drop undoes whatever of it was made.
        self.nodes.push(Node {
            netns: netns.clone(),
            veth: veth.clone(),
            hostname: format!("node-{}", i + 1),
            addr: addr.clone(),
            dir,
            host,
            child: None,
        });
        sh_ok(&format!(
            "ip netns add {netns} && \
             ip link add {veth} type veth peer name {peer} && \
             ip link set {veth} master {b} && ip link set {veth} up && \
             ip link set {peer} netns {netns} && \
             ip -n {netns} addr add {addr}/24 dev {peer} && \
             ip -n {netns} link set {peer} up && ip -n {netns} link set lo up",
            b = self.bridge
        ));
    }

    fn spawn(&mut self, i: usize, dockerd: &Path) {
        let node = &mut self.nodes[i];
        let d = |p: &str| node.dir.join(p).display().to_string();
        let log = std::fs::File::create(node.dir.join("dockerd.log")).expect("dockerd log");
        let script = format!(
            "hostname {h} && exec {dockerd} --config-file {cfg} -H {host} --data-root {data} --exec-root {exec} --pidfile {pid}",
            h = node.hostname,
            dockerd = dockerd.display(),
            cfg = d("daemon.json"),
            host = node.host,
            data = d("data"),
            exec = d("exec"),
            pid = d("d.pid"),
        );
        // nsenter and unshare exec (no --fork): the child is the dockerd itself.
        let child = Command::new("nsenter")
            .arg(format!("--net=/var/run/netns/{}", node.netns))
            .args(["unshare", "--uts", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start a node's dockerd");
        node.child = Some(child);
    }

    fn wait_up(&self, i: usize) {
        let node = &self.nodes[i];
        let begun = Instant::now();
        while !sh(&format!(
            "docker -H {} info --format '{{{{.ID}}}}'",
            node.host
        ))
        .status
        .success()
        {
            if begun.elapsed() > Duration::from_secs(90) {
                let log = std::fs::read_to_string(node.dir.join("dockerd.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                panic!("node {} did not answer:\n{}", i + 1, tail.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `swarm init` on node 0, `swarm join` of the others as workers, then every node ready.
    fn form(&self) {
        let manager = &self.nodes[0];
        self.docker(
            0,
            &["swarm", "init", "--advertise-addr", manager.addr.as_str()],
        );
        if self.nodes.len() > 1 {
            let token = self.docker(0, &["swarm", "join-token", "-q", "worker"]);
            let remote = format!("{}:2377", manager.addr);
            for i in 1..self.nodes.len() {
                let addr = self.nodes[i].addr.clone();
                self.docker(
                    i,
                    &[
                        "swarm",
                        "join",
                        "--token",
                        &token,
                        "--advertise-addr",
                        &addr,
                        &remote,
                    ],
                );
            }
        }
        self.wait_until("every node Ready", Duration::from_secs(90), || {
            let states = self.docker(0, &["node", "ls", "--format", "{{.Status}}"]);
            states.lines().filter(|s| *s == "Ready").count() == self.nodes.len()
        });
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The manager's address as `DOCKER_HOST` and `--host` take it (`unix://...`).
    pub fn manager_host(&self) -> String {
        self.node_host(0)
    }

    /// Node `i`'s address (`unix://...`); node 0 is the manager.
    pub fn node_host(&self, i: usize) -> String {
        self.nodes[i].host.clone()
    }

    /// Node `i`'s hostname (`node-1`, `node-2`, ...: node `i` is `node-(i+1)`).
    pub fn hostname(&self, i: usize) -> String {
        self.nodes[i].hostname.clone()
    }

    /// Node `i`'s swarm node id.
    pub fn node_id(&self, i: usize) -> String {
        self.docker(i, &["info", "--format", "{{.Swarm.NodeID}}"])
    }

    /// `docker -H NODE_i ARGS`, which must succeed; its trimmed stdout.
    pub fn docker(&self, i: usize, args: &[&str]) -> String {
        let out = self.docker_output(i, args);
        assert!(
            out.status.success(),
            "docker -H {} {args:?}: {}",
            self.nodes[i].host,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `docker -H NODE_i ARGS`, whatever its outcome.
    pub fn docker_output(&self, i: usize, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .arg("-H")
            .arg(&self.nodes[i].host)
            .args(args)
            .output()
            .expect("run docker")
    }

    /// Creates a replicated service of the test image on the manager (`--no-resolve-image`:
    /// there is no registry), running `sh -c SCRIPT`, with `extra` flags before the image;
    /// returns its id. Does not wait for its tasks.
    pub fn create_service(
        &self,
        name: &str,
        replicas: u64,
        extra: &[&str],
        script: &str,
    ) -> String {
        let replicas = replicas.to_string();
        let mut args = vec![
            "service",
            "create",
            "--detach",
            "--no-resolve-image",
            "--name",
            name,
        ];
        // A global service (`--mode global` in `extra`) takes no replica count.
        if !extra.contains(&"global") {
            args.extend_from_slice(&["--replicas", &replicas]);
        }
        args.extend_from_slice(extra);
        args.extend_from_slice(&[IMAGE, "sh", "-c", script]);
        self.docker(0, &args)
    }

    /// Polls `check` until it holds (the swarm's pace, not a timing assert: gives up after
    /// `bound` and fails with `what`).
    pub fn wait_until(&self, what: &str, bound: Duration, mut check: impl FnMut() -> bool) {
        let begun = Instant::now();
        while !check() {
            assert!(begun.elapsed() < bound, "the swarm never reached: {what}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Running tasks of `service` per node hostname, as the manager's `docker service ps` says.
    pub fn running_tasks_by_node(&self, service: &str) -> Vec<(String, usize)> {
        let out = self.docker(
            0,
            &[
                "service",
                "ps",
                service,
                "--filter",
                "desired-state=running",
                "--format",
                "{{.Node}} {{.CurrentState}}",
            ],
        );
        let mut counts: Vec<(String, usize)> = Vec::new();
        for line in out.lines() {
            let mut words = line.split_whitespace();
            let (Some(node), Some(state)) = (words.next(), words.next()) else {
                continue;
            };
            if state != "Running" {
                continue;
            }
            match counts.iter_mut().find(|(n, _)| n == node) {
                Some((_, c)) => *c += 1,
                None => counts.push((node.to_string(), 1)),
            }
        }
        counts.sort();
        counts
    }
}

impl Node {
    fn end_containerd(&self) {
        super::daemon::end_containerd(&self.dir);
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
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
}

impl Drop for Swarm {
    fn drop(&mut self) {
        // Workers leave first, then the manager; their containers go with the daemons.
        for node in self.nodes.iter().rev() {
            if node.child.is_some() {
                let _ = sh(&format!(
                    "timeout 30 docker -H {h} swarm leave --force >/dev/null 2>&1; \
                     timeout 30 docker -H {h} ps -aq | xargs -r timeout 30 docker -H {h} rm -f >/dev/null 2>&1",
                    h = node.host
                ));
            }
        }
        for node in self.nodes.iter_mut().rev() {
            node.stop();
            node.end_containerd();
            let _ = sh(&format!(
                "grep ' {d}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l",
                d = node.dir.display()
            ));
            let _ = sh(&format!(
                "ip netns del {} 2>/dev/null; ip link del {} 2>/dev/null",
                node.netns, node.veth
            ));
            let _ = std::fs::remove_dir_all(&node.dir);
        }
        if self.rule {
            let _ = sh(&format!("iptables -D {}", rule(&self.bridge)));
        }
        if !self.bridge.is_empty() {
            let _ = sh(&format!("ip link del {}", self.bridge));
        }
    }
}
