//! Targets as typed (`engine::resolve::parse_target`: `NAME` or `NAME@HOST`) and their
//! resolution (`resolve`: on the host named, or on every host, the exact name or id, then a
//! unique id or name prefix) over a small fleet of two hosts, or over a fleet the input names.
//!
//! Input: `[mode] query` (mode bit 0 clear: the fixed fleet of hosts `local` and `edge`) or
//! `[mode] name\nname\n...\0query` (mode bit 0 set: one container per name, on `local` and
//! `edge` in turn, ids made from the line number).
//!
//! What must hold: nothing panics; `parse_target` splits at the last `@` and gives back the
//! query (less one leading `/` of the name), refusing only an empty name or host; a resolved
//! container is on the host asked for and its name or id is the name asked for (or starts with
//! it: an id only for a hex name), the only exact match on that host or, when there is none,
//! the only prefix match; an exact name on one host always resolves; a name on two hosts without
//! `@HOST` is ambiguous; "ambiguous" lists at least two candidates, "unknown host" only a host
//! no container is on, "unknown" at most five suggestions holding the name.

#![no_main]

use fleetdeck::engine::resolve::{ResolveError, parse_target, resolve};
use fleetdeck::engine::{Container, ContainerId};
use libfuzzer_sys::fuzz_target;

const HOSTS: [&str; 2] = ["local", "edge"];

fn container(host: &str, id: &str, name: &str) -> Container {
    let mut c = Container::new(ContainerId(id.to_string()), name.to_string());
    c.host = host.to_string();
    c
}

/// Two hosts' worth of containers: a name on both hosts, names and ids that prefix one another.
fn fixed_fleet() -> Vec<Container> {
    vec![
        container("local", &("abc123".repeat(10) + "0000"), "web-1"),
        container("local", &("abd456".repeat(10) + "0000"), "web-10"),
        container("local", &("ff0000".repeat(10) + "0000"), "db"),
        container("local", &"0123456789abcdef".repeat(4), "abc"),
        container("edge", &"deadbeef".repeat(8), "web-1"),
        container("edge", &"deadbeee".repeat(8), "shop-web-1"),
        container("edge", &"c0ffee00".repeat(8), "café"),
        container("edge", &"1".repeat(64), "1"),
    ]
}

fn id_for(i: usize) -> String {
    format!("{:064x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (fleet, query) = if mode & 1 == 0 {
        (fixed_fleet(), text)
    } else {
        let (names, query) = text.split_once('\0').unwrap_or((text, ""));
        let fleet: Vec<Container> = names
            .split('\n')
            .take(32)
            .enumerate()
            .map(|(i, name)| container(HOSTS[i % 2], &id_for(i), name))
            .collect();
        (fleet, query)
    };

    // The query as typed, split.
    let parsed = parse_target(query);
    match &parsed {
        Ok(t) => {
            assert!(!t.name.is_empty(), "{query:?}");
            let rebuilt = match t.host {
                Some(host) => {
                    assert!(!host.is_empty() && !host.contains('@'), "{query:?}");
                    format!("{}@{host}", t.name)
                }
                None => {
                    assert!(!query.contains('@'), "{query:?}");
                    t.name.to_string()
                }
            };
            assert!(
                query == rebuilt || query == format!("/{rebuilt}"),
                "{query:?} split as {t:?}"
            );
        }
        Err(ResolveError::Malformed { query: q, .. }) => {
            assert_eq!(q, query);
            let (name, host) = query.rsplit_once('@').unwrap_or((query, "x"));
            let name = name.strip_prefix('/').unwrap_or(name);
            assert!(name.is_empty() || host.is_empty(), "{query:?} refused");
        }
        Err(e) => panic!("parse_target gave {e:?}"),
    }

    let result = resolve(&fleet, query);
    let Ok(target) = parsed else {
        // An empty name alone reads as "no such container"; with '@', as malformed.
        assert!(
            matches!(
                result,
                Err(ResolveError::Unknown { .. } | ResolveError::Malformed { .. })
            ),
            "{query:?}: {result:?}"
        );
        return;
    };
    let name = target.name;
    let on_host = |c: &Container| target.host.is_none_or(|h| c.host == h);
    let exact = |c: &Container| on_host(c) && (c.name == name || c.id.0 == name);
    let is_hex = name.bytes().all(|b| b.is_ascii_hexdigit());
    let matches = |c: &Container| {
        exact(c)
            || (on_host(c) && (c.name.starts_with(name) || (is_hex && c.id.0.starts_with(name))))
    };
    let exact_n = fleet.iter().filter(|c| exact(c)).count();
    let match_n = fleet.iter().filter(|c| matches(c)).count();
    match result {
        Ok(found) => {
            assert!(
                matches(found),
                "{query:?} resolved to {}@{}",
                found.name,
                found.host
            );
            assert!(
                exact(found) || exact_n == 0,
                "{query:?}: an exact match passed over"
            );
            assert!(
                exact_n == 1 || (exact_n == 0 && match_n == 1),
                "{query:?}: not the only match"
            );
        }
        Err(ResolveError::Ambiguous { candidates, .. }) => {
            assert!(candidates.len() >= 2, "{candidates:?}");
            assert!(
                exact_n >= 2 || (exact_n == 0 && match_n >= 2),
                "{query:?}: {candidates:?}"
            );
        }
        Err(ResolveError::UnknownHost { host, hosts, .. }) => {
            assert_eq!(Some(host.as_str()), target.host);
            assert!(!fleet.iter().any(|c| c.host == host), "{host} is a host");
            assert!(!hosts.contains(&host));
        }
        Err(ResolveError::Unknown { similar, .. }) => {
            assert_eq!(match_n, 0, "{query:?} matches yet unknown");
            assert!(similar.len() <= 5, "{similar:?}");
            for s in &similar {
                assert!(s.contains(name), "{s:?} suggested for {name:?}");
            }
        }
        Err(e @ ResolveError::Malformed { .. }) => panic!("{query:?} parsed, then {e:?}"),
    }
});
