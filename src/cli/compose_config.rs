//! `config`: the normalised compose project (files merged, interpolated, `extends` and
//! `include` resolved, defaults filled) printed as a compose file, YAML or `--json`, like
//! `docker compose config`. Reads no daemon; a file that cannot be used exits 2 naming
//! FILE:LINE: KEY.

use std::io::Write;

use clap::Args;

use super::compose::{ProjectArgs, warn_ignored};
use super::output::quiet_pipe;
use super::{CliError, Exit, Globals, OutputArgs};
use crate::reconcile::compose::config_view::config_view;
use crate::reconcile::compose::yaml_out::to_yaml;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Print only the service names, one a line.
    #[arg(long)]
    pub services: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &ConfigArgs, globals: &Globals) -> Result<Exit, CliError> {
    let project = globals.compose_project(
        &args.project.file.files,
        args.project.file.project_name.as_deref(),
        &args.project.profiles,
    )?;
    warn_ignored(&project);
    let text = if args.services {
        project
            .services
            .iter()
            .map(|s| format!("{}\n", s.name))
            .collect()
    } else {
        let view = config_view(&project);
        if args.output.json {
            format!("{view}\n")
        } else {
            to_yaml(&view)
        }
    };
    let mut out = std::io::stdout();
    quiet_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
    Ok(Exit::Success)
}
