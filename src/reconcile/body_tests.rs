//! The create body built from a service: names, labels, env, limits, mounts, networks.

use std::collections::BTreeMap;
use std::time::Duration;

use super::body::create_request;
use super::compose::{
    Healthcheck, Limits, Mount, MountKind, NetworkAttachment, NetworkSpec, Project, ServiceSpec,
    VolumeSpec,
};

fn project(spec: ServiceSpec) -> Project {
    Project {
        name: "shop".into(),
        working_dir: "/srv/shop".into(),
        config_files: vec!["/srv/shop/compose.yaml".into()],
        services: vec![spec],
        disabled_services: Vec::new(),
        networks: BTreeMap::from([
            (
                "default".to_string(),
                NetworkSpec {
                    name: "shop_default".into(),
                    ..NetworkSpec::default()
                },
            ),
            (
                "back".to_string(),
                NetworkSpec {
                    name: "shop_back".into(),
                    ..NetworkSpec::default()
                },
            ),
        ]),
        volumes: BTreeMap::from([(
            "data".to_string(),
            VolumeSpec {
                name: "shop_data".into(),
                ..VolumeSpec::default()
            },
        )]),
        ..Project::default()
    }
}

#[test]
fn a_service_maps_to_the_create_body_compose_would_send() {
    let mut spec = ServiceSpec::new("web", "nginx:1");
    spec.environment = BTreeMap::from([("A".into(), "1".into())]);
    spec.command = Some(vec!["sleep".into(), "1".into()]);
    spec.stop_grace_period = Some(Duration::from_secs(7));
    spec.stop_signal = Some("SIGINT".into());
    spec.restart = Some("on-failure:3".into());
    spec.limits = Limits {
        nano_cpus: Some(500_000_000),
        memory: Some(1 << 20),
        pids: Some(64),
        ..Limits::default()
    };
    spec.healthcheck = Some(Healthcheck::Check {
        test: Some(vec!["CMD-SHELL".into(), "exit 0".into()]),
        interval: Some(Duration::from_secs(1)),
        timeout: None,
        retries: Some(3),
        start_period: None,
        start_interval: None,
    });
    spec.volumes = vec![Mount {
        kind: MountKind::Volume,
        source: Some("data".into()),
        target: "/data".into(),
        read_only: false,
        selinux: None,
        propagation: None,
        create_host_path: false,
        nocopy: false,
        tmpfs_size: None,
        tmpfs_mode: None,
        subpath: None,
        recursive: None,
    }];
    spec.networks.insert(
        "back".into(),
        NetworkAttachment {
            aliases: vec!["api".into()],
            ..NetworkAttachment::default()
        },
    );
    let p = project(spec.clone());
    let req = create_request(&p, &spec, 2, "shop-web-2", Some("sha256:abc"));
    let body = &req.body;
    assert_eq!(req.name, "shop-web-2");
    assert_eq!(body.env.as_deref(), Some(&["A=1".to_string()][..]));
    assert_eq!(body.stop_timeout, Some(7));
    assert_eq!(body.stop_signal.as_deref(), Some("SIGINT"));
    let labels = body.labels.clone().unwrap_or_default();
    assert_eq!(labels["com.docker.compose.project"], "shop");
    assert_eq!(labels["com.docker.compose.container-number"], "2");
    assert_eq!(labels["com.docker.compose.image"], "sha256:abc");
    let host = body.host_config.clone().unwrap_or_default();
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.pids_limit, Some(64));
    assert_eq!(
        host.restart_policy.and_then(|r| r.maximum_retry_count),
        Some(3)
    );
    let mounts = host.mounts.unwrap_or_default();
    assert_eq!(mounts[0].source.as_deref(), Some("shop_data"));
    // The first network (by key) at create, the others connected after, each with the
    // service name as alias.
    assert_eq!(host.network_mode.as_deref(), Some("shop_back"));
    let first = body
        .networking_config
        .clone()
        .and_then(|n| n.endpoints_config)
        .unwrap_or_default();
    assert_eq!(
        first["shop_back"].aliases.clone().unwrap_or_default(),
        vec!["web".to_string(), "api".to_string()]
    );
    assert_eq!(req.more_networks.len(), 1);
    assert_eq!(req.more_networks[0].0, "shop_default");
    assert_eq!(
        req.more_networks[0].1.aliases.clone().unwrap_or_default(),
        vec!["web".to_string()]
    );
}

#[test]
fn network_mode_replaces_the_project_networks() {
    let mut spec = ServiceSpec::new("job", "busybox");
    spec.network_mode = Some("none".into());
    let p = project(spec.clone());
    let req = create_request(&p, &spec, 1, "shop-job-1", None);
    let host = req.body.host_config.unwrap_or_default();
    assert_eq!(host.network_mode.as_deref(), Some("none"));
    assert!(req.body.networking_config.is_none());
    assert!(req.more_networks.is_empty());
}
