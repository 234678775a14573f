//! Whether a live batch waits for more lines. A quiet stream's line goes out the moment it is
//! read (waiting would only add latency: nothing else is coming); while lines come faster than
//! the batch delay — a flood, or a reader that fell behind so lines pile up — a batch waits up
//! to the delay for more, so a flood still goes out in a few large batches rather than one
//! wake-up per line. Pure: the instants are given, so it is tested without a clock.

use std::time::Duration;

use tokio::time::Instant;

/// The pace of one stream: the batch delay and when the last batch went out.
#[derive(Debug, Clone)]
pub(crate) struct Pace {
    delay: Duration,
    last_sent: Option<Instant>,
}

impl Pace {
    pub(crate) fn new(delay: Duration) -> Self {
        Self {
            delay,
            last_sent: None,
        }
    }

    /// A batch's first line was read at `now`: how long to wait for more before sending.
    /// Zero when the stream was quiet (nothing sent within the last delay, or never).
    pub(crate) fn wait(&self, now: Instant) -> Duration {
        match self.last_sent {
            Some(last) if now.saturating_duration_since(last) < self.delay => self.delay,
            _ => Duration::ZERO,
        }
    }

    /// A batch went out at `now`.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_sent = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(20);

    #[test]
    fn the_first_line_of_a_stream_goes_at_once() {
        let pace = Pace::new(DELAY);
        assert_eq!(pace.wait(Instant::now()), Duration::ZERO);
    }

    #[test]
    fn a_line_after_a_quiet_spell_goes_at_once() {
        let t = Instant::now();
        let mut pace = Pace::new(DELAY);
        pace.sent(t);
        // One line every 200 ms: each is sent the moment it is read.
        assert_eq!(pace.wait(t + Duration::from_millis(200)), Duration::ZERO);
        assert_eq!(
            pace.wait(t + DELAY),
            Duration::ZERO,
            "exactly one delay later"
        );
    }

    #[test]
    fn lines_faster_than_the_delay_are_batched() {
        let t = Instant::now();
        let mut pace = Pace::new(DELAY);
        pace.sent(t);
        assert_eq!(pace.wait(t + Duration::from_micros(50)), DELAY);
        pace.sent(t + Duration::from_millis(20));
        assert_eq!(pace.wait(t + Duration::from_millis(39)), DELAY);
        // The flood stops: the next line, later than a delay after the last batch, goes at once.
        assert_eq!(pace.wait(t + Duration::from_millis(60)), Duration::ZERO);
    }

    #[test]
    fn a_zero_delay_never_waits() {
        let t = Instant::now();
        let mut pace = Pace::new(Duration::ZERO);
        pace.sent(t);
        assert_eq!(pace.wait(t), Duration::ZERO);
    }
}
