//! The daemon's disk usage (`/system/df`): images, containers, volumes and build cache, each
//! with a count, a size and what a prune would reclaim, plus the per-image shared size and the
//! per-volume size that only this call tells. The call is expensive (the daemon walks every
//! container's layer and every volume), so it is made only when a view or a command needs it,
//! never on the console's loop, and with its own, longer timeout.
//!
//! Both shapes of the answer are read: before API 1.52 (`LayersSize`, `Images`, `Containers`,
//! `Volumes`, `BuildCache`, totals computed here as the docker CLI computes them), and 1.52's
//! (`ImageUsage`, ... with the daemon's totals).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::list::{bytes, len};
use super::raw;
use crate::engine::{Endpoint, EngineError};

/// How long the disk-usage call may take (it walks every container and volume: with 5,000
/// containers on the test machine it took over two minutes).
pub const DF_TIMEOUT: Duration = Duration::from_secs(600);

/// One line of `docker system df`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsageLine {
    pub count: u64,
    /// In use (images with a container, running containers, mounted volumes, cache in use).
    pub active: u64,
    /// Bytes.
    pub size: u64,
    /// Bytes a prune would free.
    pub reclaimable: u64,
}

/// The whole answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiskUsage {
    /// `images.size` is the daemon's `LayersSize`.
    pub images: UsageLine,
    pub containers: UsageLine,
    pub volumes: UsageLine,
    pub build_cache: UsageLine,
    /// Per image id: (shared size, containers using it), where the daemon said.
    #[serde(skip)]
    pub image_shared: HashMap<String, (Option<u64>, Option<u64>)>,
    /// Per volume name: its size, where the daemon knows it.
    #[serde(skip)]
    pub volume_sizes: HashMap<String, u64>,
}

fn num(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn size(v: &Value, key: &str) -> u64 {
    num(v, key).and_then(bytes).unwrap_or(0)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Reads the answer, either shape.
pub fn parse(answer: &Value) -> DiskUsage {
    let mut usage = DiskUsage::default();
    if answer.get("ImageUsage").is_some() || answer.get("ContainerUsage").is_some() {
        let line = |key: &str| {
            let v = answer.get(key).unwrap_or(&Value::Null);
            UsageLine {
                count: size(v, "TotalCount"),
                active: size(v, "ActiveCount"),
                size: size(v, "TotalSize"),
                reclaimable: size(v, "Reclaimable"),
            }
        };
        usage.images = line("ImageUsage");
        usage.containers = line("ContainerUsage");
        usage.volumes = line("VolumeUsage");
        usage.build_cache = line("BuildCacheUsage");
        return usage;
    }
    read_images(answer, &mut usage);
    read_containers(answer, &mut usage);
    read_volumes(answer, &mut usage);
    read_build_cache(answer, &mut usage);
    usage
}

/// Images: the size is `LayersSize`; reclaimable is what no container's image holds.
fn read_images(answer: &Value, usage: &mut DiskUsage) {
    let images = items(answer, "Images");
    let layers = size(answer, "LayersSize");
    let mut used = 0u64;
    let mut active = 0;
    for i in images {
        let containers = num(i, "Containers");
        let shared = num(i, "SharedSize").and_then(bytes);
        if containers.unwrap_or(0) > 0 {
            active += 1;
            if let (Some(total), Some(shared)) = (num(i, "Size").and_then(bytes), shared) {
                used += total.saturating_sub(shared);
            }
        }
        if let Some(id) = i.get("Id").and_then(Value::as_str) {
            usage
                .image_shared
                .insert(id.to_string(), (shared, containers.and_then(bytes)));
        }
    }
    usage.images = UsageLine {
        count: len(images.len()),
        active,
        size: layers,
        reclaimable: layers.saturating_sub(used),
    };
}

/// Containers: their writable layers; reclaimable is the stopped ones'.
fn read_containers(answer: &Value, usage: &mut DiskUsage) {
    let containers = items(answer, "Containers");
    let mut line = UsageLine {
        count: len(containers.len()),
        ..UsageLine::default()
    };
    for c in containers {
        let rw = size(c, "SizeRw");
        line.size += rw;
        if c.get("State").and_then(Value::as_str) == Some("running") {
            line.active += 1;
        } else {
            line.reclaimable += rw;
        }
    }
    usage.containers = line;
}

/// Volumes: sizes where the daemon knows them; reclaimable is the unmounted ones'.
fn read_volumes(answer: &Value, usage: &mut DiskUsage) {
    let volumes = items(answer, "Volumes");
    let mut line = UsageLine {
        count: len(volumes.len()),
        ..UsageLine::default()
    };
    for v in volumes {
        let data = v.get("UsageData").unwrap_or(&Value::Null);
        let vsize = num(data, "Size").and_then(bytes);
        let refs = num(data, "RefCount").unwrap_or(0);
        line.size += vsize.unwrap_or(0);
        if refs > 0 {
            line.active += 1;
        } else {
            line.reclaimable += vsize.unwrap_or(0);
        }
        if let (Some(name), Some(vsize)) = (v.get("Name").and_then(Value::as_str), vsize) {
            usage.volume_sizes.insert(name.to_string(), vsize);
        }
    }
    usage.volumes = line;
}

/// Build cache: records not shared; reclaimable is those not in use.
fn read_build_cache(answer: &Value, usage: &mut DiskUsage) {
    let records = items(answer, "BuildCache");
    let mut line = UsageLine {
        count: len(records.len()),
        ..UsageLine::default()
    };
    for r in records {
        let in_use = flag(r, "InUse");
        if in_use {
            line.active += 1;
        }
        if !flag(r, "Shared") {
            let rsize = size(r, "Size");
            line.size += rsize;
            if !in_use {
                line.reclaimable += rsize;
            }
        }
    }
    usage.build_cache = line;
}

impl Endpoint {
    /// The disk-usage call, within [`DF_TIMEOUT`] (through the host's breaker). Expensive:
    /// call it only when a view or a command needs it, never on the console's loop. A daemon
    /// still computing when the time is up answered nothing wrong: that is a refusal (504),
    /// not a host that cannot be reached (its breaker is left closed).
    pub async fn disk_usage(&self) -> Result<DiskUsage, EngineError> {
        let permit = self.admit()?;
        let result = match tokio::time::timeout(DF_TIMEOUT, self.disk_usage_waiting()).await {
            Ok(result) => result,
            Err(_) => Err(EngineError::Daemon {
                host: self.name.clone(),
                endpoint: self.address.clone(),
                source: bollard::errors::Error::DockerResponseServerError {
                    status_code: 504,
                    message: format!("no disk usage within {} s", DF_TIMEOUT.as_secs()),
                },
            }),
        };
        permit.record(&result);
        result
    }

    /// The call, again after a pause while the daemon says another one is running (it computes
    /// one at a time and refuses the rest with a 500).
    async fn disk_usage_waiting(&self) -> Result<DiskUsage, EngineError> {
        loop {
            match self.disk_usage_call().await {
                Err(EngineError::Daemon { source, .. })
                    if crate::engine::daemon_message(&source).contains("already running") =>
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                other => return other,
            }
        }
    }

    async fn disk_usage_call(&self) -> Result<DiskUsage, EngineError> {
        if !self.speaks_raw() {
            let answer = self
                .docker
                .df(None::<bollard::query_parameters::DataUsageOptions>)
                .await
                .map_err(|e| self.error(e))?;
            let value = serde_json::to_value(answer).unwrap_or_default();
            return Ok(parse(&value));
        }
        // The API version the daemon said it speaks: its own answer's shape.
        let path = self.api_path("/system/df");
        match raw::get_json(&self.address, &path).await {
            Ok(value) => Ok(parse(&value)),
            Err(raw::RawError::Status { status, message }) => Err(EngineError::Daemon {
                host: self.name.clone(),
                endpoint: self.address.clone(),
                source: bollard::errors::Error::DockerResponseServerError {
                    status_code: status,
                    message,
                },
            }),
            Err(e) => Err(EngineError::Unreachable {
                host: self.name.clone(),
                endpoint: self.address.clone(),
                cause: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_1_41_answer_is_read_as_the_docker_cli_reads_it() {
        let answer = serde_json::json!({
            "LayersSize": 1000,
            "Images": [
                {"Id": "sha256:a", "Size": 600, "SharedSize": 100, "Containers": 2},
                {"Id": "sha256:b", "Size": 300, "SharedSize": 100, "Containers": 0}
            ],
            "Containers": [
                {"Id": "c1", "SizeRw": 10, "State": "running"},
                {"Id": "c2", "SizeRw": 7, "State": "exited"}
            ],
            "Volumes": [
                {"Name": "v1", "UsageData": {"Size": 50, "RefCount": 1}},
                {"Name": "v2", "UsageData": {"Size": 20, "RefCount": 0}},
                {"Name": "v3", "UsageData": {"Size": -1, "RefCount": 0}}
            ],
            "BuildCache": [
                {"ID": "x", "Size": 5, "InUse": false, "Shared": false},
                {"ID": "y", "Size": 9, "InUse": true, "Shared": false},
                {"ID": "z", "Size": 4, "InUse": false, "Shared": true}
            ]
        });
        let u = parse(&answer);
        assert_eq!(
            u.images,
            UsageLine {
                count: 2,
                active: 1,
                size: 1000,
                reclaimable: 500
            }
        );
        assert_eq!(
            u.containers,
            UsageLine {
                count: 2,
                active: 1,
                size: 17,
                reclaimable: 7
            }
        );
        assert_eq!(
            u.volumes,
            UsageLine {
                count: 3,
                active: 1,
                size: 70,
                reclaimable: 20
            }
        );
        assert_eq!(
            u.build_cache,
            UsageLine {
                count: 3,
                active: 1,
                size: 14,
                reclaimable: 5
            }
        );
        assert_eq!(u.image_shared.get("sha256:b"), Some(&(Some(100), Some(0))));
        assert_eq!(u.volume_sizes.get("v2"), Some(&20));
        assert_eq!(u.volume_sizes.get("v3"), None);
    }

    #[test]
    fn an_api_1_52_answer_keeps_the_daemon_totals() {
        let answer = serde_json::json!({
            "ImageUsage": {"ActiveCount": 1, "TotalCount": 3, "Reclaimable": 40, "TotalSize": 90},
            "ContainerUsage": {"ActiveCount": 2, "TotalCount": 2, "Reclaimable": 0, "TotalSize": 8}
        });
        let u = parse(&answer);
        assert_eq!(
            u.images,
            UsageLine {
                count: 3,
                active: 1,
                size: 90,
                reclaimable: 40
            }
        );
        assert_eq!(u.containers.count, 2);
        assert_eq!(u.volumes, UsageLine::default());
    }
}
