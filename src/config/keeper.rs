//! The `[keeper]` section (`fleetdeck keep`: restart budget and backoff, how a restart is
//! verified, the reconcile and GC intervals) and the `[jobs.NAME]` sections (scheduled one-shot
//! runs: a schedule, a `run` spec built into the action layer's [`RunSpec`], `catch_up`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::actions::run::{PullPolicy, RunOptions, RunSpec};
use crate::duration;

/// The `[keeper]` section. Durations are strings in the one grammar (`"1s"`, `"5m"`) or a
/// number of seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeeperConfig {
    /// Restarts of one container within `window` before the keeper gives up on it.
    pub restart_budget: u32,
    /// The wait before the first restart; doubled for each further one, up to `backoff_max`.
    #[serde(deserialize_with = "duration::duration")]
    pub backoff: Duration,
    #[serde(deserialize_with = "duration::duration")]
    pub backoff_max: Duration,
    /// A restarted container without a healthcheck must stay running this long to count as
    /// fixed.
    #[serde(deserialize_with = "duration::duration")]
    pub settle: Duration,
    /// A restarted container with a healthcheck must be healthy within this long.
    #[serde(deserialize_with = "duration::duration")]
    pub verify_timeout: Duration,
    /// Restarts older than this no longer count against the budget.
    #[serde(deserialize_with = "duration::duration")]
    pub window: Duration,
    /// How often the kept projects are planned again.
    #[serde(deserialize_with = "duration::duration")]
    pub reconcile_interval: Duration,
    /// Apply the drift a plan finds (else it is only logged).
    pub auto_apply: bool,
    /// How often GC runs.
    #[serde(deserialize_with = "duration::duration")]
    pub gc_interval: Duration,
    /// GC also removes owned one-shot containers older than this (`""`: never by age).
    #[serde(deserialize_with = "duration::optional")]
    pub gc_max_age: Option<Duration>,
    /// Bytes of each of a job's stdout and stderr kept in the store.
    pub job_output_limit: usize,
    /// How often the keeper runs triage for `disk` and `swarm` alert rules.
    #[serde(deserialize_with = "duration::duration")]
    pub triage_interval: Duration,
    /// Which images GC removes: the `[gc]` section, handed over by `fleetdeck keep`.
    #[serde(skip)]
    pub gc_images: super::gc::GcConfig,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self {
            restart_budget: 3,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            settle: Duration::from_secs(5),
            verify_timeout: Duration::from_secs(120),
            window: Duration::from_secs(600),
            reconcile_interval: Duration::from_secs(30),
            auto_apply: false,
            gc_interval: Duration::from_secs(300),
            gc_max_age: None,
            job_output_limit: 64 * 1024,
            triage_interval: Duration::from_secs(60),
            gc_images: super::gc::GcConfig::default(),
        }
    }
}

/// One `[jobs.NAME]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Five cron fields (`*/15 * * * *`, local time), an alias (`@hourly`), or `@every 30s`.
    pub schedule: String,
    /// Run once at start when a run was missed while no keeper ran.
    #[serde(default)]
    pub catch_up: bool,
    pub run: JobRun,
}

/// What a job runs: the one-shot run's spec, as config keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRun {
    pub image: String,
    /// The command and its arguments (the image's when empty).
    #[serde(default)]
    pub command: Vec<String>,
    /// `KEY=value`.
    #[serde(default)]
    pub env: Vec<String>,
    /// Longest one run may take; then SIGTERM, and SIGKILL after `grace`.
    #[serde(
        default = "default_job_timeout",
        deserialize_with = "duration::duration"
    )]
    pub timeout: Duration,
    #[serde(default = "default_grace", deserialize_with = "duration::duration")]
    pub grace: Duration,
    /// A memory limit (`64m`, `1g`).
    #[serde(default)]
    pub memory: Option<String>,
    #[serde(default)]
    pub cpus: Option<f64>,
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// `none`, `host`, `bridge`, a network's name.
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    /// `src:dst[:opts]`.
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `if-not-present` (default), `always`, `never`.
    #[serde(default)]
    pub pull: Option<String>,
}

fn default_job_timeout() -> Duration {
    Duration::from_secs(600)
}

fn default_grace() -> Duration {
    Duration::from_secs(10)
}

/// Why a job's `run` keys cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobRunError {
    #[error(transparent)]
    Memory(#[from] crate::reconcile::compose::error::ValueError),
    #[error("memory '{0}' too large")]
    MemoryTooLarge(String),
    #[error("bad pull policy '{0}': expected if-not-present, always or never")]
    Pull(String),
}

/// `memory` in bytes.
fn memory_bytes(m: &str) -> Result<i64, JobRunError> {
    let bytes = crate::reconcile::compose::fields::parse_size(m)?;
    i64::try_from(bytes).map_err(|_| JobRunError::MemoryTooLarge(m.to_string()))
}

impl JobRun {
    /// The run spec and options (safe defaults of the action layer), or why the keys cannot be
    /// used.
    pub fn request(&self, output_limit: usize) -> Result<(RunSpec, RunOptions), JobRunError> {
        let mut spec = RunSpec::new(self.image.clone());
        spec.command = self.command.clone();
        spec.env = self.env.clone();
        spec.memory = self.memory.as_deref().map(memory_bytes).transpose()?;
        spec.cpus = self.cpus;
        spec.pids_limit = self.pids_limit;
        spec.network = self.network.clone();
        spec.user = self.user.clone();
        spec.working_dir = self.working_dir.clone();
        spec.volumes = self.volumes.clone();
        spec.labels = self.labels.clone();
        let pull = match self.pull.as_deref() {
            None | Some("if-not-present") | Some("missing") => PullPolicy::IfNotPresent,
            Some("always") => PullPolicy::Always,
            Some("never") => PullPolicy::Never,
            Some(other) => return Err(JobRunError::Pull(other.to_string())),
        };
        let options = RunOptions {
            pull,
            timeout: self.timeout,
            grace: self.grace,
            output_limit,
            owner: None,
        };
        Ok((spec, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_section_reads_into_a_run() {
        #[derive(Deserialize)]
        struct C {
            jobs: BTreeMap<String, JobConfig>,
        }
        let text = "[jobs.backup]\nschedule = \"@every 30s\"\ncatch_up = true\n\
                    run = { image = \"busybox\", command = [\"echo\", \"hi\"], timeout = \"5s\", memory = \"16m\" }\n";
        let c: C = toml::from_str(text).expect("a job");
        let job = &c.jobs["backup"];
        assert!(job.catch_up);
        let (spec, options) = job.run.request(1024).expect("usable");
        assert_eq!(spec.command, vec!["echo", "hi"]);
        assert_eq!(spec.memory, Some(16 << 20));
        assert_eq!(options.timeout, Duration::from_secs(5));
        assert_eq!(options.output_limit, 1024);
        assert!(spec.init, "the safe defaults stay");
        let mut bad = job.run.clone();
        bad.pull = Some("sometimes".into());
        assert_eq!(
            bad.request(1).err(),
            Some(JobRunError::Pull("sometimes".into()))
        );
        assert_eq!(
            JobRunError::Pull("sometimes".into()).to_string(),
            "bad pull policy 'sometimes': expected if-not-present, always or never"
        );
    }
}
