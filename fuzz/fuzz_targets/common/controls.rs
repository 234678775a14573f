//! The check the log and sanitizer targets share: which control characters text may hold.

/// Whether every control character of `text` is one of `allowed`, or (with `sgr`) the ESC of a
/// complete `ESC [ params m`, params of digits, `;` and `:`.
pub fn only_controls(text: &str, allowed: &[char], sgr: bool) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && sgr {
            if chars.next() != Some('[') {
                return false;
            }
            loop {
                match chars.next() {
                    Some('m') => break,
                    Some(d) if d.is_ascii_digit() || d == ';' || d == ':' => {}
                    _ => return false,
                }
            }
        } else if c.is_control() && !allowed.contains(&c) {
            return false;
        }
    }
    true
}
