//! The one audited wrapper every mutation goes through: time it, refuse it under `--read-only`,
//! run it, write its audit line, and hand back the result with the time taken and any failure
//! to write the line. Actions, exec and run differ only in what they run and in what their
//! audit line says ([`AuditFacts`]); the audit record itself is built here, so that the audit
//! module never needs to know about actions.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{ActionContext, ActionError};
use crate::audit::{AuditEntry, AuditRecord};

/// What an audit line says about one mutation, beyond the when, who, where and how long.
#[derive(Debug, Clone)]
pub(crate) struct AuditFacts {
    pub target_id: String,
    pub target_name: String,
    pub parameters: serde_json::Value,
    /// The outcome word and the exit code, or the error.
    pub result: Result<(&'static str, Option<i64>), String>,
}

/// A mutation's result, as the wrapper hands it back.
#[derive(Debug)]
pub(crate) struct Audited<T> {
    pub result: Result<T, ActionError>,
    pub duration: Duration,
    /// Set when the audit line could not be written: reported, never dropped silently.
    pub audit_error: Option<String>,
}

impl ActionContext {
    /// Runs `work` as the mutation `verb` on `target` (a name, for the refusal): refused without
    /// running under read-only (and then not audited: nothing changed), otherwise timed and
    /// audited with the facts `facts` reads from its result.
    pub(crate) async fn audited<T>(
        &self,
        verb: &'static str,
        target: &str,
        work: impl Future<Output = Result<T, ActionError>>,
        facts: impl FnOnce(&Result<T, ActionError>) -> AuditFacts,
    ) -> Audited<T> {
        let started = Instant::now();
        if self.read_only {
            return Audited {
                result: Err(ActionError::ReadOnly {
                    verb,
                    target: target.to_string(),
                }),
                duration: started.elapsed(),
                audit_error: None,
            };
        }
        // A host whose breaker is open fails fast, naming the host and the last cause; what
        // the daemon call did counts for or against the host.
        let result = match self.endpoint.admit() {
            Err(source) => Err(ActionError::Engine {
                verb,
                target: target.to_string(),
                source,
            }),
            Ok(permit) => {
                // Held across the call: dropped mid-call (the caller cancelled), it gives the
                // host's probe back instead of leaving the host refused for good.
                let result = work.await;
                match &result {
                    Err(ActionError::Engine { source, .. }) => {
                        permit.record::<()>(&Err(source.shallow_clone()))
                    }
                    _ => permit.record::<()>(&Ok(())),
                }
                result
            }
        };
        let duration = started.elapsed();
        let mut audit_error = None;
        if let Some(audit) = &self.audit {
            let facts = facts(&result);
            let entry = AuditEntry::record(AuditRecord {
                endpoint: &self.endpoint.address,
                target_id: &facts.target_id,
                target_name: &facts.target_name,
                action: verb,
                parameters: facts.parameters,
                result: facts.result,
                duration,
            });
            audit_error = audit.append(&entry).await.err().map(|e| e.to_string());
        }
        Audited {
            result,
            duration,
            audit_error,
        }
    }
}

/// The names of `NAME=value` variables, for an audit line: the values may be secrets.
pub(crate) fn env_names(env: &[String]) -> Vec<&str> {
    env.iter()
        .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt;

    use super::*;
    use crate::engine::breaker::{COOL_DOWN, THRESHOLD};
    use crate::engine::{Endpoint, HostSpec};

    #[tokio::test]
    async fn a_mutation_cancelled_while_it_is_the_probe_leaves_the_host_usable() {
        let spec = HostSpec::from_url("tcp://127.0.0.1:9", "test").expect("a host");
        let endpoint = Endpoint::new(&spec, Duration::from_millis(20)).expect("an endpoint");
        let ctx = ActionContext {
            endpoint,
            audit: None,
            read_only: false,
        };
        for _ in 0..THRESHOLD {
            let hangs = std::future::pending::<Result<(), bollard::errors::Error>>();
            assert!(ctx.endpoint.guarded(hangs).await.is_err());
        }
        assert!(ctx.endpoint.is_failing_fast());
        tokio::time::sleep(COOL_DOWN).await;

        // The mutation is the probe, and is cancelled mid-call (polled once, then dropped).
        let facts = |_: &Result<(), ActionError>| AuditFacts {
            target_id: String::new(),
            target_name: "web-1".into(),
            parameters: serde_json::Value::Null,
            result: Ok(("stopped", None)),
        };
        let work = std::future::pending::<Result<(), ActionError>>();
        assert!(
            ctx.audited("stop", "web-1", work, facts)
                .now_or_never()
                .is_none()
        );

        let answer = ctx.endpoint.guarded(async { Ok(7) }).await;
        assert_eq!(answer.ok(), Some(7), "the host is usable again");
    }
}
