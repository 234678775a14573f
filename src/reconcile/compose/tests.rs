//! Loading compose files: every supported key, merging, project names, profiles, `.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A temporary project directory named `dir` holding `files`.
pub(super) struct Fixture {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Fixture {
    pub fn new(dir: &str, files: &[(&str, &str)]) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        Self { _tmp: tmp, dir }
    }

    pub fn opts(&self, files: &[&str], env: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            files: files.iter().map(|f| self.dir.join(f)).collect(),
            project_name: None,
            profiles: Vec::new(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn load(&self, files: &[&str], env: &[(&str, &str)]) -> Result<Project, ComposeError> {
        load(&self.opts(files, env))
    }
}

/// Loads one file `compose.yaml` in a directory `app`.
pub(crate) fn load_one(text: &str) -> Result<Project, ComposeError> {
    Fixture::new("app", &[("compose.yaml", text)]).load(&["compose.yaml"], &[("HOME", "/home/me")])
}

fn one(text: &str) -> ServiceSpec {
    let project = load_one(text).expect("loads");
    project.services.into_iter().next().expect("a service")
}

fn s(v: &str) -> String {
    v.to_string()
}

#[test]
fn a_minimal_service_gets_compose_defaults() {
    let p = load_one("services:\n  web:\n    image: nginx\n").expect("loads");
    assert_eq!(p.name, "app");
    assert_eq!(p.services.len(), 1);
    let web = &p.services[0];
    assert_eq!(web.image, "nginx");
    assert_eq!(web.replicas, 1);
    assert_eq!(web.pull_policy, PullPolicy::Missing);
    assert!(web.networks.contains_key("default"));
    assert_eq!(
        p.networks.get("default").map(|n| n.name.as_str()),
        Some("app_default")
    );
    assert!(p.working_dir.ends_with("app"));
    assert_eq!(p.config_files.len(), 1);
}

#[test]
fn every_scalar_and_list_key() {
    let web = one(r#"
services:
  web:
    image: nginx:1.27
    command: sh -c "echo 'hi there'"
    entrypoint: ["/bin/tini", "--"]
    restart: on-failure:3
    user: "1000:1000"
    working_dir: /srv
    hostname: web-host
    container_name: the-web
    init: true
    read_only: true
    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    tmpfs: /run
    shm_size: 64m
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    extra_hosts: ["db.local:10.0.0.2", "cache=10.0.0.3"]
    dns: 1.1.1.1
    pull_policy: always
    labels: [a=1, "b=two words"]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    logging:
      driver: json-file
      options: {max-size: 10m}
"#);
    assert_eq!(
        web.command,
        Some(vec![s("sh"), s("-c"), s("echo 'hi there'")])
    );
    assert_eq!(web.entrypoint, Some(vec![s("/bin/tini"), s("--")]));
    assert_eq!(web.restart.as_deref(), Some("on-failure:3"));
    assert_eq!(web.user.as_deref(), Some("1000:1000"));
    assert_eq!(web.working_dir.as_deref(), Some("/srv"));
    assert_eq!(web.hostname.as_deref(), Some("web-host"));
    assert_eq!(web.container_name.as_deref(), Some("the-web"));
    assert_eq!(web.init, Some(true));
    assert!(web.read_only);
    assert_eq!(web.cap_add, vec![s("NET_ADMIN"), s("SYS_TIME")]);
    assert_eq!(web.cap_drop, vec![s("ALL")]);
    assert_eq!(web.security_opt, vec![s("no-new-privileges:true")]);
    assert_eq!(web.tmpfs, vec![s("/run")]);
    assert_eq!(web.shm_size, Some(64 * 1024 * 1024));
    assert_eq!(web.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(web.stop_grace_period, Some(Duration::from_secs(90)));
    assert_eq!(
        web.extra_hosts,
        vec![s("cache:10.0.0.3"), s("db.local:10.0.0.2")]
    );
    assert_eq!(web.dns, vec![s("1.1.1.1")]);
    assert_eq!(web.pull_policy, PullPolicy::Always);
    assert_eq!(web.labels.get("b").map(String::as_str), Some("two words"));
    assert_eq!(
        web.ulimits.get("nofile"),
        Some(&Ulimit {
            soft: 1024,
            hard: 2048
        })
    );
    assert_eq!(
        web.ulimits.get("nproc"),
        Some(&Ulimit {
            soft: 512,
            hard: 512
        })
    );
    let logging = web.logging.expect("logging");
    assert_eq!(logging.driver.as_deref(), Some("json-file"));
    assert_eq!(
        logging.options.get("max-size").map(String::as_str),
        Some("10m")
    );
}

#[test]
fn environment_map_list_bare_and_env_file() {
    let fx = Fixture::new(
        "app",
        &[
            (
                "compose.yaml",
                "services:\n  a:\n    image: x\n    env_file: [common.env, {path: missing.env, required: false}]\n    environment:\n      FROM_MAP: m\n      SHARED: from-environment\n      BARE:\n      NUM: 3\n  b:\n    image: x\n    environment: [L=1, BARE, UNSET_BARE, \"Q=a=b\"]\n",
            ),
            ("common.env", "SHARED=from-file\nONLY_FILE=f\n"),
        ],
    );
    let p = fx
        .load(&["compose.yaml"], &[("BARE", "from-shell")])
        .expect("loads");
    let a = &p.services[0].environment;
    assert_eq!(a.get("FROM_MAP").map(String::as_str), Some("m"));
    assert_eq!(
        a.get("SHARED").map(String::as_str),
        Some("from-environment")
    );
    assert_eq!(a.get("ONLY_FILE").map(String::as_str), Some("f"));
    assert_eq!(a.get("BARE").map(String::as_str), Some("from-shell"));
    assert_eq!(a.get("NUM").map(String::as_str), Some("3"));
    let b = &p.services[1].environment;
    assert_eq!(b.get("L").map(String::as_str), Some("1"));
    assert_eq!(b.get("BARE").map(String::as_str), Some("from-shell"));
    assert_eq!(b.get("Q").map(String::as_str), Some("a=b"));
    assert!(!b.contains_key("UNSET_BARE"));
}

#[test]
fn ports_short_and_long() {
    let web = one(r#"
services:
  web:
    image: x
    ports:
      - 80
      - "8080:81"
      - "127.0.0.1:9000:82/udp"
      - "127.0.0.1::83"
      - "[::1]:9001:84"
      - "9090-9091:8080-8081"
      - "7000-7010:85"
      - target: 86
        published: "8686"
        host_ip: 0.0.0.0
        protocol: tcp
        mode: host
"#);
    let p = |target: u16, published: Option<&str>, ip: Option<&str>, proto: &str| PortSpec {
        target,
        published: published.map(str::to_string),
        host_ip: ip.map(str::to_string),
        protocol: proto.to_string(),
    };
    assert_eq!(
        web.ports,
        vec![
            p(80, None, None, "tcp"),
            p(81, Some("8080"), None, "tcp"),
            p(82, Some("9000"), Some("127.0.0.1"), "udp"),
            p(83, None, Some("127.0.0.1"), "tcp"),
            p(84, Some("9001"), Some("::1"), "tcp"),
            p(8080, Some("9090"), None, "tcp"),
            p(8081, Some("9091"), None, "tcp"),
            p(85, Some("7000-7010"), None, "tcp"),
            p(86, Some("8686"), Some("0.0.0.0"), "tcp"),
        ]
    );
}

#[test]
fn volumes_bind_named_tmpfs_short_and_long() {
    let p = load_one(
        r#"
services:
  db:
    image: postgres
    volumes:
      - ./data:/var/lib/data:ro,z
      - ../shared:/shared
      - ~/cfg:/cfg
      - /abs:/abs
      - dbdata:/var/lib/postgresql/data
      - /anonymous
      - type: bind
        source: ./conf
        target: /conf
        read_only: true
        bind: {propagation: rshared, create_host_path: false}
      - type: volume
        source: dbdata
        target: /second
        volume: {nocopy: true}
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1g, mode: 1777}
volumes:
  dbdata:
"#,
    )
    .expect("loads");
    let v = &p.services[0].volumes;
    let dir = p.working_dir.display().to_string();
    let parent = p
        .working_dir
        .parent()
        .expect("parent")
        .display()
        .to_string();
    assert_eq!(
        (v[0].kind, v[0].source.clone()),
        (MountKind::Bind, Some(format!("{dir}/data")))
    );
    assert!(v[0].read_only);
    assert_eq!(v[0].selinux.as_deref(), Some("z"));
    assert_eq!(v[1].source, Some(format!("{parent}/shared")));
    assert_eq!(v[2].source.as_deref(), Some("/home/me/cfg"));
    assert_eq!(v[3].source.as_deref(), Some("/abs"));
    assert_eq!(
        (v[4].kind, v[4].source.as_deref()),
        (MountKind::Volume, Some("dbdata"))
    );
    assert_eq!(
        (v[5].kind, v[5].source.as_deref(), v[5].target.as_str()),
        (MountKind::Volume, None, "/anonymous")
    );
    assert_eq!(v[6].source, Some(format!("{dir}/conf")));
    assert!(v[6].read_only && !v[6].create_host_path);
    assert_eq!(v[6].propagation.as_deref(), Some("rshared"));
    assert!(v[7].nocopy);
    assert_eq!(
        (v[8].kind, v[8].tmpfs_size, v[8].tmpfs_mode),
        (MountKind::Tmpfs, Some(1 << 30), Some(0o1777))
    );
    assert_eq!(
        p.volumes.get("dbdata").map(|v| v.name.as_str()),
        Some("app_dbdata")
    );
}

#[test]
fn networks_list_map_aliases_and_top_level_names() {
    let p = load_one(
        r#"
services:
  a:
    image: x
    networks: [front]
  b:
    image: x
    networks:
      front:
        aliases: [bee, b2]
        ipv4_address: 172.20.0.5
      back:
  c:
    image: x
    network_mode: host
networks:
  front:
  back:
    name: custom-back
    driver: bridge
    internal: true
    labels: {team: ops}
  outside:
    external: true
"#,
    )
    .expect("loads");
    assert_eq!(
        p.services[0].networks.keys().collect::<Vec<_>>(),
        vec!["front"]
    );
    let b = &p.services[1].networks;
    assert_eq!(
        b.get("front").map(|n| n.aliases.clone()),
        Some(vec![s("bee"), s("b2")])
    );
    assert_eq!(
        b.get("front").and_then(|n| n.ipv4_address.clone()),
        Some(s("172.20.0.5"))
    );
    assert!(b.contains_key("back"));
    assert!(p.services[2].networks.is_empty());
    assert_eq!(p.services[2].network_mode.as_deref(), Some("host"));
    assert_eq!(p.networks["front"].name, "app_front");
    assert_eq!(p.networks["back"].name, "custom-back");
    assert!(p.networks["back"].internal);
    assert_eq!(p.networks["outside"].name, "outside");
    assert!(p.networks["outside"].external);
    assert!(!p.networks.contains_key("default"));
}

#[test]
fn depends_on_list_and_map_conditions() {
    let p = load_one(
        r#"
services:
  db: {image: postgres}
  migrate: {image: m}
  cache: {image: redis}
  web:
    image: x
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully, restart: true}
      cache: {condition: service_started}
      gone: {condition: service_started, required: false}
  worker:
    image: x
    depends_on: [db, cache]
"#,
    )
    .expect("loads");
    let web = p.service("web").expect("web");
    assert_eq!(web.depends_on["db"].condition, Condition::ServiceHealthy);
    assert_eq!(
        web.depends_on["migrate"].condition,
        Condition::ServiceCompletedSuccessfully
    );
    assert!(web.depends_on["migrate"].restart);
    assert_eq!(web.depends_on["cache"].condition, Condition::ServiceStarted);
    assert!(!web.depends_on.contains_key("gone"));
    let worker = p.service("worker").expect("worker");
    assert_eq!(worker.depends_on.len(), 2);
    let levels = crate::reconcile::order::levels(&p.services).expect("no cycle");
    assert_eq!(
        levels,
        vec![
            vec![s("db"), s("migrate"), s("cache")],
            vec![s("web"), s("worker")]
        ]
    );
}

#[test]
fn replicas_scale_and_limits() {
    let p = load_one(
        r#"
services:
  a:
    image: x
    deploy:
      replicas: 3
      resources:
        limits: {cpus: "0.5", memory: 512m, pids: 100}
  b:
    image: x
    scale: 2
    mem_limit: 1g
    cpus: 1.5
  c:
    image: x
    scale: 4
    deploy: {replicas: 4}
  d:
    image: x
    deploy: {replicas: 0}
"#,
    )
    .expect("loads");
    let a = &p.services[0];
    assert_eq!(a.replicas, 3);
    assert_eq!(
        a.limits,
        Limits {
            nano_cpus: Some(500_000_000),
            memory: Some(512 << 20),
            pids: Some(100),
            ..Limits::default()
        }
    );
    let b = &p.services[1];
    assert_eq!(
        (b.replicas, b.limits.memory, b.limits.nano_cpus),
        (2, Some(1 << 30), Some(1_500_000_000))
    );
    assert_eq!(p.services[2].replicas, 4);
    assert_eq!(p.services[3].replicas, 0);
}

#[test]
fn healthcheck_forms() {
    let p = load_one(
        r#"
services:
  a:
    image: x
    healthcheck:
      test: curl -f http://localhost/
      interval: 10s
      timeout: 500ms
      retries: 3
      start_period: 1m
      start_interval: 2s
  b:
    image: x
    healthcheck: {test: ["CMD", "pg_isready"]}
  c:
    image: x
    healthcheck: {disable: true}
  d:
    image: x
    healthcheck: {test: ["NONE"]}
"#,
    )
    .expect("loads");
    assert_eq!(
        p.services[0].healthcheck,
        Some(Healthcheck::Check {
            test: Some(vec![s("CMD-SHELL"), s("curl -f http://localhost/")]),
            interval: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_millis(500)),
            retries: Some(3),
            start_period: Some(Duration::from_secs(60)),
            start_interval: Some(Duration::from_secs(2)),
        })
    );
    assert!(
        matches!(&p.services[1].healthcheck, Some(Healthcheck::Check { test: Some(t), .. }) if t[0] == "CMD")
    );
    assert_eq!(p.services[2].healthcheck, Some(Healthcheck::Disabled));
    assert_eq!(p.services[3].healthcheck, Some(Healthcheck::Disabled));
}

#[test]
fn sizes_and_durations() {
    use super::fields::{parse_duration, parse_size};
    assert_eq!(parse_size("1024"), Ok(1024));
    assert_eq!(parse_size("512m"), Ok(512 << 20));
    assert_eq!(parse_size("512MB"), Ok(512 << 20));
    assert_eq!(parse_size("1g"), Ok(1 << 30));
    assert_eq!(parse_size("1GiB"), Ok(1 << 30));
    assert_eq!(parse_size("1.5k"), Ok(1536));
    assert_eq!(parse_size("64b"), Ok(64));
    assert!(parse_size("lots").is_err());
    assert!(parse_size("5x").is_err());
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
    assert!(parse_duration("soon").is_err());
}

#[test]
fn profiles_filter_services() {
    let text = "services:\n  web: {image: x}\n  debug: {image: y, profiles: [dev]}\n  tool: {image: z, profiles: [ops, dev]}\n";
    let fx = Fixture::new("app", &[("compose.yaml", text)]);
    let p = fx.load(&["compose.yaml"], &[]).expect("loads");
    assert_eq!(
        p.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["web"]
    );
    assert_eq!(p.disabled_services, vec![s("debug"), s("tool")]);
    let mut opts = fx.opts(&["compose.yaml"], &[]);
    opts.profiles = vec![s("ops")];
    let p = load(&opts).expect("loads");
    assert_eq!(
        p.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["web", "tool"]
    );
    let p = fx
        .load(&["compose.yaml"], &[("COMPOSE_PROFILES", "dev")])
        .expect("loads");
    assert_eq!(p.services.len(), 3);
}

#[test]
fn two_files_merge_as_compose_does() {
    let base = r#"
services:
  web:
    image: nginx:1
    command: ["a", "b"]
    environment: {A: "1", B: "2"}
    labels: [x=1]
    ports: ["80:80"]
    volumes: ["./one:/data", "./logs:/logs"]
    cap_add: [NET_ADMIN]
    deploy: {replicas: 2, resources: {limits: {memory: 1g}}}
  db:
    image: postgres
"#;
    let over = r#"
services:
  web:
    image: nginx:2
    command: ["c"]
    environment: [B=20, C=3]
    labels: {y: "2"}
    ports: ["80:80", "443:443"]
    volumes: ["./two:/data"]
    cap_add: [SYS_TIME]
    deploy: {resources: {limits: {cpus: "1"}}}
  extra:
    image: busybox
"#;
    let fx = Fixture::new("app", &[("compose.yaml", base), ("override.yaml", over)]);
    let p = fx
        .load(&["compose.yaml", "override.yaml"], &[])
        .expect("loads");
    let web = p.service("web").expect("web");
    let dir = p.working_dir.display().to_string();
    assert_eq!(web.image, "nginx:2");
    assert_eq!(web.command, Some(vec![s("c")]));
    assert_eq!(
        web.environment,
        BTreeMap::from([(s("A"), s("1")), (s("B"), s("20")), (s("C"), s("3"))])
    );
    assert_eq!(
        web.labels,
        BTreeMap::from([(s("x"), s("1")), (s("y"), s("2"))])
    );
    assert_eq!(
        web.ports.iter().map(|p| p.target).collect::<Vec<_>>(),
        vec![80, 443]
    );
    let sources: Vec<_> = web
        .volumes
        .iter()
        .map(|v| v.source.clone().unwrap_or_default())
        .collect();
    assert_eq!(sources, vec![format!("{dir}/two"), format!("{dir}/logs")]);
    assert_eq!(web.cap_add, vec![s("NET_ADMIN"), s("SYS_TIME")]);
    assert_eq!(web.replicas, 2);
    assert_eq!(web.limits.memory, Some(1 << 30));
    assert_eq!(web.limits.nano_cpus, Some(1_000_000_000));
    assert_eq!(
        p.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["web", "db", "extra"]
    );
    assert_eq!(p.config_files.len(), 2);
}

#[test]
fn project_name_sources_and_normalisation() {
    assert_eq!(normalize_project_name("My App.v2"), "myappv2");
    assert_eq!(normalize_project_name("__-Web_1"), "web_1");
    assert_eq!(normalize_project_name("Ünïcode"), "ncode");
    assert!(is_valid_project_name("web_1-x"));
    assert!(!is_valid_project_name("Web"));
    assert!(!is_valid_project_name("-web"));
    assert!(!is_valid_project_name(""));

    let svc = "services:\n  a: {image: x}\n";
    let fx = Fixture::new("My Project.D", &[("compose.yaml", svc)]);
    assert_eq!(
        fx.load(&["compose.yaml"], &[]).expect("loads").name,
        "myprojectd"
    );
    assert_eq!(
        fx.load(&["compose.yaml"], &[("COMPOSE_PROJECT_NAME", "fromenv")])
            .expect("loads")
            .name,
        "fromenv"
    );
    let mut opts = fx.opts(&["compose.yaml"], &[("COMPOSE_PROJECT_NAME", "fromenv")]);
    opts.project_name = Some(s("explicit"));
    assert_eq!(load(&opts).expect("loads").name, "explicit");
    opts.project_name = Some(s("Bad Name"));
    let err = load(&opts).expect_err("invalid -p");
    assert_eq!(err.key, "-p");

    let named = Fixture::new(
        "dir",
        &[(
            "compose.yaml",
            "name: ${N:-named}\nservices:\n  a: {image: x}\n",
        )],
    );
    assert_eq!(
        named.load(&["compose.yaml"], &[]).expect("loads").name,
        "named"
    );
    let err = named
        .load(&["compose.yaml"], &[("N", "Upper")])
        .expect_err("invalid name");
    assert_eq!((err.line, err.key.as_str()), (1, "name"));
}

#[test]
fn dotenv_feeds_interpolation_under_the_process_env() {
    let fx = Fixture::new(
        "app",
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: nginx:${TAG}\n    ports: [\"${PORT:-80}:80\"]\n    environment: {WHO: $WHO, COST: $$5}\n    deploy: {replicas: \"${N}\"}\n",
            ),
            (".env", "TAG=1.25\nWHO=dotenv\nN=2\n"),
        ],
    );
    let p = fx
        .load(&["compose.yaml"], &[("WHO", "shell")])
        .expect("loads");
    let web = &p.services[0];
    assert_eq!(web.image, "nginx:1.25");
    assert_eq!(web.ports[0].published.as_deref(), Some("80"));
    assert_eq!(
        web.environment.get("WHO").map(String::as_str),
        Some("shell")
    );
    assert_eq!(web.environment.get("COST").map(String::as_str), Some("$5"));
    assert_eq!(web.replicas, 2);
}

#[test]
fn extensions_anchors_and_merge_keys() {
    let p = load_one(
        r#"
version: "3.9"
x-common: &common
  image: base:1
  environment: {SHARED: "yes"}
  restart: always
services:
  a:
    <<: *common
    restart: "no"
    x-note: ignored
  b:
    <<: [*common]
    image: other
"#,
    )
    .expect("loads");
    let a = &p.services[0];
    assert_eq!(
        (a.image.as_str(), a.restart.as_deref()),
        ("base:1", Some("no"))
    );
    assert_eq!(a.environment.get("SHARED").map(String::as_str), Some("yes"));
    assert_eq!(p.services[1].image, "other");
    assert_eq!(p.services[1].restart.as_deref(), Some("always"));
}

#[test]
fn build_beside_image_is_accepted_and_kept_apart() {
    let web = one(
        "services:\n  web:\n    image: me/web\n    build: {context: ./web, dockerfile: Dockerfile}\n",
    );
    let build = web.build.expect("a build");
    assert!(build.context.ends_with("app/web"), "{build:?}");
    assert_eq!(build.dockerfile, "Dockerfile");
    assert_eq!(web.image, "me/web");
}

#[test]
fn default_file_is_found() {
    let fx = Fixture::new("app", &[("docker-compose.yml", "services: {}\n")]);
    assert_eq!(
        default_file(&fx.dir),
        Some(fx.dir.join("docker-compose.yml"))
    );
    assert_eq!(default_file(Path::new("/nonexistent-dir-xyz")), None);
}
