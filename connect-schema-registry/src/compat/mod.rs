//! Compatibility levels, and which earlier versions a new schema is checked against.
//!
//! The Avro rules themselves are in [`can_read`].

mod resolution;

pub use resolution::can_read;

use std::fmt;
use std::str::FromStr;

use apache_avro::Schema;
use serde::{Deserialize, Serialize};

use crate::error::RegistryError;

/// A subject's compatibility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// No checks.
    None,
    /// The new schema reads data written with the latest one (the default).
    #[default]
    Backward,
    /// The new schema reads data written with every earlier one.
    BackwardTransitive,
    /// The latest schema reads data written with the new one.
    Forward,
    /// Every earlier schema reads data written with the new one.
    ForwardTransitive,
    /// Backward and forward against the latest schema.
    Full,
    /// Backward and forward against every earlier schema.
    FullTransitive,
}

impl CompatibilityLevel {
    /// Every level, in Confluent's order.
    pub const ALL: [CompatibilityLevel; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The level's name (`BACKWARD`, `FULL_TRANSITIVE`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the new schema is checked against every earlier version, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(self, Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive)
    }

    fn backward(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(self, Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive)
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = RegistryError;

    /// Parses a level name in any case (42203 when unknown).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|l| l.name() == upper)
            .ok_or_else(|| RegistryError::invalid_compatibility_level(s))
    }
}

/// One earlier version to check a new schema against.
#[derive(Debug, Clone, Copy)]
pub struct PriorVersion<'a> {
    /// Its version number.
    pub version: i32,
    /// Its schema.
    pub schema: &'a Schema,
}

/// Checks `new` against earlier versions (oldest first) under `level`. Non-transitive
/// levels check the last one only. Returns one message per incompatibility; empty means
/// compatible.
pub fn check(level: CompatibilityLevel, new: &Schema, prior: &[PriorVersion<'_>]) -> Vec<String> {
    let against: &[PriorVersion<'_>] = if level.is_transitive() {
        prior
    } else {
        match prior.split_last() {
            Some((last, _)) => std::slice::from_ref(last),
            None => &[],
        }
    };
    let mut messages = Vec::new();
    for old in against.iter().rev() {
        if level.backward() {
            for m in can_read(old.schema, new) {
                messages.push(format!(
                    "{m} (the new schema cannot read data written with version {}; compatibility {level})",
                    old.version
                ));
            }
        }
        if level.forward() {
            for m in can_read(new, old.schema) {
                messages.push(format!(
                    "{m} (version {} cannot read data written with the new schema; compatibility {level})",
                    old.version
                ));
            }
        }
    }
    messages
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn s(text: &str) -> Schema {
        Schema::parse_str(text).unwrap()
    }

    #[test]
    fn levels_parse_and_choose_what_to_check() {
        assert_eq!(
            "full_transitive".parse::<CompatibilityLevel>().unwrap(),
            CompatibilityLevel::FullTransitive
        );
        assert_eq!("nope".parse::<CompatibilityLevel>().unwrap_err().code, 42203);
        let v1 = s(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let v2 =
            s(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":0}]}"#);
        let v3 = s(r#"{"type":"record","name":"R","fields":[]}"#);
        let prior =
            [PriorVersion { version: 1, schema: &v1 }, PriorVersion { version: 2, schema: &v2 }];
        // Forward: v2 (latest) reads v3 data since its field a has a default; v1 does not.
        assert!(check(CompatibilityLevel::Forward, &v3, &prior).is_empty());
        let msgs = check(CompatibilityLevel::ForwardTransitive, &v3, &prior);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("version 1"), "{msgs:?}");
        assert!(check(CompatibilityLevel::None, &v3, &prior).is_empty());
    }
}
