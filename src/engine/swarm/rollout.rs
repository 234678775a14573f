//! Where a service's rollout stands, read from the manager's view of it: still converging,
//! done, or ended without reaching the new spec (an update paused, or rolled back).

use chrono::{DateTime, Utc};

use super::model::ServiceRow;

/// What a change asked of a service, for reading its rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Replicas only: done once every desired task runs.
    Scale,
    /// A rolling update (new image, forced restart): done once it completed.
    Update,
    /// A rollback: done once the rollback completed.
    Rollback,
}

/// Where a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    Converging,
    Done,
    /// The rollout ended short of the new spec; the words say how (state and message).
    Failed(String),
}

/// Reads `service`'s rollout after `change`, made when the last update had begun at `before`
/// (`None`: no update had run). An update status that began then is a previous update's:
/// this one has not begun yet.
pub fn rollout(service: &ServiceRow, change: Change, before: Option<DateTime<Utc>>) -> Rollout {
    let all_running = service.running == service.desired;
    if change == Change::Scale {
        return if all_running && !service.updating() {
            Rollout::Done
        } else {
            Rollout::Converging
        };
    }
    let current = match (service.update_started, before) {
        (Some(started), Some(before)) => started > before,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !current {
        return Rollout::Converging;
    }
    let failed = |state: &str| {
        let message = service.update_message.as_deref().unwrap_or_default();
        Rollout::Failed(if message.is_empty() {
            state.to_string()
        } else {
            format!("{state}: {message}")
        })
    };
    match (service.update_state.as_deref(), change) {
        (Some("completed"), Change::Update) | (Some("rollback_completed"), Change::Rollback) => {
            if all_running {
                Rollout::Done
            } else {
                Rollout::Converging
            }
        }
        (Some("rollback_completed"), _) => failed("rolled back"),
        (Some("paused"), _) => failed("update paused"),
        (Some("rollback_paused"), _) => failed("rollback paused"),
        _ => Rollout::Converging,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn service(
        running: u64,
        desired: u64,
        state: Option<&str>,
        started_s: Option<i64>,
    ) -> ServiceRow {
        let at = |s: i64| Utc.timestamp_opt(1_700_000_000 + s, 0).single();
        ServiceRow {
            id: "id".into(),
            name: "web".into(),
            stack: None,
            image: "img".into(),
            update_message: state.map(|_| "update paused due to failure".to_string()),
            update_started: started_s.and_then(at),
            created: at(0),
            updated: at(10),
            ..ServiceRow::sample(running, desired, state)
        }
    }

    #[test]
    fn a_scale_is_done_when_every_desired_task_runs() {
        assert_eq!(
            rollout(&service(4, 6, None, None), Change::Scale, None),
            Rollout::Converging
        );
        assert_eq!(
            rollout(&service(6, 6, None, None), Change::Scale, None),
            Rollout::Done
        );
    }

    #[test]
    fn an_update_waits_for_its_own_status_and_reports_a_pause() {
        // A previous update's "completed" is not this one's.
        let before = Utc.timestamp_opt(1_700_000_001, 0).single();
        let old = service(6, 6, Some("completed"), Some(1));
        assert_eq!(rollout(&old, Change::Update, before), Rollout::Converging);
        let done = service(6, 6, Some("completed"), Some(11));
        assert_eq!(rollout(&done, Change::Update, before), Rollout::Done);
        let paused = service(5, 6, Some("paused"), Some(11));
        assert_eq!(
            rollout(&paused, Change::Update, None),
            Rollout::Failed("update paused: update paused due to failure".into())
        );
        let back = service(6, 6, Some("rollback_completed"), Some(10));
        assert_eq!(rollout(&back, Change::Rollback, before), Rollout::Done);
        assert!(matches!(
            rollout(&back, Change::Update, before),
            Rollout::Failed(_)
        ));
    }
}
