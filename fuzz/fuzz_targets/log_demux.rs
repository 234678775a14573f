//! The Docker log demultiplexer (`engine::logs::demux`) on arbitrary bytes, in arbitrary reads.
//!
//! Input: `[flags] [max line] [n] [n split bytes] [stream bytes...]`. `flags` bit 0: TTY (raw
//! stream), bit 1: timestamps, bit 2: keep SGR. `max line`: the line bound (0 means the 16 KiB
//! default). The split bytes, taken in turn, are the sizes of the reads (`b + 1` bytes each).
//!
//! What must hold, whatever the bytes:
//! - nothing panics;
//! - the frames found do not depend on how the bytes were cut into reads, and match a plain
//!   reading of the frame format (8-byte header, big-endian length), so the payload handed on
//!   is never more than what the input holds;
//! - the lines do not depend on the reads either, and are the lines of the production path
//!   (bollard's decoded frames, or raw chunks for a TTY, through `push_output`);
//! - every line: no newline, at most `max line` characters, no control character but tab (and,
//!   with SGR kept, ESC only as the start of a complete `ESC [ digits;: m`), a fixed point of
//!   the sanitizer, no timestamp unless timestamps were asked for, never a marker;
//! - the characters of all lines together are no more than the payload bytes.

#![no_main]

use bollard::container::LogOutput;
use bytes::Bytes;
use fleetdeck::engine::logs::{Demuxer, FrameDecoder, LogLine, LogStream};
use fleetdeck::sanitize::{keep_sgr, strip_escapes};
use libfuzzer_sys::fuzz_target;

#[path = "common/controls.rs"]
mod controls;
use controls::only_controls;

const DEFAULT_MAX_LINE: usize = 16 * 1024;

struct Setup<'a> {
    tty: bool,
    timestamps: bool,
    sgr: bool,
    max_line: usize,
    splits: &'a [u8],
    data: &'a [u8],
}

fn setup(input: &[u8]) -> Option<Setup<'_>> {
    let (&flags, rest) = input.split_first()?;
    let (&max, rest) = rest.split_first()?;
    let (&n, rest) = rest.split_first()?;
    let n = usize::from(n % 16);
    if rest.len() < n {
        return None;
    }
    let (splits, data) = rest.split_at(n);
    Some(Setup {
        tty: flags & 1 != 0,
        timestamps: flags & 2 != 0,
        sgr: flags & 4 != 0,
        max_line: if max == 0 {
            DEFAULT_MAX_LINE
        } else {
            usize::from(max)
        },
        splits,
        data,
    })
}

/// `data` cut into reads whose sizes come from `splits` in turn (one read when there are none).
fn reads<'a>(data: &'a [u8], splits: &'a [u8]) -> Vec<&'a [u8]> {
    if splits.is_empty() {
        return vec![data];
    }
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let size = (usize::from(splits[i % splits.len()]) + 1).min(rest.len());
        let (read, tail) = rest.split_at(size);
        out.push(read);
        rest = tail;
        i += 1;
    }
    out
}

/// The frame format read plainly: (stream type, payload) per frame; a cut-off last frame gives
/// what it has; empty frames are left out (the decoder hands nothing on for them).
fn reference_frames(mut data: &[u8]) -> Vec<(LogStream, Vec<u8>)> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let stream = if matches!(data[0], 2 | 3) {
            LogStream::Stderr
        } else {
            LogStream::Stdout
        };
        let len = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let body = &data[8..];
        let take = len.min(body.len());
        if take > 0 {
            out.push((stream, body[..take].to_vec()));
        }
        data = &body[take..];
    }
    out
}

/// What the frame decoder finds when fed `reads` one after another, pieces joined per frame.
fn decoded_frames(reads: &[&[u8]]) -> Vec<(LogStream, Vec<u8>)> {
    let mut decoder = FrameDecoder::new();
    let mut frames: Vec<(LogStream, Vec<u8>)> = Vec::new();
    for read in reads {
        decoder.push(read, |stream, piece, start| {
            assert!(!piece.is_empty(), "an empty piece was handed on");
            match frames.last_mut() {
                Some((s, body)) if !start => {
                    assert_eq!(*s, stream, "a frame changed stream between pieces");
                    body.extend_from_slice(piece);
                }
                _ => {
                    assert!(start, "the first piece must start a frame");
                    frames.push((stream, piece.to_vec()));
                }
            }
        });
    }
    frames
}

fn demuxer(s: &Setup<'_>) -> Demuxer {
    Demuxer::new(s.tty, s.timestamps, s.max_line).keep_sgr(s.sgr)
}

/// The lines of `push_bytes` over `reads`, then `finish`.
fn lines_from_bytes(s: &Setup<'_>, reads: &[&[u8]]) -> Vec<LogLine> {
    let mut d = demuxer(s);
    let mut out = Vec::new();
    for read in reads {
        d.push_bytes(read, &mut out);
    }
    d.finish(&mut out);
    out
}

/// The production path: bollard hands over one frame's payload at a time (stdout or stderr),
/// or, for a TTY, raw chunks as they were read.
fn lines_from_outputs(s: &Setup<'_>, frames: &[(LogStream, Vec<u8>)]) -> Vec<LogLine> {
    let mut d = demuxer(s);
    let mut out = Vec::new();
    if s.tty {
        for read in reads(s.data, s.splits) {
            let message = Bytes::copy_from_slice(read);
            d.push_output(&LogOutput::Console { message }, &mut out);
        }
    } else {
        for (stream, payload) in frames {
            let message = Bytes::copy_from_slice(payload);
            let output = match stream {
                LogStream::Stderr => LogOutput::StdErr { message },
                _ => LogOutput::StdOut { message },
            };
            d.push_output(&output, &mut out);
        }
    }
    d.finish(&mut out);
    out
}

fn check_lines(s: &Setup<'_>, lines: &[LogLine], payload: usize) {
    let max = s.max_line.max(4);
    let mut chars = 0;
    for line in lines {
        assert_ne!(line.stream, LogStream::Marker, "{line:?}");
        assert!(!line.text.contains('\n'), "{line:?}");
        let n = line.text.chars().count();
        assert!(
            n <= max,
            "a line of {n} characters passed the bound {max}: {line:?}"
        );
        assert!(
            only_controls(&line.text, &['\t'], s.sgr),
            "unsafe text: {line:?}"
        );
        let again = if s.sgr {
            keep_sgr(&line.text)
        } else {
            strip_escapes(&line.text)
        };
        assert_eq!(
            again,
            line.text.as_str(),
            "not a fixed point of the sanitizer"
        );
        if !s.timestamps {
            assert!(line.time.is_none(), "a time without timestamps: {line:?}");
        }
        if s.tty {
            assert_eq!(line.stream, LogStream::Stdout, "{line:?}");
        }
        chars += n;
    }
    assert!(
        chars <= payload,
        "{chars} characters of lines out of {payload} payload bytes"
    );
}

fuzz_target!(|input: &[u8]| {
    let Some(s) = setup(input) else {
        return;
    };
    let split = reads(s.data, s.splits);

    let frames = if s.tty {
        Vec::new()
    } else {
        let frames = reference_frames(s.data);
        assert_eq!(decoded_frames(&[s.data]), frames, "frames of one read");
        assert_eq!(decoded_frames(&split), frames, "frames of split reads");
        frames
    };
    let payload = if s.tty {
        s.data.len()
    } else {
        frames.iter().map(|(_, p)| p.len()).sum()
    };
    assert!(payload <= s.data.len());

    let whole = lines_from_bytes(&s, &[s.data]);
    check_lines(&s, &whole, payload);
    let pieces = lines_from_bytes(&s, &split);
    assert_eq!(pieces, whole, "the lines depend on the reads");
    let outputs = lines_from_outputs(&s, &frames);
    assert_eq!(outputs, whole, "push_output and push_bytes disagree");
});
