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
