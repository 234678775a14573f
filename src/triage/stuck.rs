//! The rules about containers that are up but not working: CPU-throttled at their limit, main
//! process stopped or in uninterruptible sleep, out of pids, failing health checks while still
//! "starting", reclaiming hard near their memory limit, with daemon calls that hung for them
//! alone, and (opt-in, by the label [`SILENT_LABEL`]) silent for too long. Each is a pure
//! function of the container and the [`Context`] (its [`super::Observations`]).

use chrono::{DateTime, Utc};

use super::{Context, Problem, ProblemKind, Severity, Suggestion, problem};
use crate::engine::{Container, Health, RunState};
use crate::present::{bytes, short_duration};

/// The label that opts a container into the silence check: `fleetdeck.triage.silent-after =
/// "10m"` (a duration: no log line for longer than this is a problem).
pub const SILENT_LABEL: &str = "fleetdeck.triage.silent-after";

fn running(c: &Container) -> bool {
    c.state == RunState::Running
}

fn age(now: DateTime<Utc>, since: DateTime<Utc>) -> String {
    short_duration((now - since).num_seconds().max(1))
}

/// "0.1", "2", "1.5": a CPU limit in cores.
fn cores(limit: f64) -> String {
    let text = format!("{limit:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// CPU-throttled in most periods while at its limit.
pub fn cpu_throttled(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !running(c) {
        return None;
    }
    let t = ctx.observed.containers.get(&c.id)?.throttle?;
    let floor = ctx.thresholds.throttled_pct;
    let limit = t.limit_cpus?;
    if t.pct < floor || t.recent_pct < floor {
        return None;
    }
    let over = match t.span_s {
        Some(span) => format!("of the last {}", short_duration(span)),
        None => "of its periods since it started".to_string(),
    };
    let reason = format!(
        "throttled {:.0} % {over} at its {}-CPU limit",
        t.pct,
        cores(limit)
    );
    let mut p = problem(c, ProblemKind::CpuThrottled, Severity::Warning, reason);
    p.since = Some(ctx.now);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// The main process (or most processes) stopped (`T`) or in uninterruptible sleep (`D`).
pub fn process_stopped(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !running(c) {
        return None;
    }
    let s = ctx.observed.containers.get(&c.id)?.stopped.as_ref()?;
    if (ctx.now - s.since).num_seconds() < ctx.thresholds.stuck_process_s {
        return None;
    }
    let p = &s.process;
    let how = if p.is_uninterruptible() {
        "in D state".to_string()
    } else {
        format!("stopped ({})", p.state)
    };
    let who = if s.main {
        format!("main process ({}, pid {})", p.comm, p.pid)
    } else {
        format!("{} of {} processes", s.stuck, s.total)
    };
    let wchan = p
        .wchan
        .as_deref()
        .map(|w| format!(", waiting in `{w}`"))
        .unwrap_or_default();
    let reason = format!("{who} {how} for {}{wchan}", age(ctx.now, s.since));
    let mut problem = problem(c, ProblemKind::ProcessStopped, Severity::Error, reason);
    problem.since = Some(s.since);
    // SIGCONT wakes a stopped process; nothing but a restart ends a wait in D.
    problem.suggestion = if p.is_stopped() {
        Suggestion::Continue
    } else {
        Suggestion::Restart
    };
    Some(problem)
}

/// At its pids limit: every new process or `exec` fails.
pub fn out_of_pids(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !running(c) {
        return None;
    }
    let pids = ctx.observed.containers.get(&c.id)?.pids?;
    let max = pids.max?;
    if pids.current < max {
        return None;
    }
    let refused = match pids.refused {
        0 => String::new(),
        1 => "; 1 fork refused".into(),
        n => format!("; {n} forks refused"),
    };
    let reason = format!(
        "{} of {max} pids in use: new processes and execs fail{refused}",
        pids.current
    );
    let mut p = problem(c, ProblemKind::OutOfPids, Severity::Error, reason);
    p.since = Some(ctx.now);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// Health checks failing while Docker still says "starting" (a long start period hides them).
pub fn failing_in_start_period(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if c.health != Some(Health::Starting) || !c.state.is_up() {
        return None;
    }
    let streak = c.health_failing_streak.filter(|n| *n > 0)?;
    let output = c
        .last_health_output
        .as_deref()
        .and_then(|o| o.lines().next())
        .map(|line| format!(", last said \"{line}\""))
        .unwrap_or_else(|| ", no output".into());
    let checks = if streak == 1 {
        "its last check failed".to_string()
    } else {
        format!("{streak} failed checks in a row")
    };
    let reason = format!("{checks} in its start period{output}");
    let mut p = problem(
        c,
        ProblemKind::FailingInStartPeriod,
        Severity::Warning,
        reason,
    );
    p.since = c.started_at.or(Some(ctx.now));
    p.suggestion = Suggestion::Logs;
    Some(p)
}

/// Near its memory limit and reclaiming hard: hitting the limit, major faults, stalls.
pub fn memory_pressure(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !running(c) {
        return None;
    }
    let m = ctx.observed.containers.get(&c.id)?.memory?;
    let limit = m.counters.limit.filter(|l| *l > 0)?;
    let pct = m.counters.usage as f64 * 100.0 / limit as f64;
    let stall = m.counters.pressure_some_avg10.unwrap_or(0.0);
    let reclaiming = m.limit_hits >= 10 || m.major_faults >= 50 || stall >= 10.0;
    if pct < ctx.thresholds.memory_near_pct || !reclaiming {
        return None;
    }
    let mut signs = Vec::new();
    if m.limit_hits > 0 {
        signs.push(format!("{} limit hits", m.limit_hits));
    }
    if m.major_faults > 0 {
        signs.push(format!("{} major faults", m.major_faults));
    }
    if let Some(swap) = m.counters.swap.filter(|s| *s > 0) {
        signs.push(format!("{} swap", bytes(swap)));
    }
    if stall > 0.0 {
        signs.push(format!("{stall:.0} % stalled"));
    }
    let over = if m.span_s > 0 {
        format!(" (last {})", short_duration(m.span_s))
    } else {
        String::new()
    };
    let reason = format!(
        "{pct:.0} % of its {} limit, reclaiming{over}: {}",
        bytes(limit),
        signs.join(", ")
    );
    let mut p = problem(c, ProblemKind::MemoryPressure, Severity::Error, reason);
    p.since = Some(ctx.now);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// A daemon call about this container ran out its time (within the window) while the daemon
/// answered for others.
pub fn hung_calls(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    let hung = ctx.observed.hung.get(&c.id)?;
    if (ctx.now - hung.at).num_seconds() > ctx.thresholds.window_s {
        return None;
    }
    let reason = format!(
        "{} timed out {} ago while the daemon answered for other containers",
        hung.call,
        age(ctx.now, hung.at)
    );
    let mut p = problem(c, ProblemKind::HungCalls, Severity::Error, reason);
    p.since = Some(hung.at);
    p.suggestion = Suggestion::Inspect;
    Some(p)
}

/// How long `c` may go without a log line, when it opted into the silence check: its label
/// [`SILENT_LABEL`] (a duration), else the first `[[triage.silent]]` rule naming it. A label
/// that is not a duration opts nothing in.
pub fn silent_after(c: &Container, thresholds: &super::Thresholds) -> Option<i64> {
    match c.labels.get(SILENT_LABEL) {
        Some(after) => crate::duration::parse(after)
            .ok()
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        None => thresholds.silent.iter().find_map(|r| r.after_s(&c.name)),
    }
}

/// Opted in (label or config, [`silent_after`]): no log line for longer than it says.
pub fn silent(c: &Container, ctx: &Context<'_>) -> Option<Problem> {
    if !running(c) {
        return None;
    }
    let after_s = silent_after(c, ctx.thresholds)?;
    // Only where the logs are followed (or were read): never a guess.
    let last = ctx.observed.last_log.get(&c.id)?;
    let since = (*last).or(c.started_at)?;
    if (ctx.now - since).num_seconds() <= after_s {
        return None;
    }
    let what = if last.is_some() {
        "no log line for"
    } else {
        "no log line since it started,"
    };
    let reason = format!(
        "{what} {} (silent after {})",
        age(ctx.now, since),
        short_duration(after_s)
    );
    let mut p = problem(c, ProblemKind::Silent, Severity::Warning, reason);
    p.since = Some(since);
    p.suggestion = Suggestion::Logs;
    Some(p)
}

/// The stuck rules, in order.
pub const STUCK_RULES: &[fn(&Container, &Context<'_>) -> Option<Problem>] = &[
    process_stopped,
    out_of_pids,
    cpu_throttled,
    failing_in_start_period,
    memory_pressure,
    hung_calls,
    silent,
];

#[cfg(test)]
#[path = "stuck_tests.rs"]
mod tests;
