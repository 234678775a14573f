//! The keeper's image GC (`[gc] images`): the dangling images no container uses, or every image
//! no container uses older than an age, removed through the action layer (each audited, as
//! every GC removal) and recorded in the store (`gc.remove` notes naming the image). Never an
//! image a container uses (any state), nor one with a child image.

use std::time::Duration;

use chrono::Utc;

use super::gc::GcItem;
use crate::actions::ActionContext;
use crate::actions::objects::prune::{self, PruneItem, PruneKind, PruneOptions, PrunePlan};
use crate::config::gc::{GcConfig, ImageGc};
use crate::engine::objects::ImageRow;
use crate::engine::{ContainerId, EngineError};
use crate::store::{NOTE_GC_REMOVE, StoreWriter};

/// Why `image` goes under `policy` at `now` (Unix seconds); `None`: it stays.
pub fn verdict(image: &ImageRow, policy: ImageGc, now: i64) -> Option<String> {
    if image.containers > 0 || image.parent {
        return None;
    }
    match policy {
        ImageGc::Off => None,
        ImageGc::Dangling => image.dangling.then(|| "dangling, unused".to_string()),
        ImageGc::OlderThan(age) => {
            let age_s = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
            (now.saturating_sub(image.created) > age_s).then(|| {
                format!(
                    "unused, older than {}",
                    humantime::format_duration(Duration::from_secs(age.as_secs()))
                )
            })
        }
    }
}

/// One image GC run: lists, decides, removes (audited), records. The items removed or failed.
pub async fn collect(
    ctx: &ActionContext,
    store: Option<&StoreWriter>,
    config: &GcConfig,
) -> Result<Vec<GcItem>, EngineError> {
    let policy = config.images;
    if policy == ImageGc::Off {
        return Ok(Vec::new());
    }
    let now = Utc::now().timestamp();
    let mut filters = std::collections::HashMap::new();
    if !config.image_labels.is_empty() {
        filters.insert("label".to_string(), config.image_labels.clone());
    }
    let items: Vec<PruneItem> = ctx
        .endpoint
        .images(&filters)
        .await?
        .into_iter()
        .filter_map(|image| {
            let reason = verdict(&image, policy, now)?;
            Some(PruneItem {
                kind: PruneKind::Images,
                name: if image.tags.is_empty() {
                    image.short_id().to_string()
                } else {
                    image.tags.join(", ")
                },
                size: Some(image.size),
                reason,
                id: image.id,
            })
        })
        .collect();
    let plan = PrunePlan { items };
    let reports = prune::run(ctx, &plan, &PruneOptions::default()).await;
    let mut out = Vec::new();
    for (item, report) in plan.items.iter().zip(reports) {
        let error = report.result.as_ref().err().map(ToString::to_string);
        if let (Some(store), None) = (store, &error) {
            store.record_note(
                &ctx.endpoint.address,
                &item.id,
                NOTE_GC_REMOVE,
                serde_json::json!({ "name": item.name, "reason": item.reason, "kind": "image" }),
            );
        }
        out.push(GcItem {
            id: ContainerId(item.id.clone()),
            name: item.name.clone(),
            group: None,
            remove: true,
            removed: error.is_none(),
            reason: item.reason.clone(),
            error,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(dangling: bool, containers: u64, age_s: i64, now: i64) -> ImageRow {
        ImageRow {
            id: "sha256:x".into(),
            tags: if dangling {
                vec![]
            } else {
                vec!["app:1".into()]
            },
            size: 1,
            shared_size: None,
            created: now - age_s,
            containers,
            dangling,
            intermediate: false,
            parent: false,
            labels: Default::default(),
        }
    }

    #[test]
    fn only_unused_images_go_dangling_ones_or_old_ones() {
        let now = 1_000_000;
        let day = Duration::from_secs(86_400);
        assert_eq!(verdict(&image(true, 0, 10, now), ImageGc::Off, now), None);
        assert!(verdict(&image(true, 0, 10, now), ImageGc::Dangling, now).is_some());
        assert_eq!(
            verdict(&image(true, 1, 10, now), ImageGc::Dangling, now),
            None,
            "in use"
        );
        assert_eq!(
            verdict(&image(false, 0, 10, now), ImageGc::Dangling, now),
            None,
            "tagged"
        );
        assert_eq!(
            verdict(&image(false, 0, 3600, now), ImageGc::OlderThan(day), now),
            None
        );
        let old = verdict(&image(false, 0, 200_000, now), ImageGc::OlderThan(day), now);
        assert_eq!(old.as_deref(), Some("unused, older than 1day"));
        assert_eq!(
            verdict(&image(false, 2, 200_000, now), ImageGc::OlderThan(day), now),
            None
        );
    }
}
