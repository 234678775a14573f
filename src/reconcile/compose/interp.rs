//! Variable interpolation as compose does it (`$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a
//! literal `$`, defaults themselves interpolated), and the `.env` / `env_file` format.
//!
//! An unset variable without a default gives the empty string, as compose does (it only warns);
//! a `$` followed by anything that is not a name, `{` or `$` is an invalid template, an error.

use std::collections::BTreeMap;

use super::error::ValueError;

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpError {
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR unset (or empty, for `:?`).
    Required { var: String, message: String },
    /// Not a valid template (`$1`, `${`, `${}` ...).
    Invalid(String),
}

impl std::fmt::Display for InterpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Required { var, message } if message.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            Self::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            Self::Invalid(text) => write!(f, "invalid interpolation format in '{text}'"),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Interpolates `text`, looking variables up in `env`.
pub fn interpolate(text: &str, env: &BTreeMap<String, String>) -> Result<String, InterpError> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let invalid = || InterpError::Invalid(text.to_string());
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some(&n) if is_name_start(n) => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && is_name_char(chars[end]) {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                out.push_str(env.get(&name).map_or("", String::as_str));
                i = end;
            }
            Some('{') => {
                // Find the matching brace, allowing nested `${...}` in the default.
                let mut depth = 1;
                let mut j = i + 2;
                while j < chars.len() {
                    match chars[j] {
                        '{' if chars.get(j.wrapping_sub(1)) == Some(&'$') => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(invalid());
                }
                let inner: String = chars[i + 2..j].iter().collect();
                out.push_str(&braced(&inner, env).map_err(|e| match e {
                    InterpError::Invalid(_) => invalid(),
                    other => other,
                })?);
                i = j + 1;
            }
            _ => return Err(invalid()),
        }
    }
    Ok(out)
}

/// The inside of `${...}`.
fn braced(inner: &str, env: &BTreeMap<String, String>) -> Result<String, InterpError> {
    let name_end = inner
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(inner.len(), |(i, _)| i);
    let name = &inner[..name_end];
    if !name.starts_with(is_name_start) {
        return Err(InterpError::Invalid(inner.to_string()));
    }
    let rest = &inner[name_end..];
    let value = env.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let current = value.cloned().unwrap_or_default();
    let (op, arg) = if rest.is_empty() {
        return Ok(current);
    } else if let Some(arg) = rest.strip_prefix(":-") {
        (":-", arg)
    } else if let Some(arg) = rest.strip_prefix(":?") {
        (":?", arg)
    } else if let Some(arg) = rest.strip_prefix(":+") {
        (":+", arg)
    } else if let Some(arg) = rest.strip_prefix('-') {
        ("-", arg)
    } else if let Some(arg) = rest.strip_prefix('?') {
        ("?", arg)
    } else if let Some(arg) = rest.strip_prefix('+') {
        ("+", arg)
    } else {
        return Err(InterpError::Invalid(inner.to_string()));
    };
    let required = |arg: &str| -> Result<String, InterpError> {
        Err(InterpError::Required {
            var: name.to_string(),
            message: interpolate(arg, env)?,
        })
    };
    match op {
        ":-" if non_empty => Ok(current),
        ":-" => interpolate(arg, env),
        "-" if set => Ok(current),
        "-" => interpolate(arg, env),
        ":?" if non_empty => Ok(current),
        ":?" => required(arg),
        "?" if set => Ok(current),
        "?" => required(arg),
        ":+" if non_empty => interpolate(arg, env),
        "+" if set => interpolate(arg, env),
        _ => Ok(String::new()),
    }
}

/// One line of a `.env` / `env_file` that could not be read: 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileError {
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// Parses the dotenv format compose reads: `KEY=value`, `export KEY=value`, `# comments`,
/// single quotes (literal), double quotes (`\n`, `\t`, `\"`, `\\` escapes, interpolated),
/// unquoted values (trimmed, ` #` starts a comment, interpolated). A bare `KEY` takes its value
/// from `env`, or is left out when `env` has none. Variables are looked up in the earlier lines
/// of the file first, then in `env`.
pub fn parse_env_file(
    text: &str,
    env: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, EnvFileError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut scope = env.clone();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let trimmed = trimmed
            .strip_prefix("export ")
            .unwrap_or(trimmed)
            .trim_start();
        let (key, value) = match trimmed.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim_start())),
            None => (trimmed, None),
        };
        let err = |message: &str| EnvFileError {
            line,
            key: key.to_string(),
            message: message.to_string(),
        };
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(err("expected KEY=value"));
        }
        let value = match value {
            None => match env.get(key) {
                Some(v) => v.clone(),
                None => continue,
            },
            Some(v) => env_value(v, &scope).map_err(|m| err(&m.to_string()))?,
        };
        scope.insert(key.to_string(), value.clone());
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn env_value(v: &str, scope: &BTreeMap<String, String>) -> Result<String, ValueError> {
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or(ValueError::UnterminatedEnvQuote("single"))?;
        return Ok(rest[..end].to_string());
    }
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        loop {
            match chars.next() {
                None => return Err(ValueError::UnterminatedEnvQuote("double")),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(c) => {
                        if c != '"' && c != '\\' && c != '$' {
                            out.push('\\');
                        }
                        if c == '$' {
                            out.push_str("$$");
                        } else {
                            out.push(c);
                        }
                    }
                    None => return Err(ValueError::UnterminatedEnvQuote("double")),
                },
                Some(c) => out.push(c),
            }
        }
        return interpolate(&out, scope).map_err(|e| ValueError::Interpolation(e.to_string()));
    }
    let unquoted = match v.find(" #") {
        Some(i) => &v[..i],
        None => v,
    };
    interpolate(unquoted.trim(), scope).map_err(|e| ValueError::Interpolation(e.to_string()))
}
