//! The typed [`ConfigValue`], with Kafka's rules for turning a raw string into a
//! typed value and for printing it back.

use std::fmt;

use super::types::{HIDDEN, Password, Type};
use crate::error::{ConnectError, Result};

/// A parsed, typed configuration value; one variant per [`Type`].
///
/// ```
/// use connect_api::config::{ConfigValue, Type};
///
/// let v = ConfigValue::parse(Type::List, "topics", " a, b ,c").unwrap();
/// assert_eq!(v.as_list(), Some(&["a".to_string(), "b".to_string(), "c".to_string()][..]));
/// assert_eq!(v.to_raw_string(), "a,b,c");
///
/// let n = ConfigValue::parse(Type::Int, "batch.size", "100").unwrap();
/// assert_eq!(n.as_i32(), Some(100));
/// assert_eq!(n.as_i64(), Some(100));
///
/// let err = ConfigValue::parse(Type::Int, "batch.size", "ten").unwrap_err();
/// assert_eq!(err.message(), "Invalid value ten for configuration batch.size: Not a number of type INT");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A [`Type::Boolean`] value.
    Boolean(bool),
    /// A [`Type::String`] value.
    String(String),
    /// A [`Type::Int`] value.
    Int(i32),
    /// A [`Type::Short`] value.
    Short(i16),
    /// A [`Type::Long`] value.
    Long(i64),
    /// A [`Type::Double`] value.
    Double(f64),
    /// A [`Type::List`] value.
    List(Vec<String>),
    /// A [`Type::Class`] value.
    Class(String),
    /// A [`Type::Password`] value.
    Password(Password),
}

impl ConfigValue {
    /// Parses a raw string as a value of `ty` for the key `name`, with Kafka's rules:
    /// the string is trimmed; booleans are `true`/`false` in any case; numbers must
    /// fit their width; lists split on commas with each item trimmed (an empty string
    /// is an empty list); a class name may not be empty.
    ///
    /// The error is of kind config, worded as Kafka words it:
    /// `Invalid value <v> for configuration <name>: <reason>`, where `<v>` is
    /// `[hidden]` for passwords.
    pub fn parse(ty: Type, name: &str, raw: &str) -> Result<ConfigValue> {
        parse_raw(ty, raw).map_err(|reason| {
            ConnectError::config(invalid_value_message(name, ty, Some(raw), &reason))
        })
    }

    /// The type this value belongs to.
    pub fn ty(&self) -> Type {
        match self {
            ConfigValue::Boolean(_) => Type::Boolean,
            ConfigValue::String(_) => Type::String,
            ConfigValue::Int(_) => Type::Int,
            ConfigValue::Short(_) => Type::Short,
            ConfigValue::Long(_) => Type::Long,
            ConfigValue::Double(_) => Type::Double,
            ConfigValue::List(_) => Type::List,
            ConfigValue::Class(_) => Type::Class,
            ConfigValue::Password(_) => Type::Password,
        }
    }

    /// The boolean, if this is a [`ConfigValue::Boolean`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ConfigValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, if this is a [`ConfigValue::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ConfigValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The class name, if this is a [`ConfigValue::Class`].
    pub fn as_class(&self) -> Option<&str> {
        match self {
            ConfigValue::Class(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a [`ConfigValue::Short`].
    pub fn as_i16(&self) -> Option<i16> {
        match self {
            ConfigValue::Short(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if this is a [`ConfigValue::Int`] or a (widened)
    /// [`ConfigValue::Short`].
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            ConfigValue::Short(n) => Some(i32::from(*n)),
            ConfigValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if this is a [`ConfigValue::Long`] or a (widened)
    /// [`ConfigValue::Int`] or [`ConfigValue::Short`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ConfigValue::Short(n) => Some(i64::from(*n)),
            ConfigValue::Int(n) => Some(i64::from(*n)),
            ConfigValue::Long(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if this is a [`ConfigValue::Double`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ConfigValue::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The items, if this is a [`ConfigValue::List`].
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            ConfigValue::List(items) => Some(items),
            _ => None,
        }
    }

    /// The password, if this is a [`ConfigValue::Password`].
    pub fn as_password(&self) -> Option<&Password> {
        match self {
            ConfigValue::Password(p) => Some(p),
            _ => None,
        }
    }

    /// Kafka's string form of the value (`ConfigDef.convertToString`): lists joined
    /// by `,`, doubles as Java prints them, and `[hidden]` for a password.
    pub fn to_raw_string(&self) -> String {
        match self {
            ConfigValue::Password(_) => HIDDEN.to_string(),
            other => other.to_unmasked_string(),
        }
    }

    /// Like [`ConfigValue::to_raw_string`] but with the real password. Only for
    /// internal use (validators, typed conversion); never print it.
    pub(crate) fn to_unmasked_string(&self) -> String {
        match self {
            ConfigValue::Boolean(b) => b.to_string(),
            ConfigValue::String(s) | ConfigValue::Class(s) => s.clone(),
            ConfigValue::Int(n) => n.to_string(),
            ConfigValue::Short(n) => n.to_string(),
            ConfigValue::Long(n) => n.to_string(),
            ConfigValue::Double(d) => format_double(*d),
            ConfigValue::List(items) => items.join(","),
            ConfigValue::Password(p) => p.value().to_string(),
        }
    }

    /// The value as JSON, with the real password, for typed conversion.
    pub(crate) fn to_unmasked_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            ConfigValue::Boolean(b) => Json::Bool(*b),
            ConfigValue::String(s) | ConfigValue::Class(s) => Json::String(s.clone()),
            ConfigValue::Int(n) => Json::from(*n),
            ConfigValue::Short(n) => Json::from(*n),
            ConfigValue::Long(n) => Json::from(*n),
            ConfigValue::Double(d) => {
                serde_json::Number::from_f64(*d).map(Json::Number).unwrap_or(Json::Null)
            }
            ConfigValue::List(items) => {
                Json::Array(items.iter().cloned().map(Json::String).collect())
            }
            ConfigValue::Password(p) => Json::String(p.value().to_string()),
        }
    }
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_raw_string())
    }
}

impl From<bool> for ConfigValue {
    fn from(v: bool) -> Self {
        ConfigValue::Boolean(v)
    }
}

impl From<i16> for ConfigValue {
    fn from(v: i16) -> Self {
        ConfigValue::Short(v)
    }
}

impl From<i32> for ConfigValue {
    fn from(v: i32) -> Self {
        ConfigValue::Int(v)
    }
}

impl From<i64> for ConfigValue {
    fn from(v: i64) -> Self {
        ConfigValue::Long(v)
    }
}

impl From<f64> for ConfigValue {
    fn from(v: f64) -> Self {
        ConfigValue::Double(v)
    }
}

impl From<String> for ConfigValue {
    fn from(v: String) -> Self {
        ConfigValue::String(v)
    }
}

impl From<&str> for ConfigValue {
    fn from(v: &str) -> Self {
        ConfigValue::String(v.to_string())
    }
}

impl From<Vec<String>> for ConfigValue {
    fn from(v: Vec<String>) -> Self {
        ConfigValue::List(v)
    }
}

impl From<Password> for ConfigValue {
    fn from(v: Password) -> Self {
        ConfigValue::Password(v)
    }
}

/// Prints a double as Java's `Double.toString` does for the common cases
/// (`1.0`, `0.5`, `NaN`, `Infinity`).
pub(crate) fn format_double(d: f64) -> String {
    if d.is_nan() {
        "NaN".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{d:?}")
    }
}

/// Parses a raw string as `ty`; the error is the reason only.
pub(crate) fn parse_raw(ty: Type, raw: &str) -> std::result::Result<ConfigValue, String> {
    let trimmed = raw.trim();
    let not_a_number = || format!("Not a number of type {ty}");
    match ty {
        Type::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") {
                Ok(ConfigValue::Boolean(true))
            } else if trimmed.eq_ignore_ascii_case("false") {
                Ok(ConfigValue::Boolean(false))
            } else {
                Err("Expected value to be either true or false".to_string())
            }
        }
        Type::String => Ok(ConfigValue::String(trimmed.to_string())),
        Type::Password => Ok(ConfigValue::Password(Password::new(trimmed))),
        Type::Class => {
            if trimmed.is_empty() {
                Err("Class name may not be empty".to_string())
            } else {
                Ok(ConfigValue::Class(trimmed.to_string()))
            }
        }
        Type::Int => trimmed.parse::<i32>().map(ConfigValue::Int).map_err(|_| not_a_number()),
        Type::Short => trimmed.parse::<i16>().map(ConfigValue::Short).map_err(|_| not_a_number()),
        Type::Long => trimmed.parse::<i64>().map(ConfigValue::Long).map_err(|_| not_a_number()),
        Type::Double => trimmed.parse::<f64>().map(ConfigValue::Double).map_err(|_| not_a_number()),
        Type::List => {
            if trimmed.is_empty() {
                Ok(ConfigValue::List(Vec::new()))
            } else {
                Ok(ConfigValue::List(trimmed.split(',').map(|s| s.trim().to_string()).collect()))
            }
        }
    }
}

/// Kafka's `ConfigException(name, value, reason)` message. `shown` is the offending
/// value (`None` prints `null`); for a password key it is replaced by `[hidden]`.
pub(crate) fn invalid_value_message(
    name: &str,
    ty: Type,
    shown: Option<&str>,
    reason: &str,
) -> String {
    let shown = match (ty, shown) {
        (_, None) => "null",
        (Type::Password, Some(_)) => HIDDEN,
        (_, Some(v)) => v,
    };
    format!("Invalid value {shown} for configuration {name}: {reason}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn parse(ty: Type, raw: &str) -> std::result::Result<ConfigValue, String> {
        ConfigValue::parse(ty, "k", raw).map_err(|e| e.message().to_string())
    }

    #[test]
    fn booleans_are_case_insensitive_and_trimmed() {
        assert_eq!(parse(Type::Boolean, " TRUE ").unwrap(), ConfigValue::Boolean(true));
        assert_eq!(parse(Type::Boolean, "False").unwrap(), ConfigValue::Boolean(false));
        assert_eq!(
            parse(Type::Boolean, "yes").unwrap_err(),
            "Invalid value yes for configuration k: Expected value to be either true or false"
        );
    }

    #[test]
    fn numbers_must_fit_their_width() {
        assert_eq!(parse(Type::Short, "32767").unwrap(), ConfigValue::Short(32767));
        assert!(parse(Type::Short, "32768").is_err());
        assert_eq!(parse(Type::Int, " -5 ").unwrap(), ConfigValue::Int(-5));
        assert_eq!(
            parse(Type::Int, "2147483648").unwrap_err(),
            "Invalid value 2147483648 for configuration k: Not a number of type INT"
        );
        assert_eq!(parse(Type::Long, "2147483648").unwrap(), ConfigValue::Long(2_147_483_648));
        assert!(parse(Type::Long, "9223372036854775808").is_err());
        assert_eq!(parse(Type::Double, "0.5").unwrap(), ConfigValue::Double(0.5));
        assert_eq!(
            parse(Type::Double, "1.2.3").unwrap_err(),
            "Invalid value 1.2.3 for configuration k: Not a number of type DOUBLE"
        );
    }

    #[test]
    fn lists_split_on_commas_and_trim_items() {
        let items = |v: ConfigValue| v.as_list().unwrap().to_vec();
        assert_eq!(items(parse(Type::List, " a , b,c ").unwrap()), ["a", "b", "c"]);
        assert!(items(parse(Type::List, "").unwrap()).is_empty());
        assert!(items(parse(Type::List, "   ").unwrap()).is_empty());
        assert_eq!(items(parse(Type::List, "a,,b").unwrap()), ["a", "", "b"]);
        assert_eq!(parse(Type::List, "x, y").unwrap().to_raw_string(), "x,y");
    }

    #[test]
    fn strings_are_trimmed_and_classes_non_empty() {
        assert_eq!(parse(Type::String, "  hi ").unwrap().as_str(), Some("hi"));
        assert_eq!(parse(Type::String, "").unwrap().as_str(), Some(""));
        assert_eq!(parse(Type::Class, " a.B ").unwrap().as_class(), Some("a.B"));
        assert_eq!(
            parse(Type::Class, "  ").unwrap_err(),
            "Invalid value    for configuration k: Class name may not be empty"
        );
    }

    #[test]
    fn password_is_hidden_everywhere_but_value() {
        let p = Password::new("topsecret");
        assert_eq!(p.value(), "topsecret");
        assert_eq!(format!("{p}"), "[hidden]");
        assert_eq!(format!("{p:?}"), "[hidden]");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"[hidden]\"");
        let back: Password = serde_json::from_str("\"topsecret\"").unwrap();
        assert_eq!(back.value(), "topsecret");

        let v = parse(Type::Password, " topsecret ").unwrap();
        assert_eq!(v.as_password().unwrap().value(), "topsecret");
        assert_eq!(v.to_raw_string(), "[hidden]");
        assert_eq!(v.to_string(), "[hidden]");
        assert!(!format!("{v:?}").contains("topsecret"));
        assert_eq!(v.to_unmasked_string(), "topsecret");
    }

    #[test]
    fn invalid_password_values_are_never_echoed() {
        let msg = invalid_value_message("db.password", Type::Password, Some("pw"), "bad");
        assert_eq!(msg, "Invalid value [hidden] for configuration db.password: bad");
        let msg = invalid_value_message("x", Type::Int, None, "Value must be non-null");
        assert_eq!(msg, "Invalid value null for configuration x: Value must be non-null");
    }

    #[test]
    fn accessors_widen_integers_only() {
        assert_eq!(ConfigValue::Short(3).as_i32(), Some(3));
        assert_eq!(ConfigValue::Short(3).as_i64(), Some(3));
        assert_eq!(ConfigValue::Int(3).as_i16(), None);
        assert_eq!(ConfigValue::Long(3).as_i32(), None);
        assert_eq!(ConfigValue::Int(3).as_f64(), None);
        assert_eq!(ConfigValue::Boolean(true).as_bool(), Some(true));
        assert_eq!(ConfigValue::Class("C".into()).as_str(), None);
        assert_eq!(ConfigValue::from(2.0).to_raw_string(), "2.0");
        assert_eq!(ConfigValue::from(f64::INFINITY).to_raw_string(), "Infinity");
        assert_eq!(ConfigValue::from("s").ty(), Type::String);
    }
}
