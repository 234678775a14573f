//! What keeps alerts from flooding, per rule: one alert per key (a container, else a host)
//! within `dedup`, and at most `rate_limit` alerts per `rate_window`. What either holds back is
//! counted; when the window ends with some held back, one notice says how many. Pure, driven
//! with explicit instants.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Whether an alert goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Send,
    /// Within the dedup window of the same key.
    Duplicate,
    /// Over the rate limit.
    OverLimit,
}

/// One rule's limiter.
#[derive(Debug)]
pub struct Limiter {
    dedup: Duration,
    rate_limit: u32,
    window: Duration,
    /// When each key last had an alert sent.
    last_sent: HashMap<String, Instant>,
    /// The current window's start, sent and held-back counts.
    window_start: Option<Instant>,
    sent: u32,
    held: u64,
}

impl Limiter {
    pub fn new(dedup: Duration, rate_limit: u32, window: Duration) -> Self {
        Self {
            dedup,
            rate_limit: rate_limit.max(1),
            window: window.max(Duration::from_millis(1)),
            last_sent: HashMap::new(),
            window_start: None,
            sent: 0,
            held: 0,
        }
    }

    /// Whether an alert for `key` goes at `now`; one held back is counted.
    pub fn admit(&mut self, key: &str, now: Instant) -> Admit {
        // A window that ended is closed by the next tick (which says what it held back);
        // until then its count of sent alerts still holds.
        self.window_start.get_or_insert(now);
        let duplicate = self
            .last_sent
            .get(key)
            .is_some_and(|t| now.saturating_duration_since(*t) < self.dedup);
        let verdict = if duplicate {
            Admit::Duplicate
        } else if self.sent >= self.rate_limit {
            Admit::OverLimit
        } else {
            Admit::Send
        };
        match verdict {
            Admit::Send => {
                self.sent += 1;
                self.last_sent.insert(key.to_string(), now);
            }
            _ => self.held += 1,
        }
        verdict
    }

    /// Counts `n` more alerts held back (matches folded into one signal).
    pub fn hold(&mut self, n: u64) {
        self.held = self.held.saturating_add(n);
    }

    /// At `now`: when the window has ended, the count held back in it (if any), said once;
    /// keys past their dedup window are forgotten (the map stays bounded).
    pub fn tick(&mut self, now: Instant) -> Option<u64> {
        let start = self.window_start?;
        if now.saturating_duration_since(start) < self.window {
            return None;
        }
        self.window_start = None;
        self.sent = 0;
        let dedup = self.dedup;
        self.last_sent
            .retain(|_, t| now.saturating_duration_since(*t) < dedup);
        let held = std::mem::take(&mut self.held);
        (held > 0).then_some(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_gives_one_alert_per_dedup_window_and_one_notice_per_window() {
        let mut l = Limiter::new(Duration::from_secs(10), 5, Duration::from_secs(10));
        let t0 = Instant::now();
        let mut sent = 0;
        let mut notices = Vec::new();
        // 25 s of a line every millisecond from one container.
        for ms in 0..25_000u64 {
            let now = t0 + Duration::from_millis(ms);
            if l.admit("c1", now) == Admit::Send {
                sent += 1;
            }
            if let Some(n) = l.tick(now) {
                notices.push(n);
            }
        }
        assert_eq!(sent, 3, "at 0, 10 and 20 s");
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices.iter().all(|n| *n > 9_000), "{notices:?}");
    }

    #[test]
    fn the_rate_limit_holds_back_across_keys() {
        let mut l = Limiter::new(Duration::from_secs(60), 2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(l.admit("a", t0), Admit::Send);
        assert_eq!(l.admit("b", t0), Admit::Send);
        assert_eq!(l.admit("c", t0), Admit::OverLimit);
        assert_eq!(l.admit("a", t0), Admit::Duplicate);
        assert_eq!(l.tick(t0 + Duration::from_secs(59)), None);
        assert_eq!(l.tick(t0 + Duration::from_secs(60)), Some(2));
        assert_eq!(l.tick(t0 + Duration::from_secs(120)), None, "said once");
        // A new window: c goes; a is still within its dedup window? No: 61 s later.
        let t1 = t0 + Duration::from_secs(61);
        assert_eq!(l.admit("c", t1), Admit::Send);
        assert_eq!(l.admit("a", t1), Admit::Send);
    }

    #[test]
    fn nothing_held_back_says_nothing() {
        let mut l = Limiter::new(Duration::from_secs(1), 5, Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(l.admit("a", t0), Admit::Send);
        assert_eq!(l.tick(t0 + Duration::from_secs(2)), None);
    }
}
