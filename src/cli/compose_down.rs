//! `down` on one host: the project's containers stopped and removed, then its networks (and
//! volumes with `--volumes`) once every container is gone; asked first like `rm`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use super::compose::DownArgs;
use super::output::{json_line, quiet_pipe};
use super::{CliError, Exit, Globals};
use crate::actions::{Action as Act, ActionContext, Target};
use crate::engine::resources::{NetworkInfo, VolumeInfo};
use crate::engine::{Container, Endpoint};
use crate::reconcile::COMPOSE_PROJECT_LABEL;
use crate::reconcile::compose::Project;
use crate::sanitize::printable;

/// What `down` takes away on one host.
struct Inventory {
    containers: Vec<Container>,
    networks: Vec<NetworkInfo>,
    volumes: Vec<VolumeInfo>,
}

impl Inventory {
    async fn of(endpoint: &Endpoint, project: &str, volumes: bool) -> Result<Self, CliError> {
        let label = HashMap::from([(
            "label".to_string(),
            vec![format!("{COMPOSE_PROJECT_LABEL}={project}")],
        )]);
        let mut containers = endpoint.list(&label).await?;
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        let networks = endpoint.list_networks(&label).await?;
        let volumes = if volumes {
            endpoint.list_volumes(&label).await?
        } else {
            Vec::new()
        };
        Ok(Self {
            containers,
            networks,
            volumes,
        })
    }

    /// Its items in words: container names, `network N`, `volume V`.
    fn words(&self) -> Vec<String> {
        let mut what: Vec<String> = self.containers.iter().map(|c| c.name.clone()).collect();
        what.extend(self.networks.iter().map(|n| format!("network {}", n.name)));
        what.extend(self.volumes.iter().map(|v| format!("volume {}", v.name)));
        what
    }
}

/// One line of the report: whether it went, its kind, its name, why not.
struct Gone {
    ok: bool,
    kind: &'static str,
    name: String,
    error: Option<String>,
}

pub(super) async fn down_on(
    args: &DownArgs,
    globals: &Globals,
    project: &Project,
    endpoint: Endpoint,
) -> Result<Exit, CliError> {
    let inventory = Inventory::of(&endpoint, &project.name, args.volumes).await?;
    let what = inventory.words();
    if what.is_empty() {
        eprintln!("project {}: nothing to remove", project.name);
        return Ok(Exit::Success);
    }
    if !confirmed(args, globals, &project.name, &what)? {
        eprintln!("nothing done");
        return Ok(Exit::Usage);
    }
    let ctx = globals.action_context(endpoint);
    let (mut lines, containers_gone) = remove_containers(&ctx, globals, &inventory).await;
    lines.extend(remove_resources(&ctx, &inventory, containers_gone).await);
    print(&lines, &ctx.endpoint.name, args.output.json)?;
    Ok(if lines.iter().all(|l| l.ok) {
        Exit::Success
    } else {
        Exit::SomeFailed
    })
}

/// Refused under `--read-only`; without `--yes`, asked on the terminal (refused without one).
fn confirmed(
    args: &DownArgs,
    globals: &Globals,
    project: &str,
    what: &[String],
) -> Result<bool, CliError> {
    if globals.read_only {
        return Err(CliError::ReadOnly(format!(
            "refused to take down project {project}: fleetdeck is read-only (--read-only); it would remove {}",
            what.join(", ")
        )));
    }
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to take down project {project} without --yes: stdin is not a terminal to ask on ({})",
            what.join(", ")
        )));
    }
    super::act::ask(&format!("remove {}?", what.join(", ")))
}

/// Stops then removes the containers (with their anonymous volumes); whether all are gone.
async fn remove_containers(
    ctx: &ActionContext,
    globals: &Globals,
    inventory: &Inventory,
) -> (Vec<Gone>, bool) {
    let targets: Vec<Target> = inventory
        .containers
        .iter()
        .map(|c| Target {
            id: c.id.clone(),
            name: c.name.clone(),
        })
        .collect();
    let parallel = globals.config.actions.parallelism;
    let stop = Act::Stop {
        timeout_s: globals.config.actions.stop_timeout_s,
    };
    let stopped = ctx.execute_many(&stop, &targets, parallel).await;
    let rm = Act::Remove {
        force: false,
        volumes: true,
    };
    let removable: Vec<Target> = stopped
        .iter()
        .filter(|r| r.result.is_ok())
        .map(|r| r.target.clone())
        .collect();
    let removed = ctx.execute_many(&rm, &removable, parallel).await;
    let lines = stopped
        .iter()
        .filter(|r| r.result.is_err())
        .chain(&removed)
        .map(|r| {
            let error = r.result.as_ref().err().map(|e| e.to_string());
            let error = error.or_else(|| r.audit_error.clone());
            Gone {
                ok: error.is_none(),
                kind: "container",
                name: r.target.name.clone(),
                error,
            }
        })
        .collect();
    let all_gone = removed.iter().all(|r| r.result.is_ok()) && removed.len() == targets.len();
    (lines, all_gone)
}

/// Networks, then volumes: only once every container is gone.
async fn remove_resources(
    ctx: &ActionContext,
    inventory: &Inventory,
    containers_gone: bool,
) -> Vec<Gone> {
    let resources: Vec<(&'static str, &str)> = inventory
        .networks
        .iter()
        .map(|n| ("network", n.name.as_str()))
        .chain(
            inventory
                .volumes
                .iter()
                .map(|v| ("volume", v.name.as_str())),
        )
        .collect();
    let mut lines = Vec::new();
    for (kind, name) in resources {
        let error = if containers_gone {
            let done = if kind == "network" {
                ctx.remove_network(name).await
            } else {
                ctx.remove_volume(name).await
            };
            done.result
                .err()
                .map(|e| e.to_string())
                .or(done.audit_error)
        } else {
            Some(format!("{kind} {name} kept: not every container is gone"))
        };
        lines.push(Gone {
            ok: error.is_none(),
            kind,
            name: name.to_string(),
            error,
        });
    }
    lines
}

fn print(lines: &[Gone], host: &str, json: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = lines.iter().try_for_each(|l| {
        if json {
            let value = serde_json::json!({
                "host": host,
                "kind": l.kind, "name": l.name, "ok": l.ok,
                "outcome": if l.ok { "removed" } else { "failed" }, "error": l.error,
            });
            json_line(&mut out, &value)
        } else {
            let mark = if l.ok { "ok  " } else { "FAIL" };
            let tail = l
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            let line = format!("{mark} removed {} {}{tail}", l.kind, l.name);
            writeln!(out, "{}", printable(&line))
        }
    });
    quiet_pipe(written.and_then(|()| out.flush()))?;
    Ok(())
}
