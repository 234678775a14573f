//! Compose variable interpolation alone (`reconcile::compose::interp::interpolate`: `$VAR`,
//! `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
//! `${VAR+alt}`, `$$`, nested defaults) and the `.env` reader (`parse_env_file`) on arbitrary
//! text.
//!
//! Input: `[env] text`; `env` picks the environment (bit 0: `A` set, bit 1: `A` empty rather
//! than a value, bit 2: `B` set, bit 3: values holding `$`, `}` and newlines).
//!
//! What must hold: nothing panics; text without `$` comes back as it is; any text with every
//! `$` doubled comes back as it was (`$$` is a literal `$`); the result is no longer than the
//! text plus one variable's value per `$`; a "required" error only from a `?` form, naming a
//! variable of the text; `parse_env_file` gives keys that are not empty, hold no whitespace,
//! and are unique.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use fleetdeck::reconcile::compose::interp::{InterpError, interpolate, parse_env_file};
use libfuzzer_sys::fuzz_target;

fn env(bits: u8) -> BTreeMap<String, String> {
    let odd = bits & 8 != 0;
    let mut env = BTreeMap::new();
    if bits & 1 != 0 {
        let a = if bits & 2 != 0 {
            ""
        } else if odd {
            "a$b}c\n${A}"
        } else {
            "alpha"
        };
        env.insert("A".to_string(), a.to_string());
    }
    if bits & 4 != 0 {
        let b = if odd { "$$}{" } else { "beta-value" };
        env.insert("B".to_string(), b.to_string());
    }
    env.insert("HOME".to_string(), "/home/fuzz".to_string());
    env.insert("_".to_string(), "underscore".to_string());
    env
}

fuzz_target!(|input: &[u8]| {
    let Some((&bits, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let env = env(bits);
    let longest = env.values().map(String::len).max().unwrap_or(0);

    let result = interpolate(text, &env);
    if !text.contains('$') {
        assert_eq!(result.as_deref(), Ok(text));
    }
    match &result {
        Ok(out) => {
            let dollars = text.matches('$').count();
            assert!(
                out.len() <= text.len() + dollars * longest,
                "{} bytes out of {} with {dollars} '$'",
                out.len(),
                text.len()
            );
        }
        Err(InterpError::Required { var, .. }) => {
            assert!(text.contains('?'), "a required error without '?'");
            assert!(text.contains(var.as_str()), "{var:?} is not in the text");
            assert!(env.get(var).is_none_or(String::is_empty), "{var} is set");
        }
        Err(InterpError::Invalid(_)) => {}
    }

    // Every `$` doubled: the text itself, whatever it holds.
    let escaped = text.replace('$', "$$");
    assert_eq!(interpolate(&escaped, &env).as_deref(), Ok(text));

    if let Ok(vars) = parse_env_file(text, &env) {
        let mut seen = BTreeSet::new();
        for (key, _) in &vars {
            assert!(
                !key.is_empty() && !key.chars().any(char::is_whitespace),
                "{key:?}"
            );
            assert!(seen.insert(key.as_str()), "{key:?} twice");
        }
    }
});
