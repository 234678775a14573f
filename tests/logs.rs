//! Live logs against the real daemon: the engine's streams (every line of a steady container,
//! in order; stderr marked; following across a restart with a marker; `since` and `tail`) and
//! the `fleetdeck logs` binary (merged tails interleaved by time, `--grep`, `--json`, a clear
//! usage error for a bad regex, a quiet exit 0 when the reader goes away, and no escape
//! sequence from a container in the bytes it writes).
//!
//! Each test makes its own containers with its own Fixture and only reads those.

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;
use chrono::{DateTime, Utc};
use common::binary::Sandbox;
use common::{Fixture, Spec};
use fleetdeck::engine::ContainerId;
use fleetdeck::engine::logs::{
    LogBuffer, LogEnd, LogEvent, LogHandle, LogLine, LogMessage, LogRequest, LogStream,
    LogsOptions, Tail, open,
};
use serde_json::Value;
use tokio::sync::mpsc;

/// How long to wait for the daemon before failing: a bound, not a timing assert.
const BOUND: Duration = Duration::from_secs(60);

/// An open stream and what it has sent so far.
struct Watch {
    rx: mpsc::Receiver<LogMessage>,
    _handle: LogHandle,
    lines: Vec<LogLine>,
    caught_up: bool,
    end: Option<LogEnd>,
}

async fn watch(id: &str, request: LogRequest) -> Watch {
    let (tx, rx) = mpsc::channel(16);
    let handle = open(
        &common::endpoint().await,
        ContainerId(id.to_string()),
        request,
        &LogsOptions::default(),
        tx,
    );
    Watch {
        rx,
        _handle: handle,
        lines: Vec::new(),
        caught_up: false,
        end: None,
    }
}

fn follow_all() -> LogRequest {
    LogRequest {
        follow: true,
        tail: Tail::All,
        since: None,
    }
}

impl Watch {
    /// Receives until `done` holds for the lines so far (or the stream ends), within the bound.
    async fn until(&mut self, what: &str, done: impl Fn(&[LogLine]) -> bool) {
        let deadline = tokio::time::Instant::now() + BOUND;
        while !done(&self.lines) {
            assert!(
                self.end.is_none(),
                "the stream ended ({:?}) before {what}",
                self.end
            );
            let message = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no {what} within {BOUND:?}; {} lines so far, last: {:?}",
                        self.lines.len(),
                        self.lines.last()
                    )
                });
            self.take(message);
        }
    }

    /// Records one message of the stream (`None`: the channel closed).
    fn take(&mut self, message: Option<LogMessage>) {
        match message.map(|m| m.event) {
            Some(LogEvent::Lines(lines)) => self.lines.extend(lines),
            Some(LogEvent::CaughtUp) => self.caught_up = true,
            Some(LogEvent::Ended(end)) => self.end = Some(end),
            None => self.end = Some(LogEnd::Failed("channel closed".into())),
        }
    }

    /// Receives everything of a stream that is not following.
    async fn drain(&mut self) -> &[LogLine] {
        let deadline = tokio::time::Instant::now() + BOUND;
        while self.end.is_none() {
            let message = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("the stream ends within the bound");
            self.take(message);
        }
        assert_eq!(self.end, Some(LogEnd::Complete));
        &self.lines
    }
}

fn texts(lines: &[LogLine]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

fn has(lines: &[LogLine], text: &str) -> bool {
    lines.iter().any(|l| l.text == text)
}

#[tokio::test]
async fn a_steady_container_loses_nothing_and_keeps_order() {
    let fx = Fixture::new("logs-steady").await;
    let id = fx.run("seq", Spec::sh("seq 1 5000; sleep 1000")).await;
    let mut w = watch(&id, follow_all()).await;
    w.until("line 5000", |l| has(l, "5000")).await;
    let expected: Vec<String> = (1..=5000).map(|i| i.to_string()).collect();
    assert_eq!(texts(&w.lines), expected);
    assert!(w.lines.iter().all(|l| l.stream == LogStream::Stdout));
    assert!(
        w.lines.windows(2).all(|p| p[0].time <= p[1].time),
        "times never go back"
    );
    assert!(w.lines.iter().all(|l| l.time.is_some()));

    // The same lines through a pane's buffer: bounded, the drop counted exactly.
    let mut buffer = LogBuffer::new(1_000, 1 << 20);
    buffer.extend(w.lines.iter().cloned());
    assert_eq!(buffer.len(), 1_000);
    assert_eq!(buffer.dropped(), 4_000);
    assert_eq!(buffer.get(0).map(|l| l.text.as_str()), Some("4001"));

    // Not following: the whole log, then the end.
    let mut all = watch(
        &id,
        LogRequest {
            follow: false,
            ..follow_all()
        },
    )
    .await;
    assert_eq!(texts(all.drain().await), expected);
}

#[tokio::test]
async fn stderr_lines_are_marked() {
    let fx = Fixture::new("logs-stderr").await;
    let id = fx
        .run("err", Spec::sh("echo to-out; echo to-err >&2; sleep 1000"))
        .await;
    let mut w = watch(&id, follow_all()).await;
    w.until("both lines", |l| l.len() >= 2).await;
    let mut seen: Vec<(LogStream, &str)> = w
        .lines
        .iter()
        .map(|l| (l.stream, l.text.as_str()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [(LogStream::Stdout, "to-out"), (LogStream::Stderr, "to-err")]
    );
}

#[tokio::test]
async fn following_goes_on_across_a_restart_with_a_marker() {
    let fx = Fixture::new("logs-restart").await;
    // Counts its runs in its own filesystem, which a restart keeps.
    let script = "n=$(cat /runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /runs; \
                  echo run $n; trap 'exit 0' TERM; \
                  while true; do echo tick $n; sleep 0.1; done";
    let id = fx.run("r", Spec::sh(script)).await;
    let mut w = watch(&id, follow_all()).await;
    w.until("the first run's ticks", |l| has(l, "tick 1")).await;

    fx.docker
        .restart_container(
            &id,
            Some(RestartContainerOptionsBuilder::default().t(5).build()),
        )
        .await
        .expect("restart");
    w.until("the second run's ticks", |l| has(l, "tick 2"))
        .await;

    let markers: Vec<usize> = w
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.stream == LogStream::Marker)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(markers.len(), 1, "one marker: {:?}", texts(&w.lines));
    let marker = &w.lines[markers[0]];
    assert!(marker.text.starts_with("restarted at "), "{}", marker.text);
    let (before, after) = w.lines.split_at(markers[0]);
    assert_eq!(before.first().map(|l| l.text.as_str()), Some("run 1"));
    assert!(before.iter().all(|l| l.text.ends_with(" 1")), "{before:?}");
    assert_eq!(after.get(1).map(|l| l.text.as_str()), Some("run 2"));
    assert!(
        after[1..].iter().all(|l| l.text.ends_with(" 2")),
        "{after:?}"
    );
    // Nothing shown twice: the re-opened stream resumed after the last line seen.
    let times: Vec<DateTime<Utc>> = w
        .lines
        .iter()
        .filter(|l| l.stream != LogStream::Marker)
        .filter_map(|l| l.time)
        .collect();
    assert!(
        times.windows(2).all(|p| p[0] < p[1]),
        "strictly increasing times"
    );
    // The marker's time is the new run's start: after the first run's last line. (Not
    // necessarily before the new run's first line: the daemon records StartedAt after the
    // process is started, and the process may print first.)
    let last_of_first_run = before.last().and_then(|l| l.time);
    assert!(
        marker
            .time
            .is_some_and(|t| last_of_first_run.is_some_and(|l| l <= t)),
        "marker {:?} after the first run's last line {last_of_first_run:?}",
        marker.time
    );
}

#[tokio::test]
async fn since_and_tail_are_respected() {
    let fx = Fixture::new("logs-since").await;
    let id = fx
        .run(
            "s",
            Spec::sh("for i in 1 2 3 4 5; do echo early $i; done; sleep 1.5; for i in 1 2 3 4 5; do echo late $i; done; sleep 1000"),
        )
        .await;
    let mut w = watch(&id, follow_all()).await;
    w.until("the late lines", |l| has(l, "late 5")).await;
    let first_late = w
        .lines
        .iter()
        .find(|l| l.text == "late 1")
        .and_then(|l| l.time)
        .expect("late 1 has a time");

    let late: Vec<String> = (1..=5).map(|i| format!("late {i}")).collect();
    assert_eq!(fetch(&id, Tail::All, Some(first_late)).await, late);
    assert_eq!(
        fetch(&id, Tail::Last(3), None).await,
        ["late 3", "late 4", "late 5"]
    );
    assert_eq!(fetch(&id, Tail::Last(0), None).await, Vec::<String>::new());
    assert_eq!(fetch(&id, Tail::All, None).await.len(), 10);
    let after_all = first_late + chrono::Duration::days(1);
    assert!(fetch(&id, Tail::All, Some(after_all)).await.is_empty());

    // Following with a since: only what comes after it, then live.
    let mut f = watch(
        &id,
        LogRequest {
            follow: true,
            tail: Tail::All,
            since: Some(first_late),
        },
    )
    .await;
    f.until("the tail", |l| l.len() >= 5).await;
    assert_eq!(texts(&f.lines), late);
}

/// Everything a stream that is not following sends, as text.
async fn fetch(id: &str, tail: Tail, since: Option<DateTime<Utc>>) -> Vec<String> {
    let mut w = watch(
        id,
        LogRequest {
            follow: false,
            tail,
            since,
        },
    )
    .await;
    texts(w.drain().await)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Waits until `docker logs` of the container (the daemon's own view) has `n` lines.
async fn wait_for_lines(id: &str, n: usize) {
    let mut w = watch(id, follow_all()).await;
    w.until("the container's lines", |l| l.len() >= n).await;
}

#[tokio::test]
async fn cli_merges_tails_by_time_with_a_name_column() {
    let fx = Fixture::new("logs-merge").await;
    let script =
        |tag: &str| format!("for i in 1 2 3 4 5 6; do echo {tag} $i; sleep 0.2; done; sleep 1000");
    let a = fx.run("a", Spec::sh(&script("alpha"))).await;
    let b = fx.run("b", Spec::sh(&script("beta"))).await;
    wait_for_lines(&a, 6).await;
    wait_for_lines(&b, 6).await;
    let (name_a, name_b) = (fx.name("a"), fx.name("b"));
    let cli = Sandbox::new();

    let merged = cli
        .run(&["logs", &name_a, &name_b, "--json"])
        .expect_code(0)
        .json_lines();
    assert_eq!(merged.len(), 12);
    for row in &merged {
        for key in ["container", "id", "stream", "time", "text"] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
        assert_eq!(row["stream"], "stdout");
    }
    // Interleaved by time: the merge is exactly the union of both logs sorted by time.
    let time = |row: &Value| -> DateTime<Utc> {
        let text = row["time"].as_str().expect("a time string");
        DateTime::parse_from_rfc3339(text)
            .expect("RFC 3339")
            .with_timezone(&Utc)
    };
    let mut union: Vec<Value> = cli
        .run(&["logs", &name_a, "--json"])
        .expect_code(0)
        .json_lines();
    union.extend(
        cli.run(&["logs", &name_b, "--json"])
            .expect_code(0)
            .json_lines(),
    );
    union.sort_by_key(time);
    assert_eq!(merged, union);
    assert!(
        merged
            .iter()
            .any(|r| r["container"] == name_a.as_str() && r["id"] == a.as_str())
    );
    assert!(
        merged
            .iter()
            .any(|r| r["container"] == name_b.as_str() && r["id"] == b.as_str())
    );

    // For people: a name column, padded to the longest name.
    let text = cli.ok(&["logs", &name_a, &name_b, "--tail", "2"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines.contains(&format!("{name_a} | alpha 6").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{name_b} | beta 5").as_str()),
        "{text}"
    );

    // --grep keeps only matching lines; --timestamps puts the time first.
    let grepped = cli.ok(&["logs", &name_a, "--grep", "^alpha [246]$", "--timestamps"]);
    let grepped: Vec<&str> = grepped.lines().collect();
    assert_eq!(grepped.len(), 3, "{grepped:?}");
    for (line, n) in grepped.iter().zip([2, 4, 6]) {
        let (stamp, text) = line.split_once(' ').expect("time, then text");
        assert!(DateTime::parse_from_rfc3339(stamp).is_ok(), "{line}");
        assert_eq!(text, format!("alpha {n}"));
    }
}

#[tokio::test]
async fn cli_usage_errors_exit_2() {
    let fx = Fixture::new("logs-usage").await;
    fx.run("u", Spec::sh("echo hi; sleep 1000")).await;
    let cli = Sandbox::new();
    let ran = cli.run(&["logs", &fx.name("u"), "--grep", "(unclosed"]);
    ran.expect_code(2);
    assert!(
        ran.stderr.contains("--grep"),
        "names the flag: {}",
        ran.stderr
    );
    cli.run(&["logs", &fx.name("u"), "--since", "yesterday"])
        .expect_code(2);
    cli.run(&["logs", &fx.name("u"), "--tail", "lots"])
        .expect_code(2);
    cli.run(&["logs", &fx.name("no-such-container")])
        .expect_code(2);
}

#[tokio::test]
async fn cli_stderr_and_since() {
    let fx = Fixture::new("logs-cli-since").await;
    let id = fx
        .run("s", Spec::sh("echo old; echo bad >&2; sleep 1000"))
        .await;
    wait_for_lines(&id, 2).await;
    let cli = Sandbox::new();
    let rows = cli
        .run(&["logs", &fx.name("s"), "--json", "--since", "10m"])
        .expect_code(0)
        .json_lines();
    let mut streams: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["stream"].as_str().unwrap_or_default().to_string(),
                r["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    streams.sort();
    assert_eq!(
        streams,
        [
            ("stderr".to_string(), "bad".to_string()),
            ("stdout".to_string(), "old".to_string())
        ]
    );
    // For people, the container's stderr goes to stderr, as with `docker logs`.
    let ran = cli.run(&["logs", &fx.name("s")]);
    ran.expect_code(0);
    assert_eq!(ran.stdout, "old\n");
    assert!(ran.stderr.contains("bad"), "{}", ran.stderr);
    // A since in the future: nothing.
    let ran = cli.run(&["logs", &fx.name("s"), "--since", "2999-01-01T00:00:00Z"]);
    ran.expect_code(0);
    assert_eq!(ran.stdout_bytes.len(), 0);
}

#[tokio::test]
async fn escape_sequences_never_reach_the_output() {
    let fx = Fixture::new("logs-escapes").await;
    let script = r"printf 'before\033[2Jclear\n'; \
                   printf 'clip\033]52;c;ZXZpbA==\007board\n'; \
                   printf 'title\033]0;pwned\007bar\n'; \
                   printf 'link\033]8;;http://x\033\\here\033]8;;\033\\\n'; \
                   printf '\033[31mred\033[0m \302\2332Jc1 csi\n'; \
                   printf 'tab\there\r\n'; \
                   sleep 1000";
    let id = fx.run("esc", Spec::sh(script)).await;
    wait_for_lines(&id, 6).await;
    let cli = Sandbox::new();
    let name = fx.name("esc");
    for extra in [&[][..], &["--json"][..], &["-t"][..]] {
        let mut args = vec!["logs", name.as_str()];
        args.extend_from_slice(extra);
        let ran = cli.run(&args);
        ran.expect_code(0);
        for (i, &b) in ran.stdout_bytes.iter().enumerate() {
            assert!(
                b >= 0x20 || b == b'\n' || b == b'\t',
                "control byte {b:#04x} at {i} in {:?}",
                ran.stdout
            );
        }
        let text = ran.text();
        assert!(
            !text.contains('\u{9b}') && !text.contains('\u{9d}'),
            "{text}"
        );
        for visible in [
            "beforeclear",
            "clipboard",
            "titlebar",
            "linkhere",
            "red c1 csi",
        ] {
            assert!(text.contains(visible), "{visible} in {text}");
        }
        assert!(
            !text.contains("pwned") && !text.contains("ZXZpbA"),
            "{text}"
        );
        if extra.is_empty() {
            assert!(text.contains("tab\there\n"), "{text}");
        }
    }
}

#[tokio::test]
async fn an_early_close_of_the_reader_exits_0() {
    let fx = Fixture::new("logs-pipe").await;
    let id = fx
        .run(
            "p",
            Spec::sh("i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done"),
        )
        .await;
    wait_for_lines(&id, 1).await;
    let cli = Sandbox::new();
    for args in [
        vec!["logs", "-f", &*fx.name("p")],
        vec!["logs", "-f", "--json", &*fx.name("p")],
        vec!["logs", &*fx.name("p"), "--tail", "all"],
    ] {
        let mut child = cli.spawn(&args);
        let stdout = child.child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).expect("read one line");
        assert!(first.contains("line"), "{first}");
        // `| head -1`: the reader goes away.
        drop(reader);
        let ran = child.finish();
        ran.expect_code(0);
        assert!(
            ran.stderr.is_empty(),
            "nothing to say on stderr: {}",
            ran.stderr
        );
    }
}

#[tokio::test]
async fn a_tty_container_is_read_raw() {
    let fx = Fixture::new("logs-tty").await;
    let mut spec = Spec::sh("printf 'one\\ntwo\\033[2J\\n'; echo three >&2; sleep 1000");
    spec.tty = true;
    let id = fx.run("tty", spec).await;
    let mut w = watch(&id, follow_all()).await;
    w.until("three lines", |l| l.len() >= 3).await;
    // A TTY has one stream: stderr arrives as stdout, and the \r of its \r\n is gone.
    assert_eq!(texts(&w.lines), ["one", "two", "three"]);
    assert!(w.lines.iter().all(|l| l.stream == LogStream::Stdout));
    assert!(w.lines.iter().all(|l| l.time.is_some()));
}

#[tokio::test]
async fn removing_a_followed_container_ends_its_stream() {
    let fx = Fixture::new("logs-removed").await;
    let id = fx.run("gone", Spec::sh("echo bye; sleep 1000")).await;
    let mut w = watch(&id, follow_all()).await;
    w.until("its line", |l| has(l, "bye")).await;
    fx.docker
        .remove_container(
            &id,
            Some(
                bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .build(),
            ),
        )
        .await
        .expect("remove");
    let deadline = tokio::time::Instant::now() + BOUND;
    while w.end.is_none() {
        let message = tokio::time::timeout_at(deadline, w.rx.recv())
            .await
            .expect("the stream ends within the bound");
        match message.map(|m| m.event) {
            Some(LogEvent::Ended(end)) => w.end = Some(end),
            Some(_) => {}
            None => panic!("the stream went without saying why"),
        }
    }
    assert_eq!(w.end, Some(LogEnd::Removed));
}

#[tokio::test]
async fn color_always_writes_sgr_and_never_writes_none() {
    let fx = Fixture::new("logs-color").await;
    let script = r"printf '\033[31mRED\033[0m \033[1mBOLD\033[0m \033[2J\033]0;title\007tail\n'; \
                   sleep 1000";
    let id = fx.run("color", Spec::sh(script)).await;
    wait_for_lines(&id, 1).await;
    let cli = Sandbox::new();
    let name = fx.name("color");

    let always = cli.run(&["logs", name.as_str(), "--color", "always"]);
    always.expect_code(0);
    let text = always.text();
    assert!(
        text.contains("\u{1b}[31mRED\u{1b}[0m \u{1b}[1mBOLD\u{1b}[0m tail"),
        "{text:?}"
    );
    // Every escape left is an SGR one; the clear and the title are gone.
    assert!(!text.contains("[2J") && !text.contains("title"), "{text:?}");
    for (i, _) in text.match_indices('\u{1b}') {
        let rest = &text[i + 1..];
        let end = rest.find('m').expect("an SGR sequence ends in m");
        assert!(
            rest.starts_with('[') && rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ';'),
            "only SGR: {rest:?}"
        );
    }
    // The line ends reset, so that no colour runs on.
    assert!(text.contains("tail\u{1b}[0m\n"), "{text:?}");

    for flags in [
        &["--color", "never"][..],
        &[][..],
        &["--color", "always", "--json"][..],
    ] {
        let mut args = vec!["logs", name.as_str()];
        args.extend_from_slice(flags);
        let ran = cli.run(&args);
        ran.expect_code(0);
        let text = ran.text();
        assert!(!text.contains('\u{1b}'), "{flags:?}: {text:?}");
        assert!(text.contains("RED BOLD tail"), "{flags:?}: {text:?}");
    }
    let bad = cli.run(&["logs", name.as_str(), "--color", "sometimes"]);
    assert_ne!(bad.code, Some(0));
}
