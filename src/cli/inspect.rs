//! `fleetdeck inspect`: one container, readable, secrets masked.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::detail::ContainerDetail;
use crate::present::{bytes, status_text};
use crate::sanitize::printable;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Container name, id, or a unique prefix of either.
    pub target: String,
    /// Show the values of secret-looking environment variables.
    #[arg(long)]
    pub reveal: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: InspectArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let (endpoint, target) = hosts.resolve_one(&args.target).await?;
    let inspect = endpoint.inspect(&target.id.0).await?.ok_or_else(|| {
        CliError::Usage(format!(
            "cannot inspect '{}': it was removed meanwhile",
            target.name
        ))
    })?;
    let mut detail = ContainerDetail::from_inspect(&inspect, args.reveal)
        .ok_or_else(|| CliError::Usage(format!("cannot inspect '{}': no id", target.name)))?;
    detail.container.host.clone_from(&endpoint.name);
    let mut out = std::io::stdout().lock();
    let result = if args.output.json {
        json_line(&mut out, &detail)
    } else {
        write_human(&mut out, &detail)
    };
    quiet_pipe(result.and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}

/// Writes one `key  value` line, the value made safe for the terminal: everything in it came
/// from the daemon (and most of it from the container's own configuration).
fn field(out: &mut impl Write, key: &str, value: impl std::fmt::Display) -> std::io::Result<()> {
    writeln!(out, "{key:<12}{}", printable(&value.to_string()))
}

fn write_human(out: &mut impl Write, d: &ContainerDetail) -> std::io::Result<()> {
    let c = &d.container;
    field(out, "name", &c.name)?;
    field(out, "host", &c.host)?;
    field(out, "id", &c.id)?;
    field(out, "image", &c.image)?;
    field(out, "state", status_text(c, Utc::now()))?;
    if let Some(exit) = &d.exit {
        field(out, "last exit", exit)?;
    }
    if let Some(err) = &d.error {
        field(out, "error", err)?;
    }
    write_health(out, d)?;
    field(out, "created", time(c.created))?;
    field(out, "started", time(c.started_at))?;
    field(out, "finished", time(c.finished_at))?;
    field(
        out,
        "restarts",
        c.restart_count.map_or("-".into(), |n| n.to_string()),
    )?;
    field(out, "entrypoint", d.entrypoint.join(" "))?;
    field(out, "command", d.cmd.join(" "))?;
    field(out, "restart", d.restart_policy.as_deref().unwrap_or("no"))?;
    field(out, "limits", limits_text(d))?;
    write_lists(out, d)
}

/// A time as RFC 3339 in whole seconds, or `-`.
fn time(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

/// The health verdict and the last three checks, newest first.
fn write_health(out: &mut impl Write, d: &ContainerDetail) -> std::io::Result<()> {
    if let Some(h) = d.container.health {
        field(out, "health", h.as_str())?;
    }
    for check in d.health_log.iter().rev().take(3) {
        field(
            out,
            "  check",
            format!(
                "{} exit {} {}",
                time(check.start),
                check.exit_code.map_or("-".into(), |c| c.to_string()),
                check.output
            ),
        )?;
    }
    Ok(())
}

/// Memory, CPUs and pids limits, or `none`.
fn limits_text(d: &ContainerDetail) -> String {
    let limits = [
        d.limits
            .memory_bytes
            .map(|m| format!("memory {}", bytes(m.unsigned_abs()))),
        d.limits
            .nano_cpus
            .map(|n| format!("cpus {:.2}", n as f64 / 1e9)),
        d.limits.pids.map(|n| format!("pids {n}")),
    ];
    let limits: Vec<String> = limits.into_iter().flatten().collect();
    if limits.is_empty() {
        "none".into()
    } else {
        limits.join(", ")
    }
}

/// Ports, mounts, networks, labels and env: a line each.
fn write_lists(out: &mut impl Write, d: &ContainerDetail) -> std::io::Result<()> {
    let c = &d.container;
    for port in &c.ports {
        field(out, "port", port)?;
    }
    for m in &d.mounts {
        let ro = if m.read_only { " (ro)" } else { "" };
        field(
            out,
            "mount",
            format!("{} {} -> {}{ro}", m.kind, m.source, m.destination),
        )?;
    }
    for n in &d.networks {
        field(out, "network", n)?;
    }
    for (k, v) in &c.labels {
        field(out, "label", format!("{k}={v}"))?;
    }
    for e in &d.env {
        field(out, "env", format!("{}={}", e.key, e.value))?;
    }
    Ok(())
}
