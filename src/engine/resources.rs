//! Reads of the daemon's other objects that compose projects need: networks and volumes (by
//! label or name) and an image's id. One list call each; nothing here changes the daemon.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::{ListNetworksOptionsBuilder, ListVolumesOptionsBuilder};

use super::{Endpoint, EngineError, status_code};

/// A network as a list call gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A volume as a list call gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.into_iter().collect()).unwrap_or_default()
}

impl Endpoint {
    /// One list call: the networks matching `filters` (`label`, `name`, ...).
    pub async fn list_networks(
        &self,
        filters: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<NetworkInfo>, EngineError> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(filters)
            .build();
        let networks = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(|e| self.error(e))?;
        Ok(networks
            .into_iter()
            .map(|n| NetworkInfo {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })
            .collect())
    }

    /// One list call: the volumes matching `filters` (`label`, `name`, ...).
    pub async fn list_volumes(
        &self,
        filters: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<VolumeInfo>, EngineError> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(filters)
            .build();
        let listed = self
            .docker
            .list_volumes(Some(options))
            .await
            .map_err(|e| self.error(e))?;
        Ok(listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| VolumeInfo {
                name: v.name,
                labels: sorted(Some(v.labels)),
            })
            .collect())
    }

    /// The id of the image `reference` names on the daemon; `Ok(None)` when it has none.
    pub async fn image_id(&self, reference: &str) -> Result<Option<String>, EngineError> {
        match self.docker.inspect_image(reference).await {
            Ok(image) => Ok(Some(image.id.unwrap_or_default())),
            Err(e) if status_code(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }
}
