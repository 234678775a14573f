//! Swarm objects as fleetdeck reads them: a service with its replica counts, a task, a node,
//! a secret or config (name and times only: never its content), and a host's place in a swarm.
//! Each is built from bollard's plain model types, which stay inside the engine.

use std::collections::BTreeMap;

use bollard::models::{
    Config, EndpointPortConfigPublishModeEnum, Node, Secret, Service, SystemInfo, Task,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::model::parse_docker_time;

/// The label `docker stack deploy` puts on what belongs to a stack.
pub const STACK_LABEL: &str = "com.docker.stack.namespace";
/// The labels the swarm puts on a task's container.
pub const TASK_SERVICE_LABEL: &str = "com.docker.swarm.service.name";
pub const TASK_ID_LABEL: &str = "com.docker.swarm.task.id";
pub const TASK_NODE_LABEL: &str = "com.docker.swarm.node.id";

/// The service a container is a task of, read from its labels (the task id and the service's
/// name, as the swarm sets them on every task's container).
pub fn task_service(labels: &BTreeMap<String, String>) -> Option<&str> {
    labels.get(TASK_ID_LABEL)?;
    labels.get(TASK_SERVICE_LABEL).map(String::as_str)
}

/// What acting on a task's container means: the swarm replaces what is stopped or removed.
pub fn task_warning(name: &str, service: &str) -> String {
    format!(
        "{name} is a task of Swarm service {service}: Swarm will replace it (use fleetdeck service scale|rm)"
    )
}

/// A host's place in a swarm (`/info`'s `Swarm`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SwarmInfo {
    /// `inactive`, `pending`, `active`, `error`, `locked`.
    pub node_state: String,
    /// Whether this host is a manager (it can answer for services, tasks, nodes).
    pub manager: bool,
    pub node_id: String,
    pub cluster_id: String,
    pub nodes: Option<i64>,
    pub managers: Option<i64>,
    pub error: Option<String>,
}

impl SwarmInfo {
    /// Whether the host is a node of a swarm (active, manager or worker).
    pub fn active(&self) -> bool {
        self.node_state == "active"
    }

    pub(crate) fn from_system(info: &SystemInfo) -> Self {
        let Some(swarm) = &info.swarm else {
            return Self {
                node_state: "inactive".into(),
                ..Self::default()
            };
        };
        Self {
            node_state: swarm
                .local_node_state
                .map(|s| s.to_string())
                .unwrap_or_else(|| "inactive".into()),
            manager: swarm.control_available.unwrap_or(false),
            node_id: swarm.node_id.clone().unwrap_or_default(),
            cluster_id: swarm
                .cluster
                .as_ref()
                .and_then(|c| c.id.clone())
                .unwrap_or_default(),
            nodes: swarm.nodes,
            managers: swarm.managers,
            error: swarm.error.clone().filter(|e| !e.is_empty()),
        }
    }
}

/// One service, as `docker service ls` shows it and a little more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRow {
    pub id: String,
    /// The full name (`STACK_SERVICE` for a stack's service), as `docker service ls` shows it.
    pub name: String,
    /// The stack it belongs to (`com.docker.stack.namespace`), if any.
    pub stack: Option<String>,
    /// `replicated`, `global`, `replicated-job`, `global-job`.
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    /// The image without its digest, as `docker service ls` shows it.
    pub image: String,
    /// Published ports (`*:8080->80/tcp`).
    pub ports: Vec<String>,
    /// The rolling update's state (`updating`, `paused`, `completed`, `rollback_started`,
    /// `rollback_paused`, `rollback_completed`) and message, if one ran.
    pub update_state: Option<String>,
    pub update_message: Option<String>,
    /// When the last rolling update (or rollback) began.
    pub update_started: Option<DateTime<Utc>>,
    /// The replica count of the spec (replicated mode only).
    pub replicas: Option<u64>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

impl ServiceRow {
    /// A replicated service of tests: `shop_web` (id `s1`, stack `shop`), `running` of
    /// `desired`, with `update_state`; nothing else set.
    #[cfg(test)]
    pub(crate) fn sample(running: u64, desired: u64, update_state: Option<&str>) -> Self {
        Self {
            id: "s1".into(),
            name: "shop_web".into(),
            stack: Some("shop".into()),
            mode: "replicated".into(),
            running,
            desired,
            image: "shop/web:1".into(),
            ports: Vec::new(),
            update_state: update_state.map(str::to_string),
            update_message: None,
            update_started: None,
            replicas: Some(desired),
            created: None,
            updated: None,
            labels: BTreeMap::new(),
        }
    }

    /// `running/desired`, as the REPLICAS column shows it.
    pub fn replicas_text(&self) -> String {
        format!("{}/{}", self.running, self.desired)
    }

    /// Whether the service runs what it should (all replicas, no update under way).
    pub fn converged(&self) -> bool {
        self.running == self.desired && !self.updating()
    }

    /// Whether a rolling update (or its rollback) is under way.
    pub fn updating(&self) -> bool {
        matches!(
            self.update_state.as_deref(),
            Some("updating" | "rollback_started")
        )
    }

    pub(crate) fn from_service(service: &Service) -> Option<Self> {
        let id = service.id.clone()?;
        let spec = service.spec.as_ref();
        let labels: BTreeMap<String, String> = spec
            .and_then(|s| s.labels.as_ref())
            .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mode = spec.and_then(|s| s.mode.as_ref());
        let (mode_word, replicas) = match mode {
            Some(m) if m.global.is_some() => ("global", None),
            Some(m) if m.replicated_job.is_some() => ("replicated-job", None),
            Some(m) if m.global_job.is_some() => ("global-job", None),
            Some(m) => (
                "replicated",
                m.replicated
                    .as_ref()
                    .and_then(|r| r.replicas)
                    .and_then(|r| u64::try_from(r).ok()),
            ),
            None => ("replicated", None),
        };
        let status = service.service_status.as_ref();
        let update = service.update_status.as_ref();
        Some(Self {
            name: spec
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| id.clone()),
            id,
            stack: labels.get(STACK_LABEL).cloned(),
            mode: mode_word.into(),
            running: status.and_then(|s| s.running_tasks).unwrap_or(0),
            desired: status
                .and_then(|s| s.desired_tasks)
                .or(replicas)
                .unwrap_or(0),
            image: spec
                .and_then(|s| s.task_template.as_ref())
                .and_then(|t| t.container_spec.as_ref())
                .and_then(|c| c.image.as_deref())
                .map(without_digest)
                .unwrap_or_default(),
            ports: ports_of(service),
            update_state: update
                .and_then(|u| u.state)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty()),
            update_message: update
                .and_then(|u| u.message.clone())
                .filter(|m| !m.is_empty()),
            update_started: update
                .and_then(|u| u.started_at.as_ref())
                .and_then(|t| time(&t.to_string())),
            replicas,
            created: service
                .created_at
                .as_ref()
                .and_then(|t| time(&t.to_string())),
            updated: service
                .updated_at
                .as_ref()
                .and_then(|t| time(&t.to_string())),
            labels,
        })
    }
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    parse_docker_time(text)
}

/// `repo:tag@sha256:...` → `repo:tag` (what `docker service ls` shows).
pub fn without_digest(image: &str) -> String {
    image.split('@').next().unwrap_or(image).to_string()
}

fn ports_of(service: &Service) -> Vec<String> {
    let ports = service
        .endpoint
        .as_ref()
        .and_then(|e| e.ports.as_ref())
        .or_else(|| {
            service
                .spec
                .as_ref()
                .and_then(|s| s.endpoint_spec.as_ref())
                .and_then(|e| e.ports.as_ref())
        });
    ports
        .into_iter()
        .flatten()
        .filter(|p| p.publish_mode != Some(EndpointPortConfigPublishModeEnum::HOST))
        .filter_map(|p| {
            let published = p.published_port?;
            let target = p.target_port?;
            let protocol = p.protocol.map(|p| p.to_string()).unwrap_or("tcp".into());
            Some(format!("*:{published}->{target}/{protocol}"))
        })
        .collect()
}

/// One task of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub service_id: String,
    /// `SERVICE.SLOT` (or `SERVICE.NODEID` for a global service), as `docker service ps`.
    pub name: String,
    pub slot: Option<i64>,
    pub node_id: String,
    /// The node's hostname, once the nodes are known (else empty).
    pub node: String,
    pub desired_state: String,
    pub state: String,
    /// The state's message ("started", "preparing", ...).
    pub message: String,
    pub error: Option<String>,
    pub exit_code: Option<i64>,
    pub container_id: Option<String>,
    pub image: String,
    /// When the task entered its current state.
    pub since: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
}

impl TaskRow {
    /// Whether the task runs now.
    pub fn running(&self) -> bool {
        self.state == "running"
    }

    /// Whether the swarm still wants it to run (the newest task of its slot).
    pub fn wanted(&self) -> bool {
        matches!(
            self.desired_state.as_str(),
            "running" | "ready" | "accepted"
        )
    }

    /// Whether it ended in failure (failed or rejected).
    pub fn failed(&self) -> bool {
        matches!(self.state.as_str(), "failed" | "rejected")
    }

    pub(crate) fn from_task(task: &Task, service_name: &str) -> Option<Self> {
        let id = task.id.clone()?;
        let status = task.status.as_ref();
        let node_id = task.node_id.clone().unwrap_or_default();
        let name = match task.slot {
            Some(slot) if slot > 0 => format!("{service_name}.{slot}"),
            _ => format!("{service_name}.{node_id}"),
        };
        Some(Self {
            id,
            service_id: task.service_id.clone().unwrap_or_default(),
            name,
            slot: task.slot,
            node_id,
            node: String::new(),
            desired_state: task
                .desired_state
                .map(|s| s.to_string())
                .unwrap_or_default(),
            state: status
                .and_then(|s| s.state)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            message: status.and_then(|s| s.message.clone()).unwrap_or_default(),
            error: status.and_then(|s| s.err.clone()).filter(|e| !e.is_empty()),
            exit_code: status
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.exit_code),
            container_id: status
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.container_id.clone())
                .filter(|c| !c.is_empty()),
            image: task
                .spec
                .as_ref()
                .and_then(|s| s.container_spec.as_ref())
                .and_then(|c| c.image.as_deref())
                .map(without_digest)
                .unwrap_or_default(),
            since: status
                .and_then(|s| s.timestamp.as_ref())
                .and_then(|t| time(&t.to_string())),
            created: task.created_at.as_ref().and_then(|t| time(&t.to_string())),
        })
    }
}

/// One node of the swarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRow {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause`, `drain`.
    pub availability: String,
    /// `ready`, `down`, `unknown`, `disconnected`.
    pub status: String,
    /// `Leader`, `Reachable`, `Unreachable` for a manager, empty for a worker (as
    /// `docker node ls` shows it).
    pub manager_status: String,
    pub engine: String,
    pub addr: String,
    pub labels: BTreeMap<String, String>,
    /// Running tasks on it, once the tasks are known.
    pub tasks_running: Option<u64>,
}

impl NodeRow {
    pub fn is_manager(&self) -> bool {
        self.role == "manager"
    }

    pub(crate) fn from_node(node: &Node) -> Option<Self> {
        let id = node.id.clone()?;
        let spec = node.spec.as_ref();
        let description = node.description.as_ref();
        let manager = node.manager_status.as_ref();
        let manager_status = match manager {
            Some(m) if m.leader == Some(true) => "Leader".to_string(),
            Some(m) => m
                .reachability
                .map(|r| capitalise(&r.to_string()))
                .unwrap_or_default(),
            None => String::new(),
        };
        Some(Self {
            id,
            hostname: description
                .and_then(|d| d.hostname.clone())
                .unwrap_or_default(),
            role: spec
                .and_then(|s| s.role)
                .map(|r| r.to_string())
                .unwrap_or_default(),
            availability: spec
                .and_then(|s| s.availability)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            status: node
                .status
                .as_ref()
                .and_then(|s| s.state)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            manager_status,
            engine: description
                .and_then(|d| d.engine.as_ref())
                .and_then(|e| e.engine_version.clone())
                .unwrap_or_default(),
            addr: node
                .status
                .as_ref()
                .and_then(|s| s.addr.clone())
                .unwrap_or_default(),
            labels: spec
                .and_then(|s| s.labels.as_ref())
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            tasks_running: None,
        })
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A secret or a config: its name, times and labels. Never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmObject {
    pub id: String,
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

impl SwarmObject {
    pub(crate) fn from_secret(secret: &Secret) -> Option<Self> {
        let spec = secret.spec.as_ref();
        Self::from_parts(
            secret.id.clone()?,
            spec.and_then(|s| s.name.clone()),
            secret.created_at.as_ref(),
            secret.updated_at.as_ref(),
            spec.and_then(|s| s.labels.as_ref()),
        )
    }

    pub(crate) fn from_config(config: &Config) -> Option<Self> {
        let spec = config.spec.as_ref();
        Self::from_parts(
            config.id.clone()?,
            spec.and_then(|s| s.name.clone()),
            config.created_at.as_ref(),
            config.updated_at.as_ref(),
            spec.and_then(|s| s.labels.as_ref()),
        )
    }

    /// What a secret and a config have alike (two types of the same shape in bollard).
    fn from_parts(
        id: String,
        name: Option<String>,
        created: Option<&impl ToString>,
        updated: Option<&impl ToString>,
        labels: Option<&std::collections::HashMap<String, String>>,
    ) -> Option<Self> {
        Some(Self {
            id,
            name: name.unwrap_or_default(),
            created: created.and_then(|t| time(&t.to_string())),
            updated: updated.and_then(|t| time(&t.to_string())),
            labels: labels
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_reads_as_docker_service_ls_shows_it() {
        let json = r#"{"ID":"abc","CreatedAt":"2024-05-01T10:00:00Z",
            "Spec":{"Name":"shop_web","Labels":{"com.docker.stack.namespace":"shop"},
              "Mode":{"Replicated":{"Replicas":6}},
              "TaskTemplate":{"ContainerSpec":{"Image":"nginx:1.25@sha256:0123"}}},
            "Endpoint":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]},
            "UpdateStatus":{"State":"updating","Message":"update in progress"},
            "ServiceStatus":{"RunningTasks":4,"DesiredTasks":6}}"#;
        let service: Service = serde_json::from_str(json).expect("service json");
        let row = ServiceRow::from_service(&service).expect("row");
        assert_eq!(row.name, "shop_web");
        assert_eq!(row.stack.as_deref(), Some("shop"));
        assert_eq!(row.mode, "replicated");
        assert_eq!(row.replicas_text(), "4/6");
        assert_eq!(row.image, "nginx:1.25");
        assert_eq!(row.ports, vec!["*:8080->80/tcp"]);
        assert_eq!(row.update_state.as_deref(), Some("updating"));
        assert!(row.updating() && !row.converged());
    }

    #[test]
    fn a_global_service_and_a_node_and_a_task() {
        let json = r#"{"ID":"g","Spec":{"Name":"agent","Mode":{"Global":{}}},
            "ServiceStatus":{"RunningTasks":2,"DesiredTasks":2}}"#;
        let service: Service = serde_json::from_str(json).expect("service json");
        let row = ServiceRow::from_service(&service).expect("row");
        assert_eq!((row.mode.as_str(), row.converged()), ("global", true));

        let json = r#"{"ID":"n1","Spec":{"Role":"manager","Availability":"drain"},
            "Description":{"Hostname":"node-1","Engine":{"EngineVersion":"20.10.24"}},
            "Status":{"State":"ready","Addr":"10.0.0.1"},
            "ManagerStatus":{"Leader":false,"Reachability":"reachable"}}"#;
        let node: Node = serde_json::from_str(json).expect("node json");
        let row = NodeRow::from_node(&node).expect("row");
        assert_eq!(row.manager_status, "Reachable");
        assert_eq!(row.availability, "drain");

        let json = r#"{"ID":"t1","ServiceID":"abc","Slot":3,"NodeID":"n1","DesiredState":"shutdown",
            "Status":{"State":"rejected","Err":"No such image: x:1","Timestamp":"2024-05-01T10:00:00Z"}}"#;
        let task: Task = serde_json::from_str(json).expect("task json");
        let row = TaskRow::from_task(&task, "shop_web").expect("row");
        assert_eq!(row.name, "shop_web.3");
        assert!(row.failed() && !row.wanted());
        assert_eq!(row.error.as_deref(), Some("No such image: x:1"));
    }
}
