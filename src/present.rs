//! Pure formatting shared by the CLI tables and the console: durations, ages, the status
//! column ("up 3m", "exited (137) OOM · 3m ago"), byte sizes.

use chrono::{DateTime, Utc};

use crate::engine::exit::{ExitContext, read_exit, short_tag};
use crate::engine::{Container, RunState};

/// A duration in its largest unit, as `ps` shows it: 45s, 3m, 2h, 4d.
pub fn short_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// As [`short_duration`], for a screen that redraws what changes: exact below 10 s, then in
/// steps of 10 s below a minute (10s, 20s, …). A fresh deploy's uptimes then change on screen
/// 15 times in their first minute rather than 60, which is most of what the console writes
/// to the terminal while they are young.
pub fn short_duration_on_screen(seconds: i64) -> String {
    let s = seconds.max(0);
    if (10..60).contains(&s) {
        format!("{}s", s - s % 10)
    } else {
        short_duration(s)
    }
}

/// How long ago `time` was, relative to `now`.
pub fn ago(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ago", short_duration((now - time).num_seconds()))
}

/// The status column: uptime when up, the exit read briefly when exited (`ps`: exact ages).
pub fn status_text(c: &Container, now: DateTime<Utc>) -> String {
    status_with(c, now, short_duration)
}

/// The status column as the console's list shows it: ages in [`short_duration_on_screen`].
pub fn status_text_on_screen(c: &Container, now: DateTime<Utc>) -> String {
    status_with(c, now, short_duration_on_screen)
}

fn status_with(c: &Container, now: DateTime<Utc>, age: fn(i64) -> String) -> String {
    match c.state {
        RunState::Running | RunState::Paused | RunState::Restarting => {
            let up = c
                .started_at
                .map(|t| format!("up {}", age((now - t).num_seconds())))
                .unwrap_or_else(|| "up".into());
            match c.state {
                RunState::Paused => format!("{up} (paused)"),
                RunState::Restarting => "restarting".into(),
                _ => up,
            }
        }
        RunState::Exited | RunState::Dead => {
            let when = c
                .finished_at
                .map(|t| format!(" · {} ago", age((now - t).num_seconds())))
                .unwrap_or_default();
            match c.exit_code {
                Some(code) => {
                    let reading = read_exit(
                        code,
                        ExitContext {
                            oom_killed: c.oom_killed,
                            stop_timed_out: None,
                        },
                    );
                    format!("{} ({code}) {}{when}", c.state, short_tag(&reading.meaning))
                }
                None => format!("{}{when}", c.state),
            }
        }
        RunState::Created => "created".into(),
        RunState::Removing => "removing".into(),
        RunState::Unknown => "unknown".into(),
    }
}

/// Bytes in binary units: 512 B, 1.5 KiB, 300 MiB, 2.0 GiB.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerId;

    #[test]
    fn durations_and_bytes() {
        assert_eq!(short_duration(45), "45s");
        assert_eq!(short_duration(180), "3m");
        assert_eq!(short_duration(7200), "2h");
        assert_eq!(short_duration(-5), "0s");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(300 * 1024 * 1024), "300 MiB");
    }

    #[test]
    fn status_of_an_oom_killed_container() {
        let now = Utc::now();
        let mut c = Container::new(ContainerId("a".into()), "w".into());
        c.state = RunState::Exited;
        c.exit_code = Some(137);
        c.oom_killed = true;
        c.finished_at = Some(now - chrono::Duration::seconds(190));
        assert_eq!(status_text(&c, now), "exited (137) OOM · 3m ago");
        c.state = RunState::Running;
        c.started_at = Some(now - chrono::Duration::seconds(50));
        assert_eq!(status_text(&c, now), "up 50s");
    }

    #[test]
    fn the_console_shows_young_ages_in_steps_of_ten_seconds() {
        assert_eq!(short_duration_on_screen(0), "0s");
        assert_eq!(short_duration_on_screen(9), "9s");
        assert_eq!(short_duration_on_screen(10), "10s");
        assert_eq!(short_duration_on_screen(47), "40s");
        assert_eq!(short_duration_on_screen(59), "50s");
        assert_eq!(short_duration_on_screen(61), "1m");
        assert_eq!(short_duration_on_screen(-3), "0s");
        let now = Utc::now();
        let mut c = Container::new(ContainerId("a".into()), "w".into());
        c.state = RunState::Running;
        c.started_at = Some(now - chrono::Duration::seconds(47));
        assert_eq!(status_text_on_screen(&c, now), "up 40s");
        assert_eq!(status_text(&c, now), "up 47s", "ps keeps the exact age");
        c.state = RunState::Exited;
        c.exit_code = Some(0);
        c.finished_at = Some(now - chrono::Duration::seconds(33));
        assert_eq!(status_text_on_screen(&c, now), "exited (0) ok · 30s ago");
    }
}
