//! The host views' effects, carried out off the loop: list reads, the disk-usage call (the
//! expensive one), prune plans, and the actions (each through the audited action layer).
//! What comes back is an [`ObjectsMsg`] on the loop's message channel.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use super::HostIo;
use super::effects::LOG_TARGET;
use crate::actions::ActionContext;
use crate::actions::objects::prune::{self, PruneKind, PruneOptions, PrunePlan};
use crate::app::Msg;
use crate::app::objects::{Listed, ObjectView, ObjectsEffect, ObjectsMsg};
use crate::engine::Endpoint;

/// The action context of every host, by name.
fn contexts(hosts: &BTreeMap<String, HostIo>) -> Vec<ActionContext> {
    hosts.values().map(|h| h.context.clone()).collect()
}

async fn listed(endpoint: &Endpoint, view: ObjectView) -> Result<Listed, String> {
    let none = Default::default();
    let result = match view {
        ObjectView::Images => endpoint.images(&none).await.map(Listed::Images),
        ObjectView::Volumes => endpoint.volumes(&none).await.map(Listed::Volumes),
        ObjectView::Networks | ObjectView::Df => {
            endpoint.networks(&none).await.map(Listed::Networks)
        }
    };
    result.map_err(|e| e.to_string())
}

fn send(tx: &mpsc::Sender<Msg>, msg: ObjectsMsg) -> impl std::future::Future<Output = ()> + use<> {
    let tx = tx.clone();
    async move {
        let _ = tx.send(Msg::Objects(msg)).await;
    }
}

/// Carries out one effect: every daemon call on a task of its own.
pub(super) fn carry(
    effect: ObjectsEffect,
    hosts: &BTreeMap<String, HostIo>,
    tx: &mpsc::Sender<Msg>,
) {
    match effect {
        ObjectsEffect::Load { view, host } => load(view, host, hosts, tx),
        ObjectsEffect::DiskUsage => disk_usage(hosts, tx),
        ObjectsEffect::PlanPrune { kinds } => plan_prune(kinds, hosts, tx),
        ObjectsEffect::RunPrune { plans } => run_prune(plans, hosts, tx),
        ObjectsEffect::Remove {
            host,
            target,
            force,
        } => {
            let Some(ctx) = hosts.get(&host).map(|h| h.context.clone()) else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let report = ctx.remove_object(&target, force).await;
                done(&tx, report.describe(), report.result.is_err()).await;
            });
        }
        ObjectsEffect::Pull { host, reference } => {
            let Some(ctx) = hosts.get(&host).map(|h| h.context.clone()) else {
                return;
            };
            pull(ctx, reference, tx.clone());
        }
    }
}

/// The list of a view, from each host asked (all, or the one named).
fn load(
    view: ObjectView,
    host: Option<String>,
    hosts: &BTreeMap<String, HostIo>,
    tx: &mpsc::Sender<Msg>,
) {
    for ctx in contexts(hosts)
        .into_iter()
        .filter(|c| host.as_ref().is_none_or(|h| *h == c.endpoint.name))
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let result = listed(&ctx.endpoint, view).await;
            let host = ctx.endpoint.name.clone();
            send(&tx, ObjectsMsg::Listed { host, result }).await;
        });
    }
}

/// Each host's disk usage.
fn disk_usage(hosts: &BTreeMap<String, HostIo>, tx: &mpsc::Sender<Msg>) {
    for ctx in contexts(hosts) {
        let tx = tx.clone();
        tokio::spawn(async move {
            let result = ctx
                .endpoint
                .disk_usage()
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            let host = ctx.endpoint.name.clone();
            send(&tx, ObjectsMsg::Usage { host, result }).await;
        });
    }
}

/// What a prune of `kinds` would remove on every host: the preview.
fn plan_prune(kinds: Vec<PruneKind>, hosts: &BTreeMap<String, HostIo>, tx: &mpsc::Sender<Msg>) {
    let all = contexts(hosts);
    let tx = tx.clone();
    tokio::spawn(async move {
        let mut plans = Vec::new();
        for ctx in all {
            match prune::plan(&ctx.endpoint, &kinds, &PruneOptions::default()).await {
                Ok(plan) => plans.push((ctx.endpoint.name.clone(), plan)),
                Err(e) => return send(&tx, ObjectsMsg::Planned(Err(e.to_string()))).await,
            }
        }
        send(&tx, ObjectsMsg::Planned(Ok(plans))).await;
    });
}

/// The confirmed prune, host by host, in one status line.
fn run_prune(
    plans: Vec<(String, PrunePlan)>,
    hosts: &BTreeMap<String, HostIo>,
    tx: &mpsc::Sender<Msg>,
) {
    let tx = tx.clone();
    let hosts: BTreeMap<String, ActionContext> = contexts(hosts)
        .into_iter()
        .map(|c| (c.endpoint.name.clone(), c))
        .collect();
    tokio::spawn(async move {
        let mut reports = Vec::new();
        for (host, plan) in &plans {
            if let Some(ctx) = hosts.get(host) {
                reports.extend(prune::run(ctx, plan, &PruneOptions::default()).await);
            }
        }
        let failed: Vec<String> = reports
            .iter()
            .filter(|r| r.result.is_err())
            .map(|r| r.describe())
            .collect();
        let freed: u64 = reports.iter().filter_map(|r| r.freed).sum();
        for r in &reports {
            log::info!(target: LOG_TARGET, "prune: {}", r.describe());
        }
        let text = match failed.first() {
            None => format!(
                "pruned {} (freed {})",
                reports.len(),
                crate::present::bytes(freed)
            ),
            Some(first) => format!(
                "prune: {} of {} failed: {first}",
                failed.len(),
                reports.len()
            ),
        };
        send(
            &tx,
            ObjectsMsg::Done {
                is_error: !failed.is_empty(),
                text,
                done: true,
            },
        )
        .await;
    });
}

/// A pull, its progress lines in the status line as they come (best effort).
fn pull(ctx: ActionContext, reference: String, tx: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let progress_tx = tx.clone();
        let report = ctx
            .pull(&reference, |line| {
                // Progress is best effort: a full channel drops a line, never blocks.
                let _ = progress_tx.try_send(Msg::Objects(ObjectsMsg::Done {
                    text: format!("pull {reference}: {line}"),
                    is_error: false,
                    done: false,
                }));
            })
            .await;
        done(&tx, report.describe(), report.result.is_err()).await;
    });
}

/// An action's last word: logged, and in the status line.
async fn done(tx: &mpsc::Sender<Msg>, text: String, is_error: bool) {
    log::info!(target: LOG_TARGET, "{text}");
    send(
        tx,
        ObjectsMsg::Done {
            is_error,
            text,
            done: true,
        },
    )
    .await;
}
