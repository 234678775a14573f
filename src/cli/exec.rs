//! `fleetdeck exec TARGET [-- CMD...]`: a shell (or CMD) in a running container. Interactive,
//! with a TTY, when stdin is a terminal; otherwise (or with `--json` or `-T`) captured: the
//! output printed as it comes (or as JSON, each stream bounded), and the command's exit code
//! becomes fleetdeck's. The terminal side of an interactive exec is
//! [`crate::session::tty::TerminalTty`], shared with the console.
//!
//! What reaches the operator's terminal: an interactive exec is the operator's own session
//! and passes through raw (a shell needs its escape sequences). Captured output is the
//! container's say, not the operator's: written to a terminal it goes line by line with its
//! escape sequences and control characters removed ([`TerminalLines`]); written to a pipe or a
//! file it is data and goes byte for byte.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::output::{json_line, quiet_pipe, warn};
use super::parse::FlagError;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::actions::exec::{
    DEFAULT_DETACH_KEYS, ExecRequest, InteractiveOutcome, StreamKind, exec_captured,
    exec_interactive,
};
use crate::actions::{ActionContext, ActionError, Target};
use crate::engine::exit::signal_name;
use crate::sanitize::TerminalLines;
use crate::session::tty::TerminalTty;

/// Docker's exit code for "the container runtime could not run it"; fleetdeck uses it for its
/// own failures of exec and run, so that they read apart from the command's own codes.
pub const EXIT_CANNOT_RUN: u8 = 125;

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Container: full name, id, or a unique prefix of either.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The command and its arguments, after `--` (default, interactive only: bash if the
    /// container has it, else sh).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run without a TTY and capture the output, even when stdin is a terminal.
    #[arg(short = 'T', long)]
    pub no_tty: bool,
    /// How much of each of stdout and stderr `--json` keeps (512, 64k, 1m, ...); the rest is
    /// counted and flagged `truncated`.
    #[arg(long, value_name = "SIZE", default_value = "1m", value_parser = parse_limit)]
    pub max_output: usize,
    /// Run as this user (`user`, `user:group`, `uid`, `uid:gid`).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Set a variable (`KEY=value`, or `KEY` to pass fleetdeck's own); repeatable.
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Keys that detach from an interactive exec, leaving the command running (Docker's
    /// syntax, like `ctrl-]` or `ctrl-x,x`). Docker's default, Ctrl-P Ctrl-Q, would hold back
    /// every Ctrl-P.
    #[arg(long, value_name = "KEYS", default_value = DEFAULT_DETACH_KEYS)]
    pub detach_keys: String,
}

/// One stream of a container command's output on its way to fleetdeck's stdout or stderr:
/// made safe line by line when that is a terminal, byte for byte otherwise.
pub struct Printed<W: Write> {
    to: W,
    lines: Option<TerminalLines>,
}

impl<W: Write> Printed<W> {
    /// Output to `to`, which is a terminal or not.
    pub fn new(to: W, terminal: bool) -> Self {
        let lines = terminal.then(TerminalLines::default);
        Self { to, lines }
    }

    /// Output to stdout or stderr, made safe where that is a terminal.
    pub fn std(to: W) -> Self
    where
        W: IsTerminal,
    {
        let terminal = to.is_terminal();
        Self::new(to, terminal)
    }

    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.lines {
            Some(lines) => {
                let safe = lines.push(bytes);
                self.to.write_all(&safe)?;
            }
            None => self.to.write_all(bytes)?,
        }
        self.to.flush()
    }

    /// Writes what a terminal's lines still hold back (the last line, with no line break).
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(lines) = &mut self.lines {
            let rest = lines.finish();
            self.to.write_all(&rest)?;
        }
        self.to.flush()
    }
}

/// Parses a byte size for an output limit.
pub fn parse_limit(text: &str) -> Result<usize, FlagError> {
    let bytes = super::parse::parse_bytes(text)?;
    usize::try_from(bytes).map_err(|_| FlagError::SizeTooLarge { text: text.into() })
}

/// The exit status for an exec or run that failed before the command could give one.
pub fn failure_exit(error: &ActionError) -> Exit {
    match error {
        ActionError::ReadOnly { .. } => Exit::ReadOnly,
        e if e.is_unreachable() => Exit::Unreachable,
        _ => Exit::Process(EXIT_CANNOT_RUN),
    }
}

/// A command's exit code as a process status (Docker's are 0..=255 already).
pub fn process_exit(code: i64) -> Exit {
    Exit::Process(u8::try_from(code).unwrap_or(EXIT_CANNOT_RUN))
}

/// 128 + the signal's number, as a shell reports a process ended by it.
pub fn signal_exit(signal: &str) -> Exit {
    let number = (1..=31)
        .find(|n| signal_name(*n) == Some(signal))
        .unwrap_or(15);
    process_exit(128 + number)
}

pub async fn run(args: ExecArgs, globals: &Globals) -> Result<Exit, CliError> {
    let interactive = !args.output.json && !args.no_tty && std::io::stdin().is_terminal();
    if !interactive && args.command.is_empty() {
        return Err(CliError::Usage(
            "no command: without a terminal (or with --json / -T) exec needs one: \
             fleetdeck exec TARGET -- CMD..."
                .into(),
        ));
    }
    let mut env = Vec::new();
    for e in &args.env {
        match super::parse::parse_env(e) {
            Ok(Some(v)) => env.push(v),
            Ok(None) => {}
            Err(e) => return Err(CliError::Usage(e.to_string())),
        }
    }
    // The container's own host, among every host named.
    let mut hosts = globals.connect_all().await?;
    let (endpoint, found) = hosts.resolve_one(&args.target).await?;
    let target = Target {
        id: found.id,
        name: found.name,
    };
    let context = globals.action_context(endpoint);
    let request = ExecRequest {
        command: args.command.clone(),
        user: args.user.clone(),
        working_dir: args.workdir.clone(),
        env,
    };
    if interactive {
        return Ok(run_interactive(&context, &target, &request, &args.detach_keys).await);
    }
    run_captured(&context, &target, &request, &args).await
}

/// On the operator's terminal: the exit status is the command's, or says how it ended.
async fn run_interactive(
    context: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    detach_keys: &str,
) -> Exit {
    let mut tty = TerminalTty::new();
    let report = exec_interactive(context, target, request, detach_keys, &mut tty).await;
    drop(tty);
    if let Some(e) = &report.audit_error {
        warn(format_args!("exec {}: {e}", target.name));
    }
    match report.result {
        Ok(InteractiveOutcome::Exited { code }) => process_exit(code),
        Ok(InteractiveOutcome::Detached) => {
            warn(format_args!(
                "detached from {} ({}): it goes on in the container",
                target.name,
                request.command.join(" ")
            ));
            Exit::Success
        }
        Ok(InteractiveOutcome::Interrupted { signal }) => {
            warn(format_args!("exec in {} ended by {signal}", target.name));
            signal_exit(&signal)
        }
        Err(e) => {
            warn(&e);
            failure_exit(&e)
        }
    }
}

/// Without a terminal: the output printed as it comes (or one JSON report at the end).
async fn run_captured(
    context: &ActionContext,
    target: &Target,
    request: &ExecRequest,
    args: &ExecArgs,
) -> Result<Exit, CliError> {
    let json = args.output.json;
    let report = if json {
        exec_captured(context, target, request, args.max_output, None).await
    } else {
        exec_printed(context, target, request).await
    };
    if json {
        let mut out = std::io::stdout().lock();
        quiet_pipe(json_line(&mut out, &report.to_json()).and_then(|()| out.flush()))?;
    }
    if let Some(e) = &report.audit_error {
        warn(format_args!("exec {}: {e}", target.name));
    }
    Ok(match &report.result {
        Ok(capture) => process_exit(capture.exit_code),
        Err(e) => {
            if !json {
                warn(e);
            }
            failure_exit(e)
        }
    })
}

/// Printed as it comes, in full; only the capture kept for the report is bounded.
async fn exec_printed(
    context: &ActionContext,
    target: &Target,
    request: &ExecRequest,
) -> crate::actions::exec::ExecReport {
    let mut stdout = Printed::std(std::io::stdout());
    let mut stderr = Printed::std(std::io::stderr());
    // Write errors (a reader gone away) are dropped: the command runs to its end, and its
    // code is still what fleetdeck exits with.
    let mut print = |kind: StreamKind, bytes: &[u8]| {
        let _ = match kind {
            StreamKind::Stdout => stdout.write(bytes),
            StreamKind::Stderr => stderr.write(bytes),
        };
    };
    let report = exec_captured(context, target, request, 0, Some(&mut print)).await;
    let _ = stdout.finish();
    let _ = stderr.finish();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_output_is_made_safe_only_for_a_terminal() {
        let output: [&[u8]; 3] = [
            b"ok \x1b]0;pwn",
            b"ed\x07\x1b[2Jline\r\n\x1b]52;c;ZXZpbA==",
            b"\x07end",
        ];
        let mut terminal = Printed::new(Vec::new(), true);
        let mut pipe = Printed::new(Vec::new(), false);
        for chunk in output {
            terminal.write(chunk).expect("write to a vec");
            pipe.write(chunk).expect("write to a vec");
        }
        terminal.finish().expect("write to a vec");
        pipe.finish().expect("write to a vec");
        assert_eq!(terminal.to, b"ok line\nend");
        assert_eq!(
            pipe.to,
            output.concat(),
            "a pipe gets the bytes as they came"
        );
    }

    #[test]
    fn exit_statuses() {
        assert_eq!(process_exit(7), Exit::Process(7));
        assert_eq!(process_exit(300), Exit::Process(EXIT_CANNOT_RUN));
        assert_eq!(signal_exit("SIGINT"), Exit::Process(130));
        assert_eq!(signal_exit("SIGTERM"), Exit::Process(143));
        assert_eq!(
            failure_exit(&ActionError::ReadOnly {
                verb: "exec",
                target: "x".into()
            }),
            Exit::ReadOnly
        );
        assert_eq!(
            failure_exit(&ActionError::Refused {
                verb: "exec",
                target: "x".into(),
                reason: "not running".into()
            }),
            Exit::Process(125)
        );
    }
}
