//! Connect data to JSON (`JsonConverter.convertToJson`).

use base64::Engine as _;
use connect_api::data::logical::{Date, Decimal, LogicalType, Time, Timestamp};
use connect_api::data::{Schema, Type, Value};
use connect_api::error::Result;

use super::tree::{Json, Members, Num};
use super::{BASE64, DecimalFormat, JsonOptions, Path};

/// The JSON of `value`, written as `schema` says, or inferred from the value when
/// there is no schema.
pub(crate) fn encode(
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Json> {
    let Some(schema) = schema else {
        return schemaless(value, options, path);
    };
    if value.is_null() {
        if options.replace_null_with_default
            && let Some(default) = schema.default_value().filter(|d| !d.is_null())
        {
            return encode(Some(schema), default, options, path);
        }
        if schema.is_optional() {
            return Ok(Json::Null);
        }
        return Err(path.error(
            "Conversion error: null value for field that is required and has no default value",
        ));
    }
    if let Some(logical) = LogicalType::of(schema) {
        return encode_logical(logical, schema, value, options, path);
    }
    Ok(match (schema.schema_type(), value) {
        (Type::Int8, Value::Int8(v)) => int(i64::from(*v)),
        (Type::Int16, Value::Int16(v)) => int(i64::from(*v)),
        (Type::Int32, Value::Int32(v)) => int(i64::from(*v)),
        (Type::Int64, Value::Int64(v)) => int(*v),
        (Type::Float32, Value::Float32(v)) => float32(*v),
        (Type::Float64, Value::Float64(v)) => float64(*v),
        (Type::Boolean, Value::Boolean(v)) => Json::Bool(*v),
        (Type::String, Value::String(v)) => Json::str(v.as_str()),
        (Type::Bytes, Value::Bytes(v)) => Json::String(BASE64.encode(v)),
        (Type::Array, Value::Array(items)) => {
            let elem = schema.value_schema();
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(encode(elem, item, options, &Path::Index(path, i))?);
            }
            Json::Array(out)
        }
        (Type::Map, Value::Map(entries)) => {
            let string_keys = schema.key_schema().is_none_or(|k| k.schema_type() == Type::String);
            map(schema.key_schema(), schema.value_schema(), entries, string_keys, options, path)?
        }
        (Type::Struct, Value::Struct(s)) => {
            if !s.schema().ptr_eq(schema) && s.schema() != schema {
                return Err(path.error("Mismatching schema."));
            }
            let mut members = Vec::with_capacity(schema.fields().len());
            for (field, v) in schema.fields().iter().zip(s.values()) {
                let json =
                    encode(Some(field.schema()), v, options, &Path::Field(path, field.name()))?;
                members.push((field.name().to_string(), json));
            }
            Json::Object(members)
        }
        (ty, v) => {
            return Err(path.error(format!("Invalid type for {ty}: {}", v.kind_name())));
        }
    })
}

fn encode_logical(
    logical: LogicalType,
    schema: &Schema,
    value: &Value,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Json> {
    let json = match (logical, value) {
        (LogicalType::Decimal, Value::Decimal(d)) => match options.decimal_format {
            DecimalFormat::Base64 => {
                let bytes = Decimal::from_logical(schema, d).map_err(|e| path.wrap(e))?;
                Json::String(BASE64.encode(bytes))
            }
            DecimalFormat::Numeric => decimal_number(d),
        },
        (LogicalType::Date, Value::Date(d)) => {
            int(Date::from_logical(schema, *d).map_err(|e| path.wrap(e))?.into())
        }
        (LogicalType::Time, Value::Time(t)) => {
            int(Time::from_logical(schema, *t).map_err(|e| path.wrap(e))?.into())
        }
        (LogicalType::Timestamp, Value::Timestamp(t)) => {
            int(Timestamp::from_logical(schema, *t).map_err(|e| path.wrap(e))?)
        }
        (logical, v) => {
            return Err(path.error(format!(
                "Invalid type for {logical:?}, expected {logical:?} but was {}",
                v.kind_name()
            )));
        }
    };
    Ok(json)
}

/// Schemaless values: the JSON type follows the value. Logical values, which Kafka
/// cannot write without a schema, are written in their physical form (a Decimal as a
/// JSON number, since its scale could not be recovered from bytes).
fn schemaless(value: &Value, options: &JsonOptions, path: &Path<'_>) -> Result<Json> {
    Ok(match value {
        Value::Null => Json::Null,
        Value::Int8(v) => int(i64::from(*v)),
        Value::Int16(v) => int(i64::from(*v)),
        Value::Int32(v) => int(i64::from(*v)),
        Value::Int64(v) => int(*v),
        Value::Float32(v) => float32(*v),
        Value::Float64(v) => float64(*v),
        Value::Boolean(v) => Json::Bool(*v),
        Value::String(v) => Json::str(v.as_str()),
        Value::Bytes(v) => Json::String(BASE64.encode(v)),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(schemaless(item, options, &Path::Index(path, i))?);
            }
            Json::Array(out)
        }
        Value::Map(entries) => {
            let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
            map(None, None, entries, string_keys, options, path)?
        }
        Value::Struct(_) => {
            return Err(path.error(
                "Mismatching schema. A Struct cannot be converted to JSON without its schema.",
            ));
        }
        Value::Decimal(d) => decimal_number(d),
        Value::Date(d) => int(d.0.into()),
        Value::Time(t) => int(t.0.into()),
        Value::Timestamp(t) => int(t.0),
    })
}

/// A map as a JSON object (string keys) or an array of `[key, value]` pairs.
fn map(
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    entries: &[(Value, Value)],
    string_keys: bool,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Json> {
    let key_path = Path::MapKey(path);
    let value_path = Path::MapValue(path);
    if string_keys {
        let mut members = Members::default();
        for (k, v) in entries {
            let key = match encode(key_schema, k, options, &key_path)? {
                Json::String(s) => s,
                Json::Null => "null".to_string(),
                other => {
                    return Err(key_path.error(format!(
                        "Invalid map key: expected a string but found {}",
                        other.node_type()
                    )));
                }
            };
            let value = encode(value_schema, v, options, &value_path)?;
            // A JSON object keeps one value per key: the last one, in the first one's place.
            members.insert(key, value);
        }
        Ok(Json::Object(members.finish()))
    } else {
        let mut pairs = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = encode(key_schema, k, options, &key_path)?;
            let value = encode(value_schema, v, options, &value_path)?;
            pairs.push(Json::Array(vec![key, value]));
        }
        Ok(Json::Array(pairs))
    }
}

fn int(v: i64) -> Json {
    Json::Number(Num::Int(v))
}

/// A float as Jackson writes it: finite values as numbers, the others as the strings
/// `NaN`, `Infinity` and `-Infinity`.
fn non_finite(is_nan: bool, positive: bool) -> Json {
    Json::str(match (is_nan, positive) {
        (true, _) => "NaN",
        (false, true) => "Infinity",
        (false, false) => "-Infinity",
    })
}

fn float32(v: f32) -> Json {
    if v.is_finite() {
        Json::Number(Num::Text(java_float_text(v).into()))
    } else {
        non_finite(v.is_nan(), v > 0.0)
    }
}

fn float64(v: f64) -> Json {
    if v.is_finite() {
        Json::Number(Num::Text(java_float_text(v).into()))
    } else {
        non_finite(v.is_nan(), v > 0.0)
    }
}

/// A finite float as Java's `Double.toString` / `Float.toString` write it (and so Kafka's
/// JsonConverter, through Jackson): the shortest digits that read back to the same value,
/// plain from 10^-3 up to 10^7 (`100.0`, `0.001`), otherwise in computerized scientific
/// notation (`1.0E7`, `-2.5E-7`); always a digit after the point.
pub(crate) fn java_float_text<F>(v: F) -> String
where
    F: std::fmt::LowerExp + std::str::FromStr + PartialEq + Copy,
{
    // `{:e}` gives the shortest round-tripping digits: `-1.2345e-7`, `1e21`, `0e0`. Java
    // writes a digit after the point in scientific notation, and then picks the two-digit
    // decimal nearest the value (`4.9E-324`, not `5.0E-324`, for the smallest subnormal),
    // which is `{:.1e}` whenever that reads back to the same value.
    let mut sci = format!("{v:e}");
    let exp_of =
        |sci: &str| -> i32 { sci.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0) };
    if !sci.contains('.') && !(-3..7).contains(&exp_of(&sci)) {
        let two = format!("{v:.1e}");
        if two.parse::<F>().is_ok_and(|back| back == v) {
            sci = two;
        }
    }
    let (mantissa, _) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp = exp_of(&sci);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() > int_len {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            } else {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// A decimal as a plain JSON number (Jackson's `WRITE_BIGDECIMAL_AS_PLAIN`).
fn decimal_number(d: &Decimal) -> Json {
    let text = d.to_string();
    match text.parse::<i64>() {
        Ok(i) if !text.contains('.') => int(i),
        _ => Json::Number(Num::Text(text.into())),
    }
}

/// Writes the JSON of `value` straight into `out`: the same text as
/// `tree::write(out, &encode(schema, value, …)?)`, without building the tree for the
/// common shapes (structs, arrays, primitives, strings). Maps, logical values, nulls
/// replaced by defaults and non-finite floats go through the tree. On error `out` may
/// hold a partial document; the caller discards it.
pub(crate) fn encode_into(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<()> {
    let Some(schema) = schema else {
        return match value {
            Value::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Value::Boolean(v) => {
                out.extend_from_slice(if *v { b"true" } else { b"false" });
                Ok(())
            }
            Value::Int8(v) => {
                push_i64(out, i64::from(*v));
                Ok(())
            }
            Value::Int16(v) => {
                push_i64(out, i64::from(*v));
                Ok(())
            }
            Value::Int32(v) => {
                push_i64(out, i64::from(*v));
                Ok(())
            }
            Value::Int64(v) => {
                push_i64(out, *v);
                Ok(())
            }
            Value::String(s) => {
                super::tree::write_str(out, s);
                Ok(())
            }
            _ => {
                super::tree::write(out, &schemaless(value, options, path)?);
                Ok(())
            }
        };
    };
    if value.is_null() || LogicalType::of(schema).is_some() {
        super::tree::write(out, &encode(Some(schema), value, options, path)?);
        return Ok(());
    }
    match (schema.schema_type(), value) {
        (Type::Int8, Value::Int8(v)) => push_i64(out, i64::from(*v)),
        (Type::Int16, Value::Int16(v)) => push_i64(out, i64::from(*v)),
        (Type::Int32, Value::Int32(v)) => push_i64(out, i64::from(*v)),
        (Type::Int64, Value::Int64(v)) => push_i64(out, *v),
        (Type::Float32, Value::Float32(v)) if v.is_finite() => {
            out.extend_from_slice(java_float_text(*v).as_bytes())
        }
        (Type::Float64, Value::Float64(v)) if v.is_finite() => {
            out.extend_from_slice(java_float_text(*v).as_bytes())
        }
        (Type::Boolean, Value::Boolean(v)) => {
            out.extend_from_slice(if *v { b"true" } else { b"false" })
        }
        (Type::String, Value::String(v)) => super::tree::write_str(out, v),
        (Type::Array, Value::Array(items)) => {
            let elem = schema.value_schema();
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode_into(out, elem, item, options, &Path::Index(path, i))?;
            }
            out.push(b']');
        }
        (Type::Struct, Value::Struct(s)) => {
            if !s.schema().ptr_eq(schema) && s.schema() != schema {
                return Err(path.error("Mismatching schema."));
            }
            out.push(b'{');
            for (i, (field, v)) in schema.fields().iter().zip(s.values()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                super::tree::write_str(out, field.name());
                out.push(b':');
                encode_into(
                    out,
                    Some(field.schema()),
                    v,
                    options,
                    &Path::Field(path, field.name()),
                )?;
            }
            out.push(b'}');
        }
        _ => super::tree::write(out, &encode(Some(schema), value, options, path)?),
    }
    Ok(())
}

/// Appends the decimal text of `v`.
fn push_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}
