//! `fleetdeck completions SHELL` and `fleetdeck man`: shell completions and a man page,
//! generated from the command-line definition itself (clap_complete, clap_mangen), so they
//! cannot drift from the flags the binary takes.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError, Exit};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> Result<Exit, CliError> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "fleetdeck", &mut out);
    write_out(&out)
}

/// Writes the man page (roff) to stdout.
pub fn man() -> Result<Exit, CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> Result<Exit, CliError> {
    let mut stdout = std::io::stdout().lock();
    super::output::quiet_pipe(stdout.write_all(bytes).and_then(|()| stdout.flush()))?;
    Ok(Exit::Success)
}
