//! The mutations a stack needs on a Swarm manager: create, update and remove a service, a
//! secret and a config (networks are compose's [`super::compose`] ones: create a network,
//! remove a network). Each goes through the one audited wrapper (refused under `--read-only`,
//! one audit line); a secret's or config's content never reaches its audit line, and neither
//! does a service's environment (its variable names only). A removal of something gone
//! already is done.

use bollard::models::{ConfigSpec, SecretSpec, ServiceSpec};
use bollard::query_parameters::UpdateServiceOptions;

use super::compose::{Mutation, facts, failed};
use super::{ActionContext, audited::env_names};

/// What an audit line says of a service spec: its name, image, replicas and variable names.
fn service_parameters(spec: &ServiceSpec) -> serde_json::Value {
    let container = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref());
    let env: Vec<String> = container.and_then(|c| c.env.clone()).unwrap_or_default();
    serde_json::json!({
        "image": container.and_then(|c| c.image.clone()),
        "replicas": spec.mode.as_ref().and_then(|m| m.replicated.as_ref()).and_then(|r| r.replicas),
        "env": env_names(&env),
        "labels": spec.labels,
    })
}

impl ActionContext {
    /// Creates a service; gives its id.
    pub async fn create_service(&self, spec: ServiceSpec) -> Mutation<String> {
        const VERB: &str = "create service";
        let name = spec.name.clone().unwrap_or_default();
        let parameters = service_parameters(&spec);
        let endpoint = &self.endpoint;
        let work = async {
            match endpoint.client().create_service(spec, None).await {
                Ok(created) => Ok(created.id.unwrap_or_default()),
                Err(e) => Err(failed(endpoint, VERB, &name, e)),
            }
        };
        self.audited(VERB, &name, work, |r| {
            facts(String::clone, &name, parameters, "created", r)
        })
        .await
        .into()
    }

    /// Updates service `id` at `version` to `spec`; gives the manager's warnings.
    pub async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
    ) -> Mutation<Vec<String>> {
        const VERB: &str = "update service";
        let name = spec.name.clone().unwrap_or_default();
        let mut parameters = service_parameters(&spec);
        parameters["version"] = serde_json::json!(version);
        let options = UpdateServiceOptions {
            version: i32::try_from(version).unwrap_or(i32::MAX),
            ..UpdateServiceOptions::default()
        };
        let endpoint = &self.endpoint;
        let work = async {
            match endpoint
                .client()
                .update_service(id, spec, options, None)
                .await
            {
                Ok(answer) => Ok(answer.warnings.unwrap_or_default()),
                Err(e) => Err(failed(endpoint, VERB, &name, e)),
            }
        };
        self.audited(VERB, &name, work, |r| {
            facts(|_| id.to_string(), &name, parameters, "updated", r)
        })
        .await
        .into()
    }

    /// Removes a service (by id or name).
    pub async fn remove_service(&self, id: &str, name: &str) -> Mutation<()> {
        let client = self.endpoint.client();
        self.remove_daemon_object("remove service", id, name, client.delete_service(id))
            .await
    }

    /// Creates a secret; gives its id. Its content is in no audit line.
    pub async fn create_secret(&self, spec: SecretSpec) -> Mutation<String> {
        let name = spec.name.clone().unwrap_or_default();
        let parameters = serde_json::json!({ "labels": spec.labels });
        let call = self.endpoint.client().create_secret(spec);
        self.create_object("create secret", name, parameters, call)
            .await
    }

    /// Creates a config; gives its id. Its content is in no audit line.
    pub async fn create_config(&self, spec: ConfigSpec) -> Mutation<String> {
        let name = spec.name.clone().unwrap_or_default();
        let parameters = serde_json::json!({ "labels": spec.labels });
        let call = self.endpoint.client().create_config(spec);
        self.create_object("create config", name, parameters, call)
            .await
    }

    /// One audited creation of a secret or config: `call` made, its id given.
    async fn create_object(
        &self,
        verb: &'static str,
        name: String,
        parameters: serde_json::Value,
        call: impl std::future::Future<
            Output = Result<bollard::models::IdResponse, bollard::errors::Error>,
        >,
    ) -> Mutation<String> {
        let endpoint = &self.endpoint;
        let work = async {
            match call.await {
                Ok(created) => Ok(created.id),
                Err(e) => Err(failed(endpoint, verb, &name, e)),
            }
        };
        self.audited(verb, &name, work, |r| {
            facts(String::clone, &name, parameters, "created", r)
        })
        .await
        .into()
    }

    /// Removes a secret (by id).
    pub async fn remove_secret(&self, id: &str, name: &str) -> Mutation<()> {
        let client = self.endpoint.client();
        self.remove_daemon_object("remove secret", id, name, client.delete_secret(id))
            .await
    }

    /// Removes a config (by id).
    pub async fn remove_config(&self, id: &str, name: &str) -> Mutation<()> {
        let client = self.endpoint.client();
        self.remove_daemon_object("remove config", id, name, client.delete_config(id))
            .await
    }
}
