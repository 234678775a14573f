//! `fleetdeck ps`: the fleet as a table or JSON. The daemon does the filtering (the `--filter`
//! flags, and the up states unless `-a`), and one list call is all `ps` costs, as `docker ps`;
//! `--detail` inspects each container printed for what the list call lacks (start and finish
//! times, restart count, OOM flag, memory limit) — one inspect costs the daemon about what
//! listing 40 containers does.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use super::output::{json_line, quiet_pipe, table};
use super::{CliError, Exit, Globals, OutputArgs};
use crate::engine::exit::{ExitContext, ExitReading, read_exit};
use crate::engine::{Container, ContainerId, Health, Port, RunState};
use crate::present::status_text;

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default: only running, paused and restarting).
    #[arg(short, long)]
    pub all: bool,
    /// Docker filter KEY=VALUE (name=, label=, status=, health=, ancestor=, ...); repeatable.
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Inspect each container printed: the restart count, start and finish times, the OOM flag
    /// and the memory limit (one inspect per row, 64 at once); without it, one list call.
    #[arg(short, long)]
    pub detail: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One row of `ps --json`: the container and its exit read in words.
#[derive(Debug, Serialize)]
pub struct PsRow<'a> {
    #[serde(flatten)]
    pub container: &'a Container,
    pub exit: Option<ExitReading>,
    pub status: String,
}

/// One row of `ps --json` without `--detail`: what the list call says, and the daemon's status
/// words. The fields only an inspect gives are left out (not `null`: unknown, not empty).
#[derive(Debug, Serialize)]
pub struct ListedRow<'a> {
    pub host: &'a str,
    pub id: &'a ContainerId,
    pub name: &'a str,
    pub image: &'a str,
    pub command: &'a str,
    pub state: RunState,
    pub health: Option<Health>,
    pub exit_code: Option<i64>,
    pub created: Option<DateTime<Utc>>,
    pub labels: &'a BTreeMap<String, String>,
    pub ports: &'a [Port],
    pub compose_project: Option<&'a str>,
    pub compose_service: Option<&'a str>,
    /// The Podman pod it is in (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<&'a str>,
    pub status: &'a str,
}

impl<'a> ListedRow<'a> {
    fn of(c: &'a Container, status: &'a str) -> Self {
        Self {
            host: &c.host,
            id: &c.id,
            name: &c.name,
            image: &c.image,
            command: &c.command,
            state: c.state,
            health: c.health,
            exit_code: c.exit_code,
            created: c.created,
            labels: &c.labels,
            ports: &c.ports,
            compose_project: c.compose_project.as_deref(),
            compose_service: c.compose_service.as_deref(),
            pod: c.pod.as_deref(),
            status,
        }
    }
}

/// Parses `KEY=VALUE` filters into Docker's filter map.
pub fn parse_filters(filters: &[String]) -> Result<HashMap<String, Vec<String>>, CliError> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for f in filters {
        let (key, value) = f.split_once('=').ok_or_else(|| {
            CliError::Usage(format!(
                "bad filter '{f}': expected KEY=VALUE (e.g. name=web)"
            ))
        })?;
        if key.is_empty() {
            return Err(CliError::Usage(format!(
                "bad filter '{f}': the key is empty"
            )));
        }
        map.entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }
    Ok(map)
}

/// The states `ps` lists without `-a` (those [`crate::engine::RunState::is_up`] says are up).
const UP_STATES: [&str; 3] = ["running", "paused", "restarting"];

/// The daemon's filters for `ps`: the user's, and the up states unless `all` or the user
/// filters by status (then the up states are kept here, as before).
pub fn daemon_filters(
    filters: &[String],
    all: bool,
) -> Result<HashMap<String, Vec<String>>, CliError> {
    let mut map = parse_filters(filters)?;
    if !all && !map.contains_key("status") {
        map.insert(
            "status".into(),
            UP_STATES.iter().map(|s| s.to_string()).collect(),
        );
    }
    Ok(map)
}

pub async fn run(args: PsArgs, globals: &Globals) -> Result<Exit, CliError> {
    let mut hosts = globals.connect_all().await?;
    let now = Utc::now();
    // Each container with its status words: the daemon's, or ours from the inspected times.
    let mut fleet: Vec<(Container, String)> = if args.detail {
        let filters = daemon_filters(&args.filter, args.all)?;
        let detailed = hosts.list_detailed(&filters).await?;
        detailed
            .into_iter()
            .map(|c| {
                let status = status_text(&c, now);
                (c, status)
            })
            .collect()
    } else {
        // Without -a, the daemon's own up list (as `docker ps`): a status filter over every
        // container costs the daemon twice as much. The user's status filter asks for all.
        let filters = parse_filters(&args.filter)?;
        let all = args.all || filters.contains_key("status");
        hosts.list_with_status(&filters, all).await?
    };
    hosts.report_down()?;
    if !args.all {
        fleet.retain(|(c, _)| c.state.is_up());
    }
    fleet.sort_by(|(a, _), (b, _)| a.name.cmp(&b.name).then_with(|| a.host.cmp(&b.host)));
    let mut out = std::io::stdout().lock();
    let result = match (args.output.json, args.detail) {
        (true, true) => json_line(&mut out, &detailed_rows(&fleet)),
        (true, false) => {
            let rows: Vec<ListedRow> = fleet.iter().map(|(c, s)| ListedRow::of(c, s)).collect();
            json_line(&mut out, &rows)
        }
        (false, detail) => {
            let (headers, rows) = table_rows(&fleet, hosts.several(), detail);
            table(&mut out, &headers, &rows)
        }
    };
    quiet_pipe(result.and_then(|()| out.flush()))?;
    Ok(hosts.exit(Exit::Success))
}

fn detailed_rows(fleet: &[(Container, String)]) -> Vec<PsRow<'_>> {
    fleet
        .iter()
        .map(|(c, status)| PsRow {
            container: c,
            exit: c.exit_code.map(|code| {
                read_exit(
                    code,
                    ExitContext {
                        oom_killed: c.oom_killed,
                        stop_timed_out: None,
                    },
                )
            }),
            status: status.clone(),
        })
        .collect()
}

/// The table: HOST with several hosts, RESTARTS with `--detail` (only an inspect tells).
fn table_rows(
    fleet: &[(Container, String)],
    several: bool,
    detail: bool,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut headers = vec![
        "HOST", "NAME", "ID", "IMAGE", "STATE", "STATUS", "RESTARTS", "PORTS",
    ];
    if !detail {
        headers.retain(|h| *h != "RESTARTS");
    }
    if !several {
        headers.remove(0);
    }
    let rows = fleet
        .iter()
        .map(|(c, status)| {
            let state = match c.health {
                Some(h) => format!("{} ({})", c.state, h.as_str()),
                None => c.state.to_string(),
            };
            let mut row = several
                .then(|| c.host.clone())
                .into_iter()
                .collect::<Vec<_>>();
            row.extend([
                c.name.clone(),
                c.id.short().to_string(),
                c.image.clone(),
                state,
                status.clone(),
            ]);
            if detail {
                row.push(c.restart_count.map(|n| n.to_string()).unwrap_or_default());
            }
            row.push(
                c.ports
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            row
        })
        .collect();
    (headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        let map = parse_filters(&["name=web".into(), "label=a=b".into(), "name=db".into()])
            .expect("valid filters");
        assert_eq!(map["name"], vec!["web", "db"]);
        assert_eq!(map["label"], vec!["a=b"]);
        assert!(matches!(
            parse_filters(&["name".into()]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            parse_filters(&["=x".into()]),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn the_daemon_lists_only_up_containers_unless_all() {
        let up = daemon_filters(&["name=web".into()], false).expect("valid");
        assert_eq!(up["status"], UP_STATES);
        assert_eq!(up["name"], vec!["web"]);
        let all = daemon_filters(&["name=web".into()], true).expect("valid");
        assert!(!all.contains_key("status"));
        // The user's own status filter is the daemon's; the up states are kept here.
        let own = daemon_filters(&["status=exited".into()], false).expect("valid");
        assert_eq!(own["status"], vec!["exited"]);
    }
}
