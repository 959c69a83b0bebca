//! `Cast`: casts fields, or the whole key or value, to another primitive type.

use std::collections::HashMap;

use connect_api::config::{ConfigDef, ConfigKey, ConfigValue, Importance, RawConfig, Type, custom};
use connect_api::data::{
    LogicalType, Schema, SchemaAndValue, SchemaBuilder, Struct, Type as SchemaType, Value,
};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{
    REPLACE_NULL_WITH_DEFAULT, copy_basics, field_value, map_put, replace_null_with_default_key,
    require_map, require_struct,
};
use crate::fields::{Side, get, set};
use crate::values::{decimal_whole_part, java_string, parse_java_double};

const PURPOSE: &str = "cast types";
const SPEC: &str = "spec";

const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// What the `spec` asks for: one type for the whole key/value, or a type per field.
#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Whole(SchemaType),
    Fields(Vec<(String, SchemaType)>),
}

/// Casts fields of a struct or map, or the whole key or value, to another primitive
/// type (Kafka's `Cast$Key` / `Cast$Value`).
///
/// `spec` is either one type (`int32`) for the whole value or `field:type` pairs
/// (`age:int8,score:float64`); the types are `int8`, `int16`, `int32`, `int64`,
/// `float32`, `float64`, `boolean` and `string`, any case. Numbers narrow as Java's
/// casts do (wrapping, floats truncated), strings are parsed as Java parses them,
/// booleans become 1/0, bytes can only become base64 strings, and Date/Time/Timestamp
/// values cast to numbers through their days or milliseconds. With a schema the cast
/// fields get new schemas (optionality kept, defaults cast); without one the value
/// must be a map.
#[derive(Debug)]
pub struct Cast {
    side: Side,
    spec: Spec,
    replace_null_with_default: bool,
    schemas: HashMap<Schema, Schema>,
}

fn parse_type(name: &str) -> std::result::Result<SchemaType, String> {
    let t = match name.trim().to_ascii_uppercase().as_str() {
        "INT8" => SchemaType::Int8,
        "INT16" => SchemaType::Int16,
        "INT32" => SchemaType::Int32,
        "INT64" => SchemaType::Int64,
        "FLOAT32" => SchemaType::Float32,
        "FLOAT64" => SchemaType::Float64,
        "BOOLEAN" => SchemaType::Boolean,
        "STRING" => SchemaType::String,
        "BYTES" | "ARRAY" | "MAP" | "STRUCT" => {
            return Err(format!(
                "Cast transformation does not support casting to {}; supported types are {OUTPUT_TYPES}",
                name.trim().to_ascii_uppercase()
            ));
        }
        _ => return Err(format!("Invalid type found in casting spec: {}", name.trim())),
    };
    Ok(t)
}

fn parse_spec(items: &[String]) -> std::result::Result<Spec, String> {
    if items.is_empty() {
        return Err("Must specify at least one field to cast.".to_string());
    }
    let mut fields = Vec::new();
    let mut whole = None;
    for item in items {
        let parts: Vec<&str> = item.split(':').collect();
        match parts.as_slice() {
            [t] => whole = Some(parse_type(t)?),
            [f, t] => fields.push((f.trim().to_string(), parse_type(t)?)),
            _ => return Err(format!("Invalid cast mapping: {item}")),
        }
    }
    match whole {
        Some(_) if items.len() > 1 => Err("Cast transformations that specify a type to cast the \
             entire value to may only specify a single cast in their spec"
            .to_string()),
        Some(t) => Ok(Spec::Whole(t)),
        None => Ok(Spec::Fields(fields)),
    }
}

impl Cast {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        Cast {
            side,
            spec: Spec::Fields(Vec::new()),
            replace_null_with_default: true,
            schemas: HashMap::new(),
        }
    }

    fn definition() -> ConfigDef {
        let spec_check = custom(|_, v| match v {
            Some(ConfigValue::List(items)) => parse_spec(items).map(drop),
            _ => Err("Must specify at least one field to cast.".to_string()),
        })
        .described_as("list of colon-delimited pairs, e.g. foo:bar,abc:xyz");
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    SPEC,
                    Type::List,
                    Importance::High,
                    "Fields and the type to cast them to, as field1:type,field2:type, or a single \
                     type to cast the entire value. Types: int8, int16, int32, int64, float32, \
                     float64, boolean, string (bytes can only be cast to string).",
                )
                .validator(spec_check),
            )
            .define(replace_null_with_default_key())
    }

    fn field_type(&self, name: &str) -> Option<SchemaType> {
        match &self.spec {
            Spec::Fields(f) => f.iter().find(|(n, _)| n == name).map(|(_, t)| *t),
            Spec::Whole(_) => None,
        }
    }

    fn schema_for(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let mut b = match &self.spec {
            // A logical name on another physical type would make another logical type.
            Spec::Whole(t) if LogicalType::of(base).is_some() => SchemaBuilder::new(*t),
            Spec::Whole(t) => copy_basics(base, SchemaBuilder::new(*t)),
            Spec::Fields(_) => {
                let mut b = copy_basics(base, SchemaBuilder::struct_());
                for f in base.fields() {
                    let schema = match self.field_type(f.name()) {
                        None => f.schema().clone(),
                        Some(t) => {
                            let mut fb = SchemaBuilder::new(t);
                            if f.schema().is_optional() {
                                fb = fb.optional();
                            }
                            if let Some(d) = f.schema().default_value() {
                                fb = fb.default_value(cast_value(Some(f.schema()), d, t)?);
                            }
                            fb.build()?
                        }
                    };
                    b = b.field(f.name(), schema);
                }
                b
            }
        };
        if base.is_optional() {
            b = b.optional();
        }
        if let Some(d) = base.default_value() {
            let ty = b.schema_type();
            b = b.default_value(cast_value(Some(base), d, ty)?);
        }
        let s = b.build()?;
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }
}

impl<R: ConnectRecord> Transformation<R> for Cast {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.spec = parse_spec(parsed.get_list(SPEC)?).map_err(ConnectError::config)?;
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        if value.is_null() {
            return Ok(Some(record));
        }
        let spec = self.spec.clone();
        let updated = match (schema, &spec) {
            (None, Spec::Whole(t)) => SchemaAndValue::new(None, cast_value(None, &value, *t)?),
            (None, Spec::Fields(fields)) => {
                let mut map = require_map(value, PURPOSE)?;
                for (name, t) in fields {
                    let cast = cast_value(None, &crate::common::map_get(&map, name), *t)?;
                    map_put(&mut map, name, cast);
                }
                SchemaAndValue::new(None, Value::Map(map))
            }
            (Some(schema), Spec::Whole(t)) => {
                let target = self.schema_for(&schema)?;
                let v = cast_value(Some(&schema), &value, *t)?;
                SchemaAndValue::new(Some(target), v)
            }
            (Some(schema), Spec::Fields(_)) => {
                let s = require_struct(value, PURPOSE)?;
                let target = self.schema_for(&schema)?;
                let mut out = Struct::new(target.clone())?;
                for f in s.schema().fields() {
                    let v = field_value(&s, f.name(), self.replace_null_with_default)?;
                    let v = match self.field_type(f.name()) {
                        Some(t) => cast_value(Some(f.schema()), &v, t)?,
                        None => v,
                    };
                    out.put(f.name(), v)?;
                }
                SchemaAndValue::new(Some(target), Value::Struct(out))
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}

/// The number behind a value, after Date/Time/Timestamp are encoded as their INT32 or
/// INT64 form.
enum Num {
    Int(i64),
    Float(f64),
    Whole(i128),
}

fn unexpected(value: &Value) -> ConnectError {
    ConnectError::data(format!("Unexpected type in Cast transformation: {}", value.kind_name()))
}

fn out_of_range(value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Value ({}) was out of range for requested data type",
        java_string(value)
    ))
}

fn number(value: &Value) -> Result<Option<Num>> {
    Ok(Some(match value {
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => {
            Num::Int(value.as_i64().unwrap_or_default())
        }
        Value::Float32(v) => Num::Float(f64::from(*v)),
        Value::Float64(v) => Num::Float(*v),
        Value::Decimal(d) => Num::Whole(decimal_whole_part(d).ok_or_else(|| out_of_range(value))?),
        Value::Date(d) => Num::Int(i64::from(d.0)),
        Value::Time(t) => Num::Int(i64::from(t.0)),
        Value::Timestamp(t) => Num::Int(t.0),
        Value::Boolean(b) => Num::Int(i64::from(*b)),
        _ => return Ok(None),
    }))
}

/// Java's `Number.longValue()` (floats truncate and saturate; wider integers wrap).
fn long_value(n: &Num) -> i64 {
    match *n {
        Num::Int(i) => i,
        Num::Float(f) => f as i64,
        Num::Whole(w) => w as i64,
    }
}

/// Java's `Number.intValue()`; `byteValue`/`shortValue` narrow this further.
fn int_value(n: &Num) -> i32 {
    match *n {
        Num::Int(i) => i as i32,
        Num::Float(f) => f as i32,
        Num::Whole(w) => w as i32,
    }
}

fn double_value(value: &Value, n: &Num) -> f64 {
    match (value, n) {
        (Value::Decimal(d), _) => d.to_f64(),
        (_, Num::Int(i)) => *i as f64,
        (_, Num::Float(f)) => *f,
        (_, Num::Whole(w)) => *w as f64,
    }
}

fn parse_int<T: std::str::FromStr>(value: &Value, s: &str) -> Result<T> {
    s.parse().map_err(|_| out_of_range(value))
}

/// Casts one value to a target type as Kafka's `Cast.castValueToType` does.
fn cast_value(schema: Option<&Schema>, value: &Value, target: SchemaType) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let input = schema.map(Schema::schema_type).or_else(|| value.physical_type());
    if let Some(t) = input
        && !t.is_primitive()
    {
        return Err(ConnectError::data(format!(
            "Cast transformation does not support casting from {t}; supported types are {INPUT_TYPES}"
        )));
    }
    if target == SchemaType::String {
        return Ok(Value::String(match value {
            Value::Date(d) => date_text(d.to_epoch_millis()),
            Value::Time(t) => date_text(i64::from(t.0)),
            Value::Timestamp(t) => date_text(t.0),
            other => java_string(other),
        }));
    }
    let text = value.as_str();
    let num = number(value)?;
    let out = match (target, &num, text) {
        (SchemaType::Int8, Some(n), _) => Value::Int8(int_value(n) as i8),
        (SchemaType::Int16, Some(n), _) => Value::Int16(int_value(n) as i16),
        (SchemaType::Int32, Some(n), _) => Value::Int32(int_value(n)),
        (SchemaType::Int64, Some(n), _) => Value::Int64(long_value(n)),
        (SchemaType::Float32, Some(n), _) => Value::Float32(double_value(value, n) as f32),
        (SchemaType::Float64, Some(n), _) => Value::Float64(double_value(value, n)),
        (SchemaType::Boolean, Some(n), _) => Value::Boolean(long_value(n) != 0),
        (SchemaType::Int8, None, Some(s)) => Value::Int8(parse_int(value, s)?),
        (SchemaType::Int16, None, Some(s)) => Value::Int16(parse_int(value, s)?),
        (SchemaType::Int32, None, Some(s)) => Value::Int32(parse_int(value, s)?),
        (SchemaType::Int64, None, Some(s)) => Value::Int64(parse_int(value, s)?),
        (SchemaType::Float32, None, Some(s)) => {
            Value::Float32(parse_java_double(s).ok_or_else(|| out_of_range(value))? as f32)
        }
        (SchemaType::Float64, None, Some(s)) => {
            Value::Float64(parse_java_double(s).ok_or_else(|| out_of_range(value))?)
        }
        (SchemaType::Boolean, None, Some(s)) => Value::Boolean(s.eq_ignore_ascii_case("true")),
        (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64, _, _)
        | (SchemaType::Float32 | SchemaType::Float64 | SchemaType::Boolean, _, _) => {
            return Err(unexpected(value));
        }
        (other, _, _) => {
            return Err(ConnectError::data(format!(
                "{other} is not supported in the Cast transformation."
            )));
        }
    };
    Ok(out)
}

/// Kafka's `Values.dateFormatFor`: the text form is chosen by the instant, not the
/// schema: within the first day a time (`HH:mm:ss.SSS'Z'`), at a midnight a date
/// (`yyyy-MM-dd`), else a timestamp (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`).
fn date_text(millis: i64) -> String {
    use connect_api::data::{Date, Time, Timestamp};
    const DAY: i64 = 86_400_000;
    if millis < DAY {
        format!("{}Z", Time(millis.rem_euclid(DAY) as i32))
    } else if millis % DAY == 0 {
        Date((millis / DAY) as i32).to_string()
    } else {
        Timestamp(millis).to_string()
    }
}
