//! A circuit breaker per host: after [`THRESHOLD`] failures in a row (the host did not answer,
//! or the connection failed) it opens, and every call fails fast with the last cause instead of
//! waiting out another timeout; after a cool-down one call goes through as a probe (the others
//! still fail fast), and its success closes the breaker; its failure opens it again for twice
//! the cool-down (up to [`MAX_COOL_DOWN`]). A daemon that answers — even with a refusal — is
//! a success: only the transport counts. Pure but for the clock, which callers pass in.

use std::sync::Mutex;
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
    probing: bool,
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
                probing: false,
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

    /// Whether a call may go now: `Err` while open (or while another call is the probe).
    pub fn check(&self, now: Instant) -> Result<(), Open> {
        let mut state = self.lock();
        let Some((since, cool_down)) = state.open else {
            return Ok(());
        };
        let ready_at = since + cool_down;
        if now >= ready_at && !state.probing {
            state.probing = true;
            return Ok(());
        }
        Err(Open {
            failures: state.failures,
            cause: state.cause.clone(),
            retry_in: ready_at.saturating_duration_since(now),
        })
    }

    /// A call got an answer: the breaker closes.
    pub fn success(&self) {
        let mut state = self.lock();
        state.failures = 0;
        state.open = None;
        state.probing = false;
    }

    /// A call failed on the transport: counted, and the breaker opens at [`THRESHOLD`].
    pub fn failure(&self, cause: &str, now: Instant) {
        let mut state = self.lock();
        state.failures = state.failures.saturating_add(1);
        state.cause = cause.to_string();
        let was_probing = std::mem::take(&mut state.probing);
        state.open = match state.open {
            Some((_, cool_down)) if was_probing => Some((now, (cool_down * 2).min(MAX_COOL_DOWN))),
            Some(open) => Some(open),
            None if state.failures >= THRESHOLD => Some((now, COOL_DOWN)),
            None => None,
        };
    }

    /// Whether the breaker is open now (calls fail fast).
    pub fn is_open(&self) -> bool {
        self.lock().open.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_repeated_failures_probes_after_the_cool_down_and_closes_on_success() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            assert!(breaker.check(t0).is_ok());
            breaker.failure("connection refused", t0);
        }
        assert!(
            breaker.check(t0).is_ok(),
            "below the threshold calls still go"
        );
        breaker.failure("connection refused", t0);
        let open = breaker.check(t0).expect_err("open after the threshold");
        assert_eq!(open.failures, THRESHOLD);
        assert_eq!(open.cause, "connection refused");
        assert_eq!(open.retry_in, COOL_DOWN);

        let later = t0 + COOL_DOWN;
        assert!(
            breaker.check(later).is_ok(),
            "one probe after the cool-down"
        );
        assert!(breaker.check(later).is_err(), "only one probe at a time");
        breaker.success();
        assert!(breaker.check(later).is_ok());
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_failed_probe_doubles_the_cool_down() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            breaker.failure("timed out", t0);
        }
        let t1 = t0 + COOL_DOWN;
        assert!(breaker.check(t1).is_ok());
        breaker.failure("timed out", t1);
        let open = breaker.check(t1).expect_err("open again");
        assert_eq!(open.retry_in, COOL_DOWN * 2);
        let mut t = t1;
        for _ in 0..10 {
            t += MAX_COOL_DOWN;
            assert!(breaker.check(t).is_ok());
            breaker.failure("timed out", t);
        }
        assert_eq!(breaker.check(t).map_err(|o| o.retry_in), Err(MAX_COOL_DOWN));
    }

    #[test]
    fn an_answer_resets_the_count() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            breaker.failure("refused", t0);
        }
        breaker.success();
        breaker.failure("refused", t0);
        assert!(breaker.check(t0).is_ok());
    }
}
