//! Unit tests of the exec module: the bounded capture and the audit parameters.

use super::*;

#[test]
fn capture_keeps_the_limit_and_counts_the_rest() {
    let mut c = Capture::new(10);
    c.push(b"hello ");
    assert!(!c.truncated);
    c.push(b"world, again");
    assert!(c.truncated);
    assert_eq!(c.bytes, b"hello worl");
    assert_eq!(c.total, 18);
    c.push(b"more");
    assert_eq!(c.bytes.len(), 10);
    assert_eq!(c.total, 22);
}

#[test]
fn capture_at_exactly_the_limit_is_not_truncated() {
    let mut c = Capture::new(4);
    c.push(b"abcd");
    assert!(!c.truncated);
    c.push(b"");
    assert!(!c.truncated);
}

#[test]
fn capture_text_drops_a_character_cut_by_the_limit() {
    let mut c = Capture::new(4);
    c.push("abcé".as_bytes()); // 5 bytes: é is cut in half
    assert!(c.truncated);
    assert_eq!(c.text(), "abc");
    let mut whole = Capture::new(10);
    whole.push(b"a\xffb");
    assert_eq!(
        whole.text(),
        "a\u{fffd}b",
        "invalid bytes inside still show"
    );
}

#[test]
fn audit_parameters_name_variables_without_values() {
    let request = ExecRequest {
        command: vec!["env".into()],
        env: vec!["TOKEN=secret".into(), "PLAIN".into()],
        ..ExecRequest::default()
    };
    let json = request.audit_parameters("captured");
    assert_eq!(json["env"], serde_json::json!(["TOKEN", "PLAIN"]));
    assert!(!json.to_string().contains("secret"));
}
