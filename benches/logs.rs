//! Log lines per second on one core, from the daemon's bytes to a pane's ring buffer (aim: over
//! 2 million short lines a second): 8-byte-header frames as the logs endpoint sends them (one
//! line per frame, each with its RFC 3339 nanosecond timestamp), read in 64 KiB pieces, demuxed,
//! split, sanitized and appended to a bounded `LogBuffer` (which drops most of them: the steady
//! state of a flooding container). Variants: bollard's decoded chunks (the production path),
//! no timestamps, and lines full of colour codes (the sanitizer's slow path).

use std::hint::black_box;

use bollard::container::LogOutput;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fleetdeck::engine::logs::{Demuxer, LogBuffer, LogLine, LogStream, encode_frame};

const LINES: usize = 100_000;
const READ: usize = 64 * 1024;

fn payloads(timestamps: bool, colour: bool) -> Vec<Vec<u8>> {
    (0..LINES)
        .map(|i| {
            let mut line = String::new();
            if timestamps {
                let (s, ns) = (i / 1_000_000, (i % 1_000_000) * 997);
                line.push_str(&format!(
                    "2024-05-01T12:{:02}:{:02}.{ns:09}Z ",
                    s / 60,
                    s % 60
                ));
            }
            if colour {
                line.push_str(&format!("\u{1b}[32mINFO\u{1b}[0m some-log-line {i}\n"));
            } else {
                line.push_str(&format!("some-log-line {i}\n"));
            }
            line.into_bytes()
        })
        .collect()
}

fn framed(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let stream = if i % 10 == 9 {
            LogStream::Stderr
        } else {
            LogStream::Stdout
        };
        encode_frame(stream, p, &mut bytes);
    }
    bytes
}

/// Raw bytes → lines → ring buffer; returns what the buffer holds (so nothing is optimised out).
fn run_bytes(bytes: &[u8], timestamps: bool) -> usize {
    let mut demux = Demuxer::new(false, timestamps, 1024 * 1024);
    let mut buffer = LogBuffer::new(10_000, 8 * 1024 * 1024);
    let mut lines: Vec<LogLine> = Vec::with_capacity(4_096);
    for read in bytes.chunks(READ) {
        demux.push_bytes(read, &mut lines);
        buffer.extend(lines.drain(..));
    }
    demux.finish(&mut lines);
    buffer.extend(lines.drain(..));
    buffer.len() + buffer.dropped() as usize
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("logs");
    group.throughput(Throughput::Elements(LINES as u64));

    let stamped = framed(&payloads(true, false));
    assert_eq!(run_bytes(&stamped, true), LINES);
    group.bench_function("frames_timestamps_to_ring", |b| {
        b.iter(|| run_bytes(black_box(&stamped), true));
    });

    let plain = framed(&payloads(false, false));
    assert_eq!(run_bytes(&plain, false), LINES);
    group.bench_function("frames_plain_to_ring", |b| {
        b.iter(|| run_bytes(black_box(&plain), false));
    });

    let coloured = framed(&payloads(true, true));
    assert_eq!(run_bytes(&coloured, true), LINES);
    group.bench_function("frames_sgr_stripped_to_ring", |b| {
        b.iter(|| run_bytes(black_box(&coloured), true));
    });

    // As bollard hands them over: one chunk per frame.
    let chunks: Vec<LogOutput> = payloads(true, false)
        .into_iter()
        .map(|p| LogOutput::StdOut { message: p.into() })
        .collect();
    group.bench_function("bollard_chunks_to_ring", |b| {
        b.iter(|| {
            let mut demux = Demuxer::new(false, true, 1024 * 1024);
            let mut buffer = LogBuffer::new(10_000, 8 * 1024 * 1024);
            let mut lines: Vec<LogLine> = Vec::with_capacity(1_024);
            for chunk in black_box(&chunks) {
                demux.push_output(chunk, &mut lines);
                if lines.len() >= 1_024 {
                    buffer.extend(lines.drain(..));
                }
            }
            demux.finish(&mut lines);
            buffer.extend(lines.drain(..));
            buffer.len()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
