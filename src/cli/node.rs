//! `fleetdeck node ls|drain|pause|activate|promote|demote`: a swarm's nodes, headless, asked
//! of the first host that is a swarm manager; the changes go through the action layer
//! ([`super::swarm_act`]).

use std::io::Write;

use clap::{Args, Subcommand};

use super::output::{json_line, quiet_pipe, table};
use super::swarm_act::NodeActArgs;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::swarm::{Availability, NodeAction};

#[derive(Debug, Args)]
pub struct NodeArgs {
    #[command(subcommand)]
    pub command: NodeCommand,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// List nodes: hostname, role, availability, status, manager status, engine, tasks.
    #[command(visible_alias = "list")]
    Ls(NodeLsArgs),
    /// Drain nodes: the manager moves every task elsewhere and places none there.
    Drain(NodeActArgs),
    /// Pause nodes: their tasks stay, no new ones are placed there.
    Pause(NodeActArgs),
    /// Make nodes active again (tasks may be placed there).
    Activate(NodeActArgs),
    /// Make workers managers.
    Promote(NodeActArgs),
    /// Make managers workers.
    Demote(NodeActArgs),
}

#[derive(Debug, Args)]
pub struct NodeLsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: NodeArgs, globals: &Globals) -> Result<Exit, CliError> {
    let availability = |availability| NodeAction::Availability { availability };
    let (action, args) = match args.command {
        NodeCommand::Ls(args) => return ls(args, globals).await,
        NodeCommand::Drain(args) => (availability(Availability::Drain), args),
        NodeCommand::Pause(args) => (availability(Availability::Pause), args),
        NodeCommand::Activate(args) => (availability(Availability::Active), args),
        NodeCommand::Promote(args) => (NodeAction::Promote, args),
        NodeCommand::Demote(args) => (NodeAction::Demote, args),
    };
    super::swarm_act::nodes(action, args, globals).await
}

async fn ls(args: NodeLsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (manager, info) = hosts.swarm_manager().await?;
    let nodes = manager.nodes_with_tasks().await?;
    let mut out = std::io::stdout().lock();
    let written = if args.output.json {
        json_line(&mut out, &nodes)
    } else {
        let rows: Vec<Vec<String>> = nodes
            .iter()
            .map(|n| {
                let me = if n.id == info.node_id { " *" } else { "" };
                vec![
                    format!("{}{me}", n.id.chars().take(12).collect::<String>()),
                    n.hostname.clone(),
                    n.role.clone(),
                    n.status.clone(),
                    n.availability.clone(),
                    n.manager_status.clone(),
                    n.engine.clone(),
                    n.tasks_running.map(|t| t.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let header = [
            "ID",
            "HOSTNAME",
            "ROLE",
            "STATUS",
            "AVAILABILITY",
            "MANAGER",
            "ENGINE",
            "TASKS",
        ];
        table(&mut out, &header, &rows)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}
