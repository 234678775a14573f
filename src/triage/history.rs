//! The rules' memory of what happened: recent events per container, bounded per container and
//! dropped with the container, so that crash loops and OOM kills can be told from one snapshot.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::engine::{ContainerEvent, ContainerId, EventAction};

/// How many recent events are kept per container.
pub(super) const HISTORY_PER_CONTAINER: usize = 64;

/// A remembered event, as much of it as the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Start,
    Die(Option<i64>),
    Oom,
    /// A signal: true for SIGTERM, false for SIGKILL, None for any other.
    Signal(Option<bool>),
    Pause,
    Unpause,
}

/// Recent events per container, bounded: the rules' memory of what happened.
#[derive(Debug, Clone, Default)]
pub struct History {
    events: HashMap<ContainerId, VecDeque<(DateTime<Utc>, Seen)>>,
}

fn signal_kind(signal: Option<&str>) -> Option<bool> {
    match signal?.trim_start_matches("SIG") {
        "15" | "TERM" => Some(true),
        "9" | "KILL" => Some(false),
        _ => None,
    }
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an event (ignored when it carries no time, or is of no interest).
    pub fn record(&mut self, event: &ContainerEvent) {
        let seen = match &event.action {
            EventAction::Start => Seen::Start,
            EventAction::Die(code) => Seen::Die(*code),
            EventAction::Oom => Seen::Oom,
            EventAction::Kill(signal) => Seen::Signal(signal_kind(signal.as_deref())),
            EventAction::Pause => Seen::Pause,
            EventAction::Unpause => Seen::Unpause,
            EventAction::Destroy => {
                self.events.remove(&event.id);
                return;
            }
            _ => return,
        };
        let Some(time) = event.time else { return };
        let list = self.events.entry(event.id.clone()).or_default();
        if list.len() == HISTORY_PER_CONTAINER {
            list.pop_front();
        }
        list.push_back((time, seen));
    }

    /// How many containers have events remembered.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Forgets the containers `keep` says no to (those gone from a fresh list, whose destroy
    /// event was missed while disconnected): the history stays bounded by the fleet.
    pub fn retain(&mut self, keep: impl Fn(&ContainerId) -> bool) {
        self.events.retain(|id, _| keep(id));
    }

    pub(super) fn of(
        &self,
        id: &ContainerId,
    ) -> impl DoubleEndedIterator<Item = &(DateTime<Utc>, Seen)> {
        self.events.get(id).into_iter().flatten()
    }

    /// Events of the container since `since` matching `pred`.
    pub(super) fn count(
        &self,
        id: &ContainerId,
        since: DateTime<Utc>,
        pred: impl Fn(&Seen) -> bool,
    ) -> usize {
        self.of(id).filter(|(t, s)| *t >= since && pred(s)).count()
    }

    pub(super) fn last(
        &self,
        id: &ContainerId,
        pred: impl Fn(&Seen) -> bool,
    ) -> Option<DateTime<Utc>> {
        self.of(id).rev().find(|(_, s)| pred(s)).map(|(t, _)| *t)
    }

    /// OOM kills since `since`: the kernel may report several `oom` events for one kill (one
    /// per process), so a run that died after any number of them counts once.
    pub(super) fn oom_kills(&self, id: &ContainerId, since: DateTime<Utc>) -> usize {
        let mut kills = 0;
        let mut pending = false;
        for (_, s) in self.of(id).filter(|(t, _)| *t >= since) {
            match s {
                Seen::Oom => pending = true,
                Seen::Die(_) if pending => {
                    kills += 1;
                    pending = false;
                }
                _ => {}
            }
        }
        kills + usize::from(pending)
    }

    /// Whether someone sent the container a signal (a stop, a kill) since it last started.
    pub(super) fn signalled(&self, id: &ContainerId) -> bool {
        self.of(id)
            .rev()
            .take_while(|(_, s)| *s != Seen::Start)
            .any(|(_, s)| matches!(s, Seen::Signal(_)))
    }

    /// Whether the last death followed a SIGTERM and then a SIGKILL: a stop that ran out.
    pub(super) fn stop_ran_out(&self, id: &ContainerId) -> bool {
        let mut seen_kill = false;
        for (_, s) in self.of(id).rev() {
            match s {
                Seen::Die(_) if !seen_kill => {}
                Seen::Signal(Some(false)) => seen_kill = true,
                Seen::Signal(Some(true)) => return seen_kill,
                Seen::Start => return false,
                _ => {}
            }
        }
        false
    }
}
