//! A container as the list call says it, with only the fields fleetdeck keeps: what the raw
//! list reads the daemon's answer into (serde skips the rest without keeping it), and what
//! bollard's summary is turned into where the call goes through bollard (TLS, ssh, Podman).

use std::collections::BTreeMap;

use bollard::models::{ContainerSummary, PortSummaryTypeEnum};
use serde::Deserialize;

/// One container of a list answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Listed {
    pub id: Option<String>,
    pub names: Option<Vec<String>>,
    pub image: Option<String>,
    pub command: Option<String>,
    /// Unix seconds.
    pub created: Option<i64>,
    /// `running`, `exited`, ...
    pub state: Option<String>,
    /// `Up 3 minutes (healthy)`, `Exited (1) 2 hours ago`, ...
    pub status: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub ports: Option<Vec<ListedPort>>,
}

/// One published or exposed port of a list answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListedPort {
    #[serde(rename = "IP")]
    pub ip: Option<String>,
    pub private_port: u16,
    pub public_port: Option<u16>,
    /// `tcp`, `udp`, `sctp`.
    #[serde(rename = "Type")]
    pub typ: Option<String>,
}

impl From<ContainerSummary> for Listed {
    fn from(s: ContainerSummary) -> Self {
        Listed {
            id: s.id,
            names: s.names,
            image: s.image,
            command: s.command,
            created: s.created,
            state: s.state.map(|state| state.as_ref().to_string()),
            status: s.status,
            labels: s.labels.map(|labels| labels.into_iter().collect()),
            ports: s.ports.map(|ports| {
                ports
                    .into_iter()
                    .map(|p| ListedPort {
                        ip: p.ip,
                        private_port: p.private_port,
                        public_port: p.public_port,
                        typ: p.typ.map(|t| {
                            match t {
                                PortSummaryTypeEnum::UDP => "udp",
                                PortSummaryTypeEnum::SCTP => "sctp",
                                _ => "tcp",
                            }
                            .to_string()
                        }),
                    })
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_answer_keeps_what_is_shown_and_skips_the_rest() {
        // As Docker 20.10 answers GET /containers/json, network settings and mounts included.
        let answer = r#"[{"Id":"abc","Names":["/web-1"],"Image":"nginx","ImageID":"sha256:1",
            "Command":"nginx -g 'daemon off;'","Created":1700000000,
            "Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
                     {"PrivatePort":53,"Type":"udp"}],
            "Labels":{"com.docker.compose.project":"shop"},"State":"running",
            "Status":"Up 3 minutes (healthy)","HostConfig":{"NetworkMode":"default"},
            "NetworkSettings":{"Networks":{"bridge":{"IPAMConfig":null,"Links":null,
            "Aliases":null,"NetworkID":"n1","EndpointID":"e1","Gateway":"172.17.0.1",
            "IPAddress":"172.17.0.2","IPPrefixLen":16,"MacAddress":"02:42:ac:11:00:02"}}},
            "Mounts":[]},
            {"Id":"def","Names":null,"Labels":null,"Ports":null,"State":"exited"}]"#;
        let listed: Vec<Listed> = serde_json::from_str(answer).expect("a list answer");
        assert_eq!(listed.len(), 2);
        let web = &listed[0];
        assert_eq!(web.id.as_deref(), Some("abc"));
        assert_eq!(web.state.as_deref(), Some("running"));
        assert_eq!(web.created, Some(1_700_000_000));
        let labels = web.labels.as_ref().expect("labels");
        assert_eq!(labels["com.docker.compose.project"], "shop");
        let ports = web.ports.as_ref().expect("ports");
        assert_eq!(ports[0].public_port, Some(8080));
        assert_eq!(ports[1].typ.as_deref(), Some("udp"));
        assert_eq!(ports[1].ip, None);
        assert!(listed[1].names.is_none() && listed[1].labels.is_none());
    }
}
