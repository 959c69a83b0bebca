//! `MaskField`: replaces fields with an empty value of their type or a replacement.

use std::collections::HashSet;

use connect_api::config::{ConfigDef, ConfigKey, Importance, NonEmptyString, RawConfig, Type};
use connect_api::data::{Date, Decimal, SchemaAndValue, Struct, Time, Timestamp, Value};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{
    REPLACE_NULL_WITH_DEFAULT, field_value, map_get, map_put, non_empty_list,
    replace_null_with_default_key, require_map, require_struct,
};
use crate::fields::{Side, get, set};
use crate::values::parse_literal;

const PURPOSE: &str = "mask fields";

/// Masks fields of the key or value (Kafka's `MaskField$Key` / `MaskField$Value`).
///
/// Without `replacement` a masked field gets the empty value of its type: `false`, `0`
/// of its width, `""`, an empty array or map, a zero decimal (of the same scale), and
/// the epoch for Date, Time and Timestamp; bytes and structs cannot be masked. With
/// `replacement` numeric fields get the replacement converted to their type (as
/// Kafka's `Values.convertTo…`: `"123.4"` masks an INT32 field as `123`) and string
/// fields get it as it is; other types cannot take a replacement. Nulls stay null.
/// The key or value must be a struct (with a schema) or a map (without).
#[derive(Debug)]
pub struct MaskField {
    side: Side,
    fields: HashSet<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

impl MaskField {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        MaskField {
            side,
            fields: HashSet::new(),
            replacement: None,
            replace_null_with_default: true,
        }
    }

    fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("fields", Type::List, Importance::High, "Names of fields to mask.")
                    .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    "replacement",
                    Type::String,
                    Importance::Low,
                    "Custom value replacement, applied to all 'fields' values (numeric or \
                     non-empty string values only).",
                )
                .optional()
                .validator(NonEmptyString),
            )
            .define(replace_null_with_default_key())
    }

    fn masked(&self, value: Value) -> Result<Value> {
        match (&self.replacement, value) {
            (_, Value::Null) => Ok(Value::Null),
            (None, v) => empty_of(&v),
            (Some(r), v) => replaced(&v, r),
        }
    }
}

fn empty_of(value: &Value) -> Result<Value> {
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::Decimal(d) => Value::Decimal(Decimal::new(0, d.scale())),
        Value::Date(_) => Value::Date(Date(0)),
        Value::Time(_) => Value::Time(Time(0)),
        Value::Timestamp(_) => Value::Timestamp(Timestamp(0)),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type: {}",
                other.kind_name()
            )));
        }
    })
}

fn replaced(value: &Value, replacement: &str) -> Result<Value> {
    let not_a_number =
        || ConnectError::data(format!("Unable to convert {replacement} (STRING) to number"));
    // Values.convertTo…: the text is parsed first, then the number narrowed.
    let number = || -> Result<f64> {
        let parsed = parse_literal(replacement).value;
        match parsed {
            Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => {
                Ok(parsed.as_i64().unwrap_or_default() as f64)
            }
            Value::Float64(f) => Ok(f),
            _ => Err(not_a_number()),
        }
    };
    let integer = || -> Result<i64> {
        match parse_literal(replacement).value {
            v @ (Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_)) => {
                Ok(v.as_i64().unwrap_or_default())
            }
            Value::Float64(f) => Ok(f as i64),
            _ => Err(not_a_number()),
        }
    };
    Ok(match value {
        Value::Int8(_) => Value::Int8(integer()? as i32 as i8),
        Value::Int16(_) => Value::Int16(integer()? as i32 as i16),
        Value::Int32(_) => Value::Int32(integer()? as i32),
        Value::Int64(_) => Value::Int64(integer()?),
        Value::Float32(_) => Value::Float32(number()? as f32),
        Value::Float64(_) => Value::Float64(number()?),
        Value::String(_) => Value::String(replacement.to_string()),
        Value::Decimal(d) => {
            let r: Decimal = replacement.trim().parse().map_err(|_| not_a_number())?;
            // Keep the field's scale where that loses nothing, so the value fits its schema.
            Value::Decimal(r.rescale(d.scale()).unwrap_or(r))
        }
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type {} with custom replacement.",
                other.kind_name()
            )));
        }
    })
}

impl<R: ConnectRecord> Transformation<R> for MaskField {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.fields = parsed.get_list("fields")?.iter().cloned().collect();
        self.replacement = parsed.get("replacement").and_then(|v| v.as_str()).map(str::to_string);
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let updated = match schema {
            Some(schema) => {
                let s = require_struct(value, PURPOSE)?;
                let mut out = Struct::new(s.schema().clone())?;
                for f in s.schema().fields() {
                    let v = field_value(&s, f.name(), self.replace_null_with_default)?;
                    let v = if self.fields.contains(f.name()) { self.masked(v)? } else { v };
                    out.put(f.name(), v)?;
                }
                SchemaAndValue::new(Some(schema), Value::Struct(out))
            }
            None => {
                let mut m = require_map(value, PURPOSE)?;
                let mut names: Vec<&String> = self.fields.iter().collect();
                names.sort();
                for name in names {
                    let v = self.masked(map_get(&m, name))?;
                    map_put(&mut m, name, v);
                }
                SchemaAndValue::new(None, Value::Map(m))
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}
