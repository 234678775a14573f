//! Prune with a preview: [`plan`] lists exactly what a prune removes and the bytes it frees,
//! changing nothing (the dry run prints it; the console shows it in the confirm dialog);
//! [`run`] removes each item of that plan through the audited wrapper, so the real run removes
//! what the preview listed and nothing else.
//!
//! - images: dangling ones (untagged, no child image) by default; with `all`, every image no
//!   container uses that has no child image. Never one a container (any state) uses.
//! - volumes: anonymous ones no container mounts; with `all`, named ones too. Never one in use.
//! - networks: those no container is on, never the daemon's own (`bridge`, `host`, `none`)
//!   nor a swarm's.
//! - build cache: the daemon's build-cache prune (what it frees is what it reports).
//!
//! `filters` narrow every kind docker-style (`label=k=v`, `label=k`), so a caller (a test, a
//! scheduled GC) can prune only what it made.

use std::collections::HashMap;

use bollard::query_parameters::PruneBuildOptionsBuilder;
use serde::Serialize;

use super::{ObjectOutcome, ObjectReport, ObjectTarget, engine_error};
use crate::actions::{ActionContext, ActionError};
use crate::engine::objects::{DiskUsage, ObjectKind};
use crate::engine::{Endpoint, EngineError};

/// What a prune is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PruneKind {
    Images,
    Volumes,
    Networks,
    BuildCache,
}

impl PruneKind {
    pub const ALL: [Self; 4] = [
        Self::Images,
        Self::Volumes,
        Self::Networks,
        Self::BuildCache,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Self::Images => "images",
            Self::Volumes => "volumes",
            Self::Networks => "networks",
            Self::BuildCache => "build-cache",
        }
    }
}

/// How wide a prune goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOptions {
    /// Images: unused ones, not only dangling; volumes: named ones too; build cache: all of it.
    pub all: bool,
    /// Docker-style filters (`label` => [`k=v`]), passed to each list call.
    pub filters: HashMap<String, Vec<String>>,
}

/// One thing a prune removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneItem {
    pub kind: PruneKind,
    /// What the daemon is called with (an image id, a volume name, a network id).
    pub id: String,
    pub name: String,
    /// Bytes it frees, where known.
    pub size: Option<u64>,
    /// Why it goes ("dangling", "unused", "anonymous, unused").
    pub reason: String,
}

/// What a prune will remove, before anything goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    pub items: Vec<PruneItem>,
}

impl PrunePlan {
    /// The bytes the plan frees (the items whose size is known).
    pub fn bytes(&self) -> u64 {
        self.items.iter().filter_map(|i| i.size).sum()
    }
}

/// The plan of `kinds` on `endpoint`: one list call per kind (and the disk-usage call, for the
/// sizes of images, volumes and the build cache, where it answers). Changes nothing.
pub async fn plan(
    endpoint: &Endpoint,
    kinds: &[PruneKind],
    options: &PruneOptions,
) -> Result<PrunePlan, EngineError> {
    let sized = kinds.iter().any(|k| *k != PruneKind::Networks);
    // Sizes are a courtesy of the preview: a daemon that cannot say them still prunes.
    let usage = if sized {
        endpoint.disk_usage().await.ok()
    } else {
        None
    };
    let mut items = Vec::new();
    for kind in kinds {
        match kind {
            PruneKind::Images => images(endpoint, options, usage.as_ref(), &mut items).await?,
            PruneKind::Volumes => volumes(endpoint, options, usage.as_ref(), &mut items).await?,
            PruneKind::Networks => networks(endpoint, options, &mut items).await?,
            PruneKind::BuildCache => {
                let cache = usage.as_ref().map(|u| u.build_cache);
                if cache.is_none_or(|c| c.count > c.active) {
                    items.push(PruneItem {
                        kind: PruneKind::BuildCache,
                        id: "build-cache".into(),
                        name: "build cache".into(),
                        size: cache.map(|c| if options.all { c.size } else { c.reclaimable }),
                        reason: if options.all {
                            "all of it".into()
                        } else {
                            "not in use".into()
                        },
                    });
                }
            }
        }
    }
    Ok(PrunePlan { items })
}

async fn images(
    endpoint: &Endpoint,
    options: &PruneOptions,
    usage: Option<&DiskUsage>,
    items: &mut Vec<PruneItem>,
) -> Result<(), EngineError> {
    for image in endpoint.images(&options.filters).await? {
        if image.containers > 0 || image.parent || !(image.dangling || options.all) {
            continue;
        }
        let shared = usage
            .and_then(|u| u.image_shared.get(&image.id))
            .and_then(|(shared, _)| *shared)
            .or(image.shared_size)
            .unwrap_or(0);
        items.push(PruneItem {
            kind: PruneKind::Images,
            name: if image.dangling {
                image.short_id().to_string()
            } else {
                image.tags.join(", ")
            },
            size: Some(image.size.saturating_sub(shared)),
            reason: if image.dangling {
                "dangling".into()
            } else {
                "unused".into()
            },
            id: image.id,
        });
    }
    Ok(())
}

async fn volumes(
    endpoint: &Endpoint,
    options: &PruneOptions,
    usage: Option<&DiskUsage>,
    items: &mut Vec<PruneItem>,
) -> Result<(), EngineError> {
    for volume in endpoint.volumes(&options.filters).await? {
        if volume.containers > 0 || !(volume.anonymous || options.all) {
            continue;
        }
        items.push(PruneItem {
            kind: PruneKind::Volumes,
            size: usage
                .and_then(|u| u.volume_sizes.get(&volume.name).copied())
                .or(volume.size),
            reason: if volume.anonymous {
                "anonymous, unused".into()
            } else {
                "named, unused".into()
            },
            id: volume.name.clone(),
            name: volume.name,
        });
    }
    Ok(())
}

async fn networks(
    endpoint: &Endpoint,
    options: &PruneOptions,
    items: &mut Vec<PruneItem>,
) -> Result<(), EngineError> {
    for network in endpoint.networks(&options.filters).await? {
        if network.containers > 0 || network.predefined() || network.scope == "swarm" {
            continue;
        }
        items.push(PruneItem {
            kind: PruneKind::Networks,
            id: network.id,
            name: network.name,
            size: None,
            reason: "no container on it".into(),
        });
    }
    Ok(())
}

/// Removes each item of `plan` (in order: images, volumes, networks, build cache), each
/// audited; one report per item.
pub async fn run(
    ctx: &ActionContext,
    plan: &PrunePlan,
    options: &PruneOptions,
) -> Vec<ObjectReport> {
    let mut reports = Vec::with_capacity(plan.items.len());
    for item in &plan.items {
        let report = match item.kind {
            PruneKind::BuildCache => build_cache(ctx, options.all).await,
            kind => {
                let target = ObjectTarget {
                    kind: match kind {
                        PruneKind::Images => ObjectKind::Image,
                        PruneKind::Volumes => ObjectKind::Volume,
                        _ => ObjectKind::Network,
                    },
                    id: item.id.clone(),
                    name: item.name.clone(),
                };
                let mut report = ctx.remove_object(&target, false).await;
                if matches!(report.result, Ok(ObjectOutcome::Removed)) {
                    report.freed = item.size;
                }
                report
            }
        };
        reports.push(report);
    }
    reports
}

/// The daemon's build-cache prune, audited.
async fn build_cache(ctx: &ActionContext, all: bool) -> ObjectReport {
    let target = ObjectTarget {
        kind: ObjectKind::Image,
        id: "build-cache".into(),
        name: "build cache".into(),
    };
    let endpoint = &ctx.endpoint;
    let mut freed = None;
    let work = async {
        let options = PruneBuildOptionsBuilder::default().all(all).build();
        let answer = endpoint
            .client()
            .prune_build(Some(options))
            .await
            .map_err(|e| engine_error(endpoint, "builder-prune", "build cache", e))?;
        Ok::<_, ActionError>(answer.space_reclaimed.and_then(|n| u64::try_from(n).ok()))
    };
    let done = ctx
        .audited("builder-prune", "build cache", work, |r| {
            crate::actions::AuditFacts {
                target_id: "build-cache".into(),
                target_name: "build cache".into(),
                parameters: serde_json::json!({ "all": all }),
                result: match r {
                    Ok(_) => Ok(("pruned", None)),
                    Err(e) => Err(e.to_string()),
                },
            }
        })
        .await;
    let result = done.result.map(|bytes| {
        freed = bytes;
        ObjectOutcome::Pruned
    });
    ObjectReport {
        host: endpoint.name.clone(),
        target,
        verb: "builder-prune",
        result,
        freed,
        audit_error: done.audit_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_adds_up_the_sizes_it_knows() {
        let item = |size| PruneItem {
            kind: PruneKind::Images,
            id: "x".into(),
            name: "x".into(),
            size,
            reason: "dangling".into(),
        };
        let plan = PrunePlan {
            items: vec![item(Some(10)), item(None), item(Some(5))],
        };
        assert_eq!(plan.bytes(), 15);
        assert_eq!(PruneKind::BuildCache.word(), "build-cache");
    }
}
