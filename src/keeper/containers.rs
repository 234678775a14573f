//! Keeping the containers of the kept projects: reading each event (a crash is a non-zero exit
//! that no signal led to: a `die` after a `kill` or `stop` by someone is a stop; unhealthy is
//! a failure too), feeding failures to the container's [`Tracker`], carrying out the restarts
//! it schedules through the action layer, verifying each, and recording a give-up.

use std::time::Instant;

use bollard::models::RestartPolicyNameEnum;
use futures_util::{StreamExt, stream};
use serde_json::json;

use super::restart::{Decision, Observed, Phase, Tracker, Verdict, verdict};
use super::supervise::Task;
use super::{Done, Keeper, RestartFailed};
use crate::actions::{Action, Target};
use crate::engine::{Container, ContainerEvent, ContainerId, EventAction, Health, RunState};
use crate::reconcile::compose::{Healthcheck, ServiceSpec};
use crate::reconcile::plan::is_ours;

/// How many inspects a verification has out at once.
const VERIFY_CONCURRENCY: usize = 16;

/// Whether the daemon restarts, after a crash, a container of compose's `restart:` policy
/// (`name[:max-retries]`): `always`, `unless-stopped` and `on-failure` do; `no` does not.
fn daemon_restarts(policy: &str) -> bool {
    let name = policy.split_once(':').map_or(policy, |(name, _)| name);
    matches!(
        name.parse::<RestartPolicyNameEnum>(),
        Ok(RestartPolicyNameEnum::ALWAYS
            | RestartPolicyNameEnum::UNLESS_STOPPED
            | RestartPolicyNameEnum::ON_FAILURE)
    )
}

/// One container being verified, as inspected: `container` is `None` when the daemon did not
/// answer, `Some(None)` when the container is gone.
#[derive(Debug)]
pub(super) struct Inspected {
    id: ContainerId,
    since: Instant,
    container: Option<Option<Container>>,
}

impl Keeper {
    /// The service spec of `c` when it belongs to a kept project.
    fn service_of(&self, c: &Container) -> Option<&ServiceSpec> {
        self.setup.projects.iter().find_map(|p| {
            if !is_ours(&p.name, c) {
                return None;
            }
            p.service(c.compose_service.as_deref()?)
        })
    }

    fn kept(&self, id: &ContainerId) -> Option<(Container, ServiceSpec)> {
        let c = self.fleet.get(id)?;
        let spec = self.service_of(c)?.clone();
        Some((c.clone(), spec))
    }

    fn busy(&self, id: &ContainerId) -> bool {
        self.acting.contains(id) || self.trackers.get(id).is_some_and(Tracker::is_busy)
    }

    /// Reacts to one event (already applied to the fleet).
    pub(super) fn event(&mut self, event: &ContainerEvent) {
        let id = &event.id;
        match &event.action {
            EventAction::Destroy => return self.forget(id),
            EventAction::Start => return self.started(event),
            _ => {}
        }
        if self.busy(id) || event.time.is_some_and(|t| t < self.started_at) {
            return;
        }
        let Some((c, spec)) = self.kept(id) else {
            return;
        };
        match &event.action {
            EventAction::Kill(_) => {
                self.signalled.insert(id.clone());
            }
            EventAction::Die(code) => self.died(&c, &spec, *code),
            EventAction::HealthStatus(Some(Health::Unhealthy)) => {
                let reason = match &c.last_health_output {
                    Some(out) => format!("unhealthy: {out}"),
                    None => "unhealthy".to_string(),
                };
                self.failure(id, &c.name, &reason);
            }
            _ => {}
        }
    }

    /// The container is gone: nothing of it is kept.
    fn forget(&mut self, id: &ContainerId) {
        self.trackers.remove(id);
        self.held.remove(id);
        self.signalled.remove(id);
        self.gave_up_at.remove(id);
    }

    /// The container started: a start by someone after the keeper gave up gives it a fresh
    /// restart budget.
    fn started(&mut self, event: &ContainerEvent) {
        let id = &event.id;
        self.signalled.remove(id);
        self.held.remove(id);
        let after_give_up = match (self.gave_up_at.get(id), event.time) {
            (Some(gave_up), Some(t)) => t > *gave_up,
            _ => false,
        };
        if !after_give_up || self.acting.contains(id) {
            return;
        }
        self.gave_up_at.remove(id);
        if let Some(t) = self.trackers.get_mut(id) {
            t.reset();
        }
        let name = event.name.clone().unwrap_or_default();
        self.setup.log.log(
            "reset",
            &name,
            Some(&id.0),
            "started by someone after the keeper gave up: a fresh restart budget",
            json!({}),
        );
    }

    /// A kept container died with `code`: a crash, unless a signal led to it, it finished,
    /// or its restart policy has the daemon restart it.
    fn died(&mut self, c: &Container, spec: &ServiceSpec, code: Option<i64>) {
        let id = &c.id;
        let why_not = if self.signalled.contains(id) {
            Some("stopped by someone (a signal came before it died)".to_string())
        } else if code == Some(0) {
            Some("exited 0: it finished".to_string())
        } else {
            None
        };
        if let Some(why) = why_not {
            self.setup
                .log
                .log("left_stopped", &c.name, Some(&id.0), &why, json!({}));
            self.held.insert(id.clone(), why);
            return;
        }
        if let Some(policy) = spec.restart.as_deref().filter(|r| daemon_restarts(r)) {
            self.setup.log.log(
                "left_to_docker",
                &c.name,
                Some(&id.0),
                &format!("restart policy {policy}: the daemon restarts it"),
                json!({}),
            );
            return;
        }
        let reason = match code {
            Some(code) => format!("crashed: exited {code}"),
            None => "crashed".to_string(),
        };
        self.failure(id, &c.name, &reason);
    }

    /// After a (re)connect: the kept containers that are unhealthy now are failures (their
    /// `health_status` event may have come before the keeper watched).
    pub(super) fn snapshot(&mut self) {
        let unhealthy: Vec<(ContainerId, String)> = self
            .fleet
            .containers()
            .filter(|c| c.state == RunState::Running && c.health == Some(Health::Unhealthy))
            .filter(|c| self.service_of(c).is_some() && !self.busy(&c.id))
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        for (id, name) in unhealthy {
            self.failure(&id, &name, "unhealthy");
        }
    }

    /// A failure of `id`: schedule a restart, or give up.
    fn failure(&mut self, id: &ContainerId, name: &str, reason: &str) {
        let now = Instant::now();
        let tracker = self.trackers.entry(id.clone()).or_default();
        let decision = tracker.failed(&self.policy, now, reason);
        let log = self.setup.log.clone();
        match decision {
            Decision::Nothing => {}
            Decision::Restart { delay, attempt, .. } => log.log(
                "restart",
                name,
                Some(&id.0),
                &format!(
                    "{reason}: restart {attempt} of {} in {}",
                    self.policy.budget,
                    humantime::format_duration(delay)
                ),
                json!({
                    "attempt": attempt,
                    "budget": self.policy.budget,
                    "delay_ms": u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                }),
            ),
            Decision::GiveUp { reason } => {
                self.gave_up_at.insert(id.clone(), chrono::Utc::now());
                log.log(
                    "give_up",
                    name,
                    Some(&id.0),
                    &reason,
                    json!({ "budget": self.policy.budget }),
                );
                self.note(
                    &id.0,
                    "keeper.give_up",
                    json!({ "name": name, "reason": reason, "budget": self.policy.budget }),
                );
                if let Some(alerts) = &self.alerts {
                    alerts.feed(super::alerts::Feed::GaveUp {
                        id: id.clone(),
                        name: name.to_string(),
                        reason,
                    });
                }
            }
        }
    }

    /// Carries out the restarts that are due.
    pub(super) fn restarts_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(ContainerId, String)> = self
            .trackers
            .iter()
            .filter(|(id, _)| !self.acting.contains(*id))
            .filter_map(|(id, t)| t.due(now).map(|r| (id.clone(), r.to_string())))
            .collect();
        for (id, reason) in due {
            let Some(c) = self.fleet.get(&id) else {
                self.trackers.remove(&id);
                continue;
            };
            let target = Target {
                id: id.clone(),
                name: c.name.clone(),
            };
            // A running (unhealthy) container is restarted; a dead one started again.
            let action = if c.state == RunState::Running {
                Action::Restart {
                    timeout_s: self.setup.stop_timeout_s,
                }
            } else {
                Action::Start
            };
            self.acting.insert(id.clone());
            self.note(
                &id.0,
                "keeper.restart",
                json!({ "name": c.name, "reason": reason, "action": action.verb() }),
            );
            let ctx = self.setup.ctx.clone();
            let task = Task::Restart {
                id: id.clone(),
                name: target.name.clone(),
            };
            self.tasks.spawn(task, async move {
                let report = ctx.execute(&action, &target).await;
                Done::Restarted {
                    id,
                    name: target.name,
                    result: report
                        .result
                        .map(|o| o.describe())
                        .map_err(RestartFailed::from),
                }
            });
        }
    }

    /// A restart the keeper made has returned.
    pub(super) fn restarted(
        &mut self,
        id: ContainerId,
        name: &str,
        result: Result<String, RestartFailed>,
    ) {
        self.acting.remove(&id);
        let log = self.setup.log.clone();
        match result {
            Ok(outcome) => {
                if let Some(t) = self.trackers.get_mut(&id) {
                    t.restarted(Instant::now());
                }
                log.log(
                    "restarted",
                    name,
                    Some(&id.0),
                    &format!("{outcome}: verifying"),
                    json!({}),
                );
            }
            Err(e) => {
                // Counts as an attempt that failed.
                if let Some(t) = self.trackers.get_mut(&id) {
                    t.restarted(Instant::now());
                }
                self.failure(&id, name, &format!("the restart failed: {e}"));
            }
        }
    }

    /// Sends out the inspects of every container being verified: concurrently, in a task of
    /// their own (a host slow to answer never stalls the keeper's loop), one round at a time.
    pub(super) fn verify(&mut self) {
        if self.verifying {
            return;
        }
        let verifying: Vec<(ContainerId, Instant)> = self
            .trackers
            .iter()
            .filter(|(id, _)| !self.acting.contains(*id))
            .filter_map(|(id, t)| match t.phase() {
                Phase::Verifying { since, .. } => Some((id.clone(), *since)),
                _ => None,
            })
            .collect();
        if verifying.is_empty() {
            return;
        }
        self.verifying = true;
        let endpoint = self.setup.ctx.endpoint.clone();
        self.tasks.spawn(Task::Verify, async move {
            let inspected = stream::iter(verifying)
                .map(|(id, since)| {
                    let endpoint = endpoint.clone();
                    async move {
                        let container = match endpoint.inspect(&id.0).await {
                            Ok(i) => Some(i.and_then(|i| crate::engine::from_inspect(&i))),
                            Err(_) => None,
                        };
                        Inspected {
                            id,
                            since,
                            container,
                        }
                    }
                })
                .buffer_unordered(VERIFY_CONCURRENCY)
                .collect()
                .await;
            Done::Inspected(inspected)
        });
    }

    /// The verification's inspects are back: a verdict on each container still being verified
    /// since the same time.
    pub(super) fn inspected(&mut self, inspected: Vec<Inspected>) {
        self.verifying = false;
        for Inspected {
            id,
            since,
            container,
        } in inspected
        {
            let still = !self.acting.contains(&id)
                && self.trackers.get(&id).is_some_and(
                    |t| matches!(t.phase(), Phase::Verifying { since: s, .. } if *s == since),
                );
            // The daemon did not answer: looked at again at the next tick.
            if let (true, Some(inspected)) = (still, container) {
                self.judge(&id, since, inspected.as_ref());
            }
        }
    }

    /// The verdict on one container being verified since `since`, as inspected.
    fn judge(&mut self, id: &ContainerId, since: Instant, inspected: Option<&Container>) {
        let spec_check = self
            .fleet
            .get(id)
            .and_then(|c| self.service_of(c))
            .map(|s| matches!(s.healthcheck, Some(Healthcheck::Check { .. })));
        let (observed, name, has_check) = match inspected {
            None => (Observed::Gone, String::new(), spec_check.unwrap_or(false)),
            Some(c) => {
                let observed = match c.state {
                    RunState::Running | RunState::Paused => Observed::Running { health: c.health },
                    _ => Observed::Exited { code: c.exit_code },
                };
                (
                    observed,
                    c.name.clone(),
                    spec_check.unwrap_or(false) || c.health.is_some(),
                )
            }
        };
        match verdict(&self.policy, since, Instant::now(), has_check, &observed) {
            Verdict::Pending => {}
            Verdict::Fixed(why) => {
                if let Some(t) = self.trackers.get_mut(id) {
                    t.fixed();
                }
                self.setup
                    .log
                    .log("verified", &name, Some(&id.0), &why, json!({}));
            }
            Verdict::Failed(why) => {
                if let Some(t) = self.trackers.get_mut(id) {
                    t.fixed();
                }
                if matches!(observed, Observed::Gone) {
                    self.trackers.remove(id);
                    return;
                }
                self.failure(id, &name, &why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::daemon_restarts;

    #[test]
    fn only_the_no_policy_leaves_a_crash_to_the_keeper() {
        for policy in ["always", "unless-stopped", "on-failure", "on-failure:3"] {
            assert!(daemon_restarts(policy), "{policy}");
        }
        assert!(!daemon_restarts("no"));
    }
}
