//! A circuit breaker per host: after [`THRESHOLD`] failures in a row (the host did not answer,
//! or the connection failed) it opens, and every call fails fast with the last cause instead of
//! waiting out another timeout; after a cool-down one call goes through as a probe (the others
//! still fail fast), and its success closes the breaker; its failure opens it again for twice
//! the cool-down (up to [`MAX_COOL_DOWN`]). A daemon that answers — even with a refusal — is
//! a success: only the transport counts. Pure but for the clock, which callers pass in.
//!
//! A call let through holds a [`Permit`] until its verdict: a permit dropped without one (the
//! call's future cancelled mid-call: a log stream aborted, an inspect set dropped on reconnect)
//! gives its probe back, so the next call may probe instead of the host being refused for good.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker.
pub const THRESHOLD: u32 = 3;
/// The first cool-down before a probe.
pub const COOL_DOWN: Duration = Duration::from_secs(5);
/// The longest cool-down.
pub const MAX_COOL_DOWN: Duration = Duration::from_secs(15);

/// Why a call was not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// Failures in a row so far.
    pub failures: u32,
    /// The last failure's cause.
    pub cause: String,
    /// How long until the next probe (zero while a probe is out).
    pub retry_in: Duration,
}

#[derive(Debug)]
struct State {
    failures: u32,
    cause: String,
    /// When the breaker opened last, and for how long.
    open: Option<(Instant, Duration)>,
    /// The probe out now, if any (a number, so that a stale permit cannot end a later probe).
    probing: Option<u64>,
    /// The last probe number handed out.
    probes: u64,
}

/// One host's breaker.
#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                failures: 0,
                cause: String::new(),
                open: None,
                probing: None,
                probes: 0,
            }),
        }
    }
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain counters behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call may go now: a [`Permit`] to hand the call's verdict to, or `Err` while
    /// open (or while another call is the probe).
    pub fn check(self: &Arc<Self>, now: Instant) -> Result<Permit, Open> {
        let mut state = self.lock();
        let Some((since, cool_down)) = state.open else {
            return Ok(Permit::new(self, None));
        };
        let ready_at = since + cool_down;
        if now >= ready_at && state.probing.is_none() {
            state.probes = state.probes.wrapping_add(1);
            let probe = state.probes;
            state.probing = Some(probe);
            return Ok(Permit::new(self, Some(probe)));
        }
        Err(Open {
            failures: state.failures,
            cause: state.cause.clone(),
            retry_in: ready_at.saturating_duration_since(now),
        })
    }

    /// A call got an answer: the breaker closes.
    fn success(&self) {
        let mut state = self.lock();
        state.failures = 0;
        state.open = None;
        state.probing = None;
    }

    /// A call failed on the transport: counted, and the breaker opens at [`THRESHOLD`]; a
    /// failed probe (`probe`) opens it again for twice the cool-down.
    fn failure(&self, cause: &str, now: Instant, probe: Option<u64>) {
        let mut state = self.lock();
        state.failures = state.failures.saturating_add(1);
        state.cause = cause.to_string();
        let was_probing = probe.is_some() && state.probing == probe;
        if was_probing {
            state.probing = None;
        }
        state.open = match state.open {
            Some((_, cool_down)) if was_probing => Some((now, (cool_down * 2).min(MAX_COOL_DOWN))),
            Some(open) => Some(open),
            None if state.failures >= THRESHOLD => Some((now, COOL_DOWN)),
            None => None,
        };
    }

    /// A probe ended without a verdict: the next call may probe (the breaker stays open).
    fn abandon(&self, probe: u64) {
        let mut state = self.lock();
        if state.probing == Some(probe) {
            state.probing = None;
        }
    }

    /// Whether the breaker is open now (calls fail fast).
    pub fn is_open(&self) -> bool {
        self.lock().open.is_some()
    }
}

/// A call let through by [`Breaker::check`]: hand it the call's verdict
/// ([`Permit::success`], [`Permit::failure`]). Dropped without one (the call cancelled), it
/// gives its probe back, so a cancelled probe never leaves the host refused for good.
#[derive(Debug)]
#[must_use = "a permit records the call's verdict; dropped, the call counts for nothing"]
pub struct Permit {
    breaker: Arc<Breaker>,
    /// Set when this call is the probe of an open breaker.
    probe: Option<u64>,
    /// Set once a verdict was recorded.
    done: bool,
}

impl Permit {
    fn new(breaker: &Arc<Breaker>, probe: Option<u64>) -> Self {
        Self {
            breaker: Arc::clone(breaker),
            probe,
            done: false,
        }
    }

    /// Whether this call is the probe of an open breaker.
    pub fn is_probe(&self) -> bool {
        self.probe.is_some()
    }

    /// The call got an answer: the breaker closes.
    pub fn success(mut self) {
        self.done = true;
        self.breaker.success();
    }

    /// The call failed on the transport: counted against the host.
    pub fn failure(mut self, cause: &str, now: Instant) {
        self.done = true;
        self.breaker.failure(cause, now, self.probe);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let (false, Some(probe)) = (self.done, self.probe) {
            self.breaker.abandon(probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Arc<Breaker> {
        Arc::new(Breaker::default())
    }

    /// A call let through that failed on the transport at `now`.
    fn fails(breaker: &Arc<Breaker>, cause: &str, now: Instant) {
        breaker.check(now).expect("let through").failure(cause, now);
    }

    #[test]
    fn opens_after_repeated_failures_probes_after_the_cool_down_and_closes_on_success() {
        let breaker = breaker();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            fails(&breaker, "connection refused", t0);
        }
        let last = breaker
            .check(t0)
            .expect("below the threshold calls still go");
        last.failure("connection refused", t0);
        let open = breaker.check(t0).expect_err("open after the threshold");
        assert_eq!(open.failures, THRESHOLD);
        assert_eq!(open.cause, "connection refused");
        assert_eq!(open.retry_in, COOL_DOWN);

        let later = t0 + COOL_DOWN;
        let probe = breaker.check(later).expect("one probe after the cool-down");
        assert!(probe.is_probe());
        assert!(breaker.check(later).is_err(), "only one probe at a time");
        probe.success();
        assert!(breaker.check(later).is_ok());
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_failed_probe_doubles_the_cool_down() {
        let breaker = breaker();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            fails(&breaker, "timed out", t0);
        }
        let t1 = t0 + COOL_DOWN;
        fails(&breaker, "timed out", t1);
        let open = breaker.check(t1).expect_err("open again");
        assert_eq!(open.retry_in, COOL_DOWN * 2);
        let mut t = t1;
        for _ in 0..10 {
            t += MAX_COOL_DOWN;
            fails(&breaker, "timed out", t);
        }
        assert_eq!(
            breaker.check(t).map(drop).map_err(|o| o.retry_in),
            Err(MAX_COOL_DOWN)
        );
    }

    #[test]
    fn an_answer_resets_the_count() {
        let breaker = breaker();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            fails(&breaker, "refused", t0);
        }
        breaker.check(t0).expect("closed").success();
        fails(&breaker, "refused", t0);
        assert!(breaker.check(t0).is_ok());
    }

    #[test]
    fn a_probe_dropped_without_a_verdict_is_given_back() {
        let breaker = breaker();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            fails(&breaker, "timed out", t0);
        }
        let t1 = t0 + COOL_DOWN;
        drop(breaker.check(t1).expect("the probe"));
        let next = breaker.check(t1).expect("the next call may probe");
        assert!(next.is_probe());
        assert!(breaker.is_open(), "still open until a probe gets an answer");
        next.success();
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_stale_permit_neither_ends_a_later_probe_nor_doubles_its_cool_down() {
        let breaker = breaker();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            fails(&breaker, "timed out", t0);
        }
        let t1 = t0 + COOL_DOWN;
        // A call let through before the breaker opened, answered only now.
        let stale = Permit::new(&breaker, None);
        let probe = breaker.check(t1).expect("the probe");
        stale.failure("timed out", t1);
        assert!(
            breaker.check(t1).is_err(),
            "the probe is still the only one"
        );
        probe.failure("timed out", t1);
        let open = breaker.check(t1).expect_err("open again");
        assert_eq!(open.retry_in, COOL_DOWN * 2);
    }
}
