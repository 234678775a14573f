//! `fleetdeck images|volumes|networks [--filter K=V] [--json]`: the host's other objects, with
//! who uses each, from every host (a HOST column with several). `images` lists what
//! `docker images -a` lists, intermediate images included. One list call of the objects and
//! one of the containers per host; the disk-usage call is `fleetdeck df`'s.

use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe, table, with_host};
use super::ps::parse_filters;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::objects::{ImageRow, NetworkRow, VolumeRow};
use crate::present::bytes;

/// Which objects a listing is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Images,
    Volumes,
    Networks,
}

#[derive(Debug, Args)]
pub struct ObjectsArgs {
    /// Docker filter KEY=VALUE (label=, dangling=, name=, driver=, ...); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The JSON row of an image: `id`, `tags`, `size`, `dangling`, `containers` and the rest.
fn image_json(host: &str, i: &ImageRow) -> serde_json::Value {
    with_host(host, i)
}

fn created(seconds: i64, now: DateTime<Utc>) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(|| "-".into(), |t| crate::present::ago(t, now))
}

fn image_cells(i: &ImageRow, now: DateTime<Utc>) -> Vec<String> {
    vec![
        i.name().to_string(),
        i.short_id().to_string(),
        bytes(i.size),
        created(i.created, now),
        i.containers.to_string(),
        if i.dangling {
            "dangling"
        } else if i.intermediate {
            "intermediate"
        } else {
            ""
        }
        .to_string(),
    ]
}

fn volume_cells(v: &VolumeRow) -> Vec<String> {
    vec![
        v.name.clone(),
        v.driver.clone(),
        v.containers.to_string(),
        if v.anonymous { "anonymous" } else { "named" }.to_string(),
    ]
}

fn network_cells(n: &NetworkRow) -> Vec<String> {
    vec![
        n.name.clone(),
        n.driver.clone(),
        n.scope.clone(),
        n.subnet.clone().unwrap_or_default(),
        n.gateway.clone().unwrap_or_default(),
        n.containers.to_string(),
        if n.internal { "internal" } else { "" }.to_string(),
    ]
}

/// One host's rows, as JSON values and as table cells.
type Rows = (Vec<serde_json::Value>, Vec<Vec<String>>);

pub async fn run(listing: Listing, args: ObjectsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let filters = parse_filters(&args.filter)?;
    let mut hosts = globals.connect_all().await?;
    let now = Utc::now();
    let filters = &filters;
    let per_host: Vec<Rows> = hosts
        .each(|endpoint| async move {
            let host = endpoint.name.as_str();
            Ok(match listing {
                Listing::Images => {
                    let rows = endpoint.images(filters).await?;
                    (
                        rows.iter().map(|i| image_json(host, i)).collect(),
                        rows.iter()
                            .map(|i| with(host, image_cells(i, now)))
                            .collect(),
                    )
                }
                Listing::Volumes => {
                    let rows = endpoint.volumes(filters).await?;
                    (
                        rows.iter().map(|v| with_host(host, v)).collect(),
                        rows.iter().map(|v| with(host, volume_cells(v))).collect(),
                    )
                }
                Listing::Networks => {
                    let rows = endpoint.networks(filters).await?;
                    (
                        rows.iter().map(|n| with_host(host, n)).collect(),
                        rows.iter().map(|n| with(host, network_cells(n))).collect(),
                    )
                }
            })
        })
        .await?;
    hosts.report_down()?;
    let several = hosts.several();
    let (json, cells): (Vec<_>, Vec<_>) = per_host.into_iter().unzip();
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        let rows: Vec<serde_json::Value> = json.into_iter().flatten().collect();
        json_line(&mut out, &rows)
    } else {
        let headers: &[&str] = match listing {
            Listing::Images => &[
                "HOST",
                "IMAGE",
                "ID",
                "SIZE",
                "CREATED",
                "CONTAINERS",
                "DANGLING",
            ],
            Listing::Volumes => &["HOST", "VOLUME", "DRIVER", "CONTAINERS", "KIND"],
            Listing::Networks => &[
                "HOST",
                "NETWORK",
                "DRIVER",
                "SCOPE",
                "SUBNET",
                "GATEWAY",
                "CONTAINERS",
                "INTERNAL",
            ],
        };
        let rows: Vec<Vec<String>> = cells
            .into_iter()
            .flatten()
            .map(|row| row.into_iter().skip(usize::from(!several)).collect())
            .collect();
        table(&mut out, &headers[usize::from(!several)..], &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}

/// `cells` after the host's name.
fn with(host: &str, cells: Vec<String>) -> Vec<String> {
    let mut row = vec![host.to_string()];
    row.extend(cells);
    row
}
