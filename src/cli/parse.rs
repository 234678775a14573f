//! The string forms the CLI takes for its flags, parsed into the action layer's types: sizes
//! (`16m`), durations (`2s`, in the one grammar of `crate::duration`), `--since`, ports (`127.0.0.1:8080:80/tcp`), ulimits (`nofile=1024:2048`),
//! devices, `--gpus device=0,1`, restart policies, tmpfs mounts, host entries, variables and env
//! files. Each error names the bad value and says what was expected.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::actions::run::{DeviceSpec, GpuSpec, PortSpec, RestartSpec, Ulimit};
use crate::duration::{self, DurationError};

/// Why a flag's value was refused. Each names the bad value and says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlagError {
    #[error("bad size '{text}': unknown unit '{unit}' (use b, k, m, g or t)")]
    SizeUnit { text: String, unit: String },
    #[error("bad size '{text}': expected a number and a unit, like 16m")]
    SizeNumber { text: String },
    #[error("bad size '{text}': out of range")]
    SizeRange { text: String },
    #[error("bad size '{text}': too large")]
    SizeTooLarge { text: String },
    #[error(transparent)]
    Duration(#[from] DurationError),
    #[error(
        "bad --since '{text}': expected a duration back (10m, 2h, 1h30m, 45s, 1d) or an RFC \
         3339 time (2024-05-01T12:00:00Z)"
    )]
    Since { text: String },
    #[error("bad '{text}': expected KEY=value")]
    KeyValue { text: String },
    #[error("bad port '{text}': {why} (expected [ip:]host:container[/tcp|udp|sctp])")]
    Port { text: String, why: &'static str },
    #[error("bad ulimit '{text}': expected name=soft[:hard], like nofile=1024:2048")]
    Ulimit { text: String },
    #[error("bad device '{text}': expected /dev/host[:/dev/container[:rwm]]")]
    Device { text: String },
    #[error("bad --gpus '{text}': device= names no device")]
    GpusNoDevice { text: String },
    #[error("bad --gpus '{text}': expected all, a number of GPUs, or device=0,1")]
    Gpus { text: String },
    #[error("bad restart policy '{text}': expected no, always, unless-stopped or on-failure[:N]")]
    Restart { text: String },
    #[error("bad tmpfs '{text}': expected /path[:options]")]
    Tmpfs { text: String },
    #[error("bad host entry '{text}': expected name:ip")]
    ExtraHost { text: String },
    #[error("bad variable '{text}': empty name")]
    EnvName { text: String },
    #[error("{}, line {line}: {error}", path.display())]
    EnvFile {
        path: std::path::PathBuf,
        line: usize,
        error: Box<FlagError>,
    },
    #[error("bad --cpus '{text}': expected a positive number, like 0.5")]
    Cpus { text: String },
    #[error("bad --interval '{text}': expected a positive duration")]
    Interval { text: String },
}

/// A byte size: `512`, `64k`, `16m`, `1g`, `2t` (binary units; `b`, `kb`, `kib`, ... accepted,
/// case-insensitive).
pub fn parse_bytes(text: &str) -> Result<u64, FlagError> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(FlagError::SizeUnit {
                text: text.into(),
                unit: other.into(),
            });
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| FlagError::SizeNumber { text: text.into() })?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > i64::MAX as f64 {
        return Err(FlagError::SizeRange { text: text.into() });
    }
    Ok(bytes.round() as u64)
}

/// A duration flag's value: the one duration grammar ([`crate::duration`]: `500ms`,
/// `2s`, `1m30s`, `1.5h`), or a bare number of seconds, as these flags always took.
pub fn parse_duration(text: &str) -> Result<Duration, FlagError> {
    match text.trim().parse::<u64>() {
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => Ok(duration::parse(text)?),
    }
}

/// A duration flag kept in whole seconds (`stop -t`): a bare number of seconds, or the grammar.
pub fn parse_seconds(text: &str) -> Result<u64, FlagError> {
    match text.trim().parse::<u64>() {
        Ok(secs) => Ok(secs),
        Err(_) => Ok(duration::whole_seconds(text)?),
    }
}

/// `logs --since`: a duration back from `now` in the one grammar (`30s`, `10m`, `2h`, `1d`,
/// `1h30m`; a unit is needed) or an RFC 3339 time (`2024-05-01T12:00:00Z`).
pub fn since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FlagError> {
    let t = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(t) {
        return Ok(time.with_timezone(&Utc));
    }
    let bad = || FlagError::Since { text: text.into() };
    let back = duration::parse(t).map_err(|_| bad())?;
    let back = chrono::Duration::from_std(back).map_err(|_| bad())?;
    now.checked_sub_signed(back).ok_or_else(bad)
}

/// `KEY=value` (for labels and log options).
pub fn parse_key_value(text: &str) -> Result<(String, String), FlagError> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(FlagError::KeyValue { text: text.into() }),
    }
}

/// A published port: `[ip:]host:container[/proto]` or `container[/proto]`.
pub fn parse_port(text: &str) -> Result<PortSpec, FlagError> {
    let bad = |why: &'static str| FlagError::Port {
        text: text.into(),
        why,
    };
    let (ports, protocol) = match text.rsplit_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (text, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad("unknown protocol"));
    }
    let number = |s: &str| s.parse::<u16>().map_err(|_| bad("not a port number"));
    // An IPv6 address is written in brackets: [::1]:8080:80.
    let (host_ip, rest) = if let Some(stripped) = ports.strip_prefix('[') {
        let (ip, rest) = stripped.split_once("]:").ok_or_else(|| bad("unclosed ["))?;
        (Some(ip.to_string()), rest)
    } else {
        let parts: Vec<&str> = ports.split(':').collect();
        match parts.len() {
            1 | 2 => (None, ports),
            3 => (Some(parts[0].to_string()), &ports[parts[0].len() + 1..]),
            _ => return Err(bad("too many ':'")),
        }
    };
    let (host_port, container_port) = match rest.split_once(':') {
        Some(("", c)) => (None, number(c)?),
        Some((h, c)) => (Some(number(h)?), number(c)?),
        None => (None, number(rest)?),
    };
    Ok(PortSpec {
        host_ip: host_ip.filter(|ip| !ip.is_empty()),
        host_port,
        container_port,
        protocol,
    })
}

/// `name=soft[:hard]`.
pub fn parse_ulimit(text: &str) -> Result<Ulimit, FlagError> {
    let bad = || FlagError::Ulimit { text: text.into() };
    let (name, values) = text.split_once('=').ok_or_else(bad)?;
    let (soft, hard) = values.split_once(':').unwrap_or((values, values));
    let soft: i64 = soft.parse().map_err(|_| bad())?;
    let hard: i64 = hard.parse().map_err(|_| bad())?;
    if name.is_empty() || hard < soft {
        return Err(bad());
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// `host[:container[:permissions]]`; permissions are some of `rwm` (default `rwm`).
pub fn parse_device(text: &str) -> Result<DeviceSpec, FlagError> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = || FlagError::Device { text: text.into() };
    let (host, container, permissions) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, c] if c.starts_with('/') => (*h, *c, "rwm"),
        [h, p] => (*h, *h, *p),
        [h, c, p] => (*h, *c, *p),
        _ => return Err(bad()),
    };
    if !host.starts_with('/')
        || !container.starts_with('/')
        || permissions.is_empty()
        || !permissions.chars().all(|c| "rwm".contains(c))
    {
        return Err(bad());
    }
    Ok(DeviceSpec {
        host: host.to_string(),
        container: container.to_string(),
        permissions: permissions.to_string(),
    })
}

/// `all`, a count, or `device=0,1` (ids or UUIDs).
pub fn parse_gpus(text: &str) -> Result<GpuSpec, FlagError> {
    let t = text.trim().trim_matches('"');
    if t == "all" {
        return Ok(GpuSpec::All);
    }
    if let Some(ids) = t.strip_prefix("device=") {
        let ids: Vec<String> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            return Err(FlagError::GpusNoDevice { text: text.into() });
        }
        return Ok(GpuSpec::Devices(ids));
    }
    match t.parse::<i64>() {
        Ok(n) if n > 0 => Ok(GpuSpec::Count(n)),
        _ => Err(FlagError::Gpus { text: text.into() }),
    }
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
pub fn parse_restart(text: &str) -> Result<RestartSpec, FlagError> {
    let bad = || FlagError::Restart { text: text.into() };
    let (name, count) = match text.split_once(':') {
        Some((n, c)) => (n, Some(c.parse::<i64>().map_err(|_| bad())?)),
        None => (text, None),
    };
    match name {
        "no" | "always" | "unless-stopped" if count.is_none() => Ok(RestartSpec {
            name: name.to_string(),
            max_retries: None,
        }),
        "on-failure" => Ok(RestartSpec {
            name: name.to_string(),
            max_retries: count,
        }),
        _ => Err(bad()),
    }
}

/// `/path[:options]` (options as `mount -o` takes them: `size=64m,mode=1777`).
pub fn parse_tmpfs(text: &str) -> Result<(String, String), FlagError> {
    let (path, opts) = text.split_once(':').unwrap_or((text, ""));
    if !path.starts_with('/') {
        return Err(FlagError::Tmpfs { text: text.into() });
    }
    Ok((path.to_string(), opts.to_string()))
}

/// `name:ip` (also `name=ip`).
pub fn parse_extra_host(text: &str) -> Result<String, FlagError> {
    match text.split_once(['=', ':']) {
        Some((name, ip)) if !name.is_empty() && !ip.is_empty() => Ok(format!("{name}:{ip}")),
        _ => Err(FlagError::ExtraHost { text: text.into() }),
    }
}

/// `KEY=value`, or `KEY` alone, which takes the value from fleetdeck's own environment (and is
/// left out when that has none).
pub fn parse_env(text: &str) -> Result<Option<String>, FlagError> {
    match text.split_once('=') {
        Some(("", _)) => Err(FlagError::EnvName { text: text.into() }),
        Some(_) => Ok(Some(text.to_string())),
        None if text.is_empty() => Err(FlagError::EnvName {
            text: String::new(),
        }),
        None => Ok(std::env::var(text).ok().map(|v| format!("{text}={v}"))),
    }
}

/// An env file's variables: one `KEY=value` (or `KEY`) a line; blank lines and `#` comments
/// skipped. Errors name the file and line.
pub fn parse_env_file(path: &std::path::Path, text: &str) -> Result<Vec<String>, FlagError> {
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_env(line) {
            Ok(Some(v)) => vars.push(v),
            Ok(None) => {}
            Err(e) => {
                return Err(FlagError::EnvFile {
                    path: path.to_path_buf(),
                    line: n + 1,
                    error: Box::new(e),
                });
            }
        }
    }
    Ok(vars)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
