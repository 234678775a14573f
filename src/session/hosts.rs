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

    /// Prints each unreachable host's error on stderr; `Err` (exit 3) when no host answered.
    pub fn report_down(&self) -> Result<(), CliError> {
        if self.up.is_empty()
            && let Some(first) = self.down.first()
        {
            for e in &self.down[1..] {
                eprintln!("fleetdeck: {}", crate::sanitize::printable(&e.to_string()));
            }
            return Err(CliError::Engine(clone_error(first)));
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

fn clone_error(e: &EngineError) -> EngineError {
    match e {
        EngineError::Unreachable {
            host,
            endpoint,
            cause,
        } => EngineError::Unreachable {
            host: host.clone(),
            endpoint: endpoint.clone(),
            cause: cause.clone(),
        },
        EngineError::Daemon {
            host,
            endpoint,
            source,
        } => EngineError::Unreachable {
            host: host.clone(),
            endpoint: endpoint.clone(),
            cause: source.to_string(),
        },
    }
}

impl Globals {
    /// How long any daemon call may take: `--timeout`, else `[daemon] timeout`.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(self.config.daemon.timeout)
    }

    /// The hosts this run names: `--host` and `--context` (in that order), else the config's
    /// `[[hosts]]`, else `DOCKER_HOST`, else the docker CLI's current context, else the local
    /// socket. Hosts whose derived names clash are numbered.
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
                specs.push(HostSpec::local());
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
        let pending = self.endpoints()?;
        let results = join_all(pending.into_iter().map(|endpoint| async move {
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
