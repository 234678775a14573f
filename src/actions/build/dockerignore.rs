//! `.dockerignore` as Docker reads it (moby's `ignorefile.ReadAll` and `patternmatcher`): no
//! Rust crate implements these rules exactly (the `ignore` crate's gitignore matcher differs:
//! an unanchored pattern there matches at any depth, here only from the context root), so this
//! is moby's algorithm, each pattern compiled to a regular expression as moby compiles it.
//!
//! - A line starting with `#` is a comment; blank lines are skipped; surrounding space is
//!   trimmed; `!` makes an exception. A pattern is cleaned (`filepath.Clean`: `./a//b/` → `a/b`)
//!   and a leading `/` dropped: every pattern is relative to the context root.
//! - `*` is any run of characters but `/`, `?` one character but `/`, `**` any number of
//!   directories (also none), `[...]` a class, `\` escapes the next character.
//! - The last pattern that matches a path decides; a pattern also matches every path below a
//!   directory it matches (`MatchesOrParentMatches`).

use regex::Regex;

/// One pattern: its regular expression and whether it is an exception (`!`).
#[derive(Debug, Clone)]
struct Pattern {
    regex: Regex,
    exclusion: bool,
}

/// The patterns of one `.dockerignore`, in order.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

/// A line that cannot be made into a pattern: its number and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(".dockerignore line {line}: '{pattern}': {reason}")]
pub struct PatternError {
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

/// `filepath.Clean` for slash-separated paths.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// moby's `Pattern.compile`: the pattern as an anchored regular expression.
fn to_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    out.push_str(".*");
                } else {
                    out.push_str("(.*/)?");
                }
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => out.push_str(&regex::escape(&next.to_string())),
                None => out.push_str("\\\\"),
            },
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

impl DockerIgnore {
    /// Reads a `.dockerignore`'s text.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut patterns = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            if raw.starts_with('#') {
                continue;
            }
            let mut pattern = raw.trim();
            if pattern.is_empty() {
                continue;
            }
            let exclusion = pattern.starts_with('!');
            if exclusion {
                pattern = pattern[1..].trim();
            }
            let mut cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let regex = Regex::new(&to_regex(&cleaned)).map_err(|e| PatternError {
                line: i + 1,
                pattern: raw.to_string(),
                reason: e.to_string(),
            })?;
            patterns.push(Pattern { regex, exclusion });
        }
        Ok(Self { patterns })
    }

    /// Whether there is an exception (`!`) pattern: then an excluded directory must still be
    /// walked, for what the exception takes back.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Adds an exception for `path` (the Dockerfile and `.dockerignore` are always sent).
    pub fn keep(&mut self, path: &str) {
        let regex = Regex::new(&format!("^{}$", regex::escape(path)));
        if let Ok(regex) = regex {
            self.patterns.push(Pattern {
                regex,
                exclusion: true,
            });
        }
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        let dirs: Vec<&str> = path.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            // An exception only matters once something matched, an exclusion only before.
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.regex.is_match(path);
            if !hit && dirs.len() > 1 {
                hit = (1..dirs.len()).any(|i| p.regex.is_match(&dirs[..i].join("/")));
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).expect("parses")
    }

    #[test]
    fn patterns_are_anchored_at_the_context_root() {
        let d = ignore("secret.txt\n/logs\n");
        assert!(d.excludes("secret.txt"));
        assert!(
            !d.excludes("sub/secret.txt"),
            "no match at depth, unlike gitignore"
        );
        assert!(d.excludes("logs"));
        assert!(d.excludes("logs/today.log"), "below an excluded directory");
    }

    #[test]
    fn star_stays_in_one_directory_and_double_star_crosses() {
        let d = ignore("*.tmp\n**/*.bak\ndocs/**\n");
        assert!(d.excludes("a.tmp"));
        assert!(!d.excludes("dir/a.tmp"));
        assert!(d.excludes("a.bak"));
        assert!(d.excludes("x/y/z.bak"));
        assert!(d.excludes("docs/a/b"));
        assert!(!d.excludes("docsx"));
    }

    #[test]
    fn the_last_matching_pattern_decides() {
        let d = ignore("# comment\n\n*.md\n!README.md\n  \nREADME.md\n");
        assert!(d.excludes("CHANGES.md"));
        assert!(d.excludes("README.md"), "excluded again by the last line");
        let d = ignore("*.md\n!README.md\n");
        assert!(!d.excludes("README.md"));
        assert!(d.has_exceptions());
    }

    #[test]
    fn patterns_are_cleaned_and_special_characters_literal() {
        let d = ignore("./a//b/\nv1.0+(x)\nq?\n[ab]c\n");
        assert!(d.excludes("a/b"));
        assert!(d.excludes("a/b/c"));
        assert!(d.excludes("v1.0+(x)"));
        assert!(!d.excludes("v1x0+(x)"), "a dot is a dot");
        assert!(d.excludes("qz"));
        assert!(d.excludes("bc"));
        assert!(!d.excludes("cc"));
    }

    #[test]
    fn keep_takes_a_path_back() {
        let mut d = ignore("*\n");
        assert!(d.excludes("Dockerfile"));
        d.keep("Dockerfile");
        assert!(!d.excludes("Dockerfile"));
        assert!(d.excludes("other"));
    }

    #[test]
    fn clean_is_go_s() {
        assert_eq!(clean("./a/../b/"), "b");
        assert_eq!(clean("/x/./y"), "/x/y");
        assert_eq!(clean(""), ".");
        assert_eq!(clean("../a"), "../a");
    }
}
