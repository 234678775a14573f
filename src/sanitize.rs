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
}
