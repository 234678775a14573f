//! The Swarm changes, headless: `service scale|update|rollback|rm` and `node
//! drain|pause|activate|promote|demote`. Each goes to the first manager among the hosts,
//! through the action layer (audited, refused under `--read-only`); every one accepts
//! `--yes`, and only `service rm` refuses without it when stdin is not a terminal (exit 2).
//! A change exits 0 once the manager accepted the new spec; `--wait` follows the rollout to
//! its end (exit 1 when the update paused or was rolled back, or on `--wait-timeout`).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::act::ask;
use super::output::{json_line, quiet_pipe, warn};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::ActionError;
use crate::actions::compose::Mutation;
use crate::actions::swarm::{NodeAction, ServiceAction, SwarmOutcome};
use crate::engine::Endpoint;
use crate::engine::swarm::rollout::{Change, Rollout, rollout};

/// How often `--wait` reads the service again: often while a short change (a scale) may be
/// ending, then at an easier pace (#21's figures: a 500 ms pace from the start added up to half
/// a second to a scale that converged in 0.5 s).
const WAIT_POLL_FIRST: Duration = Duration::from_millis(100);
const WAIT_FIRST_FOR: Duration = Duration::from_secs(5);
const WAIT_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Args)]
pub struct ActArgs {
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// Follow the rollout to its end: exit 0 once every desired task runs the new spec, 1 when
    /// the update paused or was rolled back.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long (exit 1).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse, default_value = "10m")]
    pub wait_timeout: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct NodeActArgs {
    /// Nodes: hostname or id.
    #[arg(required = true, value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Do not ask for confirmation (accepted for scripts: node changes never ask headless).
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One service change asked for.
#[derive(Debug)]
pub struct ServiceRequest {
    pub service: String,
    pub action: ServiceAction,
}

impl ServiceRequest {
    pub fn new(service: impl Into<String>, action: ServiceAction) -> Self {
        Self {
            service: service.into(),
            action,
        }
    }
}

/// How a `--wait` ended.
#[derive(Debug, Serialize)]
struct Waited {
    /// `done`, `failed`, `timed_out`.
    state: &'static str,
    message: Option<String>,
    running: u64,
    desired: u64,
    waited_ms: u64,
}

/// One change's report, for people and `--json`.
#[derive(Debug, Serialize)]
struct Report {
    target: String,
    action: &'static str,
    ok: bool,
    outcome: Option<&'static str>,
    id: Option<String>,
    warnings: Vec<String>,
    error: Option<String>,
    duration_ms: u64,
    audit_error: Option<String>,
    rollout: Option<Waited>,
    #[serde(skip)]
    read_only: bool,
    #[serde(skip)]
    unreachable: bool,
}

impl Report {
    fn of(target: &str, verb: &'static str, done: Mutation<SwarmOutcome>, took: Duration) -> Self {
        let (outcome, error) = match done.result {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            target: target.to_string(),
            action: verb,
            ok: error.is_none(),
            outcome: outcome.as_ref().map(|o| o.outcome),
            id: outcome.as_ref().map(|o| o.id.clone()),
            warnings: outcome.map(|o| o.warnings).unwrap_or_default(),
            read_only: matches!(error, Some(ActionError::ReadOnly { .. })),
            unreachable: error.as_ref().is_some_and(ActionError::is_unreachable),
            error: error.map(|e| e.to_string()),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            audit_error: done.audit_error,
            rollout: None,
        }
    }

    fn line(&self) -> String {
        let secs = self.duration_ms as f64 / 1000.0;
        let mark = if self.ok && self.rollout.as_ref().is_none_or(|w| w.state == "done") {
            "ok  "
        } else {
            "FAIL"
        };
        let what = match (&self.error, self.outcome) {
            (Some(e), _) => e.clone(),
            (None, Some(o)) => format!("{}: {}", self.target, o.replace('_', " ")),
            (None, None) => self.target.clone(),
        };
        let rollout = match &self.rollout {
            Some(w) => {
                let message = w
                    .message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                format!(
                    "; rollout {} {}/{}{message} after {:.1} s",
                    w.state.replace('_', " "),
                    w.running,
                    w.desired,
                    w.waited_ms as f64 / 1000.0
                )
            }
            None => String::new(),
        };
        format!("{mark} {what} ({secs:.1} s){rollout}")
    }

    fn failed(&self) -> bool {
        !self.ok || self.rollout.as_ref().is_some_and(|w| w.state != "done")
    }
}

/// Asks before removing services; without a terminal to ask on, refuses (exit 2).
fn confirm_removal(names: &[&str]) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to remove {} without --yes: stdin is not a terminal to ask on",
            names.join(", ")
        )));
    }
    let plural = if names.len() == 1 { "" } else { "s" };
    ask(&format!(
        "remove {} service{plural} (and every task): {}?",
        names.len(),
        names.join(", ")
    ))
}

/// Carries out `requests` in turn on the manager.
pub async fn services(
    requests: Vec<ServiceRequest>,
    args: ActArgs,
    globals: &Globals,
) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (manager, _) = hosts.swarm_manager().await?;
    let mut unknown = Vec::new();
    // When each service's last update had begun, before this change (for --wait).
    let mut before = Vec::new();
    for r in &requests {
        let row = manager.service(&r.service).await?;
        if r.action != ServiceAction::Remove && row.is_none() {
            unknown.push(format!("no such service: {}", r.service));
        }
        before.push(row.and_then(|row| row.update_started));
    }
    if !unknown.is_empty() {
        return Err(CliError::Usage(unknown.join("\n")));
    }
    let removals: Vec<&str> = requests
        .iter()
        .filter(|r| r.action.is_destructive())
        .map(|r| r.service.as_str())
        .collect();
    if !removals.is_empty() && !args.yes && !globals.read_only && !confirm_removal(&removals)? {
        eprintln!("nothing done");
        return Ok(Exit::Usage);
    }
    let context = globals.action_context(manager.clone());
    let mut reports = Vec::new();
    for (r, before) in requests.iter().zip(before) {
        let started = Instant::now();
        let done = context.service_action(&r.service, &r.action).await;
        let mut report = Report::of(&r.service, r.action.verb(), done, started.elapsed());
        let change = match r.action {
            ServiceAction::Scale { .. } => Some(Change::Scale),
            ServiceAction::UpdateImage { .. } | ServiceAction::ForceRestart => Some(Change::Update),
            ServiceAction::Rollback => Some(Change::Rollback),
            ServiceAction::Remove => None,
        };
        if let (true, true, Some(change)) = (args.wait, report.ok, change) {
            let wait = Wait {
                change,
                before,
                bound: args.wait_timeout,
                quiet: args.output.json,
            };
            report.rollout = Some(wait_rollout(&manager, &r.service, wait).await?);
        }
        reports.push(report);
    }
    write(&reports, args.output.json)?;
    Ok(hosts.exit(exit_of(&reports)))
}

/// Carries out `action` on every node of `args` in turn.
pub async fn nodes(
    action: NodeAction,
    args: NodeActArgs,
    globals: &Globals,
) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (manager, _) = hosts.swarm_manager().await?;
    let known = manager.nodes().await?;
    let unknown: Vec<String> = args
        .nodes
        .iter()
        .filter(|n| {
            !known
                .iter()
                .any(|k| k.hostname == **n || k.id.starts_with(n.as_str()))
        })
        .map(|n| format!("no such node: {n}"))
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Usage(unknown.join("\n")));
    }
    let context = globals.action_context(manager);
    let mut reports = Vec::new();
    for node in &args.nodes {
        let started = Instant::now();
        let done = context.node_action(node, &action).await;
        reports.push(Report::of(node, action.verb(), done, started.elapsed()));
    }
    write(&reports, args.output.json)?;
    Ok(hosts.exit(exit_of(&reports)))
}

/// What `--wait` waits for.
struct Wait {
    change: Change,
    /// When the service's last update had begun before the change.
    before: Option<chrono::DateTime<chrono::Utc>>,
    bound: Duration,
    /// No progress on stderr.
    quiet: bool,
}

/// Reads the service every [`WAIT_POLL_FIRST`], after [`WAIT_FIRST_FOR`] every [`WAIT_POLL`], until its rollout ends or the bound passes; says
/// each new `running/desired` on stderr unless quiet.
async fn wait_rollout(manager: &Endpoint, service: &str, wait: Wait) -> Result<Waited, CliError> {
    let Wait {
        change,
        before,
        bound,
        quiet,
    } = wait;
    let started = Instant::now();
    let mut shown = String::new();
    loop {
        let row = manager
            .service(service)
            .await?
            .ok_or_else(|| CliError::Usage(format!("service {service} is gone")))?;
        let now = format!("{}/{}", row.running, row.desired);
        if !quiet && now != shown {
            warn(format_args!("{service}: {now} running"));
            shown = now;
        }
        let waited_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let waited = |state, message| Waited {
            state,
            message,
            running: row.running,
            desired: row.desired,
            waited_ms,
        };
        match rollout(&row, change, before) {
            Rollout::Done => return Ok(waited("done", None)),
            Rollout::Failed(why) => return Ok(waited("failed", Some(why))),
            Rollout::Converging if started.elapsed() >= bound => {
                return Ok(waited("timed_out", row.update_message.clone()));
            }
            Rollout::Converging if started.elapsed() < WAIT_FIRST_FOR => {
                tokio::time::sleep(WAIT_POLL_FIRST).await;
            }
            Rollout::Converging => tokio::time::sleep(WAIT_POLL).await,
        }
    }
}

fn write(reports: &[Report], json: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        json_line(&mut out, &reports)
    } else {
        reports
            .iter()
            .try_for_each(|r| writeln!(out, "{}", crate::sanitize::printable(&r.line())))
    };
    for r in reports {
        for w in &r.warnings {
            warn(format_args!("{}: {w}", r.target));
        }
        if let Some(e) = &r.audit_error {
            warn(format_args!("{} {}: {e}", r.action, r.target));
        }
    }
    Ok(quiet_pipe(written.and_then(|()| out.flush()))?)
}

fn exit_of(reports: &[Report]) -> Exit {
    if reports.iter().any(|r| r.read_only) {
        Exit::ReadOnly
    } else if reports.iter().any(|r| r.unreachable) {
        Exit::Unreachable
    } else if reports
        .iter()
        .any(|r| r.failed() || r.audit_error.is_some())
    {
        Exit::SomeFailed
    } else {
        Exit::Success
    }
}

/// The Swarm problems of every swarm among `hosts`, each asked of its first manager (a swarm
/// named twice through two managers is read once), with the manager's host name. A manager
/// that does not answer is a warning: the containers' triage stands.
pub async fn swarm_triage(
    hosts: &crate::session::hosts::Hosts,
    thresholds: &crate::triage::Thresholds,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, crate::triage::Problem)> {
    let mut clusters: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for endpoint in &hosts.up {
        let info = match endpoint.swarm_info().await {
            Ok(info) if info.manager => info,
            _ => continue,
        };
        if clusters.contains(&info.cluster_id) {
            continue;
        }
        clusters.push(info.cluster_id);
        match crate::triage::swarm::gather(endpoint, thresholds, now).await {
            Ok(problems) => {
                found.extend(problems.into_iter().map(|p| (endpoint.name.clone(), p)));
            }
            Err(e) => warn(format_args!("swarm triage: {e}")),
        }
    }
    found
}
