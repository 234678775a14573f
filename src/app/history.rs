//! CPU and memory over time: a bounded ring of raw samples per running container (fed by
//! every stats sample, before the display steadies it; dropped when the container stops or is
//! removed) and one of memory used per GPU (fed by every GPU report). Each ring holds at most
//! `ui.history_samples` points, so the memory held is bounded by that times the running
//! containers and GPUs, not by uptime or fleet churn.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::engine::ContainerId;
use crate::engine::stats::StatsSample;
use crate::gpu::GpuReport;

/// A ring of at most `cap` values; the oldest goes when a new one comes to a full ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    values: VecDeque<T>,
    cap: usize,
}

impl<T> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Self {
            values: VecDeque::with_capacity(cap.min(4096)),
            cap,
        }
    }

    pub fn push(&mut self, value: T) {
        if self.cap == 0 {
            return;
        }
        while self.values.len() >= self.cap {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The newest value.
    pub fn last(&self) -> Option<&T> {
        self.values.back()
    }

    /// The newest `n` values, newest first: what a chart `n` cells wide draws (O(n)).
    pub fn newest(&self, n: usize) -> impl Iterator<Item = &T> {
        self.values.iter().rev().take(n)
    }
}

/// One raw stats sample, as charted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// `None` for a stream's first sample (no CPU delta yet).
    pub cpu_percent: Option<f32>,
    pub memory_used: u64,
    /// CPU-throttled at its limit when sampled (the chart marks the second).
    pub throttled: bool,
}

/// The histories the console keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Points per ring (`ui.history_samples`).
    pub cap: usize,
    pub containers: HashMap<ContainerId, Ring<Point>>,
    /// GPU memory used, per GPU index.
    pub gpus: BTreeMap<u32, Ring<u64>>,
}

impl History {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            containers: HashMap::new(),
            gpus: BTreeMap::new(),
        }
    }

    /// Adds a container's raw sample.
    pub fn record(&mut self, sample: &StatsSample) {
        self.record_marked(sample, false);
    }

    /// Adds a container's raw sample, marked as taken while CPU-throttled or not.
    pub fn record_marked(&mut self, sample: &StatsSample, throttled: bool) {
        let cap = self.cap;
        self.containers
            .entry(sample.id.clone())
            .or_insert_with(|| Ring::new(cap))
            .push(Point {
                cpu_percent: sample.cpu_percent.map(|c| c as f32),
                memory_used: sample.memory_used,
                throttled,
            });
    }

    /// A container's history, if it has one.
    pub fn of(&self, id: &ContainerId) -> Option<&Ring<Point>> {
        self.containers.get(id)
    }

    pub fn forget(&mut self, id: &ContainerId) {
        self.containers.remove(id);
    }

    /// Adds each GPU's memory used; a GPU gone from the report loses its history.
    pub fn record_gpus(&mut self, report: &GpuReport) {
        let cap = self.cap;
        self.gpus
            .retain(|index, _| report.gpus.iter().any(|g| g.info.index == *index));
        for g in &report.gpus {
            self.gpus
                .entry(g.info.index)
                .or_insert_with(|| Ring::new(cap))
                .push(g.info.memory_used_bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_never_passes_its_bound() {
        let mut ring = Ring::new(120);
        for i in 0..10_000u64 {
            ring.push(i);
            assert!(ring.len() <= 120);
        }
        assert_eq!(ring.len(), 120);
        assert_eq!(ring.last(), Some(&9_999));
        let newest: Vec<u64> = ring.newest(3).copied().collect();
        assert_eq!(newest, vec![9_999, 9_998, 9_997]);
        assert_eq!(ring.newest(500).count(), 120, "no more than it holds");
        let mut none = Ring::new(0);
        none.push(1u64);
        assert!(none.is_empty(), "history_samples = 0 keeps nothing");
    }

    #[test]
    fn a_container_ring_is_bounded_by_the_configuration() {
        let mut history = History::new(5);
        let id = ContainerId("a".repeat(64));
        for i in 0..50 {
            history.record(&StatsSample {
                id: id.clone(),
                cpu_percent: Some(f64::from(i)),
                memory_used: 1 << 20,
                memory_limit: None,
            });
        }
        assert_eq!(history.of(&id).map(Ring::len), Some(5));
        history.forget(&id);
        assert!(history.containers.is_empty());
    }
}
