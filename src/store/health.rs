//! What the writer thread says about its own trouble, and how often: history that cannot be
//! written (a full disk, a file made read-only, a lock held too long) is said once when it
//! starts, with the file and the cause, again every [`REMIND_EVERY`] while it lasts (with how
//! many records were lost so far), and once when writing works again (with the total lost);
//! records dropped because the writer fell behind are said at most once per
//! [`REMIND_EVERY`]. Pure: it is given the time and returns the line to log, if one is due.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// How often a lasting failure, or more dropped records, is said again.
pub const REMIND_EVERY: Duration = Duration::from_secs(60);

/// A failure that lasts.
#[derive(Debug)]
struct Failing {
    since: Instant,
    /// Records lost since it began.
    lost: u64,
    next_reminder: Instant,
}

/// The writer's account of what it could not write.
#[derive(Debug)]
pub(super) struct Health {
    path: PathBuf,
    failing: Option<Failing>,
    /// Records lost to failed writes since open (the rest of the writer's dropped count are
    /// records the queue had no room for).
    failed_total: u64,
    /// Queue drops already said.
    queue_said: u64,
    next_queue_report: Option<Instant>,
}

impl Health {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            failing: None,
            failed_total: 0,
            queue_said: 0,
            next_queue_report: None,
        }
    }

    /// Records lost to failed writes since open.
    #[cfg(test)]
    pub(super) fn failed_total(&self) -> u64 {
        self.failed_total
    }

    /// A write of `records` records (none for the retention) failed with `error` at `now`.
    pub(super) fn failed(
        &mut self,
        error: &StoreError,
        records: u64,
        now: Instant,
    ) -> Option<String> {
        self.failed_total += records;
        match &mut self.failing {
            None => {
                self.failing = Some(Failing {
                    since: now,
                    lost: records,
                    next_reminder: now + REMIND_EVERY,
                });
                Some(format!(
                    "history is not being written: {error}; {records} record(s) lost so far \
                     (said again every {} while it lasts)",
                    humantime::format_duration(REMIND_EVERY)
                ))
            }
            Some(failing) => {
                failing.lost += records;
                if now < failing.next_reminder {
                    return None;
                }
                failing.next_reminder = now + REMIND_EVERY;
                Some(format!(
                    "history is still not being written ({} record(s) lost in {}): {error}",
                    failing.lost,
                    since(failing.since, now)
                ))
            }
        }
    }

    /// A write worked at `now`: the end of a failure, said once.
    pub(super) fn wrote(&mut self, now: Instant) -> Option<String> {
        let failing = self.failing.take()?;
        Some(format!(
            "history is being written to {} again; {} record(s) were lost in the {} it failed",
            self.path.display(),
            failing.lost,
            since(failing.since, now)
        ))
    }

    /// The writer's dropped count is `dropped` at `now`: what the queue had no room for, said
    /// when it first happens and then at most once per [`REMIND_EVERY`].
    pub(super) fn dropped(&mut self, dropped: u64, now: Instant) -> Option<String> {
        let queue = dropped.saturating_sub(self.failed_total);
        if queue <= self.queue_said || self.next_queue_report.is_some_and(|at| now < at) {
            return None;
        }
        let new = queue - self.queue_said;
        self.queue_said = queue;
        self.next_queue_report = Some(now + REMIND_EVERY);
        Some(format!(
            "the store {}: its writer fell behind; {new} record(s) not written ({queue} since \
             it opened)",
            self.path.display()
        ))
    }
}

/// `now - since`, to the second, as people read it.
fn since(since: Instant, now: Instant) -> String {
    let secs = now.saturating_duration_since(since).as_secs().max(1);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(path: &Path) -> StoreError {
        StoreError::Full {
            path: path.to_path_buf(),
        }
    }

    #[test]
    fn a_failure_is_said_once_then_each_minute_with_a_count_then_its_end() {
        let path = Path::new("/mnt/small/fleet.db");
        let mut health = Health::new(path);
        let t0 = Instant::now();
        let first = health.failed(&full(path), 3, t0).unwrap_or_default();
        assert!(first.contains("history is not being written"), "{first}");
        assert!(first.contains("/mnt/small/fleet.db"), "{first}");
        assert!(first.contains("disk"), "{first}");
        assert!(first.contains("3 record(s) lost"), "{first}");
        // Batch after batch fails within the minute: nothing more is said.
        for s in 1..60 {
            assert_eq!(
                health.failed(&full(path), 2, t0 + Duration::from_secs(s)),
                None
            );
        }
        let again = health
            .failed(&full(path), 1, t0 + REMIND_EVERY)
            .unwrap_or_default();
        assert!(again.contains("still not being written"), "{again}");
        assert!(again.contains("122 record(s) lost in 1m"), "{again}");
        assert_eq!(health.failed(&full(path), 1, t0 + REMIND_EVERY), None);
        let end = health
            .wrote(t0 + Duration::from_secs(90))
            .unwrap_or_default();
        assert!(
            end.contains("being written to /mnt/small/fleet.db again"),
            "{end}"
        );
        assert!(
            end.contains("123 record(s) were lost in the 1m 30s"),
            "{end}"
        );
        assert_eq!(health.failed_total(), 123);
        // Writing goes on: nothing to say.
        assert_eq!(health.wrote(t0 + Duration::from_secs(91)), None);
        // A new failure is said again at once.
        assert!(
            health
                .failed(&full(path), 1, t0 + Duration::from_secs(92))
                .is_some()
        );
    }

    #[test]
    fn queue_drops_are_said_at_most_once_a_minute_apart_from_failed_writes() {
        let path = Path::new("fleet.db");
        let mut health = Health::new(path);
        let t0 = Instant::now();
        assert_eq!(health.dropped(0, t0), None);
        let first = health.dropped(5, t0).unwrap_or_default();
        assert!(first.contains("fell behind; 5 record(s)"), "{first}");
        assert_eq!(health.dropped(9, t0 + Duration::from_secs(30)), None);
        let later = health.dropped(9, t0 + REMIND_EVERY).unwrap_or_default();
        assert!(
            later.contains("4 record(s) not written (9 since"),
            "{later}"
        );
        // Records lost to a failed write are the failure's to say, not the queue's.
        let _ = health.failed(&full(path), 100, t0 + REMIND_EVERY);
        assert_eq!(health.dropped(109, t0 + REMIND_EVERY * 3), None);
    }
}
