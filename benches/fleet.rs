//! Applying daemon events to the fleet: events per second on one core (aim: over 1 million).
//! Two figures: the reducer alone (events already parsed), and parse + apply from bollard's
//! `EventMessage` as the watcher receives it.

use std::collections::HashMap;
use std::hint::black_box;

use bollard::models::{EventActor, EventMessage, EventMessageTypeEnum};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fleetdeck::engine::{Container, ContainerEvent, ContainerId, Fleet, FleetUpdate, RunState};

const CONTAINERS: usize = 200;
const EVENTS: usize = 10_000;

fn id(i: usize) -> String {
    format!("{i:064x}")
}

fn messages() -> Vec<EventMessage> {
    let actions = [
        "start",
        "health_status: healthy",
        "kill",
        "die",
        "health_status: unhealthy",
    ];
    (0..EVENTS)
        .map(|n| {
            let i = n % CONTAINERS;
            let action = actions[(n / CONTAINERS) % actions.len()];
            let mut attributes = HashMap::from([
                ("name".to_string(), format!("web-{i}")),
                ("image".to_string(), "fleetdeck-test-busybox".to_string()),
                ("com.docker.compose.project".to_string(), "shop".to_string()),
            ]);
            if action == "die" {
                attributes.insert("exitCode".into(), "143".into());
            }
            if action == "kill" {
                attributes.insert("signal".into(), "15".into());
            }
            EventMessage {
                typ: Some(EventMessageTypeEnum::CONTAINER),
                action: Some(action.to_string()),
                actor: Some(EventActor {
                    id: Some(id(i)),
                    attributes: Some(attributes),
                }),
                scope: None,
                time: Some(1_700_000_000 + n as i64),
                time_nano: Some(1_700_000_000_000_000_000 + n as i64),
            }
        })
        .collect()
}

fn fleet() -> Fleet {
    let mut fleet = Fleet::new();
    let list = (0..CONTAINERS)
        .map(|i| {
            let mut c = Container::new(ContainerId(id(i)), format!("web-{i}"));
            c.state = RunState::Running;
            c
        })
        .collect();
    fleet.apply(FleetUpdate::Snapshot(
        fleetdeck::engine::LOCAL_HOST.to_string(),
        list,
    ));
    fleet
}

fn bench(c: &mut Criterion) {
    let messages = messages();
    let events: Vec<ContainerEvent> = messages
        .iter()
        .filter_map(ContainerEvent::from_message)
        .collect();
    let mut group = c.benchmark_group("fleet");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("apply_parsed_events", |b| {
        let mut fleet = fleet();
        b.iter(|| {
            for event in &events {
                black_box(fleet.apply_event(event));
            }
        });
    });
    group.bench_function("parse_and_apply_events", |b| {
        let mut fleet = fleet();
        b.iter(|| {
            for message in &messages {
                if let Some(event) = ContainerEvent::from_message(message) {
                    black_box(fleet.apply_event(&event));
                }
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
