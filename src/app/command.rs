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
    Action {
        action: Action,
        names: Vec<String>,
    },
}

/// Parses a command line; `Ok(None)` for an empty one, `Err` with a message for people.
pub fn parse(line: &str, settings: &Settings) -> Result<Option<CommandLine>, String> {
    let line = line.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Ok(None);
    };
    let rest: Vec<String> = words.map(str::to_string).collect();
    let action =
        |action: Action, names: Vec<String>| Ok(Some(CommandLine::Action { action, names }));
    match verb {
        "q" | "q!" | "quit" | "exit" => Ok(Some(CommandLine::Quit)),
        "h" | "help" => Ok(Some(CommandLine::Help)),
        "sort" => {
            let column = rest.first().ok_or_else(|| {
                "sort: name a column (name, image, state, status, restarts, cpu, mem, ports)"
                    .to_string()
            })?;
            let column =
                Column::parse(column).ok_or_else(|| format!("sort: unknown column '{column}'"))?;
            let descending = match rest.get(1).map(String::as_str) {
                None => None,
                Some("asc" | "up") => Some(false),
                Some("desc" | "down") => Some(true),
                Some(other) => return Err(format!("sort: '{other}' is not asc or desc")),
            };
            Ok(Some(CommandLine::Sort { column, descending }))
        }
        "filter" | "f" => Ok(Some(CommandLine::Filter(rest.join(" ")))),
        "stopped" | "all" => Ok(Some(CommandLine::ToggleStopped)),
        "triage" | "problems" => Ok(Some(CommandLine::Triage)),
        "gpu" | "gpus" => Ok(Some(CommandLine::Gpu)),
        "plan" => Ok(Some(CommandLine::Plan)),
        "apply" => Ok(Some(CommandLine::Apply)),
        "start" => action(Action::Start, rest),
        "stop" => action(
            Action::Stop {
                timeout_s: settings.stop_timeout_s,
            },
            rest,
        ),
        "restart" => action(
            Action::Restart {
                timeout_s: settings.stop_timeout_s,
            },
            rest,
        ),
        "pause" => action(Action::Pause, rest),
        "unpause" => action(Action::Unpause, rest),
        "kill" => {
            let mut signal = settings.kill_signal.clone();
            let mut names = Vec::new();
            let mut words = rest.into_iter();
            while let Some(word) = words.next() {
                if word == "-s" || word == "--signal" {
                    signal = words
                        .next()
                        .ok_or_else(|| "kill: -s needs a signal".to_string())?;
                } else {
                    names.push(word);
                }
            }
            action(Action::Kill { signal }, names)
        }
        "rm" | "remove" => {
            let force = rest.iter().any(|w| w == "-f" || w == "--force");
            let names = rest
                .into_iter()
                .filter(|w| w != "-f" && w != "--force")
                .collect();
            action(
                Action::Remove {
                    force,
                    volumes: false,
                },
                names,
            )
        }
        other => Err(format!(
            "unknown command ':{other}' (try :stop NAME, :sort mem, :filter TEXT, :q; ? for help)"
        )),
    }
}

/// Runs a `:` command line.
pub fn run_command_line(state: &mut AppState, line: &str, effects: &mut Vec<Effect>) {
    use CommandLine as Cl;
    let parsed = match parse(line, &state.settings) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return,
        Err(e) => {
            state.set_status(e, true);
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
