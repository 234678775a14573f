//! `fleetdeck service ls|ps|scale|update|rollback|rm|logs`: a swarm's services, headless,
//! docker-shaped, asked of the first host that is a swarm manager. `ls` and `ps` read; the
//! others change the service through the action layer ([`super::swarm_act`]); `logs` merges
//! every task's output ([`super::service_logs`]).

use std::io::Write;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::output::{json_line, quiet_pipe, table};
use super::swarm_act::{ActArgs, ServiceRequest};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::swarm::ServiceAction;
use crate::engine::swarm::TaskRow;
use crate::present::{ago, short_duration};

#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(subcommand)]
    pub command: ServiceCommand,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// List services: name, stack, mode, running/desired replicas, image, ports, update state.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// List a service's tasks (each slot's history under it): node, desired and current
    /// state, error, exit code.
    Ps(PsArgs),
    /// Set replicas: `service scale web=6 [api=2 ...]`. Exit 0 once the manager accepted the
    /// new spec; --wait follows the rollout.
    Scale(ScaleArgs),
    /// Update a service's image (`--image REF`) or replace every task (`--force`).
    Update(UpdateArgs),
    /// Roll a service back to its previous spec.
    Rollback(ServiceActArgs),
    /// Remove services. Asks first, or needs --yes (refused without it when stdin is not a
    /// terminal, exit 2).
    Rm(RmArgs),
    /// Every task's logs merged by time, each line under `task@node`; -f to follow.
    Logs(super::service_logs::ServiceLogsArgs),
}

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// The service: name or id.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Only the tasks the swarm wants running (no history).
    #[arg(long)]
    pub running: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// `SERVICE=REPLICAS`, one or more.
    #[arg(required = true, value_name = "SERVICE=N")]
    pub scales: Vec<String>,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The service: name or id.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The new image (a rolling update, per the service's update config).
    #[arg(long, value_name = "REF", required_unless_present = "force")]
    pub image: Option<String>,
    /// Replace every task even if nothing else changed (a rolling restart).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, Args)]
pub struct ServiceActArgs {
    /// The service: name or id.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Services: names or ids.
    #[arg(required = true, value_name = "SERVICE")]
    pub services: Vec<String>,
    #[command(flatten)]
    pub act: ActArgs,
}

pub async fn run(args: ServiceArgs, globals: &Globals) -> Result<Exit, CliError> {
    match args.command {
        ServiceCommand::Ls(args) => ls(args, globals).await,
        ServiceCommand::Ps(args) => ps(args, globals).await,
        ServiceCommand::Logs(args) => super::service_logs::run(args, globals).await,
        ServiceCommand::Scale(args) => {
            let mut requests = Vec::new();
            for scale in &args.scales {
                let (name, n) = parse_scale(scale)?;
                requests.push(ServiceRequest::new(
                    name,
                    ServiceAction::Scale { replicas: n },
                ));
            }
            super::swarm_act::services(requests, args.act, globals).await
        }
        ServiceCommand::Update(args) => {
            let mut requests = Vec::new();
            if let Some(image) = args.image {
                let action = ServiceAction::UpdateImage { image };
                requests.push(ServiceRequest::new(args.service.clone(), action));
            }
            if args.force {
                requests.push(ServiceRequest::new(
                    args.service,
                    ServiceAction::ForceRestart,
                ));
            }
            super::swarm_act::services(requests, args.act, globals).await
        }
        ServiceCommand::Rollback(args) => {
            let request = ServiceRequest::new(args.service, ServiceAction::Rollback);
            super::swarm_act::services(vec![request], args.act, globals).await
        }
        ServiceCommand::Rm(args) => {
            let requests = args
                .services
                .into_iter()
                .map(|s| ServiceRequest::new(s, ServiceAction::Remove))
                .collect();
            super::swarm_act::services(requests, args.act, globals).await
        }
    }
}

/// `web=6` → (`web`, 6).
pub fn parse_scale(text: &str) -> Result<(String, u64), CliError> {
    let bad = || {
        CliError::Usage(format!(
            "bad scale '{text}': expected SERVICE=REPLICAS (e.g. web=6)"
        ))
    };
    let (name, n) = text.split_once('=').ok_or_else(bad)?;
    if name.is_empty() {
        return Err(bad());
    }
    let n = n.trim().parse::<u64>().map_err(|_| bad())?;
    Ok((name.to_string(), n))
}

async fn ls(args: LsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (manager, _) = hosts.swarm_manager().await?;
    let services = manager.services().await?;
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        json_line(&mut out, &services)
    } else {
        let now = Utc::now();
        let rows: Vec<Vec<String>> = services
            .iter()
            .map(|s| {
                vec![
                    s.id.chars().take(12).collect(),
                    s.name.clone(),
                    s.stack.clone().unwrap_or_default(),
                    s.mode.clone(),
                    s.replicas_text(),
                    s.image.clone(),
                    s.ports.join(", "),
                    s.update_state.clone().unwrap_or_default(),
                    s.created
                        .map(|t| short_duration((now - t).num_seconds()))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        let header = [
            "ID", "NAME", "STACK", "MODE", "REPLICAS", "IMAGE", "PORTS", "UPDATE", "AGE",
        ];
        table(&mut out, &header, &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}

async fn ps(args: PsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (manager, _) = hosts.swarm_manager().await?;
    let service = manager
        .service(&args.service)
        .await?
        .ok_or_else(|| CliError::Usage(format!("no such service: {}", args.service)))?;
    let nodes = manager.nodes().await?;
    let mut tasks = manager.service_tasks(&service, &nodes).await?;
    if args.running {
        tasks.retain(TaskRow::wanted);
    }
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        json_line(&mut out, &tasks)
    } else {
        table(&mut out, &TASK_HEADER, &task_rows(&tasks, Utc::now()))
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}

const TASK_HEADER: [&str; 8] = [
    "ID", "NAME", "IMAGE", "NODE", "DESIRED", "CURRENT", "ERROR", "EXIT",
];

/// The table of `service ps`: a slot's older tasks under its newest, as `\_ web.1`.
fn task_rows(tasks: &[TaskRow], now: chrono::DateTime<Utc>) -> Vec<Vec<String>> {
    let mut previous: Option<&str> = None;
    tasks
        .iter()
        .map(|t| {
            let name = if previous == Some(t.name.as_str()) {
                format!(" \\_ {}", t.name)
            } else {
                t.name.clone()
            };
            previous = Some(t.name.as_str());
            let current = match t.since {
                Some(since) => format!("{} {}", t.state, ago(since, now)),
                None => t.state.clone(),
            };
            vec![
                t.id.chars().take(12).collect(),
                name,
                t.image.clone(),
                t.node.clone(),
                t.desired_state.clone(),
                current,
                t.error.clone().unwrap_or_default(),
                t.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse() {
        assert_eq!(parse_scale("web=6").ok(), Some(("web".to_string(), 6)));
        assert!(parse_scale("web").is_err());
        assert!(parse_scale("=3").is_err());
        assert!(parse_scale("web=-1").is_err());
    }
}
