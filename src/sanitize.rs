//! Terminal safety for text that comes from containers and daemons (names, labels, env, inspect
//! values, health-check output, event attributes, error messages, log lines): control characters
//! and escape sequences never reach the operator's terminal, and no sequence leaves its tail
//! behind (`ESC[2J` is dropped whole, never shown as `[2J`).

use std::borrow::Cow;

/// What is shown for a control character that starts no sequence (newline, CR, tab, BEL, DEL,
/// a lone ESC, a stray C1 control): visible, one column wide, and never a control itself.
pub const STAND_IN: char = '\u{fffd}';

/// Text made safe to show on one line of a terminal (a table cell, a pane's field, a status or
/// error message): whole escape sequences are removed as [`strip_escapes`] removes them, so a
/// screen clear, a title change or an OSC 52 clipboard write leaves nothing behind, and then
/// every control character left (newline, CR, tab, BEL, DEL, a lone ESC, a stray C1 control)
/// becomes [`STAND_IN`], so the operator sees that something was there and the line stays one
/// line. Returns the input unchanged, without allocating, when it is clean.
pub fn printable(text: &str) -> Cow<'_, str> {
    strip(text, Mode::Printable)
}

/// As [`printable`], line by line: the text's own line breaks (`\n`) are kept, for a message
/// that may span lines (an error listing several causes) and is written to a terminal whole,
/// never into a table cell or a pane's line. Borrows the input when every line is clean.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    if !text.contains('\n') {
        return printable(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(printable).collect();
    if lines.iter().all(|l| matches!(l, Cow::Borrowed(_))) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(lines.join("\n"))
}

/// The output of a command in a container (a captured `exec`, a `run`), written to a terminal
/// as it comes: held back to the end of each line (a sequence split between two reads is
/// seen whole), then let out with every escape sequence and control character removed
/// ([`strip_escapes`]: tabs and line breaks stay). A line longer than [`Self::MAX_LINE`] bytes
/// is let out in pieces, so that output without line breaks is not held without bound.
#[derive(Debug, Default)]
pub struct TerminalLines {
    pending: Vec<u8>,
}

impl TerminalLines {
    /// The most bytes held back waiting for the end of a line.
    pub const MAX_LINE: usize = 64 * 1024;

    /// Takes the next bytes; returns what can be written now (possibly nothing).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let cut = match self.pending.iter().rposition(|&b| b == b'\n') {
            Some(end) => end + 1,
            None if self.pending.len() >= Self::MAX_LINE => self.pending.len(),
            None => return Vec::new(),
        };
        let rest = self.pending.split_off(cut);
        let ready = std::mem::replace(&mut self.pending, rest);
        terminal_safe(&ready)
    }

    /// What is still held back (the last line, without its line break), made safe.
    pub fn finish(&mut self) -> Vec<u8> {
        terminal_safe(&std::mem::take(&mut self.pending))
    }
}

/// Bytes of output as text (invalid UTF-8 as U+FFFD), each line stripped, the breaks kept.
fn terminal_safe(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(strip_escapes).collect();
    lines.join("\n").into_bytes()
}

/// Writes `value` as JSON, as `serde_json::to_writer` does, but with DEL and the C1 controls
/// (U+007F..U+009F) written as `\u` escapes too. serde_json escapes only what JSON requires
/// (below U+0020), so a C1 CSI (U+009B) in a container's label would otherwise reach a
/// terminal that reads `--json` output as is; escaped, a script reads back the same value.
pub fn write_json<W, T>(writer: W, value: &T) -> serde_json::Result<()>
where
    W: std::io::Write,
    T: ?Sized + serde::Serialize,
{
    value.serialize(&mut serde_json::Serializer::with_formatter(
        writer, C1Escaped,
    ))
}

/// serde_json's compact output, with DEL and the C1 controls escaped in strings.
struct C1Escaped;

impl serde_json::ser::Formatter for C1Escaped {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // DEL is 0x7F; the C1 controls are 0xC2 0x80..0x9F. Most strings have neither.
        if !fragment.bytes().any(|b| b == 0x7f || b == 0xc2) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if matches!(c, '\u{7f}'..='\u{9f}') {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Removes whole escape sequences and every control character except tab, for text that is
/// shown as it was written (log lines). Where [`printable`] shows a stray control character as
/// a stand-in, this drops it; both drop the whole sequence an escape introduces, so `ESC[2J`
/// leaves nothing behind rather than `[2J`: CSI (`ESC [` or U+009B) up to its final byte, OSC
/// (`ESC ]` or U+009D: title changes, hyperlinks, OSC 52 clipboard writes) up to BEL or ST,
/// DCS/SOS/PM/APC strings up to ST, and two- or three-byte ESC sequences. SGR colours go too
/// ([`keep_sgr`] keeps them). Returns the input unchanged, without allocating, when it is clean.
pub fn strip_escapes(text: &str) -> Cow<'_, str> {
    strip(text, Mode::Strip)
}

/// As [`strip_escapes`], but SGR sequences (colours and text attributes: `ESC [` digits, `;`
/// and `:`, then `m`) are kept, each written `ESC [ … m` (a C1 introducer becomes `ESC [`), for
/// text that is shown with its colours (the logs pane, `fleetdeck logs --color`). Every other
/// sequence and control character still goes whole, so what is left can only change how text
/// looks, never move the cursor, clear the screen, set a title or write the clipboard.
pub fn keep_sgr(text: &str) -> Cow<'_, str> {
    strip(text, Mode::KeepSgr)
}

/// What [`strip`] does with what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Drop sequences and controls, keep tabs ([`strip_escapes`]).
    Strip,
    /// As `Strip`, but keep whole SGR sequences ([`keep_sgr`]).
    KeepSgr,
    /// Drop sequences, show every other control (tab too) as [`STAND_IN`] ([`printable`]).
    Printable,
}

fn strip(text: &str, mode: Mode) -> Cow<'_, str> {
    // Fast path: bytes below 0x20 (but tab, outside `Printable`), DEL, and the C1 controls
    // (U+0080..U+009F, encoded 0xC2 0x80..0x9F) are the only ways in; most text has none.
    let printable = mode == Mode::Printable;
    let keep_sgr = mode == Mode::KeepSgr;
    // Stray controls are dropped, or shown as the stand-in.
    let stray = |out: &mut String| {
        if printable {
            out.push(STAND_IN);
        }
    };
    let bytes = text.as_bytes();
    let dirty = bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && (b != b'\t' || printable))
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
            '\t' if !printable => out.push(c),
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
                // A lone ESC (end of text, or before a control or non-ASCII): it alone goes.
                _ => stray(&mut out),
            },
            '\u{9b}' => csi(&mut chars, keep_sgr, &mut out),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if c.is_control() => stray(&mut out),
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
    fn printable_leaves_clean_text_borrowed() {
        for clean in ["web-1", "", "café ✓ 日本", "a b;c=[2J]"] {
            assert!(
                matches!(printable(clean), Cow::Borrowed(t) if t == clean),
                "{clean:?}"
            );
        }
    }

    #[test]
    fn printable_drops_whole_sequences_and_shows_stray_controls() {
        let s = STAND_IN;
        let cases: [(&str, &str, String); 14] = [
            ("CSI clear screen", "a\u{1b}[2Jb", "ab".into()),
            ("CSI cursor home", "\u{1b}[Hx\u{1b}[1;31my", "xy".into()),
            ("OSC title, BEL", "a\u{1b}]0;pwned\u{7}b", "ab".into()),
            ("OSC title, ST", "a\u{1b}]0;pwned\u{1b}\\b", "ab".into()),
            (
                "OSC 52 clipboard",
                "x\u{1b}]52;c;ZXZpbA==\u{7}y",
                "xy".into(),
            ),
            ("DCS", "a\u{1b}Pq#0;2;0;0;0\u{1b}\\b", "ab".into()),
            ("C1 CSI", "a\u{9b}31mred\u{9b}2J", "ared".into()),
            ("C1 OSC to C1 ST", "a\u{9d}0;t\u{9c}b", "ab".into()),
            ("two and three byte ESC", "a\u{1b}cb\u{1b}(Bc", "abc".into()),
            ("lone ESC at the end", "tail\u{1b}", format!("tail{s}")),
            (
                "newline in a label",
                "line1\nline2",
                format!("line1{s}line2"),
            ),
            (
                "CR, tab, BEL, DEL",
                "a\rb\tc\u{7}d\u{7f}",
                format!("a{s}b{s}c{s}d{s}"),
            ),
            ("stray C1", "a\u{85}b", format!("a{s}b")),
            (
                "all at once",
                "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31mok\n",
                format!("ok{s}"),
            ),
        ];
        for (what, dirty, clean) in cases {
            let got = printable(dirty);
            assert_eq!(got, clean, "{what}: {dirty:?}");
            assert!(!got.chars().any(char::is_control), "{what}: {got:?}");
        }
    }

    #[test]
    fn printable_leaves_no_residue_of_a_sequence() {
        let dirty = "a\u{1b}[2Jb\u{1b}]52;c;aGk=\u{7}c\u{1b}]0;title\u{1b}\\d";
        let clean = printable(dirty);
        assert_eq!(clean, "abcd");
        for residue in ["[2J", "]52", "]0;", "title", "\\"] {
            assert!(!clean.contains(residue), "{residue} left in {clean:?}");
        }
    }

    #[test]
    fn printable_lines_keeps_only_the_line_breaks() {
        assert!(matches!(
            printable_lines("one\ntwo"),
            Cow::Borrowed("one\ntwo")
        ));
        let s = STAND_IN;
        assert_eq!(
            printable_lines("no such image \u{1b}]0;pwned\u{7}x\u{1b}[2J\nsecond\rline"),
            format!("no such image x\nsecond{s}line")
        );
    }

    #[test]
    fn terminal_lines_strip_sequences_split_between_reads() {
        let mut lines = TerminalLines::default();
        let mut out = lines.push(b"ok\tone\nhalf \x1b]0;pw");
        assert_eq!(
            out, b"ok\tone\n",
            "a whole line goes at once, the rest waits"
        );
        out.extend(lines.push(b"ned\x07 \x1b["));
        // U+009B (C1 CSI) is 0xC2 0x9B: split between two reads too.
        out.extend(lines.push(b"2Jdone\r\n\xc2"));
        out.extend(lines.push(&"\u{9b}31mtail".as_bytes()[1..]));
        out.extend(lines.push(" \u{9b}2J".as_bytes()));
        out.extend(lines.finish());
        assert_eq!(String::from_utf8_lossy(&out), "ok\tone\nhalf  done\ntail ");
        // Without a line break, what is held back stays bounded.
        let long = vec![b'x'; TerminalLines::MAX_LINE];
        assert_eq!(lines.push(&long).len(), TerminalLines::MAX_LINE);
        assert!(lines.finish().is_empty());
    }

    #[test]
    fn json_escapes_c1_controls_and_reads_back_the_same() {
        let value = serde_json::json!({
            "label\u{9b}": "a\u{1b}[2J\u{9b}31m\u{9d}0;t\u{9c}\u{7f}é\u{85}✓\n",
            "plain": "web-1",
        });
        let mut out = Vec::new();
        write_json(&mut out, &value).expect("write to a vec");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            !text.chars().any(char::is_control),
            "no raw control character: {text:?}"
        );
        assert!(text.contains(r"\u009b31m"), "{text}");
        assert!(text.contains(r"\u001b[2J"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
        let plain = serde_json::to_string(&value).expect("json");
        let expected: String = plain
            .chars()
            .map(|c| match c {
                '\u{7f}'..='\u{9f}' => format!("\\u{:04x}", u32::from(c)),
                c => c.to_string(),
            })
            .collect();
        assert_eq!(text, expected, "otherwise as serde_json writes it");
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
