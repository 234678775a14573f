//! `fleetdeck service logs SERVICE [-f]`: every task's output, read through the manager from
//! whichever node ran it, each line under a `task@node` column; the tails merged by time, then
//! followed (tasks started later picked up). Lines come sanitized from the engine; stdout to
//! stdout and stderr to stderr as `docker service logs` does; `--json` one object a line.

use std::io::{self, BufWriter, Write};

use chrono::SecondsFormat;
use clap::Args;
use regex::Regex;
use tokio::sync::mpsc;

use super::output::{quiet_pipe, warn};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::logs::{DEFAULT_MAX_LINE_BYTES, LogStream, Tail};
use crate::engine::swarm::logs::{ServiceLogEvent, ServiceLogLine, ServiceLogRequest, open};

#[derive(Debug, Args)]
pub struct ServiceLogsArgs {
    /// The service: name or id.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Keep following new lines (and new tasks) until interrupted.
    #[arg(short, long)]
    pub follow: bool,
    /// Lines to show from the end of each task's log, or "all" (default 1000).
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<String>,
    /// Show each line's time (RFC 3339, nanoseconds).
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only lines matching this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

struct Printer {
    out: BufWriter<io::Stdout>,
    err: BufWriter<io::Stderr>,
    json: bool,
    timestamps: bool,
    grep: Option<Regex>,
    width: usize,
}

impl Printer {
    fn lines(&mut self, lines: &[ServiceLogLine]) -> io::Result<()> {
        for line in lines {
            if self.grep.as_ref().is_some_and(|g| !g.is_match(&line.text)) {
                continue;
            }
            if self.json {
                crate::sanitize::write_json(&mut self.out, line).map_err(io::Error::other)?;
                self.out.write_all(b"\n")?;
                continue;
            }
            let source = line.source();
            self.width = self.width.max(source.len());
            let out: &mut dyn Write = if line.stream == LogStream::Stderr {
                &mut self.err
            } else {
                &mut self.out
            };
            write!(out, "{source:<width$} | ", width = self.width)?;
            if self.timestamps {
                match line.time {
                    Some(t) => write!(out, "{} ", t.to_rfc3339_opts(SecondsFormat::Nanos, true))?,
                    None => out.write_all(b"- ")?,
                }
            }
            out.write_all(line.text.as_bytes())?;
            out.write_all(b"\n")?;
        }
        self.err.flush()?;
        self.out.flush()
    }
}

pub async fn run(args: ServiceLogsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let grep = args
        .grep
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| CliError::Usage(format!("bad --grep regular expression: {e}")))?;
    let tail = match &args.tail {
        Some(text) => Tail::parse(text).map_err(|e| CliError::Usage(e.to_string()))?,
        None => Tail::Last(crate::engine::logs::DEFAULT_TAIL),
    };
    let mut hosts = globals.connect_all().await?;
    let (manager, _) = hosts.swarm_manager().await?;
    let service = manager
        .service(&args.service)
        .await?
        .ok_or_else(|| CliError::Usage(format!("no such service: {}", args.service)))?;
    let (tx, mut rx) = mpsc::channel(64);
    let request = ServiceLogRequest {
        service,
        follow: args.follow,
        tail,
        max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        keep_sgr: false,
    };
    let _handle = open(&manager, request, tx);
    let mut printer = Printer {
        out: BufWriter::new(io::stdout()),
        err: BufWriter::new(io::stderr()),
        json: args.output.json,
        timestamps: args.timestamps,
        grep,
        width: 0,
    };
    let interrupted = crate::session::interrupt()?;
    tokio::pin!(interrupted);
    let mut failed = false;
    loop {
        let event = tokio::select! {
            event = rx.recv() => event,
            _ = &mut interrupted => break,
        };
        match event {
            Some(ServiceLogEvent::Lines(lines)) => quiet_pipe(printer.lines(&lines))?,
            Some(ServiceLogEvent::CaughtUp) => {}
            Some(ServiceLogEvent::Failed(e)) => {
                warn(&e);
                failed = true;
            }
            Some(ServiceLogEvent::Ended) | None => break,
        }
    }
    let exit = if failed {
        Exit::SomeFailed
    } else {
        Exit::Success
    };
    Ok(hosts.exit(exit))
}
