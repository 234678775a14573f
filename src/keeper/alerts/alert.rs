//! The one JSON shape of an alert (documented in the README, stable):
//! `{"rule", "kind", "time", "host", "container": {"name", "id"}, "project", "message",
//! "exit_code", "log_line"}` — `container` null for an alert about a host or the rule itself
//! (a suppression notice), the others null where they do not apply. A rule's `template`
//! replaces the body: a string is sent as text, a table as JSON, each `{{field}}` in its
//! strings filled from the alert.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::signal::Signal;
use crate::config::alerts::{TEMPLATE_FIELDS, Template};

/// The kind of a notice that alerts were held back.
pub const SUPPRESSED: &str = "suppressed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertContainer {
    pub name: String,
    pub id: String,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub kind: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub host: String,
    pub container: Option<AlertContainer>,
    pub project: Option<String>,
    pub message: String,
    pub exit_code: Option<i64>,
    pub log_line: Option<String>,
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Alert {
    /// The alert rule `rule` makes of `signal`.
    pub fn new(rule: &str, signal: &Signal) -> Self {
        Self {
            rule: rule.to_string(),
            kind: signal.kind.word().to_string(),
            time: rfc3339(signal.time),
            host: signal.host.clone(),
            container: signal.container.as_ref().map(|c| AlertContainer {
                name: c.name.clone(),
                id: c.id.clone(),
            }),
            project: signal.container.as_ref().and_then(|c| c.project.clone()),
            message: one_line(&signal.message),
            exit_code: signal.exit_code,
            log_line: signal.log_line.clone(),
        }
    }

    /// The notice that `count` alerts of `rule` were held back in the last `window`.
    pub fn suppressed(rule: &str, host: &str, count: u64, window: std::time::Duration) -> Self {
        Self {
            rule: rule.to_string(),
            kind: SUPPRESSED.to_string(),
            time: rfc3339(Utc::now()),
            host: host.to_string(),
            container: None,
            project: None,
            message: format!(
                "{count} alert{} of rule {rule} suppressed in the last {} (duplicates or over the rate limit)",
                if count == 1 { "" } else { "s" },
                humantime::format_duration(window)
            ),
            exit_code: None,
            log_line: None,
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A template field's text (`""` for a null).
    fn field(&self, name: &str) -> String {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        match name {
            "rule" => self.rule.clone(),
            "kind" => self.kind.clone(),
            "time" => self.time.clone(),
            "host" => self.host.clone(),
            "container.name" => self
                .container
                .as_ref()
                .map_or_else(String::new, |c| c.name.clone()),
            "container.id" => self
                .container
                .as_ref()
                .map_or_else(String::new, |c| c.id.clone()),
            "project" => text(&self.project),
            "message" => self.message.clone(),
            "exit_code" => self.exit_code.map_or_else(String::new, |c| c.to_string()),
            "log_line" => text(&self.log_line),
            _ => String::new(),
        }
    }

    /// `text` with every known `{{field}}` filled in.
    fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let name = after[..end].trim();
            out.push_str(&rest[..start]);
            if TEMPLATE_FIELDS.contains(&name) {
                out.push_str(&self.field(name));
            } else {
                out.push_str(&rest[start..start + 2 + end + 2]);
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn fill_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.fill(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.fill_value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.fill_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The body a sink gets: the alert's JSON, or the rule's template filled in.
    pub fn body(&self, template: Option<&Template>) -> Body {
        match template.map(|t| &t.0) {
            Some(Value::String(s)) => Body {
                bytes: self.fill(s).into_bytes(),
                content_type: "text/plain; charset=utf-8",
            },
            Some(value) => Body {
                bytes: self.fill_value(value).to_string().into_bytes(),
                content_type: "application/json",
            },
            None => Body {
                bytes: self.to_json().to_string().into_bytes(),
                content_type: "application/json",
            },
        }
    }
}

/// What a sink is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// The first line of `text`, without trailing blanks.
fn one_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::alerts::AlertKind;
    use crate::keeper::alerts::signal::Subject;

    fn alert() -> Alert {
        let mut s = Signal::new(
            AlertKind::Log,
            "local",
            Some(Subject {
                id: "abc123".into(),
                name: "web-1".into(),
                project: Some("shop".into()),
            }),
            "log line matched FATAL\nsecond line".into(),
        );
        s.log_line = Some("FATAL: \"disk\" gone".into());
        s.time = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Alert::new("fatal", &s)
    }

    #[test]
    fn the_shape_is_stable() {
        let json = alert().to_json();
        assert_eq!(
            json,
            serde_json::json!({
                "rule": "fatal",
                "kind": "log",
                "time": "2026-01-02T03:04:05.000Z",
                "host": "local",
                "container": {"name": "web-1", "id": "abc123"},
                "project": "shop",
                "message": "log line matched FATAL",
                "exit_code": null,
                "log_line": "FATAL: \"disk\" gone",
            })
        );
    }

    #[test]
    fn templates_fill_text_and_json() {
        let a = alert();
        let text = Template(Value::String(
            "{{container.name}}: {{log_line}} {{nope}}".into(),
        ));
        let body = a.body(Some(&text));
        assert_eq!(body.content_type, "text/plain; charset=utf-8");
        assert_eq!(
            String::from_utf8_lossy(&body.bytes),
            "web-1: FATAL: \"disk\" gone {{nope}}"
        );
        let slack = Template(serde_json::json!({"text": "*{{rule}}* {{message}} ({{log_line}})"}));
        let body = a.body(Some(&slack));
        let parsed: Value = serde_json::from_slice(&body.bytes).expect("JSON, quotes escaped");
        assert_eq!(
            parsed["text"],
            "*fatal* log line matched FATAL (FATAL: \"disk\" gone)"
        );
    }

    #[test]
    fn a_notice_says_suppressed_and_the_count() {
        let n = Alert::suppressed("fatal", "local", 1234, std::time::Duration::from_secs(60));
        assert_eq!(n.kind, "suppressed");
        assert!(n.message.contains("1234 alerts"), "{}", n.message);
        assert!(n.message.contains("suppressed"), "{}", n.message);
        assert!(n.container.is_none());
    }
}
