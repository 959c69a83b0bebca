//! [`ParsedConfig`]: the typed result of
//! [`ConfigDef::parse`](crate::config::ConfigDef::parse), and its conversion into a
//! connector's own serde struct.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;

use super::RawConfig;
use super::types::{HIDDEN, Password, Type};
use super::value::ConfigValue;
use crate::error::{ConnectError, Result};

/// A parsed configuration: one typed value per defined key that has one (absent
/// optional keys have none), plus the original raw settings, unknown keys
/// included (Kafka's `AbstractConfig`).
///
/// `Debug` shows passwords as `[hidden]`, in the typed values and in the
/// originals (for password keys, and for unknown keys whose name contains
/// `password`).
///
/// A connector's typed configuration is a serde struct tied to its
/// [`ConfigDef`](crate::config::ConfigDef) through [`ParsedConfig::into_typed`]:
///
/// ```
/// use serde::Deserialize;
/// use connect_api::config::{ConfigDef, ConfigKey, Importance, Password, RawConfig, Type};
///
/// #[derive(Deserialize)]
/// struct MyConfig {
///     #[serde(rename = "file")]
///     file: String,
///     #[serde(rename = "batch.size")]
///     batch_size: i32,
///     #[serde(rename = "topics")]
///     topics: Vec<String>,
///     #[serde(rename = "db.password")]
///     password: Option<Password>,
/// }
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("file", Type::String, Importance::High, "File to read."))
///     .define(ConfigKey::new("batch.size", Type::Int, Importance::Low, "Batch size.").default_value(2000))
///     .define(ConfigKey::new("topics", Type::List, Importance::High, "Topics."))
///     .define(ConfigKey::new("db.password", Type::Password, Importance::High, "Secret.").optional());
///
/// let mut raw = RawConfig::new();
/// raw.insert("file".into(), "/tmp/in.txt".into());
/// raw.insert("topics".into(), "a, b".into());
/// raw.insert("db.password".into(), "s3cret".into());
/// raw.insert("key.converter.schemas.enable".into(), "false".into());
///
/// let parsed = def.parse(&raw).unwrap();
/// assert!(!format!("{parsed:?}").contains("s3cret"));
/// let cfg: MyConfig = parsed.into_typed().unwrap();
/// assert_eq!(cfg.file, "/tmp/in.txt");
/// assert_eq!(cfg.batch_size, 2000);
/// assert_eq!(cfg.topics, ["a", "b"]);
/// assert_eq!(cfg.password.unwrap().value(), "s3cret");
///
/// let converter = parsed.originals_with_prefix("key.converter.", true);
/// assert_eq!(converter.get("schemas.enable").map(String::as_str), Some("false"));
/// ```
#[derive(Clone)]
pub struct ParsedConfig {
    values: BTreeMap<String, ConfigValue>,
    types: BTreeMap<String, Type>,
    originals: RawConfig,
}

impl ParsedConfig {
    /// A parsed configuration from its parts; `types` names every defined key.
    pub(crate) fn new(
        values: BTreeMap<String, ConfigValue>,
        types: BTreeMap<String, Type>,
        originals: RawConfig,
    ) -> Self {
        ParsedConfig { values, types, originals }
    }

    /// The value of `name`; `None` when the key is not defined or has no value.
    pub fn get(&self, name: &str) -> Option<&ConfigValue> {
        self.values.get(name)
    }

    /// Whether `name` is a defined key (with or without a value).
    pub fn is_defined(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// The typed values of the keys that have one, by name.
    pub fn values(&self) -> &BTreeMap<String, ConfigValue> {
        &self.values
    }

    fn typed<'a, T>(
        &'a self,
        name: &str,
        wanted: Type,
        extract: impl FnOnce(&'a ConfigValue) -> Option<T>,
    ) -> Result<T> {
        let Some(ty) = self.types.get(name) else {
            return Err(ConnectError::config(format!("Unknown configuration '{name}'")));
        };
        let Some(value) = self.values.get(name) else {
            return Err(ConnectError::config(format!("Configuration \"{name}\" has no value")));
        };
        extract(value).ok_or_else(|| {
            ConnectError::config(format!("Configuration \"{name}\" is of type {ty}, not {wanted}"))
        })
    }

    /// The value of a STRING key. Errors (kind config) if the key is not defined,
    /// has no value, or is of another type; likewise for the other getters.
    pub fn get_string(&self, name: &str) -> Result<&str> {
        self.typed(name, Type::String, ConfigValue::as_str)
    }

    /// The value of a CLASS key.
    pub fn get_class(&self, name: &str) -> Result<&str> {
        self.typed(name, Type::Class, ConfigValue::as_class)
    }

    /// The value of a BOOLEAN key.
    pub fn get_bool(&self, name: &str) -> Result<bool> {
        self.typed(name, Type::Boolean, ConfigValue::as_bool)
    }

    /// The value of a SHORT key.
    pub fn get_short(&self, name: &str) -> Result<i16> {
        self.typed(name, Type::Short, ConfigValue::as_i16)
    }

    /// The value of an INT (or SHORT) key.
    pub fn get_int(&self, name: &str) -> Result<i32> {
        self.typed(name, Type::Int, ConfigValue::as_i32)
    }

    /// The value of a LONG (or INT or SHORT) key.
    pub fn get_long(&self, name: &str) -> Result<i64> {
        self.typed(name, Type::Long, ConfigValue::as_i64)
    }

    /// The value of a DOUBLE key.
    pub fn get_double(&self, name: &str) -> Result<f64> {
        self.typed(name, Type::Double, ConfigValue::as_f64)
    }

    /// The items of a LIST key.
    pub fn get_list(&self, name: &str) -> Result<&[String]> {
        self.typed(name, Type::List, ConfigValue::as_list)
    }

    /// The value of a PASSWORD key.
    pub fn get_password(&self, name: &str) -> Result<&Password> {
        self.typed(name, Type::Password, ConfigValue::as_password)
    }

    /// The raw settings as given, unknown keys included.
    pub fn originals(&self) -> &RawConfig {
        &self.originals
    }

    /// The raw settings whose key starts with `prefix` (and is longer than it),
    /// with the prefix removed from the keys when `strip` is true; as Kafka's
    /// `originalsWithPrefix`, used for `key.converter.*`-style settings.
    pub fn originals_with_prefix(&self, prefix: &str, strip: bool) -> RawConfig {
        self.originals
            .iter()
            .filter(|(k, _)| k.len() > prefix.len() && k.starts_with(prefix))
            .map(|(k, v)| {
                let key = if strip { &k[prefix.len()..] } else { k.as_str() };
                (key.to_string(), v.clone())
            })
            .collect()
    }

    /// The raw keys that no definition covers, in order.
    pub fn undefined_keys(&self) -> impl Iterator<Item = &str> {
        self.originals.keys().filter(|k| !self.types.contains_key(k.as_str())).map(String::as_str)
    }

    /// The typed values as one JSON object, with real passwords; never print it.
    fn to_unmasked_json(&self) -> serde_json::Value {
        let object = self
            .types
            .keys()
            .map(|name| {
                let value = self
                    .values
                    .get(name)
                    .map_or(serde_json::Value::Null, ConfigValue::to_unmasked_json);
                (name.clone(), value)
            })
            .collect();
        serde_json::Value::Object(object)
    }

    /// Deserializes the typed values into `T`, a connector's configuration struct.
    ///
    /// The input is a JSON object with one entry per defined key, named as the key
    /// (`"connection.url"`): booleans, numbers and strings as such, LIST as an array
    /// of strings, PASSWORD as the real string (so a [`Password`] field
    /// deserializes), and `null` for an absent optional key. Unknown raw keys are
    /// not included. A mismatch is an error of kind config naming the problem.
    pub fn into_typed<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.to_unmasked_json()).map_err(|e| {
            let mut message = e.to_string();
            for value in self.values.values() {
                if let ConfigValue::Password(p) = value
                    && !p.value().is_empty()
                {
                    message = message.replace(p.value(), HIDDEN);
                }
            }
            ConnectError::config(format!(
                "Configuration does not fit {}: {message}",
                std::any::type_name::<T>()
            ))
        })
    }

    fn masks_original(&self, key: &str) -> bool {
        match self.types.get(key) {
            Some(ty) => *ty == Type::Password,
            None => key.to_ascii_lowercase().contains("password"),
        }
    }
}

impl fmt::Debug for ParsedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Originals<'a>(&'a ParsedConfig);
        impl fmt::Debug for Originals<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.originals.iter().map(|(k, v)| {
                        let shown = if self.0.masks_original(k) { HIDDEN } else { v.as_str() };
                        (k, shown)
                    }))
                    .finish()
            }
        }
        f.debug_struct("ParsedConfig")
            .field("values", &self.values)
            .field("originals", &Originals(self))
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::config::{ConfigDef, ConfigKey, Importance};
    use crate::error::ErrorKind;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define_simple("connection.url", Type::String, None, Importance::High, "")
            .define_simple("connection.password", Type::Password, None, Importance::High, "")
            .define_simple("batch.size", Type::Int, Some("100"), Importance::Low, "")
            .define_simple("topics", Type::List, Some("a,b"), Importance::High, "")
            .define_simple("ratio", Type::Double, Some("0.5"), Importance::Low, "")
            .define_simple("enabled", Type::Boolean, Some("true"), Importance::Low, "")
            .define(ConfigKey::new("table", Type::String, Importance::Low, "").optional())
    }

    fn sample() -> ParsedConfig {
        def()
            .parse(&raw(&[
                ("connection.url", "jdbc:x"),
                ("connection.password", "hunter2"),
                ("topics", "t1, t2"),
                ("key.converter", "json"),
                ("key.converter.schemas.enable", "false"),
                ("producer.ssl.key.password", "alsosecret"),
            ]))
            .unwrap()
    }

    #[derive(Debug, Deserialize)]
    struct SinkConfig {
        #[serde(rename = "connection.url")]
        url: String,
        #[serde(rename = "connection.password")]
        password: Password,
        #[serde(rename = "batch.size")]
        batch_size: i32,
        topics: Vec<String>,
        ratio: f64,
        enabled: bool,
        table: Option<String>,
    }

    #[test]
    fn into_typed_fills_a_serde_struct_with_password_and_list() {
        let cfg: SinkConfig = sample().into_typed().unwrap();
        assert_eq!(cfg.url, "jdbc:x");
        assert_eq!(cfg.password.value(), "hunter2");
        assert_eq!(cfg.batch_size, 100);
        assert_eq!(cfg.topics, ["t1", "t2"]);
        assert_eq!(cfg.ratio, 0.5);
        assert!(cfg.enabled);
        assert_eq!(cfg.table, None);
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn into_typed_mismatch_is_a_config_error_without_secrets() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            #[serde(rename = "connection.password")]
            password: i64,
        }
        let err = sample().into_typed::<Wrong>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().starts_with("Configuration does not fit"), "{}", err.message());
        assert!(err.message().contains("invalid type"), "{}", err.message());
        assert!(!err.message().contains("hunter2"), "{}", err.message());

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Missing {
            nowhere: String,
        }
        let err = sample().into_typed::<Missing>().unwrap_err();
        assert!(err.message().contains("missing field `nowhere`"), "{}", err.message());
    }

    #[test]
    fn typed_getters_check_definition_presence_and_type() {
        let p = sample();
        assert_eq!(p.get_string("connection.url").unwrap(), "jdbc:x");
        assert_eq!(p.get_long("batch.size").unwrap(), 100);
        assert_eq!(p.get_string("nope").unwrap_err().message(), "Unknown configuration 'nope'");
        assert_eq!(
            p.get_string("table").unwrap_err().message(),
            "Configuration \"table\" has no value"
        );
        let err = p.get_bool("batch.size").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "Configuration \"batch.size\" is of type INT, not BOOLEAN");
        assert!(p.is_defined("table") && !p.is_defined("key.converter"));
        assert_eq!(p.values().len(), 6);
    }

    #[test]
    fn originals_with_prefix_strips_or_keeps_the_prefix() {
        let p = sample();
        let stripped = p.originals_with_prefix("key.converter.", true);
        assert_eq!(stripped, raw(&[("schemas.enable", "false")]));
        let kept = p.originals_with_prefix("key.converter.", false);
        assert_eq!(kept, raw(&[("key.converter.schemas.enable", "false")]));
        assert_eq!(p.originals().len(), 6);
        assert_eq!(
            p.undefined_keys().collect::<Vec<_>>(),
            ["key.converter", "key.converter.schemas.enable", "producer.ssl.key.password"]
        );
    }

    #[test]
    fn debug_masks_passwords_in_values_and_originals() {
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("alsosecret"), "{shown}");
        assert!(shown.contains("[hidden]"));
        assert!(shown.contains("jdbc:x"));
    }
}
