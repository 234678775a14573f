//! Terminal safety (`sanitize`: `printable`, `printable_lines`, `strip_escapes`, `keep_sgr`,
//! `TerminalLines`, `write_json`) on arbitrary text: the input's bytes read as UTF-8 (invalid
//! sequences as U+FFFD, so C1 controls come through too), and for `TerminalLines` the bytes
//! themselves, cut into reads by the first byte.
//!
//! What must hold, besides "nothing panics":
//! - each text function is idempotent, gives clean text back borrowed and unchanged, and leaves
//!   only the controls it documents: `printable` none at all (every control left after the
//!   sequences are dropped becomes the stand-in), `printable_lines` only `\n` (one output line
//!   per input line), `strip_escapes` only tab (no ESC, C1, DEL), `keep_sgr` only tab and
//!   complete `ESC [ digits;: m`;
//! - all three drop the same sequences: `printable` less its stand-ins is `strip_escapes` less
//!   its tabs, and `strip_escapes` of `keep_sgr`'s output is `strip_escapes` of the input;
//! - `strip_escapes` and `keep_sgr` are never longer than their input (`keep_sgr` rewrites a
//!   C1 CSI, two bytes, as `ESC [`);
//! - `TerminalLines` lets out, whatever the reads, the input's lines each stripped
//!   (`strip_escapes`) with the line breaks kept;
//! - `write_json` writes no control, DEL or C1 byte raw, and reads back as the text.

#![no_main]

use std::borrow::Cow;

use fleetdeck::sanitize::{
    STAND_IN, TerminalLines, keep_sgr, printable, printable_lines, strip_escapes, write_json,
};
use libfuzzer_sys::fuzz_target;

#[path = "common/controls.rs"]
mod controls;
use controls::only_controls;

/// Runs `f` once and twice; checks idempotence, the borrow of clean text, and (unless it
/// writes stand-ins, three bytes for one) that nothing grew.
fn check(name: &str, text: &str, f: fn(&str) -> Cow<'_, str>, stand_ins: bool) -> String {
    let once = f(text);
    if let Cow::Borrowed(same) = &once {
        assert_eq!(*same, text, "{name} borrowed something else");
    }
    if !stand_ins {
        assert!(once.len() <= text.len(), "{name} made {text:?} longer");
    }
    let twice = f(&once);
    assert_eq!(twice, once, "{name} is not idempotent on {text:?}");
    // Output holding a kept SGR sequence is looked through again; anything else is clean.
    if !once.contains('\u{1b}') {
        assert!(
            matches!(twice, Cow::Borrowed(_)),
            "{name}: its own output is not clean"
        );
    }
    once.into_owned()
}

fn without(text: &str, gone: &[char]) -> String {
    text.chars().filter(|c| !gone.contains(c)).collect()
}

/// The bytes cut into reads of `size` (1..=256) bytes.
fn terminal_lines(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut lines = TerminalLines::default();
    let mut out = Vec::new();
    for read in bytes.chunks(size) {
        out.extend(lines.push(read));
    }
    out.extend(lines.finish());
    out
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let text = text.as_ref();

    let shown = check("printable", text, printable, true);
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let stripped = check("strip_escapes", text, strip_escapes, false);
    assert!(only_controls(&stripped, &['\t'], false), "{stripped:?}");
    let kept = check("keep_sgr", text, keep_sgr, false);
    assert!(only_controls(&kept, &['\t'], true), "{kept:?}");
    let lines = check("printable_lines", text, printable_lines, true);
    assert!(only_controls(&lines, &['\n'], false), "{lines:?}");
    assert_eq!(lines.split('\n').count(), text.split('\n').count());

    // The same sequences dropped by all three.
    assert_eq!(
        without(&shown, &[STAND_IN]),
        without(&stripped, &['\t', STAND_IN]),
        "printable and strip_escapes disagree on {text:?}"
    );
    assert_eq!(
        strip_escapes(&kept),
        stripped,
        "keep_sgr then strip_escapes: {text:?}"
    );

    // Command output to a terminal, in reads of any size.
    if let Some((&size, bytes)) = input.split_first()
        && bytes.len() < TerminalLines::MAX_LINE
    {
        let whole = String::from_utf8_lossy(bytes);
        let expected: Vec<Cow<'_, str>> = whole.split('\n').map(strip_escapes).collect();
        let expected = expected.join("\n").into_bytes();
        assert_eq!(terminal_lines(bytes, bytes.len().max(1)), expected);
        assert_eq!(terminal_lines(bytes, usize::from(size) + 1), expected);
    }

    // JSON output.
    let mut json = Vec::new();
    write_json(&mut json, text).expect("a string writes");
    let raw = String::from_utf8(json.clone()).expect("JSON is UTF-8");
    assert!(
        !raw.chars().any(char::is_control),
        "a raw control in {raw:?}"
    );
    let back: String = serde_json::from_slice(&json).expect("reads back");
    assert_eq!(back, text);
});
