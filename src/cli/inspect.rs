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

fn write_human(out: &mut impl Write, d: &ContainerDetail) -> std::io::Result<()> {
    let c = &d.container;
    let p = |s: &str| printable(s).into_owned();
    let time = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(out, "name        {}", p(&c.name))?;
    writeln!(out, "host        {}", p(&c.host))?;
    writeln!(out, "id          {}", c.id)?;
    writeln!(out, "image       {}", p(&c.image))?;
    writeln!(out, "state       {}", status_text(c, Utc::now()))?;
    if let Some(exit) = &d.exit {
        writeln!(out, "last exit   {exit}")?;
    }
    if let Some(err) = &d.error {
        writeln!(out, "error       {}", p(err))?;
    }
    if let Some(h) = c.health {
        writeln!(out, "health      {}", h.as_str())?;
    }
    for check in d.health_log.iter().rev().take(3) {
        writeln!(
            out,
            "  check     {} exit {} {}",
            time(check.start),
            check.exit_code.map_or("-".into(), |c| c.to_string()),
            p(&check.output)
        )?;
    }
    writeln!(out, "created     {}", time(c.created))?;
    writeln!(out, "started     {}", time(c.started_at))?;
    writeln!(out, "finished    {}", time(c.finished_at))?;
    writeln!(
        out,
        "restarts    {}",
        c.restart_count.map_or("-".into(), |n| n.to_string())
    )?;
    writeln!(out, "entrypoint  {}", p(&d.entrypoint.join(" ")))?;
    writeln!(out, "command     {}", p(&d.cmd.join(" ")))?;
    writeln!(
        out,
        "restart     {}",
        d.restart_policy.as_deref().unwrap_or("no")
    )?;
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
    writeln!(
        out,
        "limits      {}",
        if limits.is_empty() {
            "none".into()
        } else {
            limits.join(", ")
        }
    )?;
    for port in &c.ports {
        writeln!(out, "port        {port}")?;
    }
    for m in &d.mounts {
        let ro = if m.read_only { " (ro)" } else { "" };
        writeln!(
            out,
            "mount       {} {} -> {}{ro}",
            m.kind,
            p(&m.source),
            p(&m.destination)
        )?;
    }
    for n in &d.networks {
        writeln!(out, "network     {}", p(n))?;
    }
    for (k, v) in &c.labels {
        writeln!(out, "label       {}={}", p(k), p(v))?;
    }
    for e in &d.env {
        writeln!(out, "env         {}={}", p(&e.key), p(&e.value))?;
    }
    Ok(())
}
