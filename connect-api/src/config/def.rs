//! [`ConfigDef`]: a set of key definitions that parses and validates raw
//! configurations.

use std::collections::{BTreeMap, BTreeSet};

use super::RawConfig;
use super::key::ConfigKey;
use super::parsed::ParsedConfig;
use super::report::ConfigErrors;
use super::types::{Importance, Type};
use crate::error::Result;

/// The definition of a configuration, as Kafka's `ConfigDef`: keys in definition
/// order, their groups, and any mistakes made while defining them.
///
/// Defining a key twice (directly, or through [`ConfigDef::extend`] /
/// [`ConfigDef::merge`]) keeps the first definition and records the error
/// `Configuration <key> is defined twice.`, as does a default that does not fit the
/// key's type or validator. Such definition errors never panic; they are reported
/// by every [`parse`](ConfigDef::parse) and [`validate`](ConfigDef::validate).
///
/// ```
/// use connect_api::config::{ConfigDef, ConfigKey, Importance, Range, RawConfig, Type};
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("file", Type::String, Importance::High, "File to read.").group("Input"))
///     .define(
///         ConfigKey::new("batch.size", Type::Int, Importance::Low, "Lines per batch.")
///             .default_value(2000)
///             .validator(Range::at_least(1)),
///     )
///     .define_simple("topic", Type::String, None, Importance::High, "Topic to write to.");
/// assert_eq!(def.names().collect::<Vec<_>>(), ["file", "batch.size", "topic"]);
/// assert_eq!(def.groups(), ["Input"]);
///
/// let mut raw = RawConfig::new();
/// raw.insert("file".into(), "/tmp/in.txt".into());
/// raw.insert("topic".into(), "lines".into());
/// let parsed = def.parse(&raw).unwrap();
/// assert_eq!(parsed.get_int("batch.size").unwrap(), 2000);
///
/// let err = def.parse(&RawConfig::new()).unwrap_err();
/// assert_eq!(
///     err.message(),
///     "Missing required configuration \"file\" which has no default value.; \
///      Missing required configuration \"topic\" which has no default value."
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
    index: BTreeMap<String, usize>,
    groups: Vec<String>,
    errors: Vec<(String, String)>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key; chainable. See [`ConfigDef::add`].
    pub fn define(mut self, key: ConfigKey) -> Self {
        self.add(key);
        self
    }

    /// Adds a key with only a name, type, raw default, importance and
    /// documentation. A `None` default makes the key required; use
    /// [`ConfigKey::optional`] through [`ConfigDef::define`] for a `null` default.
    pub fn define_simple(
        self,
        name: &str,
        ty: Type,
        default: Option<&str>,
        importance: Importance,
        documentation: &str,
    ) -> Self {
        let key = ConfigKey::new(name, ty, importance, documentation);
        self.define(match default {
            Some(d) => key.default_value(d),
            None => key,
        })
    }

    /// Adds a key. A key already defined is not replaced: the error
    /// `Configuration <key> is defined twice.` is recorded instead. A default that
    /// does not parse or that the validator rejects is recorded too.
    pub fn add(&mut self, key: ConfigKey) {
        let name = key.name().to_string();
        if self.index.contains_key(&name) {
            self.errors.push((name.clone(), format!("Configuration {name} is defined twice.")));
            return;
        }
        if let Some(error) = key.definition_error() {
            self.errors.push((name.clone(), error));
        }
        if let Some(group) = key.get_group()
            && !self.groups.iter().any(|g| g == group)
        {
            self.groups.push(group.to_string());
        }
        self.index.insert(name, self.keys.len());
        self.keys.push(key);
    }

    /// Adds every key of `other` (and its definition errors) after this
    /// definition's keys. Keys defined in both keep this definition's version and
    /// are recorded as defined twice.
    pub fn extend(&mut self, other: &ConfigDef) {
        self.errors.extend(other.errors.iter().cloned());
        for key in &other.keys {
            self.add(key.clone());
        }
    }

    /// [`ConfigDef::extend`], chainable.
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        self.extend(other);
        self
    }

    /// Adds every key of `child` under `prefix`, as Kafka's `ConfigDef.embed`: each
    /// key is named `prefix` + its name, grouped under `group` (`group: <its group>`
    /// when it has one) and numbered from `first_order` in definition order. Validators
    /// and recommenders still see the child's names, while every message names the
    /// prefixed key.
    ///
    /// ```
    /// use connect_api::config::{ConfigDef, ConfigKey, Importance, Range, RawConfig, Type};
    ///
    /// let child = ConfigDef::new().define(
    ///     ConfigKey::new("size", Type::Int, Importance::High, "Size.").validator(Range::at_least(1)),
    /// );
    /// let mut def = ConfigDef::new();
    /// def.embed("transforms.t.", "Transforms: t", 1, &child);
    /// let raw = RawConfig::from([("transforms.t.size".to_string(), "0".to_string())]);
    /// let report = def.validate(&raw);
    /// let key = report.get("transforms.t.size").unwrap();
    /// assert_eq!(
    ///     key.errors,
    ///     ["Invalid value 0 for configuration transforms.t.size: Value must be at least 1"]
    /// );
    /// assert_eq!(def.get("transforms.t.size").unwrap().get_group(), Some("Transforms: t"));
    /// ```
    pub fn embed(&mut self, prefix: &str, group: &str, first_order: i32, child: &ConfigDef) {
        for (order, key) in (first_order..).zip(&child.keys) {
            self.add(key.embedded(prefix, group, order));
        }
    }

    /// The keys, in definition order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// The key called `name`.
    pub fn get(&self, name: &str) -> Option<&ConfigKey> {
        self.index.get(name).and_then(|&i| self.keys.get(i))
    }

    /// Whether a key called `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The key names, in definition order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(ConfigKey::name)
    }

    /// The distinct groups of the keys, in the order first used.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is defined.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Mistakes made while defining keys, as `(key, message)` pairs.
    pub fn definition_errors(&self) -> &[(String, String)] {
        &self.errors
    }

    /// Names listed as dependents of some key but not defined, sorted.
    pub fn undefined_dependents(&self) -> Vec<String> {
        let missing: BTreeSet<&str> = self
            .keys
            .iter()
            .flat_map(|k| k.get_dependents())
            .map(String::as_str)
            .filter(|d| !self.contains(d))
            .collect();
        missing.into_iter().map(str::to_string).collect()
    }

    /// Parses `raw`: each defined key is converted to its type, or takes its
    /// default, and is checked by its validator. Keys that are not defined are not
    /// errors; they stay available through
    /// [`ParsedConfig::originals`](crate::config::ParsedConfig::originals).
    ///
    /// On failure the one error (kind config) lists every problem, joined by
    /// `"; "`; [`ConfigDef::parse_detailed`] gives them as a list.
    pub fn parse(&self, raw: &RawConfig) -> Result<ParsedConfig> {
        self.parse_detailed(raw).map_err(Into::into)
    }

    /// [`ConfigDef::parse`], with every problem as a `(key, message)` pair:
    /// definition errors first, then undefined dependents, then each key's problem
    /// in definition order.
    pub fn parse_detailed(
        &self,
        raw: &RawConfig,
    ) -> std::result::Result<ParsedConfig, ConfigErrors> {
        let mut errors = ConfigErrors::new();
        for (key, message) in &self.errors {
            errors.push(key.clone(), message.clone());
        }
        for dependent in self.undefined_dependents() {
            let message = undefined_dependent_message(&dependent);
            errors.push(dependent, message);
        }
        let mut values = BTreeMap::new();
        let mut types = BTreeMap::new();
        for key in &self.keys {
            types.insert(key.name().to_string(), key.ty());
            let value = key
                .parse_or_default(raw.get(key.name()).map(String::as_str))
                .and_then(|value| key.check(value.as_ref()).map(|()| value));
            match value {
                Ok(Some(value)) => {
                    values.insert(key.name().to_string(), value);
                }
                Ok(None) => {}
                Err(message) => errors.push(key.name(), message),
            }
        }
        if errors.is_empty() {
            Ok(ParsedConfig::new(values, types, raw.clone()))
        } else {
            Err(errors)
        }
    }
}

pub(crate) fn undefined_dependent_message(name: &str) -> String {
    format!("{name} is referred in the dependents, but not defined.")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::config::{ConfigValue, NonEmptyString, Range, ValidString, custom};
    use crate::error::ErrorKind;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn all_types() -> ConfigDef {
        ConfigDef::new()
            .define_simple("b", Type::Boolean, Some("true"), Importance::High, "")
            .define_simple("s", Type::String, Some(" hello "), Importance::High, "")
            .define_simple("i", Type::Int, Some("42"), Importance::High, "")
            .define_simple("sh", Type::Short, Some("7"), Importance::High, "")
            .define_simple("l", Type::Long, Some("9000000000"), Importance::High, "")
            .define_simple("d", Type::Double, Some("0.25"), Importance::High, "")
            .define_simple("li", Type::List, Some("a, b"), Importance::High, "")
            .define_simple("c", Type::Class, Some("com.example.Sink"), Importance::High, "")
            .define_simple("p", Type::Password, Some("pw"), Importance::High, "")
            .define(ConfigKey::new("o", Type::Int, Importance::Low, "").optional())
    }

    #[test]
    fn parse_applies_defaults_and_converts_every_type() {
        let p = all_types().parse(&RawConfig::new()).unwrap();
        assert!(p.get_bool("b").unwrap());
        assert_eq!(p.get_string("s").unwrap(), "hello");
        assert_eq!(p.get_int("i").unwrap(), 42);
        assert_eq!(p.get_short("sh").unwrap(), 7);
        assert_eq!(p.get_long("l").unwrap(), 9_000_000_000);
        assert_eq!(p.get_double("d").unwrap(), 0.25);
        assert_eq!(p.get_list("li").unwrap(), ["a", "b"]);
        assert_eq!(p.get_class("c").unwrap(), "com.example.Sink");
        assert_eq!(p.get_password("p").unwrap().value(), "pw");
        assert_eq!(p.get("o"), None);

        let set = raw(&[
            ("b", "FALSE"),
            ("s", "x"),
            ("i", "-1"),
            ("sh", "-2"),
            ("l", "3"),
            ("d", "1e3"),
            ("li", ""),
            ("c", "C"),
            ("p", "pw2"),
            ("o", " 5 "),
            ("unknown.key", "kept"),
        ]);
        let p = all_types().parse(&set).unwrap();
        assert!(!p.get_bool("b").unwrap());
        assert_eq!(p.get_int("i").unwrap(), -1);
        assert_eq!(p.get_short("sh").unwrap(), -2);
        assert_eq!(p.get_long("l").unwrap(), 3);
        assert_eq!(p.get_double("d").unwrap(), 1000.0);
        assert!(p.get_list("li").unwrap().is_empty());
        assert_eq!(p.get_password("p").unwrap().value(), "pw2");
        assert_eq!(p.get("o"), Some(&ConfigValue::Int(5)));
        assert_eq!(p.originals().get("unknown.key").map(String::as_str), Some("kept"));
        assert!(p.get("unknown.key").is_none());
    }

    #[test]
    fn parse_reports_all_bad_keys_at_once() {
        let def = ConfigDef::new()
            .define_simple("required.key", Type::String, None, Importance::High, "")
            .define_simple("int.key", Type::Int, Some("1"), Importance::High, "")
            .define_simple("bool.key", Type::Boolean, Some("true"), Importance::High, "")
            .define_simple("double.key", Type::Double, Some("1"), Importance::High, "")
            .define(
                ConfigKey::new("mode", Type::String, Importance::High, "")
                    .default_value("a")
                    .validator(ValidString::in_list(["a", "b"])),
            )
            .define_simple("fine", Type::Int, Some("1"), Importance::High, "");
        let bad = raw(&[
            ("int.key", "99999999999"),
            ("bool.key", "maybe"),
            ("double.key", "abc"),
            ("mode", "c"),
            ("fine", "2"),
        ]);
        let errors = def.parse_detailed(&bad).unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["required.key", "int.key", "bool.key", "double.key", "mode"]
        );
        let expected = [
            "Missing required configuration \"required.key\" which has no default value.",
            "Invalid value 99999999999 for configuration int.key: Not a number of type INT",
            "Invalid value maybe for configuration bool.key: Expected value to be either true or false",
            "Invalid value abc for configuration double.key: Not a number of type DOUBLE",
            "Invalid value c for configuration mode: String must be one of: a, b",
        ];
        let messages: Vec<_> = errors.errors().iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages, expected);

        let err = def.parse(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), expected.join("; "));
    }

    #[test]
    fn validators_run_on_set_values_with_kafka_messages() {
        let def = ConfigDef::new()
            .define(
                ConfigKey::new("n", Type::Int, Importance::High, "")
                    .validator(Range::between(0, 10)),
            )
            .define(
                ConfigKey::new("name", Type::String, Importance::High, "")
                    .validator(NonEmptyString),
            )
            .define(ConfigKey::new("even", Type::Long, Importance::High, "").validator(custom(
                |_, v| match v.and_then(ConfigValue::as_i64) {
                    Some(n) if n % 2 != 0 => Err("Value must be even".to_string()),
                    _ => Ok(()),
                },
            )));
        let errors =
            def.parse_detailed(&raw(&[("n", "11"), ("name", " "), ("even", "3")])).unwrap_err();
        let messages: Vec<_> = errors.errors().iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Invalid value 11 for configuration n: Value must be no more than 10",
                "Invalid value  for configuration name: String may not be empty",
                "Invalid value 3 for configuration even: Value must be even",
            ]
        );
        assert!(def.parse(&raw(&[("n", "10"), ("name", "x"), ("even", "4")])).is_ok());
    }

    #[test]
    fn duplicate_definition_is_reported_not_panicking() {
        let def = ConfigDef::new()
            .define_simple("a", Type::Int, Some("1"), Importance::High, "first")
            .define_simple("a", Type::String, Some("x"), Importance::High, "second");
        assert_eq!(def.len(), 1);
        assert_eq!(def.get("a").unwrap().documentation(), "first");
        let err = def.parse(&RawConfig::new()).unwrap_err();
        assert_eq!(err.message(), "Configuration a is defined twice.");
        let report = def.validate(&RawConfig::new());
        assert_eq!(report.error_count(), 1);
        assert_eq!(report.get("a").unwrap().errors, ["Configuration a is defined twice."]);
    }

    #[test]
    fn extend_appends_keys_groups_and_flags_duplicates() {
        let mut base = ConfigDef::new()
            .define(ConfigKey::new("x", Type::Int, Importance::High, "").group("G1"));
        let other = ConfigDef::new()
            .define(ConfigKey::new("y", Type::Int, Importance::High, "").group("G2"))
            .define(ConfigKey::new("x", Type::Int, Importance::High, "").group("G3"));
        base.extend(&other);
        assert_eq!(base.names().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(base.groups(), ["G1", "G2"]);
        assert_eq!(base.definition_errors().len(), 1);
        let merged = ConfigDef::new().merge(&other);
        assert!(merged.definition_errors().is_empty());
        assert!(merged.contains("y") && !merged.is_empty());
    }

    #[test]
    fn invalid_default_is_a_definition_error() {
        let def = ConfigDef::new().define(
            ConfigKey::new("n", Type::Int, Importance::High, "")
                .default_value(-5)
                .validator(Range::at_least(0)),
        );
        assert_eq!(
            def.parse(&raw(&[("n", "3")])).unwrap_err().message(),
            "Invalid default value -5 for configuration n: Value must be at least 0"
        );
    }
}
