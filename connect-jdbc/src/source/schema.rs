//! From result columns to Connect: the per-query [`RowPlan`] (one [`Decoder`] and one
//! field schema per column, computed once). Decoding rows with it, per driver, is in
//! [`super::decode`].
//!
//! Types follow Confluent's mapping: integers by width, REAL → FLOAT32, DOUBLE →
//! FLOAT64, NUMERIC/DECIMAL → the Decimal logical type (or integers / FLOAT64 under
//! `numeric.mapping`), character and JSON types → STRING, binary → BYTES, BOOLEAN,
//! DATE/TIME/TIMESTAMP → the Date/Time/Timestamp logical types. Nullable columns
//! get optional schemas; the struct schema is named after the table.

use std::collections::HashMap;

use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type};
use connect_api::{ConnectError, Result};
use sqlx::{Column, Row, TypeInfo};

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
    /// The table's column metadata the plan was made with (empty in query mode).
    pub metadata: Vec<ColumnMeta>,
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
    Ok(RowPlan {
        columns,
        schema,
        timestamp_fields,
        incrementing_field,
        signature: sig,
        metadata: inputs.metadata.to_vec(),
    })
}

/// Whether a field type is one of Connect's integer types.
pub fn is_integer(t: Type) -> bool {
    matches!(t, Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::decode::*;
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
