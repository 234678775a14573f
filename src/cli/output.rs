//! Output helpers: a plain text table, JSON lines, and writes that end quietly when the reader
//! goes away (`fleetdeck ps | head`).

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::sanitize::printable;

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

/// Prints a JSON value on one line.
pub fn json_line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
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
        assert_eq!(text, "NAME   STATE\nweb-1  running\na\u{fffd}[2J  exited\n");
    }
}
