//! What can fire an alert ([`Signal`]), read from what the keeper sees: the daemon's events
//! ([`Judge`]: a crash is a non-zero exit no signal led to, an OOM kill, a health check turned
//! unhealthy, deaths reaching the crash-loop count), the keeper's give-ups, a host down, a
//! matching log line, and triage's problems of any kind ([`from_problem`]: the problem's kind
//! word picks the alert kind, so new triage rules — disk, Swarm — feed alerts without a change
//! here). The messages are triage's words. Pure: no I/O, no clock but the times given.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::config::alerts::{AlertKind, AlertRule};
use crate::engine::exit::{ExitContext, ExitMeaning, describe, read_exit};
use crate::engine::{Container, ContainerEvent, ContainerId, EventAction, Health};
use crate::present::{bytes, short_duration};
use crate::triage::{Problem, Thresholds};

/// The container an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: String,
    pub name: String,
    pub project: Option<String>,
}

impl Subject {
    pub fn of(c: &Container) -> Self {
        Self {
            id: c.id.0.clone(),
            name: c.name.clone(),
            project: c.compose_project.clone(),
        }
    }
}

/// Something that happened that a rule may fire on.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub kind: AlertKind,
    /// The host's short name.
    pub host: String,
    pub container: Option<Subject>,
    /// One line, triage's words.
    pub message: String,
    pub exit_code: Option<i64>,
    pub log_line: Option<String>,
    pub time: DateTime<Utc>,
    /// Only this rule may fire (a log line matched its `match`; a host down past its `after`).
    pub rule: Option<String>,
}

impl Signal {
    pub fn new(kind: AlertKind, host: &str, container: Option<Subject>, message: String) -> Self {
        Self {
            kind,
            host: host.to_string(),
            container,
            message,
            exit_code: None,
            log_line: None,
            time: Utc::now(),
            rule: None,
        }
    }

    /// The key alerts are deduplicated by, within a rule: the container, else the host.
    pub fn dedup_key(&self) -> &str {
        self.container.as_ref().map_or(&self.host, |c| &c.id)
    }
}

/// Whether `rule` fires on `signal`: its kind, and every glob the rule gives.
pub fn matches(rule: &AlertRule, signal: &Signal) -> bool {
    if !rule.fires_on(signal.kind) {
        return false;
    }
    if signal.rule.as_ref().is_some_and(|only| *only != rule.name) {
        return false;
    }
    let c = signal.container.as_ref();
    rule.hosts.allows(Some(&signal.host))
        && rule.containers.allows(c.map(|c| c.name.as_str()))
        && rule.projects.allows(c.and_then(|c| c.project.as_deref()))
}

/// Whether `rule` selects container `c` for its log lines (a `log` rule whose globs pass it).
pub fn follows(rule: &AlertRule, c: &Container) -> bool {
    rule.fires_on(AlertKind::Log)
        && rule.hosts.allows(Some(&c.host))
        && rule.containers.allows(Some(&c.name))
        && rule.projects.allows(c.compose_project.as_deref())
}

/// The alert kind of a triage problem, from its kind's word (its JSON form): the disk triage's
/// kinds fire `disk` rules, the Swarm triage's `swarm` rules; `None` for the kinds events
/// already cover.
pub fn problem_kind(word: &str) -> Option<AlertKind> {
    match word {
        "disk_nearly_full" | "reclaimable" | "no_space" => Some(AlertKind::Disk),
        "service_degraded" | "tasks_failing" | "update_stopped" | "node_unavailable"
        | "quorum_short" => Some(AlertKind::Swarm),
        _ => None,
    }
}

/// The word triage writes for a problem's kind (its JSON form).
pub fn problem_word(problem: &Problem) -> String {
    match serde_json::to_value(problem.kind) {
        Ok(serde_json::Value::String(word)) => word,
        _ => String::new(),
    }
}

/// A triage problem as a signal, where its kind is one alerts take from triage.
pub fn from_problem(problem: &Problem, host: &str, fleet: &crate::engine::Fleet) -> Option<Signal> {
    let kind = problem_kind(&problem_word(problem))?;
    let container = problem
        .container_id
        .as_ref()
        .and_then(|id| fleet.get(id))
        .map(Subject::of);
    let mut signal = Signal::new(kind, host, container, problem.reason.clone());
    if signal.container.is_none() && !problem.subject.is_empty() {
        signal.message = format!("{}: {}", problem.subject, problem.reason);
    }
    Some(signal)
}

/// The host-down signals due after the host has not answered for `down_for` (with `error`):
/// one for each `host_down` rule whose `after` has passed and that has not fired in this
/// outage (`fired`), for that rule only.
pub fn host_down(
    rules: &[AlertRule],
    host: &str,
    down_for: std::time::Duration,
    error: &str,
    fired: &HashSet<String>,
) -> Vec<Signal> {
    rules
        .iter()
        .filter(|r| r.fires_on(AlertKind::HostDown) && down_for >= r.after)
        .filter(|r| !fired.contains(&r.name))
        .map(|r| {
            let mut s = Signal::new(
                AlertKind::HostDown,
                host,
                None,
                format!(
                    "host {host} unreachable for {}: {error}",
                    humantime::format_duration(std::time::Duration::from_secs(down_for.as_secs()))
                ),
            );
            s.rule = Some(r.name.clone());
            s
        })
        .collect()
}

/// Reads the daemon's events into signals. Holds, per container, whether a signal was sent
/// since it started (its death is then no crash), whether the OOM killer struck, and its
/// recent deaths (for `restart_loop`).
#[derive(Debug)]
pub struct Judge {
    host: String,
    thresholds: Thresholds,
    /// Events from before this time (replayed by the watcher) are not acted on.
    started_at: DateTime<Utc>,
    signalled: HashSet<ContainerId>,
    oomed: HashSet<ContainerId>,
    deaths: HashMap<ContainerId, VecDeque<DateTime<Utc>>>,
}

impl Judge {
    pub fn new(host: &str, thresholds: Thresholds, started_at: DateTime<Utc>) -> Self {
        Self {
            host: host.to_string(),
            thresholds,
            started_at,
            signalled: HashSet::new(),
            oomed: HashSet::new(),
            deaths: HashMap::new(),
        }
    }

    /// The signals of one event; `c` is the container as the fleet has it after the event.
    pub fn event(&mut self, e: &ContainerEvent, c: Option<&Container>) -> Vec<Signal> {
        let id = &e.id;
        match &e.action {
            EventAction::Destroy => {
                self.signalled.remove(id);
                self.oomed.remove(id);
                self.deaths.remove(id);
                return Vec::new();
            }
            EventAction::Start => {
                self.signalled.remove(id);
                self.oomed.remove(id);
                return Vec::new();
            }
            EventAction::Kill(_) => {
                self.signalled.insert(id.clone());
                return Vec::new();
            }
            _ => {}
        }
        let time = e.time.unwrap_or_else(Utc::now);
        if time < self.started_at {
            return Vec::new();
        }
        let subject = match c {
            Some(c) => Subject::of(c),
            None => Subject {
                id: id.0.clone(),
                name: e.name.clone().unwrap_or_default(),
                project: None,
            },
        };
        let mut signals = Vec::new();
        match &e.action {
            EventAction::Oom => {
                self.oomed.insert(id.clone());
                let limit = c
                    .and_then(|c| c.memory_limit)
                    .map(|l| format!(", limit {}", bytes(l)))
                    .unwrap_or_else(|| ", no memory limit".into());
                let mut s = self.signal(AlertKind::Oom, &subject, time);
                s.message = format!("OOM-killed (exit 137){limit}");
                s.exit_code = Some(137);
                signals.push(s);
            }
            EventAction::HealthStatus(Some(Health::Unhealthy)) => {
                let output = c
                    .and_then(|c| c.last_health_output.as_deref())
                    .and_then(|o| o.lines().next())
                    .map(|line| format!(": last check said \"{line}\""))
                    .unwrap_or_default();
                let mut s = self.signal(AlertKind::Unhealthy, &subject, time);
                s.message = format!("health check failing{output}");
                signals.push(s);
            }
            EventAction::Die(code) => self.died(id, *code, &subject, time, &mut signals),
            _ => {}
        }
        signals
    }

    fn signal(&self, kind: AlertKind, subject: &Subject, time: DateTime<Utc>) -> Signal {
        let mut s = Signal::new(kind, &self.host, Some(subject.clone()), String::new());
        s.time = time;
        s
    }

    fn died(
        &mut self,
        id: &ContainerId,
        code: Option<i64>,
        subject: &Subject,
        time: DateTime<Utc>,
        signals: &mut Vec<Signal>,
    ) {
        let reading = code.map(|code| {
            let r = read_exit(
                code,
                ExitContext {
                    oom_killed: self.oomed.contains(id),
                    stop_timed_out: None,
                },
            );
            (code, r.meaning)
        });
        let asked = self.signalled.contains(id);
        if let Some((code, meaning)) = &reading
            && *code != 0
            && *meaning != ExitMeaning::Sigterm
            && !asked
        {
            let mut s = self.signal(AlertKind::Crash, subject, time);
            s.message = format!("exited with {code} ({})", describe(meaning));
            s.exit_code = Some(*code);
            signals.push(s);
        }
        let window = Duration::seconds(self.thresholds.window_s);
        let deaths = self.deaths.entry(id.clone()).or_default();
        deaths.push_back(time);
        while deaths.front().is_some_and(|t| time - *t > window) {
            deaths.pop_front();
        }
        let count = deaths.len();
        if count >= self.thresholds.crash_loop_deaths.max(1) {
            let last = reading
                .map(|(code, meaning)| format!(", last exit {code} ({})", describe(&meaning)))
                .unwrap_or_default();
            let mut s = self.signal(AlertKind::RestartLoop, subject, time);
            s.message = format!(
                "died {} times in {}{last}",
                count,
                short_duration(self.thresholds.window_s)
            );
            s.exit_code = code;
            signals.push(s);
        }
    }
}

#[cfg(test)]
#[path = "signal_tests.rs"]
mod tests;
