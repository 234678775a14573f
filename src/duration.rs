//! The one duration grammar of fleetdeck, for every duration flag and config value: humantime's
//! (`500ms`, `2s`, `1m30s`, `1h 30m`, `1.5h`, `2d`; `ms`, `s`, `m`, `h`, `d` and their longer
//! spellings), with a unit always given. The flags that took a bare number of seconds still do
//! (the CLI adds that); in the config file a plain TOML number keeps the key's own unit
//! (`stop_timeout_s = 10`, `interval_ms = 500`) and a string takes the grammar
//! (`stop_timeout_s = "1m"`).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// What every duration error says is expected.
pub const EXPECTED: &str = "expected a duration like 500ms, 2s, 1m30s or 1h";

/// Why a text is not a duration (in the unit asked for). Each names the text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    #[error("bad duration '{text}': empty ({EXPECTED})")]
    Empty { text: String },
    #[error("bad duration '{text}': no unit ({EXPECTED})")]
    NoUnit { text: String },
    #[error("bad duration '{text}': {why} ({EXPECTED})")]
    Grammar {
        text: String,
        why: humantime::DurationError,
    },
    #[error("bad duration '{text}': not a whole number of {unit}")]
    NotWhole { text: String, unit: &'static str },
    #[error("bad duration '{text}': too long")]
    TooLong { text: String },
}

/// For callers that still carry errors as text.
impl From<DurationError> for String {
    fn from(e: DurationError) -> Self {
        e.to_string()
    }
}

/// Parses a duration in the grammar. The error names the bad value and what was expected.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty { text: text.into() });
    }
    // humantime reads a lone "0" as zero; here a unit is always given (a bare number's unit
    // depends on where it is written, and only the caller knows that).
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Err(DurationError::NoUnit { text: text.into() });
    }
    humantime::parse_duration(&with_whole_fractions(t)).map_err(|why| DurationError::Grammar {
        text: text.into(),
        why,
    })
}

/// `.5s` and `1.s`, which fleetdeck's earlier parser took, as humantime takes them: `0.5s`,
/// `1.0s`.
fn with_whole_fractions(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 2);
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' && !i.checked_sub(1).is_some_and(|p| chars[p].is_ascii_digit()) {
            out.push('0');
        }
        out.push(c);
        if c == '.' && !chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            out.push('0');
        }
    }
    out
}

/// `duration` in whole units of `unit` (`1` for seconds, `1_000` for milliseconds, as units a
/// second holds), or why not.
fn whole(
    duration: Duration,
    per_second: u128,
    unit: &'static str,
    text: &str,
) -> Result<u64, DurationError> {
    let nanos_per_unit = 1_000_000_000 / per_second;
    let nanos = duration.as_nanos();
    if nanos % nanos_per_unit != 0 {
        return Err(DurationError::NotWhole {
            text: text.into(),
            unit,
        });
    }
    u64::try_from(nanos / nanos_per_unit).map_err(|_| DurationError::TooLong { text: text.into() })
}

/// A duration in whole seconds.
pub fn whole_seconds(text: &str) -> Result<u64, DurationError> {
    whole(parse(text)?, 1, "seconds", text)
}

/// A duration in whole milliseconds.
pub fn whole_millis(text: &str) -> Result<u64, DurationError> {
    whole(parse(text)?, 1_000, "milliseconds", text)
}

/// A config value in the key's unit: a plain number of it, or a string in the grammar.
struct InUnit {
    per_second: u128,
    unit: &'static str,
}

impl Visitor<'_> for InUnit {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a number of {} or a duration like \"500ms\", \"2s\", \"1m30s\" or \"1h\"",
            self.unit
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse(v)
            .and_then(|d| whole(d, self.per_second, self.unit, v))
            .map_err(E::custom)
    }
}

/// For `#[serde(deserialize_with)]`: a number of seconds, or a duration string.
pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(InUnit {
        per_second: 1,
        unit: "seconds",
    })
}

/// [`seconds`] for the keys held as signed seconds (they are compared with time differences).
pub fn seconds_signed<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = seconds(d)?;
    i64::try_from(s).map_err(|_| de::Error::custom(format!("{s} seconds is too long")))
}

/// For `#[serde(deserialize_with)]`: a number of milliseconds, or a duration string.
pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(InUnit {
        per_second: 1_000,
        unit: "milliseconds",
    })
}

/// A config value that is a duration itself: a string in the grammar, or a plain number of
/// seconds (`backoff = "1s"`, `settle = 5`).
struct AsDuration;

impl Visitor<'_> for AsDuration {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a duration like \"500ms\", \"2s\", \"1m30s\" or \"1h\", or a number of seconds",
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_secs)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse(v).map_err(E::custom)
    }
}

/// For `#[serde(deserialize_with)]`: a [`Duration`] from a duration string or seconds.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(AsDuration)
}

/// [`duration`] for an optional key (`""` or left out: none).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    struct Opt;
    impl Visitor<'_> for Opt {
        type Value = Option<Duration>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            AsDuration.expecting(f)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            AsDuration.visit_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            AsDuration.visit_i64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            AsDuration.visit_str(v).map(Some)
        }
    }
    d.deserialize_any(Opt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar() {
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1.s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(2 * 86400)));
        assert_eq!(parse(" 10m "), Ok(Duration::from_secs(600)));
        for bad in [
            "",
            "0",
            "10",
            "2x",
            "s",
            "m",
            "1.5",
            ".",
            "-1s",
            "99999999999999999999s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} is not a duration");
        }
        let err = parse("2x").expect_err("unknown unit").to_string();
        assert!(err.contains("'2x'") && err.contains("500ms"), "{err}");
    }

    #[test]
    fn whole_units() {
        assert_eq!(whole_seconds("1m"), Ok(60));
        assert_eq!(whole_millis("1.5s"), Ok(1500));
        let err = whole_seconds("1500ms").expect_err("not whole").to_string();
        assert!(err.contains("whole number of seconds"), "{err}");
    }

    #[test]
    fn config_values_take_numbers_in_the_key_unit_or_strings() {
        #[derive(Debug, serde::Deserialize)]
        struct Keys {
            #[serde(deserialize_with = "seconds")]
            wait_s: u64,
            #[serde(deserialize_with = "millis")]
            every_ms: u64,
        }
        let keys: Keys = toml::from_str("wait_s = 10\nevery_ms = 250\n").expect("numbers");
        assert_eq!((keys.wait_s, keys.every_ms), (10, 250));
        let keys: Keys = toml::from_str("wait_s = \"1m\"\nevery_ms = \"1.5s\"\n").expect("strings");
        assert_eq!((keys.wait_s, keys.every_ms), (60, 1500));
        let err =
            toml::from_str::<Keys>("wait_s = \"soon\"\nevery_ms = 1\n").expect_err("bad string");
        assert!(err.to_string().contains("bad duration 'soon'"), "{err}");
        assert!(toml::from_str::<Keys>("wait_s = -1\nevery_ms = 1\n").is_err());
    }

    #[test]
    fn durations_themselves() {
        #[derive(Debug, serde::Deserialize)]
        struct Keys {
            #[serde(deserialize_with = "duration")]
            backoff: Duration,
            #[serde(default, deserialize_with = "optional")]
            max_age: Option<Duration>,
        }
        let keys: Keys = toml::from_str("backoff = \"1.5s\"\nmax_age = \"2h\"\n").expect("strings");
        assert_eq!(keys.backoff, Duration::from_millis(1500));
        assert_eq!(keys.max_age, Some(Duration::from_secs(7200)));
        let keys: Keys = toml::from_str("backoff = 3\n").expect("seconds");
        assert_eq!((keys.backoff, keys.max_age), (Duration::from_secs(3), None));
        let keys: Keys = toml::from_str("backoff = 3\nmax_age = \"\"\n").expect("empty");
        assert_eq!(keys.max_age, None);
        assert!(toml::from_str::<Keys>("backoff = \"soon\"\n").is_err());
    }
}
