//! `fleetdeck logs`: one or several containers' logs, headless. Several targets are merged by
//! time with a name column; `-f` keeps following (across restarts) until interrupted or until
//! the reader goes away (`| head` ends it quietly, exit 0). Lines come from the engine's log
//! streams, so they are sanitized: a container's escape sequences never reach the terminal.
//! Container stdout goes to stdout and stderr to stderr, as `docker logs` does; with `--json`
//! every line is one JSON object on stdout, with its stream named. `--color` keeps the
//! containers' own colours (SGR sequences only; every other sequence is still removed): `auto`
//! on a terminal without `NO_COLOR`, `always`, or `never`.

use std::collections::VecDeque;
use std::io::{self, BufWriter, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use futures_util::{FutureExt, StreamExt, stream};
use regex::Regex;
use serde::Serialize;
use tokio::sync::mpsc;

use super::output::quiet_pipe;
use super::parse::since;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::ContainerId;
use crate::engine::logs::{
    LogEnd, LogEvent, LogHandle, LogLine, LogMessage, LogRequest, LogStream, LogsOptions, Tail,
    merge, open,
};
use crate::engine::resolve::resolve;
use crate::sanitize::{printable, strip_escapes};
use crate::session::hosts::Hosts;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Containers: full name, id, or a unique prefix of either. Several are merged by time.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Keep following new lines (across restarts, marked "restarted at T") until interrupted.
    #[arg(short, long)]
    pub follow: bool,
    /// Only lines since then: a duration back (10m, 2h, 1h30m) or an RFC 3339 time.
    #[arg(long, value_name = "S")]
    pub since: Option<String>,
    /// Lines to show from the end of each container's log, or "all" (default 1000).
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<String>,
    /// Show each line's time (RFC 3339, nanoseconds).
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only lines matching this regular expression (markers always show).
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// The containers' own colours (SGR only; other escape sequences are always removed):
    /// auto keeps them when stdout is a terminal and NO_COLOR is unset.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// When `fleetdeck logs` writes the containers' colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether colours are written, given whether stdout is a terminal and `NO_COLOR`'s value.
    pub fn resolve(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// One line of `logs --json`.
#[derive(Debug, Serialize)]
struct JsonLine<'a> {
    container: &'a str,
    id: &'a str,
    stream: LogStream,
    time: Option<DateTime<Utc>>,
    text: &'a str,
}

/// Writes lines for people or as JSON, filtered by `--grep`.
struct Printer {
    out: BufWriter<io::Stdout>,
    err: BufWriter<io::Stderr>,
    json: bool,
    timestamps: bool,
    grep: Option<Regex>,
    /// Width of the name column; `None` with a single target.
    name_width: Option<usize>,
    /// The lines keep their SGR sequences: each one that has any ends with a reset.
    color: bool,
}

impl Printer {
    fn line(&mut self, source: &Source, line: &LogLine) -> io::Result<()> {
        if let Some(grep) = &self.grep
            && line.stream != LogStream::Marker
            && !grep.is_match(&strip_escapes(&line.text))
        {
            return Ok(());
        }
        if self.json {
            let row = JsonLine {
                container: &source.name,
                id: &source.id.0,
                stream: line.stream,
                time: line.time,
                text: &strip_escapes(&line.text),
            };
            crate::sanitize::write_json(&mut self.out, &row).map_err(io::Error::other)?;
            return self.out.write_all(b"\n");
        }
        let out: &mut dyn Write = if line.stream == LogStream::Stderr {
            &mut self.err
        } else {
            &mut self.out
        };
        if let Some(width) = self.name_width {
            write!(out, "{:<width$} | ", source.name)?;
        }
        if self.timestamps {
            match line.time {
                Some(t) => write!(out, "{} ", t.to_rfc3339_opts(SecondsFormat::Nanos, true))?,
                None => out.write_all(b"- ")?,
            }
        }
        if line.stream == LogStream::Marker {
            writeln!(out, "-- {} --", line.text)
        } else {
            out.write_all(line.text.as_bytes())?;
            if self.color && line.text.contains('\u{1b}') {
                out.write_all(b"\x1b[0m")?;
            }
            out.write_all(b"\n")
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.err.flush()?;
        self.out.flush()
    }
}

/// One target's stream as the merge sees it.
struct Source {
    name: String,
    id: ContainerId,
    rx: Option<mpsc::Receiver<LogMessage>>,
    queue: VecDeque<LogLine>,
    /// The tail has been received (or the stream ended).
    caught_up: bool,
    end: Option<LogEnd>,
    _handle: LogHandle,
}

impl Source {
    fn accept(&mut self, message: Option<LogMessage>) {
        match message.map(|m| m.event) {
            Some(LogEvent::Lines(lines)) => self.queue.extend(lines),
            Some(LogEvent::CaughtUp) => self.caught_up = true,
            Some(LogEvent::Ended(end)) => {
                self.caught_up = true;
                self.end = Some(end);
            }
            None => {
                self.caught_up = true;
                self.end
                    .get_or_insert_with(|| LogEnd::Failed("the log stream stopped".into()));
            }
        }
    }
}

/// Each target with its host's endpoint; the merged stream names `NAME@HOST` with several.
type Targets = Vec<(ContainerId, String, crate::engine::Endpoint)>;

pub async fn run(args: LogsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let grep = args
        .grep
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| CliError::Usage(format!("bad --grep regular expression: {e}")))?;
    let color = !args.output.json
        && args.color.resolve(
            std::io::IsTerminal::is_terminal(&io::stdout()),
            std::env::var_os("NO_COLOR").as_deref(),
        );
    let options = LogsOptions {
        keep_sgr: color,
        ..LogsOptions::default()
    };
    let request = request(&args, &options)?;

    let mut hosts = globals.connect_all().await?;
    let fleet = hosts.list().await?;
    hosts.report_down()?;
    let targets = resolve_targets(&hosts, &fleet, &args.targets)?;
    let mut sources: Vec<Source> = targets
        .into_iter()
        .map(|(id, name, endpoint)| source(id, &name, &endpoint, &request, &options))
        .collect();
    let name_width = (sources.len() > 1)
        .then(|| sources.iter().map(|s| s.name.chars().count()).max())
        .flatten();
    let mut printer = Printer {
        out: BufWriter::with_capacity(64 * 1024, io::stdout()),
        err: BufWriter::with_capacity(16 * 1024, io::stderr()),
        json: args.output.json,
        timestamps: args.timestamps,
        grep,
        name_width,
        color,
    };

    let written = tokio::select! {
        result = print_all(&mut sources, &mut printer) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    let written = written.and_then(|()| printer.flush());
    // The reader went away (`| head`): it has all it wanted.
    if matches!(&written, Err(e) if e.kind() == io::ErrorKind::BrokenPipe) {
        return Ok(Exit::Success);
    }
    quiet_pipe(written)?;
    Ok(hosts.exit(ends(&sources, args.follow)))
}

/// What to fetch: `--follow`, `--tail` (or the default) and `--since`.
fn request(args: &LogsArgs, options: &LogsOptions) -> Result<LogRequest, CliError> {
    let tail = args
        .tail
        .as_deref()
        .map(Tail::parse)
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?
        .unwrap_or(options.tail);
    let since = args
        .since
        .as_deref()
        .map(|s| since(s, Utc::now()))
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(LogRequest {
        follow: args.follow,
        tail,
        since,
    })
}

/// Every target on its host, once each; every name that resolves to nothing, said together.
fn resolve_targets(
    hosts: &Hosts,
    fleet: &[crate::engine::Container],
    queries: &[String],
) -> Result<Targets, CliError> {
    let several = hosts.several();
    let mut targets: Targets = Vec::new();
    let mut errors = Vec::new();
    for query in queries {
        match resolve(fleet, query) {
            Ok(c)
                if !targets
                    .iter()
                    .any(|(id, _, e)| *id == c.id && e.name == c.host) =>
            {
                let Some(endpoint) = hosts.get(&c.host) else {
                    continue;
                };
                let name = if several {
                    format!("{}@{}", c.name, c.host)
                } else {
                    c.name.clone()
                };
                targets.push((c.id.clone(), name, endpoint.clone()));
            }
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(CliError::Usage(errors.join("\n")));
    }
    Ok(targets)
}

/// One target's log stream, opened.
fn source(
    id: ContainerId,
    name: &str,
    endpoint: &crate::engine::Endpoint,
    request: &LogRequest,
    options: &LogsOptions,
) -> Source {
    let (tx, rx) = mpsc::channel(options.channel_batches.max(1));
    let handle = open(endpoint, id.clone(), request.clone(), options, tx);
    Source {
        name: printable(name).into_owned(),
        id,
        rx: Some(rx),
        queue: VecDeque::new(),
        caught_up: false,
        end: None,
        _handle: handle,
    }
}

/// How the streams ended: a failed one is warned about (and fails the command), a removed
/// container said when not following.
fn ends(sources: &[Source], follow: bool) -> Exit {
    let mut exit = Exit::Success;
    for source in sources {
        match &source.end {
            Some(LogEnd::Failed(message)) => {
                // The daemon's words: made safe for the terminal.
                super::output::warn(format_args!("{}: {message}", source.name));
                exit = Exit::SomeFailed;
            }
            Some(LogEnd::Removed) if !follow => {
                eprintln!("fleetdeck: {}: the container was removed", source.name);
            }
            _ => {}
        }
    }
    exit
}

/// The tails merged by time, then (following) live lines as they come.
async fn print_all(sources: &mut [Source], printer: &mut Printer) -> io::Result<()> {
    // The tails: a k-way merge, each source holding at least one line until it has caught up.
    loop {
        for source in sources.iter_mut() {
            while source.queue.is_empty() && !source.caught_up {
                let message = match source.rx.as_mut() {
                    None => None,
                    Some(rx) => match rx.try_recv() {
                        Ok(m) => Some(m),
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                        Err(mpsc::error::TryRecvError::Empty) => {
                            printer.flush()?;
                            rx.recv().await
                        }
                    },
                };
                source.accept(message);
            }
        }
        let Some(i) = merge::earliest(sources.iter().map(|s| s.queue.front())) else {
            break;
        };
        let Some(source) = sources.get_mut(i) else {
            break;
        };
        if let Some(line) = source.queue.pop_front() {
            printer.line(source, &line)?;
        }
    }

    // Live: whatever arrives, from any source, in arrival order.
    let receivers: Vec<_> = sources
        .iter_mut()
        .enumerate()
        .filter(|(_, s)| s.end.is_none())
        .filter_map(|(i, s)| s.rx.take().map(|rx| (i, rx)))
        .map(|(i, rx)| {
            stream::unfold(rx, move |mut rx| async move {
                rx.recv().await.map(|m| ((i, m), rx))
            })
            .boxed()
        })
        .collect();
    if receivers.is_empty() {
        return Ok(());
    }
    let mut live = stream::select_all(receivers);
    loop {
        let next = match live.next().now_or_never() {
            Some(next) => next,
            None => {
                printer.flush()?;
                live.next().await
            }
        };
        let Some((i, message)) = next else {
            return Ok(());
        };
        let Some(source) = sources.get_mut(i) else {
            continue;
        };
        match message.event {
            LogEvent::Lines(lines) => {
                for line in &lines {
                    printer.line(source, line)?;
                }
            }
            LogEvent::CaughtUp => {}
            LogEvent::Ended(end) => source.end = Some(end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColorWhen;

    #[test]
    fn color_auto_needs_a_terminal_and_no_no_color() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(ColorWhen::Auto.resolve(true, None));
        assert!(ColorWhen::Auto.resolve(true, empty));
        assert!(!ColorWhen::Auto.resolve(true, set));
        assert!(!ColorWhen::Auto.resolve(false, None));
        assert!(ColorWhen::Always.resolve(false, set));
        assert!(!ColorWhen::Never.resolve(true, None));
    }
}
