//! The one error a compose load gives: which file, which line, which key, and what is wrong.
//! Any error refuses the whole file set.

use std::fmt;
use std::path::{Path, PathBuf};

/// A compose file set that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (it cannot be read).
    pub line: usize,
    /// The dotted key path (`services.web.ports[1]`); empty when no key is involved.
    pub key: String,
    pub message: String,
}

impl ComposeError {
    pub fn at(file: &Path, line: usize, key: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            key: key.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ComposeError {}

/// Why one value (a size, a duration, a port, a quoted string, a tag) cannot be read; placed at
/// its file and line by the caller (`Node::error`), which takes its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("bad size '{0}': expected bytes or a number with b, k, m, g, t or p")]
    Size(String),
    #[error("bad duration '{text}': {why}")]
    Duration { text: String, why: String },
    #[error("unterminated quote in '{0}'")]
    UnterminatedQuote(String),
    #[error("unterminated {0} quote")]
    UnterminatedEnvQuote(&'static str),
    #[error("{0}")]
    Port(&'static str),
    #[error("unsupported tag '{0}': compose takes !reset and !override")]
    Tag(String),
    /// A `${...}` in an env file's value.
    #[error("{0}")]
    Interpolation(String),
}

impl From<ValueError> for String {
    fn from(e: ValueError) -> Self {
        e.to_string()
    }
}
