//! `fleetdeck gpu`: GPU memory per GPU, per process and per container, once or `--watch`ed.
//! Where there is no NVIDIA GPU it says why and exits 5.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use clap::Args;

use super::output::{json_line, quiet_pipe, table, warn};
use super::parse::FlagError;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::gpu::{self, GpuReport, GpuSample, Unavailable};
use crate::present::bytes;

pub use crate::gpu::DEFAULT_THRESHOLD_PCT;

#[derive(Debug, Args)]
pub struct GpuArgs {
    /// Print a line per sample until interrupted.
    #[arg(short, long)]
    pub watch: bool,
    /// Time between samples with --watch: seconds (`0.5`) or a duration (`500ms`, `2s`).
    #[arg(long, default_value = "1", value_name = "DURATION", value_parser = parse_interval)]
    pub interval: Duration,
    /// Flag GPUs whose memory use is above this percentage.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD_PCT, value_name = "PCT")]
    pub threshold: f64,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Container ids → names, for attribution: the containers of every host (the GPU's processes
/// can only be this machine's, and container ids do not repeat across daemons). Without a
/// daemon, processes stay unattributed.
async fn known_containers(globals: &Globals) -> HashMap<String, String> {
    let listed = match globals.connect_all().await {
        Ok(mut hosts) => {
            let listed = hosts.list().await;
            for e in &hosts.down {
                warn(format_args!("processes not attributed to containers: {e}"));
            }
            listed.map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    match listed {
        Ok(list) => list.into_iter().map(|c| (c.id.0, c.name)).collect(),
        Err(e) => {
            warn(format_args!("processes not attributed to containers: {e}"));
            HashMap::new()
        }
    }
}

fn report_unavailable(reason: &Unavailable, json: bool) -> Result<Exit, CliError> {
    if json {
        let mut out = std::io::stdout().lock();
        let value = serde_json::json!({ "status": "unavailable", "reason": reason, "message": reason.to_string() });
        quiet_pipe(json_line(&mut out, &value))?;
    } else {
        eprintln!("fleetdeck: {reason}");
    }
    Ok(Exit::NoGpu)
}

pub async fn run(args: GpuArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut source = gpu::open();
    let first = match tokio::task::block_in_place(|| source.sample()) {
        Ok(sample) => sample,
        Err(reason) => return report_unavailable(&reason, args.output.json),
    };
    let known = known_containers(globals).await;
    let proc_root = Path::new("/proc");
    if !args.watch {
        let report = gpu::attribute(&first, proc_root, &known, args.threshold);
        let mut out = std::io::stdout().lock();
        let written = if args.output.json {
            let value = serde_json::json!({ "status": "available", "report": report });
            json_line(&mut out, &value)
        } else {
            write_report(&mut out, &report)
        };
        quiet_pipe(written.and_then(|()| out.flush()))?;
        return Ok(Exit::Success);
    }
    let interval = args.interval;
    let mut sample: GpuSample = first;
    loop {
        let report = gpu::attribute(&sample, proc_root, &known, args.threshold);
        let mut out = std::io::stdout().lock();
        let written = if args.output.json {
            let value = serde_json::json!({
                "time": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
                "report": report,
            });
            json_line(&mut out, &value)
        } else {
            writeln!(out, "{}", watch_line(&report))
        };
        match written.and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
            Err(e) => return Err(e.into()),
        }
        drop(out);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(Exit::Success),
            () = tokio::time::sleep(interval) => {}
        }
        sample = match tokio::task::block_in_place(|| source.sample()) {
            Ok(s) => s,
            Err(reason) => return report_unavailable(&reason, args.output.json),
        };
    }
}

/// One line per sample for `--watch`.
pub fn watch_line(report: &GpuReport) -> String {
    let time = Utc::now().format("%H:%M:%S");
    let gpus: Vec<String> = report
        .gpus
        .iter()
        .map(|g| {
            format!(
                "gpu{} {}/{} {:.0}%{}{}",
                g.info.index,
                bytes(g.info.memory_used_bytes),
                bytes(g.info.memory_total_bytes),
                g.memory_used_pct,
                g.info
                    .utilization_pct
                    .map(|u| format!(" util {u}%"))
                    .unwrap_or_default(),
                if g.over_threshold { " OVER" } else { "" },
            )
        })
        .collect();
    format!("{time}  {}", gpus.join("  |  "))
}

/// The human report: GPUs, then containers, then processes.
pub fn write_report(out: &mut impl Write, report: &GpuReport) -> std::io::Result<()> {
    let gpus: Vec<Vec<String>> = report.gpus.iter().map(gpu_row).collect();
    table(
        out,
        &["GPU", "NAME", "MEMORY", "UTIL", "TEMP", "POWER"],
        &gpus,
    )?;
    writeln!(out)?;
    let containers: Vec<Vec<String>> = report
        .containers
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.id.get(..12).unwrap_or(&c.id).to_string(),
                bytes(c.memory_used_bytes),
                c.processes.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["CONTAINER", "ID", "GPU MEMORY", "PROCESSES"],
        &containers,
    )?;
    writeln!(out)?;
    let processes: Vec<Vec<String>> = report.processes.iter().map(process_row).collect();
    table(
        out,
        &["PID", "CTR PID", "GPU", "MEMORY", "CONTAINER", "COMMAND"],
        &processes,
    )
}

/// A GPU's row: index, name, memory (and whether over the threshold), use, heat, power.
fn gpu_row(g: &gpu::GpuView) -> Vec<String> {
    vec![
        g.info.index.to_string(),
        g.info.name.clone(),
        format!(
            "{} / {} ({:.0}%){}",
            bytes(g.info.memory_used_bytes),
            bytes(g.info.memory_total_bytes),
            g.memory_used_pct,
            if g.over_threshold {
                " over threshold"
            } else {
                ""
            }
        ),
        g.info
            .utilization_pct
            .map(|u| format!("{u}%"))
            .unwrap_or_else(|| "-".into()),
        g.info
            .temperature_c
            .map(|t| format!("{t}°C"))
            .unwrap_or_else(|| "-".into()),
        g.info
            .power_mw
            .map(|p| format!("{:.0} W", f64::from(p) / 1000.0))
            .unwrap_or_else(|| "-".into()),
    ]
}

/// A GPU process's row: its pids, GPU, memory, container (or the host, or gone), command.
fn process_row(p: &gpu::ProcessView) -> Vec<String> {
    vec![
        p.host_pid.to_string(),
        p.container_pid
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into()),
        p.gpu_index.to_string(),
        p.memory_used_bytes.map(bytes).unwrap_or_else(|| "?".into()),
        match (&p.container, p.alive) {
            (_, false) => "(process gone)".into(),
            (Some(c), true) => c.name.clone(),
            (None, true) => "(host)".into(),
        },
        p.command.clone().unwrap_or_default(),
    ]
}

/// `--interval`: a positive number of seconds (`0.5`, as this flag always took) or a duration in
/// the one grammar (`500ms`).
fn parse_interval(text: &str) -> Result<Duration, FlagError> {
    let positive = || FlagError::Interval { text: text.into() };
    let interval = match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return Err(positive()),
        Err(_) => crate::duration::parse(text)?,
    };
    if interval.is_zero() {
        return Err(positive());
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::fixture;

    #[test]
    fn human_report_from_fixture() {
        let dir = tempfile::tempdir().expect("temp dir");
        fixture::fake_proc(dir.path());
        let report = gpu::attribute(&fixture::sample(), dir.path(), &fixture::known(), 90.0);
        let mut out = Vec::new();
        write_report(&mut out, &report).expect("write to vec");
        let text = String::from_utf8(out).expect("utf8");
        insta::assert_snapshot!(text);
        let json = serde_json::to_value(&report).expect("serialisable");
        insta::assert_json_snapshot!(json);
    }
}
