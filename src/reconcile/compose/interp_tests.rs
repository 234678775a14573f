//! Interpolation forms and the dotenv format.

use std::collections::BTreeMap;

use super::interp::{InterpError, interpolate, parse_env_file};

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("SET".to_string(), "value".to_string()),
        ("EMPTY".to_string(), String::new()),
        ("PORT".to_string(), "8080".to_string()),
    ])
}

fn i(text: &str) -> Result<String, InterpError> {
    interpolate(text, &env())
}

#[test]
fn plain_and_braced() {
    assert_eq!(i("x-$SET-y").as_deref(), Ok("x-value-y"));
    assert_eq!(i("x-${SET}y").as_deref(), Ok("x-valuey"));
    assert_eq!(i("$UNSET|${UNSET}").as_deref(), Ok("|"));
    assert_eq!(i("no dollars").as_deref(), Ok("no dollars"));
    assert_eq!(i("$PORT:80").as_deref(), Ok("8080:80"));
}

#[test]
fn colon_dash_default_covers_unset_and_empty() {
    assert_eq!(i("${UNSET:-d}").as_deref(), Ok("d"));
    assert_eq!(i("${EMPTY:-d}").as_deref(), Ok("d"));
    assert_eq!(i("${SET:-d}").as_deref(), Ok("value"));
}

#[test]
fn dash_default_covers_unset_only() {
    assert_eq!(i("${UNSET-d}").as_deref(), Ok("d"));
    assert_eq!(i("${EMPTY-d}").as_deref(), Ok(""));
    assert_eq!(i("${SET-d}").as_deref(), Ok("value"));
}

#[test]
fn defaults_are_interpolated_and_may_nest() {
    assert_eq!(i("${UNSET:-${PORT}}").as_deref(), Ok("8080"));
    assert_eq!(i("${UNSET:-a${UNSET2:-b}c}").as_deref(), Ok("abc"));
    assert_eq!(
        i("${UNSET:-has spaces and : colons}").as_deref(),
        Ok("has spaces and : colons")
    );
}

#[test]
fn colon_question_errors_on_unset_or_empty() {
    assert_eq!(
        i("${UNSET:?need it}"),
        Err(InterpError::Required {
            var: "UNSET".into(),
            message: "need it".into()
        })
    );
    assert!(matches!(
        i("${EMPTY:?x}"),
        Err(InterpError::Required { .. })
    ));
    assert_eq!(i("${SET:?x}").as_deref(), Ok("value"));
    let message = i("${UNSET:?need it}").map_err(|e| e.to_string());
    assert_eq!(
        message,
        Err("required variable UNSET is missing a value: need it".to_string())
    );
}

#[test]
fn question_errors_on_unset_only() {
    assert!(matches!(i("${UNSET?x}"), Err(InterpError::Required { .. })));
    assert_eq!(i("${EMPTY?x}").as_deref(), Ok(""));
}

#[test]
fn plus_gives_the_alternative_when_set() {
    assert_eq!(i("${SET:+alt}").as_deref(), Ok("alt"));
    assert_eq!(i("${EMPTY:+alt}").as_deref(), Ok(""));
    assert_eq!(i("${EMPTY+alt}").as_deref(), Ok("alt"));
    assert_eq!(i("${UNSET+alt}").as_deref(), Ok(""));
}

#[test]
fn double_dollar_is_a_literal_dollar() {
    assert_eq!(i("$$SET and $${SET}").as_deref(), Ok("$SET and ${SET}"));
    assert_eq!(i("cost: $$5").as_deref(), Ok("cost: $5"));
}

#[test]
fn invalid_templates_are_errors() {
    for bad in [
        "$1",
        "${",
        "${}",
        "${1A}",
        "${A B}",
        "trailing $",
        "${SET:x}",
    ] {
        assert!(matches!(i(bad), Err(InterpError::Invalid(_))), "{bad}");
    }
}

#[test]
fn env_file_forms() {
    let text = "# comment\n\nA=1\nexport B = two\nC='lit $A'\nD=\"q\\n$A ${B}\"\nE=unq # comment\nSET\nMISSING\nF=\n";
    let vars = parse_env_file(text, &env()).expect("parses");
    let map: BTreeMap<_, _> = vars.into_iter().collect();
    assert_eq!(map.get("A").map(String::as_str), Some("1"));
    assert_eq!(map.get("B").map(String::as_str), Some("two"));
    assert_eq!(map.get("C").map(String::as_str), Some("lit $A"));
    assert_eq!(map.get("D").map(String::as_str), Some("q\n1 two"));
    assert_eq!(map.get("E").map(String::as_str), Some("unq"));
    assert_eq!(map.get("SET").map(String::as_str), Some("value"));
    assert_eq!(map.get("F").map(String::as_str), Some(""));
    assert!(!map.contains_key("MISSING"));
}

#[test]
fn env_file_errors_name_the_line() {
    let err = parse_env_file("A=1\nB=\"open\n", &env()).expect_err("unterminated");
    assert_eq!((err.line, err.key.as_str()), (2, "B"));
    let err = parse_env_file("=x\n", &env()).expect_err("no key");
    assert_eq!(err.line, 1);
}
