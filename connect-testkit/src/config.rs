//! [`check_typed_config`]: checks that a connector's typed configuration struct and its
//! [`ConfigDef`] describe the same keys.

use connect_api::config::{ConfigDef, ConfigErrors, RawConfig};
use connect_api::{ConnectError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Checks that the typed configuration `T` and its [`ConfigDef`] agree, using `sample`,
/// a configuration that should be valid, and returns the typed value.
///
/// The checks, in order:
/// 1. `sample` parses with `def` (its error is returned as is, with context);
/// 2. the parsed config deserializes into `T` ([`ParsedConfig::into_typed`]);
/// 3. every key `T` serializes is defined in `def`, and every required key of `def`
///    is a key of `T` (optional keys `T` ignores are fine: settings the runtime or
///    another part of the connector reads).
///
/// Every mismatch of step 3 is reported in one error of kind config, each naming its
/// key. `T`'s fields must be named (or `#[serde(rename)]`d) as the keys.
///
/// [`ParsedConfig::into_typed`]: connect_api::config::ParsedConfig::into_typed
///
/// ```
/// use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
/// use connect_testkit::check_typed_config;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Config {
///     topic: String,
///     #[serde(rename = "batch.size")]
///     batch_size: i32,
/// }
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("topic", Type::String, Importance::High, "Topic."))
///     .define(ConfigKey::new("batch.size", Type::Int, Importance::Low, "Batch.").default_value(100));
/// let sample = RawConfig::from([("topic".to_string(), "t".to_string())]);
/// let config: Config = check_typed_config(&def, &sample)?;
/// assert_eq!(config.batch_size, 100);
///
/// #[derive(Debug, Deserialize, Serialize)]
/// struct Wrong {
///     topic: String,
///     #[serde(default)]
///     batch_size: i32, // not renamed: the ConfigDef has no key "batch_size"
/// }
/// let err = check_typed_config::<Wrong>(&def, &sample).unwrap_err();
/// assert!(err.message().contains("\"batch_size\""));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
pub fn check_typed_config<T>(def: &ConfigDef, sample: &RawConfig) -> Result<T>
where
    T: DeserializeOwned + Serialize,
{
    let type_name = std::any::type_name::<T>();
    let parsed =
        def.parse(sample).map_err(|e| e.context("the sample configuration does not parse"))?;
    let typed: T = parsed.into_typed()?;
    let serialized = serde_json::to_value(&typed).map_err(|e| {
        ConnectError::config(format!("{type_name} does not serialize: {e}")).with_source(e)
    })?;
    let Some(fields) = serialized.as_object() else {
        return Err(ConnectError::config(format!(
            "{type_name} serializes to {serialized}, not to an object of configuration keys"
        )));
    };
    let mut problems = ConfigErrors::new();
    for name in fields.keys().filter(|name| !def.contains(name)) {
        problems.push(
            name.clone(),
            format!("\"{name}\" is a field of {type_name} but no key of the ConfigDef"),
        );
    }
    for key in def.keys() {
        if key.is_required() && !fields.contains_key(key.name()) {
            problems.push(
                key.name(),
                format!(
                    "\"{}\" is a required key of the ConfigDef but no field of {type_name}",
                    key.name()
                ),
            );
        }
    }
    if problems.is_empty() {
        Ok(typed)
    } else {
        Err(ConnectError::from(problems).context(format!("{type_name} and its ConfigDef disagree")))
    }
}
