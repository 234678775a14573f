//! Target resolution: what the user typed → one container. Exact name, exact id, then a unique
//! id prefix or name prefix; anything else is an error that lists the candidates.

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
}

fn hint(similar: &[String]) -> String {
    if similar.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", similar.join(", "))
    }
}

fn label(c: &Container) -> String {
    format!("{} ({})", c.name, c.id.short())
}

/// Resolves `query` among `fleet`.
pub fn resolve<'a>(fleet: &'a [Container], query: &str) -> Result<&'a Container, ResolveError> {
    let query = query.strip_prefix('/').unwrap_or(query);
    if query.is_empty() {
        return Err(ResolveError::Unknown {
            query: query.to_string(),
            similar: Vec::new(),
        });
    }
    if let Some(c) = fleet.iter().find(|c| c.name == query || c.id.0 == query) {
        return Ok(c);
    }
    let is_hex = query.bytes().all(|b| b.is_ascii_hexdigit());
    let mut matches: Vec<&Container> = fleet
        .iter()
        .filter(|c| (is_hex && c.id.0.starts_with(query)) || c.name.starts_with(query))
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => {
            let mut similar: Vec<String> = fleet
                .iter()
                .filter(|c| c.name.contains(query))
                .map(|c| c.name.clone())
                .collect();
            similar.sort();
            similar.truncate(5);
            Err(ResolveError::Unknown {
                query: query.to_string(),
                similar,
            })
        }
        _ => {
            matches.sort_by(|a, b| a.name.cmp(&b.name));
            Err(ResolveError::Ambiguous {
                query: query.to_string(),
                candidates: matches.into_iter().map(label).collect(),
            })
        }
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
}
