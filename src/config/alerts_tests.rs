use std::path::Path;

use super::*;
use crate::config::Config;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("c.toml")).map_err(|e| e.to_string())
}

const TWO: &str = r#"
[[alerts]]
name = "deaths"
on = ["crash", "oom"]
containers = ["web-*"]
webhook = "http://127.0.0.1:9/hook"

[[alerts]]
name = "fatal"
on = ["log"]
match = "FATAL"
command = ["logger", "-t", "fleetdeck"]
template = { text = "{{container.name}}: {{message}}" }
dedup = "10s"
rate_limit = 3
"#;

#[test]
fn rules_read_with_their_defaults() {
    let config = parse(TWO).expect("two good rules");
    let rules = &config.alerts.0;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].on, vec![AlertKind::Crash, AlertKind::Oom]);
    assert!(rules[0].containers.allows(Some("web-1")));
    assert!(!rules[0].containers.allows(Some("db-1")));
    assert!(!rules[0].containers.allows(None));
    assert!(rules[0].projects.allows(None), "no globs: everything");
    assert_eq!(rules[0].dedup, Duration::from_secs(300));
    assert_eq!(rules[0].give_up_after, Duration::from_secs(3600));
    assert_eq!(rules[1].dedup, Duration::from_secs(10));
    assert_eq!(rules[1].rate_limit, 3);
    assert!(
        rules[1]
            .pattern
            .as_ref()
            .is_some_and(|p| p.0.is_match("a FATAL b"))
    );
    assert_eq!(rules[1].command[0], "logger");
    assert_eq!(
        rules[1].sinks(),
        vec!["command logger".to_string()],
        "the sinks in words"
    );
}

/// Each bad rule is an error naming the line of the rule (or of the bad value).
#[test]
fn bad_rules_name_the_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[ui]\nmouse = true\n\n[[alerts]]\nname = \"x\"\non = [\"crsh\"]\nwebhook = \"http://h/\"\n",
            "line 6",
            "crsh",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"log\"]\nmatch = \"(unclosed\"\nwebhook = \"http://h/\"\n",
            "line 4",
            "bad match regex",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\ncontainers = [\"web-[\"]\nwebhook = \"http://h/\"\n",
            "line 4",
            "bad glob",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nwebhook = \"ftp://h/\"\n",
            "line 4",
            "http:// or https://",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nwebhook = \"http://h/\"\ntemplate = \"{{nope}}\"\n",
            "line 5",
            "unknown template field",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nwebhook = \"http://h/\"\nafter = \"soon\"\n",
            "line 5",
            "soon",
        ),
    ];
    for (text, line, words) in cases {
        let err = parse(text).expect_err(text);
        assert!(err.contains(line), "{err} (wanted {line})");
        assert!(err.contains(words), "{err} (wanted {words})");
    }
}

/// What only the whole rule can tell is an error too, naming the line where the rule starts.
#[test]
fn incomplete_rules_are_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "[ui]\nmouse = true\n\n[[alerts]]\nname = \"ok\"\non = [\"oom\"]\nwebhook = \"http://h/\"\n\n\
             [[alerts]]\nname = \"x\"\non = [\"log\"]\nwebhook = \"http://h/\"\n",
            "line 9: alert rule 'x': on \"log\" needs `match`",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nmatch = \"a\"\nwebhook = \"http://h/\"\n",
            "only for on \"log\"",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\n",
            "nowhere to send",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = []\nwebhook = \"http://h/\"\n",
            "names no kind",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nwebhook = \"http://h/\"\n\n\
             [[alerts]]\nname = \"x\"\non = [\"oom\"]\nwebhook = \"http://h/\"\n",
            "line 6: two alert rules are named 'x'",
        ),
        (
            "[[alerts]]\nname = \"x\"\non = [\"crash\"]\nwebhook = \"http://h/\"\nbogus = 1\n",
            "bogus",
        ),
    ];
    for (text, words) in cases {
        let err = parse(text).expect_err(text);
        assert!(err.contains("line "), "{err}");
        assert!(err.contains(words), "{err} (wanted {words})");
    }
}

#[test]
fn template_fields_are_found() {
    assert_eq!(
        template_fields("{{rule}}: {{ message }} {{container.name}"),
        vec!["rule", "message"]
    );
}
