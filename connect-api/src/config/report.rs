//! Results of checking a configuration: [`ConfigErrors`] (what
//! [`ConfigDef::parse`](crate::config::ConfigDef::parse) rejects) and
//! [`ConfigReport`] (what [`ConfigDef::validate`](crate::config::ConfigDef::validate)
//! finds, key by key).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ConnectError;

/// Every problem found in one configuration, as `(key, message)` pairs in the
/// order found. Converts into one [`ConnectError`] of kind config whose message is
/// all messages joined by `"; "`.
///
/// ```
/// use connect_api::config::ConfigErrors;
/// use connect_api::error::{ConnectError, ErrorKind};
///
/// let mut errors = ConfigErrors::new();
/// errors.push("a", "bad a");
/// errors.push("b", "bad b");
/// assert_eq!(errors.keys().collect::<Vec<_>>(), ["a", "b"]);
/// let err: ConnectError = errors.into();
/// assert_eq!(err.kind(), ErrorKind::Config);
/// assert_eq!(err.message(), "bad a; bad b");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<(String, String)>,
}

impl ConfigErrors {
    /// No errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `key`.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push((key.into(), message.into()));
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The `(key, message)` pairs.
    pub fn errors(&self) -> &[(String, String)] {
        &self.errors
    }

    /// The keys with problems, in order (a key appears once per problem).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().map(|(k, _)| k.as_str())
    }

    /// The messages about `key`.
    pub fn messages_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.errors.iter().filter(move |(k, _)| k == key).map(|(_, m)| m.as_str())
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (_, message)) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigErrors> for ConnectError {
    fn from(errors: ConfigErrors) -> Self {
        ConnectError::config(errors.to_string())
    }
}

impl IntoIterator for ConfigErrors {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// The validation result of one key (Kafka's `ConfigValue`). The value is in
/// Kafka's string form, `[hidden]` for a password.
///
/// ```
/// use connect_api::config::KeyReport;
///
/// let r = KeyReport::new("topic");
/// assert!(r.visible && r.errors.is_empty() && r.value.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyReport {
    /// The key's name.
    pub name: String,
    /// The parsed value (or default) in string form; `None` when absent or when it
    /// did not parse.
    pub value: Option<String>,
    /// Values suggested by the key's recommender.
    pub recommended_values: Vec<String>,
    /// Everything wrong with the value.
    pub errors: Vec<String>,
    /// Whether the key is relevant given the other values.
    pub visible: bool,
}

impl KeyReport {
    /// A visible key with no value, recommendations or errors.
    pub fn new(name: impl Into<String>) -> Self {
        KeyReport {
            name: name.into(),
            value: None,
            recommended_values: Vec::new(),
            errors: Vec::new(),
            visible: true,
        }
    }
}

/// The result of [`ConfigDef::validate`](crate::config::ConfigDef::validate): one
/// [`KeyReport`] per defined key, in definition order. Connectors add cross-key
/// problems with [`ConfigReport::add_error`].
///
/// ```
/// use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("user", Type::String, Importance::High, "User."))
///     .define(ConfigKey::new("pass", Type::Password, Importance::High, "Password.").optional());
/// let mut raw = RawConfig::new();
/// raw.insert("pass".into(), "secret".into());
/// let mut report = def.validate(&raw);
/// assert_eq!(report.error_count(), 1); // user is missing
/// assert_eq!(report.get("pass").unwrap().value.as_deref(), Some("[hidden]"));
/// report.add_error("pass", "A password needs a user");
/// assert_eq!(report.error_count(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigReport {
    keys: Vec<KeyReport>,
}

impl ConfigReport {
    /// A report with no keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key reports, in order.
    pub fn keys(&self) -> &[KeyReport] {
        &self.keys
    }

    /// The report of `name`.
    pub fn get(&self, name: &str) -> Option<&KeyReport> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The report of `name`, for changing.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut KeyReport> {
        self.keys.iter_mut().find(|k| k.name == name)
    }

    /// Adds a key report (replacing one of the same name).
    pub fn push(&mut self, report: KeyReport) {
        match self.get_mut(&report.name) {
            Some(existing) => *existing = report,
            None => self.keys.push(report),
        }
    }

    /// Records a problem with `name`; a report for the key is added if there is
    /// none yet.
    pub fn add_error(&mut self, name: &str, message: impl Into<String>) {
        let message = message.into();
        match self.get_mut(name) {
            Some(key) => key.errors.push(message),
            None => {
                let mut key = KeyReport::new(name);
                key.errors.push(message);
                self.keys.push(key);
            }
        }
    }

    /// The number of problems over all keys.
    pub fn error_count(&self) -> usize {
        self.keys.iter().map(|k| k.errors.len()).sum()
    }

    /// Whether no key has a problem.
    pub fn is_valid(&self) -> bool {
        self.error_count() == 0
    }

    /// Every problem as `(key, message)` pairs, in key order.
    pub fn to_errors(&self) -> ConfigErrors {
        let mut errors = ConfigErrors::new();
        for key in &self.keys {
            for message in &key.errors {
                errors.push(key.name.clone(), message.clone());
            }
        }
        errors
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn config_errors_join_messages_into_one_config_error() {
        let mut e = ConfigErrors::new();
        assert!(e.is_empty());
        e.push("a", "m1");
        e.push("b", "m2");
        e.push("a", "m3");
        assert_eq!(e.len(), 3);
        assert_eq!(e.messages_for("a").collect::<Vec<_>>(), ["m1", "m3"]);
        let err = ConnectError::from(e.clone());
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "m1; m2; m3");
        assert_eq!(e.into_iter().count(), 3);
    }

    #[test]
    fn add_error_counts_and_creates_missing_keys() {
        let mut r = ConfigReport::new();
        r.push(KeyReport::new("a"));
        assert!(r.is_valid());
        r.add_error("a", "bad");
        r.add_error("zzz", "cross-key problem");
        assert_eq!(r.error_count(), 2);
        assert_eq!(r.keys().len(), 2);
        assert_eq!(r.get("zzz").unwrap().errors, ["cross-key problem"]);
        assert_eq!(
            r.to_errors().errors(),
            [
                ("a".to_string(), "bad".to_string()),
                ("zzz".to_string(), "cross-key problem".to_string())
            ]
        );
        r.push(KeyReport::new("a"));
        assert_eq!(r.error_count(), 1);
    }
}
