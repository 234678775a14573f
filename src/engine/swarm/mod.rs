//! Docker Swarm, read from a manager: whether a host is in a swarm and what role it has
//! (`/info`), the services with their running/desired counts, the tasks, nodes, secrets and
//! configs ([`read`]), the manager's service/node/secret/config events ([`events`]), and the
//! logs of every task of a service merged by the manager ([`logs`]). Fleetdeck never schedules:
//! changes go through `actions::swarm`, and the manager places the tasks.

pub mod events;
pub mod logs;
pub mod model;
mod read;
pub mod rollout;

pub use events::{SwarmEvent, SwarmKind};
pub use model::{
    NodeRow, STACK_LABEL, ServiceRow, SwarmInfo, SwarmObject, TASK_ID_LABEL, TASK_NODE_LABEL,
    TASK_SERVICE_LABEL, TaskRow, task_service, task_warning,
};
