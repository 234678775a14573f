//! The limits triage's rules apply: the config's `[triage]` section.

use serde::{Deserialize, Serialize};

/// The limits the rules apply; the config's `[triage]` section (every key optional). The `_s`
/// keys take seconds as a number or a duration string (`"10m"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// The window in which deaths count toward a crash loop, and OOM kills are counted.
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub window_s: i64,
    /// Deaths within the window that make a crash loop.
    pub crash_loop_deaths: usize,
    /// Paused longer than this is stuck.
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub paused_max_s: i64,
    /// Created and never started for longer than this is stuck.
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub created_max_s: i64,
    /// Restarting for longer than this is stuck.
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub restarting_max_s: i64,
    /// Memory use at or above this percentage of the limit is flagged.
    pub memory_near_pct: f64,
    /// Throttled in at least this percentage of CPU periods (over the last minute, and now)
    /// is flagged.
    pub throttled_pct: f64,
    /// A process stopped or in `D` counts once seen so (in two readings in a row) for this
    /// long.
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub stuck_process_s: i64,
    /// The daemon's data disk with less free space than this percentage is flagged.
    pub disk_free_min_pct: f64,
    /// Images or build cache reclaimable above this many GiB are flagged.
    pub reclaimable_max_gib: f64,
    /// Containers opted into the silence check by name, beside the label
    /// [`super::stuck::SILENT_LABEL`]: `[[triage.silent]]` with `containers = ["web-*"]` and
    /// `after = "10m"`. The first rule whose globs match a container's name applies.
    pub silent: Vec<SilentRule>,
}

/// One `[[triage.silent]]` rule, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilentRaw {
    /// Globs over container names (`web-*`, `{api,worker}-?`).
    pub containers: Vec<String>,
    /// No log line for longer than this is a problem (seconds, or a duration string).
    #[serde(deserialize_with = "crate::duration::seconds_signed")]
    pub after: i64,
}

/// One `[[triage.silent]]` rule, its globs compiled when the config is read (a bad glob is a
/// config error there).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SilentRaw", into = "SilentRaw")]
pub struct SilentRule {
    raw: SilentRaw,
    set: globset::GlobSet,
}

impl PartialEq for SilentRule {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl TryFrom<SilentRaw> for SilentRule {
    type Error = globset::Error;

    fn try_from(raw: SilentRaw) -> Result<Self, Self::Error> {
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &raw.containers {
            builder.add(globset::Glob::new(pattern)?);
        }
        Ok(Self {
            set: builder.build()?,
            raw,
        })
    }
}

impl From<SilentRule> for SilentRaw {
    fn from(rule: SilentRule) -> Self {
        rule.raw
    }
}

impl SilentRule {
    /// Its silence limit in seconds, when its globs match `name`.
    pub fn after_s(&self, name: &str) -> Option<i64> {
        self.set.is_match(name).then_some(self.raw.after)
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            window_s: 600,
            crash_loop_deaths: 3,
            paused_max_s: 3600,
            created_max_s: 600,
            restarting_max_s: 120,
            memory_near_pct: 90.0,
            throttled_pct: 50.0,
            stuck_process_s: 0,
            disk_free_min_pct: 10.0,
            reclaimable_max_gib: 10.0,
            silent: Vec::new(),
        }
    }
}
