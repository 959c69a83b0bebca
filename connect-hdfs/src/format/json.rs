//! JSON lines: one JSON object (or value) per line, written like Kafka's
//! `JsonConverter` with `schemas.enable=false`, as Confluent's `JsonFormat` does.
//!
//! Mapping: integers and floats as JSON numbers (non-finite floats as the strings
//! `"NaN"`, `"Infinity"`, `"-Infinity"`, as Jackson writes them), booleans, strings,
//! BYTES as base64 strings, structs as objects (field order kept), arrays as arrays,
//! maps with STRING keys as objects and other maps as arrays of `[key, value]` pairs,
//! Date as days since the epoch, Time as milliseconds of the day, Timestamp as
//! milliseconds since the epoch, and Decimal as the base64 of its unscaled
//! big-endian two's-complement bytes (`decimal.format=BASE64`, the converter's and
//! so Confluent's default) or, with [`JsonDecimalFormat::Numeric`], as a JSON number.

use std::io::Write as _;

use connect_api::Result;
use connect_api::data::{Schema, Type, Value};

use super::error::{EncResult, EncodeError, mismatch, null_required};
use super::{Format, FormatWriter};

/// How Decimal values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonDecimalFormat {
    /// Base64 of the unscaled value's big-endian two's-complement bytes (the default,
    /// as Confluent's `JsonFormat` writes them).
    #[default]
    Base64,
    /// A plain JSON number (`12.50`), as `decimal.format=NUMERIC` writes them.
    Numeric,
}

/// The JSON-lines format (`.json`).
#[derive(Debug, Clone, Default)]
pub struct JsonFormat {
    decimal: JsonDecimalFormat,
}

impl JsonFormat {
    /// JSON lines with base64 decimals.
    pub fn new() -> Self {
        JsonFormat::default()
    }

    /// The same format writing decimals as `decimal`.
    pub fn with_decimal_format(mut self, decimal: JsonDecimalFormat) -> Self {
        self.decimal = decimal;
        self
    }
}

impl Format for JsonFormat {
    fn extension(&self) -> &'static str {
        ".json"
    }

    fn new_writer(&self, schema: Option<&Schema>) -> Result<Box<dyn FormatWriter>> {
        Ok(Box::new(JsonWriter {
            schema: schema.cloned(),
            decimal: self.decimal,
            buf: Vec::with_capacity(64 * 1024),
            count: 0,
        }))
    }
}

struct JsonWriter {
    schema: Option<Schema>,
    decimal: JsonDecimalFormat,
    buf: Vec<u8>,
    count: u64,
}

impl FormatWriter for JsonWriter {
    fn write(&mut self, value: &Value) -> Result<()> {
        let start = self.buf.len();
        let enc = Encoder { decimal: self.decimal };
        let res = match &self.schema {
            Some(schema) => enc.with_schema(value, schema, &mut self.buf),
            None => enc.schemaless(value, &mut self.buf),
        };
        if let Err(e) = res {
            // Never leave half a line behind.
            self.buf.truncate(start);
            return Err(e.into_connect("JSON"));
        }
        self.buf.push(b'\n');
        self.count += 1;
        Ok(())
    }

    fn drain(&mut self) -> Result<Vec<u8>> {
        Ok(std::mem::take(&mut self.buf))
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        Ok(std::mem::take(&mut self.buf))
    }

    fn record_count(&self) -> u64 {
        self.count
    }
}

/// Encodes Connect values as JSON text.
#[derive(Clone, Copy)]
struct Encoder {
    decimal: JsonDecimalFormat,
}

fn io_err(e: std::io::Error) -> EncodeError {
    EncodeError::new(format!("cannot write JSON: {e}"))
}

fn write_str(out: &mut Vec<u8>, s: &str) -> EncResult {
    serde_json::to_writer(&mut *out, s).map_err(|e| EncodeError::new(e.to_string()))
}

fn write_f64(out: &mut Vec<u8>, v: f64) -> EncResult {
    if v.is_finite() {
        serde_json::to_writer(&mut *out, &v).map_err(|e| EncodeError::new(e.to_string()))
    } else {
        out.extend_from_slice(non_finite(v.is_nan(), v > 0.0).as_bytes());
        Ok(())
    }
}

fn write_f32(out: &mut Vec<u8>, v: f32) -> EncResult {
    if v.is_finite() {
        serde_json::to_writer(&mut *out, &v).map_err(|e| EncodeError::new(e.to_string()))
    } else {
        out.extend_from_slice(non_finite(v.is_nan(), v > 0.0).as_bytes());
        Ok(())
    }
}

fn non_finite(nan: bool, positive: bool) -> &'static str {
    match (nan, positive) {
        (true, _) => "\"NaN\"",
        (false, true) => "\"Infinity\"",
        (false, false) => "\"-Infinity\"",
    }
}

impl Encoder {
    fn with_schema(self, value: &Value, schema: &Schema, out: &mut Vec<u8>) -> EncResult {
        let value = match value {
            Value::Null => match schema.default_value() {
                Some(d) => d,
                None if schema.is_optional() => {
                    out.extend_from_slice(b"null");
                    return Ok(());
                }
                None => return Err(null_required()),
            },
            v => v,
        };
        match schema.schema_type() {
            Type::Struct => {
                let s = value.as_struct().ok_or_else(|| mismatch("STRUCT", value))?;
                out.push(b'{');
                for (i, field) in schema.fields().iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, field.name())?;
                    out.push(b':');
                    let v = s.values().get(field.index()).unwrap_or(&Value::Null);
                    self.with_schema(v, field.schema(), out).map_err(|e| e.at(field.name()))?;
                }
                out.push(b'}');
                Ok(())
            }
            Type::Array => {
                let items = value.as_array().ok_or_else(|| mismatch("ARRAY", value))?;
                let elem = schema.value_schema();
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match elem {
                        Some(es) => self.with_schema(item, es, out),
                        None => self.schemaless(item, out),
                    }
                    .map_err(|e| e.at(format!("[{i}]")))?;
                }
                out.push(b']');
                Ok(())
            }
            Type::Map => {
                let entries = value.as_map().ok_or_else(|| mismatch("MAP", value))?;
                let ks = schema.key_schema();
                let vs = schema.value_schema();
                let string_keys = ks.map(|k| k.schema_type() == Type::String).unwrap_or(false);
                self.map(entries, ks, vs, string_keys, out)
            }
            ty => {
                if value.physical_type() != Some(ty) {
                    return Err(mismatch(ty.as_str(), value));
                }
                self.scalar(value, out)
            }
        }
    }

    fn map(
        self,
        entries: &[(Value, Value)],
        ks: Option<&Schema>,
        vs: Option<&Schema>,
        string_keys: bool,
        out: &mut Vec<u8>,
    ) -> EncResult {
        let enc = |v: &Value, s: Option<&Schema>, out: &mut Vec<u8>| match s {
            Some(s) => self.with_schema(v, s, out),
            None => self.schemaless(v, out),
        };
        if string_keys {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let key = k.as_str().ok_or_else(|| mismatch("STRING map key", k))?;
                write_str(out, key)?;
                out.push(b':');
                enc(v, vs, out).map_err(|e| e.at(format!("[{key:?}]")))?;
            }
            out.push(b'}');
        } else {
            out.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                enc(k, ks, out).map_err(|e| e.at(format!("[{i}].key")))?;
                out.push(b',');
                enc(v, vs, out).map_err(|e| e.at(format!("[{i}].value")))?;
                out.push(b']');
            }
            out.push(b']');
        }
        Ok(())
    }

    fn schemaless(self, value: &Value, out: &mut Vec<u8>) -> EncResult {
        match value {
            Value::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Value::Struct(s) => self.with_schema(value, &s.schema().clone(), out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.schemaless(item, out).map_err(|e| e.at(format!("[{i}]")))?;
                }
                out.push(b']');
                Ok(())
            }
            Value::Map(entries) => {
                let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                self.map(entries, None, None, string_keys, out)
            }
            v => self.scalar(v, out),
        }
    }

    fn scalar(self, value: &Value, out: &mut Vec<u8>) -> EncResult {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Int8(v) => write!(out, "{v}").map_err(io_err)?,
            Value::Int16(v) => write!(out, "{v}").map_err(io_err)?,
            Value::Int32(v) => write!(out, "{v}").map_err(io_err)?,
            Value::Int64(v) => write!(out, "{v}").map_err(io_err)?,
            Value::Float32(v) => write_f32(out, *v)?,
            Value::Float64(v) => write_f64(out, *v)?,
            Value::Boolean(v) => out.extend_from_slice(if *v { b"true" } else { b"false" }),
            Value::String(s) => write_str(out, s)?,
            Value::Bytes(b) => {
                out.push(b'"');
                base64::engine::general_purpose::STANDARD.encode_slice_to_vec(b, out);
                out.push(b'"');
            }
            Value::Decimal(d) => match self.decimal {
                JsonDecimalFormat::Base64 => {
                    out.push(b'"');
                    let bytes = d.unscaled().to_signed_bytes_be();
                    base64::engine::general_purpose::STANDARD.encode_slice_to_vec(&bytes, out);
                    out.push(b'"');
                }
                JsonDecimalFormat::Numeric => write!(out, "{d}").map_err(io_err)?,
            },
            Value::Date(d) => write!(out, "{}", d.0).map_err(io_err)?,
            Value::Time(t) => write!(out, "{}", t.0).map_err(io_err)?,
            Value::Timestamp(t) => write!(out, "{}", t.0).map_err(io_err)?,
            Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
                return Err(EncodeError::new(format!(
                    "a {} value where the schema wants a primitive",
                    value.kind_name()
                )));
            }
        }
        Ok(())
    }
}

/// Base64 into an existing buffer without an intermediate `String`.
trait EncodeSliceToVec {
    fn encode_slice_to_vec(&self, input: &[u8], out: &mut Vec<u8>);
}

impl<E: base64::Engine> EncodeSliceToVec for E {
    fn encode_slice_to_vec(&self, input: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let len = base64::encoded_len(input.len(), true).unwrap_or(0);
        out.resize(start + len, 0);
        let written = self.encode_slice(input, &mut out[start..]).unwrap_or(0);
        out.truncate(start + written);
    }
}
