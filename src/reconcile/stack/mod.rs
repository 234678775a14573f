//! Stacks: a compose project deployed to Swarm as `docker stack deploy` deploys it, and
//! reconciled. Pure: [`convert`] turns the normalised compose project into the Swarm objects
//! `docker stack deploy` would make (services `STACK_SERVICE`, overlay networks
//! `STACK_NETWORK` with `STACK_default` for services that name none, secrets and configs
//! `STACK_KEY`, every one labelled `com.docker.stack.namespace=STACK`, a service also
//! `com.docker.stack.image=IMAGE`), [`compare`] says which fields of a service's spec differ
//! from what the manager has, and [`plan`] makes the plan (create / update with the fields /
//! unchanged / remove) from those and the stack's current objects. Carrying a plan out is
//! [`apply`]'s, through the action layer.

pub mod apply;
pub mod compare;
pub mod convert;
mod convert_parts;
pub mod plan;

#[cfg(test)]
mod compare_tests;
#[cfg(test)]
mod convert_tests;
#[cfg(test)]
mod plan_tests;

/// The label that marks every object of a stack with its name (docker's `LabelNamespace`).
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";
/// The image as the compose file names it, on a service (docker's `LabelImage`): the spec's
/// image may be pinned to a digest by the manager, this label says what the file said.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";

/// A stack's name for one of its objects: `STACK_NAME` (docker's `Namespace.Scope`).
pub fn scoped(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}

/// Why a service cannot be given to Swarm as the file says it (the words docker's converter
/// uses, where it has them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("replicas can only be used with replicated or replicated-job mode")]
    ReplicasWithGlobal,
    #[error("unknown mode: {0}")]
    UnknownMode(String),
    #[error("bad restart_policy condition '{0}': none, on-failure or any")]
    RestartCondition(String),
    #[error("invalid restart policy '{0}': no, always, unless-stopped or on-failure[:N]")]
    RestartPolicy(String),
    #[error("port {target}: Swarm publishes one port, not the range '{published}'")]
    PortRange { target: u16, published: String },
}

/// Why a compose project cannot be deployed as a stack.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("service {service}: {source}")]
    Service {
        service: String,
        #[source]
        source: SpecError,
    },
    #[error("{kind} {key}: cannot read {path}: {source}")]
    Read {
        kind: &'static str,
        key: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{kind} {key}: {reason}")]
    Object {
        kind: &'static str,
        key: String,
        reason: String,
    },
}
