//! Deliveries outside the router's flow: the alerts a previous keeper recorded and had not
//! delivered yet (resumed at start, for what is left of their rule's `give_up_after`: a
//! keeper restarted while a webhook was down loses nothing), and a rule's test alert
//! (`fleetdeck alerts test NAME`).

use chrono::{DateTime, Utc};

use super::alert::Alert;
use super::deliver::{self, Delivery, Sink};
use super::signal::{Signal, Subject};
use crate::config::alerts::{AlertKind, AlertRule, AlertRules};
use crate::store::{AlertRow, DeliveryState, Store, StoreWriter};

/// Alerts resumed at start, at most.
const RESUMED_MAX: usize = 1000;

/// The delivery that resumes `row` at `now`, when it is pending, of `host`, and its rule and
/// sink are still configured.
pub fn resume(
    row: &AlertRow,
    host: &str,
    rules: &AlertRules,
    now: DateTime<Utc>,
) -> Option<Delivery> {
    if row.state != DeliveryState::Pending || row.host.as_deref() != Some(host) {
        return None;
    }
    let rule = rules.get(&row.rule)?;
    let sink = deliver::sinks(rule)
        .into_iter()
        .find(|s| s.to_string() == row.sink)?;
    let alert: Alert = serde_json::from_value(row.alert.clone()).ok()?;
    let age = (now - row.time).to_std().unwrap_or_default();
    Some(Delivery {
        key: row.key.clone(),
        rule: rule.name.clone(),
        subject: alert
            .container
            .as_ref()
            .map_or_else(String::new, |c| c.name.clone()),
        sink,
        body: alert.body(rule.template.as_ref()),
        timeout: rule.timeout,
        give_up_after: rule.give_up_after.saturating_sub(age),
    })
}

/// The deliveries a previous keeper of `host` left pending in the store.
pub async fn pending(store: &StoreWriter, host: &str, rules: &AlertRules) -> Vec<Delivery> {
    let Some(longest) = rules.0.iter().map(|r| r.give_up_after).max() else {
        return Vec::new();
    };
    let now = Utc::now();
    let since = now - chrono::Duration::from_std(longest).unwrap_or(chrono::Duration::days(1));
    let path = store.path().to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        Store::open_read(&path)?.alerts(since, Some(RESUMED_MAX))
    })
    .await;
    let rows = match read {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            log::warn!("alerts: the pending alerts cannot be read: {e}");
            return Vec::new();
        }
        Err(e) => {
            log::warn!("alerts: reading the pending alerts {e}");
            return Vec::new();
        }
    };
    rows.iter()
        .filter_map(|row| resume(row, host, rules, now))
        .collect()
}

/// A sample alert through rule `rule`, delivered once to each of its sinks (no retries): each
/// sink with what it answered, or why it failed.
pub async fn test_rule(
    rule: &AlertRule,
    host: &str,
) -> Vec<(Sink, Result<String, deliver::DeliveryError>)> {
    let kind = rule.on.first().copied().unwrap_or(AlertKind::Crash);
    let mut signal = Signal::new(
        kind,
        host,
        Some(Subject {
            id: "0000000000000000000000000000000000000000000000000000000000000000".into(),
            name: "fleetdeck-alert-test".into(),
            project: None,
        }),
        format!("a test alert of rule {} (fleetdeck alerts test)", rule.name),
    );
    if kind == AlertKind::Log {
        signal.log_line = Some("a sample log line".into());
    }
    let alert = Alert::new(&rule.name, &signal);
    let body = alert.body(rule.template.as_ref());
    let client = deliver::http_client();
    let mut answers = Vec::new();
    for sink in deliver::sinks(rule) {
        let answer = deliver::attempt(&sink, &body, rule.timeout, &client).await;
        answers.push((sink, answer));
    }
    answers
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_pending_alert_of_this_host_is_resumed_for_what_is_left() {
        let rules: AlertRules = crate::config::Config::parse(
            "[[alerts]]\nname = \"deaths\"\non = [\"crash\"]\nwebhook = \"http://h/x\"\ngive_up_after = \"1h\"\n",
            std::path::Path::new("c.toml"),
        )
        .expect("a rule")
        .alerts;
        let now = Utc::now();
        let signal = Signal::new(AlertKind::Crash, "local", None, "exited with 3".into());
        let alert = Alert::new("deaths", &signal);
        let row = AlertRow {
            key: "k/webhook".into(),
            time: now - chrono::Duration::minutes(10),
            rule: "deaths".into(),
            kind: "crash".into(),
            sink: "webhook http://h/x".into(),
            host: Some("local".into()),
            container_id: None,
            container_name: None,
            project: None,
            message: "exited with 3".into(),
            state: DeliveryState::Pending,
            attempts: 3,
            last_error: None,
            answer: None,
            updated_at: now,
            alert: alert.to_json(),
        };
        let d = resume(&row, "local", &rules, now).expect("resumed");
        assert_eq!(d.key, "k/webhook");
        assert_eq!(d.sink, Sink::Webhook("http://h/x".into()));
        assert_eq!(d.give_up_after, Duration::from_secs(50 * 60));
        assert!(resume(&row, "far", &rules, now).is_none(), "another host's");
        let mut delivered = row.clone();
        delivered.state = DeliveryState::Delivered;
        assert!(resume(&delivered, "local", &rules, now).is_none());
        let mut moved = row;
        moved.sink = "webhook http://elsewhere/".into();
        assert!(
            resume(&moved, "local", &rules, now).is_none(),
            "the sink changed"
        );
    }
}
