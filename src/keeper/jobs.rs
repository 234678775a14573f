//! Scheduled jobs: `[jobs.NAME]` read into [`Job`]s (a [`Schedule`] and the one-shot run's spec
//! and options), a pure [`Scheduler`] that says at an instant which jobs to run and which to
//! skip (never two runs of one job at once; a missed run once at start with `catch_up`), and
//! [`run_job`], one run through the action layer's `run` (timeout, safe defaults, removed on
//! every path) owned by the keeper instance.
//!
//! Schedules: five cron fields in local time (`*/5 * * * *`) or an alias (`@hourly`, `@daily`,
//! ...), read by the `croner` crate (maintained, POSIX/Vixie semantics, chrono support, no
//! runtime of its own: it only computes occurrences, the keeper's loop does the waiting); or
//! `@every D` in fleetdeck's one duration grammar (`@every 30s`).

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;

use crate::actions::ActionContext;
use crate::actions::run::{KIND_LABEL, Owner, RunOptions, RunReport, RunSpec, run_container};
use crate::config::keeper::{JobConfig, JobRunError, KeeperConfig};

/// The label naming the job a container runs.
pub const JOB_LABEL: &str = "fleetdeck.job";

/// Why a schedule cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Duration(#[from] crate::duration::DurationError),
    #[error("bad schedule '{0}': @every needs a positive duration")]
    ZeroEvery(String),
    #[error(
        "bad schedule '{0}': expected five cron fields (minute hour day month weekday), an \
         alias like @hourly, or @every 30s"
    )]
    Fields(String),
    #[error("bad schedule '{text}': {why}")]
    Cron {
        text: String,
        why: croner::errors::CronError,
    },
}

/// Why a `[jobs.NAME]` section cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("[jobs.{name}]: {problem}")]
pub struct JobError {
    pub name: String,
    pub problem: JobProblem,
}

/// What is wrong in a `[jobs.NAME]` section.
#[derive(Debug, thiserror::Error)]
pub enum JobProblem {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Run(#[from] JobRunError),
}

/// When a job runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Every(Duration),
    Cron(Box<croner::Cron>),
}

impl Schedule {
    /// `@every D`, an alias, or five cron fields.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let t = text.trim();
        if let Some(every) = t.strip_prefix("@every") {
            let d = crate::duration::parse(every)?;
            if d.is_zero() {
                return Err(ScheduleError::ZeroEvery(text.to_string()));
            }
            return Ok(Self::Every(d));
        }
        if !t.starts_with('@') && t.split_whitespace().count() != 5 {
            return Err(ScheduleError::Fields(text.to_string()));
        }
        croner::Cron::from_str(t)
            .map(|c| Self::Cron(Box::new(c)))
            .map_err(|why| ScheduleError::Cron {
                text: text.to_string(),
                why,
            })
    }

    /// The first run strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(d) => chrono::Duration::from_std(*d).ok().map(|d| t + d),
            Self::Cron(c) => c
                .find_next_occurrence(&t.with_timezone(&Local), false)
                .ok()
                .map(|l| l.with_timezone(&Utc)),
        }
    }

    /// The first run strictly after `now` on the beat of a run due at `at` (`@every` keeps its
    /// phase): worked out at once, not beat by beat, so that waking from a long suspend costs
    /// nothing (a day at `@every 1s` is 86,400 beats).
    pub fn next_on_beat(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(d) => {
                let step = i128::try_from(d.as_nanos()).ok().filter(|s| *s > 0)?;
                let behind = i128::from((now - at).num_nanoseconds().unwrap_or(i64::MAX).max(0));
                let beats = behind / step + 1;
                let ahead = i64::try_from(beats.checked_mul(step)?).ok()?;
                at.checked_add_signed(chrono::Duration::nanoseconds(ahead))
            }
            Self::Cron(_) => self.next_after(now.max(at)),
        }
    }

    /// The last run due at or before `t` (`@every` has none: any time is one of its runs).
    pub fn last_due(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(_) => None,
            Self::Cron(c) => c
                .find_previous_occurrence(&t.with_timezone(&Local), true)
                .ok()
                .map(|l| l.with_timezone(&Utc)),
        }
    }
}

/// A job, ready to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub schedule_text: String,
    pub schedule: Schedule,
    pub catch_up: bool,
    pub spec: RunSpec,
    pub options: RunOptions,
}

/// Reads every `[jobs.NAME]`; an unusable one is an error naming it.
pub fn load_jobs(
    jobs: &BTreeMap<String, JobConfig>,
    keeper: &KeeperConfig,
) -> Result<Vec<Job>, JobError> {
    jobs.iter()
        .map(|(name, c)| {
            let bad = |problem: JobProblem| JobError {
                name: name.clone(),
                problem,
            };
            let schedule = Schedule::parse(&c.schedule).map_err(|e| bad(e.into()))?;
            let (mut spec, options) = c
                .run
                .request(keeper.job_output_limit)
                .map_err(|e| bad(e.into()))?;
            spec.labels.insert(JOB_LABEL.into(), name.clone());
            spec.labels.insert(KIND_LABEL.into(), "job".into());
            Ok(Job {
                name: name.clone(),
                schedule_text: c.schedule.clone(),
                schedule,
                catch_up: c.catch_up,
                spec,
                options,
            })
        })
        .collect()
}

/// A job's last run, where known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastRun {
    pub at: DateTime<Utc>,
    /// `exited`, `timed_out`, `interrupted`, `failed`.
    pub outcome: String,
    pub exit_code: Option<i64>,
}

/// What to do with a job at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Run,
    /// Due while its previous run still goes.
    Skip,
}

/// The jobs' timetable: the next run of each, and which are running. Pure: driven with explicit
/// times.
#[derive(Debug, Clone)]
pub struct Scheduler {
    /// Per job (in the order given): the next run, and whether a run is going.
    slots: Vec<(Option<DateTime<Utc>>, bool)>,
}

impl Scheduler {
    /// The timetable at `start`. With `catch_up`, a job whose last due run came after its last
    /// known run (or whose last run is unknown) is due at once, once.
    pub fn new(jobs: &[Job], last: &[Option<LastRun>], start: DateTime<Utc>) -> Self {
        let slots = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let known = last.get(i).cloned().flatten();
                let missed = job.catch_up
                    && match (job.schedule.last_due(start), known) {
                        (_, None) => true,
                        (Some(due), Some(l)) => due > l.at,
                        (None, Some(_)) => false,
                    };
                let next = if missed {
                    Some(start)
                } else {
                    job.schedule.next_after(start)
                };
                (next, false)
            })
            .collect();
        Self { slots }
    }

    /// The next run of job `i`.
    pub fn next(&self, i: usize) -> Option<DateTime<Utc>> {
        self.slots.get(i).and_then(|s| s.0)
    }

    /// The jobs due at `now`, each moved on to its next run after `now`; a job still running
    /// is skipped rather than run twice.
    pub fn due(&mut self, jobs: &[Job], now: DateTime<Utc>) -> Vec<(usize, Due)> {
        let mut out = Vec::new();
        for (i, (next, running)) in self.slots.iter_mut().enumerate() {
            let Some(at) = *next else { continue };
            if at > now {
                continue;
            }
            out.push((i, if *running { Due::Skip } else { Due::Run }));
            if !*running {
                *running = true;
            }
            // One run however many were missed (as cron tools do), then the next after now.
            *next = jobs[i].schedule.next_on_beat(at, now);
        }
        out
    }

    /// Job `i`'s run ended.
    pub fn finished(&mut self, i: usize) {
        if let Some(slot) = self.slots.get_mut(i) {
            slot.1 = false;
        }
    }
}

/// The owner of the keeper's job containers: this process, as keeper instance `instance`.
pub fn keeper_owner(instance: &str) -> Owner {
    Owner {
        keeper: Some(instance.to_string()),
        ..Owner::current()
    }
}

/// One run of `job`, owned by keeper `instance`, ended early (container removed) when
/// `interrupt` resolves.
pub async fn run_job(
    ctx: &ActionContext,
    job: &Job,
    instance: &str,
    interrupt: impl Future<Output = String>,
) -> RunReport {
    let mut options = job.options.clone();
    options.owner = Some(keeper_owner(instance));
    run_container(ctx, &job.spec, &options, interrupt).await
}

/// What the store keeps of a run (`job.run`): the outcome, exit code and output (truncated).
pub fn run_note(job: &str, report: &RunReport) -> serde_json::Value {
    let mut note = report.to_json();
    note["job"] = job.into();
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(schedule: &str, catch_up: bool) -> Job {
        Job {
            name: "j".into(),
            schedule_text: schedule.into(),
            schedule: Schedule::parse(schedule).expect("a schedule"),
            catch_up,
            spec: RunSpec::new("img"),
            options: RunOptions::default(),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn schedules_parse() {
        assert!(matches!(
            Schedule::parse("@every 30s"),
            Ok(Schedule::Every(d)) if d == Duration::from_secs(30)
        ));
        assert!(Schedule::parse("*/5 * * * *").is_ok());
        assert!(Schedule::parse("@hourly").is_ok());
        for bad in [
            "@every",
            "@every 0s",
            "* * * *",
            "0 * * * * *",
            "61 * * * *",
            "soon",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        let words = |text: &str| Schedule::parse(text).err().map(|e| e.to_string());
        assert_eq!(
            words("@every 0s").as_deref(),
            Some("bad schedule '@every 0s': @every needs a positive duration")
        );
        assert_eq!(
            words("* * * *").as_deref(),
            Some(
                "bad schedule '* * * *': expected five cron fields (minute hour day month \
                 weekday), an alias like @hourly, or @every 30s"
            )
        );
        let every = Schedule::parse("@every 2s").expect("every");
        let start = t("2024-05-01T12:00:00Z");
        assert_eq!(every.next_after(start), Some(t("2024-05-01T12:00:02Z")));
        let cron = Schedule::parse("*/15 * * * *").expect("cron");
        let next = cron.next_after(start).expect("a next run");
        assert_eq!(next - start, chrono::Duration::minutes(15));
        assert_eq!(cron.last_due(start), Some(start));
    }

    #[test]
    fn never_two_runs_of_one_job() {
        let jobs = vec![job("@every 2s", false)];
        let start = t("2024-05-01T12:00:00Z");
        let mut s = Scheduler::new(&jobs, &[None], start);
        assert_eq!(s.due(&jobs, start), vec![]);
        assert_eq!(s.next(0), Some(t("2024-05-01T12:00:02Z")));
        assert_eq!(s.due(&jobs, t("2024-05-01T12:00:02Z")), vec![(0, Due::Run)]);
        // Still running at the next beat: skipped.
        assert_eq!(
            s.due(&jobs, t("2024-05-01T12:00:04Z")),
            vec![(0, Due::Skip)]
        );
        s.finished(0);
        // Late by several beats: one run, then back on the beat.
        assert_eq!(s.due(&jobs, t("2024-05-01T12:00:09Z")), vec![(0, Due::Run)]);
        assert_eq!(s.next(0), Some(t("2024-05-01T12:00:10Z")));
    }

    #[test]
    fn catch_up_runs_a_missed_one_once_at_start() {
        let jobs = vec![job("0 * * * *", true), job("0 * * * *", false)];
        let start = t("2024-05-01T12:30:00Z");
        let last = LastRun {
            at: t("2024-05-01T10:00:00Z"),
            outcome: "exited".into(),
            exit_code: Some(0),
        };
        let mut s = Scheduler::new(&jobs, &[Some(last.clone()), Some(last)], start);
        assert_eq!(s.due(&jobs, start), vec![(0, Due::Run)]);
        s.finished(0);
        assert_eq!(s.due(&jobs, start), vec![]);
        // Nothing missed: not run at start.
        let recent = LastRun {
            at: t("2024-05-01T12:29:00Z"),
            outcome: "exited".into(),
            exit_code: Some(0),
        };
        let mut s = Scheduler::new(&jobs[..1], &[Some(recent)], start);
        assert_eq!(s.due(&jobs[..1], start), vec![]);
    }

    #[test]
    fn a_long_suspend_gives_one_catch_up_and_the_next_run_on_the_beat() {
        // A year asleep at `@every 1ms`: 31.5 billion missed beats, one run.
        let jobs = vec![job("@every 1ms", false)];
        let start = t("2024-05-01T12:00:00Z");
        let mut s = Scheduler::new(&jobs, &[None], start);
        let woke = t("2025-05-01T12:00:00.0005Z");
        assert_eq!(s.due(&jobs, woke), vec![(0, Due::Run)]);
        assert_eq!(
            s.next(0),
            Some(t("2025-05-01T12:00:00.001Z")),
            "on the beat"
        );
        assert_eq!(s.due(&jobs, woke), vec![], "no second catch-up");
        s.finished(0);

        // A cron job asleep for a day: one run, then its next occurrence after waking.
        let jobs = vec![job("*/5 * * * *", false)];
        let mut s = Scheduler::new(&jobs, &[None], start);
        let woke = t("2024-05-02T12:07:00Z");
        assert_eq!(s.due(&jobs, woke), vec![(0, Due::Run)]);
        let next = s.next(0).expect("a next run");
        assert!(
            next > woke && next - woke <= chrono::Duration::minutes(5),
            "{next}"
        );
    }
}
