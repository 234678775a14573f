//! The clipboard over any terminal link: OSC 52 (`ESC ] 52 ; c ; BASE64 BEL`), which the
//! operator's own terminal carries out, so that `y` works over SSH. Inside tmux the plain
//! sequence is written too: tmux with `set -g set-clipboard on` reads OSC 52 itself (into its
//! paste buffer, and on to the outer terminal), where a passthrough wrapping would need
//! `allow-passthrough` and bypass tmux's buffers.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The OSC 52 sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", STANDARD.encode(text.as_bytes()))
}

/// Writes the sequence for `text` to `out` and flushes it.
pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_introducer_and_bel() {
        assert_eq!(osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
        let mut out = Vec::new();
        copy(&mut out, "web-1").expect("write");
        assert_eq!(out, b"\x1b]52;c;d2ViLTE=\x07");
    }
}
