//! The lines a logs pane keeps for one stream: a ring bounded by a number of lines and a number
//! of bytes of text, dropping the oldest and counting what it dropped, with a lines-per-second
//! meter. Reading a window of it is O(lines read), whatever it holds, so a pane renders in
//! O(lines on screen). Plain data: the clock is passed in, never read here.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{LogLine, LogsOptions};

/// The last lines of a stream, bounded by lines and by bytes of text.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    bytes: usize,
    max_lines: usize,
    max_bytes: usize,
    dropped: u64,
    cleared: u64,
    rate: RateMeter,
}

impl LogBuffer {
    /// A buffer keeping at most `max_lines` lines (at least 1) and `max_bytes` bytes of text.
    pub fn new(max_lines: usize, max_bytes: usize) -> Self {
        let max_lines = max_lines.max(1);
        Self {
            lines: VecDeque::with_capacity(max_lines.min(4_096)),
            bytes: 0,
            max_lines,
            max_bytes: max_bytes.max(1),
            dropped: 0,
            cleared: 0,
            rate: RateMeter::default(),
        }
    }

    /// A buffer with the configured bounds.
    pub fn with_options(options: &LogsOptions) -> Self {
        Self::new(options.max_lines, options.max_bytes)
    }

    /// Appends a line, dropping the oldest ones past either bound. A line longer than the byte
    /// bound on its own is cut to it.
    pub fn push(&mut self, mut line: LogLine) {
        if line.text.len() > self.max_bytes {
            let mut cut = self.max_bytes;
            while !line.text.is_char_boundary(cut) {
                cut -= 1;
            }
            line.text.truncate(cut);
        }
        self.bytes += line.text.len();
        self.lines.push_back(line);
        while self.lines.len() > self.max_lines || self.bytes > self.max_bytes {
            match self.lines.pop_front() {
                Some(old) => {
                    self.bytes -= old.text.len();
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    /// Appends lines in order.
    pub fn extend(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for line in lines {
            self.push(line);
        }
    }

    /// Appends a batch received at `at`, counting it for [`Self::lines_per_second`].
    pub fn append_batch(&mut self, lines: Vec<LogLine>, at: Instant) {
        self.rate.record(lines.len() as u64, at);
        self.extend(lines);
    }

    /// Empties the buffer (the user asked to); what was cleared is not counted as dropped.
    pub fn clear(&mut self) {
        self.cleared += self.lines.len() as u64;
        self.lines.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of text held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Lines dropped to stay within the bounds.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The sequence number of the oldest line held (lines ever appended before it), so that a
    /// pane can keep its place while the front is dropped.
    pub fn first_seq(&self) -> u64 {
        self.dropped + self.cleared
    }

    /// The `i`-th line held, oldest first.
    pub fn get(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }

    /// Up to `count` lines from the `start`-th held line on: O(count).
    pub fn window(
        &self,
        start: usize,
        count: usize,
    ) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        let start = start.min(self.lines.len());
        let end = start.saturating_add(count).min(self.lines.len());
        self.lines.range(start..end)
    }

    /// The last `count` lines, oldest first: what a pane following the end shows.
    pub fn last(
        &self,
        count: usize,
    ) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.window(self.lines.len().saturating_sub(count), count)
    }

    /// Every line held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Lines received per second lately, as of `now`.
    pub fn lines_per_second(&self, now: Instant) -> f64 {
        self.rate.per_second(now)
    }
}

/// Seconds of history the rate is averaged over.
const RATE_WINDOW: u64 = 5;

/// Lines per second over the last few seconds, from counts in one-second buckets.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    origin: Option<Instant>,
    /// `(second since origin, count)`, indexed by the second modulo the length.
    buckets: [(u64, u64); RATE_WINDOW as usize + 1],
}

impl RateMeter {
    /// Counts `n` lines received at `at`.
    pub fn record(&mut self, n: u64, at: Instant) {
        let origin = *self.origin.get_or_insert(at);
        let second = at.saturating_duration_since(origin).as_secs();
        let slot = &mut self.buckets[(second % (RATE_WINDOW + 1)) as usize];
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += n;
    }

    /// The average over the last [`RATE_WINDOW`] seconds and the current one so far (over the
    /// time since the first count when that is shorter, and never less than a second).
    pub fn per_second(&self, now: Instant) -> f64 {
        let Some(origin) = self.origin else {
            return 0.0;
        };
        let elapsed = now.saturating_duration_since(origin);
        let current = elapsed.as_secs();
        let oldest = current.saturating_sub(RATE_WINDOW);
        let total: u64 = self
            .buckets
            .iter()
            .filter(|(second, _)| (oldest..=current).contains(second))
            .map(|(_, count)| count)
            .sum();
        let frac = elapsed.as_secs_f64() - current as f64;
        let span = (RATE_WINDOW as f64 + frac)
            .min(elapsed.as_secs_f64())
            .max(Duration::from_secs(1).as_secs_f64());
        total as f64 / span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::logs::LogStream;

    fn line(text: &str) -> LogLine {
        LogLine {
            stream: LogStream::Stdout,
            time: None,
            text: text.into(),
        }
    }

    fn texts(b: &LogBuffer) -> Vec<&str> {
        b.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn the_line_bound_drops_the_oldest_and_counts_exactly() {
        let mut b = LogBuffer::new(3, 1 << 20);
        for i in 1..=10 {
            b.push(line(&format!("l{i}")));
            assert!(b.len() <= 3);
        }
        assert_eq!(texts(&b), ["l8", "l9", "l10"]);
        assert_eq!(b.dropped(), 7);
        assert_eq!(b.first_seq(), 7);
        assert_eq!(b.bytes(), 7);
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_and_counts_exactly() {
        let mut b = LogBuffer::new(1_000, 10);
        b.extend(["aaaa", "bbbb", "cc"].map(line));
        assert_eq!(b.bytes(), 10);
        assert_eq!(b.dropped(), 0);
        b.push(line("d"));
        assert_eq!(texts(&b), ["bbbb", "cc", "d"]);
        assert_eq!((b.bytes(), b.dropped()), (7, 1));
        b.push(line("eeeeeeee"));
        assert_eq!(texts(&b), ["d", "eeeeeeee"]);
        assert_eq!((b.bytes(), b.dropped()), (9, 3));
        b.push(line("fff"));
        assert_eq!(texts(&b), ["fff"]);
        assert_eq!((b.bytes(), b.dropped()), (3, 5));
        for i in 0..1_000 {
            b.push(line(&"x".repeat(i % 7)));
            assert!(b.bytes() <= 10, "byte bound held after {i}");
        }
        assert_eq!(b.dropped() + b.len() as u64, 1_006);
    }

    #[test]
    fn a_line_over_the_byte_bound_is_cut_to_it() {
        let mut b = LogBuffer::new(10, 5);
        b.push(line("abc"));
        b.push(line("ééé")); // 6 bytes: cut to 4, on a char boundary
        assert_eq!(texts(&b), ["éé"]);
        assert_eq!((b.bytes(), b.dropped()), (4, 1));
    }

    #[test]
    fn windows_read_only_what_is_asked() {
        let mut b = LogBuffer::new(100, 1 << 20);
        b.extend((0..150).map(|i| line(&i.to_string())));
        assert_eq!(b.dropped(), 50);
        let w: Vec<&str> = b.window(10, 3).map(|l| l.text.as_str()).collect();
        assert_eq!(w, ["60", "61", "62"]);
        let tail: Vec<&str> = b.last(2).map(|l| l.text.as_str()).collect();
        assert_eq!(tail, ["148", "149"]);
        assert_eq!(b.window(99, 10).len(), 1);
        assert_eq!(b.window(500, 10).len(), 0);
        assert_eq!(b.last(1_000).len(), 100);
        assert_eq!(b.get(0).map(|l| l.text.as_str()), Some("50"));
        b.clear();
        assert!(b.is_empty());
        assert_eq!((b.dropped(), b.first_seq(), b.bytes()), (50, 150, 0));
    }

    #[test]
    fn the_rate_counts_recent_seconds() {
        let t0 = Instant::now();
        let mut b = LogBuffer::new(10, 1 << 20);
        assert_eq!(b.lines_per_second(t0), 0.0);
        b.append_batch((0..100).map(|_| line("x")).collect(), t0);
        // Less than a second in: counted over one second.
        assert_eq!(b.lines_per_second(t0 + Duration::from_millis(500)), 100.0);
        for s in 1..10 {
            b.append_batch(
                (0..100).map(|_| line("x")).collect(),
                t0 + Duration::from_secs(s),
            );
        }
        // Steady 100 a second: about 100 (6 buckets over 5.5 s).
        let rate = b.lines_per_second(t0 + Duration::from_millis(9_500));
        assert!((100.0..=110.0).contains(&rate), "{rate}");
        // Silence brings it down to nothing.
        assert_eq!(b.lines_per_second(t0 + Duration::from_secs(30)), 0.0);
        assert_eq!(b.len(), 10);
        assert_eq!(b.dropped(), 990);
    }
}
