//! The console's side of the effects: [`Carrier`] for [`Io`], one small function per effect.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use ratatui::crossterm::event::EventStream;

use super::effects::{Carrier, LOG_TARGET};
use super::{HostIo, Io, clipboard, compose, exec, logs};
use crate::actions::{Action, ActionContext, Target};
use crate::app::{ActionDone, Effect, LoadError, Msg};
use crate::engine::detail::ContainerDetail;
use crate::engine::{ContainerId, Endpoint, Fleet};
use crate::session::CliError;

/// A container's host is not one this console talks to.
#[derive(Debug, thiserror::Error)]
#[error("host '{host}' is not one of this console's")]
pub(super) struct UnknownHost {
    pub host: String,
}

impl Io<'_> {
    /// The host a container is on (the fleet says), and that host's side.
    pub(super) fn host_of(&self, fleet: &Fleet, id: &ContainerId) -> Result<&HostIo, UnknownHost> {
        let host = fleet
            .get(id)
            .map_or(self.primary.as_str(), |c| c.host.as_str());
        self.hosts.get(host).ok_or_else(|| UnknownHost {
            host: host.to_string(),
        })
    }

    /// Each host streams its own containers' stats.
    fn watch_stats(&self, ids: Vec<ContainerId>, fleet: &Fleet) {
        let mut by_host: BTreeMap<&str, Vec<ContainerId>> = self
            .hosts
            .keys()
            .map(|h| (h.as_str(), Vec::new()))
            .collect();
        for id in ids {
            let host = fleet.get(&id).map_or(self.primary.as_str(), |c| &c.host);
            if let Some(list) = by_host.get_mut(host) {
                list.push(id);
            }
        }
        for (host, ids) in by_host {
            if let Some(io) = self.hosts.get(host) {
                io.stats.watch(ids);
            }
        }
    }

    /// Runs `action` on each target, each on its own host, in a task; the results come back
    /// as one message.
    fn run_action(&self, action: Action, targets: Vec<Target>, fleet: &Fleet) {
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        log::info!(target: LOG_TARGET, "{} {}", action.verb(), names.join(", "));
        // Each target goes to its own host.
        let targets: Vec<(ActionContext, Target)> = targets
            .into_iter()
            .filter_map(|t| {
                let context = self.host_of(fleet, &t.id).ok()?.context.clone();
                Some((context, t))
            })
            .collect();
        let tx = self.msg_tx.clone();
        let parallelism = self.parallelism;
        tokio::spawn(async move {
            // As `execute_many`, with owned futures: its borrowing closure is not
            // `Send` for every lifetime, which `tokio::spawn` needs.
            let done: Vec<ActionDone> = futures_util::stream::iter(targets)
                .map(|(context, target)| {
                    let action = action.clone();
                    async move { ActionDone::from_report(&context.execute(&action, &target).await) }
                })
                .buffered(parallelism.max(1))
                .collect()
                .await;
            let _ = tx.send(Msg::ActionsDone(done)).await;
        });
    }

    /// Inspects a container in a task; the detail (or why not) comes back as a message.
    fn fetch_detail(&self, id: ContainerId, fleet: &Fleet) -> Vec<Msg> {
        let endpoint = match self.host_of(fleet, &id) {
            Ok(io) => io.context.endpoint.clone(),
            Err(e) => {
                let result = Err(LoadError::Daemon(e.to_string()));
                return vec![Msg::Detail { id, result }];
            }
        };
        let tx = self.msg_tx.clone();
        tokio::spawn(async move {
            let result = inspect_detail(&endpoint, &id).await;
            let _ = tx.send(Msg::Detail { id, result }).await;
        });
        Vec::new()
    }

    /// Opens the log streams of `targets`, each on its own host, in place of the old ones.
    fn open_logs(&mut self, targets: Vec<Target>, fleet: &Fleet) {
        // The old streams and what they sent go first.
        drop(self.log_streams.take());
        let routed: Vec<(Endpoint, Target)> = targets
            .into_iter()
            .filter_map(|t| {
                let endpoint = self.host_of(fleet, &t.id).ok()?.context.endpoint.clone();
                Some((endpoint, t))
            })
            .collect();
        self.log_streams = Some(logs::LogStreams::open(&routed, &self.logs_options));
    }

    /// Copies `text` to the clipboard through the terminal's own writer, so that it lands
    /// between frames.
    fn copy(&mut self, text: &str, what: &str) -> Vec<Msg> {
        if let Err(e) = clipboard::copy(self.term.backend_mut(), text) {
            return vec![Msg::Notice {
                text: format!("copy failed: {e}"),
                is_error: true,
            }];
        }
        log::info!(target: LOG_TARGET, "copied {what} ({} bytes)", text.len());
        Vec::new()
    }

    /// Hands the terminal to a shell in the container, and takes it back.
    async fn exec(&mut self, target: Target, fleet: &Fleet) -> Result<Vec<Msg>, CliError> {
        // Our key reader stops before the shell gets the terminal.
        self.events = None;
        let context = match self.host_of(fleet, &target.id) {
            Ok(io) => io.context.clone(),
            Err(e) => {
                self.events = Some(EventStream::new());
                return Ok(vec![Msg::Notice {
                    text: e.to_string(),
                    is_error: true,
                }]);
            }
        };
        let result = exec::suspended_exec(
            &context,
            &target,
            exec::shell_command(&self.exec_shell),
            &self.detach_keys,
            self.mouse,
        )
        .await;
        self.events = Some(EventStream::new());
        let (text, is_error) = result?;
        self.term.clear()?;
        let size = self.term.size()?;
        self.redraw = true;
        // The terminal may have changed size meanwhile: the rows now on screen get
        // their stats streams from this resize's effects.
        Ok(vec![
            Msg::Resize {
                width: size.width,
                height: size.height,
            },
            Msg::Notice { text, is_error },
        ])
    }
}

/// A container's detail from its inspect, on `endpoint`'s host; the words of why not.
async fn inspect_detail(
    endpoint: &Endpoint,
    id: &ContainerId,
) -> Result<Box<ContainerDetail>, LoadError> {
    match endpoint.inspect(&id.0).await {
        Ok(Some(inspect)) => ContainerDetail::from_inspect(&inspect, true)
            .map(|mut d| {
                d.container.host.clone_from(&endpoint.name);
                Box::new(d)
            })
            .ok_or(LoadError::NoId),
        Ok(None) => Err(LoadError::NoSuchContainer),
        Err(e) => Err(LoadError::Daemon(e.to_string())),
    }
}

impl Carrier for Io<'_> {
    async fn carry(&mut self, effect: Effect, fleet: &Fleet) -> Result<Vec<Msg>, CliError> {
        match effect {
            // `step` reads it; nothing to do here.
            Effect::Quit => {}
            Effect::WatchStats(ids) => self.watch_stats(ids, fleet),
            Effect::SampleRunning(ids) => {
                if let Some(vitals) = &self.vitals {
                    vitals.set_running(ids.clone());
                }
                if let Some(sampler) = &self.sampler {
                    sampler.set_running(ids);
                }
            }
            Effect::GpuNames(names) => self.gpu_feed.hand(names),
            Effect::SwarmWatch(watch) => {
                let endpoints = self.hosts.values().map(|h| h.context.endpoint.clone());
                let endpoints = endpoints.collect();
                self.swarm_feed.set(watch, endpoints, self.msg_tx.clone());
            }
            Effect::SwarmAction(request) => {
                let context = self.hosts.get(request.manager()).map(|h| h.context.clone());
                super::swarm::run_action(request, context, self.msg_tx.clone());
            }
            Effect::OpenServiceLogs { manager, service } => {
                drop(self.log_streams.take());
                match self.hosts.get(&manager) {
                    Some(io) => {
                        let endpoint = &io.context.endpoint;
                        let streams =
                            logs::LogStreams::open_service(endpoint, *service, &self.logs_options);
                        self.log_streams = Some(streams);
                    }
                    None => {
                        return Ok(vec![Msg::Notice {
                            text: format!("logs: host '{manager}' is not one of this console's"),
                            is_error: true,
                        }]);
                    }
                }
            }
            Effect::ConsoleLogKey(key) => self.log_pane.key(key),
            Effect::RunAction { action, targets } => self.run_action(action, targets, fleet),
            Effect::FetchDetail(id) => return Ok(self.fetch_detail(id, fleet)),
            Effect::LoadHistory(id) => self.history.load(id, self.msg_tx.clone()),
            Effect::OpenLogs(targets) => self.open_logs(targets, fleet),
            Effect::CloseLogs => self.log_streams = None,
            Effect::LoadCompose {
                files,
                project_name,
            } => compose::load(
                files,
                project_name,
                self.hosts[&self.primary].context.endpoint.clone(),
                self.msg_tx.clone(),
            ),
            Effect::ApplyPlan { project, plan } => compose::run(
                self.hosts[&self.primary].context.clone(),
                project,
                plan,
                self.parallelism,
                self.msg_tx.clone(),
            ),
            Effect::Copy { text, what } => return Ok(self.copy(&text, &what)),
            Effect::SaveLogs {
                file_name,
                contents,
                lines,
            } => logs::save(file_name, contents, lines, self.msg_tx.clone()),
            Effect::Exec(target) => return self.exec(target, fleet).await,
            Effect::Objects(effect) => super::objects::carry(effect, &self.hosts, &self.msg_tx),
        }
        Ok(Vec::new())
    }
}
