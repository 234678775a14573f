//! The create body of the keys added for issue #20, as docker compose v2 builds it.

use std::collections::BTreeMap;

use super::body::create_request;
use super::compose::{
    BlkioConfig, BlkioDevice, DeviceMapping, DeviceRequest, NetworkAttachment, NetworkSpec,
    Project, ServiceSpec,
};

fn project(services: Vec<ServiceSpec>) -> Project {
    Project {
        name: "shop".into(),
        services,
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
        ..Project::default()
    }
}

#[test]
fn runtime_keys_reach_the_host_config() {
    let mut spec = ServiceSpec::new("web", "nginx");
    spec.expose = vec!["3000/tcp".into(), "80/tcp".into()];
    spec.ports = vec![crate::reconcile::compose::PortSpec {
        target: 80,
        published: Some("8080".into()),
        host_ip: None,
        protocol: "tcp".into(),
    }];
    spec.sysctls = BTreeMap::from([("net.core.somaxconn".into(), "1024".into())]);
    spec.stdin_open = true;
    spec.tty = true;
    spec.privileged = true;
    spec.pid = Some("host".into());
    spec.ipc = Some("service:db".into());
    spec.cgroup = Some("host".into());
    spec.group_add = vec!["1000".into()];
    spec.oom_score_adj = Some(-100);
    spec.domainname = Some("example.com".into());
    spec.annotations = BTreeMap::from([("a".into(), "1".into())]);
    spec.limits.memory_reservation = Some(1 << 20);
    spec.limits.cpu_shares = Some(512);
    spec.platform = Some("linux/arm64".into());
    spec.blkio_config = Some(BlkioConfig {
        weight: Some(300),
        device_read_bps: vec![BlkioDevice {
            path: "/dev/sda".into(),
            value: 1024,
        }],
        ..BlkioConfig::default()
    });
    let db = ServiceSpec::new("db", "postgres");
    let p = project(vec![spec.clone(), db]);
    let req = create_request(&p, &spec, 1, "shop-web-1", None);
    assert_eq!(req.platform.as_deref(), Some("linux/arm64"));
    let body = &req.body;
    // `expose` joins the published ports, without repeating one.
    assert_eq!(
        body.exposed_ports.clone().unwrap_or_default(),
        vec!["80/tcp".to_string(), "3000/tcp".to_string()]
    );
    assert_eq!((body.tty, body.open_stdin), (Some(true), Some(true)));
    assert_eq!(body.domainname.as_deref(), Some("example.com"));
    let host = body.host_config.clone().unwrap_or_default();
    assert_eq!(
        host.sysctls
            .unwrap_or_default()
            .get("net.core.somaxconn")
            .map(String::as_str),
        Some("1024")
    );
    assert_eq!(host.privileged, Some(true));
    assert_eq!(host.pid_mode.as_deref(), Some("host"));
    // `service:X` shares the first container of X.
    assert_eq!(host.ipc_mode.as_deref(), Some("container:shop-db-1"));
    assert_eq!(
        host.cgroupns_mode,
        Some(bollard::models::HostConfigCgroupnsModeEnum::HOST)
    );
    assert_eq!(host.group_add, Some(vec!["1000".to_string()]));
    assert_eq!(host.oom_score_adj, Some(-100));
    assert_eq!(host.memory_reservation, Some(1 << 20));
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(host.blkio_weight, Some(300));
    assert_eq!(
        host.blkio_device_read_bps.unwrap_or_default()[0].rate,
        Some(1024)
    );
    assert_eq!(
        host.annotations
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("1")
    );
}

#[test]
fn devices_and_device_requests_as_compose_sends_them() {
    let mut spec = ServiceSpec::new("gpu", "cuda");
    spec.devices = vec![
        DeviceMapping {
            source: "/dev/fuse".into(),
            target: "/dev/fuse".into(),
            permissions: "rwm".into(),
        },
        // A CDI name goes as a `cdi` device request.
        DeviceMapping {
            source: "nvidia.com/gpu=all".into(),
            target: "nvidia.com/gpu=all".into(),
            permissions: "rwm".into(),
        },
    ];
    spec.device_requests = vec![DeviceRequest {
        driver: Some("nvidia".into()),
        count: -1,
        device_ids: Vec::new(),
        capabilities: vec!["utility".into(), "gpu".into()],
        options: BTreeMap::new(),
    }];
    spec.device_cgroup_rules = vec!["c 1:3 mr".into()];
    let p = project(vec![spec.clone()]);
    let host = create_request(&p, &spec, 1, "shop-gpu-1", None)
        .body
        .host_config
        .unwrap_or_default();
    let devices = host.devices.unwrap_or_default();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].path_on_host.as_deref(), Some("/dev/fuse"));
    let requests = host.device_requests.unwrap_or_default();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].driver.as_deref(), Some("cdi"));
    assert_eq!(
        requests[0].device_ids,
        Some(vec!["nvidia.com/gpu=all".to_string()])
    );
    assert_eq!(requests[1].count, Some(-1));
    assert_eq!(
        requests[1].capabilities,
        Some(vec![vec!["utility".to_string(), "gpu".to_string()]])
    );
    assert_eq!(host.device_cgroup_rules, Some(vec!["c 1:3 mr".to_string()]));
}

#[test]
fn links_volumes_from_and_the_network_endpoint() {
    let mut db = ServiceSpec::new("db", "postgres");
    db.replicas = 2;
    let mut web = ServiceSpec::new("web", "nginx");
    web.links = vec!["db:database".into()];
    web.external_links = vec!["legacy:old".into()];
    web.volumes_from = vec!["db:ro".into(), "container:other".into()];
    web.mac_address = Some("02:42:ac:11:00:02".into());
    web.networks.insert(
        "back".into(),
        NetworkAttachment {
            priority: 10,
            link_local_ips: vec!["169.254.1.1".into()],
            ..NetworkAttachment::default()
        },
    );
    let p = project(vec![db, web.clone()]);
    let req = create_request(&p, &web, 3, "shop-web-3", None);
    let host = req.body.host_config.clone().unwrap_or_default();
    assert_eq!(
        host.volumes_from,
        Some(vec!["shop-db-1:ro".to_string(), "other".to_string()])
    );
    let links = host.links.unwrap_or_default();
    for l in [
        "shop-db-1:database",
        "shop-db-2:database",
        "shop-db-1:db-3",
        "shop-db-1:shop-db-3",
        "legacy:old",
    ] {
        assert!(links.contains(&l.to_string()), "{l} in {links:?}");
    }
    // The highest priority network first; links and the MAC address on its endpoint.
    assert_eq!(host.network_mode.as_deref(), Some("shop_back"));
    let endpoints = req
        .body
        .networking_config
        .and_then(|n| n.endpoints_config)
        .unwrap_or_default();
    let back = &endpoints["shop_back"];
    assert_eq!(back.mac_address.as_deref(), Some("02:42:ac:11:00:02"));
    assert!(
        back.links
            .clone()
            .unwrap_or_default()
            .contains(&"shop-db-2:database".to_string())
    );
    assert_eq!(
        back.ipam_config.clone().and_then(|i| i.link_local_ips),
        Some(vec!["169.254.1.1".to_string()])
    );
    assert_eq!(req.more_networks[0].0, "shop_default");
}
