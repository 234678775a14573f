//! Where a resubscribed event stream starts, and which of the events it replays were already
//! delivered. The first subscription replays a couple of seconds before its list call (so no
//! event falls between the two); a later one — after the stream broke, the daemon paused or
//! restarted — replays from the last event delivered, so the events of the gap (a restarting
//! daemon stops its old containers before its API answers) are not lost, and the ones already
//! delivered are not delivered twice. Bounded: the last [`REMEMBERED`] events are remembered.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

/// Events remembered to drop their replay (the daemon itself keeps about 256).
const REMEMBERED: usize = 1024;

/// One delivered event: its time in nanoseconds, the container and the action.
type Key = (i64, String, String);

/// The replay state of one watcher, across its sessions.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    last_nano: Option<i64>,
    seen: HashSet<Key>,
    order: VecDeque<Key>,
}

impl Replay {
    /// The `since` of the next subscription: the last delivered event's time, or `margin_s`
    /// before `now` when none was delivered yet (Docker's `SECONDS.NANOS`).
    pub(crate) fn since(&self, now: DateTime<Utc>, margin_s: i64) -> String {
        match self.last_nano {
            Some(nano) => format!(
                "{}.{:09}",
                nano.div_euclid(1_000_000_000),
                nano.rem_euclid(1_000_000_000)
            ),
            None => (now.timestamp() - margin_s).to_string(),
        }
    }

    /// Notes an event about to be delivered; `false` when it was delivered already (a replay).
    /// An event without a time is always delivered.
    pub(crate) fn fresh(&mut self, nano: Option<i64>, id: &str, action: &str) -> bool {
        let Some(nano) = nano else { return true };
        let key = (nano, id.to_string(), action.to_string());
        if self.seen.contains(&key) {
            return false;
        }
        self.last_nano = Some(self.last_nano.map_or(nano, |last| last.max(nano)));
        if self.order.len() == REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_subscription_replays_the_margin_before_now() {
        let now = DateTime::from_timestamp(1_000, 0).expect("time");
        assert_eq!(Replay::default().since(now, 2), "998");
    }

    #[test]
    fn a_resubscription_replays_from_the_last_event_and_drops_what_was_delivered() {
        let now = DateTime::from_timestamp(5_000, 0).expect("time");
        let mut replay = Replay::default();
        assert!(replay.fresh(Some(1_000_000_000_123), "a", "die"));
        assert!(replay.fresh(Some(1_000_500_000_000), "a", "destroy"));
        assert!(
            replay.fresh(Some(1_000_400_000_000), "b", "start"),
            "out of order: kept"
        );
        assert_eq!(replay.since(now, 2), "1000.500000000");
        // The replay after a reconnect: what was delivered is dropped, the gap's events kept.
        assert!(!replay.fresh(Some(1_000_500_000_000), "a", "destroy"));
        assert!(!replay.fresh(Some(1_000_400_000_000), "b", "start"));
        assert!(
            replay.fresh(Some(1_000_500_000_000), "c", "die"),
            "same time, other event"
        );
        assert!(replay.fresh(Some(1_002_000_000_000), "b", "die"));
        assert!(replay.fresh(None, "b", "die"), "no time: always delivered");
    }

    #[test]
    fn it_remembers_a_bounded_number_of_events() {
        let mut replay = Replay::default();
        for i in 0..(REMEMBERED as i64 + 10) {
            assert!(replay.fresh(Some(i), "a", "die"));
        }
        assert_eq!(replay.seen.len(), REMEMBERED);
        assert_eq!(replay.order.len(), REMEMBERED);
        assert!(
            replay.fresh(Some(0), "a", "die"),
            "forgotten: delivered again"
        );
    }
}
