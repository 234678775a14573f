//! The demultiplexer, frame by frame.

use super::*;

const T1: &str = "2024-05-01T12:00:00.000000001Z";
const T2: &str = "2024-05-01T12:00:01.500000000Z";

fn frame(stream: LogStream, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(stream, payload, &mut out);
    out
}

/// Feeds `bytes` to a fresh demuxer in reads of `chunk` bytes, then finishes.
fn demux_in_reads(bytes: &[u8], chunk: usize, timestamps: bool) -> Vec<LogLine> {
    let mut d = Demuxer::new(false, timestamps, DEFAULT_MAX);
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        d.push_bytes(piece, &mut out);
    }
    d.finish(&mut out);
    out
}

const DEFAULT_MAX: usize = super::super::DEFAULT_MAX_LINE_BYTES;

fn texts(lines: &[LogLine]) -> Vec<(LogStream, &str)> {
    lines.iter().map(|l| (l.stream, l.text.as_str())).collect()
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

#[test]
fn frames_split_across_reads_at_every_size() {
    let mut bytes = frame(LogStream::Stdout, b"first line\nsecond ");
    bytes.extend(frame(LogStream::Stderr, b"oops\n"));
    bytes.extend(frame(LogStream::Stdout, b"line\n"));
    for chunk in 1..=bytes.len() {
        let lines = demux_in_reads(&bytes, chunk, false);
        assert_eq!(
            texts(&lines),
            [
                (LogStream::Stdout, "first line"),
                (LogStream::Stderr, "oops"),
                (LogStream::Stdout, "second line"),
            ],
            "reads of {chunk} bytes"
        );
    }
}

#[test]
fn many_lines_in_one_frame() {
    let payload: String = (1..=500).map(|i| format!("line {i}\n")).collect();
    let lines = demux_in_reads(&frame(LogStream::Stdout, payload.as_bytes()), 4096, false);
    assert_eq!(lines.len(), 500);
    assert_eq!(lines[0].text, "line 1");
    assert_eq!(lines[499].text, "line 500");
}

#[test]
fn a_line_split_across_frames_keeps_the_first_time() {
    let mut bytes = frame(LogStream::Stdout, format!("{T1} hel").as_bytes());
    bytes.extend(frame(LogStream::Stdout, format!("{T2} lo wor").as_bytes()));
    bytes.extend(frame(LogStream::Stdout, format!("{T2} ld\n").as_bytes()));
    bytes.extend(frame(LogStream::Stdout, format!("{T2} next\n").as_bytes()));
    for chunk in [1, 3, 7, 31, bytes.len()] {
        let lines = demux_in_reads(&bytes, chunk, true);
        assert_eq!(
            texts(&lines),
            [
                (LogStream::Stdout, "hello world"),
                (LogStream::Stdout, "next")
            ],
            "reads of {chunk}"
        );
        assert_eq!(lines[0].time, Some(time(T1)));
        assert_eq!(lines[1].time, Some(time(T2)));
    }
}

#[test]
fn empty_frames_and_empty_lines() {
    let mut bytes = frame(LogStream::Stdout, b"");
    bytes.extend(frame(LogStream::Stdout, b"a"));
    bytes.extend(frame(LogStream::Stderr, b""));
    bytes.extend(frame(LogStream::Stdout, b""));
    bytes.extend(frame(LogStream::Stdout, b"b\n\n"));
    bytes.extend(frame(LogStream::Stdout, b""));
    for chunk in 1..=bytes.len() {
        let lines = demux_in_reads(&bytes, chunk, false);
        assert_eq!(
            texts(&lines),
            [(LogStream::Stdout, "ab"), (LogStream::Stdout, "")]
        );
    }
}

#[test]
fn a_one_mebibyte_line_arrives_whole() {
    // As the daemon stores it: 16 KiB pieces, each with its own timestamp.
    let line: Vec<u8> = (0..1024 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let mut bytes = Vec::new();
    for piece in line.chunks(16 * 1024) {
        let mut payload = format!("{T1} ").into_bytes();
        payload.extend_from_slice(piece);
        encode_frame(LogStream::Stdout, &payload, &mut bytes);
    }
    encode_frame(LogStream::Stdout, format!("{T2} \n").as_bytes(), &mut bytes);
    encode_frame(
        LogStream::Stdout,
        format!("{T2} after\n").as_bytes(),
        &mut bytes,
    );
    let lines = demux_in_reads(&bytes, 65_536, true);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].text.len(), line.len());
    assert_eq!(lines[0].text.as_bytes(), line.as_slice());
    assert_eq!(lines[0].time, Some(time(T1)));
    assert_eq!(lines[1].text, "after");
}

#[test]
fn longer_lines_are_cut_at_the_bound_on_a_char_boundary() {
    let mut d = Demuxer::new(true, false, 10);
    let mut out = Vec::new();
    d.push_bytes("aaaaaaaaaé".as_bytes(), &mut out); // 9 + 2 bytes
    d.push_bytes(b"bbbbbbbbbbbbbbbbbbbb\n", &mut out);
    d.finish(&mut out);
    let got: Vec<&str> = out.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(got, ["aaaaaaaaa", "ébbbbbbbb", "bbbbbbbbbb", "bb"]);
}

#[test]
fn invalid_utf8_is_shown_not_dropped() {
    let bytes = frame(LogStream::Stdout, b"ok \xff\xfe bytes\nnext\n");
    for chunk in [1, 5, bytes.len()] {
        let lines = demux_in_reads(&bytes, chunk, false);
        assert_eq!(
            texts(&lines),
            [
                (LogStream::Stdout, "ok \u{fffd}\u{fffd} bytes"),
                (LogStream::Stdout, "next")
            ]
        );
    }
}

#[test]
fn escapes_are_stripped_and_tty_streams_are_raw() {
    let mut d = Demuxer::new(true, true, DEFAULT_MAX);
    let mut out = Vec::new();
    let raw =
        format!("{T1} \u{1b}[2Jclear\r\n{T2} \u{1b}]52;c;aGk=\u{7}clip\u{1b}]0;title\u{7}\r\n");
    d.push_bytes(raw.as_bytes(), &mut out);
    d.finish(&mut out);
    assert_eq!(
        texts(&out),
        [(LogStream::Stdout, "clear"), (LogStream::Stdout, "clip")]
    );
    assert_eq!(out[1].time, Some(time(T2)));
}

#[test]
fn sgr_is_kept_when_asked_and_everything_else_still_goes() {
    let raw = format!(
        "{T1} \u{1b}[31mRED\u{1b}[0m \u{1b}[1mBOLD\u{1b}[0m \u{1b}[2J\u{1b}]0;title\u{7}tail\r\n"
    );
    let run = |keep: bool| {
        let mut d = Demuxer::new(true, true, DEFAULT_MAX).keep_sgr(keep);
        let mut out = Vec::new();
        d.push_bytes(raw.as_bytes(), &mut out);
        d.finish(&mut out);
        out
    };
    let kept = run(true);
    assert_eq!(
        texts(&kept),
        [(
            LogStream::Stdout,
            "\u{1b}[31mRED\u{1b}[0m \u{1b}[1mBOLD\u{1b}[0m tail"
        )]
    );
    assert_eq!(kept[0].time, Some(time(T1)));
    assert_eq!(texts(&run(false)), [(LogStream::Stdout, "RED BOLD tail")]);
}

#[test]
fn text_that_only_looks_like_a_stamp_is_kept() {
    let bytes = frame(LogStream::Stdout, b"2024-99-99T00:00:00Z is not a time\nno-space-here-at-all-for-a-good-while-longer-than-a-stamp\n");
    let lines = demux_in_reads(&bytes, 3, true);
    assert_eq!(
        texts(&lines),
        [
            (LogStream::Stdout, "2024-99-99T00:00:00Z is not a time"),
            (
                LogStream::Stdout,
                "no-space-here-at-all-for-a-good-while-longer-than-a-stamp"
            )
        ]
    );
    assert_eq!(lines[0].time, None);
}

#[test]
fn bollard_chunks_are_frames() {
    let mut d = Demuxer::new(false, true, DEFAULT_MAX);
    let mut out = Vec::new();
    let out_chunk = |s: String| LogOutput::StdOut {
        message: s.into_bytes().into(),
    };
    let err_chunk = |s: String| LogOutput::StdErr {
        message: s.into_bytes().into(),
    };
    d.push_output(&out_chunk(format!("{T1} a\n")), &mut out);
    d.push_output(&err_chunk(format!("{T1} e")), &mut out);
    d.push_output(&out_chunk(format!("{T2} b\n")), &mut out);
    d.push_output(&err_chunk(format!("{T2} rr\n")), &mut out);
    assert_eq!(
        texts(&out),
        [
            (LogStream::Stdout, "a"),
            (LogStream::Stdout, "b"),
            (LogStream::Stderr, "err")
        ]
    );
    assert_eq!(out[2].time, Some(time(T1)));
}

#[test]
fn timestamps_parse_fast_and_slow() {
    assert_eq!(parse_timestamp(T1.as_bytes()), Some(time(T1)));
    assert_eq!(
        parse_timestamp(b"2024-05-01T12:00:00Z"),
        Some(time("2024-05-01T12:00:00Z"))
    );
    assert_eq!(
        parse_timestamp(b"2024-05-01T12:00:00.25+01:00"),
        Some(time("2024-05-01T11:00:00.25Z"))
    );
    assert_eq!(parse_timestamp(b"2024-13-01T12:00:00Z"), None);
    assert_eq!(parse_timestamp(b"hello"), None);
    assert_eq!(parse_timestamp(b"2024-05-01T12:00:00.Z"), None);
}
