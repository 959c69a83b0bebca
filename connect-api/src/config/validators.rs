//! [`Validator`]s check a parsed value of one key; [`Recommender`]s suggest values
//! and decide visibility from the other keys' values.
//!
//! A validator returns only the *reason* a value is wrong (for example
//! `Value must be at least 0`); the [`ConfigDef`](crate::config::ConfigDef) wraps it
//! into Kafka's message `Invalid value <v> for configuration <key>: <reason>`.
//!
//! Unlike Kafka, the built-in value checks ([`Range`], [`ValidString`],
//! [`ValidList`], [`NonEmptyString`]) accept an absent value (`None`): whether a
//! key may be absent is decided by its default (required or
//! [`optional`](crate::config::ConfigKey::optional)); add [`NonNullValidator`] to
//! reject an absent value explicitly.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use super::value::{ConfigValue, format_double};

/// Checks the parsed value of one configuration key, as Kafka's
/// `ConfigDef.Validator`.
///
/// ```
/// use connect_api::config::{ConfigValue, Validator};
///
/// struct Even;
/// impl Validator for Even {
///     fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
///         match value.and_then(ConfigValue::as_i64) {
///             Some(n) if n % 2 != 0 => Err("Value must be even".to_string()),
///             _ => Ok(()),
///         }
///     }
///     fn describe(&self) -> String {
///         "an even number".to_string()
///     }
/// }
/// assert!(Even.ensure_valid("n", Some(&ConfigValue::Int(4))).is_ok());
/// assert_eq!(Even.ensure_valid("n", Some(&ConfigValue::Int(3))).unwrap_err(), "Value must be even");
/// ```
pub trait Validator: Send + Sync {
    /// `Ok` if `value` (absent when `None`) is acceptable for the key `name`,
    /// otherwise the reason it is not.
    fn ensure_valid(&self, name: &str, value: Option<&ConfigValue>) -> Result<(), String>;

    /// A short description of the accepted values, shown in documentation
    /// (Kafka's `toString` of a validator, for example `[0,...,10]`).
    fn describe(&self) -> String {
        String::new()
    }
}

/// Suggests values for a key and decides whether it is visible, from the values
/// of the other keys, as Kafka's `ConfigDef.Recommender`.
///
/// ```
/// use std::collections::BTreeMap;
/// use connect_api::config::{ConfigValue, Recommender};
///
/// /// `ssl.keystore` only matters when `ssl.enabled` is true.
/// struct WhenSsl;
/// impl Recommender for WhenSsl {
///     fn valid_values(&self, _name: &str, _parsed: &BTreeMap<String, ConfigValue>) -> Vec<ConfigValue> {
///         Vec::new()
///     }
///     fn visible(&self, _name: &str, parsed: &BTreeMap<String, ConfigValue>) -> bool {
///         parsed.get("ssl.enabled").and_then(ConfigValue::as_bool).unwrap_or(false)
///     }
/// }
/// let mut parsed = BTreeMap::new();
/// parsed.insert("ssl.enabled".to_string(), ConfigValue::Boolean(true));
/// assert!(WhenSsl.visible("ssl.keystore", &parsed));
/// ```
pub trait Recommender: Send + Sync {
    /// The recommended values for `name`, given the values parsed so far (absent
    /// optional keys are missing from `parsed`).
    fn valid_values(&self, name: &str, parsed: &BTreeMap<String, ConfigValue>) -> Vec<ConfigValue>;

    /// Whether `name` is relevant given the other values; visible by default.
    fn visible(&self, name: &str, parsed: &BTreeMap<String, ConfigValue>) -> bool {
        let _ = (name, parsed);
        true
    }
}

/// A numeric bound of a [`Range`]: integers compare exactly, anything involving a
/// double compares as `f64`.
///
/// ```
/// use connect_api::config::Number;
///
/// assert_eq!(Number::from(5).to_string(), "5");
/// assert_eq!(Number::from(1.0).to_string(), "1.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer bound.
    Int(i64),
    /// A floating point bound.
    Float(f64),
}

impl Number {
    fn of(value: &ConfigValue) -> Option<Number> {
        match value {
            ConfigValue::Double(d) => Some(Number::Float(*d)),
            other => other.as_i64().map(Number::Int),
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Float(d) => d,
        }
    }

    fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::Float(d) => f.write_str(&format_double(*d)),
        }
    }
}

macro_rules! number_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(n: $t) -> Self {
                Number::Int(i64::from(n))
            }
        }
    )*};
}
number_from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for Number {
    fn from(d: f64) -> Self {
        Number::Float(d)
    }
}

impl From<f32> for Number {
    fn from(d: f32) -> Self {
        Number::Float(f64::from(d))
    }
}

/// A numeric value must lie within bounds (Kafka's `ConfigDef.Range`).
///
/// ```
/// use connect_api::config::{ConfigValue, Range, Validator};
///
/// let r = Range::between(1, 10);
/// assert_eq!(r.describe(), "[1,...,10]");
/// assert_eq!(r.ensure_valid("k", Some(&ConfigValue::Int(11))).unwrap_err(), "Value must be no more than 10");
/// assert_eq!(Range::at_least(0).ensure_valid("k", Some(&ConfigValue::Long(-1))).unwrap_err(),
///            "Value must be at least 0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    min: Option<Number>,
    max: Option<Number>,
}

impl Range {
    /// Values must be `>= min`.
    pub fn at_least(min: impl Into<Number>) -> Self {
        Range { min: Some(min.into()), max: None }
    }

    /// Values must be `>= min` and `<= max`.
    pub fn between(min: impl Into<Number>, max: impl Into<Number>) -> Self {
        Range { min: Some(min.into()), max: Some(max.into()) }
    }
}

impl Validator for Range {
    fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        let Some(value) = value else {
            return Ok(());
        };
        let Some(n) = Number::of(value) else {
            return Err("Value must be a number".to_string());
        };
        if let Some(min) = self.min
            && n.compare(min) == Some(Ordering::Less)
        {
            return Err(format!("Value must be at least {min}"));
        }
        if let Some(max) = self.max
            && n.compare(max) == Some(Ordering::Greater)
        {
            return Err(format!("Value must be no more than {max}"));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match (self.min, self.max) {
            (None, None) => "[...]".to_string(),
            (None, Some(max)) => format!("[...,{max}]"),
            (Some(min), None) => format!("[{min},...]"),
            (Some(min), Some(max)) => format!("[{min},...,{max}]"),
        }
    }
}

/// The string form of a value used by the string validators.
fn string_form(value: &ConfigValue) -> String {
    match value {
        ConfigValue::String(s) | ConfigValue::Class(s) => s.clone(),
        other => other.to_unmasked_string(),
    }
}

/// A string value must be one of a fixed set (Kafka's `ConfigDef.ValidString` and
/// `CaseInsensitiveValidString`).
///
/// ```
/// use connect_api::config::{ConfigValue, ValidString, Validator};
///
/// let v = ValidString::in_list(["insert", "upsert"]);
/// assert_eq!(v.describe(), "[insert, upsert]");
/// assert_eq!(v.ensure_valid("mode", Some(&ConfigValue::from("merge"))).unwrap_err(),
///            "String must be one of: insert, upsert");
/// let ci = ValidString::in_list_case_insensitive(["insert", "upsert"]);
/// assert!(ci.ensure_valid("mode", Some(&ConfigValue::from("UPSERT"))).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidString {
    values: Vec<String>,
    case_insensitive: bool,
}

impl ValidString {
    /// The value must equal one of `values` exactly.
    pub fn in_list<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ValidString {
            values: values.into_iter().map(Into::into).collect(),
            case_insensitive: false,
        }
    }

    /// The value must equal one of `values`, ignoring ASCII case.
    pub fn in_list_case_insensitive<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ValidString { case_insensitive: true, ..Self::in_list(values) }
    }

    fn check(&self, s: &str) -> Result<(), String> {
        let found = self
            .values
            .iter()
            .any(|v| if self.case_insensitive { v.eq_ignore_ascii_case(s) } else { v == s });
        if found {
            Ok(())
        } else if self.case_insensitive {
            Err(format!("String must be one of (case insensitive): {}", self.values.join(", ")))
        } else {
            Err(format!("String must be one of: {}", self.values.join(", ")))
        }
    }
}

impl Validator for ValidString {
    fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        match value {
            None => Ok(()),
            Some(v) => self.check(&string_form(v)),
        }
    }

    fn describe(&self) -> String {
        let list = format!("[{}]", self.values.join(", "));
        if self.case_insensitive { format!("(case insensitive) {list}") } else { list }
    }
}

/// Every item of a list value must be one of a fixed set (Kafka's
/// `ConfigDef.ValidList`).
///
/// ```
/// use connect_api::config::{ConfigValue, ValidList, Validator};
///
/// let v = ValidList::in_list(["a", "b"]);
/// let ok = ConfigValue::List(vec!["a".into(), "b".into()]);
/// let bad = ConfigValue::List(vec!["a".into(), "c".into()]);
/// assert!(v.ensure_valid("k", Some(&ok)).is_ok());
/// assert_eq!(v.ensure_valid("k", Some(&bad)).unwrap_err(), "String must be one of: a, b");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidList {
    items: ValidString,
}

impl ValidList {
    /// Every item must equal one of `values`.
    pub fn in_list<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ValidList { items: ValidString::in_list(values) }
    }
}

impl Validator for ValidList {
    fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        match value {
            None => Ok(()),
            Some(ConfigValue::List(items)) => items.iter().try_for_each(|i| self.items.check(i)),
            Some(other) => self.items.check(&string_form(other)),
        }
    }

    fn describe(&self) -> String {
        self.items.describe()
    }
}

/// A string value may not be empty (Kafka's `ConfigDef.NonEmptyString`); an absent
/// value is accepted.
///
/// ```
/// use connect_api::config::{ConfigValue, NonEmptyString, Validator};
///
/// assert_eq!(NonEmptyString.ensure_valid("k", Some(&ConfigValue::from(""))).unwrap_err(),
///            "String may not be empty");
/// assert!(NonEmptyString.ensure_valid("k", None).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NonEmptyString;

impl Validator for NonEmptyString {
    fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        let empty = match value {
            Some(ConfigValue::String(s) | ConfigValue::Class(s)) => s.is_empty(),
            Some(ConfigValue::Password(p)) => p.value().is_empty(),
            _ => false,
        };
        if empty { Err("String may not be empty".to_string()) } else { Ok(()) }
    }

    fn describe(&self) -> String {
        "non-empty string".to_string()
    }
}

/// The value must be present (Kafka's `ConfigDef.NonNullValidator`).
///
/// ```
/// use connect_api::config::{NonNullValidator, Validator};
///
/// assert_eq!(NonNullValidator.ensure_valid("k", None).unwrap_err(), "entry must be non null");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NonNullValidator;

impl Validator for NonNullValidator {
    fn ensure_valid(&self, _name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        match value {
            Some(_) => Ok(()),
            None => Err("entry must be non null".to_string()),
        }
    }

    fn describe(&self) -> String {
        "non-null string".to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn check(v: &dyn Validator, value: impl Into<ConfigValue>) -> Result<(), String> {
        v.ensure_valid("k", Some(&value.into()))
    }

    #[test]
    fn range_uses_kafka_messages_and_descriptions() {
        let at_least = Range::at_least(0);
        assert!(check(&at_least, 0).is_ok());
        assert_eq!(check(&at_least, -1).unwrap_err(), "Value must be at least 0");
        assert_eq!(at_least.describe(), "[0,...]");
        let between = Range::between(1, 10);
        assert_eq!(check(&between, 11i64).unwrap_err(), "Value must be no more than 10");
        assert_eq!(check(&between, 0i16).unwrap_err(), "Value must be at least 1");
        assert!(check(&between, 10).is_ok());
        assert!(between.ensure_valid("k", None).is_ok());
        assert_eq!(check(&between, "x").unwrap_err(), "Value must be a number");
    }

    #[test]
    fn range_compares_doubles_and_large_longs() {
        let r = Range::between(0.5, 1.5);
        assert!(check(&r, 1.0).is_ok());
        assert_eq!(check(&r, 2).unwrap_err(), "Value must be no more than 1.5");
        assert_eq!(check(&r, 0.25).unwrap_err(), "Value must be at least 0.5");
        let big = Range::at_least(i64::MAX);
        assert!(check(&big, i64::MAX - 1).is_err());
        assert!(check(&big, i64::MAX).is_ok());
        assert!(check(&Range::at_least(0), f64::NAN).is_ok());
    }

    #[test]
    fn valid_string_lists_accepted_values() {
        let v = ValidString::in_list(["a", "b"]);
        assert!(check(&v, "a").is_ok());
        assert_eq!(check(&v, "A").unwrap_err(), "String must be one of: a, b");
        assert_eq!(v.describe(), "[a, b]");
        let ci = ValidString::in_list_case_insensitive(["a", "b"]);
        assert!(check(&ci, "B").is_ok());
        assert_eq!(check(&ci, "c").unwrap_err(), "String must be one of (case insensitive): a, b");
        assert_eq!(ci.describe(), "(case insensitive) [a, b]");
    }

    #[test]
    fn valid_list_checks_every_item() {
        let v = ValidList::in_list(["x", "y"]);
        assert!(check(&v, vec!["x".to_string(), "y".to_string()]).is_ok());
        assert!(check(&v, Vec::<String>::new()).is_ok());
        assert_eq!(
            check(&v, vec!["x".to_string(), "z".to_string()]).unwrap_err(),
            "String must be one of: x, y"
        );
        assert_eq!(v.describe(), "[x, y]");
    }

    #[test]
    fn non_empty_and_non_null() {
        assert_eq!(check(&NonEmptyString, "").unwrap_err(), "String may not be empty");
        assert!(check(&NonEmptyString, "x").is_ok());
        assert!(NonEmptyString.ensure_valid("k", None).is_ok());
        assert_eq!(NonEmptyString.describe(), "non-empty string");
        assert_eq!(NonNullValidator.ensure_valid("k", None).unwrap_err(), "entry must be non null");
        assert!(check(&NonNullValidator, 1).is_ok());
    }
}
