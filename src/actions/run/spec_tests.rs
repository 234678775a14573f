//! Unit tests of the run spec: safe defaults, and the create body as the docker CLI builds it.

use super::*;

fn owner() -> Owner {
    Owner {
        pid: 4242,
        host: "box".into(),
        start: Some(777),
        keeper: None,
    }
}

#[test]
fn defaults_are_safe() {
    let body = RunSpec::new("img").create_body(&owner());
    let host = body.host_config.expect("host config");
    assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
    assert_eq!(host.cap_add, None);
    assert_eq!(host.privileged, Some(false));
    assert_eq!(
        host.security_opt,
        Some(vec!["no-new-privileges".to_string()])
    );
    assert_eq!(host.init, Some(true));
    assert_eq!(host.auto_remove, Some(false));
    let labels = body.labels.expect("labels");
    assert_eq!(
        labels.get(OWNER_LABEL).map(String::as_str),
        Some("fleetdeck")
    );
    assert_eq!(
        labels.get(OWNER_PID_LABEL).map(String::as_str),
        Some("4242")
    );
    assert_eq!(
        labels.get(OWNER_HOST_LABEL).map(String::as_str),
        Some("box")
    );
    assert_eq!(labels.get(KIND_LABEL).map(String::as_str), Some("run"));
    let warnings = RunSpec::new("img").warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn privileged_only_when_asked_and_cap_drop_replaced_when_given() {
    let mut spec = RunSpec::new("img");
    spec.cap_drop = Some(vec!["NET_RAW".into()]);
    spec.cap_add = vec!["CHOWN".into()];
    let host = spec.create_body(&owner()).host_config.expect("host config");
    assert_eq!(host.cap_drop, Some(vec!["NET_RAW".to_string()]));
    assert_eq!(host.cap_add, Some(vec!["CHOWN".to_string()]));
    spec.privileged = true;
    let host = spec.create_body(&owner()).host_config.expect("host config");
    assert_eq!(host.privileged, Some(true));
    assert_eq!(host.cap_drop, None);
}

#[test]
fn gpu_requests_are_built_like_the_docker_cli() {
    let all = device_request(&GpuSpec::All);
    assert_eq!(all.count, Some(-1));
    assert_eq!(all.device_ids, None);
    assert_eq!(all.capabilities, Some(vec![vec!["gpu".to_string()]]));
    assert_eq!(device_request(&GpuSpec::Count(2)).count, Some(2));
    let some = device_request(&GpuSpec::Devices(vec!["0".into(), "1".into()]));
    assert_eq!(some.count, None);
    assert_eq!(
        some.device_ids,
        Some(vec!["0".to_string(), "1".to_string()])
    );

    let mut spec = RunSpec::new("img");
    spec.gpus = Some(GpuSpec::Devices(vec!["0".into(), "1".into()]));
    let host = spec.create_body(&owner()).host_config.expect("host config");
    assert_eq!(host.device_requests, Some(vec![some]));
}

#[test]
fn memory_without_swap_means_no_swap() {
    let mut spec = RunSpec::new("img");
    spec.memory = Some(16 << 20);
    let host = spec.create_body(&owner()).host_config.expect("host config");
    assert_eq!(host.memory, Some(16 << 20));
    assert_eq!(host.memory_swap, Some(16 << 20));
    spec.memory_swap = Some(-1);
    let host = spec.create_body(&owner()).host_config.expect("host config");
    assert_eq!(host.memory_swap, Some(-1));
}

#[test]
fn ports_are_exposed_and_bound() {
    let mut spec = RunSpec::new("img");
    spec.ports = vec![
        PortSpec {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(8080),
            container_port: 80,
            protocol: "tcp".into(),
        },
        PortSpec {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(8443),
            container_port: 443,
            protocol: "udp".into(),
        },
    ];
    let body = spec.create_body(&owner());
    let exposed = body.exposed_ports.expect("exposed");
    assert_eq!(exposed, vec!["80/tcp".to_string(), "443/udp".to_string()]);
    let bindings = body
        .host_config
        .and_then(|h| h.port_bindings)
        .expect("bindings");
    let b = bindings.get("80/tcp").cloned().flatten().expect("80 bound");
    assert_eq!(b[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(b[0].host_port.as_deref(), Some("8080"));
}

#[test]
fn images_get_a_default_tag() {
    assert_eq!(with_default_tag("busybox"), "busybox:latest");
    assert_eq!(
        with_default_tag("localhost:5000/app"),
        "localhost:5000/app:latest"
    );
    assert_eq!(with_default_tag("app:1.2"), "app:1.2");
    assert_eq!(with_default_tag("app@sha256:abc"), "app@sha256:abc");
}

#[test]
fn owner_start_time_and_kind_are_labelled() {
    let labels = RunSpec::new("img")
        .create_body(&owner())
        .labels
        .expect("labels");
    assert_eq!(
        labels.get(OWNER_START_LABEL).map(String::as_str),
        Some("777")
    );
    assert_eq!(
        labels.get(OWNER_KIND_LABEL).map(String::as_str),
        Some("process")
    );
    let mut keeper = owner();
    keeper.keeper = Some("box:1:2".into());
    let labels = RunSpec::new("img")
        .create_body(&keeper)
        .labels
        .expect("labels");
    assert_eq!(
        labels.get(OWNER_KIND_LABEL).map(String::as_str),
        Some("keeper")
    );
    assert_eq!(
        labels.get(OWNER_ID_LABEL).map(String::as_str),
        Some("box:1:2")
    );
}

#[test]
fn stat_start_time_survives_odd_commands() {
    let stat =
        "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
    assert_eq!(stat_start_time(stat), Some(98765));
    assert_eq!(stat_start_time("garbage"), None);
    assert!(process_start("self").is_some());
}
