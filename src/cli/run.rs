//! `fleetdeck run [OPTIONS] IMAGE [CMD...]`: a one-shot container with the full parameter set
//! and safe defaults, a timeout, and captured output, removed on every path (Ctrl-C and SIGTERM
//! included). Prints the result for people or as `--json`; the container's exit code becomes
//! fleetdeck's (124 on timeout, 130/143 when interrupted, 125 when it could not run). The
//! captured output is printed as `exec` prints it: made safe for a terminal, byte for byte to
//! a pipe or a file ([`super::exec::Printed`]).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::exec::{Printed, failure_exit, parse_limit, process_exit, signal_exit};
use super::output::{json_line, quiet_pipe, warn};
use super::parse::{self, FlagError};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::run::{
    self as act, HealthSpec, LogSpec, PullPolicy, RunOptions, RunReport, RunSpec, RunStatus,
};
use crate::engine::exit::ExitMeaning;
use crate::sanitize::printable;

/// `timeout(1)`'s exit code for "the time ran out".
pub const EXIT_TIMED_OUT: u8 = 124;

/// When to pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullArg {
    /// Pull every time.
    Always,
    /// Pull only when the daemon does not have the image.
    IfNotPresent,
    /// Never pull: a missing image is an error.
    Never,
}

/// A refused flag, as the usage error it is.
fn usage(e: FlagError) -> CliError {
    CliError::Usage(e.to_string())
}

fn duration(text: &str) -> Result<Duration, FlagError> {
    parse::parse_duration(text)
}

fn bytes_i64(text: &str) -> Result<i64, FlagError> {
    let b = parse::parse_bytes(text)?;
    i64::try_from(b).map_err(|_| FlagError::SizeTooLarge { text: text.into() })
}

/// A swap limit: a size, or -1 for unlimited swap.
fn swap(text: &str) -> Result<i64, FlagError> {
    if text.trim() == "-1" {
        Ok(-1)
    } else {
        bytes_i64(text)
    }
}

fn cpus(text: &str) -> Result<f64, FlagError> {
    match text.parse::<f64>() {
        Ok(c) if c > 0.0 && c.is_finite() => Ok(c),
        _ => Err(FlagError::Cpus { text: text.into() }),
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The image (pulled by --pull's policy).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The command and its arguments (default: the image's).
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
    /// The container's name (default: one the daemon makes up).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Override the image's entrypoint ("" to clear it).
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Set a variable (`KEY=value`, or `KEY` to pass fleetdeck's own); repeatable.
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read variables from a file (one `KEY=value` a line, `#` comments); repeatable.
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Bind mount or volume: `/host/path:/container/path[:ro]`; repeatable.
    #[arg(short, long = "volume", value_name = "SRC:DST[:OPTS]")]
    pub volume: Vec<String>,
    /// Publish a port: `[ip:]host:container[/proto]` (give 127.0.0.1 to stay on loopback).
    #[arg(short, long = "publish", value_name = "PORT", value_parser = parse::parse_port)]
    pub publish: Vec<act::PortSpec>,
    /// Network or network mode: `none`, `host`, `bridge`, a network's name, `container:NAME`.
    #[arg(long, alias = "net", value_name = "NETWORK")]
    pub network: Option<String>,
    /// CPU limit, in CPUs (0.5 = half of one).
    #[arg(long, value_name = "N", value_parser = cpus)]
    pub cpus: Option<f64>,
    /// Memory limit (16m, 1g).
    #[arg(short, long, value_name = "SIZE", value_parser = bytes_i64)]
    pub memory: Option<i64>,
    /// Memory plus swap limit (default: the memory limit, no swap; -1: unlimited swap).
    #[arg(long, value_name = "SIZE", value_parser = swap, allow_hyphen_values = true)]
    pub memory_swap: Option<i64>,
    /// Run as this user (`user`, `user:group`, `uid`, `uid:gid`).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Set a label (`key=value`); repeatable. fleetdeck adds its owner labels.
    #[arg(short, long = "label", value_name = "KEY=VALUE", value_parser = parse::parse_key_value)]
    pub label: Vec<(String, String)>,
    /// Put the container in this group (`stop --group`, `rm --group`, `gc --group` act on it).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Keep GC from removing the container for this long (even once its owner is gone).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub protect_for: Option<Duration>,
    /// The container's hostname.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// A DNS server for the container; repeatable.
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// Add a line to /etc/hosts: `name:ip`; repeatable.
    #[arg(long, value_name = "NAME:IP", value_parser = parse::parse_extra_host)]
    pub add_host: Vec<String>,
    /// Run without an init process (by default one reaps zombies and forwards signals).
    #[arg(long)]
    pub no_init: bool,
    /// Maximum number of processes (-1: unlimited).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// A resource limit: `name=soft[:hard]` (nofile=1024:2048); repeatable.
    #[arg(long, value_name = "NAME=SOFT[:HARD]", value_parser = parse::parse_ulimit)]
    pub ulimit: Vec<act::Ulimit>,
    /// Mount a tmpfs: `/path[:options]` (size=64m,mode=1777); repeatable.
    #[arg(long, value_name = "PATH[:OPTS]", value_parser = parse::parse_tmpfs)]
    pub tmpfs: Vec<(String, String)>,
    /// Mount the container's root filesystem read-only (`--read-only` is fleetdeck's own
    /// switch that refuses every mutation).
    #[arg(long)]
    pub read_only_root: bool,
    /// Size of /dev/shm (64m).
    #[arg(long, value_name = "SIZE", value_parser = bytes_i64)]
    pub shm_size: Option<i64>,
    /// Add back a capability (all are dropped by default); repeatable.
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop exactly these capabilities instead of ALL (the default); repeatable.
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Give the container full access to the host. Never the default.
    #[arg(long)]
    pub privileged: bool,
    /// Give access to a device: `/dev/host[:/dev/container[:rwm]]`; repeatable.
    #[arg(long, value_name = "DEVICE", value_parser = parse::parse_device)]
    pub device: Vec<act::DeviceSpec>,
    /// GPUs: `all`, a number, or `device=0,1` (needs the NVIDIA container runtime).
    #[arg(long, value_name = "GPUS", value_parser = parse::parse_gpus)]
    pub gpus: Option<act::GpuSpec>,
    /// Restart policy: no, always, unless-stopped, on-failure[:N].
    #[arg(long, value_name = "POLICY", value_parser = parse::parse_restart)]
    pub restart: Option<act::RestartSpec>,
    /// Healthcheck command, run by a shell in the container.
    #[arg(long, value_name = "CMD")]
    pub health_cmd: Option<String>,
    /// Time between healthchecks (30s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub health_interval: Option<Duration>,
    /// Time a healthcheck may take.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub health_timeout: Option<Duration>,
    /// Failures in a row that make the container unhealthy.
    #[arg(long, value_name = "N")]
    pub health_retries: Option<i64>,
    /// Time after start when failures do not count yet.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub health_start_period: Option<Duration>,
    /// Switch off the image's healthcheck.
    #[arg(long, conflicts_with = "health_cmd")]
    pub no_healthcheck: bool,
    /// Log driver (json-file, local, none, ...).
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// A log driver option (`max-size=10m`); repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse::parse_key_value)]
    pub log_opt: Vec<(String, String)>,
    /// When to pull the image.
    #[arg(
        long,
        value_enum,
        value_name = "POLICY",
        default_value = "if-not-present"
    )]
    pub pull: PullArg,
    /// Longest the container may run (500ms, 30s, 5m, 1h, or a number of seconds); then
    /// SIGTERM, then SIGKILL after --grace.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration)]
    pub timeout: Duration,
    /// Time between SIGTERM and SIGKILL when the timeout runs out.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub grace: Duration,
    /// How much of each of stdout and stderr is kept (512, 64k, 1m); the rest is counted and
    /// flagged `truncated`.
    #[arg(long, value_name = "SIZE", default_value = "1m", value_parser = parse_limit)]
    pub max_output: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl RunArgs {
    /// The spec and options; reading env files is the only thing that can fail here.
    fn into_request(self) -> Result<(RunSpec, RunOptions), CliError> {
        let env = self.env_vars()?;
        let labels = self.labels()?;
        let healthcheck = self.healthcheck();
        let log = self.log_spec();
        let options = self.options();
        let mut spec = RunSpec::new(self.image);
        spec.name = self.name;
        spec.command = self.command;
        spec.entrypoint = self.entrypoint.map(|e| {
            if e.is_empty() {
                vec![String::new()]
            } else {
                vec![e]
            }
        });
        spec.env = env;
        spec.volumes = self.volume;
        spec.ports = self.publish;
        spec.network = self.network;
        spec.cpus = self.cpus;
        spec.memory = self.memory;
        spec.memory_swap = self.memory_swap;
        spec.user = self.user;
        spec.working_dir = self.workdir;
        spec.labels = labels;
        spec.hostname = self.hostname;
        spec.dns = self.dns;
        spec.extra_hosts = self.add_host;
        spec.init = !self.no_init;
        spec.pids_limit = self.pids_limit;
        spec.ulimits = self.ulimit;
        spec.tmpfs = self.tmpfs.into_iter().collect();
        spec.read_only_root = self.read_only_root;
        spec.shm_size = self.shm_size;
        spec.cap_add = self.cap_add;
        spec.cap_drop = (!self.cap_drop.is_empty()).then_some(self.cap_drop);
        spec.privileged = self.privileged;
        spec.devices = self.device;
        spec.gpus = self.gpus;
        spec.restart = self.restart;
        spec.healthcheck = healthcheck;
        spec.log = log;
        Ok((spec, options))
    }

    /// The env files' variables, then `-e`'s; reading a file is the only thing that can fail.
    fn env_vars(&self) -> Result<Vec<String>, CliError> {
        let mut env = Vec::new();
        for path in &self.env_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("cannot read the env file {}: {e}", path.display()))
            })?;
            env.extend(parse::parse_env_file(path, &text).map_err(usage)?);
        }
        for e in &self.env {
            if let Some(v) = parse::parse_env(e).map_err(usage)? {
                env.push(v);
            }
        }
        Ok(env)
    }

    /// `--label`s, the group's and the protection's.
    fn labels(&self) -> Result<std::collections::BTreeMap<String, String>, CliError> {
        let mut labels: std::collections::BTreeMap<String, String> =
            self.label.iter().cloned().collect();
        if let Some(group) = &self.group {
            labels.insert(act::GROUP_LABEL.into(), group.clone());
        }
        if let Some(d) = self.protect_for {
            let until = chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| chrono::Utc::now().checked_add_signed(d))
                .ok_or_else(|| CliError::Usage("--protect-for: too long".into()))?;
            labels.insert(
                act::PROTECTED_UNTIL_LABEL.into(),
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
        Ok(labels)
    }

    /// `--no-healthcheck`, or `--health-cmd` with its timings.
    fn healthcheck(&self) -> Option<HealthSpec> {
        if self.no_healthcheck {
            return Some(HealthSpec::Disabled);
        }
        self.health_cmd.clone().map(|command| HealthSpec::Command {
            command,
            interval: self.health_interval,
            timeout: self.health_timeout,
            retries: self.health_retries,
            start_period: self.health_start_period,
        })
    }

    /// `--log-driver` and `--log-opt` (options alone: the json-file driver's).
    fn log_spec(&self) -> Option<LogSpec> {
        match (&self.log_driver, self.log_opt.is_empty()) {
            (None, true) => None,
            (driver, _) => Some(LogSpec {
                driver: driver.clone().unwrap_or_else(|| "json-file".into()),
                options: self.log_opt.iter().cloned().collect(),
            }),
        }
    }

    fn options(&self) -> RunOptions {
        RunOptions {
            pull: match self.pull {
                PullArg::Always => PullPolicy::Always,
                PullArg::IfNotPresent => PullPolicy::IfNotPresent,
                PullArg::Never => PullPolicy::Never,
            },
            timeout: self.timeout,
            grace: self.grace,
            output_limit: self.max_output,
            owner: None,
        }
    }
}

pub async fn run(args: RunArgs, globals: &Globals) -> Result<Exit, CliError> {
    let json = args.output.json;
    let (spec, options) = args.into_request()?;
    let interrupt = crate::session::interrupt()?;
    let endpoint = globals.connect().await?;
    let context = globals.action_context(endpoint);
    let store = if globals.read_only {
        None
    } else {
        globals.store_writer_off_thread().await
    };
    let began = chrono::Utc::now();
    if !globals.read_only {
        for warning in spec.warnings() {
            eprintln!("fleetdeck: warning: {warning}");
        }
    }
    // The container is recorded as soon as it exists: its history outlives this process
    // (killed before the run ends, its container is left for `gc`, and `history NAME` finds it).
    let recorded = |container: &crate::engine::Container| {
        if let Some(writer) = &store {
            super::record::created(writer, &context.endpoint.address, container, began);
        }
    };
    let report = act::run_container_noting(&context, &spec, &options, interrupt, recorded).await;
    if let Some(writer) = store {
        super::record::run(&writer, &context.endpoint.address, &spec, &report, began);
        super::record::finish(writer).await;
    }

    let terminal = std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let written = if json {
        json_line(&mut out, &report.to_json())
    } else {
        human(&mut out, &report, terminal)
    };
    quiet_pipe(written.and_then(|()| out.flush()))?;
    if let Some(e) = &report.audit_error {
        warn(format_args!("run {}: {e}", spec.image));
    }
    Ok(match &report.result {
        Ok(o) => {
            if let Some(e) = &o.remove_error {
                warn(format_args!(
                    "the container {} ({}) could not be removed: {e}",
                    o.name,
                    o.id.short()
                ));
            }
            match &o.status {
                RunStatus::Exited => o
                    .exit
                    .as_ref()
                    .map_or(Exit::Process(super::exec::EXIT_CANNOT_RUN), |e| {
                        process_exit(e.code)
                    }),
                RunStatus::TimedOut => Exit::Process(EXIT_TIMED_OUT),
                RunStatus::Interrupted(signal) => signal_exit(signal),
            }
        }
        Err(e) => {
            if !json {
                warn(e);
            }
            failure_exit(e)
        }
    })
}

/// The report for people: a few lines about the run, then the output (made safe when `out` is
/// a terminal).
fn human(out: &mut impl Write, report: &RunReport, terminal: bool) -> std::io::Result<()> {
    let Ok(o) = &report.result else {
        return Ok(());
    };
    let status = match &o.status {
        RunStatus::Exited => "exited".to_string(),
        RunStatus::TimedOut => "timed out (SIGTERM, then SIGKILL after the grace period)".into(),
        RunStatus::Interrupted(signal) => format!("interrupted by {signal}: container removed"),
    };
    writeln!(out, "container  {} ({})", o.id.short(), printable(&o.name))?;
    writeln!(out, "id         {}", printable(&o.id.0))?;
    writeln!(out, "image      {}", printable(&report.image))?;
    writeln!(out, "status     {status}")?;
    match &o.exit {
        Some(e) if e.meaning == ExitMeaning::OomKilled => {
            writeln!(out, "exit       {e} (memory limit reached)")?
        }
        Some(e) => writeln!(out, "exit       {e}")?,
        None => writeln!(out, "exit       -")?,
    }
    writeln!(out, "duration   {} ms", report.duration.as_millis())?;
    writeln!(out, "removed    {}", if o.removed { "yes" } else { "NO" })?;
    for (label, capture) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        if capture.total == 0 {
            continue;
        }
        if capture.truncated {
            writeln!(
                out,
                "--- {label} (truncated: first {} of {} bytes)",
                capture.bytes.len(),
                capture.total
            )?;
        } else {
            writeln!(out, "--- {label}")?;
        }
        let mut printed = Printed::new(&mut *out, terminal);
        printed.write(&capture.bytes)?;
        printed.finish()?;
        if !capture.bytes.ends_with(b"\n") {
            writeln!(out)?;
        }
    }
    Ok(())
}
