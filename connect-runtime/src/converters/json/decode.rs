//! JSON to Connect data (`JsonConverter.convertToConnect`).
//!
//! With a schema, the JSON must fit it: a mismatch is a data error that names the
//! field. Kafka is laxer in places (Jackson reads a string as `0` where an INT32 is
//! expected); this converter reports those instead of inventing values.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use base64::Engine as _;
use connect_api::data::logical::{Date, Decimal, LogicalType, Time, Timestamp};
use connect_api::data::{Schema, Struct, Type, Value};
use connect_api::error::Result;

use super::tree::{Json, Num};
use super::{BASE64, JsonOptions, Path};

/// The value of `json` as `schema` says, or inferred from the JSON without a schema.
pub(crate) fn decode(
    schema: Option<&Schema>,
    json: &Json,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Value> {
    let Some(schema) = schema else {
        return schemaless(json, path);
    };
    let ty = schema.schema_type();
    if let Json::Null = json {
        if options.replace_null_with_default
            && let Some(default) = schema.default_value()
        {
            return Ok(default.clone());
        }
        if schema.is_optional() {
            return Ok(Value::Null);
        }
        return Err(path.null_error(ty));
    }
    if let Some(logical) = LogicalType::of(schema) {
        return decode_logical(logical, schema, json, path);
    }
    let mismatch = || path.error(format!("Invalid JSON {} for schema type {ty}", json.node_type()));
    Ok(match (ty, json) {
        (Type::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (Type::Int8, Json::Number(n)) => Value::Int8(narrow(n, ty, path)?),
        (Type::Int16, Json::Number(n)) => Value::Int16(narrow(n, ty, path)?),
        (Type::Int32, Json::Number(n)) => Value::Int32(narrow(n, ty, path)?),
        (Type::Int64, Json::Number(n)) => Value::Int64(narrow(n, ty, path)?),
        (Type::Float32, Json::Number(n)) => Value::Float32(
            n.text().parse().map_err(|_| path.error(format!("Invalid FLOAT32 {}", n.text())))?,
        ),
        (Type::Float64, Json::Number(n)) => Value::Float64(float64(n, path)?),
        (Type::Float32, Json::String(s)) => match non_finite(s) {
            Some(f) => Value::Float32(f as f32),
            None => return Err(mismatch()),
        },
        (Type::Float64, Json::String(s)) => match non_finite(s) {
            Some(f) => Value::Float64(f),
            None => return Err(mismatch()),
        },
        (Type::String, Json::String(s)) => Value::String(s.clone()),
        (Type::Bytes, Json::String(s)) => Value::Bytes(
            BASE64.decode(s).map_err(|e| path.error(format!("Invalid bytes field: {e}")))?,
        ),
        (Type::Array, Json::Array(items)) => {
            let elem = schema.value_schema();
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(decode(elem, item, options, &Path::Index(path, i))?);
            }
            Value::Array(out)
        }
        (Type::Array, _) => return Err(mismatch()),
        (Type::Map, _) => map(schema, json, options, path)?,
        (Type::Struct, Json::Object(members)) => {
            let mut s = Struct::new(schema.clone())?;
            for field in schema.fields() {
                // Kafka writes fields in schema order, so look at the same position first.
                let member = match members.get(field.index()) {
                    Some((k, v)) if k == field.name() => Some(v),
                    _ => json.get(field.name()),
                };
                let field_path = Path::Field(path, field.name());
                let v = decode(
                    Some(field.schema()),
                    member.unwrap_or(&Json::Null),
                    options,
                    &field_path,
                )?;
                if !v.is_null() {
                    s.put_at(field.index(), v).map_err(|e| field_path.wrap(e))?;
                }
            }
            Value::Struct(s)
        }
        (Type::Struct, other) => {
            return Err(path.error(format!(
                "Structs should be encoded as JSON objects, but found {}",
                other.node_type()
            )));
        }
        _ => return Err(mismatch()),
    })
}

fn map(schema: &Schema, json: &Json, options: &JsonOptions, path: &Path<'_>) -> Result<Value> {
    let key_schema = schema.key_schema();
    let value_schema = schema.value_schema();
    let key_path = Path::MapKey(path);
    let value_path = Path::MapValue(path);
    if key_schema.is_none_or(|k| k.schema_type() == Type::String) {
        let Json::Object(members) = json else {
            return Err(path.error(format!(
                "Maps with string fields should be encoded as JSON objects, but found {}",
                json.node_type()
            )));
        };
        let mut out = Vec::with_capacity(members.len());
        for (k, v) in members {
            out.push((Value::String(k.clone()), decode(value_schema, v, options, &value_path)?));
        }
        return Ok(Value::Map(out));
    }
    let Json::Array(entries) = json else {
        return Err(path.error(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            json.node_type()
        )));
    };
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
    for entry in entries {
        let Json::Array(pair) = entry else {
            return Err(path.error(format!(
                "Found invalid map entry instead of array tuple: {}",
                entry.node_type()
            )));
        };
        let [k, v] = pair.as_slice() else {
            return Err(path.error(format!(
                "Found invalid map entry, expected length 2 but found :{}",
                pair.len()
            )));
        };
        let k = decode(key_schema, k, options, &key_path)?;
        let v = decode(value_schema, v, options, &value_path)?;
        out.push((k, v));
    }
    Ok(Value::Map(dedupe(out)))
}

/// A map holds one value per key: a repeated key keeps its first place and its last
/// value, as a Java map filled in order does.
fn dedupe(pairs: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    if pairs.len() < 2 {
        return pairs;
    }
    let mut repeats = Vec::new();
    {
        let mut first: HashMap<&Value, usize> = HashMap::with_capacity(pairs.len());
        for (i, (k, _)) in pairs.iter().enumerate() {
            match first.entry(k) {
                Entry::Occupied(e) => repeats.push((*e.get(), i)),
                Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
    }
    if repeats.is_empty() {
        return pairs;
    }
    let mut slots: Vec<Option<(Value, Value)>> = pairs.into_iter().map(Some).collect();
    for (first, later) in repeats {
        if let Some((_, v)) = slots[later].take()
            && let Some(slot) = slots[first].as_mut()
        {
            slot.1 = v;
        }
    }
    slots.into_iter().flatten().collect()
}

fn decode_logical(
    logical: LogicalType,
    schema: &Schema,
    json: &Json,
    path: &Path<'_>,
) -> Result<Value> {
    let wrong = |expected: &str| {
        path.error(format!(
            "Invalid type for {logical:?}, underlying representation should be {expected} but was {}",
            json.node_type()
        ))
    };
    match logical {
        LogicalType::Decimal => match json {
            Json::Number(n) => {
                let d: Decimal = n.text().parse().map_err(|e| path.wrap(e))?;
                Ok(Value::Decimal(fit_scale(d, schema)))
            }
            Json::String(s) => {
                let bytes = BASE64
                    .decode(s)
                    .map_err(|e| path.error(format!("Invalid bytes for Decimal field: {e}")))?;
                let d = Decimal::to_logical(schema, &bytes).map_err(|e| path.wrap(e))?;
                Ok(Value::Decimal(d))
            }
            _ => Err(wrong("numeric or bytes")),
        },
        LogicalType::Date => match json {
            Json::Number(Num::Int(i)) => {
                let days = i32::try_from(*i).map_err(|_| wrong("integer"))?;
                Ok(Value::Date(Date::to_logical(schema, days).map_err(|e| path.wrap(e))?))
            }
            _ => Err(wrong("integer")),
        },
        LogicalType::Time => match json {
            Json::Number(Num::Int(i)) => {
                let millis = i32::try_from(*i).map_err(|_| wrong("integer"))?;
                Ok(Value::Time(Time::to_logical(schema, millis).map_err(|e| path.wrap(e))?))
            }
            _ => Err(wrong("integer")),
        },
        LogicalType::Timestamp => match json {
            Json::Number(Num::Int(i)) => {
                Ok(Value::Timestamp(Timestamp::to_logical(schema, *i).map_err(|e| path.wrap(e))?))
            }
            _ => Err(wrong("integral")),
        },
    }
}

/// A NUMERIC decimal takes the schema's scale when that loses no digits (`1.5` read
/// for a scale-2 schema is `1.50`); otherwise it keeps the scale it was written with.
fn fit_scale(d: Decimal, schema: &Schema) -> Decimal {
    match Decimal::schema_scale(schema) {
        Ok(scale)
            if scale != d.scale() && (i64::from(scale) - i64::from(d.scale())).abs() <= 400 =>
        {
            d.rescale(scale).unwrap_or(d)
        }
        _ => d,
    }
}

/// Schemaless JSON: integers are INT64, other numbers FLOAT64, objects maps with
/// string keys.
fn schemaless(json: &Json, path: &Path<'_>) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(Num::Int(i)) => Value::Int64(*i),
        Json::Number(n) if n.is_integral_text() => {
            return Err(path.error(format!("Integer {} does not fit in INT64", n.text())));
        }
        Json::Number(n) => Value::Float64(float64(n, path)?),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(schemaless(item, &Path::Index(path, i))?);
            }
            Value::Array(out)
        }
        Json::Object(members) => {
            let value_path = Path::MapValue(path);
            let mut out = Vec::with_capacity(members.len());
            for (k, v) in members {
                out.push((Value::String(k.clone()), schemaless(v, &value_path)?));
            }
            Value::Map(out)
        }
    })
}

fn float64(n: &Num, path: &Path<'_>) -> Result<f64> {
    match n {
        Num::Int(i) => Ok(*i as f64),
        Num::Text(t) => t.parse().map_err(|_| path.error(format!("Invalid FLOAT64 {t}"))),
    }
}

/// The strings Jackson writes for non-finite floats.
fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// An integer of the target width; `2.0` and `1e2` count as integers, fractions and
/// values out of range are errors.
fn narrow<T: TryFrom<i64>>(n: &Num, ty: Type, path: &Path<'_>) -> Result<T> {
    let out_of_range = || path.error(format!("Numeric value {} out of range for {ty}", n.text()));
    let wide = match n {
        Num::Int(i) => *i,
        Num::Text(t) => {
            let d: Decimal = t.parse().map_err(|e| path.wrap(e))?;
            if d.unscaled().bits() == 0 {
                0
            } else if d.scale() < -19 {
                return Err(out_of_range());
            } else if d.scale() > 400 {
                return Err(path.error(format!("Numeric value {t} is not an integer")));
            } else {
                let whole = d
                    .rescale(0)
                    .map_err(|_| path.error(format!("Numeric value {t} is not an integer")))?;
                i64::try_from(whole.unscaled()).map_err(|_| out_of_range())?
            }
        }
    };
    T::try_from(wide).map_err(|_| out_of_range())
}
