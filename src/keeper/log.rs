//! The keeper's decision log: one line per decision (start, restart, give up, verified, drift,
//! apply, GC removal, job run or skip, ...), for people on stderr, or as JSON lines on stdout
//! (`--json`): `{"time", "decision", "container", "id", "reason", ...}`.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::sanitize::printable;

/// Where decisions go.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    pub json: bool,
    /// The host this keeper keeps, when there are several (a `host` field, a `[host]` prefix).
    pub host: Option<std::sync::Arc<str>>,
}

impl DecisionLog {
    /// Logs `decision` about `subject` (a container's name, a job's, or empty) with `reason`,
    /// and any further fields of `extra` (an object).
    pub fn log(&self, decision: &str, subject: &str, id: Option<&str>, reason: &str, extra: Value) {
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        if self.json {
            let mut line = Map::new();
            line.insert("time".into(), time.into());
            if let Some(host) = &self.host {
                line.insert("host".into(), host.as_ref().into());
            }
            line.insert("decision".into(), decision.into());
            line.insert("container".into(), subject.into());
            line.insert("id".into(), id.map_or(Value::Null, |i| i.into()));
            line.insert("reason".into(), reason.into());
            if let Value::Object(more) = extra {
                line.extend(more);
            }
            let mut out = std::io::stdout().lock();
            let _ = crate::sanitize::write_json(&mut out, &Value::Object(line));
            let _ = writeln!(out);
            let _ = out.flush();
        } else {
            let subject = if subject.is_empty() {
                String::new()
            } else {
                format!(" {}", printable(subject))
            };
            let host = self
                .host
                .as_ref()
                .map_or_else(String::new, |h| format!(" [{}]", printable(h)));
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "{time} keep{host}: {decision}{subject}: {}",
                printable(reason)
            );
        }
    }

    /// A decision with no further fields.
    pub fn note(&self, decision: &str, subject: &str, reason: &str) {
        self.log(decision, subject, None, reason, json!({}));
    }
}
