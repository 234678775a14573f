//! The order services come up in: `depends_on` levels. Level 0 holds the services that depend
//! on no other service of the project; level N those whose dependencies all sit in levels
//! below N. Within a level, file order. A dependency cycle is an error that names it.

use std::collections::BTreeSet;

use super::compose::ServiceSpec;

/// A `depends_on` cycle, as the services met going round it (`a -> b -> a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleError {
    pub cycle: Vec<String>,
}

impl std::fmt::Display for CycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "depends_on cycle: {}", self.cycle.join(" -> "))
    }
}

impl std::error::Error for CycleError {}

/// The services' names in `depends_on` levels. Dependencies on services not in `services`
/// are ignored.
pub fn levels(services: &[ServiceSpec]) -> Result<Vec<Vec<String>>, CycleError> {
    let known: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut out: Vec<Vec<String>> = Vec::new();
    while placed.len() < known.len() {
        let level: Vec<&str> = services
            .iter()
            .filter(|s| !placed.contains(s.name.as_str()))
            .filter(|s| {
                s.depends_on
                    .keys()
                    .all(|d| !known.contains(d.as_str()) || placed.contains(d.as_str()))
            })
            .map(|s| s.name.as_str())
            .collect();
        if level.is_empty() {
            return Err(CycleError {
                cycle: find_cycle(services, &known, &placed),
            });
        }
        placed.extend(level.iter().copied());
        out.push(level.into_iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// A cycle among the services not yet placed (every one of them has an unplaced dependency,
/// so walking dependencies from any of them must come back round).
fn find_cycle(
    services: &[ServiceSpec],
    known: &BTreeSet<&str>,
    placed: &BTreeSet<&str>,
) -> Vec<String> {
    let next = |name: &str| -> Option<String> {
        services
            .iter()
            .find(|s| s.name == name)?
            .depends_on
            .keys()
            .find(|d| known.contains(d.as_str()) && !placed.contains(d.as_str()))
            .cloned()
    };
    let Some(start) = services.iter().find(|s| !placed.contains(s.name.as_str())) else {
        return Vec::new();
    };
    let mut path: Vec<String> = vec![start.name.clone()];
    while let Some(n) = path.last().and_then(|last| next(last)) {
        if let Some(at) = path.iter().position(|p| *p == n) {
            let mut cycle = path.split_off(at);
            cycle.push(n);
            return cycle;
        }
        path.push(n);
    }
    path
}
