//! Where the console's CPU and memory figures come from, decided once at start: the cgroup
//! files of every running container for a daemon on this machine whose files are readable
//! (`ui.stats_source = "auto"`), else the stats API streams for the running rows on screen.
//! The console shows the choice in its help; `--print-config` explains it in a comment line.

use std::path::Path;

use crate::app::StatsSource;
use crate::config::StatsSourceConfig;
use crate::engine::cgroup_stats::{CgroupLayout, DEFAULT_ROOT, is_local, local_layout};

/// The choice: the source in words for the console, and the layout to sample when it is the
/// cgroup files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsChoice {
    pub source: StatsSource,
    pub layout: Option<CgroupLayout>,
}

/// Decides the source for the daemon at `address`, reading `/sys/fs/cgroup`.
pub fn choose(setting: StatsSourceConfig, address: &str) -> StatsChoice {
    choose_at(setting, address, Path::new(DEFAULT_ROOT))
}

/// [`choose`] with the cgroup mount point given (tests).
pub fn choose_at(setting: StatsSourceConfig, address: &str, root: &Path) -> StatsChoice {
    let api = |why: String| StatsChoice {
        source: StatsSource::Api { why },
        layout: None,
    };
    if setting == StatsSourceConfig::Api {
        return api("ui.stats_source = \"api\"".into());
    }
    if !address.starts_with("unix://") {
        return api("a remote daemon".into());
    }
    if !is_local(address, root) {
        return api(format!("{} is not readable", root.display()));
    }
    match local_layout(address, root) {
        Some(layout) => StatsChoice {
            source: StatsSource::Cgroup {
                layout: layout.to_string(),
            },
            layout: Some(layout),
        },
        None => api(format!("no cgroup layout under {}", root.display())),
    }
}

/// The comment line `--print-config` ends with: the source `auto` picks here, and why.
pub fn print_config_note(host: Option<&str>) -> String {
    let address = host
        .and_then(|h| crate::engine::HostSpec::from_flag(h).ok())
        .or_else(|| crate::engine::context::from_env().ok().flatten())
        .map_or_else(
            || crate::engine::host::DEFAULT_SOCKET.to_string(),
            |s| s.url,
        );
    let choice = choose(StatsSourceConfig::Auto, &address);
    match choice.source {
        StatsSource::Cgroup { layout } => format!(
            "# Here, stats_source = \"auto\" reads the cgroup files ({layout}) for {address}.\n"
        ),
        StatsSource::Api { why } => {
            format!("# Here, stats_source = \"auto\" uses the stats API for {address}: {why}.\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_is_chosen_for_a_remote_daemon_or_when_asked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let remote = choose_at(StatsSourceConfig::Auto, "tcp://10.0.0.2:2375", dir.path());
        assert!(matches!(remote.source, StatsSource::Api { why } if why.contains("remote")));
        let asked = choose_at(
            StatsSourceConfig::Api,
            "unix:///run/docker.sock",
            dir.path(),
        );
        assert_eq!(asked.layout, None);
        // A local socket, but no cgroup layout in the directory.
        let none = choose_at(
            StatsSourceConfig::Auto,
            "unix:///run/docker.sock",
            dir.path(),
        );
        assert!(matches!(none.source, StatsSource::Api { why } if why.contains("no cgroup")));
    }

    #[test]
    fn a_v2_layout_is_chosen_for_a_local_daemon() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("cgroup.controllers"), "cpu memory io\n").expect("write");
        let choice = choose_at(
            StatsSourceConfig::Auto,
            "unix:///run/docker.sock",
            dir.path(),
        );
        assert!(choice.layout.is_some());
        assert!(matches!(choice.source, StatsSource::Cgroup { layout } if layout.contains("v2")));
    }
}
