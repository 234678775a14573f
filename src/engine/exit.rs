//! Reading an exit code for people: what 137 or 143 means, told apart by the OOM flag and by
//! whether a stop ran out its timeout.

use std::fmt;

use serde::Serialize;

/// What an exit code means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ExitMeaning {
    /// Exit 0.
    Clean,
    /// 143: ended by SIGTERM (a graceful stop).
    Sigterm,
    /// 137 with `State.OOMKilled`: the kernel's OOM killer.
    OomKilled,
    /// 137 after a stop whose grace period ran out: Docker sent SIGKILL.
    StopTimedOut { timeout_s: u64 },
    /// 137 otherwise: SIGKILL.
    Sigkill,
    /// 139: SIGSEGV.
    Segfault,
    /// 125: the container failed to run (a Docker error).
    DockerError,
    /// 126: the command could not be executed.
    NotExecutable,
    /// 127: the command was not found.
    CommandNotFound,
    /// 128 + n: killed by signal n.
    Signal { number: i64, name: String },
    /// Any other code: the program's own error.
    Error,
}

/// An exit code with its meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitReading {
    pub code: i64,
    pub meaning: ExitMeaning,
    /// One line for people: "exit 137: OOM-killed".
    pub text: String,
}

/// What is known besides the code.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExitContext {
    /// `State.OOMKilled`.
    pub oom_killed: bool,
    /// The stop timeout, when the exit follows a stop that lasted at least that long.
    pub stop_timed_out: Option<u64>,
}

/// The conventional name of a signal number on Linux.
pub fn signal_name(number: i64) -> Option<&'static str> {
    Some(match number {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        17 => "SIGCHLD",
        18 => "SIGCONT",
        19 => "SIGSTOP",
        20 => "SIGTSTP",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => return None,
    })
}

/// Reads an exit code.
pub fn read_exit(code: i64, context: ExitContext) -> ExitReading {
    let meaning = match code {
        0 => ExitMeaning::Clean,
        143 => ExitMeaning::Sigterm,
        137 if context.oom_killed => ExitMeaning::OomKilled,
        137 => match context.stop_timed_out {
            Some(timeout_s) => ExitMeaning::StopTimedOut { timeout_s },
            None => ExitMeaning::Sigkill,
        },
        139 => ExitMeaning::Segfault,
        125 => ExitMeaning::DockerError,
        126 => ExitMeaning::NotExecutable,
        127 => ExitMeaning::CommandNotFound,
        129..=192 => {
            let number = code - 128;
            ExitMeaning::Signal {
                number,
                name: signal_name(number)
                    .map_or_else(|| format!("signal {number}"), str::to_string),
            }
        }
        _ => ExitMeaning::Error,
    };
    let text = format!("exit {code}: {}", describe(&meaning));
    ExitReading {
        code,
        meaning,
        text,
    }
}

/// The meaning in a few words.
pub fn describe(meaning: &ExitMeaning) -> String {
    match meaning {
        ExitMeaning::Clean => "clean exit".into(),
        ExitMeaning::Sigterm => "stopped by SIGTERM".into(),
        ExitMeaning::OomKilled => "OOM-killed (out of memory)".into(),
        ExitMeaning::StopTimedOut { timeout_s } => {
            format!("killed with SIGKILL after the {timeout_s} s stop timeout ran out")
        }
        ExitMeaning::Sigkill => "killed by SIGKILL".into(),
        ExitMeaning::Segfault => "segmentation fault (SIGSEGV)".into(),
        ExitMeaning::DockerError => "the container failed to run (Docker error)".into(),
        ExitMeaning::NotExecutable => "command cannot be executed".into(),
        ExitMeaning::CommandNotFound => "command not found".into(),
        ExitMeaning::Signal { name, .. } => format!("killed by {name}"),
        ExitMeaning::Error => "error exit".into(),
    }
}

/// A short tag for tables: "OOM", "SIGTERM", "SIGKILL", ...
pub fn short_tag(meaning: &ExitMeaning) -> &str {
    match meaning {
        ExitMeaning::Clean => "ok",
        ExitMeaning::Sigterm => "SIGTERM",
        ExitMeaning::OomKilled => "OOM",
        ExitMeaning::StopTimedOut { .. } => "stop timeout",
        ExitMeaning::Sigkill => "SIGKILL",
        ExitMeaning::Segfault => "SIGSEGV",
        ExitMeaning::DockerError => "docker error",
        ExitMeaning::NotExecutable => "not executable",
        ExitMeaning::CommandNotFound => "not found",
        ExitMeaning::Signal { name, .. } => name,
        ExitMeaning::Error => "error",
    }
}

impl fmt::Display for ExitReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(code: i64) -> ExitMeaning {
        read_exit(code, ExitContext::default()).meaning
    }

    #[test]
    fn codes_are_read() {
        assert_eq!(plain(0), ExitMeaning::Clean);
        assert_eq!(plain(143), ExitMeaning::Sigterm);
        assert_eq!(plain(137), ExitMeaning::Sigkill);
        assert_eq!(plain(139), ExitMeaning::Segfault);
        assert_eq!(plain(125), ExitMeaning::DockerError);
        assert_eq!(plain(126), ExitMeaning::NotExecutable);
        assert_eq!(plain(127), ExitMeaning::CommandNotFound);
        assert_eq!(plain(3), ExitMeaning::Error);
        assert_eq!(
            plain(130),
            ExitMeaning::Signal {
                number: 2,
                name: "SIGINT".into()
            }
        );
        assert_eq!(
            plain(190),
            ExitMeaning::Signal {
                number: 62,
                name: "signal 62".into()
            }
        );
    }

    #[test]
    fn oom_and_stop_timeout_tell_137_apart() {
        let oom = read_exit(
            137,
            ExitContext {
                oom_killed: true,
                stop_timed_out: Some(1),
            },
        );
        assert_eq!(oom.meaning, ExitMeaning::OomKilled);
        assert_eq!(oom.text, "exit 137: OOM-killed (out of memory)");
        let timed_out = read_exit(
            137,
            ExitContext {
                oom_killed: false,
                stop_timed_out: Some(1),
            },
        );
        assert_eq!(
            timed_out.meaning,
            ExitMeaning::StopTimedOut { timeout_s: 1 }
        );
        assert!(timed_out.text.contains("after the 1 s stop timeout"));
        // A stop timeout does not change what 143 means.
        let graceful = read_exit(
            143,
            ExitContext {
                oom_killed: false,
                stop_timed_out: Some(1),
            },
        );
        assert_eq!(graceful.meaning, ExitMeaning::Sigterm);
    }
}
