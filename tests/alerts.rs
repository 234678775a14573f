//! Alerts of `fleetdeck keep` against the real daemon, through the real binary, delivered to a
//! real HTTP receiver this test starts on 127.0.0.1 (a std `TcpListener` answering HTTP/1.1):
//! a crash and a matching log line each give one alert of the documented shape; an alert fired
//! while the receiver was down arrives once it listens; a `yes FATAL` flood gives a handful of
//! alerts and a suppression notice; a failing command is recorded as undelivered; a sink that
//! hangs never stops the keeper restarting a crashing service. Every rule is narrowed to the
//! test's own containers (other tests share the daemon).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::Sandbox;
use common::keeper::{Following, WAIT_BOUND};
use common::{Fixture, IMAGE, RUN_LABEL, Spec};
use serde_json::Value;

/// The keeper's timings for the tests: short backoff and settle, no GC or reconcile.
const KEEPER: &str = "[keeper]\nrestart_budget = 3\nbackoff = \"100ms\"\nbackoff_max = \"500ms\"\n\
                      settle = \"3s\"\nverify_timeout = \"30s\"\nwindow = \"10m\"\n\
                      reconcile_interval = \"1h\"\ngc_interval = \"1h\"\n";

/// An HTTP receiver on 127.0.0.1: records each request's body (JSON) and answers 200 "ok".
struct Receiver {
    addr: SocketAddr,
    bodies: Arc<Mutex<Vec<Value>>>,
}

/// Reads one HTTP/1.1 request's body (by its Content-Length).
fn read_request(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

impl Receiver {
    fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind a port"))
    }

    /// Listens on `port` (one the test held free before).
    fn start_at(port: u16) -> Self {
        Self::on(TcpListener::bind(("127.0.0.1", port)).expect("bind the port again"))
    }

    fn on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().expect("its address");
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    if let Some(body) = read_request(&stream) {
                        let value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                            Value::String(String::from_utf8_lossy(&body).into())
                        });
                        if let Ok(mut all) = sink.lock() {
                            all.push(value);
                        }
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        );
                    }
                });
            }
        });
        Self { addr, bodies }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// Waits until `count` bodies satisfy `pred`; gives them.
    fn wait_for(&self, what: &str, count: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WAIT_BOUND;
        loop {
            let found: Vec<Value> = self.bodies().into_iter().filter(|b| pred(b)).collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "never received {count} × {what}; received: {:?}",
                self.bodies()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A port that nothing listens on (for now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A sink that accepts connections and never answers.
struct Hanging {
    addr: SocketAddr,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
}

impl Hanging {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let addr = listener.local_addr().expect("its address");
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(mut all) = kept.lock() {
                    all.push(stream);
                }
            }
        });
        Self { addr, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.lock().map(|a| a.len()).unwrap_or(0)
    }
}

struct Alerted {
    fixture: Fixture,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl Alerted {
    async fn new(test: &str) -> Self {
        Self {
            fixture: Fixture::new(test).await,
            sandbox: Sandbox::new(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes the config: the keeper's timings and `rules`, where `{containers}` stands for
    /// this test's containers' glob.
    fn rules(&self, rules: &str) {
        let glob = format!("[\"{}-*\"]", self.fixture.prefix);
        let text = format!("{KEEPER}\n{}", rules.replace("{containers}", &glob));
        std::fs::write(self.sandbox.config_path(), text).expect("write the config");
    }

    /// `keep --json` (with the project of `compose` kept, when given), once it watches.
    fn keep(&self, compose: Option<&PathBuf>) -> Following {
        let mut args = vec!["keep".to_string(), "--json".to_string()];
        if let Some(file) = compose {
            args.push("-f".into());
            args.push(file.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let keep = Following::spawn(&self.sandbox, &args);
        keep.wait_for("connected", 1, |l| {
            l["decision"] == "connection" && l["connection"].to_string().contains("connected")
        });
        keep
    }

    /// The recorded alerts (`history --alerts --json`), once the keeper has stopped.
    fn recorded(&self) -> Vec<Value> {
        self.sandbox
            .run(&["history", "--alerts", "--since", "1h", "--json"])
            .expect_code(0)
            .json_lines()
    }
}

fn decided(keep: &Following, decision: &str) -> Vec<Value> {
    keep.decisions(decision)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_posts_one_alert_for_a_crash_and_one_for_a_fatal_line() {
    let t = Alerted::new("alerts-two").await;
    let receiver = Receiver::start();
    let url = receiver.url();
    t.rules(&format!(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\", \"oom\"]\ncontainers = {{containers}}\nwebhook = \"{url}\"\n\n\
         [[alerts]]\nname = \"fatal\"\non = [\"log\"]\nmatch = \"FATAL\"\ncontainers = {{containers}}\nwebhook = \"{url}\"\n"
    ));
    let mut keep = t.keep(None);
    // Created after the keeper started: its lines are read from its start.
    let crash = t.fixture.run("crash", Spec::sh("sleep 1; exit 3")).await;
    let fatal = t
        .fixture
        .run(
            "fatal",
            Spec::sh("echo starting; echo 'FATAL: the disk is gone'; sleep 600"),
        )
        .await;
    let crash_name = t.fixture.name("crash");
    let fatal_name = t.fixture.name("fatal");
    let crashed = receiver.wait_for("the crash alert", 1, |b| b["kind"] == "crash");
    let logged = receiver.wait_for("the log alert", 1, |b| b["kind"] == "log");
    let a = &crashed[0];
    assert_eq!(a["rule"], "deaths");
    assert_eq!(a["container"]["name"], crash_name.as_str());
    assert_eq!(a["container"]["id"], crash.as_str());
    assert_eq!(a["exit_code"], 3);
    assert!(
        a["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("exited with 3")),
        "{a}"
    );
    assert!(a["host"].is_string(), "{a}");
    assert!(a["project"].is_null() && a["log_line"].is_null(), "{a}");
    let time = a["time"].as_str().unwrap_or_default();
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    let l = &logged[0];
    assert_eq!(l["rule"], "fatal");
    assert_eq!(l["container"]["name"], fatal_name.as_str());
    assert_eq!(l["container"]["id"], fatal.as_str());
    assert_eq!(l["log_line"], "FATAL: the disk is gone");
    assert!(l["exit_code"].is_null(), "{l}");
    keep.wait_for("two deliveries", 2, |l| l["decision"] == "alert_delivered");
    keep.terminate().expect_code(0);
    let bodies = receiver.bodies();
    let count = |kind: &str| bodies.iter().filter(|b| b["kind"] == kind).count();
    assert_eq!(count("crash"), 1, "{bodies:?}");
    assert_eq!(count("log"), 1, "{bodies:?}");
    let recorded = t.recorded();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(
        recorded.iter().all(|r| r["state"] == "delivered"),
        "{recorded:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_fired_while_the_receiver_was_down_arrives_once_it_listens() {
    let t = Alerted::new("alerts-down").await;
    let port = free_port();
    t.rules(&format!(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\ncontainers = {{containers}}\n\
         webhook = \"http://127.0.0.1:{port}/hook\"\n"
    ));
    let mut keep = t.keep(None);
    t.fixture.run("crash", Spec::sh("exit 3")).await;
    keep.wait_for("a failed attempt", 1, |l| l["decision"] == "alert_retry");
    let receiver = Receiver::start_at(port);
    let got = receiver.wait_for("the crash alert", 1, |b| b["kind"] == "crash");
    assert_eq!(got[0]["exit_code"], 3);
    keep.wait_for("the delivery", 1, |l| l["decision"] == "alert_delivered");
    keep.terminate().expect_code(0);
    let recorded = t.recorded();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["state"], "delivered");
    assert!(
        recorded[0]["attempts"].as_u64().unwrap_or(0) >= 2,
        "{recorded:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_flood_gives_a_handful_of_alerts_and_a_suppression_notice() {
    let t = Alerted::new("alerts-flood").await;
    let receiver = Receiver::start();
    let url = receiver.url();
    t.rules(&format!(
        "[[alerts]]\nname = \"fatal\"\non = [\"log\"]\nmatch = \"FATAL\"\ncontainers = {{containers}}\n\
         webhook = \"{url}\"\ndedup = \"10s\"\nrate_limit = 5\nrate_window = \"10s\"\n"
    ));
    let mut keep = t.keep(None);
    t.fixture.run("flood", Spec::sh("yes FATAL")).await;
    receiver.wait_for("the first alert", 1, |b| b["kind"] == "log");
    // The flood goes on for 25 s from the first alert.
    std::thread::sleep(Duration::from_secs(25));
    let alerts = receiver
        .bodies()
        .iter()
        .filter(|b| b["kind"] == "log")
        .count();
    assert!((1..=10).contains(&alerts), "{alerts} alerts in 25 s");
    let notices = receiver.wait_for("a suppression notice", 1, |b| b["kind"] == "suppressed");
    let message = notices[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("suppressed"), "{message}");
    let count: u64 = message
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(count > 100, "a flood suppresses many: {message}");
    keep.terminate().expect_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_sink_is_recorded_as_undelivered() {
    let t = Alerted::new("alerts-cmd").await;
    t.rules(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\ncontainers = {containers}\n\
         command = [\"sh\", \"-c\", \"cat >/dev/null; echo refused >&2; exit 1\"]\ngive_up_after = \"3s\"\n",
    );
    let mut keep = t.keep(None);
    t.fixture.run("crash", Spec::sh("exit 3")).await;
    let given_up = keep.wait_for("the give-up", 1, |l| l["decision"] == "alert_undelivered");
    let reason = given_up[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("exited 1: refused"), "{reason}");
    keep.terminate().expect_code(0);
    let recorded = t.recorded();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["state"], "undelivered");
    assert_eq!(recorded[0]["kind"], "crash");
    assert!(
        recorded[0]["attempts"].as_u64().unwrap_or(0) >= 2,
        "{recorded:?}"
    );
    let listed = t.sandbox.run(&["alerts", "--json"]).expect_code(0).json();
    assert_eq!(listed["rules"][0]["name"], "deaths");
    assert_eq!(listed["alerts"][0]["state"], "undelivered");
    // `alerts test` says what the sink answered, and fails with it.
    let ran = t.sandbox.run(&["alerts", "test", "deaths"]);
    ran.expect_code(1);
    assert!(
        ran.text().contains("failed: sh exited 1: refused"),
        "{}",
        ran.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_test_sends_a_sample_through_a_rule() {
    let t = Alerted::new("alerts-test").await;
    let receiver = Receiver::start();
    let url = receiver.url();
    t.rules(&format!(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\nwebhook = \"{url}\"\n\
         template = {{ text = \"{{{{rule}}}}: {{{{message}}}}\" }}\n"
    ));
    let ran = t.sandbox.run(&["alerts", "test", "deaths"]);
    ran.expect_code(0);
    assert!(
        ran.text().contains("delivered: 200 OK: ok"),
        "{}",
        ran.text()
    );
    let got = receiver.wait_for("the sample", 1, |b| b["text"].is_string());
    assert!(
        got[0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("deaths: a test alert of rule deaths")),
        "{got:?}"
    );
    t.sandbox.run(&["alerts", "test", "nope"]).expect_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keeper_keeps_restarting_a_crashing_service_while_a_sink_hangs() {
    let t = Alerted::new("alerts-hang").await;
    let hanging = Hanging::start();
    t.rules(&format!(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\", \"gave_up\", \"restart_loop\"]\n\
         containers = {{containers}}\nwebhook = \"http://{}/hook\"\ntimeout = \"1h\"\n\
         dedup = \"0s\"\nrate_limit = 100\n",
        hanging.addr
    ));
    let file = t.dir.path().join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            "name: {name}\nservices:\n  svc:\n    image: {IMAGE}\n    command: [\"sh\", \"-c\", \"sleep 1; exit 3\"]\n    \
             network_mode: none\n    restart: \"no\"\n    labels:\n      {RUN_LABEL}: {run}\n",
            name = t.fixture.prefix,
            run = t.fixture.run,
        ),
    )
    .expect("write compose file");
    t.sandbox
        .run(&["-f", &file.display().to_string(), "apply"])
        .expect_code(0);
    let name = format!("{}-svc-1", t.fixture.prefix);
    let mut keep = t.keep(Some(&file));
    let given_up = keep.wait_for("give_up", 1, |l| {
        l["decision"] == "give_up" && l["container"] == name.as_str()
    });
    assert!(
        given_up[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("gave up after 3 restarts")),
        "{given_up:?}"
    );
    let restarts = keep
        .decisions("restart")
        .into_iter()
        .filter(|l| l["container"] == name.as_str())
        .count();
    assert_eq!(restarts, 3);
    // The alerts went out to a sink that never answers, and none came back.
    assert!(decided(&keep, "alert").len() >= 3, "{:?}", keep.lines());
    assert!(hanging.accepted() >= 1, "the sink was asked");
    assert!(decided(&keep, "alert_delivered").is_empty());
    keep.terminate().expect_code(0);
}

/// The console's status line counts the alerts the keeper gave up delivering (the real binary
/// in tmux, reading the store a keeper wrote).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_the_count_of_undelivered_alerts() {
    let t = Alerted::new("alerts-tui").await;
    t.rules(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\ncontainers = {containers}\n\
         command = [\"sh\", \"-c\", \"exit 1\"]\ngive_up_after = \"2s\"\n",
    );
    let mut keep = t.keep(None);
    t.fixture.run("crash", Spec::sh("exit 3")).await;
    keep.wait_for("the give-up", 1, |l| l["decision"] == "alert_undelivered");
    keep.terminate().expect_code(0);
    let tmux = common::tmux::Tmux::start(160, 40);
    let store = t.sandbox.store_path().display().to_string();
    let config = t.sandbox.config_path().display().to_string();
    tmux.launch_console(
        t.dir.path(),
        &["--store", &store, "--config", &config],
        common::tmux::Launch::Plain,
    );
    tmux.wait_for_console();
    tmux.wait_for("the undelivered count", |s| {
        s.contains("✉ 1 undelivered alert ")
    });
    tmux.keys(&["q"]);
}

/// An alert still pending when the keeper stopped is delivered by the next keeper.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_alert_is_delivered_by_the_next_keeper() {
    let t = Alerted::new("alerts-resume").await;
    let port = free_port();
    t.rules(&format!(
        "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\ncontainers = {{containers}}\n\
         webhook = \"http://127.0.0.1:{port}/hook\"\n"
    ));
    let mut keep = t.keep(None);
    t.fixture.run("crash", Spec::sh("exit 3")).await;
    keep.wait_for("a failed attempt", 1, |l| l["decision"] == "alert_retry");
    keep.terminate().expect_code(0);
    assert_eq!(t.recorded()[0]["state"], "pending");
    let receiver = Receiver::start_at(port);
    let mut again = t.keep(None);
    again.wait_for("the resumed delivery", 1, |l| {
        l["decision"] == "alert_delivered"
    });
    assert_eq!(again.decisions("alert_resumed").len(), 1);
    let got = receiver.wait_for("the crash alert", 1, |b| b["kind"] == "crash");
    assert_eq!(
        got[0]["container"]["name"],
        t.fixture.name("crash").as_str()
    );
    again.terminate().expect_code(0);
    assert_eq!(t.recorded()[0]["state"], "delivered");
}
