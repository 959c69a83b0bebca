//! [`ConfigKey`]: the definition of one configuration key, built with a consuming
//! builder.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::types::{HIDDEN, Importance, Password, Type, Width};
use super::validators::{Recommender, Validator};
use super::value::{ConfigValue, invalid_value_message, parse_raw};

/// A default given to [`ConfigKey::default_value`]: either a raw string, parsed
/// with the key's type, or an already typed value (converted to the key's type
/// through its string form if the types differ).
///
/// ```
/// use connect_api::config::{ConfigValue, DefaultValue};
///
/// assert_eq!(DefaultValue::from("10"), DefaultValue::Raw("10".to_string()));
/// assert_eq!(DefaultValue::from(10), DefaultValue::Typed(ConfigValue::Int(10)));
/// ```
#[derive(Clone, PartialEq)]
pub enum DefaultValue {
    /// A raw string, as it would appear in a properties file.
    Raw(String),
    /// A typed value.
    Typed(ConfigValue),
}

impl fmt::Debug for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The key's type is unknown here, so a raw default could be a password.
            DefaultValue::Raw(_) => f.write_str("Raw(..)"),
            DefaultValue::Typed(v) => f.debug_tuple("Typed").field(v).finish(),
        }
    }
}

impl From<&str> for DefaultValue {
    fn from(v: &str) -> Self {
        DefaultValue::Raw(v.to_string())
    }
}

impl From<String> for DefaultValue {
    fn from(v: String) -> Self {
        DefaultValue::Raw(v)
    }
}

impl From<ConfigValue> for DefaultValue {
    fn from(v: ConfigValue) -> Self {
        DefaultValue::Typed(v)
    }
}

macro_rules! default_from_typed {
    ($($t:ty),*) => {$(
        impl From<$t> for DefaultValue {
            fn from(v: $t) -> Self {
                DefaultValue::Typed(ConfigValue::from(v))
            }
        }
    )*};
}
default_from_typed!(bool, i16, i32, i64, f64, Vec<String>, Password);

impl From<Vec<&str>> for DefaultValue {
    fn from(v: Vec<&str>) -> Self {
        DefaultValue::Typed(ConfigValue::List(v.into_iter().map(str::to_string).collect()))
    }
}

/// The default of a defined key, already parsed with the key's type.
#[derive(Clone, PartialEq)]
pub(crate) enum KeyDefault {
    /// No default: the key is required (Kafka's `NO_DEFAULT_VALUE`).
    Required,
    /// A `null` default: the key is optional and absent when not set.
    Null,
    /// A typed default.
    Value(ConfigValue),
    /// A default that does not parse as the key's type; reported by
    /// [`ConfigDef`](crate::config::ConfigDef) as a definition error, treated as
    /// `Null` otherwise.
    Invalid {
        /// The offending default, `[hidden]` for passwords.
        shown: String,
        /// Why it does not parse.
        reason: String,
    },
}

/// The definition of one configuration key, as Kafka's `ConfigDef.ConfigKey`.
///
/// Built with a consuming builder starting from [`ConfigKey::new`]; a key without
/// [`default_value`](ConfigKey::default_value) or [`optional`](ConfigKey::optional)
/// is required. The builder methods take the plain names (`group`, `width`, ...),
/// so the matching read accessors are prefixed with `get_`.
///
/// ```
/// use connect_api::config::{ConfigKey, Importance, Range, Type, Width};
///
/// let key = ConfigKey::new("batch.size", Type::Int, Importance::Medium, "Records per batch.")
///     .default_value(100)
///     .validator(Range::at_least(1))
///     .group("Connection")
///     .order_in_group(2)
///     .width(Width::Short)
///     .display_name("Batch size");
/// assert_eq!(key.name(), "batch.size");
/// assert!(!key.is_required());
/// assert_eq!(key.get_default().and_then(|v| v.as_i32()), Some(100));
/// assert_eq!(key.get_display_name(), "Batch size");
/// assert_eq!(key.get_group(), Some("Connection"));
///
/// let url = ConfigKey::new("connection.url", Type::String, Importance::High, "JDBC URL.");
/// assert!(url.is_required());
/// let opt = ConfigKey::new("table", Type::String, Importance::Low, "Table.").optional();
/// assert!(!opt.is_required() && opt.get_default().is_none());
/// ```
#[derive(Clone)]
pub struct ConfigKey {
    name: String,
    ty: Type,
    importance: Importance,
    documentation: String,
    default: KeyDefault,
    validator: Option<Arc<dyn Validator>>,
    group: Option<String>,
    order_in_group: Option<i32>,
    width: Width,
    display_name: Option<String>,
    dependents: Vec<String>,
    recommender: Option<Arc<dyn Recommender>>,
    internal: bool,
}

impl ConfigKey {
    /// A required key of type `ty` with no validator, group or recommender.
    pub fn new(
        name: impl Into<String>,
        ty: Type,
        importance: Importance,
        documentation: impl Into<String>,
    ) -> Self {
        ConfigKey {
            name: name.into(),
            ty,
            importance,
            documentation: documentation.into(),
            default: KeyDefault::Required,
            validator: None,
            group: None,
            order_in_group: None,
            width: Width::None,
            display_name: None,
            dependents: Vec::new(),
            recommender: None,
            internal: false,
        }
    }

    /// Gives the key a default, making it optional. A raw string is parsed with
    /// the key's type; a typed value of another type is converted through its
    /// string form. A default that does not fit the type is reported as a
    /// definition error by [`ConfigDef`](crate::config::ConfigDef).
    pub fn default_value(mut self, default: impl Into<DefaultValue>) -> Self {
        let raw = match default.into() {
            DefaultValue::Typed(v) if v.ty() == self.ty => {
                self.default = KeyDefault::Value(v);
                return self;
            }
            DefaultValue::Typed(v) => v.to_unmasked_string(),
            DefaultValue::Raw(s) => s,
        };
        self.default = match parse_raw(self.ty, &raw) {
            Ok(v) => KeyDefault::Value(v),
            Err(reason) => KeyDefault::Invalid {
                shown: if self.ty == Type::Password { HIDDEN.to_string() } else { raw },
                reason,
            },
        };
        self
    }

    /// Makes the key optional with a `null` default: when not set it has no value
    /// (Kafka's `null` default, as opposed to `NO_DEFAULT_VALUE`).
    pub fn optional(mut self) -> Self {
        self.default = KeyDefault::Null;
        self
    }

    /// Makes the key required again (no default), the state after
    /// [`ConfigKey::new`].
    pub fn required(mut self) -> Self {
        self.default = KeyDefault::Required;
        self
    }

    /// Sets the validator run on the parsed value (and on the default).
    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validator = Some(Arc::new(validator));
        self
    }

    /// Puts the key in a UI group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Sets the key's position within its group.
    pub fn order_in_group(mut self, order: i32) -> Self {
        self.order_in_group = Some(order);
        self
    }

    /// Sets the UI width hint.
    pub fn width(mut self, width: Width) -> Self {
        self.width = width;
        self
    }

    /// Sets the name shown in a UI (the key name when unset).
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Sets the keys whose recommendations or visibility depend on this key.
    pub fn dependents<I, S>(mut self, dependents: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dependents = dependents.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the recommender consulted by
    /// [`ConfigDef::validate`](crate::config::ConfigDef::validate).
    pub fn recommender(mut self, recommender: impl Recommender + 'static) -> Self {
        self.recommender = Some(Arc::new(recommender));
        self
    }

    /// Marks the key as internal (left out of generated documentation).
    pub fn internal(mut self) -> Self {
        self.internal = true;
        self
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's type.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The key's importance.
    pub fn importance(&self) -> Importance {
        self.importance
    }

    /// The key's documentation.
    pub fn documentation(&self) -> &str {
        &self.documentation
    }

    /// Whether the key has no default and so must be set.
    pub fn is_required(&self) -> bool {
        self.default == KeyDefault::Required
    }

    /// Whether the key has a default (possibly `null`); the opposite of
    /// [`ConfigKey::is_required`].
    pub fn has_default(&self) -> bool {
        !self.is_required()
    }

    /// The typed default; `None` when required, `null` or invalid.
    pub fn get_default(&self) -> Option<&ConfigValue> {
        match &self.default {
            KeyDefault::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The default in Kafka's string form as the REST API shows it: `None` when
    /// required or `null`, `[hidden]` for a password.
    pub fn default_string(&self) -> Option<String> {
        match &self.default {
            KeyDefault::Required | KeyDefault::Null => None,
            KeyDefault::Value(v) => Some(v.to_raw_string()),
            KeyDefault::Invalid { shown, .. } => Some(shown.clone()),
        }
    }

    /// The validator, if any.
    pub fn get_validator(&self) -> Option<&dyn Validator> {
        self.validator.as_deref()
    }

    /// The UI group, if any.
    pub fn get_group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The position within the group, if set.
    pub fn get_order_in_group(&self) -> Option<i32> {
        self.order_in_group
    }

    /// The UI width hint.
    pub fn get_width(&self) -> Width {
        self.width
    }

    /// The name shown in a UI: the display name, or the key name when unset.
    pub fn get_display_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// The keys that depend on this one.
    pub fn get_dependents(&self) -> &[String] {
        &self.dependents
    }

    /// The recommender, if any.
    pub fn get_recommender(&self) -> Option<&dyn Recommender> {
        self.recommender.as_deref()
    }

    /// Whether the key is internal.
    pub fn is_internal(&self) -> bool {
        self.internal
    }

    /// What is wrong with the definition itself: a default that does not parse,
    /// or that the validator rejects (Kafka checks both when a key is defined).
    pub(crate) fn definition_error(&self) -> Option<String> {
        let reason_for = |shown: Option<&str>, reason: &str| {
            let shown = match (self.ty, shown) {
                (_, None) => "null",
                (Type::Password, Some(_)) => HIDDEN,
                (_, Some(s)) => s,
            };
            Some(format!("Invalid default value {shown} for configuration {}: {reason}", self.name))
        };
        let value = match &self.default {
            KeyDefault::Required => return None,
            KeyDefault::Invalid { shown, reason } => return reason_for(Some(shown), reason),
            KeyDefault::Null => None,
            KeyDefault::Value(v) => Some(v),
        };
        let validator = self.validator.as_ref()?;
        match validator.ensure_valid(&self.name, value) {
            Ok(()) => None,
            Err(reason) => reason_for(value.map(ConfigValue::to_raw_string).as_deref(), &reason),
        }
    }

    /// The value of the key given its raw setting (if set): the parsed setting,
    /// the default, or absent. Errors are full Kafka messages.
    pub(crate) fn parse_or_default(
        &self,
        raw: Option<&str>,
    ) -> std::result::Result<Option<ConfigValue>, String> {
        match raw {
            Some(raw) => parse_raw(self.ty, raw)
                .map(Some)
                .map_err(|reason| invalid_value_message(&self.name, self.ty, Some(raw), &reason)),
            None => match &self.default {
                KeyDefault::Required => Err(format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    self.name
                )),
                KeyDefault::Null | KeyDefault::Invalid { .. } => Ok(None),
                KeyDefault::Value(v) => Ok(Some(v.clone())),
            },
        }
    }

    /// Runs the validator (if any) on a value; the error is a full Kafka message.
    pub(crate) fn check(&self, value: Option<&ConfigValue>) -> std::result::Result<(), String> {
        match &self.validator {
            None => Ok(()),
            Some(v) => v.ensure_valid(&self.name, value).map_err(|reason| {
                let shown = value.map(ConfigValue::to_raw_string);
                invalid_value_message(&self.name, self.ty, shown.as_deref(), &reason)
            }),
        }
    }
}

impl ConfigKey {
    /// This key as [`ConfigDef::embed`](crate::config::ConfigDef::embed) adds it: named
    /// `prefix` + its name, in `group` (`group: <own group>` when it has one) at
    /// position `order`, its dependents prefixed too. Its validator and recommender
    /// still see the names they were written for: the key's own name, and the parsed
    /// values of the keys under `prefix` with the prefix stripped.
    pub(crate) fn embedded(&self, prefix: &str, group: &str, order: i32) -> ConfigKey {
        let mut key = self.clone();
        key.name = format!("{prefix}{}", self.name);
        key.group = Some(match &self.group {
            Some(own) => format!("{group}: {own}"),
            None => group.to_string(),
        });
        key.order_in_group = Some(order);
        key.dependents = self.dependents.iter().map(|d| format!("{prefix}{d}")).collect();
        key.validator = self.validator.as_ref().map(|inner| {
            Arc::new(Embedded { prefix: prefix.to_string(), inner: inner.clone() })
                as Arc<dyn Validator>
        });
        key.recommender = self.recommender.as_ref().map(|inner| {
            Arc::new(Embedded { prefix: prefix.to_string(), inner: inner.clone() })
                as Arc<dyn Recommender>
        });
        key
    }
}

/// A validator or recommender of an embedded key, called with the names it was
/// written for.
struct Embedded<T: ?Sized> {
    prefix: String,
    inner: Arc<T>,
}

impl<T: ?Sized> Embedded<T> {
    fn own<'a>(&self, name: &'a str) -> &'a str {
        name.strip_prefix(self.prefix.as_str()).unwrap_or(name)
    }

    fn own_values(&self, parsed: &BTreeMap<String, ConfigValue>) -> BTreeMap<String, ConfigValue> {
        parsed
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(self.prefix.as_str()).map(|k| (k.to_string(), v.clone()))
            })
            .collect()
    }
}

impl Validator for Embedded<dyn Validator> {
    fn ensure_valid(&self, name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        self.inner.ensure_valid(self.own(name), value)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

impl Recommender for Embedded<dyn Recommender> {
    fn valid_values(&self, name: &str, parsed: &BTreeMap<String, ConfigValue>) -> Vec<ConfigValue> {
        self.inner.valid_values(self.own(name), &self.own_values(parsed))
    }

    fn visible(&self, name: &str, parsed: &BTreeMap<String, ConfigValue>) -> bool {
        self.inner.visible(self.own(name), &self.own_values(parsed))
    }
}

impl fmt::Debug for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = match &self.default {
            KeyDefault::Required => "<required>".to_string(),
            KeyDefault::Null => "null".to_string(),
            KeyDefault::Value(v) => v.to_raw_string(),
            KeyDefault::Invalid { shown, .. } => format!("<invalid: {shown}>"),
        };
        f.debug_struct("ConfigKey")
            .field("name", &self.name)
            .field("type", &self.ty)
            .field("importance", &self.importance)
            .field("default", &default)
            .field("validator", &self.validator.as_ref().map(|v| v.describe()))
            .field("group", &self.group)
            .field("order_in_group", &self.order_in_group)
            .field("width", &self.width)
            .field("display_name", &self.get_display_name())
            .field("dependents", &self.dependents)
            .field("recommender", &self.recommender.is_some())
            .field("internal", &self.internal)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::config::{NonNullValidator, Range};

    fn key(ty: Type) -> ConfigKey {
        ConfigKey::new("k", ty, Importance::High, "doc")
    }

    #[test]
    fn new_key_is_required_and_displays_its_name() {
        let k = key(Type::String);
        assert!(k.is_required());
        assert!(!k.has_default());
        assert_eq!(k.get_display_name(), "k");
        assert_eq!(k.get_order_in_group(), None);
        assert_eq!(k.get_width(), Width::None);
        assert_eq!(k.default_string(), None);
        assert_eq!(
            k.parse_or_default(None).unwrap_err(),
            "Missing required configuration \"k\" which has no default value."
        );
    }

    #[test]
    fn raw_and_typed_defaults_are_parsed_with_the_key_type() {
        assert_eq!(key(Type::Long).default_value("5").get_default(), Some(&ConfigValue::Long(5)));
        assert_eq!(key(Type::Long).default_value(5).get_default(), Some(&ConfigValue::Long(5)));
        assert_eq!(
            key(Type::Double).default_value(1).get_default(),
            Some(&ConfigValue::Double(1.0))
        );
        assert_eq!(
            key(Type::List).default_value(vec!["a", "b"]).default_string().as_deref(),
            Some("a,b")
        );
        let bad = key(Type::Int).default_value("x");
        assert_eq!(
            bad.definition_error().unwrap(),
            "Invalid default value x for configuration k: Not a number of type INT"
        );
        assert_eq!(bad.parse_or_default(None).unwrap(), None);
    }

    #[test]
    fn optional_and_required_switch_the_default() {
        let k = key(Type::Int).optional();
        assert!(k.has_default());
        assert_eq!(k.parse_or_default(None).unwrap(), None);
        assert!(k.required().is_required());
    }

    #[test]
    fn default_is_checked_by_the_validator() {
        let k = key(Type::Int).default_value(-1).validator(Range::at_least(0));
        assert_eq!(
            k.definition_error().unwrap(),
            "Invalid default value -1 for configuration k: Value must be at least 0"
        );
        let k = key(Type::Int).optional().validator(NonNullValidator);
        assert_eq!(
            k.definition_error().unwrap(),
            "Invalid default value null for configuration k: entry must be non null"
        );
        assert!(key(Type::Int).validator(NonNullValidator).definition_error().is_none());
    }

    #[test]
    fn password_default_is_hidden() {
        let k = key(Type::Password).default_value("changeit");
        assert_eq!(k.default_string().as_deref(), Some("[hidden]"));
        assert!(!format!("{k:?}").contains("changeit"));
        assert!(!format!("{:?}", DefaultValue::from("changeit")).contains("changeit"));
        assert_eq!(
            k.get_default().and_then(ConfigValue::as_password).map(Password::value),
            Some("changeit")
        );
    }

    #[test]
    fn builder_sets_every_attribute() {
        let k = key(Type::Boolean)
            .default_value(true)
            .group("G")
            .order_in_group(3)
            .width(Width::Long)
            .display_name("Kay")
            .dependents(["a", "b"])
            .internal();
        assert_eq!(k.get_group(), Some("G"));
        assert_eq!(k.get_order_in_group(), Some(3));
        assert_eq!(k.get_width(), Width::Long);
        assert_eq!(k.get_display_name(), "Kay");
        assert_eq!(k.get_dependents(), ["a", "b"]);
        assert!(k.is_internal());
        assert!(k.get_validator().is_none() && k.get_recommender().is_none());
        assert_eq!(k.importance(), Importance::High);
        assert_eq!(k.documentation(), "doc");
    }
}
