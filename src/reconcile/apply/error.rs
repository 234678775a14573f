//! Why a step of an apply did not reach what the files want. Each error's text says what was
//! being done ("creating shop-web-2: ..."): it is the step's `error` in `--json` and the tables.

use thiserror::Error;

use crate::engine::EngineError;

#[derive(Debug, Error)]
pub enum StepError {
    /// The action layer refused the mutation or the daemon failed it.
    #[error("{doing} {name}: {reason}")]
    Action {
        doing: String,
        name: String,
        reason: String,
    },
    /// Done, but its audit line could not be written.
    #[error("{doing} {name}: done, but the audit line failed: {audit}")]
    Audit {
        doing: String,
        name: String,
        audit: String,
    },
    #[error("{doing} {name}: no container")]
    NoContainer { doing: &'static str, name: String },
    #[error("creating {0}: its service is not in the files")]
    NotInFiles(String),
    /// What the service needs is not there (a secret's file, say).
    #[error("{doing} {name}: {why}")]
    Unavailable {
        doing: &'static str,
        name: String,
        why: String,
    },
    /// A read of the daemon failed.
    #[error("{doing}: {source}")]
    Daemon {
        doing: String,
        #[source]
        source: Box<EngineError>,
    },
    #[error("{kind} {name} is external and does not exist")]
    ExternalMissing { kind: &'static str, name: String },
    #[error("{kind} {name}: done, but the audit line failed: {audit}")]
    ResourceAudit {
        kind: &'static str,
        name: String,
        audit: String,
    },
    #[error("waiting for {dependency} to be {condition}: {seen}")]
    DependencyFailed {
        dependency: String,
        condition: &'static str,
        seen: String,
    },
    #[error("waited {secs} s for {dependency} to be {condition}: {seen}")]
    DependencyTimeout {
        secs: u64,
        dependency: String,
        condition: &'static str,
        seen: String,
    },
    #[error("building {0}: the service has no build")]
    NoBuild(String),
    #[error("image {image} is not on the daemon and the pull policy of {service} is never")]
    NeverPulled { image: String, service: String },
}

impl StepError {
    pub(super) fn daemon(doing: impl Into<String>, source: EngineError) -> Self {
        Self::Daemon {
            doing: doing.into(),
            source: Box::new(source),
        }
    }
}
