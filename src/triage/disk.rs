//! The host's disk, read for triage: the daemon's data disk nearly full (on the local host, the
//! free space of the filesystem under its data root, `/info`'s `DockerRootDir`, by
//! `statvfs`), images or build cache reclaimable above a threshold (any host: the disk-usage
//! call), and a container that died with "no space left on device". The rules are pure
//! functions of a [`DiskReading`]; [`read`] gathers one (headless: the console does not make the
//! expensive disk-usage call for triage).

use std::path::Path;

use crate::engine::objects::DiskUsage;
use crate::engine::{Container, Endpoint, EngineError, RunState};
use crate::present::bytes;

use super::{Problem, ProblemKind, Severity, Suggestion, Thresholds};

/// What "no space left on device" looks like in a container's error.
const NO_SPACE: &str = "no space left on device";

/// Free and total bytes of a filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeSpace {
    pub available: u64,
    pub total: u64,
}

impl FreeSpace {
    /// The free share, in percent (100 for an empty filesystem of size 0).
    pub fn free_pct(&self) -> f64 {
        if self.total == 0 {
            return 100.0;
        }
        self.available as f64 * 100.0 / self.total as f64
    }
}

/// The free space of the filesystem holding `path`.
pub fn free_space(path: &Path) -> std::io::Result<FreeSpace> {
    let s = rustix::fs::statvfs(path)?;
    Ok(FreeSpace {
        available: s.f_bavail.saturating_mul(s.f_frsize),
        total: s.f_blocks.saturating_mul(s.f_frsize),
    })
}

/// One host's disk, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskReading {
    /// The daemon's data root, where it said.
    pub data_root: Option<String>,
    /// Its filesystem's free space, on the local host.
    pub free: Option<FreeSpace>,
    pub usage: Option<DiskUsage>,
}

/// Reads `endpoint`'s disk: the data root (and, when the daemon is on this machine, its free
/// space), and the disk-usage call (the expensive one).
pub async fn read(endpoint: &Endpoint) -> Result<DiskReading, EngineError> {
    let data_root = endpoint.data_root().await?;
    let local = endpoint.address.starts_with("unix://");
    let free = data_root
        .as_deref()
        .filter(|_| local)
        .and_then(|root| free_space(Path::new(root)).ok());
    // The free space stands without the disk-usage call (a daemon that cannot say it).
    let usage = match endpoint.disk_usage().await {
        Ok(usage) => Some(usage),
        Err(e) => {
            log::warn!("{}: no disk usage: {e}", endpoint.name);
            None
        }
    };
    Ok(DiskReading {
        data_root,
        free,
        usage,
    })
}

fn host_problem(subject: String, kind: ProblemKind, severity: Severity, reason: String) -> Problem {
    Problem {
        container_id: None,
        subject,
        kind,
        severity,
        reason,
        since: None,
        suggestion: Suggestion::Inspect,
    }
}

/// The disk rules over one host's reading.
pub fn rules(reading: &DiskReading, thresholds: &Thresholds) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(free) = reading.free {
        let pct = free.free_pct();
        if pct < thresholds.disk_free_min_pct {
            let severity = if pct < thresholds.disk_free_min_pct / 2.0 {
                Severity::Critical
            } else {
                Severity::Error
            };
            let root = reading
                .data_root
                .clone()
                .unwrap_or_else(|| "data root".into());
            problems.push(host_problem(
                root,
                ProblemKind::DiskNearlyFull,
                severity,
                format!(
                    "{} free of {} ({pct:.1}%, below {}%)",
                    bytes(free.available),
                    bytes(free.total),
                    thresholds.disk_free_min_pct
                ),
            ));
        }
    }
    let limit = (thresholds.reclaimable_max_gib * (1u64 << 30) as f64) as u64;
    if let Some(usage) = &reading.usage {
        for (what, line, command) in [
            ("images", &usage.images, "fleetdeck prune images --all"),
            (
                "build cache",
                &usage.build_cache,
                "fleetdeck prune build-cache",
            ),
        ] {
            if line.reclaimable > limit {
                problems.push(host_problem(
                    what.to_string(),
                    ProblemKind::Reclaimable,
                    Severity::Warning,
                    format!(
                        "{} reclaimable of {} ({command})",
                        bytes(line.reclaimable),
                        bytes(line.size)
                    ),
                ));
            }
        }
    }
    problems
}

/// A container that died with "no space left on device" (the daemon's error for it).
pub fn no_space(c: &Container) -> Option<Problem> {
    let error = c.error.as_deref()?;
    if c.state.is_up() && c.state != RunState::Restarting
        || !error.to_ascii_lowercase().contains(NO_SPACE)
    {
        return None;
    }
    Some(Problem {
        container_id: Some(c.id.clone()),
        subject: c.name.clone(),
        kind: ProblemKind::NoSpace,
        severity: Severity::Critical,
        reason: format!("died: {}", crate::sanitize::printable(error)),
        since: c.finished_at,
        suggestion: Suggestion::Logs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerId;
    use crate::engine::objects::UsageLine;

    #[test]
    fn a_nearly_full_data_disk_is_an_error_then_critical() {
        let t = Thresholds::default();
        let reading = |available| DiskReading {
            data_root: Some("/var/lib/docker".into()),
            free: Some(FreeSpace {
                available,
                total: 1000,
            }),
            usage: None,
        };
        assert!(rules(&reading(500), &t).is_empty());
        let p = rules(&reading(80), &t);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].kind, p[0].severity),
            (ProblemKind::DiskNearlyFull, Severity::Error)
        );
        assert_eq!(p[0].subject, "/var/lib/docker");
        assert!(p[0].reason.contains("8.0%"), "{}", p[0].reason);
        assert_eq!(rules(&reading(20), &t)[0].severity, Severity::Critical);
    }

    #[test]
    fn reclaimable_images_and_build_cache_above_the_threshold_are_warnings() {
        let t = Thresholds {
            reclaimable_max_gib: 1.0,
            ..Thresholds::default()
        };
        let gib = 1u64 << 30;
        let reading = DiskReading {
            usage: Some(DiskUsage {
                images: UsageLine {
                    count: 9,
                    active: 1,
                    size: 5 * gib,
                    reclaimable: 3 * gib,
                },
                build_cache: UsageLine {
                    count: 2,
                    active: 0,
                    size: gib / 2,
                    reclaimable: gib / 2,
                },
                ..DiskUsage::default()
            }),
            ..DiskReading::default()
        };
        let p = rules(&reading, &t);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            (p[0].kind, p[0].subject.as_str()),
            (ProblemKind::Reclaimable, "images")
        );
        assert!(
            p[0].reason.contains("3.0 GiB reclaimable"),
            "{}",
            p[0].reason
        );
    }

    #[test]
    fn a_container_that_died_of_a_full_disk_is_critical() {
        let mut c = Container::new(ContainerId("a".into()), "db".into());
        c.state = RunState::Exited;
        assert!(no_space(&c).is_none());
        c.error = Some("write /data/x: No space left on device".into());
        let p = no_space(&c).expect("a problem");
        assert_eq!(
            (p.kind, p.severity),
            (ProblemKind::NoSpace, Severity::Critical)
        );
        c.state = RunState::Running;
        assert!(
            no_space(&c).is_none(),
            "running again: no longer the problem"
        );
    }
}
