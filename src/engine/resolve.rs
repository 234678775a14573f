//! Target resolution: what the user typed → one container. A target is `NAME` or `NAME@HOST`
//! (the host's short name); among the containers of that host (or of every host), the exact
//! name, the exact id, then a unique id prefix or name prefix; anything else is an error that
//! lists the candidates (a name on two hosts without `@HOST` lists both).

use crate::engine::Container;

/// Why a target did not resolve to one container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no container matches '{query}'{}", hint(.similar))]
    Unknown { query: String, similar: Vec<String> },
    #[error("'{query}' is ambiguous: it matches {}", .candidates.join(", "))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    #[error("'{query}': no host is named '{host}' (hosts: {})", .hosts.join(", "))]
    UnknownHost {
        query: String,
        host: String,
        hosts: Vec<String>,
    },
    #[error("'{query}' is not a target: {why}")]
    Malformed { query: String, why: &'static str },
}

fn hint(similar: &[String]) -> String {
    if similar.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", similar.join(", "))
    }
}

/// A target as typed: a name, id or prefix, and the host it is on when `@HOST` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub name: &'a str,
    pub host: Option<&'a str>,
}

/// Splits `NAME@HOST` at its last `@` (container names cannot hold one); a leading `/` of the
/// name (as Docker writes names) is dropped. An empty name or an empty host is an error.
pub fn parse_target(query: &str) -> Result<Target<'_>, ResolveError> {
    let malformed = |why| ResolveError::Malformed {
        query: query.to_string(),
        why,
    };
    let (name, host) = match query.rsplit_once('@') {
        Some((name, host)) => {
            if host.is_empty() {
                return Err(malformed("nothing after '@' (write NAME@HOST)"));
            }
            (name, Some(host))
        }
        None => (query, None),
    };
    let name = name.strip_prefix('/').unwrap_or(name);
    if name.is_empty() {
        return Err(malformed("no container name"));
    }
    Ok(Target { name, host })
}

fn label(c: &Container, hosts: bool) -> String {
    if hosts {
        format!("{}@{} ({})", c.name, c.host, c.id.short())
    } else {
        format!("{} ({})", c.name, c.id.short())
    }
}

/// Resolves `query` among `fleet` (the containers of every host).
pub fn resolve<'a>(fleet: &'a [Container], query: &str) -> Result<&'a Container, ResolveError> {
    let target = parse_target(query).map_err(|e| match e {
        // An empty name reads as "no such container", as it always has.
        ResolveError::Malformed {
            why: "no container name",
            ..
        } if !query.contains('@') => ResolveError::Unknown {
            query: String::new(),
            similar: Vec::new(),
        },
        e => e,
    })?;
    if let Some(host) = target.host
        && !fleet.iter().any(|c| c.host == host)
    {
        let mut hosts: Vec<String> = fleet.iter().map(|c| c.host.clone()).collect();
        hosts.sort();
        hosts.dedup();
        return Err(ResolveError::UnknownHost {
            query: query.to_string(),
            host: host.to_string(),
            hosts,
        });
    }
    let on_host = |c: &&Container| target.host.is_none_or(|h| c.host == h);
    let many_hosts = fleet.iter().any(|c| c.host != fleet[0].host);
    let query_name = target.name;
    let ambiguous = |mut matches: Vec<&Container>| {
        matches.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.host.cmp(&b.host)));
        ResolveError::Ambiguous {
            query: query.to_string(),
            candidates: matches.into_iter().map(|c| label(c, many_hosts)).collect(),
        }
    };
    let mut exact: Vec<&Container> = fleet
        .iter()
        .filter(on_host)
        .filter(|c| c.name == query_name || c.id.0 == query_name)
        .collect();
    match exact.len() {
        0 => {}
        1 => return Ok(exact.remove(0)),
        _ => return Err(ambiguous(exact)),
    }
    let is_hex = query_name.bytes().all(|b| b.is_ascii_hexdigit());
    let mut matches: Vec<&Container> = fleet
        .iter()
        .filter(on_host)
        .filter(|c| (is_hex && c.id.0.starts_with(query_name)) || c.name.starts_with(query_name))
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => {
            let mut similar: Vec<String> = fleet
                .iter()
                .filter(on_host)
                .filter(|c| c.name.contains(query_name))
                .map(|c| c.name.clone())
                .collect();
            similar.sort();
            similar.dedup();
            similar.truncate(5);
            Err(ResolveError::Unknown {
                query: query.to_string(),
                similar,
            })
        }
        _ => Err(ambiguous(matches)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerId;

    fn fleet() -> Vec<Container> {
        vec![
            Container::new(ContainerId("abc123".repeat(10) + "0000"), "web-1".into()),
            Container::new(ContainerId("abd456".repeat(10) + "0000"), "web-10".into()),
            Container::new(ContainerId("ff0000".repeat(10) + "0000"), "db".into()),
        ]
    }

    #[test]
    fn exact_name_wins_over_prefix() {
        let f = fleet();
        assert_eq!(resolve(&f, "web-1").map(|c| c.name.as_str()), Ok("web-1"));
        assert_eq!(resolve(&f, "/db").map(|c| c.name.as_str()), Ok("db"));
    }

    #[test]
    fn unique_prefixes_resolve() {
        let f = fleet();
        assert_eq!(resolve(&f, "abc").map(|c| c.name.as_str()), Ok("web-1"));
        assert_eq!(resolve(&f, "ff").map(|c| c.name.as_str()), Ok("db"));
        assert_eq!(resolve(&f, "web-10").map(|c| c.name.as_str()), Ok("web-10"));
        assert_eq!(resolve(&f, "d").map(|c| c.name.as_str()), Ok("db"));
    }

    #[test]
    fn ambiguous_lists_candidates() {
        let f = fleet();
        let err = resolve(&f, "ab").expect_err("two ids start with ab");
        let ResolveError::Ambiguous { candidates, .. } = &err else {
            panic!("expected ambiguous, got {err:?}");
        };
        assert_eq!(
            candidates,
            &["web-1 (abc123abc123)", "web-10 (abd456abd456)"]
        );
        assert!(resolve(&f, "web").is_err());
        assert!(err.to_string().contains("web-10"));
    }

    #[test]
    fn unknown_suggests_similar() {
        let f = fleet();
        let err = resolve(&f, "eb-1").expect_err("no such prefix");
        assert_eq!(
            err,
            ResolveError::Unknown {
                query: "eb-1".into(),
                similar: vec!["web-1".into(), "web-10".into()]
            }
        );
        assert!(matches!(
            resolve(&f, "zzz"),
            Err(ResolveError::Unknown { .. })
        ));
        assert!(matches!(resolve(&f, ""), Err(ResolveError::Unknown { .. })));
    }

    fn two_hosts() -> Vec<Container> {
        let mut a = Container::new(ContainerId("aa".repeat(32)), "web-1".into());
        a.host = "edge-1".into();
        let mut b = Container::new(ContainerId("bb".repeat(32)), "web-1".into());
        b.host = "edge-2".into();
        let mut c = Container::new(ContainerId("cc".repeat(32)), "db".into());
        c.host = "edge-2".into();
        vec![a, b, c]
    }

    #[test]
    fn a_name_on_two_hosts_needs_its_host() {
        let f = two_hosts();
        let err = resolve(&f, "web-1").expect_err("on both hosts");
        assert_eq!(
            err,
            ResolveError::Ambiguous {
                query: "web-1".into(),
                candidates: vec![
                    "web-1@edge-1 (aaaaaaaaaaaa)".into(),
                    "web-1@edge-2 (bbbbbbbbbbbb)".into()
                ]
            }
        );
        assert_eq!(resolve(&f, "web-1@edge-2").map(|c| &c.id.0[..2]), Ok("bb"));
        assert_eq!(resolve(&f, "web@edge-1").map(|c| &c.id.0[..2]), Ok("aa"));
        assert_eq!(resolve(&f, "db").map(|c| c.host.as_str()), Ok("edge-2"));
        assert!(matches!(
            resolve(&f, "db@edge-1"),
            Err(ResolveError::Unknown { .. })
        ));
        let err = resolve(&f, "db@edge-9").expect_err("no such host");
        assert!(err.to_string().contains("edge-1, edge-2"), "{err}");
    }

    #[test]
    fn targets_split_at_the_last_at() {
        assert_eq!(
            parse_target("/web-1@edge-2"),
            Ok(Target {
                name: "web-1",
                host: Some("edge-2")
            })
        );
        assert_eq!(parse_target("db").map(|t| t.host), Ok(None));
        assert!(parse_target("web@").is_err());
        assert!(parse_target("@edge").is_err());
        assert!(parse_target("").is_err());
    }
}
