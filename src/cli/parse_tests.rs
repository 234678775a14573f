//! Unit tests of the CLI's string forms: each form accepted today, and the errors.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::actions::run::{DeviceSpec, GpuSpec, PortSpec, RestartSpec, Ulimit};

#[test]
fn gpus_parse() {
    assert_eq!(
        parse_gpus("device=0,1"),
        Ok(GpuSpec::Devices(vec!["0".into(), "1".into()]))
    );
    assert_eq!(parse_gpus("all"), Ok(GpuSpec::All));
    assert_eq!(parse_gpus("3"), Ok(GpuSpec::Count(3)));
    assert!(parse_gpus("0").is_err());
    assert!(parse_gpus("device=").is_err());
    assert!(parse_gpus("many").is_err());
}

#[test]
fn sizes_parse() {
    assert_eq!(parse_bytes("512"), Ok(512));
    assert_eq!(parse_bytes("16m"), Ok(16 << 20));
    assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
    assert_eq!(parse_bytes("1g"), Ok(1 << 30));
    assert_eq!(parse_bytes("1.5k"), Ok(1536));
    assert!(parse_bytes("12q").is_err());
    assert!(parse_bytes("m").is_err());
    assert!(parse_bytes("").is_err());
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86400)));
    assert!(parse_duration("").is_err());
    assert!(parse_duration("2x").is_err());
    assert!(parse_duration("s").is_err());
    let err = parse_duration("2x").expect_err("unknown unit").to_string();
    assert!(err.contains("'2x'"), "names the value: {err}");
    assert_eq!(parse_seconds("10"), Ok(10));
    assert_eq!(parse_seconds("2m"), Ok(120));
    assert!(parse_seconds("1500ms").is_err());
    assert!(parse_seconds("soon").is_err());
}

#[test]
fn since_parses_durations_and_times() {
    let now = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let at = |s: &str| since(s, now).map(|t| t.to_rfc3339());
    assert_eq!(at("10m"), Ok("2024-05-01T11:50:00+00:00".into()));
    assert_eq!(at("2h"), Ok("2024-05-01T10:00:00+00:00".into()));
    assert_eq!(at("1h30m"), Ok("2024-05-01T10:30:00+00:00".into()));
    assert_eq!(at("45s"), Ok("2024-05-01T11:59:15+00:00".into()));
    assert_eq!(at("1d"), Ok("2024-04-30T12:00:00+00:00".into()));
    assert_eq!(
        at("2024-05-01T11:00:00.5+02:00"),
        Ok("2024-05-01T09:00:00.500+00:00".into())
    );
    for bad in [
        "",
        "0",
        "10",
        "m",
        "10x",
        "yesterday",
        "99999999999999999999s",
    ] {
        assert!(since(bad, now).is_err(), "{bad:?} is not a since");
    }
    let err = since("yesterday", now)
        .expect_err("not a since")
        .to_string();
    assert!(
        err.contains("--since") && err.contains("'yesterday'"),
        "{err}"
    );
}

#[test]
fn ports_parse() {
    assert_eq!(
        parse_port("127.0.0.1:8080:80/udp"),
        Ok(PortSpec {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(8080),
            container_port: 80,
            protocol: "udp".into()
        })
    );
    let p = parse_port("8080:80").expect("parses");
    assert_eq!(
        (p.host_ip, p.host_port, p.container_port),
        (None, Some(8080), 80)
    );
    let p = parse_port("80").expect("parses");
    assert_eq!((p.host_port, p.container_port), (None, 80));
    let p = parse_port("127.0.0.1::80").expect("parses");
    assert_eq!(
        (p.host_ip.as_deref(), p.host_port),
        (Some("127.0.0.1"), None)
    );
    let p = parse_port("[::1]:8080:80").expect("parses");
    assert_eq!(p.host_ip.as_deref(), Some("::1"));
    assert!(parse_port("http").is_err());
    assert!(parse_port("80/icmp").is_err());
    assert!(parse_port("1:2:3:4").is_err());
}

#[test]
fn the_small_forms_parse() {
    assert_eq!(
        parse_ulimit("nofile=1024:2048"),
        Ok(Ulimit {
            name: "nofile".into(),
            soft: 1024,
            hard: 2048
        })
    );
    assert_eq!(parse_ulimit("nproc=64").map(|u| u.hard), Ok(64));
    assert!(parse_ulimit("nofile=2048:1024").is_err());
    assert!(parse_ulimit("nofile").is_err());
    assert_eq!(
        parse_device("/dev/null:/dev/xnull"),
        Ok(DeviceSpec {
            host: "/dev/null".into(),
            container: "/dev/xnull".into(),
            permissions: "rwm".into()
        })
    );
    assert_eq!(
        parse_device("/dev/fuse:r").map(|d| d.permissions),
        Ok("r".into())
    );
    assert!(parse_device("null").is_err());
    assert!(parse_device("/dev/a:/dev/b:x").is_err());
    assert_eq!(
        parse_restart("on-failure:3"),
        Ok(RestartSpec {
            name: "on-failure".into(),
            max_retries: Some(3)
        })
    );
    assert!(parse_restart("always:3").is_err());
    assert!(parse_restart("sometimes").is_err());
    assert_eq!(
        parse_tmpfs("/run:size=1m"),
        Ok(("/run".into(), "size=1m".into()))
    );
    assert!(parse_tmpfs("run").is_err());
    assert_eq!(parse_extra_host("db:127.0.0.1"), Ok("db:127.0.0.1".into()));
    assert_eq!(parse_extra_host("v6:::1"), Ok("v6:::1".into()));
    assert!(parse_extra_host("db").is_err());
    assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
    assert!(parse_key_value("=x").is_err());
}

#[test]
fn env_files_skip_comments_and_name_bad_lines() {
    let path = std::path::Path::new("vars.env");
    let vars = parse_env_file(path, "# comment\n\nA=1\n  B=two words\n").expect("parses");
    assert_eq!(vars, vec!["A=1".to_string(), "B=two words".to_string()]);
    let err = parse_env_file(path, "A=1\n=oops\n")
        .expect_err("empty name")
        .to_string();
    assert!(err.contains("vars.env, line 2"), "{err}");
}
