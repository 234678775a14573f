//! The keys of issue #20 against the real daemon: for each fixture under
//! tests/fixtures/compose/ that docker-compose 1.29 can also run (runtime options, shared
//! namespaces / volumes / links, networks and volumes with their options and resource limits),
//! `fleetdeck apply` and `docker-compose up -d` make the same containers, compared field by
//! field from `docker inspect` (names aside: v1 writes `project_service_1`, and the project
//! names differ), and `plan` after `apply` is all unchanged. Every container, network and
//! volume carries the run label and is removed when the test ends, also when it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::binary::Sandbox;
use common::{Fixture, IMAGE};
use serde_json::Value;

/// The fields compared, as JSON pointers into `docker inspect`.
const FIELDS: &[&str] = &[
    "/Config/Cmd",
    "/Config/Entrypoint",
    "/Config/User",
    "/Config/WorkingDir",
    "/Config/Tty",
    "/Config/OpenStdin",
    "/Config/ExposedPorts",
    "/Config/StopSignal",
    "/Config/StopTimeout",
    "/Config/Domainname",
    "/Config/Healthcheck",
    "/Config/Image",
    "/HostConfig/Privileged",
    "/HostConfig/Sysctls",
    "/HostConfig/Devices",
    "/HostConfig/DeviceCgroupRules",
    "/HostConfig/DeviceRequests",
    "/HostConfig/PidMode",
    "/HostConfig/IpcMode",
    "/HostConfig/UsernsMode",
    "/HostConfig/CgroupParent",
    "/HostConfig/SecurityOpt",
    "/HostConfig/GroupAdd",
    "/HostConfig/OomScoreAdj",
    "/HostConfig/Memory",
    "/HostConfig/MemoryReservation",
    "/HostConfig/MemorySwap",
    "/HostConfig/NanoCpus",
    "/HostConfig/CpuShares",
    "/HostConfig/PidsLimit",
    "/HostConfig/CapAdd",
    "/HostConfig/CapDrop",
    "/HostConfig/ShmSize",
    "/HostConfig/Dns",
    "/HostConfig/DnsOptions",
    "/HostConfig/DnsSearch",
    "/HostConfig/ExtraHosts",
    "/HostConfig/RestartPolicy",
    "/HostConfig/ReadonlyRootfs",
    "/HostConfig/Tmpfs",
    "/HostConfig/VolumesFrom",
    "/HostConfig/NetworkMode",
];

/// One fixture run twice: by fleetdeck as project `A`, by docker-compose 1.29 as `B`.
struct Parity {
    fixture: Fixture,
    sandbox: Sandbox,
    dir: PathBuf,
    a: String,
    b: String,
    env: Vec<(String, String)>,
    /// Variables whose value differs between the two runs (fleetdeck's, docker-compose's).
    env_b: Vec<(String, String)>,
}

impl Parity {
    async fn new(name: &str, extra_env: &[(&str, String, String)]) -> Self {
        let fixture = Fixture::new(&format!("parity-{name}")).await;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/compose")
            .join(name);
        let mut env = vec![
            ("FD_IMAGE".to_string(), IMAGE.to_string()),
            ("FD_RUN".to_string(), fixture.run.clone()),
        ];
        env.extend(extra_env.iter().map(|(k, v, _)| (k.to_string(), v.clone())));
        let env_b = extra_env
            .iter()
            .map(|(k, _, v)| (k.to_string(), v.clone()))
            .collect();
        let a = format!("{}a", fixture.prefix.replace(['.', '_'], "-")).to_lowercase();
        let b = format!("{}b", fixture.prefix.replace(['.', '-', '_'], "")).to_lowercase();
        Self {
            fixture,
            sandbox: Sandbox::new(),
            dir,
            a,
            b,
            env,
            env_b,
        }
    }

    fn file(&self) -> String {
        self.dir.join("compose.yaml").display().to_string()
    }

    fn fleetdeck(&self, args: &[&str]) -> common::binary::Ran {
        let file = self.file();
        let mut all = vec!["-f", file.as_str(), "-p", self.a.as_str()];
        all.extend_from_slice(args);
        self.sandbox.run_with(&all, |cmd| {
            cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        })
    }

    fn compose_v1(&self, args: &[&str]) {
        let out = Command::new("docker-compose")
            .args(["-f", &self.file(), "-p", &self.b])
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(self.env_b.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("docker-compose runs");
        assert!(
            out.status.success(),
            "docker-compose {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn inspect(&self, name: &str) -> Value {
        let out = Command::new("docker")
            .args(["inspect", name])
            .output()
            .expect("docker inspect");
        let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "inspect {name}: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        list.get(0)
            .cloned()
            .unwrap_or_else(|| panic!("no container {name}"))
    }

    /// Both projects' names and ids become `P`, `_` becomes `-`: what is left must match.
    fn normalise(&self, v: &Value, ids: &[(String, String)]) -> Value {
        match v {
            Value::String(s) => {
                let mut s = s.clone();
                for (id, name) in ids {
                    s = s.replace(id.as_str(), name);
                }
                Value::String(
                    s.replace(&self.a, "P")
                        .replace(&self.b, "P")
                        .replace('_', "-"),
                )
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.normalise(i, ids)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let k = k
                            .replace(&self.a, "P")
                            .replace(&self.b, "P")
                            .replace('_', "-");
                        (k, self.normalise(v, ids))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Every container id of both projects with its name, to read references by name.
    fn ids(&self) -> Vec<(String, String)> {
        let out = Command::new("docker")
            .args([
                "ps",
                "-a",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Names}}",
                "--filter",
            ])
            .arg(
                self.fixture
                    .run_label()
                    .replace("fleetdeck.test.run", "label=fleetdeck.test.run"),
            )
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(i, n)| (i.to_string(), n.to_string()))
            .collect()
    }

    /// The differences between fleetdeck's container of `service` and docker-compose's.
    fn differences(&self, service: &str) -> Vec<String> {
        let ids = self.ids();
        let ours = self.inspect(&format!("{}-{service}-1", self.a));
        let theirs = self.inspect(&format!("{}_{service}_1", self.b));
        let mut out = Vec::new();
        for field in FIELDS {
            let x = self.normalise(ours.pointer(field).unwrap_or(&Value::Null), &ids);
            let y = self.normalise(theirs.pointer(field).unwrap_or(&Value::Null), &ids);
            if !same(&x, &y) {
                out.push(format!("{field}: fleetdeck {x} | docker-compose {y}"));
            }
        }
        for (what, x, y) in [
            ("env", env(&ours), env(&theirs)),
            ("mounts", mounts(&ours), mounts(&theirs)),
            (
                "networks",
                networks(&ours, service),
                networks(&theirs, service),
            ),
            ("links", links(&ours), links(&theirs)),
        ] {
            let (x, y) = (self.normalise(&x, &ids), self.normalise(&y, &ids));
            if x != y {
                out.push(format!("{what}: fleetdeck {x} | docker-compose {y}"));
            }
        }
        out
    }

    /// The differences between the two projects' network or volume `key` (`kind`: network or
    /// volume), compose's own labels aside.
    fn resource_differences(&self, kind: &str, key: &str, fields: &[&str]) -> Vec<String> {
        let get = |project: &str| -> Value {
            let out = Command::new("docker")
                .args([kind, "inspect", &format!("{project}_{key}")])
                .output()
                .expect("docker inspect");
            let list: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            list.get(0).cloned().unwrap_or(Value::Null)
        };
        let (ours, theirs) = (get(&self.a), get(&self.b));
        assert!(
            !ours.is_null() && !theirs.is_null(),
            "{kind} {key} on both sides"
        );
        fields
            .iter()
            .filter_map(|f| {
                let x = self.normalise(ours.pointer(f).unwrap_or(&Value::Null), &[]);
                let y = self.normalise(theirs.pointer(f).unwrap_or(&Value::Null), &[]);
                (!same(&x, &y))
                    .then(|| format!("{kind} {key} {f}: fleetdeck {x} | docker-compose {y}"))
            })
            .collect()
    }

    fn plan_is_unchanged(&self) {
        let plan = self
            .fleetdeck(&["plan", "--json"])
            .expect_code(0)
            .json_lines();
        assert!(!plan.is_empty());
        for step in &plan {
            assert_eq!(step["action"], "unchanged", "plan after apply: {plan:?}");
        }
    }
}

/// Equal, with `null`, `[]`, `{}`, `false`, `0` and `""` all meaning "not set".
fn same(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    };
    a == b || (empty(a) && empty(b))
}

/// The environment, sorted, without the image's PATH and the HOSTNAME the daemon sets.
fn env(v: &Value) -> Value {
    let mut list: Vec<String> = v
        .pointer("/Config/Env")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    list.retain(|e| !e.starts_with("PATH=") && !e.starts_with("HOSTNAME="));
    list.sort();
    Value::from(list)
}

/// The mounts as what is mounted where, sorted.
fn mounts(v: &Value) -> Value {
    let mut list: Vec<String> = v
        .pointer("/Mounts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| {
                    format!(
                        "{} {} {} rw={}",
                        m["Type"].as_str().unwrap_or_default(),
                        m["Name"]
                            .as_str()
                            .or(m["Source"].as_str())
                            .unwrap_or_default(),
                        m["Destination"].as_str().unwrap_or_default(),
                        m["RW"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    Value::from(list)
}

/// The networks joined, each with its aliases other than the container's short id.
fn networks(v: &Value, _service: &str) -> Value {
    let Some(map) = v
        .pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
    else {
        return Value::Null;
    };
    let short = v["Id"]
        .as_str()
        .unwrap_or_default()
        .get(..12)
        .unwrap_or_default()
        .to_string();
    let mut out = serde_json::Map::new();
    for (name, n) in map {
        let mut aliases: Vec<String> = n["Aliases"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        aliases.retain(|a| *a != short);
        aliases.sort();
        out.insert(name.clone(), Value::from(aliases));
    }
    Value::Object(out)
}

/// The link aliases the container has, on the legacy bridge (`/CONTAINER:/SELF/ALIAS`) or on
/// its networks' endpoints (`CONTAINER:ALIAS`), as `CONTAINER:ALIAS`, sorted.
fn links(v: &Value) -> Value {
    let mut raw: Vec<&Value> = Vec::new();
    if let Some(a) = v.pointer("/HostConfig/Links").and_then(Value::as_array) {
        raw.extend(a);
    }
    if let Some(nets) = v
        .pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
    {
        for n in nets.values() {
            if let Some(a) = n["Links"].as_array() {
                raw.extend(a);
            }
        }
    }
    let mut list: Vec<String> = raw
        .into_iter()
        .filter_map(Value::as_str)
        .filter_map(|l| {
            let (target, alias) = l.split_once(':')?;
            Some(format!(
                "{}:{}",
                target.trim_start_matches('/'),
                alias.rsplit('/').next().unwrap_or(alias)
            ))
        })
        .collect();
    list.sort();
    list.dedup();
    Value::from(list)
}

impl Drop for Parity {
    fn drop(&mut self) {
        common::sweep(&self.fixture.run_label(), true);
    }
}

async fn check(
    name: &str,
    services: &[&str],
    extra_env: &[(&str, String, String)],
    allowed: &[&str],
) -> Parity {
    let p = Parity::new(name, extra_env).await;
    p.fleetdeck(&["apply", "--json"]).expect_code(0);
    p.compose_v1(&["up", "-d"]);
    for service in services {
        let diffs: Vec<String> = p
            .differences(service)
            .into_iter()
            .filter(|d| !allowed.iter().any(|a| d.starts_with(a)))
            .collect();
        assert!(
            diffs.is_empty(),
            "{name}/{service} differs:\n{}",
            diffs.join("\n")
        );
    }
    p.plan_is_unchanged();
    p
}

#[tokio::test]
async fn runtime_options_match_docker_compose() {
    let p = check("runtime", &["app"], &[], &[]).await;
    let app = p.inspect(&format!("{}-app-1", p.a));
    for (field, want) in [
        ("/HostConfig/Sysctls/net.core.somaxconn", "1024"),
        ("/HostConfig/PidMode", "host"),
        ("/HostConfig/CgroupParent", "/fleetdeck-test"),
        ("/Config/Domainname", "example.com"),
    ] {
        assert_eq!(
            app.pointer(field).and_then(Value::as_str),
            Some(want),
            "{field}"
        );
    }
    assert_eq!(app.pointer("/Config/Tty"), Some(&Value::Bool(true)));
    assert!(
        app.pointer("/Config/ExposedPorts/4001~1udp").is_some(),
        "{}",
        app["Config"]
    );
}

#[tokio::test]
async fn shared_namespaces_volumes_and_links_match_docker_compose() {
    let p = check("sharing", &["base", "reader", "linked"], &[], &[]).await;
    // The comparison saw something on both sides: links, volumes_from, the shared namespaces.
    let linked = p.inspect(&format!("{}-linked-1", p.a));
    let found = links(&linked);
    assert!(
        found.as_array().is_some_and(|l| l
            .iter()
            .any(|x| x.as_str() == Some(&format!("{}-base-1:database", p.a)))),
        "{found}"
    );
    let reader = p.inspect(&format!("{}-reader-1", p.a));
    assert_eq!(
        reader
            .pointer("/HostConfig/VolumesFrom/0")
            .and_then(Value::as_str),
        Some(format!("{}-base-1:ro", p.a).as_str())
    );
    let base_id = p.inspect(&format!("{}-base-1", p.a))["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        reader
            .pointer("/HostConfig/NetworkMode")
            .and_then(Value::as_str),
        Some(format!("container:{base_id}").as_str())
    );
    assert_eq!(
        reader
            .pointer("/HostConfig/IpcMode")
            .and_then(Value::as_str),
        Some(format!("container:{base_id}").as_str())
    );
}

#[tokio::test]
async fn networks_volumes_and_limits_match_docker_compose() {
    // Each project its own subnet: the two networks may not overlap.
    let n = std::process::id() % 200 + 20;
    let p = check(
        "resources",
        &["app"],
        &[(
            "FD_SUBNET",
            format!("10.{n}.0.0/24"),
            format!("10.{n}.1.0/24"),
        )],
        &[],
    )
    .await;
    let mut diffs = p.resource_differences(
        "network",
        "back",
        &[
            "/Driver",
            "/Internal",
            "/Attachable",
            "/EnableIPv6",
            "/Options",
            "/IPAM/Driver",
        ],
    );
    diffs.extend(p.resource_differences("volume", "scratch", &["/Driver", "/Options"]));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The subnet each was given.
    let subnet = |project: &str| {
        let out = Command::new("docker")
            .args([
                "network",
                "inspect",
                "--format",
                "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
            ])
            .arg(format!("{project}_back"))
            .output()
            .expect("docker network inspect");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(subnet(&p.a), format!("10.{n}.0.0/24"));
    assert_eq!(subnet(&p.b), format!("10.{n}.1.0/24"));
}

#[tokio::test]
async fn external_networks_and_volumes_match_docker_compose() {
    let fixture = Fixture::new("parity-external-res").await;
    let (net, vol) = (fixture.name("net"), fixture.name("vol"));
    let _gone = Removed(vec![("volume", vol.clone()), ("network", net.clone())]);
    let label = fixture.run_label();
    for args in [
        vec!["network", "create", "--label", label.as_str(), net.as_str()],
        vec!["volume", "create", "--label", label.as_str(), vol.as_str()],
    ] {
        let out = Command::new("docker").args(&args).output().expect("docker");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let p = check(
        "external",
        &["app"],
        &[
            ("FD_NET", net.clone(), net.clone()),
            ("FD_VOL", vol.clone(), vol.clone()),
        ],
        &[],
    )
    .await;
    let app = p.inspect(&format!("{}-app-1", p.a));
    assert!(
        app.pointer(&format!("/NetworkSettings/Networks/{net}"))
            .is_some(),
        "{}",
        app["NetworkSettings"]
    );
    assert!(mounts(&app).to_string().contains(&vol), "{}", mounts(&app));
    // Neither project made its own network or volume.
    let out = Command::new("docker")
        .args([
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("name={}_outside", p.a),
        ])
        .output()
        .expect("docker network ls");
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    // `down` leaves what is external (as docker compose does).
    p.fleetdeck(&["down", "--volumes", "--yes"]).expect_code(0);
    for (kind, name) in [("network", &net), ("volume", &vol)] {
        let out = Command::new("docker")
            .args([kind, "inspect", name.as_str()])
            .output()
            .expect("docker inspect");
        assert!(out.status.success(), "{kind} {name} is still there");
    }
    drop(fixture);
}

/// Removes the resources named when dropped (also when the test fails).
struct Removed(Vec<(&'static str, String)>);

impl Drop for Removed {
    fn drop(&mut self) {
        for (kind, name) in &self.0 {
            let _ = Command::new("docker")
                .args([*kind, "rm", name.as_str()])
                .output();
        }
    }
}
