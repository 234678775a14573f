//! The config file (`config::Config::parse`, TOML from a string) on arbitrary text, and what
//! a parsed config is used for straight away: the logs stream options, the GPU interval, the
//! `[[hosts]]` entries (each one's host spec, names made distinct), the keeper's `[jobs.NAME]`
//! (their run requests and schedules, and each schedule's next and last run around a fixed
//! time).
//!
//! What must hold: nothing panics; an error names the file and a line that is in the text;
//! a config that parses gives usable values (the logs bounds at least 1, the GPU interval at
//! least 100 ms, host names that pass the name check and are distinct after `dedupe_names`);
//! a schedule's next run is after the time asked about, its last due run not after it.

#![no_main]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetdeck::config::{Config, ConfigError};
use fleetdeck::engine::HostSpec;
use fleetdeck::engine::host::{check_name, dedupe_names};
use fleetdeck::keeper::jobs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");
    match Config::parse(text, path) {
        Err(ConfigError::Parse {
            path: named, line, ..
        }) => {
            assert_eq!(named, path);
            assert!(
                line >= 1 && line <= text.matches('\n').count() + 1,
                "line {line}"
            );
        }
        Err(e) => panic!("parsing text gave a read error: {e}"),
        Ok(config) => {
            let logs = config.logs.options();
            assert!(logs.max_lines >= 1 && logs.max_bytes >= 1 && logs.max_line_bytes >= 1);
            assert!(config.gpu.interval() >= Duration::from_millis(100));
            // `[[hosts]]`: a usable entry keeps its (checked) name; clashing names are made
            // distinct.
            let mut specs: Vec<HostSpec> = Vec::new();
            for entry in &config.hosts {
                if let Ok(spec) = entry.spec() {
                    assert_eq!(spec.name, entry.name);
                    assert!(check_name(&spec.name).is_ok(), "{:?}", spec.name);
                    specs.push(spec);
                }
            }
            dedupe_names(&mut specs);
            let names: BTreeSet<&str> = specs.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names.len(), specs.len(), "host names still clash");
            let Ok(jobs) = jobs::load(&config.jobs, &config.keeper) else {
                return;
            };
            let at: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().expect("time");
            for job in &jobs {
                if let Some(next) = job.schedule.next_after(at) {
                    assert!(next > at, "{}: next run {next}", job.name);
                }
                if let Some(last) = job.schedule.last_due(at) {
                    assert!(last <= at, "{}: last due {last}", job.name);
                }
            }
        }
    }
});
