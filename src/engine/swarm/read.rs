//! The reads of a swarm, as methods of [`Endpoint`]: `/info`'s swarm part on any host; the
//! services (with their running/desired counts, one call), tasks, nodes, secrets and configs
//! on a manager. Each goes through the endpoint's breaker and timeout.

use std::collections::HashMap;

use bollard::query_parameters::{
    InspectServiceOptions, ListConfigsOptions, ListNodesOptions, ListSecretsOptions,
    ListServicesOptionsBuilder, ListTasksOptionsBuilder,
};

use super::model::{NodeRow, ServiceRow, SwarmInfo, SwarmObject, TaskRow};
use crate::engine::{Endpoint, EngineError, status_code};

impl Endpoint {
    /// This host's place in a swarm (`inactive` when it is in none).
    pub async fn swarm_info(&self) -> Result<SwarmInfo, EngineError> {
        let info = self.guarded(self.docker.info()).await?;
        Ok(SwarmInfo::from_system(&info))
    }

    /// Every service with its running and desired task counts (what `docker service ls`
    /// shows), by name.
    pub async fn services(&self) -> Result<Vec<ServiceRow>, EngineError> {
        let options = ListServicesOptionsBuilder::default().status(true).build();
        let services = self
            .guarded(self.docker.list_services(Some(options)))
            .await?;
        let mut rows: Vec<ServiceRow> = services
            .iter()
            .filter_map(ServiceRow::from_service)
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// One service by name or id (its counts as [`Endpoint::services`] reads them); `None`
    /// when the swarm has no such service.
    pub async fn service(&self, name: &str) -> Result<Option<ServiceRow>, EngineError> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let options = ListServicesOptionsBuilder::default()
            .filters(&filters)
            .status(true)
            .build();
        let services = self
            .guarded(self.docker.list_services(Some(options)))
            .await?;
        let rows: Vec<ServiceRow> = services
            .iter()
            .filter_map(ServiceRow::from_service)
            .collect();
        // The name filter matches prefixes: the exact name first, then an id.
        if let Some(row) = rows.iter().find(|r| r.name == name) {
            return Ok(Some(row.clone()));
        }
        let inspect = self.docker.inspect_service(
            name,
            Some(InspectServiceOptions {
                insert_defaults: false,
            }),
        );
        match self.guarded(inspect).await {
            Ok(service) => {
                let id = service.id.clone().unwrap_or_default();
                let all = self.services().await?;
                Ok(all.into_iter().find(|r| r.id == id))
            }
            Err(EngineError::Daemon { source, .. }) if status_code(&source) == Some(404) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The tasks of the service with id `service_id` (every task, history included), the
    /// node's hostname filled in from `nodes`, newest first within a slot.
    pub async fn service_tasks(
        &self,
        service: &ServiceRow,
        nodes: &[NodeRow],
    ) -> Result<Vec<TaskRow>, EngineError> {
        let filters = HashMap::from([("service".to_string(), vec![service.id.clone()])]);
        let mut tasks = self
            .tasks(&filters, std::slice::from_ref(service), nodes)
            .await?;
        tasks.retain(|t| t.service_id == service.id);
        Ok(tasks)
    }

    /// Tasks matching `filters` (`service`, `node`, `desired-state`...), named after their
    /// service in `services` and with their node's hostname from `nodes`; sorted by name,
    /// then newest first.
    pub async fn tasks(
        &self,
        filters: &HashMap<String, Vec<String>>,
        services: &[ServiceRow],
        nodes: &[NodeRow],
    ) -> Result<Vec<TaskRow>, EngineError> {
        let options = ListTasksOptionsBuilder::default().filters(filters).build();
        let tasks = self.guarded(self.docker.list_tasks(Some(options))).await?;
        let mut rows: Vec<TaskRow> = tasks
            .iter()
            .filter_map(|task| {
                let service = task.service_id.as_deref().unwrap_or_default();
                let name = services
                    .iter()
                    .find(|s| s.id == service)
                    .map_or(service, |s| s.name.as_str());
                TaskRow::from_task(task, name)
            })
            .collect();
        for row in &mut rows {
            if let Some(node) = nodes.iter().find(|n| n.id == row.node_id) {
                row.node.clone_from(&node.hostname);
            }
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| b.created.cmp(&a.created)));
        Ok(rows)
    }

    /// Every node of the swarm, by hostname.
    pub async fn nodes(&self) -> Result<Vec<NodeRow>, EngineError> {
        let nodes = self
            .guarded(self.docker.list_nodes(None::<ListNodesOptions>))
            .await?;
        let mut rows: Vec<NodeRow> = nodes.iter().filter_map(NodeRow::from_node).collect();
        rows.sort_by(|a, b| a.hostname.cmp(&b.hostname).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Every secret: name, times, labels (never the content).
    pub async fn secrets(&self) -> Result<Vec<SwarmObject>, EngineError> {
        let secrets = self
            .guarded(self.docker.list_secrets(None::<ListSecretsOptions>))
            .await?;
        let mut rows: Vec<SwarmObject> = secrets
            .iter()
            .filter_map(SwarmObject::from_secret)
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// Every config: name, times, labels (never the content).
    pub async fn configs(&self) -> Result<Vec<SwarmObject>, EngineError> {
        let configs = self
            .guarded(self.docker.list_configs(None::<ListConfigsOptions>))
            .await?;
        let mut rows: Vec<SwarmObject> = configs
            .iter()
            .filter_map(SwarmObject::from_config)
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }
}

impl Endpoint {
    /// Every node with the count of tasks running on it (one more call: the tasks the swarm
    /// wants running).
    pub async fn nodes_with_tasks(&self) -> Result<Vec<NodeRow>, EngineError> {
        let mut nodes = self.nodes().await?;
        let filters = HashMap::from([("desired-state".to_string(), vec!["running".to_string()])]);
        let tasks = self.tasks(&filters, &[], &nodes).await?;
        for node in &mut nodes {
            let running = tasks
                .iter()
                .filter(|t| t.node_id == node.id && t.running())
                .count();
            node.tasks_running = Some(running as u64);
        }
        Ok(nodes)
    }
}
