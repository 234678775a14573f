//! Typed readings of [`Node`]s for the service parser: strings, booleans, numbers, string
//! lists, `K=V` maps, sizes (`512m`, `1g`, bytes), Go-style durations (`1m30s`, via
//! `humantime`), CPU counts and shell-split commands. Each failure names the node's file, line
//! and key.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ComposeError;
use super::error::ValueError;
use super::yaml::{Key, Node, Value};

pub(crate) type Res<T> = Result<T, ComposeError>;

/// The entries of a mapping, refusing any key not in `allowed` (`x-` extension keys are
/// accepted and ignored, as compose does).
pub(crate) fn entries<'a>(
    node: &'a Node,
    path: &str,
    allowed: &[&str],
) -> Res<Vec<(&'a Key, &'a Node)>> {
    let Value::Map(items) = &node.value else {
        return Err(node.error(path, "expected a mapping"));
    };
    let mut out = Vec::new();
    for (key, value) in items {
        if key.name.starts_with("x-") {
            continue;
        }
        if !allowed.contains(&key.name.as_str()) {
            return Err(ComposeError::at(
                &key.file,
                key.line,
                &join(path, &key.name),
                format!("unsupported key '{}'", key.name),
            ));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// `path.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A scalar's text (numbers and booleans as written); `null` refused.
pub(crate) fn string(node: &Node, path: &str) -> Res<String> {
    match &node.value {
        Value::Scalar(s) => Ok(s.clone()),
        _ => Err(node.error(path, "expected a string")),
    }
}

/// A scalar's text, `None` for `null`.
pub(crate) fn opt_string(node: &Node, path: &str) -> Res<Option<String>> {
    match &node.value {
        Value::Null => Ok(None),
        _ => string(node, path).map(Some),
    }
}

pub(crate) fn boolean(node: &Node, path: &str) -> Res<bool> {
    match &node.value {
        Value::Scalar(s) => match s.as_str() {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ => Err(node.error(path, format!("expected true or false, got '{s}'"))),
        },
        _ => Err(node.error(path, "expected true or false")),
    }
}

pub(crate) fn integer(node: &Node, path: &str) -> Res<i64> {
    let text = string(node, path)?;
    text.trim()
        .parse()
        .map_err(|_| node.error(path, format!("expected an integer, got '{text}'")))
}

pub(crate) fn unsigned(node: &Node, path: &str) -> Res<u64> {
    let text = string(node, path)?;
    text.trim().parse().map_err(|_| {
        node.error(
            path,
            format!("expected a non-negative integer, got '{text}'"),
        )
    })
}

/// A list of strings; a single string is a list of one when `single` allows it.
pub(crate) fn strings(node: &Node, path: &str, single: bool) -> Res<Vec<String>> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| string(item, &format!("{path}[{i}]")))
            .collect(),
        Value::Scalar(s) if single => Ok(vec![s.clone()]),
        Value::Null => Ok(Vec::new()),
        _ => Err(node.error(path, "expected a list of strings")),
    }
}

/// A `K=V` list or a mapping; a value-less entry (`- K`, `K:`) gives `None`.
pub(crate) fn kv_map(node: &Node, path: &str) -> Res<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    match &node.value {
        Value::Map(items) => {
            for (key, value) in items {
                out.insert(key.name.clone(), opt_string(value, &join(path, &key.name))?);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let text = string(item, &format!("{path}[{i}]"))?;
                match text.split_once('=') {
                    Some((k, v)) => out.insert(k.to_string(), Some(v.to_string())),
                    None => out.insert(text, None),
                };
            }
        }
        Value::Null => {}
        Value::Scalar(_) => return Err(node.error(path, "expected a mapping or a list")),
    }
    Ok(out)
}

/// A `K=V` list or mapping in which every entry has a value (labels, options).
pub(crate) fn str_map(node: &Node, path: &str) -> Res<BTreeMap<String, String>> {
    Ok(kv_map(node, path)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// Parses a size the way Docker does: a number of bytes, or a number with a unit of `b`, `k`,
/// `m`, `g`, `t`, `p` (any case, optional trailing `b` / `ib`), in powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, ValueError> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || ValueError::Size(text.to_string());
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    if digits_end == 0 {
        return Err(bad());
    }
    let number: f64 = t[..digits_end].parse().map_err(|_| bad())?;
    let unit = t[digits_end..].trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return Err(bad()),
    };
    let bytes = number * 1024f64.powi(power);
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

pub(crate) fn size(node: &Node, path: &str) -> Res<u64> {
    let text = string(node, path)?;
    parse_size(&text).map_err(|m| node.error(path, m))
}

/// Parses a Go-style duration (`1m30s`, `10s`, `500ms`, `1h`) with `humantime`; a bare number
/// is seconds. Fractions (`1.5s`) are not accepted.
pub fn parse_duration(text: &str) -> Result<Duration, ValueError> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t).map_err(|e| ValueError::Duration {
        text: text.to_string(),
        why: e.to_string(),
    })
}

pub(crate) fn duration(node: &Node, path: &str) -> Res<Duration> {
    let text = string(node, path)?;
    parse_duration(&text).map_err(|m| node.error(path, m))
}

/// A CPU count (`0.5`, `2`) as billionths of a CPU.
pub(crate) fn nano_cpus(node: &Node, path: &str) -> Res<u64> {
    let text = string(node, path)?;
    let cpus: f64 = text
        .trim()
        .parse()
        .map_err(|_| node.error(path, format!("expected a number of CPUs, got '{text}'")))?;
    if !cpus.is_finite() || !(0.0..=1.0e9).contains(&cpus) {
        return Err(node.error(path, format!("bad number of CPUs '{text}'")));
    }
    Ok((cpus * 1e9).round() as u64)
}

/// A command: a list as is, or a string split as a POSIX shell would (quotes, `\`).
pub(crate) fn command(node: &Node, path: &str) -> Res<Option<Vec<String>>> {
    match &node.value {
        Value::Null => Ok(None),
        Value::Scalar(s) => shell_split(s).map(Some).map_err(|m| node.error(path, m)),
        Value::Seq(_) => strings(node, path, false).map(Some),
        Value::Map(_) => Err(node.error(path, "expected a string or a list")),
    }
}

/// Splits a command line into words: whitespace separates, `'...'` is literal, `"..."` keeps
/// spaces and takes `\"`, `\\`, `\$`, `` \` `` escapes, a bare `\` escapes the next character.
pub fn shell_split(text: &str) -> Result<Vec<String>, ValueError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(ValueError::UnterminatedQuote(text.to_string())),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(ValueError::UnterminatedQuote(text.to_string())),
                        },
                        Some(c) => word.push(c),
                        None => return Err(ValueError::UnterminatedQuote(text.to_string())),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}
