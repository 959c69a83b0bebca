//! Validators built from other validators or closures: [`custom`] and
//! [`CompositeValidator`].

use std::fmt;

use super::validators::Validator;
use super::value::ConfigValue;

type CheckFn = dyn Fn(&str, Option<&ConfigValue>) -> Result<(), String> + Send + Sync;

/// A validator made from a closure; see [`custom`].
///
/// ```
/// use connect_api::config::{custom, ConfigValue, CustomValidator, Validator};
///
/// let v: CustomValidator = custom(|_, _| Ok(())).described_as("anything");
/// assert!(v.ensure_valid("k", Some(&ConfigValue::Int(1))).is_ok());
/// assert_eq!(v.describe(), "anything");
/// ```
pub struct CustomValidator {
    check: Box<CheckFn>,
    description: String,
}

impl CustomValidator {
    /// Sets the text [`Validator::describe`] returns.
    pub fn described_as(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

impl fmt::Debug for CustomValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomValidator")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Validator for CustomValidator {
    fn ensure_valid(&self, name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        (self.check)(name, value)
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// A validator from a closure `(name, value) -> Result<(), reason>` (Kafka's
/// `LambdaValidator`).
///
/// ```
/// use connect_api::config::{custom, ConfigValue, Validator};
///
/// let v = custom(|_name, value| match value.and_then(ConfigValue::as_str) {
///     Some(s) if !s.starts_with("jdbc:") => Err("Must start with jdbc:".to_string()),
///     _ => Ok(()),
/// })
/// .described_as("a JDBC URL");
/// assert_eq!(v.describe(), "a JDBC URL");
/// assert!(v.ensure_valid("connection.url", Some(&ConfigValue::from("http://x"))).is_err());
/// ```
pub fn custom<F>(check: F) -> CustomValidator
where
    F: Fn(&str, Option<&ConfigValue>) -> Result<(), String> + Send + Sync + 'static,
{
    CustomValidator { check: Box::new(check), description: String::new() }
}

/// Several validators that must all accept the value, checked in order (Kafka's
/// `ConfigDef.CompositeValidator`).
///
/// ```
/// use connect_api::config::{CompositeValidator, ConfigValue, NonNullValidator, Range, Validator};
///
/// let v = CompositeValidator::new().and(NonNullValidator).and(Range::at_least(1));
/// assert_eq!(v.describe(), "non-null string, [1,...]");
/// assert!(v.ensure_valid("k", None).is_err());
/// assert!(v.ensure_valid("k", Some(&ConfigValue::Int(0))).is_err());
/// ```
#[derive(Default)]
pub struct CompositeValidator {
    validators: Vec<Box<dyn Validator>>,
}

impl CompositeValidator {
    /// A validator that accepts everything until others are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a validator that must also accept the value.
    pub fn and(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Box::new(validator));
        self
    }
}

impl fmt::Debug for CompositeValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompositeValidator").field("description", &self.describe()).finish()
    }
}

impl Validator for CompositeValidator {
    fn ensure_valid(&self, name: &str, value: Option<&ConfigValue>) -> Result<(), String> {
        self.validators.iter().try_for_each(|v| v.ensure_valid(name, value))
    }

    fn describe(&self) -> String {
        self.validators.iter().map(|v| v.describe()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::config::{NonEmptyString, ValidString};

    fn check(v: &dyn Validator, value: impl Into<ConfigValue>) -> Result<(), String> {
        v.ensure_valid("k", Some(&value.into()))
    }

    #[test]
    fn custom_validator_sees_name_and_value() {
        let v = custom(|name, value| {
            if name == "port" && value.and_then(ConfigValue::as_i32) == Some(0) {
                Err("port 0 is reserved".to_string())
            } else {
                Ok(())
            }
        })
        .described_as("a usable port");
        assert_eq!(
            v.ensure_valid("port", Some(&ConfigValue::Int(0))).unwrap_err(),
            "port 0 is reserved"
        );
        assert!(v.ensure_valid("other", Some(&ConfigValue::Int(0))).is_ok());
        assert_eq!(v.describe(), "a usable port");
        assert!(format!("{v:?}").contains("a usable port"));
    }

    #[test]
    fn composite_stops_at_first_failure() {
        let v = CompositeValidator::new().and(NonEmptyString).and(ValidString::in_list(["a"]));
        assert_eq!(check(&v, "").unwrap_err(), "String may not be empty");
        assert_eq!(check(&v, "b").unwrap_err(), "String must be one of: a");
        assert!(check(&v, "a").is_ok());
        assert_eq!(v.describe(), "non-empty string, [a]");
    }
}
