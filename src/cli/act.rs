//! The mutating subcommands (`start`, `stop`, `restart`, `kill`, `pause`, `unpause`, `rm`):
//! resolve the targets, confirm what is destructive, run through the action layer
//! concurrently, and report each target's own outcome.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use super::output::{json_line, quiet_pipe};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::{Action, ActionReport, Outcome, Target};
use crate::config::Config;
use crate::engine::ContainerId;
use crate::engine::resolve::{ResolveError, resolve};
use crate::session::hosts::Hosts;

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Containers: full name, id, or a unique prefix of either.
    #[arg(required_unless_present = "group", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Every container of this group too (labelled by `run --group G`).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// How many containers to act on at once (default: from the config, 32).
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub common: TargetArgs,
    /// Seconds to wait after SIGTERM before SIGKILL, or a duration in whole seconds (2m)
    /// (default: from the config, 10).
    #[arg(short, long, value_name = "S", value_parser = super::parse::parse_seconds)]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    #[command(flatten)]
    pub common: TargetArgs,
    /// Signal to send (default: from the config, SIGKILL).
    #[arg(short, long, value_name = "SIG")]
    pub signal: Option<String>,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    #[command(flatten)]
    pub common: TargetArgs,
    /// Remove running containers too (killing them).
    #[arg(short, long)]
    pub force: bool,
    /// Remove the container's anonymous volumes too.
    #[arg(short, long)]
    pub volumes: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
}

/// One mutating command, whatever subcommand it came from.
#[derive(Debug)]
pub struct Request {
    pub action: Action,
    pub common: TargetArgs,
    pub yes: bool,
}

impl Request {
    pub fn start(common: TargetArgs) -> Self {
        Self {
            action: Action::Start,
            common,
            yes: true,
        }
    }
    pub fn pause(common: TargetArgs) -> Self {
        Self {
            action: Action::Pause,
            common,
            yes: true,
        }
    }
    pub fn unpause(common: TargetArgs) -> Self {
        Self {
            action: Action::Unpause,
            common,
            yes: true,
        }
    }
    pub fn stop(args: StopArgs, config: &Config) -> Self {
        let timeout_s = args.timeout.unwrap_or(config.actions.stop_timeout_s);
        Self {
            action: Action::Stop { timeout_s },
            common: args.common,
            yes: true,
        }
    }
    pub fn restart(args: StopArgs, config: &Config) -> Self {
        let timeout_s = args.timeout.unwrap_or(config.actions.stop_timeout_s);
        Self {
            action: Action::Restart { timeout_s },
            common: args.common,
            yes: true,
        }
    }
    pub fn kill(args: KillArgs, config: &Config) -> Self {
        let signal = args
            .signal
            .unwrap_or_else(|| config.actions.kill_signal.clone());
        Self {
            action: Action::Kill { signal },
            common: args.common,
            yes: args.yes,
        }
    }
    pub fn remove(args: RmArgs) -> Self {
        Self {
            action: Action::Remove {
                force: args.force,
                volumes: args.volumes,
            },
            common: args.common,
            yes: args.yes,
        }
    }
}

/// Asks on the terminal; anything but y/yes is no. The question names containers (and
/// networks, volumes): it is made safe for the terminal.
pub(super) fn ask(question: &str) -> Result<bool, CliError> {
    let mut err = std::io::stderr().lock();
    write!(err, "{} [y/N] ", crate::sanitize::printable(question))?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Each target with the name of the host it is on.
type OnHost = Vec<(String, Target)>;

pub async fn run(request: Request, globals: &Globals) -> Result<Exit, CliError> {
    let Request {
        action,
        common,
        yes,
    } = request;
    let mut hosts = globals.connect_all().await?;
    let fleet: Vec<crate::engine::Container> = hosts
        .each(|endpoint| async move { endpoint.list(&Default::default()).await })
        .await?
        .into_iter()
        .flatten()
        .collect();
    hosts.report_down()?;

    let (mut targets, gone) = resolve_targets(&fleet, &common.targets, &action)?;
    if let Some(group) = &common.group {
        add_group(&mut hosts, group, common.targets.is_empty(), &mut targets).await?;
    }
    let several = hosts.several();
    // Stopping, killing or removing a Swarm task's container: the swarm replaces it.
    let warnings = task_warnings(&fleet, &targets, &action);
    for warning in warnings.values() {
        super::output::warn(format_args!("warning: {warning}"));
    }
    if action.is_destructive() && !yes && !globals.read_only && !targets.is_empty() {
        let names = shown_names(&targets, several);
        if !confirmed(&action, &names)? {
            eprintln!("nothing done");
            return Ok(Exit::Usage);
        }
    }
    let parallel = common
        .parallel
        .unwrap_or(globals.config.actions.parallelism);
    let mut reports = execute(&hosts, globals, &action, &targets, parallel).await;
    reports.extend(gone.into_iter().map(|target| ActionReport {
        host: String::new(),
        target,
        action: action.clone(),
        result: Ok(Outcome::AlreadyGone),
        duration: std::time::Duration::ZERO,
        audit_error: None,
    }));
    write_reports(&reports, common.output.json, several, &warnings)?;
    for r in &reports {
        if let Some(e) = &r.audit_error {
            super::output::warn(format_args!("{} {}: {e}", action.verb(), r.target.name));
        }
    }
    Ok(hosts.exit(exit_of(&reports, globals.read_only)))
}

/// Resolves every target before acting on any: a typo stops the whole command. Removing what
/// does not exist is already done: those come back apart (`gone`).
fn resolve_targets(
    fleet: &[crate::engine::Container],
    queries: &[String],
    action: &Action,
) -> Result<(OnHost, Vec<Target>), CliError> {
    let mut targets: OnHost = Vec::new();
    let mut gone: Vec<Target> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for query in queries {
        match resolve(fleet, query) {
            Ok(c) => {
                if !targets.iter().any(|(h, t)| t.id == c.id && *h == c.host) {
                    let target = Target {
                        id: c.id.clone(),
                        name: c.name.clone(),
                    };
                    targets.push((c.host.clone(), target));
                }
            }
            Err(ResolveError::Unknown { query, .. }) if matches!(action, Action::Remove { .. }) => {
                gone.push(Target {
                    id: ContainerId(String::new()),
                    name: query,
                });
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(CliError::Usage(errors.join("\n")));
    }
    Ok((targets, gone))
}

/// Adds the members of `--group` on every host (once each); says so when the group has none
/// and no target was named either.
async fn add_group(
    hosts: &mut Hosts,
    group: &str,
    none_named: bool,
    targets: &mut OnHost,
) -> Result<(), CliError> {
    let per_host = hosts
        .each(|endpoint| async move {
            let members = crate::actions::group_targets(&endpoint, group).await?;
            Ok((endpoint.name.clone(), members))
        })
        .await?;
    let mut none = true;
    for (host, members) in per_host {
        for t in members {
            none = false;
            if !targets.iter().any(|(h, k)| k.id == t.id && *h == host) {
                targets.push((host.clone(), t));
            }
        }
    }
    if none && none_named {
        eprintln!("fleetdeck: no containers in group {group}");
    }
    Ok(())
}

/// The targets' names as the question shows them (`name@host` with several hosts).
fn shown_names(targets: &OnHost, several: bool) -> Vec<String> {
    targets
        .iter()
        .map(|(h, t)| {
            if several {
                format!("{}@{h}", t.name)
            } else {
                t.name.clone()
            }
        })
        .collect()
}

/// Asks before a destructive action; without a terminal to ask on, refuses.
fn confirmed(action: &Action, names: &[String]) -> Result<bool, CliError> {
    let question = format!(
        "{} {} container{}: {}?",
        action.verb(),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to {} without --yes: stdin is not a terminal to ask on ({})",
            action.verb(),
            names.join(", ")
        )));
    }
    ask(&question)
}

/// Runs the action: each host's targets go to that host, every host at once.
async fn execute(
    hosts: &Hosts,
    globals: &Globals,
    action: &Action,
    targets: &OnHost,
    parallel: usize,
) -> Vec<ActionReport> {
    let per_host = hosts.up.iter().map(|endpoint| {
        let mine: Vec<Target> = targets
            .iter()
            .filter(|(h, _)| *h == endpoint.name)
            .map(|(_, t)| t.clone())
            .collect();
        let context = globals.action_context(endpoint.clone());
        async move { context.execute_many(action, &mine, parallel).await }
    });
    futures_util::future::join_all(per_host)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The warning of each target that is a Swarm task's container (by container id), when
/// `action` stops, kills or removes it.
fn task_warnings(
    fleet: &[crate::engine::Container],
    targets: &OnHost,
    action: &Action,
) -> BTreeMap<ContainerId, String> {
    if !matches!(
        action,
        Action::Stop { .. } | Action::Kill { .. } | Action::Remove { .. }
    ) {
        return BTreeMap::new();
    }
    targets
        .iter()
        .filter_map(|(host, t)| {
            let c = fleet.iter().find(|c| c.id == t.id && c.host == *host)?;
            let service = crate::engine::swarm::task_service(&c.labels)?;
            Some((
                t.id.clone(),
                crate::engine::swarm::task_warning(&t.name, service),
            ))
        })
        .collect()
}

/// One line per report (`ok  ` or `FAIL`, the host with several), or one JSON array (a
/// Swarm task's report with its `warning`).
fn write_reports(
    reports: &[ActionReport],
    json: bool,
    several: bool,
    warnings: &BTreeMap<ContainerId, String>,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        let json: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| {
                let mut value = r.to_json();
                if let (Some(warning), Some(object)) =
                    (warnings.get(&r.target.id), value.as_object_mut())
                {
                    object.insert("warning".into(), warning.clone().into());
                }
                value
            })
            .collect();
        json_line(&mut out, &json)
    } else {
        reports.iter().try_for_each(|r| {
            let mark = if r.result.is_ok() { "ok  " } else { "FAIL" };
            let on = if several && !r.host.is_empty() {
                format!("[{}] ", r.host)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{mark} {on}{}",
                crate::sanitize::printable(&r.describe())
            )
        })
    };
    Ok(quiet_pipe(written.and_then(|()| out.flush()))?)
}

/// The exit status: read-only refused, a host unreachable, something failed, or success.
fn exit_of(reports: &[ActionReport], read_only: bool) -> Exit {
    let failed: Vec<&ActionReport> = reports.iter().filter(|r| r.result.is_err()).collect();
    if read_only && !reports.is_empty() {
        Exit::ReadOnly
    } else if failed
        .iter()
        .any(|r| r.result.as_ref().is_err_and(|e| e.is_unreachable()))
    {
        Exit::Unreachable
    } else if !failed.is_empty() || reports.iter().any(|r| r.audit_error.is_some()) {
        Exit::SomeFailed
    } else {
        Exit::Success
    }
}
