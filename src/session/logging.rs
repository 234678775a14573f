//! fleetdeck's own log, for every front end: which records are kept (the [`Verbosity`]: warnings
//! and errors by default, more with `-v`, `-vv`, `-vvv`, or RUST_LOG-style directives in
//! `FLEETDECK_LOG`), and the logger every subcommand installs ([`init_stderr`]): one line per
//! record on **stderr**, never stdout, so that `--json` output stays clean and no warning of a
//! library under a subcommand (the store's writer thread, bollard) is lost. The console keeps
//! the same filter and sends what passes to its log pane instead (`tui::log_feed`).

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::sanitize::printable_lines;

/// The environment variable with RUST_LOG-style directives (`debug`, `warn,fleetdeck=debug`).
pub const ENV: &str = "FLEETDECK_LOG";

/// How much fleetdeck logs: the `-v` count and `FLEETDECK_LOG`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verbosity {
    /// `-v` given this many times: 0 warnings and errors, 1 info, 2 debug, 3 or more trace.
    pub verbose: u8,
    /// `FLEETDECK_LOG`, when set: directives over the `-v` level.
    pub directives: Option<String>,
}

impl Verbosity {
    /// `-v` given `verbose` times, with `FLEETDECK_LOG` from the environment.
    pub fn from_env(verbose: u8) -> Self {
        Self {
            verbose,
            directives: std::env::var(ENV).ok().filter(|d| !d.trim().is_empty()),
        }
    }

    /// The directives in effect: the level `-v` says (for the console, fleetdeck's own lines
    /// from `info` at least: they are what its log pane is for), then `FLEETDECK_LOG`'s.
    pub fn directives(&self, console: bool) -> String {
        let base = match (self.verbose, console) {
            (0, false) => "warn",
            (0, true) => "warn,fleetdeck=info",
            (1, _) => "info",
            (2, _) => "debug",
            _ => "trace",
        };
        match &self.directives {
            Some(more) => format!("{base},{more}"),
            None => base.to_string(),
        }
    }

    /// The filter of these directives; a directive that does not parse is a warning (on
    /// stderr: no logger is there yet to take it) and the rest apply.
    pub fn filter(&self, console: bool) -> env_filter::Filter {
        let directives = self.directives(console);
        let mut builder = env_filter::Builder::new();
        if let Err(e) = builder.try_parse(&directives) {
            eprintln!("fleetdeck: warning: {ENV}: {e}; the valid directives apply");
            builder = env_filter::Builder::new();
            builder.parse(&directives);
        }
        builder.build()
    }
}

/// The subcommands' logger: each record that passes the filter, as one line on stderr.
struct StderrLogger {
    filter: env_filter::Filter,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        let line = format_line(record.level(), record.target(), &record.args().to_string());
        // Written whole under the lock, so lines of two threads never interleave.
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// One record as a stderr line: `fleetdeck: warning: TEXT` (the form of the CLI's own
/// warnings), `fleetdeck: error: TEXT`, `fleetdeck: info: TEXT`, and, below info, the target
/// too (`fleetdeck: debug bollard::docker: TEXT`). Made safe for the terminal: a daemon's text
/// quotes what it likes.
pub fn format_line(level: Level, target: &str, text: &str) -> String {
    let text = printable_lines(text);
    match level {
        Level::Error => format!("fleetdeck: error: {text}"),
        Level::Warn => format!("fleetdeck: warning: {text}"),
        Level::Info => format!("fleetdeck: info: {text}"),
        Level::Debug => format!("fleetdeck: debug {}: {text}", printable_lines(target)),
        Level::Trace => format!("fleetdeck: trace {}: {text}", printable_lines(target)),
    }
}

/// Installs the stderr logger for this process (once; a later call changes nothing).
pub fn init_stderr(verbosity: &Verbosity) {
    let filter = verbosity.filter(false);
    let max = filter.filter();
    if log::set_boxed_logger(Box::new(StderrLogger { filter })).is_ok() {
        log::set_max_level(max);
    }
}

/// The most verbose level `filter` lets through anywhere.
pub fn max_level(filter: &env_filter::Filter) -> LevelFilter {
    filter.filter()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled(filter: &env_filter::Filter, target: &str, level: Level) -> bool {
        filter.enabled(&Metadata::builder().target(target).level(level).build())
    }

    #[test]
    fn by_default_only_warnings_and_errors_pass() {
        let filter = Verbosity::default().filter(false);
        assert!(enabled(&filter, "fleetdeck::store::writer", Level::Warn));
        assert!(enabled(&filter, "bollard::docker", Level::Error));
        assert!(!enabled(&filter, "fleetdeck", Level::Info));
        assert!(!enabled(&filter, "bollard::docker", Level::Debug));
        assert_eq!(max_level(&filter), LevelFilter::Warn);
    }

    #[test]
    fn v_raises_the_level_and_the_directives_go_over_it() {
        let v = |n, d: Option<&str>| Verbosity {
            verbose: n,
            directives: d.map(str::to_string),
        };
        assert!(enabled(&v(1, None).filter(false), "fleetdeck", Level::Info));
        assert!(!enabled(
            &v(1, None).filter(false),
            "fleetdeck",
            Level::Debug
        ));
        assert!(enabled(&v(2, None).filter(false), "bollard", Level::Debug));
        assert!(enabled(&v(3, None).filter(false), "bollard", Level::Trace));
        let filter = v(0, Some("fleetdeck=debug")).filter(false);
        assert!(enabled(&filter, "fleetdeck::keeper", Level::Debug));
        assert!(!enabled(&filter, "bollard", Level::Info));
        assert!(enabled(&filter, "bollard", Level::Warn));
        let quiet = v(0, Some("off")).filter(false);
        assert!(!enabled(&quiet, "fleetdeck", Level::Error));
    }

    #[test]
    fn the_console_keeps_its_own_lines_from_info() {
        let filter = Verbosity::default().filter(true);
        assert!(enabled(&filter, "fleetdeck", Level::Info));
        assert!(!enabled(&filter, "fleetdeck", Level::Debug));
        assert!(!enabled(&filter, "bollard::docker", Level::Info));
        assert!(enabled(&filter, "bollard::docker", Level::Warn));
    }

    #[test]
    fn lines_name_their_level_and_are_terminal_safe() {
        assert_eq!(
            format_line(Level::Warn, "fleetdeck::store", "the store /x: disk full"),
            "fleetdeck: warning: the store /x: disk full"
        );
        assert_eq!(
            format_line(Level::Error, "t", "bad"),
            "fleetdeck: error: bad"
        );
        assert_eq!(
            format_line(Level::Debug, "bollard::docker", "request"),
            "fleetdeck: debug bollard::docker: request"
        );
        let line = format_line(Level::Warn, "t", "evil \u{1b}]0;title\u{7} text");
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
}
