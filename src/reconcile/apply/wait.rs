//! Waiting for a dependency's `depends_on` condition: `service_started` (its containers
//! running), `service_healthy` (running and healthy; unhealthy or no healthcheck fails at
//! once), `service_completed_successfully` (exited 0; another exit fails at once). One list
//! call a poll; the error says which service was waited for and what was seen.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Run, StepError};
use crate::engine::{Container, Health, RunState};
use crate::reconcile::compose::Condition;
use crate::reconcile::plan::is_ours;
use crate::reconcile::{COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL};

const POLL: Duration = Duration::from_millis(250);

enum Seen {
    Met,
    /// Not yet: what was seen.
    Pending(String),
    /// Never will be: what was seen.
    Failed(String),
}

fn word(condition: Condition) -> &'static str {
    match condition {
        Condition::ServiceStarted => "running",
        Condition::ServiceHealthy => "healthy",
        Condition::ServiceCompletedSuccessfully => "completed successfully",
    }
}

fn describe(c: &Container) -> String {
    let mut text = format!("{} is {}", c.name, c.state.as_str());
    if let Some(h) = c.health {
        text.push_str(&format!(" ({})", format!("{h:?}").to_lowercase()));
    }
    if c.state == RunState::Exited
        && let Some(code) = c.exit_code
    {
        text.push_str(&format!(" with exit {code}"));
    }
    text
}

fn check(containers: &[Container], condition: Condition) -> Seen {
    if containers.is_empty() {
        return Seen::Pending("no container of it exists".into());
    }
    for c in containers {
        let seen = describe(c);
        match condition {
            Condition::ServiceStarted => {
                if !c.state.is_up() && c.state != RunState::Exited {
                    return Seen::Pending(seen);
                }
            }
            Condition::ServiceHealthy => match (c.state, c.health) {
                (RunState::Running, Some(Health::Healthy)) => {}
                (RunState::Running, Some(Health::Unhealthy)) => return Seen::Failed(seen),
                (RunState::Running, None) => {
                    return Seen::Failed(format!("{} has no healthcheck", c.name));
                }
                (RunState::Exited | RunState::Dead, _) => return Seen::Failed(seen),
                _ => return Seen::Pending(seen),
            },
            Condition::ServiceCompletedSuccessfully => match (c.state, c.exit_code) {
                (RunState::Exited, Some(0)) => {}
                (RunState::Exited | RunState::Dead, Some(_)) => return Seen::Failed(seen),
                _ => return Seen::Pending(seen),
            },
        }
    }
    Seen::Met
}

/// Waits until `dependency`'s containers meet `condition`, within the apply's wait timeout.
pub(super) async fn wait_for(
    run: &Run<'_>,
    dependency: &str,
    condition: Condition,
) -> Result<(), StepError> {
    let project = &run.project.name;
    let filters = HashMap::from([(
        "label".to_string(),
        vec![
            format!("{COMPOSE_PROJECT_LABEL}={project}"),
            format!("{COMPOSE_SERVICE_LABEL}={dependency}"),
        ],
    )]);
    let started = Instant::now();
    let timeout = run.opts.wait_timeout;
    loop {
        let listed = run
            .ctx
            .endpoint
            .list(&filters)
            .await
            .map_err(|e| StepError::daemon(format!("waiting for {dependency}"), e))?;
        let ours: Vec<Container> = listed.into_iter().filter(|c| is_ours(project, c)).collect();
        match check(&ours, condition) {
            Seen::Met => return Ok(()),
            Seen::Failed(seen) => {
                return Err(StepError::DependencyFailed {
                    dependency: dependency.to_string(),
                    condition: word(condition),
                    seen,
                });
            }
            Seen::Pending(seen) if started.elapsed() >= timeout => {
                return Err(StepError::DependencyTimeout {
                    secs: timeout.as_secs(),
                    dependency: dependency.to_string(),
                    condition: word(condition),
                    seen,
                });
            }
            Seen::Pending(_) => tokio::time::sleep(POLL).await,
        }
    }
}
