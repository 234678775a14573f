//! The `[gpu]` section: the memory threshold above which a GPU is flagged (in the console's
//! GPU pane, its triage view and `fleetdeck triage`), and how often the console samples NVML.

use std::time::Duration;

use serde::Deserialize;

/// The `[gpu]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GpuConfig {
    /// A GPU whose memory use is above this percentage of its total is flagged.
    pub threshold_pct: f64,
    /// Milliseconds between two samples in the console; a number, or a duration string ("2s").
    #[serde(deserialize_with = "crate::duration::millis")]
    pub interval_ms: u64,
}

impl Default for GpuConfig {
    fn default() -> Self {
        Self {
            threshold_pct: crate::gpu::DEFAULT_THRESHOLD_PCT,
            interval_ms: 1000,
        }
    }
}

impl GpuConfig {
    /// The sampling interval; never under 100 ms, whatever the file says.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.max(100))
    }
}
