//! Recording events into the history store (batched, through the writer thread): events per
//! second (aim: at least 50,000 on one core: run under `taskset -c 0`), and the file size per
//! million events, printed after the criterion figures.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group};
use fleetdeck::engine::{ContainerEvent, ContainerId, EventAction};
use fleetdeck::store::{Retention, StoreWriter};

const CONTAINERS: usize = 200;
const EVENTS: usize = 50_000;

fn retention() -> Retention {
    Retention {
        max_age: Duration::from_secs(30 * 86_400),
        max_rows: u64::MAX / 2,
    }
}

/// Events as a fleet sends them: start, die (exit code), kill (signal), health, over 200
/// compose containers with a few labels each.
fn events(n: usize, from: chrono::DateTime<Utc>) -> Vec<ContainerEvent> {
    let start = from;
    (0..n)
        .map(|k| {
            let i = k % CONTAINERS;
            let action = match (k / CONTAINERS) % 4 {
                0 => EventAction::Start,
                1 => EventAction::Kill(Some("15".into())),
                2 => EventAction::Die(Some(143)),
                _ => EventAction::HealthStatus(None),
            };
            let mut attributes = HashMap::from([
                ("name".to_string(), format!("shop-web-{i}")),
                ("image".to_string(), "fleetdeck-test-busybox".to_string()),
                ("com.docker.compose.project".to_string(), "shop".to_string()),
                ("com.docker.compose.service".to_string(), "web".to_string()),
            ]);
            match &action {
                EventAction::Die(Some(code)) => {
                    attributes.insert("exitCode".into(), code.to_string());
                }
                EventAction::Kill(Some(signal)) => {
                    attributes.insert("signal".into(), signal.clone());
                }
                _ => {}
            }
            ContainerEvent {
                host: fleetdeck::engine::LOCAL_HOST.to_string(),
                id: ContainerId(format!("{i:064x}")),
                name: Some(format!("shop-web-{i}")),
                image: Some("fleetdeck-test-busybox".into()),
                action,
                time: Some(start + chrono::Duration::microseconds(k as i64)),
                pod: None,
                attributes,
            }
        })
        .collect()
}

fn record(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let writer = StoreWriter::open(&dir.path().join("fleet.db"), retention()).expect("store");
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    // Each sample's events come after the last one's, as a daemon's do.
    let mut next = Utc::now();
    group.bench_function("record_event_and_flush", |b| {
        b.iter_batched(
            || {
                let batch = events(EVENTS, next);
                next += chrono::Duration::microseconds(EVENTS as i64);
                batch
            },
            |batch| {
                for e in &batch {
                    writer.record_event("unix:///var/run/docker.sock", e);
                }
                writer.flush().expect("flush");
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
    assert_eq!(writer.dropped(), 0, "the bench must not drop events");
}

/// One million events into a fresh file: the rate and the size on disk.
fn million() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fleet.db");
    let writer = StoreWriter::open(&path, retention()).expect("store");
    let all = events(1_000_000, Utc::now());
    let begun = Instant::now();
    let mut dropped_before = 0;
    for chunk in all.chunks(20_000) {
        for e in chunk {
            writer.record_event("unix:///var/run/docker.sock", e);
        }
        // Keeps the queue from overflowing: this measures writing, not dropping.
        writer.flush().expect("flush");
        dropped_before = writer.dropped();
    }
    let took = begun.elapsed();
    drop(writer);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let db = size(&path);
    let wal = size(&dir.path().join("fleet.db-wal"));
    println!(
        "store/million: 1,000,000 events in {:.2} s = {:.0} events/s (dropped {dropped_before}); file {:.1} MiB (+ WAL {:.1} MiB) = {:.0} bytes/event",
        took.as_secs_f64(),
        1e6 / took.as_secs_f64(),
        db as f64 / 1048576.0,
        wal as f64 / 1048576.0,
        db as f64 / 1e6,
    );
}

criterion_group!(benches, record);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    million();
}
