//! Triage: what is wrong in the fleet, worst first, each with the reason in one line. Every
//! rule is a pure function of a container, its recent events ([`History`]), optional memory
//! usage and GPU report, the time, and the [`Thresholds`]; [`evaluate`] runs them all.

pub mod disk;
pub mod gather;
mod history;
pub mod recorded;
pub mod stuck;
pub mod stuck_gather;
pub mod stuck_watch;
pub mod swarm;
mod thresholds;

pub use history::{History, Seen};
pub use stuck_watch::{HungCall, Observations, Observed, StuckWatch};
pub use thresholds::Thresholds;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::engine::exit::{ExitContext, ExitMeaning, describe, read_exit};
use crate::engine::{Container, ContainerId, Health, RunState};
use crate::gpu::GpuReport;
use crate::present::{bytes, short_duration};

/// How bad a problem is; problems are listed worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    OomKilled,
    CrashLoop,
    Unhealthy,
    StopTimedOut,
    ExitedNonZero,
    Stuck,
    MemoryNearLimit,
    GpuOverThreshold,
    /// The keeper spent its restart budget and left the container (a `keeper.give_up` note).
    GaveUp,
    /// Throttled in most CPU periods at its limit.
    CpuThrottled,
    /// The main process (or most) stopped (`T`) or in uninterruptible sleep (`D`).
    ProcessStopped,
    /// At its pids limit.
    OutOfPids,
    /// Health checks failing while still "starting".
    FailingInStartPeriod,
    /// Near its memory limit and reclaiming hard.
    MemoryPressure,
    /// Daemon calls for it time out while the daemon answers for others.
    HungCalls,
    /// No log line for longer than its label allows.
    Silent,
    /// The daemon's data disk is nearly full ([`disk`]).
    DiskNearlyFull,
    /// Images or build cache a prune would free, above the threshold.
    Reclaimable,
    /// A container died with "no space left on device".
    NoSpace,
    /// Swarm ([`swarm`]): a service runs fewer tasks than it wants.
    ServiceDegraded,
    /// Swarm: a service's tasks fail again and again.
    TasksFailing,
    /// Swarm: a service's update paused, or was rolled back.
    UpdateStopped,
    /// Swarm: a node is down (or not ready), drained or paused.
    NodeUnavailable,
    /// Swarm: fewer managers reachable than a quorum needs.
    QuorumShort,
}

impl ProblemKind {
    /// A few words for the problem column.
    pub fn title(self) -> &'static str {
        match self {
            Self::OomKilled => "OOM-killed",
            Self::CrashLoop => "crash loop",
            Self::Unhealthy => "unhealthy",
            Self::StopTimedOut => "stop timed out",
            Self::ExitedNonZero => "exited non-zero",
            Self::Stuck => "stuck",
            Self::MemoryNearLimit => "memory near limit",
            Self::GpuOverThreshold => "GPU memory high",
            Self::GaveUp => "keeper gave up",
            Self::CpuThrottled => "CPU throttled",
            Self::ProcessStopped => "process stopped",
            Self::OutOfPids => "out of pids",
            Self::FailingInStartPeriod => "failing, starting",
            Self::MemoryPressure => "memory pressure",
            Self::HungCalls => "hung daemon calls",
            Self::Silent => "silent",
            Self::DiskNearlyFull => "data disk nearly full",
            Self::Reclaimable => "reclaimable space",
            Self::NoSpace => "no space left",
            Self::ServiceDegraded => "service degraded",
            Self::TasksFailing => "tasks failing",
            Self::UpdateStopped => "update stopped",
            Self::NodeUnavailable => "node unavailable",
            Self::QuorumShort => "quorum short",
        }
    }
}

/// What the operator would most likely do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suggestion {
    Logs,
    Inspect,
    Restart,
    Start,
    Remove,
    /// Send SIGCONT (a stopped process).
    Continue,
}

impl Suggestion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logs => "logs",
            Self::Inspect => "inspect",
            Self::Restart => "restart",
            Self::Start => "start",
            Self::Remove => "remove",
            Self::Continue => "SIGCONT",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `None` for problems that are not about one container (a GPU over its threshold).
    pub container_id: Option<ContainerId>,
    /// The container's name, or what the problem is about ("GPU 0").
    pub subject: String,
    pub kind: ProblemKind,
    pub severity: Severity,
    /// One line of why.
    pub reason: String,
    /// When it last happened, where known: recency orders problems of the same severity.
    pub since: Option<DateTime<Utc>>,
    pub suggestion: Suggestion,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.severity.as_str(),
            self.subject,
            self.reason
        )
    }
}

/// Memory in use and the limit, from a stats sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryUse {
    pub used: u64,
    pub limit: u64,
}

/// Everything the rules read besides the containers.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub history: &'a History,
    pub memory: &'a HashMap<ContainerId, MemoryUse>,
    pub gpu: Option<&'a GpuReport>,
    pub now: DateTime<Utc>,
    pub thresholds: &'a Thresholds,
    /// What was observed of the running containers (vitals, hung calls, log lines).
    pub observed: &'a Observations,
}

fn problem(c: &Container, kind: ProblemKind, severity: Severity, reason: String) -> Problem {
    Problem {
        container_id: Some(c.id.clone()),
        subject: c.name.clone(),
        kind,
        severity,
        reason,
        since: None,
        suggestion: Suggestion::Logs,
    }
}

fn window(ctx: &Context<'_>) -> (DateTime<Utc>, String) {
    let w = ctx.thresholds.window_s;
    (ctx.now - Duration::seconds(w), short_duration(w))
}

fn limit_text(c: &Container) -> String {
    c.memory_limit
        .map(|l| format!(", limit {}", bytes(l)))
        .unwrap_or_else(|| ", no memory limit".into())
}

/// OOM-killed: the last run ended by the OOM killer, or OOM kills within the window.
pub fn oom_killed(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    let (from, span) = window(ctx);
    let count = ctx.history.oom_kills(&c.id, from);
    let last_run_oom = c.oom_killed && !c.state.is_up();
    if count == 0 && !last_run_oom {
        return None;
    }
    let reason = if count > 1 {
        format!("OOM-killed {count} times in {span}{}", limit_text(c))
    } else {
        format!("OOM-killed (exit 137){}", limit_text(c))
    };
    let mut p = problem(c, ProblemKind::OomKilled, Severity::Critical, reason);
    p.since = ctx
        .history
        .last(&c.id, |s| *s == Seen::Oom)
        .or(c.finished_at);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// Crash loop: restarting, or dying again and again within the window.
pub fn crash_loop(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    let (from, span) = window(ctx);
    let deaths = ctx
        .history
        .count(&c.id, from, |s| matches!(s, Seen::Die(_)));
    let restarts = c.restart_count.unwrap_or(0);
    // Restarts by the restart policy, the last death within the window: a loop, even when the
    // deaths happened before the events were watched (a console opened afterwards).
    let restarted_recently = restarts >= ctx.thresholds.crash_loop_deaths as u64
        && c.finished_at.is_some_and(|t| t >= from);
    let looping = deaths >= ctx.thresholds.crash_loop_deaths
        || restarted_recently
        || (c.state == RunState::Restarting && restarts > 0);
    if !looping {
        return None;
    }
    // The last death's code as the events told it; an inspect of a running container says 0.
    let last_death = ctx.history.of(&c.id).rev().find_map(|(_, s)| match s {
        Seen::Die(code) => Some(*code),
        _ => None,
    });
    let last_exit = last_death
        .unwrap_or(c.exit_code)
        .map(|code| {
            let r = read_exit(
                code,
                ExitContext {
                    oom_killed: c.oom_killed,
                    stop_timed_out: None,
                },
            );
            format!(", last exit {code} ({})", describe(&r.meaning))
        })
        .unwrap_or_default();
    let reason = if deaths >= ctx.thresholds.crash_loop_deaths {
        format!("died {deaths} times in {span}{last_exit}")
    } else if c.state != RunState::Restarting {
        format!("restarted {restarts} times, then gave up{last_exit}")
    } else {
        format!(
            "restarting, {} restarts{last_exit}",
            c.restart_count.unwrap_or(0)
        )
    };
    let mut p = problem(c, ProblemKind::CrashLoop, Severity::Critical, reason);
    p.since = ctx
        .history
        .last(&c.id, |s| matches!(s, Seen::Die(_)))
        .or(c.finished_at);
    Some(p)
}

/// Unhealthy, with the last health-check output.
pub fn unhealthy(c: &Container, _ctx: &Context<'_>) -> Option<Problem> {
    if c.health != Some(Health::Unhealthy) || !c.state.is_up() {
        return None;
    }
    let output = c
        .last_health_output
        .as_deref()
        .map(|o| {
            let line = o.lines().next().unwrap_or_default();
            format!(": last check said \"{line}\"")
        })
        .unwrap_or_default();
    let mut p = problem(
        c,
        ProblemKind::Unhealthy,
        Severity::Error,
        format!("health check failing{output}"),
    );
    p.since = c.started_at;
    Some(p)
}

/// Killed because a stop ran out its timeout: SIGTERM was ignored.
pub fn stop_timed_out(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if c.state != RunState::Exited || c.exit_code != Some(137) || c.oom_killed {
        return None;
    }
    if !ctx.history.stop_ran_out(&c.id) {
        return None;
    }
    let mut p = problem(
        c,
        ProblemKind::StopTimedOut,
        Severity::Warning,
        "killed with SIGKILL after the stop timeout ran out: it ignores SIGTERM".into(),
    );
    p.since = c.finished_at;
    Some(p)
}

/// Exited with a non-zero code that no operator's signal explains.
pub fn exited_non_zero(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !matches!(c.state, RunState::Exited | RunState::Dead) {
        return None;
    }
    let code = c.exit_code.filter(|code| *code != 0)?;
    let reading = read_exit(
        code,
        ExitContext {
            oom_killed: c.oom_killed,
            stop_timed_out: None,
        },
    );
    // SIGTERM is how a stop (or a shutdown) ends a container: what was asked for, even when
    // the stop happened before the events were watched.
    if reading.meaning == ExitMeaning::Sigterm {
        return None;
    }
    // Ended by a signal someone sent (a kill): what was asked for, not a fault.
    let signalled = (c.last_signal.is_some() || ctx.history.signalled(&c.id))
        && matches!(
            reading.meaning,
            ExitMeaning::Sigterm | ExitMeaning::Sigkill | ExitMeaning::Signal { .. }
        );
    if signalled {
        return None;
    }
    let when = c
        .finished_at
        .map(|t| format!(" {} ago", short_duration((ctx.now - t).num_seconds())))
        .unwrap_or_default();
    let mut p = problem(
        c,
        ProblemKind::ExitedNonZero,
        Severity::Error,
        format!("exited with {code} ({}){when}", describe(&reading.meaning)),
    );
    p.since = c.finished_at;
    p.suggestion = Suggestion::Restart;
    Some(p)
}

/// Stuck: removing or dead; paused, created or restarting for too long.
pub fn stuck(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    let t = ctx.thresholds;
    let for_long = |since: Option<DateTime<Utc>>, max_s: i64| {
        since.filter(|s| (ctx.now - *s).num_seconds() > max_s)
    };
    let (reason, since, suggestion, severity) = match c.state {
        RunState::Removing => (
            "stuck in removing".to_string(),
            None,
            Suggestion::Remove,
            Severity::Error,
        ),
        RunState::Dead => (
            "dead: Docker could not stop or remove it".to_string(),
            c.finished_at,
            Suggestion::Remove,
            Severity::Error,
        ),
        RunState::Paused => {
            let since = for_long(
                ctx.history.last(&c.id, |s| *s == Seen::Pause),
                t.paused_max_s,
            )?;
            let age = short_duration((ctx.now - since).num_seconds());
            (
                format!("paused for {age}"),
                Some(since),
                Suggestion::Inspect,
                Severity::Warning,
            )
        }
        RunState::Created => {
            let since = for_long(c.created, t.created_max_s)?;
            let age = short_duration((ctx.now - since).num_seconds());
            (
                format!("created {age} ago and never started"),
                Some(since),
                Suggestion::Start,
                Severity::Warning,
            )
        }
        RunState::Restarting => {
            let since = for_long(
                ctx.history
                    .last(&c.id, |s| matches!(s, Seen::Die(_)))
                    .or(c.finished_at),
                t.restarting_max_s,
            )?;
            let age = short_duration((ctx.now - since).num_seconds());
            (
                format!("restarting for {age}"),
                Some(since),
                Suggestion::Logs,
                Severity::Error,
            )
        }
        _ => return None,
    };
    let mut p = problem(c, ProblemKind::Stuck, severity, reason);
    p.since = since;
    p.suggestion = suggestion;
    Some(p)
}

/// Memory use near the limit.
pub fn memory_near_limit(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !c.state.is_up() {
        return None;
    }
    let usage = ctx.memory.get(&c.id)?;
    let limit = c.memory_limit.unwrap_or(usage.limit);
    if limit == 0 || c.memory_limit.is_none() {
        return None;
    }
    let pct = usage.used as f64 * 100.0 / limit as f64;
    if pct < ctx.thresholds.memory_near_pct {
        return None;
    }
    let mut p = problem(
        c,
        ProblemKind::MemoryNearLimit,
        Severity::Warning,
        format!(
            "memory {} of {} ({pct:.0} %)",
            bytes(usage.used),
            bytes(limit)
        ),
    );
    p.since = Some(ctx.now);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// GPUs whose memory is over the threshold, naming the container holding the most.
pub fn gpu_over_threshold(report: &GpuReport) -> Vec<Problem> {
    report
        .gpus
        .iter()
        .filter(|g| g.over_threshold)
        .map(|g| {
            let top = report
                .processes
                .iter()
                .filter(|p| p.gpu_index == g.info.index)
                .filter_map(|p| Some((p.container.as_ref()?, p.memory_used_bytes?)))
                .max_by_key(|(_, m)| *m)
                .map(|(c, m)| format!("; most held by {} ({})", c.name, bytes(m)))
                .unwrap_or_default();
            Problem {
                container_id: None,
                subject: format!("GPU {}", g.info.index),
                kind: ProblemKind::GpuOverThreshold,
                severity: Severity::Warning,
                reason: format!(
                    "memory {} of {} ({:.0} %), over the {:.0} % threshold{top}",
                    bytes(g.info.memory_used_bytes),
                    bytes(g.info.memory_total_bytes),
                    g.memory_used_pct,
                    report.threshold_pct
                ),
                since: None,
                suggestion: Suggestion::Inspect,
            }
        })
        .collect()
}

/// The rules about how a container ended, in order: the first that fires explains the exit,
/// so an OOM kill is not also listed as "exited 137".
const EXIT_RULES: &[fn(&Container, &Context<'_>) -> Option<Problem>] =
    &[oom_killed, crash_loop, stop_timed_out, exited_non_zero];
/// The rules that stand on their own.
const OTHER_RULES: &[fn(&Container, &Context<'_>) -> Option<Problem>] =
    &[unhealthy, stuck, memory_near_limit];

/// The order problems are listed in: the most severe first, then the most recent, then by
/// subject and kind.
pub fn order(a: &Problem, b: &Problem) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| b.since.cmp(&a.since))
        .then_with(|| a.subject.cmp(&b.subject))
        .then_with(|| a.kind.title().cmp(b.kind.title()))
}

/// Runs every rule over the fleet; problems come worst first, then most recent first.
pub fn evaluate<'a>(
    containers: impl IntoIterator<Item = &'a Container>,
    ctx: &Context<'_>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for c in containers {
        if let Some(p) =
            disk::no_space(c).or_else(|| EXIT_RULES.iter().find_map(|rule| rule(c, ctx)))
        {
            problems.push(p);
        }
        let found = problems.len();
        problems.extend(OTHER_RULES.iter().filter_map(|rule| rule(c, ctx)));
        problems.extend(stuck::STUCK_RULES.iter().filter_map(|rule| rule(c, ctx)));
        // Memory pressure says more than memory near its limit.
        if problems[found..]
            .iter()
            .any(|p| p.kind == ProblemKind::MemoryPressure)
        {
            let tail = problems.split_off(found);
            problems.extend(
                tail.into_iter()
                    .filter(|p| p.kind != ProblemKind::MemoryNearLimit),
            );
        }
    }
    if let Some(report) = ctx.gpu {
        problems.extend(gpu_over_threshold(report));
    }
    problems.sort_by(order);
    problems
}

#[cfg(test)]
mod tests;
