//! The keeper's stuck checks: with a daemon on this machine, the vitals watch reads every
//! running container's cgroup counters and process states every [`INTERVAL`] (its own thread),
//! the triage stuck rules run over the readings, and each problem that appears is written to
//! the keeper's history (a `triage.stuck` note in the store, and a decision line) once, until
//! it clears (then a `triage.cleared` note). The keeper acts on none of them: they are for the
//! operator (and `fleetdeck history`).

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;

use crate::engine::vitals::{Vitals, VitalsWatch, spawn_watch};
use crate::engine::{Container, ContainerId, Endpoint, RunState};
use crate::triage::{Context, History, Observations, ProblemKind, StuckWatch, Thresholds, stuck};

/// How often the keeper reads the running containers' vitals.
pub const INTERVAL: Duration = Duration::from_secs(5);
/// The note written when a stuck problem appears, and when it clears.
pub const NOTE_STUCK: &str = "triage.stuck";
pub const NOTE_CLEARED: &str = "triage.cleared";
/// The window the watch keeps readings for.
const WINDOW_S: i64 = 60;

/// A problem seen, and its reason when first noted.
type Noted = HashMap<(ContainerId, ProblemKind), String>;

/// The keeper's stuck checks.
pub struct StuckChecks {
    watch: VitalsWatch,
    pub readings: mpsc::Receiver<Vec<Vitals>>,
    stuck: StuckWatch,
    noted: Noted,
    /// The fleet generation the running set was last handed for.
    handed: Option<u64>,
}

/// One note to write: (container, its name, the note, its attributes).
pub type Note = (ContainerId, String, &'static str, serde_json::Value);

impl StuckChecks {
    /// The checks for the daemon at `endpoint`; `None` for a daemon elsewhere (no files).
    pub fn start(endpoint: &Endpoint) -> Option<Self> {
        let layout = crate::triage::stuck_gather::layout_of(endpoint)?;
        let (tx, readings) = mpsc::channel(2);
        let send = move |batch| {
            !matches!(
                tx.try_send(batch),
                Err(mpsc::error::TrySendError::Closed(_))
            )
        };
        let watch = spawn_watch(layout, "/proc".into(), INTERVAL, send).ok()?;
        Some(Self {
            watch,
            readings,
            stuck: StuckWatch::new(),
            noted: Noted::new(),
            handed: None,
        })
    }

    /// Hands the watch the running containers when the fleet changed.
    pub fn sync(&mut self, generation: u64, containers: impl Iterator<Item = ContainerId>) {
        if self.handed == Some(generation) {
            return;
        }
        self.handed = Some(generation);
        let mut running: Vec<ContainerId> = containers.collect();
        running.sort();
        self.watch.set_running(running);
    }

    /// Takes a batch of readings; the notes to write for problems that appeared or cleared.
    pub fn on_readings<'a>(
        &mut self,
        readings: Vec<Vitals>,
        fleet: impl Iterator<Item = &'a Container>,
        thresholds: &Thresholds,
    ) -> Vec<Note> {
        for v in readings {
            self.stuck.observe(v, WINDOW_S);
        }
        let running: Vec<&Container> = fleet.filter(|c| c.state == RunState::Running).collect();
        let ids: std::collections::HashSet<&ContainerId> = running.iter().map(|c| &c.id).collect();
        self.stuck.retain(|id| ids.contains(id));
        let observed = Observations {
            containers: self.stuck.observed(),
            ..Observations::default()
        };
        let (history, memory) = (History::new(), HashMap::new());
        let ctx = Context {
            history: &history,
            memory: &memory,
            gpu: None,
            now: Utc::now(),
            thresholds,
            observed: &observed,
        };
        let found: Vec<(ContainerId, String, ProblemKind, String)> = running
            .into_iter()
            .flat_map(|c| {
                stuck::STUCK_RULES
                    .iter()
                    .filter_map(|rule| rule(c, &ctx))
                    .map(|p| (c.id.clone(), c.name.clone(), p.kind, p.reason))
            })
            .collect();
        changes(&mut self.noted, found)
    }
}

/// The notes for what appeared (in `found`, not yet noted) and what cleared (noted, no longer
/// found); `noted` updated.
fn changes(noted: &mut Noted, found: Vec<(ContainerId, String, ProblemKind, String)>) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut now = Noted::new();
    for (id, name, kind, reason) in found {
        let key = (id.clone(), kind);
        if !noted.contains_key(&key) {
            let attributes = json!({ "name": name, "kind": kind, "reason": reason });
            notes.push((id, name, NOTE_STUCK, attributes));
        }
        now.insert(key, reason);
    }
    for ((id, kind), reason) in noted.iter() {
        if !now.contains_key(&(id.clone(), *kind)) {
            let attributes = json!({ "kind": kind, "was": reason });
            notes.push((id.clone(), String::new(), NOTE_CLEARED, attributes));
        }
    }
    *noted = now;
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_noted_once_then_cleared_once() {
        let mut noted = Noted::new();
        let id = ContainerId("a".into());
        let found = || {
            vec![(
                id.clone(),
                "api".to_string(),
                ProblemKind::ProcessStopped,
                "main process stopped".to_string(),
            )]
        };
        let first = changes(&mut noted, found());
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].2, NOTE_STUCK);
        assert_eq!(first[0].3["kind"], "process_stopped");
        assert!(changes(&mut noted, found()).is_empty());
        let cleared = changes(&mut noted, Vec::new());
        assert_eq!(cleared.len(), 1);
        assert_eq!(cleared[0].2, NOTE_CLEARED);
        assert!(changes(&mut noted, Vec::new()).is_empty());
    }
}
