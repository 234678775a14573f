//! The terminal: init, restore (on quit, error, panic, SIGTERM, SIGHUP), suspend for exec, and
//! the event loop.

use crate::cli::{CliError, Exit, Globals};

/// Runs the console until the user quits.
pub async fn run_console(globals: Globals) -> Result<Exit, CliError> {
    let _ = globals;
    Err(CliError::Usage("the console is not built yet: use a subcommand (fleetdeck --help)".into()))
}
