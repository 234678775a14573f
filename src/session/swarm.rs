//! Finding the swarm manager among a run's hosts: the Swarm commands ask one manager (it
//! answers for the whole swarm); a run whose hosts hold none is a usage error naming what
//! each host is.

use super::CliError;
use super::hosts::Hosts;
use crate::engine::Endpoint;
use crate::engine::swarm::SwarmInfo;

impl Hosts {
    /// The first host that is a swarm manager, with its swarm info. Hosts that cannot be
    /// reached are reported; none a manager: a usage error saying what each host is.
    pub async fn swarm_manager(&mut self) -> Result<(Endpoint, SwarmInfo), CliError> {
        let infos = self
            .each(|endpoint| async move {
                let info = endpoint.swarm_info().await?;
                Ok((endpoint, info))
            })
            .await?;
        self.report_down()?;
        if let Some((endpoint, info)) = infos.iter().find(|(_, info)| info.manager) {
            return Ok((endpoint.clone(), info.clone()));
        }
        let what: Vec<String> = infos
            .iter()
            .map(|(endpoint, info)| {
                let role = if info.active() {
                    "a swarm worker".to_string()
                } else {
                    format!("not in a swarm ({})", info.node_state)
                };
                format!("{} is {role}", endpoint.name)
            })
            .collect();
        Err(CliError::Usage(format!(
            "no host is a swarm manager: {} (give a manager with --host)",
            what.join("; ")
        )))
    }
}
