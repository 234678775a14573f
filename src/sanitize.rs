//! Terminal safety for text that comes from containers (names, labels, inspect values, log
//! lines): control characters and escape sequences never reach the operator's terminal.

use std::borrow::Cow;

/// Replaces every control character (including ESC, so no escape sequence survives) with a
/// visible stand-in. Returns the input unchanged, without allocating, when it is clean.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if is_unsafe(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != ' '
}

/// Removes whole escape sequences and every control character except tab, for text that is
/// shown as it was written (log lines). Where [`printable`] replaces each control character
/// with a stand-in, this drops the sequence it introduces too, so `ESC[2J` leaves nothing behind
/// rather than `[2J`: CSI (`ESC [` or U+009B) up to its final byte, OSC (`ESC ]` or U+009D: title
/// changes, hyperlinks, OSC 52 clipboard writes) up to BEL or ST, DCS/SOS/PM/APC strings up to
/// ST, and two- or three-byte ESC sequences. SGR colours go too ([`keep_sgr`] keeps them).
/// Returns the input unchanged, without allocating, when it is clean.
pub fn strip_escapes(text: &str) -> Cow<'_, str> {
    strip(text, false)
}

/// As [`strip_escapes`], but SGR sequences (colours and text attributes: `ESC [` digits, `;`
/// and `:`, then `m`) are kept, each written `ESC [ … m` (a C1 introducer becomes `ESC [`), for
/// text that is shown with its colours (the logs pane, `fleetdeck logs --color`). Every other
/// sequence and control character still goes whole, so what is left can only change how text
/// looks, never move the cursor, clear the screen, set a title or write the clipboard.
pub fn keep_sgr(text: &str) -> Cow<'_, str> {
    strip(text, true)
}

fn strip(text: &str, keep_sgr: bool) -> Cow<'_, str> {
    // Fast path: bytes below 0x20 (but tab), DEL, and the C1 controls (U+0080..U+009F, encoded
    // 0xC2 0x80..0x9F) are the only ways in; most lines have none of them.
    let bytes = text.as_bytes();
    let dirty = bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && b != b'\t')
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)))
    });
    if !dirty {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(c),
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    csi(&mut chars, keep_sgr, &mut out);
                }
                Some(']') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                Some('P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                Some(' '..='/') => {
                    // nF: intermediates, then one final byte (`ESC ( B`).
                    while chars.next_if(|c| matches!(c, ' '..='/')).is_some() {}
                    chars.next_if(|c| matches!(c, '0'..='~'));
                }
                Some('0'..='~') => {
                    // Fp/Fe/Fs: one byte (`ESC 7`, `ESC c`, `ESC M`).
                    chars.next();
                }
                // A lone ESC (end of text, or before a control or non-ASCII): drop it alone.
                _ => {}
            },
            '\u{9b}' => csi(&mut chars, keep_sgr, &mut out),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Skips a CSI sequence after its introducer: parameters, intermediates, one final byte. Stops
/// early (without consuming it) at anything that cannot be part of one. With `keep_sgr`, a
/// complete SGR sequence (parameters of digits, `;` and `:` only, no intermediates, final `m`)
/// is written to `out` as `ESC [ … m`.
fn csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, keep_sgr: bool, out: &mut String) {
    let mut params = String::new();
    while let Some(c) = chars.next_if(|c| matches!(c, '0'..='?')) {
        if keep_sgr {
            params.push(c);
        }
    }
    let mut intermediates = false;
    while chars.next_if(|c| matches!(c, ' '..='/')).is_some() {
        intermediates = true;
    }
    let last = chars.next_if(|c| matches!(c, '@'..='~'));
    if keep_sgr
        && last == Some('m')
        && !intermediates
        && params
            .chars()
            .all(|c| c.is_ascii_digit() || c == ';' || c == ':')
    {
        out.push_str("\u{1b}[");
        out.push_str(&params);
        out.push('m');
    }
}

/// Skips a control string (OSC, DCS, SOS, PM, APC) up to and including its terminator: ST
/// (`ESC \` or U+009C) or, as terminals accept for OSC, BEL. An ESC that does not start ST ends
/// the string without being consumed; the end of the text ends it too.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{7}' => {
                chars.next();
                return;
            }
            '\u{9c}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                let mut ahead = chars.clone();
                ahead.next();
                if ahead.peek() == Some(&'\\') {
                    chars.next();
                    chars.next();
                }
                return;
            }
            _ => {
                chars.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_neutralised() {
        assert!(matches!(printable("web-1"), Cow::Borrowed("web-1")));
        let dirty = "a\u{1b}[2Jb\u{1b}]52;c;aGk=\u{7}c\r\n";
        let clean = printable(dirty);
        assert!(!clean.contains('\u{1b}'));
        assert!(!clean.contains('\u{7}'));
        assert!(!clean.contains('\n'));
        assert!(clean.starts_with('a'));
    }

    #[test]
    fn strip_escapes_removes_whole_sequences() {
        assert!(matches!(strip_escapes("plain\ttext é ©"), Cow::Borrowed(_)));
        let cases = [
            ("a\u{1b}[2Jb", "ab"),
            ("\u{1b}[1;31mred\u{1b}[0m", "red"),
            ("x\u{1b}]52;c;aGVsbG8=\u{7}y", "xy"),
            ("x\u{1b}]0;title\u{1b}\\y", "xy"),
            (
                "\u{1b}]8;;http://e.com\u{1b}\\link\u{1b}]8;;\u{1b}\\",
                "link",
            ),
            ("a\u{1b}(Bb\u{1b}7c\u{1b}cd", "abcd"),
            ("a\u{9b}2Jb\u{9d}0;t\u{9c}c", "abc"),
            ("a\u{1b}Pq#0;2;0\u{1b}\\b", "ab"),
            ("tab\there\r", "tab\there"),
            ("cut\u{1b}]0;no end", "cut"),
            ("lone\u{1b}", "lone"),
            ("bell\u{7}\u{8}\u{7f}", "bell"),
            ("é\u{1b}[Kü", "éü"),
        ];
        for (dirty, clean) in cases {
            assert_eq!(strip_escapes(dirty), clean, "{dirty:?}");
        }
    }

    #[test]
    fn keep_sgr_keeps_only_whole_sgr_sequences() {
        assert!(matches!(keep_sgr("plain\ttext é"), Cow::Borrowed(_)));
        let cases = [
            // SGR stays, written as it came (C1 introducer as ESC [).
            ("\u{1b}[1;31mred\u{1b}[0m", "\u{1b}[1;31mred\u{1b}[0m"),
            ("\u{1b}[38;5;196mx\u{1b}[m", "\u{1b}[38;5;196mx\u{1b}[m"),
            ("\u{1b}[38:2::1:2:3mx", "\u{1b}[38:2::1:2:3mx"),
            ("a\u{9b}32mb", "a\u{1b}[32mb"),
            // Everything else goes whole, as with strip_escapes.
            ("a\u{1b}[2Jb", "ab"),
            (
                "\u{1b}[31mRED\u{1b}[0m \u{1b}[2J\u{1b}]0;title\u{7}tail",
                "\u{1b}[31mRED\u{1b}[0m tail",
            ),
            ("x\u{1b}]52;c;aGVsbG8=\u{7}y", "xy"),
            ("x\u{1b}]0;title\u{1b}\\y", "xy"),
            ("a\u{1b}[?25mb", "ab"),
            ("a\u{1b}[1 mb", "ab"),
            ("a\u{1b}[10;20Hb\u{1b}[Kc", "abc"),
            ("a\u{1b}(Bb\u{1b}7c", "abc"),
            ("cut\u{1b}[3", "cut"),
            ("bell\u{7}\r", "bell"),
        ];
        for (dirty, kept) in cases {
            assert_eq!(keep_sgr(dirty), kept, "{dirty:?}");
            // Stripping what is kept leaves what strip_escapes leaves.
            assert_eq!(
                strip_escapes(&keep_sgr(dirty)),
                strip_escapes(dirty),
                "{dirty:?}"
            );
        }
    }
}
