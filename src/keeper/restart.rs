//! The restart budget as a pure state machine, one [`Tracker`] per kept container, driven with
//! explicit instants (no clock, no daemon): a failure (a crash, unhealthy, a failed
//! verification) schedules a restart after an exponential backoff, or gives up once `budget`
//! restarts fall within `window`; a restart is then verified ([`verdict`]): healthy within
//! `verify_timeout` with a healthcheck, still running after `settle` without one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::engine::Health;

/// The budget and backoff, from `[keeper]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub budget: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
    pub window: Duration,
    pub settle: Duration,
    pub verify_timeout: Duration,
}

/// Where a container stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing wrong seen (or the last restart was verified).
    Watching,
    /// A restart is due at `at`, for `reason`.
    Backoff { at: Instant, reason: String },
    /// Restarted at `since`: being verified.
    Verifying { since: Instant, reason: String },
    /// Out of budget: left alone, for triage.
    GaveUp { reason: String },
}

/// What a failure leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing new (a restart is already due, or the keeper gave up before).
    Nothing,
    /// Restart after `delay` (at `at`): restart number `attempt` of the budget.
    Restart {
        at: Instant,
        delay: Duration,
        attempt: u32,
    },
    /// The budget is spent: the reason, for the record.
    GiveUp { reason: String },
}

/// One container's restarts within the window, and its phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracker {
    restarts: VecDeque<Instant>,
    phase: Phase,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    pub fn new() -> Self {
        Self {
            restarts: VecDeque::new(),
            phase: Phase::Watching,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whether the keeper is acting on the container (a restart due or being verified) or has
    /// given up on it: either way nobody else (a reconcile pass) should start it.
    pub fn is_busy(&self) -> bool {
        !matches!(self.phase, Phase::Watching)
    }

    /// Restarts that still count at `now`.
    pub fn restarts_in_window(&mut self, policy: &Policy, now: Instant) -> u32 {
        while let Some(first) = self.restarts.front() {
            if now.saturating_duration_since(*first) > policy.window {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
    }

    /// A failure seen at `now` (why: `reason`).
    pub fn failed(&mut self, policy: &Policy, now: Instant, reason: &str) -> Decision {
        if matches!(self.phase, Phase::Backoff { .. } | Phase::GaveUp { .. }) {
            return Decision::Nothing;
        }
        let used = self.restarts_in_window(policy, now);
        if used >= policy.budget {
            let reason = format!(
                "{reason}; gave up after {used} restart{} within {}",
                if used == 1 { "" } else { "s" },
                humantime::format_duration(policy.window)
            );
            self.phase = Phase::GaveUp {
                reason: reason.clone(),
            };
            return Decision::GiveUp { reason };
        }
        let delay = backoff(policy, used);
        let at = now + delay;
        self.phase = Phase::Backoff {
            at,
            reason: reason.to_string(),
        };
        Decision::Restart {
            at,
            delay,
            attempt: used + 1,
        }
    }

    /// The reason of a restart due at `now`, if one is.
    pub fn due(&self, now: Instant) -> Option<&str> {
        match &self.phase {
            Phase::Backoff { at, reason } if now >= *at => Some(reason),
            _ => None,
        }
    }

    /// The keeper restarted the container at `now`: it is verified next.
    pub fn restarted(&mut self, now: Instant) {
        let reason = match &self.phase {
            Phase::Backoff { reason, .. } => reason.clone(),
            _ => String::new(),
        };
        self.restarts.push_back(now);
        self.phase = Phase::Verifying { since: now, reason };
    }

    /// The restart was verified: watching again (the restart still counts in the window).
    pub fn fixed(&mut self) {
        self.phase = Phase::Watching;
    }

    /// Someone else started the container after the keeper gave up: a fresh budget.
    pub fn reset(&mut self) {
        self.restarts.clear();
        self.phase = Phase::Watching;
    }
}

/// The wait before restart number `used + 1`: `backoff * 2^used`, at most `backoff_max`.
pub fn backoff(policy: &Policy, used: u32) -> Duration {
    let factor = 1u32.checked_shl(used.min(31)).unwrap_or(u32::MAX);
    policy
        .backoff
        .checked_mul(factor)
        .unwrap_or(policy.backoff_max)
        .min(policy.backoff_max)
}

/// A restarted container as seen at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Running { health: Option<Health> },
    Exited { code: Option<i64> },
    Gone,
}

/// How a verification stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pending,
    /// Fixed: why it counts as fixed.
    Fixed(String),
    /// Still failing: why, for the next failure.
    Failed(String),
}

/// Verifies a restart made at `since`, seen as `observed` at `now`.
pub fn verdict(
    policy: &Policy,
    since: Instant,
    now: Instant,
    has_healthcheck: bool,
    observed: &Observed,
) -> Verdict {
    let elapsed = now.saturating_duration_since(since);
    match observed {
        Observed::Gone => Verdict::Failed("removed after the restart".into()),
        Observed::Exited { code } => Verdict::Failed(match code {
            Some(c) => format!("exited {c} after the restart"),
            None => "exited after the restart".into(),
        }),
        Observed::Running { health } if has_healthcheck => match health {
            Some(Health::Healthy) => Verdict::Fixed("healthy".into()),
            Some(Health::Unhealthy) => Verdict::Failed("unhealthy after the restart".into()),
            _ if elapsed >= policy.verify_timeout => Verdict::Failed(format!(
                "not healthy within {}",
                humantime::format_duration(policy.verify_timeout)
            )),
            _ => Verdict::Pending,
        },
        Observed::Running { .. } if elapsed >= policy.settle => Verdict::Fixed(format!(
            "running for {}",
            humantime::format_duration(policy.settle)
        )),
        Observed::Running { .. } => Verdict::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            budget: 3,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(3),
            window: Duration::from_secs(600),
            settle: Duration::from_secs(5),
            verify_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn three_restarts_with_backoff_then_give_up() {
        let p = policy();
        let t0 = Instant::now();
        let mut t = Tracker::new();
        let mut now = t0;
        let mut delays = Vec::new();
        for attempt in 1..=3 {
            match t.failed(&p, now, "exited 3") {
                Decision::Restart {
                    at,
                    delay,
                    attempt: n,
                } => {
                    assert_eq!(n, attempt);
                    delays.push(delay);
                    assert_eq!(t.due(at - Duration::from_millis(1)), None);
                    assert_eq!(t.due(at), Some("exited 3"));
                    // A second failure while a restart is due changes nothing.
                    assert_eq!(t.failed(&p, at, "again"), Decision::Nothing);
                    now = at;
                }
                other => panic!("expected a restart, got {other:?}"),
            }
            t.restarted(now);
            assert!(matches!(t.phase(), Phase::Verifying { .. }));
            now += Duration::from_secs(1);
        }
        assert_eq!(
            delays,
            vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(3)
            ]
        );
        let Decision::GiveUp { reason } = t.failed(&p, now, "exited 3 after the restart") else {
            panic!("the budget is spent");
        };
        assert!(reason.contains("exited 3 after the restart"), "{reason}");
        assert!(reason.contains("gave up after 3 restarts"), "{reason}");
        assert_eq!(t.failed(&p, now, "more"), Decision::Nothing);
        assert!(t.is_busy());
        t.reset();
        assert!(!t.is_busy());
    }

    #[test]
    fn old_restarts_leave_the_window() {
        let p = policy();
        let t0 = Instant::now();
        let mut t = Tracker::new();
        for i in 0..3 {
            let now = t0 + Duration::from_secs(i * 10);
            assert!(matches!(t.failed(&p, now, "x"), Decision::Restart { .. }));
            t.restarted(now);
            t.fixed();
        }
        // Long after: the old restarts no longer count, and the backoff starts over.
        let later = t0 + Duration::from_secs(1000);
        assert_eq!(
            t.failed(&p, later, "x"),
            Decision::Restart {
                at: later + Duration::from_secs(1),
                delay: Duration::from_secs(1),
                attempt: 1
            }
        );
    }

    #[test]
    fn verification() {
        let p = policy();
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        let running = Observed::Running { health: None };
        assert_eq!(verdict(&p, t0, at(1), false, &running), Verdict::Pending);
        assert!(matches!(
            verdict(&p, t0, at(5), false, &running),
            Verdict::Fixed(_)
        ));
        assert_eq!(
            verdict(&p, t0, at(1), false, &Observed::Exited { code: Some(3) }),
            Verdict::Failed("exited 3 after the restart".into())
        );
        let starting = Observed::Running {
            health: Some(Health::Starting),
        };
        assert_eq!(verdict(&p, t0, at(10), true, &starting), Verdict::Pending);
        assert!(matches!(
            verdict(&p, t0, at(30), true, &starting),
            Verdict::Failed(_)
        ));
        let healthy = Observed::Running {
            health: Some(Health::Healthy),
        };
        assert_eq!(
            verdict(&p, t0, at(1), true, &healthy),
            Verdict::Fixed("healthy".into())
        );
        let unhealthy = Observed::Running {
            health: Some(Health::Unhealthy),
        };
        assert!(matches!(
            verdict(&p, t0, at(1), true, &unhealthy),
            Verdict::Failed(_)
        ));
        assert!(matches!(
            verdict(&p, t0, at(1), true, &Observed::Gone),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn backoff_is_capped() {
        let p = policy();
        assert_eq!(backoff(&p, 0), Duration::from_secs(1));
        assert_eq!(backoff(&p, 1), Duration::from_secs(2));
        assert_eq!(backoff(&p, 40), Duration::from_secs(3));
    }
}
