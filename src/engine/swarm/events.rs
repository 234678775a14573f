//! The manager's swarm events: a service, node, secret or config was created, updated or
//! removed. Tasks have no events on a manager: their state is read on demand.

use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use crate::engine::{Endpoint, EngineError};

/// What kind of swarm object an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SwarmKind {
    Service,
    Node,
    Secret,
    Config,
}

/// One swarm event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmEvent {
    pub kind: SwarmKind,
    /// `create`, `update`, `remove`.
    pub action: String,
    pub id: String,
    pub name: Option<String>,
}

impl SwarmEvent {
    /// Parses a daemon event; `None` for one about anything but a swarm object.
    pub fn from_message(message: &EventMessage) -> Option<Self> {
        let kind = match message.typ? {
            EventMessageTypeEnum::SERVICE => SwarmKind::Service,
            EventMessageTypeEnum::NODE => SwarmKind::Node,
            EventMessageTypeEnum::SECRET => SwarmKind::Secret,
            EventMessageTypeEnum::CONFIG => SwarmKind::Config,
            _ => return None,
        };
        let actor = message.actor.as_ref()?;
        Some(Self {
            kind,
            action: message.action.clone().unwrap_or_default(),
            id: actor.id.clone()?,
            name: actor
                .attributes
                .as_ref()
                .and_then(|a| a.get("name").cloned()),
        })
    }
}

impl Endpoint {
    /// The manager's service, node, secret and config events from now on, until dropped.
    pub fn swarm_events(&self) -> impl Stream<Item = Result<SwarmEvent, EngineError>> + use<> {
        let filters = std::collections::HashMap::from([(
            "type",
            vec!["service", "node", "secret", "config"],
        )]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        let endpoint = self.clone();
        self.docker
            .events(Some(options))
            .filter_map(move |message| {
                let item = match message {
                    Ok(m) => SwarmEvent::from_message(&m).map(Ok),
                    Err(e) => Some(Err(endpoint.error(e))),
                };
                std::future::ready(item)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_and_node_events_parse_and_others_do_not() {
        let json = r#"{"Type":"service","Action":"update","Actor":{"ID":"abc","Attributes":{"name":"web","replicas.new":"6"}}}"#;
        let message: EventMessage = serde_json::from_str(json).expect("event json");
        let event = SwarmEvent::from_message(&message).expect("a swarm event");
        assert_eq!(event.kind, SwarmKind::Service);
        assert_eq!(event.action, "update");
        assert_eq!(event.name.as_deref(), Some("web"));
        let json = r#"{"Type":"container","Action":"start","Actor":{"ID":"abc"}}"#;
        let message: EventMessage = serde_json::from_str(json).expect("event json");
        assert_eq!(SwarmEvent::from_message(&message), None);
    }
}
