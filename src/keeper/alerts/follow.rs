//! Log rules' lines: one task that follows only the containers some `log` rule selects,
//! through the engine's log streams (the console's path: bounded batches over a bounded
//! channel, escape sequences stripped, long lines cut), and matches each line against the
//! rules' regexes. A container that appeared after the keeper started is read from its start
//! (none of its lines missed); one that was there is read from now on. Per batch, each rule
//! gives at most one signal per container, with the further matches counted in it, so a flood
//! costs the router one message per batch, not per line.

use std::collections::HashMap;

use regex::Regex;
use tokio::sync::mpsc;

use super::signal::{Signal, Subject};
use crate::config::alerts::AlertKind;
use crate::engine::logs::{
    LogEvent, LogHandle, LogMessage, LogRequest, LogStream, LogsOptions, Tail,
};
use crate::engine::{ContainerId, Endpoint};

/// Batches of lines waiting for the matcher, at most (a slow matcher slows the streams).
const LINES_CHANNEL: usize = 64;

/// What the router asks of the follower.
#[derive(Debug)]
pub enum Follow {
    /// Follow this container for these rules (nothing when it is followed already).
    Start {
        subject: Subject,
        rules: Vec<(String, Regex)>,
        from_start: bool,
    },
    /// Stop following it.
    Stop(ContainerId),
}

/// A log line matched a rule: the signal, and how many more lines of the same batch matched.
#[derive(Debug)]
pub struct Matched {
    pub signal: Signal,
    pub more: u64,
}

struct Followed {
    _handle: LogHandle,
    subject: Subject,
    rules: Vec<(String, Regex)>,
}

/// The follower's side of things.
pub struct Follower {
    pub endpoint: Endpoint,
    pub host: String,
    pub options: LogsOptions,
    pub matched: mpsc::Sender<Matched>,
}

impl Follower {
    /// Follows what it is told until `commands` closes.
    pub async fn run(self, mut commands: mpsc::UnboundedReceiver<Follow>) {
        let (lines_tx, mut lines) = mpsc::channel::<LogMessage>(LINES_CHANNEL);
        let mut followed: HashMap<ContainerId, Followed> = HashMap::new();
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(Follow::Start { subject, rules, from_start }) => {
                        let id = ContainerId(subject.id.clone());
                        if followed.contains_key(&id) {
                            continue;
                        }
                        let request = LogRequest {
                            follow: true,
                            tail: if from_start { Tail::All } else { Tail::Last(0) },
                            since: None,
                        };
                        let handle = crate::engine::logs::open(
                            &self.endpoint,
                            id.clone(),
                            request,
                            &self.options,
                            lines_tx.clone(),
                        );
                        followed.insert(id, Followed { _handle: handle, subject, rules });
                    }
                    Some(Follow::Stop(id)) => {
                        followed.remove(&id);
                    }
                },
                Some(message) = lines.recv() => {
                    let Some(f) = followed.get(&message.container) else { continue };
                    match message.event {
                        LogEvent::Lines(batch) => {
                            for m in self.matches(f, &batch) {
                                if self.matched.send(m).await.is_err() {
                                    return;
                                }
                            }
                        }
                        LogEvent::CaughtUp => {}
                        LogEvent::Ended(end) => {
                            log::debug!("alerts: the logs of {} ended: {end:?}", f.subject.name);
                            followed.remove(&message.container);
                        }
                    }
                }
            }
        }
    }

    /// Each rule's first matching line of `batch`, with the count of the others.
    fn matches(&self, f: &Followed, batch: &[crate::engine::logs::LogLine]) -> Vec<Matched> {
        matches(&self.host, &f.subject, &f.rules, batch)
    }
}

/// Each rule's first matching line of `batch` as a signal for that rule, with the count of the
/// other matching lines. Markers (fleetdeck's own lines) never match.
pub fn matches(
    host: &str,
    subject: &Subject,
    rules: &[(String, Regex)],
    batch: &[crate::engine::logs::LogLine],
) -> Vec<Matched> {
    let mut out: Vec<Matched> = Vec::new();
    for (rule, re) in rules {
        let mut found: Option<Matched> = None;
        for line in batch.iter().filter(|l| l.stream != LogStream::Marker) {
            if !re.is_match(&line.text) {
                continue;
            }
            match &mut found {
                Some(m) => m.more += 1,
                None => {
                    let mut signal = Signal::new(
                        AlertKind::Log,
                        host,
                        Some(subject.clone()),
                        format!("log line matched /{}/", re.as_str()),
                    );
                    signal.log_line = Some(line.text.clone());
                    if let Some(t) = line.time {
                        signal.time = t;
                    }
                    signal.rule = Some(rule.clone());
                    found = Some(Matched { signal, more: 0 });
                }
            }
        }
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::logs::LogLine;

    #[test]
    fn one_signal_per_rule_and_batch_with_the_rest_counted() {
        let subject = Subject {
            id: "abc".into(),
            name: "web-1".into(),
            project: None,
        };
        let line = |text: &str, stream| LogLine {
            stream,
            time: None,
            text: text.into(),
        };
        let batch = vec![
            line("ok", LogStream::Stdout),
            line("FATAL one", LogStream::Stderr),
            line("FATAL two", LogStream::Stdout),
            line("restarted FATAL", LogStream::Marker),
            line("panic: x", LogStream::Stdout),
        ];
        let rules = vec![
            ("fatal".to_string(), Regex::new("FATAL").expect("regex")),
            ("panic".to_string(), Regex::new("^panic:").expect("regex")),
            ("none".to_string(), Regex::new("nothing").expect("regex")),
        ];
        let m = matches("local", &subject, &rules, &batch);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].signal.log_line.as_deref(), Some("FATAL one"));
        assert_eq!(m[0].more, 1, "the marker does not count");
        assert_eq!(m[0].signal.rule.as_deref(), Some("fatal"));
        assert_eq!(m[1].signal.log_line.as_deref(), Some("panic: x"));
        assert_eq!(m[1].more, 0);
    }
}
