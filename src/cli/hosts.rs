//! `fleetdeck hosts`: the hosts this run talks to, where each was named (or found: a Podman
//! socket when no Docker daemon answers), whether it answers, and which engine it is (Docker,
//! Podman, with versions, from its `/version`). Exit 3 when a host does not answer.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::{EngineError, EngineInfo};

#[derive(Debug, Args)]
pub struct HostsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One row of `hosts --json`.
#[derive(Debug, Serialize)]
pub struct HostRow {
    pub name: String,
    pub url: String,
    /// Where the host was named: `--host`, `DOCKER_HOST`, `context NAME`, `config`,
    /// `default`, or the Podman socket found when no Docker daemon answered.
    pub origin: String,
    pub reachable: bool,
    /// The engine, once it answered.
    pub engine: Option<EngineInfo>,
    /// Why it could not be reached.
    pub error: Option<String>,
}

pub async fn run(args: HostsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let specs = globals.host_specs()?;
    let hosts = globals.connect_specs(&specs).await?;
    let origin_of = |name: &str| {
        specs
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.origin.clone())
            .unwrap_or_default()
    };
    let mut rows: Vec<HostRow> = hosts
        .up
        .iter()
        .map(|e| HostRow {
            name: e.name.clone(),
            url: e.address.clone(),
            origin: e.spec.origin.clone(),
            reachable: true,
            engine: e.engine(),
            error: None,
        })
        .collect();
    rows.extend(hosts.down.iter().map(|e| {
        let (url, error) = match e {
            EngineError::Unreachable {
                endpoint, cause, ..
            } => (endpoint.clone(), cause.clone()),
            EngineError::Daemon { endpoint, .. } => (endpoint.clone(), e.to_string()),
        };
        HostRow {
            name: e.host().to_string(),
            url,
            origin: origin_of(e.host()),
            reachable: false,
            engine: None,
            error: Some(error),
        }
    }));
    let order = |name: &str| specs.iter().position(|s| s.name == name);
    rows.sort_by_key(|r| order(&r.name));
    let mut out = std::io::stdout().lock();
    let result = if args.output.json {
        json_line(&mut out, &rows)
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.url.clone(),
                    r.engine
                        .as_ref()
                        .map_or_else(|| "-".to_string(), EngineInfo::short),
                    r.engine
                        .as_ref()
                        .map_or_else(|| "-".to_string(), |e| e.api_version.clone()),
                    match &r.error {
                        Some(why) => format!("unreachable: {why}"),
                        None => "ok".to_string(),
                    },
                    r.origin.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["HOST", "URL", "ENGINE", "API", "STATE", "NAMED BY"],
            &cells,
        )
    };
    quiet_pipe(result.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}
