//! Helpers the transformations share: config keys and validators Kafka's transforms
//! reuse, the `Requirements` checks, schema copying and schemaless map access.

use connect_api::config::{ConfigKey, ConfigValue, CustomValidator, Importance, Type, custom};
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::{ConnectError, Result};

/// The `replace.null.with.default` key several of Kafka's transforms define.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The definition of `replace.null.with.default` (BOOLEAN, default true).
pub(crate) fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        Type::Boolean,
        Importance::Medium,
        "Whether a null field that has a default value is replaced by that default (true) or \
         left null (false).",
    )
    .default_value(true)
}

/// Kafka's `NonEmptyListValidator`: a LIST key must have at least one item.
pub(crate) fn non_empty_list() -> CustomValidator {
    custom(|_, value| match value {
        Some(ConfigValue::List(items)) if !items.is_empty() => Ok(()),
        _ => Err("Empty list".to_string()),
    })
    .described_as("non-empty list")
}

/// Kafka's `RegexValidator`: a STRING key, when set, must hold a valid regular
/// expression.
pub(crate) fn valid_regex() -> CustomValidator {
    custom(|_, value| match value.and_then(ConfigValue::as_str) {
        Some(p) => regex::Regex::new(p).map(drop).map_err(|e| e.to_string()),
        None => Ok(()),
    })
    .described_as("valid regex")
}

/// A struct field's value: its default when null and `replace_null_with_default` is
/// set, else the value as stored.
pub(crate) fn field_value(
    s: &Struct,
    name: &str,
    replace_null_with_default: bool,
) -> Result<Value> {
    let v = if replace_null_with_default { s.get(name)? } else { s.get_without_default(name)? };
    Ok(v.clone())
}

/// Kafka's `Requirements.requireStruct`.
pub(crate) fn require_struct(value: Value, purpose: &str) -> Result<Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            other.kind_name()
        ))),
    }
}

/// Kafka's `Requirements.requireMap`: a schemaless value must be a map.
pub(crate) fn require_map(value: Value, purpose: &str) -> Result<Vec<(Value, Value)>> {
    match value {
        Value::Map(m) => Ok(m),
        other => Err(ConnectError::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            other.kind_name()
        ))),
    }
}

/// The value under a string key of a schemaless map (null when absent).
pub(crate) fn map_get(map: &[(Value, Value)], key: &str) -> Value {
    map.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Sets a string key of a schemaless map, in place when present, else appended (as a
/// Java `Map.put`).
pub(crate) fn map_put(map: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match map.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some(entry) => entry.1 = value,
        None => map.push((Value::from(key), value)),
    }
}

/// Kafka's `SchemaUtil.copySchemaBasics`: name, version, doc and parameters of
/// `source` onto `builder`.
pub(crate) fn copy_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(n) = source.name() {
        builder = builder.name(n);
    }
    if let Some(v) = source.version() {
        builder = builder.version(v);
    }
    if let Some(d) = source.doc() {
        builder = builder.doc(d);
    }
    builder.parameters(source.parameters().clone())
}
