//! Per-driver decoding: reading a result row of PostgreSQL, MySQL/MariaDB or SQLite into
//! the Connect struct its [`RowPlan`] describes ([`SourceRow`], [`RowPlan::decode`]).
//! Planning (which Connect type each column becomes) is in [`super::schema`].

use bigdecimal::{BigDecimal, ToPrimitive};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use connect_api::data::{Date, Decimal, Struct, Time, Timestamp, Value};
use connect_api::{ConnectError, Result};
use sqlx::{Row, ValueRef};

use super::schema::{ColumnPlan, Decoder, NumericTarget, RowPlan};

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

#[cfg(feature = "postgres")]
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

#[cfg(feature = "postgres")]
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

#[cfg(feature = "mysql")]
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

#[cfg(feature = "sqlite")]
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

#[cfg(feature = "postgres")]
source_row!(sqlx::postgres::PgRow, decode_pg);
#[cfg(feature = "mysql")]
source_row!(sqlx::mysql::MySqlRow, decode_mysql);
#[cfg(feature = "sqlite")]
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
