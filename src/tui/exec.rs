//! The console's exec: the console steps aside for a shell in a container and comes back as it
//! was. The caller has already dropped its key-event reader; here the terminal leaves the
//! alternate screen and raw mode, the action layer's interactive exec runs on the plain
//! terminal (it enters raw mode itself for its duration), then the console's modes are entered
//! again, stray input is drained, and the caller redraws and opens a fresh event reader. The
//! outcome comes back as a line for the status bar.

use std::io::Write;
use std::time::Duration;

use ratatui::crossterm::event;

use super::terminal;
use crate::actions::exec::{ExecRequest, InteractiveOutcome, exec_interactive};
use crate::actions::{ActionContext, Target};
use crate::session::tty::TerminalTty;

/// The command to run: the configured one split on whitespace, or none (the action layer then
/// picks bash if the container has it, else sh).
pub fn shell_command(configured: &str) -> Vec<String> {
    configured.split_whitespace().map(str::to_string).collect()
}

/// Runs an interactive exec with the console suspended; returns the status line's text and
/// whether it is an error. The terminal is in the console's modes again on return (if it can
/// be: an error doing so is returned).
pub async fn suspended_exec(
    context: &ActionContext,
    target: &Target,
    command: Vec<String>,
    detach_keys: &str,
    mouse: bool,
) -> std::io::Result<(String, bool)> {
    terminal::restore();
    let mut out = std::io::stdout();
    let shown = if command.is_empty() {
        "a shell".to_string()
    } else {
        command.join(" ")
    };
    // Plain text on the normal screen: what runs where, and how to get back.
    let _ = write!(
        out,
        "\r\nfleetdeck: {shown} in {} (exit, or {detach_keys} to detach, returns to the console)\r\n",
        crate::sanitize::printable(&target.name)
    );
    let _ = out.flush();
    let request = ExecRequest {
        command,
        ..ExecRequest::default()
    };
    let mut tty = TerminalTty::new();
    let report = exec_interactive(context, target, &request, detach_keys, &mut tty).await;
    drop(tty);
    terminal::reenter(mouse)?;
    drain_input();
    let name = &target.name;
    let ran = report.command.join(" ");
    let mut line = match &report.result {
        Ok(InteractiveOutcome::Exited { code }) => {
            (format!("exec {ran} in {name}: exit {code}"), false)
        }
        Ok(InteractiveOutcome::Detached) => (
            format!("detached from {ran} in {name}: it goes on in the container"),
            false,
        ),
        Ok(InteractiveOutcome::Interrupted { signal }) => {
            (format!("exec in {name} ended by {signal}"), true)
        }
        Err(e) => (format!("exec: {e}"), true),
    };
    if let Some(e) = &report.audit_error {
        line.0.push_str(&format!(" (audit not written: {e})"));
    }
    Ok(line)
}

/// Discards input that arrived while the shell ended (a key typed after `exit`, a terminal's
/// answer to a query), so that it is not taken for a console key.
fn drain_input() {
    for _ in 0..1024 {
        match event::poll(Duration::ZERO) {
            Ok(true) => {
                let _ = event::read();
            }
            _ => break,
        }
    }
}
