//! The list reads of images, volumes and networks: one list call of the objects and one of the
//! containers (who uses what), every state; nothing here changes the daemon.

use std::collections::{BTreeMap, HashMap, HashSet};

use bollard::models::ContainerSummary;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptionsBuilder,
    ListVolumesOptionsBuilder,
};

use super::{ImageRow, NetworkRow, VolumeRow, is_anonymous};
use crate::engine::{Endpoint, EngineError};

/// `filters` as the daemon's list calls take them (`label` => [`k=v`]).
pub type Filters = HashMap<String, Vec<String>>;

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.into_iter().collect()).unwrap_or_default()
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Bytes from the daemon's signed figure (`-1`: not computed).
pub(super) fn bytes(n: i64) -> Option<u64> {
    u64::try_from(n).ok()
}

/// Whether a tag names something (`<none>:<none>` is the daemon's word for none).
fn real_tag(tag: &str) -> bool {
    tag != "<none>:<none>" && !tag.is_empty()
}

impl Endpoint {
    /// Every container, all states, as the list call gives them (image ids, mounts, networks).
    async fn container_summaries(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        let options = ListContainersOptionsBuilder::default().all(true).build();
        self.guarded(self.docker.list_containers(Some(options)))
            .await
    }

    /// Every image (`docker images -a`: intermediate ones too) matching `filters`, with the
    /// containers made from each, sorted newest first.
    pub async fn images(&self, filters: &Filters) -> Result<Vec<ImageRow>, EngineError> {
        let options = ListImagesOptionsBuilder::default()
            .all(true)
            .filters(filters)
            .build();
        let (images, containers) = futures_util::try_join!(
            self.guarded(self.docker.list_images(Some(options))),
            self.container_summaries()
        )?;
        let mut using: HashMap<&str, u64> = HashMap::new();
        for c in &containers {
            if let Some(image) = c.image_id.as_deref() {
                *using.entry(image).or_default() += 1;
            }
        }
        let parents: HashSet<&str> = images.iter().map(|i| i.parent_id.as_str()).collect();
        let mut rows: Vec<ImageRow> = images
            .iter()
            .map(|i| {
                let tags: Vec<String> = i
                    .repo_tags
                    .iter()
                    .filter(|t| real_tag(t))
                    .cloned()
                    .collect();
                let parent = parents.contains(i.id.as_str());
                ImageRow {
                    id: i.id.clone(),
                    dangling: tags.is_empty() && !parent,
                    intermediate: tags.is_empty() && parent,
                    parent,
                    tags,
                    size: bytes(i.size).unwrap_or(0),
                    shared_size: bytes(i.shared_size),
                    created: i.created,
                    containers: using.get(i.id.as_str()).copied().unwrap_or(0),
                    labels: i.labels.clone().into_iter().collect(),
                }
            })
            .collect();
        rows.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Every volume matching `filters`, with the containers that mount each, by name.
    pub async fn volumes(&self, filters: &Filters) -> Result<Vec<VolumeRow>, EngineError> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(filters)
            .build();
        let (listed, containers) = futures_util::try_join!(
            self.guarded(self.docker.list_volumes(Some(options))),
            self.container_summaries()
        )?;
        let mut using: HashMap<String, u64> = HashMap::new();
        for c in &containers {
            for m in c.mounts.iter().flatten() {
                if m.typ.as_deref() == Some("volume")
                    && let Some(name) = &m.name
                {
                    *using.entry(name.clone()).or_default() += 1;
                }
            }
        }
        let mut rows: Vec<VolumeRow> = listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                let labels: BTreeMap<String, String> = v.labels.into_iter().collect();
                VolumeRow {
                    anonymous: is_anonymous(&v.name, &labels),
                    containers: using.get(&v.name).copied().unwrap_or(0),
                    size: v.usage_data.and_then(|u| bytes(u.size)),
                    name: v.name,
                    driver: v.driver,
                    labels,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// Every network matching `filters`, with the containers on each, by name.
    pub async fn networks(&self, filters: &Filters) -> Result<Vec<NetworkRow>, EngineError> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(filters)
            .build();
        let (networks, containers) = futures_util::try_join!(
            self.guarded(self.docker.list_networks(Some(options))),
            self.container_summaries()
        )?;
        let mut using: HashMap<String, u64> = HashMap::new();
        for c in &containers {
            let attached = c
                .network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref());
            for (name, endpoint) in attached.into_iter().flatten() {
                let key = endpoint.network_id.clone().filter(|id| !id.is_empty());
                *using
                    .entry(key.unwrap_or_else(|| name.clone()))
                    .or_default() += 1;
            }
        }
        let mut rows: Vec<NetworkRow> = networks
            .into_iter()
            .map(|n| {
                let id = n.id.unwrap_or_default();
                let name = n.name.unwrap_or_default();
                let ipam = n
                    .ipam
                    .and_then(|i| i.config)
                    .and_then(|c| c.into_iter().next());
                let by_id = using.get(&id).copied().unwrap_or(0);
                let containers = if by_id > 0 {
                    by_id
                } else {
                    using.get(&name).copied().unwrap_or(0)
                };
                NetworkRow {
                    containers,
                    driver: n.driver.unwrap_or_default(),
                    scope: n.scope.unwrap_or_default(),
                    subnet: ipam.as_ref().and_then(|c| c.subnet.clone()),
                    gateway: ipam.and_then(|c| c.gateway),
                    internal: n.internal.unwrap_or(false),
                    labels: sorted(n.labels),
                    id,
                    name,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// The daemon's data root (`DockerRootDir` of `/info`), for the free space under it.
    pub async fn data_root(&self) -> Result<Option<String>, EngineError> {
        let info = self.guarded(self.docker.info()).await?;
        Ok(info.docker_root_dir)
    }
}

/// `count` for a length.
pub(super) fn len(n: usize) -> u64 {
    count(n)
}
