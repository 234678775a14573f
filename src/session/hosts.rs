//! Which hosts a run talks to, and connecting to all of them at once: every host within the
//! timeout, concurrently, so that one slow or dead host delays nothing but its own answer.

use std::time::Duration;

use futures_util::future::join_all;

use super::{CliError, Globals};
use crate::engine::context;
use crate::engine::host::{HostSpec, dedupe_names};
use crate::engine::{Endpoint, EngineError};

/// The hosts of a run that answered, and the errors of those that did not.
#[derive(Debug)]
pub struct Hosts {
    pub up: Vec<Endpoint>,
    pub down: Vec<EngineError>,
}

impl Hosts {
    /// Whether more than one host was named (the HOST column and `@host` in messages).
    pub fn several(&self) -> bool {
        self.up.len() + self.down.len() > 1
    }

    /// The endpoint of the host named `name`.
    pub fn get(&self, name: &str) -> Option<&Endpoint> {
        self.up.iter().find(|e| e.name == name)
    }

    /// Runs `call` on every host that answered, all at once; a host whose call fails on the
    /// transport moves to [`Hosts::down`] (its error reported there), and a refusal is
    /// returned as the error of the whole.
    pub async fn each<T, F, Fut>(&mut self, call: F) -> Result<Vec<T>, EngineError>
    where
        F: Fn(Endpoint) -> Fut,
        Fut: std::future::Future<Output = Result<T, EngineError>>,
    {
        let results = join_all(self.up.iter().cloned().map(&call)).await;
        let mut out = Vec::new();
        let mut up = Vec::new();
        let mut refused = None;
        for (endpoint, result) in self.up.drain(..).zip(results) {
            match result {
                Ok(value) => {
                    out.push(value);
                    up.push(endpoint);
                }
                Err(e @ EngineError::Unreachable { .. }) => self.down.push(e),
                Err(e) => {
                    up.push(endpoint);
                    refused.get_or_insert(e);
                }
            }
        }
        self.up = up;
        match refused {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Every container of every host that answered, with the daemon's status words (one list
    /// call each, no inspect).
    pub async fn list_with_status(
        &mut self,
        filters: &std::collections::HashMap<String, Vec<String>>,
        all: bool,
    ) -> Result<Vec<(crate::engine::Container, String)>, EngineError> {
        let lists = self
            .each(|endpoint| async move { endpoint.list_with_status(filters, all).await })
            .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// Every container of every host that answered (with `list_detailed`'s details).
    pub async fn list_detailed(
        &mut self,
        filters: &std::collections::HashMap<String, Vec<String>>,
    ) -> Result<Vec<crate::engine::Container>, EngineError> {
        let lists = self
            .each(|endpoint| async move { endpoint.list_detailed(filters).await })
            .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// Every container of every host that answered (one list call each, no details).
    pub async fn list(&mut self) -> Result<Vec<crate::engine::Container>, EngineError> {
        let lists = self
            .each(|endpoint| async move { endpoint.list(&Default::default()).await })
            .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// The one container `query` (`NAME` or `NAME@HOST`) names among every host's, and its
    /// host's endpoint. Unreachable hosts are reported first; a target on none of the others
    /// is a usage error (it may be on a host that did not answer: then exit 3).
    pub async fn resolve_one(
        &mut self,
        query: &str,
    ) -> Result<(Endpoint, crate::engine::Container), CliError> {
        let fleet = self.list().await?;
        self.report_down()?;
        match crate::engine::resolve::resolve(&fleet, query) {
            Ok(found) => {
                let endpoint = self.get(&found.host).cloned().ok_or_else(|| {
                    CliError::Usage(format!("host '{}' is not connected", found.host))
                })?;
                Ok((endpoint, found.clone()))
            }
            Err(e) => match self.down.first() {
                Some(down) => Err(CliError::Engine(down.shallow_clone())),
                None => Err(CliError::Usage(e.to_string())),
            },
        }
    }

    /// Prints each unreachable host's error on stderr; `Err` (exit 3) when no host answered.
    pub fn report_down(&self) -> Result<(), CliError> {
        if self.up.is_empty()
            && let Some(first) = self.down.first()
        {
            for e in &self.down[1..] {
                eprintln!("fleetdeck: {}", crate::sanitize::printable(&e.to_string()));
            }
            return Err(CliError::Engine(first.shallow_clone()));
        }
        for e in &self.down {
            eprintln!("fleetdeck: {}", crate::sanitize::printable(&e.to_string()));
        }
        Ok(())
    }

    /// The exit a command ends with: `exit`, or 3 when it succeeded on the hosts that answered
    /// but some host could not be reached.
    pub fn exit(&self, exit: super::Exit) -> super::Exit {
        if !self.down.is_empty() && exit == super::Exit::Success {
            super::Exit::Unreachable
        } else {
            exit
        }
    }
}

impl Globals {
    /// How long any daemon call may take: `--daemon-timeout`, else `[daemon] timeout`.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(self.config.daemon.timeout)
    }

    /// The hosts this run names: `--host` and `--context` (in that order), else the config's
    /// `[[hosts]]`, else `DOCKER_HOST`, else the docker CLI's current context, else the local
    /// socket: Docker's when it answers, else a Podman socket that does
    /// ([`crate::engine::discover`]). Hosts whose derived names clash are numbered.
    pub fn host_specs(&self) -> Result<Vec<HostSpec>, CliError> {
        let usage = |e: crate::engine::HostError| CliError::Usage(e.to_string());
        let mut specs: Vec<HostSpec> = Vec::new();
        for flag in &self.hosts {
            let mut spec = HostSpec::from_flag(flag).map_err(usage)?;
            context::apply_env_tls(&mut spec).map_err(usage)?;
            specs.push(spec);
        }
        for name in &self.contexts {
            specs.push(context::from_context(name).map_err(usage)?);
        }
        if specs.is_empty() {
            for host in &self.config.hosts {
                specs.push(host.spec().map_err(usage)?);
            }
        }
        if specs.is_empty() {
            if let Some(spec) = context::from_env().map_err(usage)? {
                specs.push(spec);
            } else if let Some(name) = context::current_context().map_err(usage)? {
                specs.push(context::from_context(&name).map_err(usage)?);
            } else {
                specs.push(crate::engine::discover::local_host());
            }
        }
        dedupe_names(&mut specs);
        for spec in &specs {
            if spec.skips_verification() {
                eprintln!(
                    "fleetdeck: warning: host '{}' ({}): TLS certificate NOT verified (tls_verify = false)",
                    spec.name, spec.url
                );
            }
        }
        Ok(specs)
    }

    /// The endpoints of every host, not yet called (the console connects each in its own
    /// watcher).
    pub fn endpoints(&self) -> Result<Vec<Result<Endpoint, EngineError>>, CliError> {
        let timeout = self.timeout();
        Ok(self
            .host_specs()?
            .iter()
            .map(|spec| Endpoint::new(spec, timeout))
            .collect())
    }

    /// Connects to every host at once, each within the timeout.
    pub async fn connect_all(&self) -> Result<Hosts, CliError> {
        self.connect_specs(&self.host_specs()?).await
    }

    /// Connects to every host of `specs` at once, each within the timeout.
    pub async fn connect_specs(&self, specs: &[HostSpec]) -> Result<Hosts, CliError> {
        let timeout = self.timeout();
        let pending = specs.iter().map(|spec| Endpoint::new(spec, timeout));
        let results = join_all(pending.map(|endpoint| async move {
            let endpoint = endpoint?;
            endpoint.negotiate().await?;
            Ok::<_, EngineError>(endpoint)
        }))
        .await;
        let mut hosts = Hosts {
            up: Vec::new(),
            down: Vec::new(),
        };
        for result in results {
            match result {
                Ok(endpoint) => hosts.up.push(endpoint),
                Err(e) => hosts.down.push(e),
            }
        }
        Ok(hosts)
    }

    /// Runs `command` on each host in turn (a command that works on one host at a time: plan,
    /// apply, down): with one host, just there; with several, on every host that answered,
    /// each under a `host NAME:` line on stderr. The exit is the first failure's, else 3 when a
    /// host could not be reached.
    pub async fn per_host<F, Fut>(&self, command: F) -> Result<super::Exit, CliError>
    where
        F: Fn(Endpoint) -> Fut,
        Fut: std::future::Future<Output = Result<super::Exit, CliError>>,
    {
        let specs = self.host_specs()?;
        if let [spec] = specs.as_slice() {
            return command(Endpoint::connect(spec, self.timeout()).await?).await;
        }
        let hosts = self.connect_specs(&specs).await?;
        hosts.report_down()?;
        let mut exit = super::Exit::Success;
        for endpoint in &hosts.up {
            eprintln!("fleetdeck: host {}:", endpoint.name);
            let this = match command(endpoint.clone()).await {
                Ok(this) => this,
                Err(e) => {
                    eprintln!("fleetdeck: {}", crate::sanitize::printable(&e.to_string()));
                    e.exit()
                }
            };
            if exit == super::Exit::Success {
                exit = this;
            }
        }
        Ok(hosts.exit(exit))
    }

    /// Connects to the one host of a command that works on one host at a time; with several,
    /// a usage error asking for one.
    pub async fn connect(&self) -> Result<Endpoint, CliError> {
        let specs = self.host_specs()?;
        let [spec] = specs.as_slice() else {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            return Err(CliError::Usage(format!(
                "this command works on one host at a time; {} hosts are named ({}): give one --host",
                names.len(),
                names.join(", ")
            )));
        };
        Ok(Endpoint::connect(spec, self.timeout()).await?)
    }
}
