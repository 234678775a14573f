//! The log tail merge: several containers' lines put in time order. One rule for the console's
//! logs pane and for `fleetdeck logs`: of the queues' first lines, the earliest goes next; a
//! line without a time goes before any timed one (it cannot be placed, so it is not held back);
//! on a tie the queue listed first wins, so that each queue's own order is kept and the result
//! does not depend on anything but the lines. Pure: the callers own the queues and decide when
//! a queue may be drawn from (the console once every tail is in, the CLI line by line).

use std::collections::VecDeque;

use super::LogLine;

/// The index of the queue whose first line goes next, or `None` when every queue is empty.
pub fn earliest<'a>(fronts: impl IntoIterator<Item = Option<&'a LogLine>>) -> Option<usize> {
    fronts
        .into_iter()
        .enumerate()
        .filter_map(|(i, front)| front.map(|line| (i, line.time)))
        .min_by_key(|(_, time)| *time)
        .map(|(i, _)| i)
}

/// Empties the queues in merged order, handing each line to `sink` with its queue's index.
pub fn drain(queues: &mut [VecDeque<LogLine>], mut sink: impl FnMut(usize, LogLine)) {
    while let Some(i) = earliest(queues.iter().map(VecDeque::front)) {
        if let Some(line) = queues.get_mut(i).and_then(VecDeque::pop_front) {
            sink(i, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::engine::logs::LogStream;

    fn line(second: Option<u32>, text: &str) -> LogLine {
        LogLine {
            stream: LogStream::Stdout,
            time: second.map(|s| {
                Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, s)
                    .single()
                    .expect("a valid time")
            }),
            text: text.into(),
        }
    }

    fn merged(queues: Vec<Vec<LogLine>>) -> Vec<(usize, String)> {
        let mut queues: Vec<VecDeque<LogLine>> = queues.into_iter().map(Into::into).collect();
        let mut out = Vec::new();
        drain(&mut queues, |i, l| out.push((i, l.text)));
        out
    }

    #[test]
    fn lines_come_out_in_time_order() {
        let out = merged(vec![
            vec![line(Some(1), "a1"), line(Some(4), "a4")],
            vec![line(Some(2), "b2"), line(Some(3), "b3")],
        ]);
        let texts: Vec<&str> = out.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["a1", "b2", "b3", "a4"]);
        assert_eq!(out[1].0, 1);
    }

    #[test]
    fn ties_keep_the_first_queue_first_and_untimed_lines_go_first() {
        let out = merged(vec![
            vec![line(Some(1), "a1")],
            vec![line(Some(1), "b1"), line(None, "b-")],
            vec![line(None, "c-")],
        ]);
        let texts: Vec<&str> = out.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["c-", "a1", "b1", "b-"]);
    }

    #[test]
    fn nothing_from_empty_queues() {
        assert_eq!(earliest([None, None]), None);
        assert!(merged(vec![vec![], vec![]]).is_empty());
    }
}
