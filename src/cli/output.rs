//! Output helpers: a plain text table, JSON lines, messages on stderr, and writes that end
//! quietly when the reader goes away (`fleetdeck ps | head`). Text for people passes through
//! [`crate::sanitize`] here: a table's cells, and a message (an error from a daemon, which may
//! be remote and hostile, quotes what it likes).

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::sanitize::{printable, printable_lines};

/// Writes `rows` under `header`, columns padded to their widest cell. Cells are sanitised.
pub fn table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    let clean: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| printable(c).into_owned()).collect())
        .collect();
    for row in &clean {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
            }
        }
    }
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.width());
            text.extend(std::iter::repeat_n(' ', pad));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &mut header.iter().copied())?;
    for row in &clean {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// A message for stderr, `fleetdeck: ` and the text, made safe for the terminal: escape
/// sequences removed whole, other control characters shown as a stand-in, its own line
/// breaks kept ([`printable_lines`]).
pub fn message(text: impl std::fmt::Display) -> String {
    format!("fleetdeck: {}", printable_lines(&text.to_string()))
}

/// Prints [`message`] on stderr.
pub fn warn(text: impl std::fmt::Display) {
    eprintln!("{}", message(text));
}

/// Prints a JSON value on one line (C1 controls escaped too: [`crate::sanitize::write_json`]).
pub fn json_line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    // serde_json's error keeps an I/O error's kind (a broken pipe stays one, for quiet_pipe).
    crate::sanitize::write_json(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// Turns a broken pipe into success: the reader has all it wanted.
pub fn quiet_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `value` as JSON with a `host` field (the short name of the host it is about) added, when
/// it is an object.
pub fn with_host<T: serde::Serialize>(host: &str, value: &T) -> serde_json::Value {
    let mut json = serde_json::to_value(value).unwrap_or_default();
    if let Some(fields) = json.as_object_mut() {
        fields.insert("host".into(), host.into());
    }
    json
}

#[cfg(test)]
mod pipe_tests {
    use super::*;

    /// A reader that went away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_to_a_closed_pipe_is_a_broken_pipe_and_quiet() {
        let result = json_line(&mut Closed, &serde_json::json!({"a": [1, 2, 3]}));
        let e = result.as_ref().expect_err("nobody reads");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(quiet_pipe(result).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns() {
        let mut out = Vec::new();
        table(
            &mut out,
            &["NAME", "STATE"],
            &[
                vec!["web-1".into(), "running".into()],
                vec!["a\u{1b}[2J".into(), "exited".into()],
            ],
        )
        .expect("write to a vec");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text, "NAME   STATE\nweb-1  running\na      exited\n");
    }

    /// A daemon's error quoting escape sequences (a remote daemon says what it likes), as
    /// `main` prints a `CliError`.
    #[test]
    fn a_daemon_error_is_printed_clean() {
        let source = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message:
                "no such image \u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31mx\ny"
                    .into(),
        };
        let error = super::super::CliError::Engine(crate::engine::EngineError::Daemon {
            host: "far".into(),
            endpoint: "tcp://far:2375".into(),
            source,
        });
        let text = message(&error);
        assert!(
            text.starts_with("fleetdeck: host 'far' (tcp://far:2375) refused the request"),
            "{text}"
        );
        assert!(text.ends_with("no such image x\ny"), "{text:?}");
        for bad in ['\u{1b}', '\u{7}', '\u{9b}'] {
            assert!(!text.contains(bad), "{bad:?} in {text:?}");
        }
        for residue in ["]0;", "[2J", "]52;", "31m"] {
            assert!(!text.contains(residue), "{residue} in {text:?}");
        }
    }
}
