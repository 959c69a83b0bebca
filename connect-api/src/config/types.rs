//! The kinds of configuration keys and values: [`Type`], [`Importance`],
//! [`Width`] and the secret [`Password`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a password (and every other secret) looks like when printed.
pub(crate) const HIDDEN: &str = "[hidden]";

/// The type of a configuration key, as in Kafka's `ConfigDef.Type`.
///
/// ```
/// use connect_api::config::Type;
///
/// assert_eq!(Type::Long.as_str(), "LONG");
/// assert_eq!(Type::Password.to_string(), "PASSWORD");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// `true` or `false`, case-insensitively.
    Boolean,
    /// Any string (trimmed).
    String,
    /// A 32-bit signed integer.
    Int,
    /// A 16-bit signed integer.
    Short,
    /// A 64-bit signed integer.
    Long,
    /// A 64-bit floating point number.
    Double,
    /// A comma-separated list of strings.
    List,
    /// The name of a class (here: a non-empty plugin or type name).
    Class,
    /// A secret string that is never printed.
    Password,
}

impl Type {
    /// Kafka's upper-case name of the type (`"BOOLEAN"`, `"STRING"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Int => "INT",
            Type::Short => "SHORT",
            Type::Long => "LONG",
            Type::Double => "DOUBLE",
            Type::List => "LIST",
            Type::Class => "CLASS",
            Type::Password => "PASSWORD",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How important a configuration key is, as in Kafka's `ConfigDef.Importance`.
///
/// ```
/// use connect_api::config::Importance;
///
/// assert_eq!(Importance::High.as_str(), "HIGH");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Importance {
    /// Must be understood to run the connector.
    High,
    /// Worth knowing about.
    Medium,
    /// Rarely needs changing.
    Low,
}

impl Importance {
    /// Kafka's upper-case name (`"HIGH"`, `"MEDIUM"`, `"LOW"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

impl fmt::Display for Importance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How wide an input field for the key should be in a UI, as in Kafka's
/// `ConfigDef.Width`.
///
/// ```
/// use connect_api::config::Width;
///
/// assert_eq!(Width::default(), Width::None);
/// assert_eq!(Width::Medium.as_str(), "MEDIUM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Width {
    /// No width hint.
    #[default]
    None,
    /// A short field.
    Short,
    /// A medium field.
    Medium,
    /// A long field.
    Long,
}

impl Width {
    /// Kafka's upper-case name (`"NONE"`, `"SHORT"`, `"MEDIUM"`, `"LONG"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret value. `Debug`, `Display` and serde serialization all print
/// `[hidden]`; only [`Password::value`] gives the secret.
///
/// It deserializes from a plain string, so a typed configuration struct can hold
/// one (see [`ParsedConfig::into_typed`](crate::config::ParsedConfig::into_typed)).
///
/// ```
/// use connect_api::config::Password;
///
/// let p = Password::new("s3cret");
/// assert_eq!(p.value(), "s3cret");
/// assert_eq!(p.to_string(), "[hidden]");
/// assert_eq!(format!("{p:?}"), "[hidden]");
/// assert_eq!(serde_json::to_string(&p).unwrap(), "\"[hidden]\"");
/// let back: Password = serde_json::from_str("\"s3cret\"").unwrap();
/// assert_eq!(back, p);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Password(String);

impl Password {
    /// What every password prints as.
    pub const HIDDEN: &'static str = HIDDEN;

    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    /// The secret itself. Never log it.
    pub fn value(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(HIDDEN)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(Password)
    }
}

impl From<String> for Password {
    fn from(value: String) -> Self {
        Password(value)
    }
}

impl From<&str> for Password {
    fn from(value: &str) -> Self {
        Password(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_importance_width_use_kafka_names() {
        let names: Vec<_> = [
            Type::Boolean,
            Type::String,
            Type::Int,
            Type::Short,
            Type::Long,
            Type::Double,
            Type::List,
            Type::Class,
            Type::Password,
        ]
        .iter()
        .map(|t| t.as_str())
        .collect();
        assert_eq!(
            names,
            ["BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS", "PASSWORD"]
        );
        assert_eq!(Importance::Medium.to_string(), "MEDIUM");
        assert_eq!(Importance::Low.as_str(), "LOW");
        assert_eq!(Width::None.as_str(), "NONE");
        assert_eq!(Width::Long.to_string(), "LONG");
    }
}
