//! From result columns to Connect: the per-query [`RowPlan`] (one [`Decoder`] and one
//! field schema per column, computed once) and the decoding of rows with it.
//!
//! Types follow Confluent's mapping: integers by width, REAL → FLOAT32, DOUBLE →
//! FLOAT64, NUMERIC/DECIMAL → the Decimal logical type (or integers / FLOAT64 under
//! `numeric.mapping`), character and JSON types → STRING, binary → BYTES, BOOLEAN,
//! DATE/TIME/TIMESTAMP → the Date/Time/Timestamp logical types. Nullable columns
//! get optional schemas; the struct schema is named after the table.

use std::collections::HashMap;

use bigdecimal::{BigDecimal, ToPrimitive};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use connect_api::data::{
    Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Type, Value,
};
use connect_api::{ConnectError, Result};
use sqlx::{Column, Row, TypeInfo, ValueRef};

use super::config::NumericMapping;
use super::tables::ColumnMeta;
use crate::dialect::Dialect;

/// The scale of a Decimal whose column declares none (PostgreSQL's unconstrained
/// NUMERIC), as Confluent uses for an unset scale.
pub const UNSET_DECIMAL_SCALE: i32 = 127;

/// The Connect parameter carrying a Decimal's declared precision.
pub const DECIMAL_PRECISION_PARAMETER: &str = "connect.decimal.precision";

/// What a NUMERIC/DECIMAL value becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericTarget {
    /// Decimal with this scale.
    Decimal(i32),
    /// INT8.
    Int8,
    /// INT16.
    Int16,
    /// INT32.
    Int32,
    /// INT64.
    Int64,
    /// FLOAT64.
    Float64,
}

/// How one column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// BOOLEAN.
    Bool,
    /// INT8.
    I8,
    /// INT16.
    I16,
    /// INT32.
    I32,
    /// INT64.
    I64,
    /// Unsigned 8-bit (MySQL), widened to INT16.
    U8,
    /// Unsigned 16-bit, widened to INT32.
    U16,
    /// Unsigned 32-bit, widened to INT64.
    U32,
    /// Unsigned 64-bit, as INT64 (as Confluent; larger values are a data error).
    U64,
    /// FLOAT32.
    F32,
    /// FLOAT64.
    F64,
    /// STRING.
    Str,
    /// BYTES.
    Bytes,
    /// PostgreSQL json/jsonb as STRING.
    PgJson,
    /// PostgreSQL uuid as STRING.
    PgUuid,
    /// NUMERIC/DECIMAL.
    Numeric(NumericTarget),
    /// DATE.
    Date,
    /// TIME.
    Time,
    /// TIMESTAMP without time zone, read in `db.timezone`.
    TimestampLocal,
    /// TIMESTAMP WITH TIME ZONE (PostgreSQL) / TIMESTAMP (MySQL, read in UTC).
    TimestampUtc,
}

/// One column of a plan.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    /// Position in the result row.
    pub index: usize,
    /// Column name (the field name).
    pub name: String,
    /// How to read it.
    pub decoder: Decoder,
}

/// The plan of one query result: which columns become which fields, and the struct
/// schema, computed once per query run.
#[derive(Debug, Clone)]
pub struct RowPlan {
    /// The columns, in field order.
    pub columns: Vec<ColumnPlan>,
    /// The value schema.
    pub schema: Schema,
    /// Field positions of the timestamp columns, in COALESCE order.
    pub timestamp_fields: Vec<usize>,
    /// Field position of the incrementing column.
    pub incrementing_field: Option<usize>,
    /// The result's column names and types, to tell whether a later result fits.
    pub signature: Vec<(String, String)>,
}

fn int_by_precision(p: i64) -> NumericTarget {
    if p > 9 {
        NumericTarget::Int64
    } else if p > 4 {
        NumericTarget::Int32
    } else if p > 2 {
        NumericTarget::Int16
    } else {
        NumericTarget::Int8
    }
}

/// What a NUMERIC(p, s) column becomes under `mapping` (`None` for an undeclared
/// precision or scale).
pub fn numeric_target(p: Option<i64>, s: Option<i64>, mapping: NumericMapping) -> NumericTarget {
    const MAX_INTEGER_PRECISION: i64 = 18;
    match (mapping, p, s) {
        (NumericMapping::PrecisionOnly, Some(p), Some(0))
            if p <= MAX_INTEGER_PRECISION && p > 0 =>
        {
            int_by_precision(p)
        }
        (NumericMapping::BestFit | NumericMapping::BestFitEagerDouble, Some(p), Some(s))
            if p > 0 && p <= MAX_INTEGER_PRECISION && (-84..=0).contains(&s) =>
        {
            int_by_precision(p)
        }
        (NumericMapping::BestFit, Some(p), Some(s)) if p <= MAX_INTEGER_PRECISION && s > 0 => {
            NumericTarget::Float64
        }
        (NumericMapping::BestFitEagerDouble, _, Some(s)) if s > 0 => NumericTarget::Float64,
        // Undeclared precision and scale (PostgreSQL's unconstrained NUMERIC) hold any
        // number: best fit is FLOAT64.
        (NumericMapping::BestFit | NumericMapping::BestFitEagerDouble, None, _) => {
            NumericTarget::Float64
        }
        (_, _, s) => NumericTarget::Decimal(
            s.and_then(|s| i32::try_from(s).ok()).unwrap_or(UNSET_DECIMAL_SCALE),
        ),
    }
}

/// Chooses the decoder of one result column from the driver's type name and the
/// catalog's metadata (`None` when the type is not supported: the column is skipped).
pub fn decoder_for(
    dialect: Dialect,
    type_name: &str,
    meta: Option<&ColumnMeta>,
    mapping: NumericMapping,
) -> Option<Decoder> {
    let (p, s) = meta.map_or((None, None), |m| (m.precision, m.scale));
    let numeric = Decoder::Numeric(numeric_target(p, s, mapping));
    let upper = type_name.to_ascii_uppercase();
    match dialect {
        Dialect::Postgres => Some(match upper.as_str() {
            "BOOL" => Decoder::Bool,
            "\"CHAR\"" => Decoder::I8,
            "INT2" => Decoder::I16,
            "INT4" => Decoder::I32,
            "INT8" => Decoder::I64,
            "FLOAT4" => Decoder::F32,
            "FLOAT8" => Decoder::F64,
            "NUMERIC" => numeric,
            "TEXT" | "VARCHAR" | "CHAR" | "BPCHAR" | "NAME" | "CITEXT" => Decoder::Str,
            "BYTEA" => Decoder::Bytes,
            "JSON" | "JSONB" => Decoder::PgJson,
            "UUID" => Decoder::PgUuid,
            "DATE" => Decoder::Date,
            "TIME" => Decoder::Time,
            "TIMESTAMP" => Decoder::TimestampLocal,
            "TIMESTAMPTZ" => Decoder::TimestampUtc,
            _ => return None,
        }),
        // A text column with a binary collation (MariaDB's JSON is LONGTEXT COLLATE
        // utf8mb4_bin) comes over the wire flagged as binary: the catalog knows better.
        Dialect::MySql
            if meta.is_some_and(|m| {
                let base = m.declared.split(['(', ' ']).next().unwrap_or("");
                matches!(
                    base,
                    "char"
                        | "varchar"
                        | "tinytext"
                        | "text"
                        | "mediumtext"
                        | "longtext"
                        | "json"
                        | "enum"
                        | "set"
                )
            }) =>
        {
            Some(Decoder::Str)
        }
        Dialect::MySql => Some(match upper.as_str() {
            "BOOLEAN" => Decoder::Bool,
            "TINYINT" => Decoder::I8,
            "TINYINT UNSIGNED" => Decoder::U8,
            "SMALLINT" => Decoder::I16,
            "SMALLINT UNSIGNED" => Decoder::U16,
            "INT" | "MEDIUMINT" | "MEDIUMINT UNSIGNED" => Decoder::I32,
            "INT UNSIGNED" => Decoder::U32,
            "BIGINT" => Decoder::I64,
            "BIGINT UNSIGNED" => Decoder::U64,
            "FLOAT" => Decoder::F32,
            "DOUBLE" => Decoder::F64,
            "DECIMAL" => numeric,
            "CHAR" | "VARCHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM"
            | "SET" | "JSON" => Decoder::Str,
            "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                Decoder::Bytes
            }
            "DATE" => Decoder::Date,
            "TIME" => Decoder::Time,
            "DATETIME" => Decoder::TimestampLocal,
            "TIMESTAMP" => Decoder::TimestampUtc,
            _ => return None,
        }),
        Dialect::Sqlite => {
            // The catalog's declared type decides (SQLite's type affinity rules); the
            // driver's name serves for expressions of a query.
            let declared = meta.map(|m| m.declared.to_ascii_uppercase()).unwrap_or(upper);
            Some(sqlite_decoder(&declared, numeric))
        }
    }
}

fn sqlite_decoder(declared: &str, numeric: Decoder) -> Decoder {
    let base = declared.split('(').next().unwrap_or("").trim();
    match base {
        "BOOLEAN" | "BOOL" => Decoder::Bool,
        "TINYINT" => Decoder::I8,
        "SMALLINT" | "INT2" => Decoder::I16,
        "MEDIUMINT" => Decoder::I32,
        "DATE" => Decoder::Date,
        "TIME" => Decoder::Time,
        "DATETIME" | "TIMESTAMP" => Decoder::TimestampLocal,
        "DECIMAL" | "NUMERIC" => numeric,
        "FLOAT" | "DOUBLE" | "DOUBLE PRECISION" => Decoder::F64,
        "REAL" => Decoder::F64,
        _ if base.contains("INT") => Decoder::I64,
        _ if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") => {
            Decoder::Str
        }
        _ if base.contains("BLOB") || base.is_empty() => Decoder::Bytes,
        _ if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") => {
            Decoder::F64
        }
        "JSON" => Decoder::Str,
        _ => numeric,
    }
}

fn field_schema(decoder: Decoder, optional: bool, meta: Option<&ColumnMeta>) -> Result<Schema> {
    let b = match decoder {
        Decoder::Bool => SchemaBuilder::boolean(),
        Decoder::I8 => SchemaBuilder::int8(),
        Decoder::I16 | Decoder::U8 => SchemaBuilder::int16(),
        Decoder::I32 | Decoder::U16 => SchemaBuilder::int32(),
        Decoder::I64 | Decoder::U32 | Decoder::U64 => SchemaBuilder::int64(),
        Decoder::F32 => SchemaBuilder::float32(),
        Decoder::F64 => SchemaBuilder::float64(),
        Decoder::Str | Decoder::PgJson | Decoder::PgUuid => SchemaBuilder::string(),
        Decoder::Bytes => SchemaBuilder::bytes(),
        Decoder::Numeric(t) => match t {
            NumericTarget::Decimal(scale) => {
                let b = Decimal::builder(scale);
                match meta.and_then(|m| m.precision) {
                    Some(p) => b.parameter(DECIMAL_PRECISION_PARAMETER, p.to_string()),
                    None => b,
                }
            }
            NumericTarget::Int8 => SchemaBuilder::int8(),
            NumericTarget::Int16 => SchemaBuilder::int16(),
            NumericTarget::Int32 => SchemaBuilder::int32(),
            NumericTarget::Int64 => SchemaBuilder::int64(),
            NumericTarget::Float64 => SchemaBuilder::float64(),
        },
        Decoder::Date => Date::builder(),
        Decoder::Time => Time::builder(),
        Decoder::TimestampLocal | Decoder::TimestampUtc => Timestamp::builder(),
    };
    let b = if optional { b.optional() } else { b };
    b.build()
}

/// What a plan needs to know beyond the result columns.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    /// The dialect.
    pub dialect: Dialect,
    /// The struct schema's name (the table), `None` in query mode.
    pub schema_name: Option<&'a str>,
    /// The catalog's columns (empty in query mode: every field optional).
    pub metadata: &'a [ColumnMeta],
    /// `numeric.mapping`.
    pub mapping: NumericMapping,
    /// Timestamp column names, in COALESCE order.
    pub timestamp_columns: &'a [String],
    /// Incrementing column name.
    pub incrementing_column: Option<&'a str>,
}

/// The column names and type names of a result row.
pub fn signature<R: Row>(row: &R) -> Vec<(String, String)> {
    row.columns().iter().map(|c| (c.name().to_string(), c.type_info().name().to_string())).collect()
}

/// Builds the plan of a result from its first row.
pub fn plan(sig: Vec<(String, String)>, inputs: PlanInputs<'_>) -> Result<RowPlan> {
    let by_name: HashMap<&str, &ColumnMeta> =
        inputs.metadata.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut builder = SchemaBuilder::struct_();
    if let Some(name) = inputs.schema_name {
        builder = builder.name(name);
    }
    let mut columns = Vec::with_capacity(sig.len());
    for (index, (name, type_name)) in sig.iter().enumerate() {
        let meta = by_name.get(name.as_str()).copied();
        let Some(decoder) = decoder_for(inputs.dialect, type_name, meta, inputs.mapping) else {
            tracing::warn!(
                column = %name,
                r#type = %type_name,
                "column type not supported by the JDBC source; the column is skipped"
            );
            continue;
        };
        let optional = meta.is_none_or(|m| m.nullable);
        builder = builder.field(name.clone(), field_schema(decoder, optional, meta)?);
        columns.push(ColumnPlan { index, name: name.clone(), decoder });
    }
    let schema = builder.build()?;
    let position = |col: &str| columns.iter().position(|c| c.name == col);
    let mut timestamp_fields = Vec::new();
    for c in inputs.timestamp_columns {
        match position(c) {
            Some(p)
                if matches!(
                    columns[p].decoder,
                    Decoder::TimestampLocal | Decoder::TimestampUtc | Decoder::Date
                ) =>
            {
                timestamp_fields.push(p)
            }
            Some(_) => {
                return Err(ConnectError::config(format!(
                    "timestamp.column.name {c} is not a timestamp column"
                )));
            }
            None => {
                return Err(ConnectError::config(format!(
                    "timestamp.column.name {c} is not a column of the result ({})",
                    sig.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    let incrementing_field = match inputs.incrementing_column {
        None => None,
        Some(c) => match position(c) {
            Some(p) => Some(p),
            None => {
                return Err(ConnectError::config(format!(
                    "incrementing.column.name {c} is not a column of the result ({})",
                    sig.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        },
    };
    Ok(RowPlan { columns, schema, timestamp_fields, incrementing_field, signature: sig })
}

/// One decoded row: the struct, its timestamp (nanoseconds since the epoch, the
/// first non-null timestamp column) and its incrementing value.
#[derive(Debug, Clone)]
pub struct DecodedRow {
    /// The value.
    pub value: Struct,
    /// The row's timestamp in nanoseconds, in timestamp modes.
    pub timestamp: Option<i64>,
    /// The row's incrementing value, in incrementing modes.
    pub incrementing: Option<i64>,
}

/// A column value as read from the driver, before it becomes a Connect value.
enum Raw {
    Null,
    Value(Value),
    /// A timestamp with its full precision.
    Nanos(i64),
}

fn nanos_of(dt: DateTime<Utc>) -> i64 {
    dt.timestamp_nanos_opt().unwrap_or_else(|| dt.timestamp_millis().saturating_mul(1_000_000))
}

/// Nanoseconds since the epoch of a local date-time read in `tz`.
pub fn local_nanos(naive: NaiveDateTime, tz: chrono_tz::Tz) -> i64 {
    match tz.from_local_datetime(&naive).earliest() {
        Some(dt) => nanos_of(dt.with_timezone(&Utc)),
        // A local time skipped by a DST change: read it with the offset in force
        // just after.
        None => {
            let offset = tz.offset_from_utc_datetime(&naive);
            let utc = naive
                - chrono::TimeDelta::seconds(i64::from(
                    chrono::Offset::fix(&offset).local_minus_utc(),
                ));
            nanos_of(Utc.from_utc_datetime(&utc))
        }
    }
}

/// The local date-time in `tz` of an instant (nanoseconds since the epoch), for
/// binding against a column without a time zone.
pub fn to_local(nanos: i64, tz: chrono_tz::Tz) -> NaiveDateTime {
    Utc.timestamp_nanos(nanos).with_timezone(&tz).naive_local()
}

fn date_value(d: NaiveDate) -> Value {
    let days = d.signed_duration_since(NaiveDate::default()).num_days();
    Value::Date(Date(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })))
}

fn time_value(t: NaiveTime) -> Value {
    let ms = t.num_seconds_from_midnight() * 1000 + t.nanosecond().min(999_999_999) / 1_000_000;
    Value::Time(Time(i32::try_from(ms).unwrap_or(0)))
}

fn numeric_value(d: BigDecimal, target: NumericTarget, column: &str) -> Result<Value> {
    let out_of_range = || {
        ConnectError::data(format!(
            "value {d} of column {column} does not fit its {target:?} field"
        ))
    };
    Ok(match target {
        NumericTarget::Decimal(scale) => {
            let (unscaled, exp) = d.as_bigint_and_exponent();
            let exp = i32::try_from(exp).map_err(|_| out_of_range())?;
            let v = Decimal::new(unscaled, exp);
            let v = if exp == scale {
                v
            } else {
                v.rescale(scale).map_err(|e| {
                    ConnectError::data(format!(
                        "value {d} of column {column} has more than the {scale} decimal places \
                         of its Decimal field: {}",
                        e.message()
                    ))
                })?
            };
            Value::Decimal(v)
        }
        NumericTarget::Int8 => Value::Int8(d.to_i8().ok_or_else(out_of_range)?),
        NumericTarget::Int16 => Value::Int16(d.to_i16().ok_or_else(out_of_range)?),
        NumericTarget::Int32 => Value::Int32(d.to_i32().ok_or_else(out_of_range)?),
        NumericTarget::Int64 => Value::Int64(d.to_i64().ok_or_else(out_of_range)?),
        NumericTarget::Float64 => Value::Float64(d.to_f64().ok_or_else(out_of_range)?),
    })
}

fn decode_err(column: &str, e: impl std::fmt::Display) -> ConnectError {
    ConnectError::data(format!("cannot read column {column}: {e}"))
}

macro_rules! get {
    ($row:expr, $i:expr, $t:ty, $col:expr) => {
        $row.try_get::<Option<$t>, _>($i).map_err(|e| decode_err($col, e))?
    };
}

macro_rules! get_unchecked {
    ($row:expr, $i:expr, $t:ty, $col:expr) => {
        $row.try_get_unchecked::<Option<$t>, _>($i).map_err(|e| decode_err($col, e))?
    };
}

fn wrap<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Raw {
    match v {
        None => Raw::Null,
        Some(v) => Raw::Value(f(v)),
    }
}

fn numeric(v: Option<BigDecimal>, t: NumericTarget, col: &str) -> Result<Raw> {
    Ok(match v {
        None => Raw::Null,
        Some(d) => Raw::Value(numeric_value(d, t, col)?),
    })
}

fn decode_pg(row: &sqlx::postgres::PgRow, c: &ColumnPlan, tz: chrono_tz::Tz) -> Result<Raw> {
    let (i, col) = (c.index, c.name.as_str());
    Ok(match c.decoder {
        Decoder::Bool => wrap(get!(row, i, bool, col), Value::Boolean),
        Decoder::I8 => wrap(get!(row, i, i8, col), Value::Int8),
        Decoder::I16 => wrap(get!(row, i, i16, col), Value::Int16),
        Decoder::I32 => wrap(get!(row, i, i32, col), Value::Int32),
        Decoder::I64 => wrap(get!(row, i, i64, col), Value::Int64),
        Decoder::F32 => wrap(get!(row, i, f32, col), Value::Float32),
        Decoder::F64 => wrap(get!(row, i, f64, col), Value::Float64),
        Decoder::Str => wrap(get_unchecked!(row, i, String, col), Value::String),
        Decoder::Bytes => wrap(get!(row, i, Vec<u8>, col), Value::Bytes),
        Decoder::PgJson | Decoder::PgUuid => {
            let raw = row.try_get_raw(i).map_err(|e| decode_err(col, e))?;
            if raw.is_null() {
                Raw::Null
            } else {
                let binary = raw.format() == sqlx::postgres::PgValueFormat::Binary;
                let bytes = raw.as_bytes().map_err(|e| decode_err(col, e))?;
                Raw::Value(Value::String(pg_text(c.decoder, binary, bytes, col)?))
            }
        }
        Decoder::Numeric(t) => numeric(get!(row, i, BigDecimal, col), t, col)?,
        Decoder::Date => wrap(get!(row, i, NaiveDate, col), date_value),
        Decoder::Time => wrap(get!(row, i, NaiveTime, col), time_value),
        Decoder::TimestampLocal => match get!(row, i, NaiveDateTime, col) {
            None => Raw::Null,
            Some(n) => Raw::Nanos(local_nanos(n, tz)),
        },
        Decoder::TimestampUtc => match get!(row, i, DateTime<Utc>, col) {
            None => Raw::Null,
            Some(d) => Raw::Nanos(nanos_of(d)),
        },
        Decoder::U8 | Decoder::U16 | Decoder::U32 | Decoder::U64 => {
            return Err(decode_err(col, "unsigned integers are a MySQL type"));
        }
    })
}

fn pg_text(decoder: Decoder, binary: bool, bytes: &[u8], col: &str) -> Result<String> {
    if decoder == Decoder::PgUuid && binary {
        if bytes.len() != 16 {
            return Err(decode_err(col, "a uuid is 16 bytes"));
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        return Ok(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ));
    }
    // jsonb's binary form is a version byte (1) and the text.
    let text = if binary && bytes.first() == Some(&1) && decoder == Decoder::PgJson {
        match std::str::from_utf8(&bytes[1..]) {
            Ok(t)
                if t.starts_with(['{', '[', '"'])
                    || t.parse::<f64>().is_ok()
                    || t == "null"
                    || t == "true"
                    || t == "false" =>
            {
                t
            }
            _ => std::str::from_utf8(bytes).map_err(|e| decode_err(col, e))?,
        }
    } else {
        std::str::from_utf8(bytes).map_err(|e| decode_err(col, e))?
    };
    Ok(text.to_string())
}

fn decode_mysql(row: &sqlx::mysql::MySqlRow, c: &ColumnPlan, tz: chrono_tz::Tz) -> Result<Raw> {
    let (i, col) = (c.index, c.name.as_str());
    Ok(match c.decoder {
        Decoder::Bool => wrap(get!(row, i, bool, col), Value::Boolean),
        Decoder::I8 => wrap(get!(row, i, i8, col), Value::Int8),
        Decoder::U8 => wrap(get!(row, i, u8, col), |v| Value::Int16(i16::from(v))),
        Decoder::I16 => wrap(get!(row, i, i16, col), Value::Int16),
        Decoder::U16 => wrap(get!(row, i, u16, col), |v| Value::Int32(i32::from(v))),
        Decoder::I32 => wrap(get_unchecked!(row, i, i32, col), Value::Int32),
        Decoder::U32 => wrap(get!(row, i, u32, col), |v| Value::Int64(i64::from(v))),
        Decoder::I64 => wrap(get!(row, i, i64, col), Value::Int64),
        Decoder::U64 => match get!(row, i, u64, col) {
            None => Raw::Null,
            Some(v) => Raw::Value(Value::Int64(i64::try_from(v).map_err(|e| decode_err(col, e))?)),
        },
        Decoder::F32 => wrap(get!(row, i, f32, col), Value::Float32),
        Decoder::F64 => wrap(get!(row, i, f64, col), Value::Float64),
        Decoder::Str | Decoder::PgJson | Decoder::PgUuid => {
            wrap(get_unchecked!(row, i, String, col), Value::String)
        }
        Decoder::Bytes => wrap(get_unchecked!(row, i, Vec<u8>, col), Value::Bytes),
        Decoder::Numeric(t) => numeric(get!(row, i, BigDecimal, col), t, col)?,
        Decoder::Date => wrap(get!(row, i, NaiveDate, col), date_value),
        Decoder::Time => wrap(get!(row, i, NaiveTime, col), time_value),
        Decoder::TimestampLocal => match get!(row, i, NaiveDateTime, col) {
            None => Raw::Null,
            Some(n) => Raw::Nanos(local_nanos(n, tz)),
        },
        Decoder::TimestampUtc => match get!(row, i, DateTime<Utc>, col) {
            None => Raw::Null,
            Some(d) => Raw::Nanos(nanos_of(d)),
        },
    })
}

fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, c: &ColumnPlan, tz: chrono_tz::Tz) -> Result<Raw> {
    let (i, col) = (c.index, c.name.as_str());
    if row.try_get_raw(i).map_err(|e| decode_err(col, e))?.is_null() {
        return Ok(Raw::Null);
    }
    Ok(match c.decoder {
        Decoder::Bool => wrap(get_unchecked!(row, i, bool, col), Value::Boolean),
        Decoder::I8 => {
            let v = get_unchecked!(row, i, i64, col);
            match v {
                None => Raw::Null,
                Some(v) => {
                    Raw::Value(Value::Int8(i8::try_from(v).map_err(|e| decode_err(col, e))?))
                }
            }
        }
        Decoder::I16 => {
            let v = get_unchecked!(row, i, i64, col);
            match v {
                None => Raw::Null,
                Some(v) => {
                    Raw::Value(Value::Int16(i16::try_from(v).map_err(|e| decode_err(col, e))?))
                }
            }
        }
        Decoder::I32 => {
            let v = get_unchecked!(row, i, i64, col);
            match v {
                None => Raw::Null,
                Some(v) => {
                    Raw::Value(Value::Int32(i32::try_from(v).map_err(|e| decode_err(col, e))?))
                }
            }
        }
        Decoder::I64 | Decoder::U8 | Decoder::U16 | Decoder::U32 | Decoder::U64 => {
            wrap(get_unchecked!(row, i, i64, col), Value::Int64)
        }
        Decoder::F32 => wrap(get_unchecked!(row, i, f64, col), |v| Value::Float32(v as f32)),
        Decoder::F64 => wrap(get_unchecked!(row, i, f64, col), Value::Float64),
        Decoder::Str | Decoder::PgJson | Decoder::PgUuid => {
            wrap(get_unchecked!(row, i, String, col), Value::String)
        }
        Decoder::Bytes => wrap(get_unchecked!(row, i, Vec<u8>, col), Value::Bytes),
        Decoder::Numeric(t) => match get_unchecked!(row, i, String, col) {
            None => Raw::Null,
            Some(s) => {
                let d: BigDecimal = s.trim().parse().map_err(|e| decode_err(col, e))?;
                Raw::Value(numeric_value(d, t, col)?)
            }
        },
        Decoder::Date => wrap(get_unchecked!(row, i, NaiveDate, col), date_value),
        Decoder::Time => wrap(get_unchecked!(row, i, NaiveTime, col), time_value),
        Decoder::TimestampLocal | Decoder::TimestampUtc => {
            match get_unchecked!(row, i, NaiveDateTime, col) {
                None => Raw::Null,
                Some(n) => Raw::Nanos(local_nanos(n, tz)),
            }
        }
    })
}

/// A result row of any dialect.
pub trait SourceRow: Row {
    /// Reads one column as the plan says.
    #[doc(hidden)]
    fn decode_column(&self, c: &ColumnPlan, tz: chrono_tz::Tz) -> Result<Value>;
    /// Reads one column keeping a timestamp's full precision.
    #[doc(hidden)]
    fn decode_column_nanos(
        &self,
        c: &ColumnPlan,
        tz: chrono_tz::Tz,
    ) -> Result<(Value, Option<i64>)>;
}

fn finish(raw: Raw) -> (Value, Option<i64>) {
    match raw {
        Raw::Null => (Value::Null, None),
        Raw::Value(v) => (v, None),
        Raw::Nanos(n) => (Value::Timestamp(Timestamp(n.div_euclid(1_000_000))), Some(n)),
    }
}

macro_rules! source_row {
    ($t:ty, $f:ident) => {
        impl SourceRow for $t {
            fn decode_column(&self, c: &ColumnPlan, tz: chrono_tz::Tz) -> Result<Value> {
                Ok(finish($f(self, c, tz)?).0)
            }
            fn decode_column_nanos(
                &self,
                c: &ColumnPlan,
                tz: chrono_tz::Tz,
            ) -> Result<(Value, Option<i64>)> {
                let (v, n) = finish($f(self, c, tz)?);
                // A DATE used as a timestamp column counts from its midnight.
                let n = n.or(match &v {
                    Value::Date(d) => Some(i64::from(d.0) * 86_400 * 1_000_000_000),
                    _ => None,
                });
                Ok((v, n))
            }
        }
    };
}

source_row!(sqlx::postgres::PgRow, decode_pg);
source_row!(sqlx::mysql::MySqlRow, decode_mysql);
source_row!(sqlx::sqlite::SqliteRow, decode_sqlite);

impl RowPlan {
    /// Decodes one row into its struct, timestamp and incrementing value.
    pub fn decode<R: SourceRow>(&self, row: &R, tz: chrono_tz::Tz) -> Result<DecodedRow> {
        let mut value = Struct::new(self.schema.clone())?;
        let mut stamps: [Option<i64>; 4] = [None; 4];
        let mut extra_stamps: Vec<Option<i64>> = Vec::new();
        for (field, c) in self.columns.iter().enumerate() {
            let v = match self.timestamp_fields.iter().position(|&f| f == field) {
                Some(k) => {
                    let (v, nanos) = row.decode_column_nanos(c, tz)?;
                    if k < stamps.len() {
                        stamps[k] = nanos;
                    } else {
                        extra_stamps.resize(k - stamps.len() + 1, None);
                        extra_stamps[k - stamps.len()] = nanos;
                    }
                    v
                }
                None => row.decode_column(c, tz)?,
            };
            value.put_at(field, v)?;
        }
        // COALESCE order: the first non-null timestamp column wins.
        let timestamp = stamps.iter().chain(extra_stamps.iter()).flatten().next().copied();
        let incrementing = match self.incrementing_field {
            None => None,
            Some(f) => integer_of(&value.values()[f]).map(Some).ok_or_else(|| {
                ConnectError::data(format!(
                    "incrementing column {} holds {}, not an integer",
                    self.columns[f].name,
                    value.values()[f].kind_name()
                ))
            })?,
        };
        Ok(DecodedRow { value, timestamp, incrementing })
    }
}

fn integer_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int8(n) => Some(i64::from(*n)),
        Value::Int16(n) => Some(i64::from(*n)),
        Value::Int32(n) => Some(i64::from(*n)),
        Value::Int64(n) => Some(*n),
        Value::Decimal(d) => d.rescale(0).ok().and_then(|d| d.unscaled().to_i64()),
        _ => None,
    }
}

/// Whether a field type is one of Connect's integer types.
pub fn is_integer(t: Type) -> bool {
    matches!(t, Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_mappings_follow_confluent() {
        use NumericMapping as M;
        use NumericTarget as T;
        assert_eq!(numeric_target(Some(10), Some(2), M::None), T::Decimal(2));
        assert_eq!(numeric_target(Some(5), Some(0), M::PrecisionOnly), T::Int32);
        assert_eq!(numeric_target(Some(19), Some(0), M::PrecisionOnly), T::Decimal(0));
        assert_eq!(numeric_target(Some(3), Some(0), M::BestFit), T::Int16);
        assert_eq!(numeric_target(Some(2), Some(0), M::BestFit), T::Int8);
        assert_eq!(numeric_target(Some(12), Some(0), M::BestFit), T::Int64);
        assert_eq!(numeric_target(Some(10), Some(2), M::BestFit), T::Float64);
        assert_eq!(numeric_target(Some(30), Some(2), M::BestFit), T::Decimal(2));
        assert_eq!(numeric_target(Some(30), Some(2), M::BestFitEagerDouble), T::Float64);
        assert_eq!(numeric_target(None, None, M::None), T::Decimal(UNSET_DECIMAL_SCALE));
        assert_eq!(numeric_target(None, None, M::BestFit), T::Float64);
    }

    #[test]
    fn local_times_read_in_the_configured_zone() {
        let naive = NaiveDate::from_ymd_opt(2024, 1, 15)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        let utc = local_nanos(naive, chrono_tz::UTC);
        let paris = local_nanos(naive, chrono_tz::Europe::Paris);
        assert_eq!(utc - paris, 3_600_000_000_000);
        assert_eq!(to_local(paris, chrono_tz::Europe::Paris), naive);
    }
}
