//! Checking a [`Value`] against a [`Schema`] (Kafka's `ConnectSchema.validateValue`).

use crate::data::logical::LogicalType;
use crate::data::{Schema, Type, Value};
use crate::error::{ConnectError, Result};

fn invalid(field: Option<&str>, schema: &Schema, what: &str) -> ConnectError {
    match field {
        Some(f) => ConnectError::data(format!(
            "Invalid value: {what} used for field: \"{f}\", schema type: {}",
            schema.schema_type()
        )),
        None => ConnectError::data(format!(
            "Invalid value: {what} used for schema type: {}",
            schema.schema_type()
        )),
    }
}

pub(crate) fn validate_value(field: Option<&str>, schema: &Schema, value: &Value) -> Result<()> {
    if value.is_null() {
        if schema.is_optional() {
            return Ok(());
        }
        return Err(match field {
            Some(f) => ConnectError::data(format!(
                "Invalid value: null used for required field: \"{f}\", schema type: {}",
                schema.schema_type()
            )),
            None => ConnectError::data(format!(
                "Invalid value: null used for required schema type: {}",
                schema.schema_type()
            )),
        });
    }
    let logical_ok = match (LogicalType::of(schema), value) {
        (Some(LogicalType::Decimal), Value::Decimal(_))
        | (Some(LogicalType::Date), Value::Date(_))
        | (Some(LogicalType::Time), Value::Time(_))
        | (Some(LogicalType::Timestamp), Value::Timestamp(_)) => return Ok(()),
        (Some(l), v) => {
            return Err(invalid(
                field,
                schema,
                &format!("{} (expected the {l:?} logical type)", v.kind_name()),
            ));
        }
        (None, Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_)) => false,
        (None, _) => true,
    };
    let type_ok = logical_ok
        && match (schema.schema_type(), value) {
            (Type::Int8, Value::Int8(_))
            | (Type::Int16, Value::Int16(_))
            | (Type::Int32, Value::Int32(_))
            | (Type::Int64, Value::Int64(_))
            | (Type::Float32, Value::Float32(_))
            | (Type::Float64, Value::Float64(_))
            | (Type::Boolean, Value::Boolean(_))
            | (Type::String, Value::String(_))
            | (Type::Bytes, Value::Bytes(_)) => true,
            (Type::Struct, Value::Struct(s)) => {
                if s.schema() != schema {
                    return Err(ConnectError::data(match field {
                        Some(f) => format!("Struct schemas do not match for field \"{f}\"."),
                        None => "Struct schemas do not match.".to_string(),
                    }));
                }
                return s.validate();
            }
            (Type::Array, Value::Array(items)) => {
                if let Some(elem) = schema.value_schema() {
                    for item in items {
                        validate_value(Some(field.unwrap_or("element")), elem, item)?;
                    }
                }
                return Ok(());
            }
            (Type::Map, Value::Map(entries)) => {
                if let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) {
                    for (k, v) in entries {
                        validate_value(Some(field.unwrap_or("key")), ks, k)?;
                        validate_value(Some(field.unwrap_or("value")), vs, v)?;
                    }
                }
                return Ok(());
            }
            _ => false,
        };
    if type_ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            schema,
            &format!("Java-equivalent class mismatch, {} value", value.kind_name()),
        ))
    }
}
