//! The host's other objects: images, volumes and networks, as one list call each reads them,
//! with who uses them (from one container list call: an image by the containers made from
//! it, a volume by the containers that mount it, a network by the containers on it), and the
//! daemon's disk usage ([`df`], the expensive `/system/df`). Plain data, read here and drawn or
//! printed above; the events that change them are read by [`ObjectEvent`].

pub mod df;
mod list;
pub(crate) mod raw;

use std::collections::BTreeMap;

use bollard::models::{EventMessage, EventMessageTypeEnum};
use serde::Serialize;

pub use df::{DiskUsage, UsageLine};

/// The label Docker (23 and later) puts on a volume it made for a container (`-v /data`).
pub const ANONYMOUS_VOLUME_LABEL: &str = "com.docker.volume.anonymous";

/// The networks every daemon has, never removed.
pub const PREDEFINED_NETWORKS: &[&str] = &["bridge", "host", "none", "ingress", "docker_gwbridge"];

/// One image, as `docker images -a` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    /// The full id (`sha256:...`).
    pub id: String,
    /// `repository:tag` of each tag; empty for an untagged image.
    pub tags: Vec<String>,
    /// Bytes (the image with its parents' layers).
    pub size: u64,
    /// Bytes shared with other images; known from the disk-usage call only.
    pub shared_size: Option<u64>,
    /// Unix seconds.
    pub created: i64,
    /// Containers made from it (any state).
    pub containers: u64,
    /// Untagged and not a parent of another image: what `docker image prune` removes.
    pub dangling: bool,
    /// Untagged, and the parent of another image (a build's intermediate layer).
    pub intermediate: bool,
    /// The parent of another image (never removed on its own).
    pub parent: bool,
    pub labels: BTreeMap<String, String>,
}

impl ImageRow {
    /// The 12-character id Docker prints (without `sha256:`).
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    /// The first tag, or `<none>:<none>`.
    pub fn name(&self) -> &str {
        self.tags.first().map_or("<none>:<none>", String::as_str)
    }
}

/// The 12-character form of an id, without its `sha256:`.
pub fn short_id(id: &str) -> &str {
    let bare = id.strip_prefix("sha256:").unwrap_or(id);
    bare.get(..12).unwrap_or(bare)
}

/// One volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeRow {
    pub name: String,
    pub driver: String,
    /// Bytes, where the daemon knows them (the disk-usage call, local volumes).
    pub size: Option<u64>,
    /// Containers that mount it (any state).
    pub containers: u64,
    /// Made for a container (`-v /data`) rather than named by someone.
    pub anonymous: bool,
    pub labels: BTreeMap<String, String>,
}

/// Whether a volume is anonymous: labelled so (Docker 23+), or, as older daemons leave it, a
/// bare 64-hex-digit name that nobody would type.
pub fn is_anonymous(name: &str, labels: &BTreeMap<String, String>) -> bool {
    labels.contains_key(ANONYMOUS_VOLUME_LABEL)
        || (name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkRow {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    /// Containers on it (any state).
    pub containers: u64,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
}

impl NetworkRow {
    /// One of the daemon's own networks (`bridge`, `host`, `none`), never removed.
    pub fn predefined(&self) -> bool {
        PREDEFINED_NETWORKS.contains(&self.name.as_str())
    }
}

/// The kinds of object the host views show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Image,
    Volume,
    Network,
}

/// An event about an image, a volume or a network (pull, tag, delete; create, destroy;
/// connect, disconnect...): what the host views reread on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectEvent {
    /// The short name of the host it came from.
    pub host: String,
    pub kind: ObjectKind,
    pub action: String,
    /// The object's id or name.
    pub id: String,
}

impl ObjectEvent {
    /// Parses a daemon event; `None` for one about anything else.
    pub fn from_message(message: &EventMessage) -> Option<Self> {
        let kind = match message.typ? {
            EventMessageTypeEnum::IMAGE => ObjectKind::Image,
            EventMessageTypeEnum::VOLUME => ObjectKind::Volume,
            EventMessageTypeEnum::NETWORK => ObjectKind::Network,
            _ => return None,
        };
        Some(Self {
            host: super::LOCAL_HOST.to_string(),
            kind,
            action: message.action.clone().unwrap_or_default(),
            id: message
                .actor
                .as_ref()
                .and_then(|a| a.id.clone())
                .unwrap_or_default(),
        })
    }
}

/// The event types the watcher subscribes to besides containers.
pub const EVENT_TYPES: &[&str] = &["image", "volume", "network"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_volumes_are_labelled_or_hex_named() {
        let none = BTreeMap::new();
        let hex = "a".repeat(64);
        assert!(is_anonymous(&hex, &none));
        assert!(!is_anonymous("pgdata", &none));
        let labelled = BTreeMap::from([(ANONYMOUS_VOLUME_LABEL.to_string(), String::new())]);
        assert!(is_anonymous("x", &labelled));
        assert!(!is_anonymous(&"g".repeat(64), &none));
    }

    #[test]
    fn image_and_network_events_are_read_container_events_are_not() {
        let json = r#"{"Type":"image","Action":"tag","Actor":{"ID":"sha256:abc"},"time":1}"#;
        let m: EventMessage = serde_json::from_str(json).expect("event json");
        let e = ObjectEvent::from_message(&m).expect("an image event");
        assert_eq!(
            (e.kind, e.action.as_str(), e.id.as_str()),
            (ObjectKind::Image, "tag", "sha256:abc")
        );
        let json = r#"{"Type":"container","Action":"start","Actor":{"ID":"abc"}}"#;
        let m: EventMessage = serde_json::from_str(json).expect("event json");
        assert_eq!(ObjectEvent::from_message(&m), None);
    }

    #[test]
    fn short_ids_drop_the_digest_name() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
