//! Connect schema → Arrow schema (and so Parquet schema).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, TimeUnit};
use connect_api::data::logical::{Decimal, LogicalType};
use connect_api::data::{Schema, Type};
use connect_api::{ConnectError, Result};

/// The largest precision of Arrow's Decimal128, used when a Decimal schema names
/// none (`connect.decimal.precision`).
pub const DEFAULT_DECIMAL_PRECISION: u8 = 38;

/// The Arrow schema of a STRUCT Connect schema: one column per field.
///
/// INT8–INT64, FLOAT32/64, BOOLEAN → the same Arrow types; STRING → Utf8; BYTES →
/// Binary; Decimal → Decimal128(`connect.decimal.precision` or 38, scale); Date →
/// Date32; Time → Time32(ms); Timestamp → Timestamp(ms, UTC); ARRAY → List; MAP →
/// Map (`key_value` entries with `key` and `value`); STRUCT → Struct. Optional
/// schemas are nullable columns.
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder};
/// use connect_hdfs::format::connect_to_arrow_schema;
///
/// let s = SchemaBuilder::struct_().field("id", Schema::int64()).field("n", Schema::optional_string()).build()?;
/// let arrow = connect_to_arrow_schema(&s)?;
/// assert_eq!(arrow.fields().len(), 2);
/// assert!(arrow.field(1).is_nullable());
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
pub fn connect_to_arrow_schema(schema: &Schema) -> Result<arrow_schema::Schema> {
    if schema.schema_type() != Type::Struct {
        return Err(ConnectError::data(format!(
            "ParquetFormat needs a STRUCT value schema, not {}",
            schema.schema_type()
        )));
    }
    Ok(arrow_schema::Schema::new(struct_fields(schema, "")?))
}

pub(crate) fn struct_fields(schema: &Schema, path: &str) -> Result<Fields> {
    let mut fields = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let p = if path.is_empty() { f.name().to_string() } else { format!("{path}.{}", f.name()) };
        fields.push(field(f.name(), f.schema(), &p)?);
    }
    Ok(Fields::from(fields))
}

pub(crate) fn field(name: &str, schema: &Schema, path: &str) -> Result<Field> {
    Ok(Field::new(name, data_type(schema, path)?, schema.is_optional()))
}

/// The precision and scale a Decimal schema gets in Arrow.
pub(crate) fn decimal_precision_scale(schema: &Schema, path: &str) -> Result<(u8, i8)> {
    let scale = Decimal::schema_scale(schema).map_err(|e| e.context(path))?;
    let precision = schema
        .parameters()
        .get("connect.decimal.precision")
        .and_then(|p| p.parse::<u8>().ok())
        .unwrap_or(DEFAULT_DECIMAL_PRECISION);
    if precision == 0 || precision > DEFAULT_DECIMAL_PRECISION {
        return Err(ConnectError::data(format!(
            "{path}: decimal precision {precision} is outside 1..=38, which Parquet DECIMAL via Decimal128 holds"
        )));
    }
    let scale = i8::try_from(scale)
        .ok()
        .filter(|s| *s >= 0 && (*s as u8) <= precision)
        .ok_or_else(|| {
            ConnectError::data(format!(
                "{path}: decimal scale {scale} must be between 0 and the precision {precision}"
            ))
        })?;
    Ok((precision, scale))
}

pub(crate) fn data_type(schema: &Schema, path: &str) -> Result<DataType> {
    if let Some(logical) = LogicalType::of(schema) {
        return Ok(match logical {
            LogicalType::Decimal => {
                let (p, s) = decimal_precision_scale(schema, path)?;
                DataType::Decimal128(p, s)
            }
            LogicalType::Date => DataType::Date32,
            LogicalType::Time => DataType::Time32(TimeUnit::Millisecond),
            LogicalType::Timestamp => {
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            }
        });
    }
    Ok(match schema.schema_type() {
        Type::Int8 => DataType::Int8,
        Type::Int16 => DataType::Int16,
        Type::Int32 => DataType::Int32,
        Type::Int64 => DataType::Int64,
        Type::Float32 => DataType::Float32,
        Type::Float64 => DataType::Float64,
        Type::Boolean => DataType::Boolean,
        Type::String => DataType::Utf8,
        Type::Bytes => DataType::Binary,
        Type::Array => {
            let elem = schema.value_schema().ok_or_else(|| {
                ConnectError::data(format!("{path}: array schema has no element schema"))
            })?;
            DataType::List(Arc::new(field("element", elem, &format!("{path}[]"))?))
        }
        Type::Map => {
            let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
                return Err(ConnectError::data(format!(
                    "{path}: map schema lacks its key or value schema"
                )));
            };
            let key = Field::new("key", data_type(ks, &format!("{path}.key"))?, false);
            let value = field("value", vs, &format!("{path}.value"))?;
            let entries =
                Field::new("key_value", DataType::Struct(Fields::from(vec![key, value])), false);
            DataType::Map(Arc::new(entries), false)
        }
        Type::Struct => DataType::Struct(struct_fields(schema, path)?),
    })
}
