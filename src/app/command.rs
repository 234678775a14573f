//! The `:` command line: `:q`, `:help`, `:sort mem [desc]`, `:filter web`, `:stopped`,
//! `:triage`, `:gpu`, `:plan` and `:apply` (the compose file's plan), and the
//! actions by name (`:stop web-1 web-2`, `:kill -s SIGTERM web-1`, `:rm old`). With no names an
//! action applies to what a key would (the marks or the selection). Parsed here, then run
//! through the same parts of `update` as the keys.

use crate::actions::Action;
use crate::config::Column;
use crate::config::keys::ConsoleCommand;
use crate::engine::Container;

use super::keymap::KeyMode;
use super::messages::verb_word;
use super::{
    AppState, Base, Effect, Settings, compose, confirm, gpu, help, list, run_command, triage,
};

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Quit,
    Help,
    Sort {
        column: Column,
        descending: Option<bool>,
    },
    Filter(String),
    ToggleStopped,
    /// `:triage`: the triage view.
    Triage,
    /// `:gpu`: the GPU pane.
    Gpu,
    /// `:plan`: read the compose files again and show the plan.
    Plan,
    /// `:apply`: show the plan and ask before running it.
    Apply,
    /// `:images`, `:volumes`, `:networks`, `:df`: a host view.
    Objects(super::objects::ObjectView),
    /// `:services`, `:nodes`, `:stacks`, `:secrets`: a Swarm view.
    Swarm(super::swarm::SwarmPane),
    /// `:scale NAME=N`: a Swarm service's replicas.
    Scale {
        name: String,
        replicas: u64,
    },
    /// `:update NAME IMAGE`: a Swarm service's image (a rolling update).
    Update {
        name: String,
        image: String,
    },
    Action {
        action: Action,
        names: Vec<String>,
    },
}

/// Why a command line was refused, in words for the status line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("sort: name a column (name, image, state, status, restarts, cpu, mem, ports)")]
    SortNoColumn,
    #[error("sort: unknown column '{0}'")]
    SortColumn(String),
    #[error("sort: '{0}' is not asc or desc")]
    SortOrder(String),
    #[error("kill: -s needs a signal")]
    KillNoSignal,
    /// `:scale` or `:update` without what they need.
    #[error("{0}")]
    Swarm(String),
    #[error("unknown command ':{0}' (try :stop NAME, :sort mem, :filter TEXT, :q; ? for help)")]
    Unknown(String),
}

type Parsed = Result<Option<CommandLine>, CommandError>;

/// Parses a command line; `Ok(None)` for an empty one, `Err` with a message for people.
pub fn parse(line: &str, settings: &Settings) -> Parsed {
    let line = line.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Ok(None);
    };
    let rest: Vec<String> = words.map(str::to_string).collect();
    let plain = match verb {
        "q" | "q!" | "quit" | "exit" => CommandLine::Quit,
        "h" | "help" => CommandLine::Help,
        "sort" => return sort(&rest),
        "filter" | "f" => CommandLine::Filter(rest.join(" ")),
        "stopped" | "all" => CommandLine::ToggleStopped,
        "triage" | "problems" => CommandLine::Triage,
        "gpu" | "gpus" => CommandLine::Gpu,
        "plan" => CommandLine::Plan,
        "apply" => CommandLine::Apply,
        "images" | "image" => CommandLine::Objects(super::objects::ObjectView::Images),
        "volumes" | "volume" => CommandLine::Objects(super::objects::ObjectView::Volumes),
        "networks" | "network" => CommandLine::Objects(super::objects::ObjectView::Networks),
        "df" | "disk" => CommandLine::Objects(super::objects::ObjectView::Df),
        "services" | "service" => CommandLine::Swarm(super::swarm::SwarmPane::Services),
        "nodes" | "node" => CommandLine::Swarm(super::swarm::SwarmPane::Nodes),
        "stacks" | "stack" => CommandLine::Swarm(super::swarm::SwarmPane::Stacks),
        "secrets" | "configs" => CommandLine::Swarm(super::swarm::SwarmPane::Objects),
        "scale" => {
            let (name, replicas) =
                super::swarm_act::parse_scale(&rest).map_err(CommandError::Swarm)?;
            CommandLine::Scale { name, replicas }
        }
        "update" => {
            let (name, image) =
                super::swarm_act::parse_update(&rest).map_err(CommandError::Swarm)?;
            CommandLine::Update { name, image }
        }
        other => return action(other, rest, settings),
    };
    Ok(Some(plain))
}

/// `:sort COLUMN [asc|desc]`.
fn sort(rest: &[String]) -> Parsed {
    let column = rest.first().ok_or(CommandError::SortNoColumn)?;
    let column =
        Column::parse(column).ok_or_else(|| CommandError::SortColumn(column.to_string()))?;
    let descending = match rest.get(1).map(String::as_str) {
        None => None,
        Some("asc" | "up") => Some(false),
        Some("desc" | "down") => Some(true),
        Some(other) => return Err(CommandError::SortOrder(other.to_string())),
    };
    Ok(Some(CommandLine::Sort { column, descending }))
}

/// An action by name (`:stop web-1`), or an unknown command.
fn action(verb: &str, rest: Vec<String>, settings: &Settings) -> Parsed {
    let timeout_s = settings.stop_timeout_s;
    let (action, names) = match verb {
        "start" => (Action::Start, rest),
        "stop" => (Action::Stop { timeout_s }, rest),
        "restart" => (Action::Restart { timeout_s }, rest),
        "pause" => (Action::Pause, rest),
        "unpause" => (Action::Unpause, rest),
        "kill" => kill(rest, settings)?,
        "rm" | "remove" => remove(rest),
        other => return Err(CommandError::Unknown(other.to_string())),
    };
    Ok(Some(CommandLine::Action { action, names }))
}

/// `:kill [-s SIGNAL] NAME...`.
fn kill(rest: Vec<String>, settings: &Settings) -> Result<(Action, Vec<String>), CommandError> {
    let mut signal = settings.kill_signal.clone();
    let mut names = Vec::new();
    let mut words = rest.into_iter();
    while let Some(word) = words.next() {
        if word == "-s" || word == "--signal" {
            signal = words.next().ok_or(CommandError::KillNoSignal)?;
        } else {
            names.push(word);
        }
    }
    Ok((Action::Kill { signal }, names))
}

/// `:rm [-f] NAME...`.
fn remove(rest: Vec<String>) -> (Action, Vec<String>) {
    let force = rest.iter().any(|w| w == "-f" || w == "--force");
    let names = rest
        .into_iter()
        .filter(|w| w != "-f" && w != "--force")
        .collect();
    let action = Action::Remove {
        force,
        volumes: false,
    };
    (action, names)
}

/// Runs a `:` command line.
pub fn run_command_line(state: &mut AppState, line: &str, effects: &mut Vec<Effect>) {
    use CommandLine as Cl;
    let parsed = match parse(line, &state.settings) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return,
        Err(e) => {
            state.set_status(e.to_string(), true);
            return;
        }
    };
    match parsed {
        Cl::Quit => effects.push(Effect::Quit),
        Cl::Help => help::open(state),
        Cl::Sort { column, descending } => {
            let descending = descending.unwrap_or(state.sort.descending);
            list::set_sort(state, column, descending);
        }
        Cl::Filter(text) => list::set_filter(state, &text),
        Cl::ToggleStopped => {
            run_command(state, KeyMode::List, ConsoleCommand::ToggleStopped, effects);
        }
        Cl::Triage => {
            if state.base != Base::Triage {
                triage::toggle(state);
            }
        }
        Cl::Gpu => {
            if state.base != Base::Gpu {
                gpu::toggle(state);
            }
        }
        Cl::Plan => compose::plan_command(state, effects),
        Cl::Apply => compose::apply_command(state),
        Cl::Objects(view) => super::objects::open(state, view, effects),
        Cl::Swarm(pane) => super::swarm::open(state, pane, effects),
        Cl::Scale { name, replicas } => {
            let action = crate::actions::swarm::ServiceAction::Scale { replicas };
            super::swarm_act::by_name(state, &name, action, effects);
        }
        Cl::Update { name, image } => {
            let action = crate::actions::swarm::ServiceAction::UpdateImage { image };
            super::swarm_act::by_name(state, &name, action, effects);
        }
        Cl::Action { action, names } => {
            if names.is_empty() {
                return confirm::request(state, action, effects);
            }
            if state.settings.read_only {
                return confirm::request(state, action, effects);
            }
            let fleet: Vec<Container> = state.fleet.containers().cloned().collect();
            let mut targets = Vec::new();
            for name in &names {
                match crate::engine::resolve::resolve(&fleet, name) {
                    Ok(c) => targets.push(AppState::target_of(c)),
                    Err(e) => {
                        state.set_status(format!("{}: {e}", verb_word(&action)), true);
                        return;
                    }
                }
            }
            confirm::confirm_or_dispatch(state, action, targets, effects);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_parse() {
        let s = Settings::default();
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table: Vec<(&str, Result<Option<CommandLine>, ()>)> = vec![
            ("", Ok(None)),
            (":q", Ok(Some(CommandLine::Quit))),
            ("quit", Ok(Some(CommandLine::Quit))),
            (
                "stop web-1",
                Ok(Some(CommandLine::Action {
                    action: Action::Stop { timeout_s: 10 },
                    names: names(&["web-1"]),
                })),
            ),
            (
                "kill -s SIGTERM a b",
                Ok(Some(CommandLine::Action {
                    action: Action::Kill {
                        signal: "SIGTERM".into(),
                    },
                    names: names(&["a", "b"]),
                })),
            ),
            (
                "rm -f old",
                Ok(Some(CommandLine::Action {
                    action: Action::Remove {
                        force: true,
                        volumes: false,
                    },
                    names: names(&["old"]),
                })),
            ),
            (
                "sort mem desc",
                Ok(Some(CommandLine::Sort {
                    column: Column::Memory,
                    descending: Some(true),
                })),
            ),
            (
                "sort cpu",
                Ok(Some(CommandLine::Sort {
                    column: Column::Cpu,
                    descending: None,
                })),
            ),
            ("sort colour", Err(())),
            ("sort", Err(())),
            ("frobnicate", Err(())),
            (":triage", Ok(Some(CommandLine::Triage))),
            ("gpu", Ok(Some(CommandLine::Gpu))),
            (
                "filter web !exited",
                Ok(Some(CommandLine::Filter("web !exited".into()))),
            ),
        ];
        for (line, want) in table {
            assert_eq!(parse(line, &s).map_err(|_| ()), want, "{line:?}");
        }
    }
}
