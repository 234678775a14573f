//! The `[gc]` section: what the keeper's GC prunes besides the containers fleetdeck left
//! behind. Off by default. `images = "dangling"` removes the dangling images no container uses;
//! `images = "30d"` (a duration) removes every image no container uses that is older than that.
//! `image_labels = ["team=ci"]` narrows either to the images carrying those labels.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Which images the keeper's GC removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageGc {
    /// None (the default).
    #[default]
    Off,
    /// Dangling images (untagged, no child image) that no container uses.
    Dangling,
    /// Images no container uses, created longer ago than this.
    OlderThan(Duration),
}

impl<'de> Deserialize<'de> for ImageGc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Words;
        impl Visitor<'_> for Words {
            type Value = ImageGc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"\" or \"off\", \"dangling\", or a duration (\"30d\")")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ImageGc, E> {
                match v.trim() {
                    "" | "off" | "none" => Ok(ImageGc::Off),
                    "dangling" => Ok(ImageGc::Dangling),
                    other => crate::duration::parse(other)
                        .map(ImageGc::OlderThan)
                        .map_err(|e| E::custom(format!("images: {e} (or \"dangling\", \"off\")"))),
                }
            }
        }
        d.deserialize_str(Words)
    }
}

/// The `[gc]` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GcConfig {
    pub images: ImageGc,
    /// Only images carrying every one of these labels (`KEY=VALUE` or `KEY`); none: any.
    pub image_labels: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_is_off_dangling_or_an_age() {
        let parse = |text: &str| toml::from_str::<GcConfig>(text).map(|c| c.images);
        assert_eq!(parse(""), Ok(ImageGc::Off));
        assert_eq!(parse("images = \"\""), Ok(ImageGc::Off));
        assert_eq!(parse("images = \"dangling\""), Ok(ImageGc::Dangling));
        assert_eq!(
            parse("images = \"2h\""),
            Ok(ImageGc::OlderThan(Duration::from_secs(7200)))
        );
        assert!(parse("images = \"sometimes\"").is_err());
    }
}
