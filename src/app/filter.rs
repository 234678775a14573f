//! The `/` filter: whitespace-separated terms that must all hold. A term is a case-insensitive
//! substring of the name, image, a label (`key=value`) or the state (run state and health
//! words); `name:`, `image:`, `label:` and `state:` narrow it to one field, and a leading `!`
//! negates it (`!exited`, `!label:env=dev`).

use crate::engine::Container;

/// Which part of a container a term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Any,
    Name,
    Image,
    Label,
    State,
}

/// One term of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negate: bool,
    pub field: Field,
    /// Lower-cased.
    pub needle: String,
}

/// A parsed filter; the text is kept to show and edit it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub text: String,
    pub terms: Vec<Term>,
}

impl Filter {
    /// Parses the filter text. Every text is a valid filter (an unknown `field:` prefix is taken
    /// as part of the substring, so `a:b` still finds a name with a colon).
    pub fn parse(text: &str) -> Self {
        let terms = text
            .split_whitespace()
            .filter_map(|word| {
                let (negate, rest) = match word.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, word),
                };
                let (field, needle) = match rest.split_once(':') {
                    Some(("name", n)) => (Field::Name, n),
                    Some(("image", n)) => (Field::Image, n),
                    Some(("label", n)) => (Field::Label, n),
                    Some(("state", n)) => (Field::State, n),
                    _ => (Field::Any, rest),
                };
                // A lone "!" is not a term yet (the user is still typing).
                (!needle.is_empty()).then(|| Term {
                    negate,
                    field,
                    needle: needle.to_lowercase(),
                })
            })
            .collect();
        Self {
            text: text.to_string(),
            terms,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `c` passes every term.
    pub fn matches(&self, c: &Container) -> bool {
        self.terms.iter().all(|t| t.matches(c) != t.negate)
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        // No allocation on the common path.
        haystack
            .as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            && !needle.is_empty()
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

impl Term {
    fn matches(&self, c: &Container) -> bool {
        let name = || contains(&c.name, &self.needle);
        let image = || contains(&c.image, &self.needle);
        let label = || {
            c.labels
                .iter()
                .any(|(k, v)| contains(&format!("{k}={v}"), &self.needle))
        };
        let state = || {
            contains(c.state.as_str(), &self.needle)
                || c.health.is_some_and(|h| contains(h.as_str(), &self.needle))
        };
        match self.field {
            Field::Any => name() || image() || state() || label(),
            Field::Name => name(),
            Field::Image => image(),
            Field::Label => label(),
            Field::State => state(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ContainerId, Health, RunState};
    use std::collections::BTreeMap;

    fn container(name: &str, image: &str, state: RunState) -> Container {
        let mut c = Container::new(ContainerId(format!("id-{name}")), name.into());
        c.image = image.into();
        c.state = state;
        c.set_labels(BTreeMap::from([("env".to_string(), "prod".to_string())]));
        c
    }

    #[test]
    fn parsing_reads_fields_and_negation() {
        let f = Filter::parse("  web !state:exited label:env=prod  Image:X ");
        assert_eq!(
            f.terms,
            vec![
                Term {
                    negate: false,
                    field: Field::Any,
                    needle: "web".into()
                },
                Term {
                    negate: true,
                    field: Field::State,
                    needle: "exited".into()
                },
                Term {
                    negate: false,
                    field: Field::Label,
                    needle: "env=prod".into()
                },
                Term {
                    negate: false,
                    field: Field::Any,
                    needle: "image:x".into()
                },
            ]
        );
        assert!(Filter::parse("").is_empty());
        assert!(Filter::parse("!").is_empty());
        assert!(Filter::parse("   ").is_empty());
    }

    #[test]
    fn terms_match_their_fields() {
        let web = container("web-1", "nginx:1.25", RunState::Running);
        let mut db = container("db", "postgres:16", RunState::Exited);
        db.labels.insert("env".into(), "dev".into());
        db.health = Some(Health::Unhealthy);
        let table: &[(&str, bool, bool)] = &[
            // filter, matches web, matches db
            ("web", true, false),
            ("WEB", true, false),
            ("nginx", true, false),
            ("!web", false, true),
            ("exited", false, true),
            ("!exited", true, false),
            ("state:run", true, false),
            ("unhealthy", false, true),
            ("label:env=prod", true, false),
            ("env=dev", false, true),
            ("name:post", false, false),
            ("image:post", false, true),
            ("web nginx", true, false),
            ("web postgres", false, false),
            ("", true, true),
        ];
        for (text, on_web, on_db) in table {
            let f = Filter::parse(text);
            assert_eq!(f.matches(&web), *on_web, "{text:?} on web");
            assert_eq!(f.matches(&db), *on_db, "{text:?} on db");
        }
    }
}
