//! `[[alerts]]`: the keeper's alert rules. Each rule names the kinds of thing it fires on
//! (`on`), optional globs that narrow it to some containers, projects and hosts, where its
//! alerts go (a `webhook` URL, JSON POST; a `command`, the alert as JSON on stdin), an
//! optional body `template`, and the timings of its delivery (retries, dedup, rate limit).
//!
//! Everything is checked when the file is read: an unknown kind, a bad regex or glob, a rule
//! with no sink, a `log` rule with no `match`, an unknown template field, two rules of one
//! name: each is a config error naming the line, like every config error.

use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::duration;

/// What a rule fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A non-zero exit nobody asked for (no stop or kill before it).
    Crash,
    /// An OOM kill.
    Oom,
    /// A health check turned unhealthy.
    Unhealthy,
    /// Deaths within the triage window reached the crash-loop count.
    RestartLoop,
    /// The keeper spent a container's restart budget.
    GaveUp,
    /// A host unreachable for longer than the rule's `after`.
    HostDown,
    /// A disk problem of triage.
    Disk,
    /// A Swarm service below its desired tasks (a Swarm problem of triage).
    Swarm,
    /// A log line matching the rule's `match`.
    Log,
}

impl AlertKind {
    pub const ALL: [Self; 9] = [
        Self::Crash,
        Self::Oom,
        Self::Unhealthy,
        Self::RestartLoop,
        Self::GaveUp,
        Self::HostDown,
        Self::Disk,
        Self::Swarm,
        Self::Log,
    ];

    /// The word in the config and in the alert's `kind`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Crash => "crash",
            Self::Oom => "oom",
            Self::Unhealthy => "unhealthy",
            Self::RestartLoop => "restart_loop",
            Self::GaveUp => "gave_up",
            Self::HostDown => "host_down",
            Self::Disk => "disk",
            Self::Swarm => "swarm",
            Self::Log => "log",
        }
    }

    /// Whether alerts of this kind come from triage's problems (a periodic pass) rather than
    /// from the events the keeper follows.
    pub fn from_triage(self) -> bool {
        matches!(self, Self::Disk | Self::Swarm)
    }
}

/// A glob that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("bad glob '{pattern}': {}", source.kind())]
pub struct GlobError {
    pattern: String,
    #[source]
    source: globset::Error,
}

/// Globs over one name (`web-*`, `{api,worker}-?`); none given: everything.
#[derive(Debug, Clone, Default)]
pub struct Globs {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl PartialEq for Globs {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Globs {
    /// The globs of `patterns`, or why one is bad.
    pub fn new(patterns: Vec<String>) -> Result<Self, GlobError> {
        if patterns.is_empty() {
            return Ok(Self::default());
        }
        let mut builder = GlobSetBuilder::new();
        for p in &patterns {
            let glob = Glob::new(p).map_err(|source| GlobError {
                pattern: p.clone(),
                source,
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|source| GlobError {
            pattern: patterns.join(", "),
            source,
        })?;
        Ok(Self {
            patterns,
            set: Some(set),
        })
    }

    /// Whether `value` passes: everything passes no globs; nothing (`None`) passes some.
    pub fn allows(&self, value: Option<&str>) -> bool {
        match (&self.set, value) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(set), Some(v)) => set.is_match(v),
        }
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let patterns = Vec::<String>::deserialize(d)?;
        Self::new(patterns).map_err(serde::de::Error::custom)
    }
}

/// A `match` regex.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        regex::RegexBuilder::new(&text)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| serde::de::Error::custom(format!("bad match regex '{text}': {e}")))
    }
}

/// The fields a template may name, as `{{field}}`.
pub const TEMPLATE_FIELDS: &[&str] = &[
    "rule",
    "kind",
    "time",
    "host",
    "container.name",
    "container.id",
    "project",
    "message",
    "exit_code",
    "log_line",
];

/// The fields named in `text` (`{{ name }}`), in order.
pub fn template_fields(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    found
}

/// A body of one's own for a chat service: a string (sent as text), or a table (sent as
/// JSON); every `{{field}}` in its strings is replaced by the alert's field.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(pub serde_json::Value);

/// A template naming a field an alert does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown template field '{{{{{0}}}}}': expected one of rule, kind, time, host, container.name, container.id, project, message, exit_code, log_line"
)]
pub struct TemplateError(String);

fn check_template(value: &serde_json::Value) -> Result<(), TemplateError> {
    match value {
        serde_json::Value::String(s) => {
            for field in template_fields(s) {
                if !TEMPLATE_FIELDS.contains(&field) {
                    return Err(TemplateError(field.to_string()));
                }
            }
            Ok(())
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(check_template),
        serde_json::Value::Object(map) => map.values().try_for_each(check_template),
        _ => Ok(()),
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if !matches!(
            value,
            serde_json::Value::String(_) | serde_json::Value::Object(_)
        ) {
            return Err(serde::de::Error::custom(
                "a template is a string (sent as text) or a table (sent as JSON)",
            ));
        }
        check_template(&value).map_err(serde::de::Error::custom)?;
        Ok(Self(value))
    }
}

/// A webhook's URL: `http://` or `https://` with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(pub String);

impl<'de> Deserialize<'de> for WebhookUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bad = |why: &str| serde::de::Error::custom(format!("bad webhook URL '{text}': {why}"));
        let uri: hyper::Uri = text.parse().map_err(|e: hyper::http::uri::InvalidUri| {
            serde::de::Error::custom(format!("bad webhook URL '{text}': {e}"))
        })?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("expected http:// or https://")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        Ok(Self(text))
    }
}

/// The keys of one `[[alerts]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    on: Vec<AlertKind>,
    #[serde(default, rename = "match")]
    pattern: Option<Pattern>,
    #[serde(default)]
    containers: Globs,
    #[serde(default)]
    projects: Globs,
    #[serde(default)]
    hosts: Globs,
    #[serde(default)]
    webhook: Option<WebhookUrl>,
    #[serde(default)]
    command: Vec<String>,
    #[serde(default)]
    template: Option<Template>,
    #[serde(default = "default_after", deserialize_with = "duration::duration")]
    after: Duration,
    #[serde(default = "default_dedup", deserialize_with = "duration::duration")]
    dedup: Duration,
    #[serde(default = "default_rate_limit")]
    rate_limit: u32,
    #[serde(
        default = "default_rate_window",
        deserialize_with = "duration::duration"
    )]
    rate_window: Duration,
    #[serde(default = "default_give_up", deserialize_with = "duration::duration")]
    give_up_after: Duration,
    #[serde(default = "default_timeout", deserialize_with = "duration::duration")]
    timeout: Duration,
}

fn default_after() -> Duration {
    Duration::from_secs(60)
}
fn default_dedup() -> Duration {
    Duration::from_secs(300)
}
fn default_rate_limit() -> u32 {
    5
}
fn default_rate_window() -> Duration {
    Duration::from_secs(60)
}
fn default_give_up() -> Duration {
    Duration::from_secs(3600)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

/// One `[[alerts]]` rule, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub name: String,
    /// What it fires on (at least one kind, each once).
    pub on: Vec<AlertKind>,
    /// The regex a `log` rule's lines must match.
    pub pattern: Option<Pattern>,
    /// Container names (a container with no name matches no glob).
    pub containers: Globs,
    /// Compose projects.
    pub projects: Globs,
    /// Hosts' short names.
    pub hosts: Globs,
    pub webhook: Option<WebhookUrl>,
    /// The program and its arguments; the alert comes as JSON on its stdin.
    pub command: Vec<String>,
    pub template: Option<Template>,
    /// `host_down`: unreachable this long before it fires.
    pub after: Duration,
    /// One alert per container within this long; the rest are counted as suppressed.
    pub dedup: Duration,
    /// At most this many alerts per `rate_window`; the rest are counted, and one notice
    /// says how many were suppressed.
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// A delivery is retried (backoff from 1 s, doubling, at most 60 s) for this long, then
    /// recorded as undelivered.
    pub give_up_after: Duration,
    /// How long one attempt may take (a webhook's answer, a command's run).
    pub timeout: Duration,
}

/// Why a rule cannot be used, as a whole (a bad value is the parser's error, at its line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("an alert rule needs a name")]
    NoName,
    #[error(
        "alert rule '{0}': `on` names no kind (expected some of crash, oom, unhealthy, restart_loop, gave_up, host_down, disk, swarm, log)"
    )]
    NoKind(String),
    #[error("alert rule '{0}': on \"log\" needs `match` (a regex)")]
    NoMatch(String),
    #[error("alert rule '{0}': `match` is only for on \"log\"")]
    MatchWithoutLog(String),
    #[error("alert rule '{0}': nowhere to send its alerts: give `webhook` or `command`")]
    NoSink(String),
    #[error("alert rule '{0}': `command` starts with an empty program")]
    EmptyProgram(String),
    #[error("alert rule '{0}': rate_limit 0 would send nothing")]
    ZeroRate(String),
    #[error("two alert rules are named '{0}'")]
    Twice(String),
}

/// A [`RuleError`] with the byte offset of its rule in the file (see [`located`]).
#[derive(Debug, thiserror::Error)]
#[error("{PLACE}{at}{PLACE}{error}")]
pub struct Located {
    at: usize,
    error: RuleError,
}

impl TryFrom<RawRule> for AlertRule {
    type Error = RuleError;

    fn try_from(raw: RawRule) -> Result<Self, RuleError> {
        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err(RuleError::NoName);
        }
        if raw.on.is_empty() {
            return Err(RuleError::NoKind(name));
        }
        let mut on = raw.on;
        on.sort_unstable();
        on.dedup();
        let logs = on.contains(&AlertKind::Log);
        match (&raw.pattern, logs) {
            (None, true) => return Err(RuleError::NoMatch(name)),
            (Some(_), false) => return Err(RuleError::MatchWithoutLog(name)),
            _ => {}
        }
        if raw.webhook.is_none() && raw.command.is_empty() {
            return Err(RuleError::NoSink(name));
        }
        if raw.command.first().is_some_and(|p| p.trim().is_empty()) {
            return Err(RuleError::EmptyProgram(name));
        }
        if raw.rate_limit == 0 {
            return Err(RuleError::ZeroRate(name));
        }
        Ok(Self {
            name,
            on,
            pattern: raw.pattern,
            containers: raw.containers,
            projects: raw.projects,
            hosts: raw.hosts,
            webhook: raw.webhook,
            command: raw.command,
            template: raw.template,
            after: raw.after,
            dedup: raw.dedup,
            rate_limit: raw.rate_limit,
            rate_window: raw.rate_window.max(Duration::from_secs(1)),
            give_up_after: raw.give_up_after,
            timeout: raw.timeout.max(Duration::from_millis(100)),
        })
    }
}

impl AlertRule {
    pub fn fires_on(&self, kind: AlertKind) -> bool {
        self.on.contains(&kind)
    }

    /// The sinks in words (`webhook URL`, `command PROG`).
    pub fn sinks(&self) -> Vec<String> {
        let mut sinks = Vec::new();
        if let Some(url) = &self.webhook {
            sinks.push(format!("webhook {}", url.0));
        }
        if let Some(program) = self.command.first() {
            sinks.push(format!("command {program}"));
        }
        sinks
    }
}

/// Every `[[alerts]]` rule (names unique).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(try_from = "Vec<toml::Spanned<RawRule>>")]
pub struct AlertRules(pub Vec<AlertRule>);

/// Marks an error about a whole rule with the rule's place in the file, for
/// [`located`]: the parser's own place would be the whole array's.
const PLACE: char = '\u{1}';

impl TryFrom<Vec<toml::Spanned<RawRule>>> for AlertRules {
    type Error = Located;

    fn try_from(raw: Vec<toml::Spanned<RawRule>>) -> Result<Self, Located> {
        let mut rules: Vec<AlertRule> = Vec::with_capacity(raw.len());
        for spanned in raw {
            let at = spanned.span().start;
            let rule =
                AlertRule::try_from(spanned.into_inner()).map_err(|error| Located { at, error })?;
            if rules.iter().any(|r| r.name == rule.name) {
                let error = RuleError::Twice(rule.name);
                return Err(Located { at, error });
            }
            rules.push(rule);
        }
        Ok(Self(rules))
    }
}

/// An error about a whole rule: the byte offset of the rule in the file, and the message.
pub fn located(message: &str) -> Option<(usize, &str)> {
    let rest = message.strip_prefix(PLACE)?;
    let (at, message) = rest.split_once(PLACE)?;
    Some((at.parse().ok()?, message))
}

impl AlertRules {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&AlertRule> {
        self.0.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
