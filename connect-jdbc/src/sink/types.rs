//! Connect types and SQL types: the column type `auto.create` declares for a schema,
//! how a column's database type is bound, and how a Connect value becomes a bound
//! parameter (or a COPY text field).

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use bigdecimal::BigDecimal;
use chrono::{
    DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone as _, Utc,
};
use connect_api::data::{LogicalType, Schema, Type, Value};
use num_bigint::BigInt;

use crate::dialect::Dialect;

/// `db.timezone`: UTC, a fixed offset or an IANA zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeZone {
    /// A fixed offset from UTC (UTC itself is offset zero).
    Fixed(FixedOffset),
    /// An IANA zone with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl TimeZone {
    /// Parses `UTC`, `Z`, `GMT`, `+02:00`, `-0530`, `UTC+01:00` or an IANA name.
    pub fn parse(s: &str) -> Result<TimeZone, String> {
        let t = s.trim();
        if t.is_empty() || ["UTC", "Z", "GMT", "Etc/UTC"].iter().any(|u| t.eq_ignore_ascii_case(u))
        {
            return Ok(TimeZone::Fixed(Utc.fix()));
        }
        let offset = t.strip_prefix("UTC").or_else(|| t.strip_prefix("GMT")).unwrap_or(t);
        if let Some(fixed) = parse_offset(offset) {
            return Ok(TimeZone::Fixed(fixed));
        }
        chrono_tz::Tz::from_str(t).map(TimeZone::Named).map_err(|_| {
            format!(
                "db.timezone {s:?} is not a time zone: use UTC, an offset such as +02:00, or an \
                 IANA name such as Europe/Paris"
            )
        })
    }

    /// The wall-clock time of an instant in this zone.
    pub fn local(&self, utc: &DateTime<Utc>) -> NaiveDateTime {
        match self {
            TimeZone::Fixed(o) => utc.with_timezone(o).naive_local(),
            TimeZone::Named(z) => utc.with_timezone(z).naive_local(),
        }
    }
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (digits[..split].parse::<i32>().ok()?, digits[split..].parse::<i32>().ok()?)
    };
    if h > 18 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// How values of one column are bound, decided by the column's database type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BindKind {
    /// TINYINT (MySQL).
    I8,
    /// SMALLINT.
    I16,
    /// INT.
    I32,
    /// BIGINT (and every SQLite INTEGER).
    I64,
    /// REAL / FLOAT.
    F32,
    /// DOUBLE.
    F64,
    /// BOOLEAN.
    Bool,
    /// Character types.
    Text,
    /// Binary types.
    Bytes,
    /// NUMERIC / DECIMAL.
    Decimal,
    /// DATE.
    Date,
    /// TIME.
    Time,
    /// A timestamp without time zone: written as wall time in `db.timezone`.
    Timestamp,
    /// A timestamp with time zone (PostgreSQL TIMESTAMPTZ, MySQL TIMESTAMP): the instant.
    TimestampTz,
    /// Another type (PostgreSQL `uuid`, `jsonb`, …): the value's text, cast to it.
    Other(String),
    /// A SQLite column without a declared affinity: the value as it is.
    Any,
}

impl BindKind {
    /// The kind of a column from its database type (`data_type`/`udt_name` for
    /// PostgreSQL, `data_type` for MySQL, the declared type for SQLite).
    pub fn from_db(dialect: Dialect, data_type: &str, udt: &str) -> BindKind {
        let t = data_type.to_ascii_lowercase();
        match dialect {
            Dialect::Postgres => match udt.to_ascii_lowercase().as_str() {
                "int2" => BindKind::I16,
                "int4" => BindKind::I32,
                "int8" => BindKind::I64,
                "float4" => BindKind::F32,
                "float8" => BindKind::F64,
                "numeric" => BindKind::Decimal,
                "bool" => BindKind::Bool,
                "text" | "varchar" | "bpchar" | "name" => BindKind::Text,
                "bytea" => BindKind::Bytes,
                "date" => BindKind::Date,
                "time" => BindKind::Time,
                "timestamp" => BindKind::Timestamp,
                "timestamptz" => BindKind::TimestampTz,
                other => BindKind::Other(other.to_string()),
            },
            Dialect::MySql => match t.as_str() {
                "tinyint" => BindKind::I8,
                "smallint" | "year" => BindKind::I16,
                "mediumint" | "int" | "integer" => BindKind::I32,
                "bigint" => BindKind::I64,
                "float" => BindKind::F32,
                "double" | "real" => BindKind::F64,
                "decimal" | "numeric" => BindKind::Decimal,
                "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                    BindKind::Bytes
                }
                "date" => BindKind::Date,
                "time" => BindKind::Time,
                "datetime" => BindKind::Timestamp,
                "timestamp" => BindKind::TimestampTz,
                "boolean" | "bool" => BindKind::Bool,
                _ => BindKind::Text,
            },
            Dialect::Sqlite => {
                // SQLite's affinity rules, with our date/time and boolean names first.
                if t.contains("datetime") || t.contains("timestamp") {
                    BindKind::Timestamp
                } else if t.contains("date") {
                    BindKind::Date
                } else if t.contains("time") {
                    BindKind::Time
                } else if t.contains("bool") {
                    BindKind::Bool
                } else if t.contains("int") {
                    BindKind::I64
                } else if t.contains("char") || t.contains("clob") || t.contains("text") {
                    BindKind::Text
                } else if t.contains("blob") {
                    BindKind::Bytes
                } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
                    BindKind::F64
                } else if t.contains("numeric") || t.contains("decimal") {
                    BindKind::Decimal
                } else {
                    BindKind::Any
                }
            }
        }
    }
}

/// The column type `auto.create` / `auto.evolve` declares for a Connect schema;
/// `key` columns get types a primary key can have (MySQL cannot index TEXT or BLOB).
pub fn sql_type(dialect: Dialect, schema: &Schema, key: bool) -> Result<String, String> {
    let logical = LogicalType::of(schema);
    let decimal_scale =
        || connect_api::data::Decimal::schema_scale(schema).map_err(|e| e.message().to_string());
    let t = match dialect {
        Dialect::Postgres => match (logical, schema.schema_type()) {
            (Some(LogicalType::Decimal), _) => "NUMERIC".to_string(),
            (Some(LogicalType::Date), _) => "DATE".into(),
            (Some(LogicalType::Time), _) => "TIME".into(),
            (Some(LogicalType::Timestamp), _) => "TIMESTAMP".into(),
            (_, Type::Int8 | Type::Int16) => "SMALLINT".into(),
            (_, Type::Int32) => "INT".into(),
            (_, Type::Int64) => "BIGINT".into(),
            (_, Type::Float32) => "REAL".into(),
            (_, Type::Float64) => "DOUBLE PRECISION".into(),
            (_, Type::Boolean) => "BOOLEAN".into(),
            (_, Type::String) => "TEXT".into(),
            (_, Type::Bytes) => "BYTEA".into(),
            (_, other) => return Err(unsupported(dialect, other)),
        },
        Dialect::MySql => match (logical, schema.schema_type()) {
            (Some(LogicalType::Decimal), _) => format!("DECIMAL(65,{})", decimal_scale()?),
            (Some(LogicalType::Date), _) => "DATE".into(),
            (Some(LogicalType::Time), _) => "TIME(3)".into(),
            (Some(LogicalType::Timestamp), _) => "DATETIME(3)".into(),
            (_, Type::Int8) => "TINYINT".into(),
            (_, Type::Int16) => "SMALLINT".into(),
            (_, Type::Int32) => "INT".into(),
            (_, Type::Int64) => "BIGINT".into(),
            (_, Type::Float32) => "FLOAT".into(),
            (_, Type::Float64) => "DOUBLE".into(),
            (_, Type::Boolean) => "TINYINT".into(),
            (_, Type::String) if key => "VARCHAR(256)".into(),
            (_, Type::String) => "TEXT".into(),
            (_, Type::Bytes) if key => "VARBINARY(1024)".into(),
            (_, Type::Bytes) => "BLOB".into(),
            (_, other) => return Err(unsupported(dialect, other)),
        },
        Dialect::Sqlite => match (logical, schema.schema_type()) {
            (Some(LogicalType::Decimal), _) => "NUMERIC".into(),
            (Some(LogicalType::Date), _) => "DATE".into(),
            (Some(LogicalType::Time), _) => "TIME".into(),
            (Some(LogicalType::Timestamp), _) => "DATETIME".into(),
            (_, Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64) => "INTEGER".into(),
            (_, Type::Float32 | Type::Float64) => "REAL".into(),
            (_, Type::Boolean) => "BOOLEAN".into(),
            (_, Type::String) => "TEXT".into(),
            (_, Type::Bytes) => "BLOB".into(),
            (_, other) => return Err(unsupported(dialect, other)),
        },
    };
    Ok(t)
}

fn unsupported(dialect: Dialect, t: Type) -> String {
    format!("{} has no column type for Connect type {t}", dialect.name())
}

/// The SQL literal of a schema default for `DEFAULT …` in DDL (DDL takes no bind
/// parameters); `None` when the value has no literal form here.
pub fn default_literal(dialect: Dialect, value: &Value) -> Option<String> {
    let quote = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if dialect == Dialect::MySql => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    };
    Some(match value {
        Value::Null => return None,
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) if v.is_finite() => v.to_string(),
        Value::Float64(v) if v.is_finite() => v.to_string(),
        Value::Boolean(b) => match dialect {
            Dialect::Postgres => if *b { "TRUE" } else { "FALSE" }.to_string(),
            _ => if *b { "1" } else { "0" }.to_string(),
        },
        Value::String(s) => quote(s),
        Value::Decimal(d) => d.to_string(),
        Value::Date(d) => quote(&d.to_string()),
        Value::Time(_) | Value::Timestamp(_) => {
            let text = match convert(value, &BindKind::Text, &TimeZone::Fixed(Utc.fix())) {
                Ok(SqlValue::Text(t)) => t,
                _ => return None,
            };
            quote(&text)
        }
        Value::Bytes(b) => {
            let mut hex = String::with_capacity(b.len() * 2);
            for byte in b {
                let _ = write!(hex, "{byte:02x}");
            }
            match dialect {
                Dialect::Postgres => format!("'\\x{hex}'"),
                _ => format!("X'{hex}'"),
            }
        }
        _ => return None,
    })
}

/// A value ready to bind, of the variant its column's [`BindKind`] takes.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL (bound with the column's type).
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// TINYINT.
    I8(i8),
    /// SMALLINT.
    I16(i16),
    /// INT.
    I32(i32),
    /// BIGINT.
    I64(i64),
    /// REAL.
    F32(f32),
    /// DOUBLE.
    F64(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// An exact decimal.
    Decimal(BigDecimal),
    /// A date.
    Date(NaiveDate),
    /// A time of day.
    Time(NaiveTime),
    /// Wall-clock date and time.
    Timestamp(NaiveDateTime),
    /// An instant.
    TimestampTz(DateTime<Utc>),
}

impl Eq for SqlValue {}

impl Hash for SqlValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            SqlValue::Null => {}
            SqlValue::Bool(v) => v.hash(state),
            SqlValue::I8(v) => v.hash(state),
            SqlValue::I16(v) => v.hash(state),
            SqlValue::I32(v) => v.hash(state),
            SqlValue::I64(v) => v.hash(state),
            SqlValue::F32(v) => v.to_bits().hash(state),
            SqlValue::F64(v) => v.to_bits().hash(state),
            SqlValue::Text(v) => v.hash(state),
            SqlValue::Bytes(v) => v.hash(state),
            SqlValue::Decimal(v) => v.hash(state),
            SqlValue::Date(v) => v.hash(state),
            SqlValue::Time(v) => v.hash(state),
            SqlValue::Timestamp(v) => v.hash(state),
            SqlValue::TimestampTz(v) => v.hash(state),
        }
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Boolean(b) => Some(i64::from(*b)),
        v => v.as_i64(),
    }
}

fn ranged<T: TryFrom<i64>>(value: &Value, what: &str) -> Result<T, String> {
    let n = int_of(value).ok_or_else(|| mismatch(value, what))?;
    T::try_from(n).map_err(|_| format!("{n} is out of range for a {what} column"))
}

fn mismatch(value: &Value, what: &str) -> String {
    format!("a {} value cannot be written to a {what} column", value.kind_name())
}

fn instant(value: &Value) -> Result<Option<DateTime<Utc>>, String> {
    Ok(match value {
        Value::Timestamp(t) => Some(
            DateTime::from_timestamp_millis(t.0)
                .ok_or_else(|| format!("timestamp {} ms is out of range", t.0))?,
        ),
        Value::Int64(ms) => Some(
            DateTime::from_timestamp_millis(*ms)
                .ok_or_else(|| format!("timestamp {ms} ms is out of range"))?,
        ),
        Value::String(s) => match DateTime::parse_from_rfc3339(s.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => None,
        },
        _ => None,
    })
}

fn naive_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

fn date_of(days: i64) -> Result<NaiveDate, String> {
    i32::try_from(days + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| format!("date {days} days from the epoch is out of range"))
}

fn time_of(millis: i64) -> Result<NaiveTime, String> {
    let secs = u32::try_from(millis.div_euclid(1000)).map_err(|_| "time out of range")?;
    let nanos = u32::try_from(millis.rem_euclid(1000) * 1_000_000).map_err(|_| "bad time")?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
        .ok_or_else(|| format!("time {millis} ms is not a time of day"))
}

fn decimal_of(d: &connect_api::data::Decimal) -> BigDecimal {
    BigDecimal::new(BigInt::clone(d.unscaled()), i64::from(d.scale()))
}

/// Converts a Connect value for a column of `kind`; the error says what did not fit.
pub fn convert(value: &Value, kind: &BindKind, tz: &TimeZone) -> Result<SqlValue, String> {
    if value.is_null() {
        return Ok(SqlValue::Null);
    }
    Ok(match kind {
        BindKind::I8 => SqlValue::I8(ranged(value, "TINYINT")?),
        BindKind::I16 => SqlValue::I16(ranged(value, "SMALLINT")?),
        BindKind::I32 => SqlValue::I32(ranged(value, "INT")?),
        BindKind::I64 => SqlValue::I64(ranged(value, "BIGINT")?),
        BindKind::F32 | BindKind::F64 => {
            let f = match value {
                Value::Float32(f) => f64::from(*f),
                Value::Float64(f) => *f,
                Value::Decimal(d) => d.to_f64(),
                v => int_of(v).ok_or_else(|| mismatch(v, "floating-point"))? as f64,
            };
            if *kind == BindKind::F32 { SqlValue::F32(f as f32) } else { SqlValue::F64(f) }
        }
        BindKind::Bool => match value {
            Value::Boolean(b) => SqlValue::Bool(*b),
            v => match v.as_i64() {
                Some(0) => SqlValue::Bool(false),
                Some(1) => SqlValue::Bool(true),
                _ => return Err(mismatch(v, "BOOLEAN")),
            },
        },
        BindKind::Bytes => match value {
            Value::Bytes(b) => SqlValue::Bytes(b.clone()),
            v => return Err(mismatch(v, "binary")),
        },
        BindKind::Decimal => SqlValue::Decimal(match value {
            Value::Decimal(d) => decimal_of(d),
            Value::Float32(f) => BigDecimal::try_from(f64::from(*f))
                .map_err(|_| format!("{f} is not a finite number"))?,
            Value::Float64(f) => {
                BigDecimal::try_from(*f).map_err(|_| format!("{f} is not a finite number"))?
            }
            Value::String(s) => BigDecimal::from_str(s.trim())
                .map_err(|_| format!("{s:?} is not a decimal number"))?,
            v => BigDecimal::from(int_of(v).ok_or_else(|| mismatch(v, "DECIMAL"))?),
        }),
        BindKind::Date => SqlValue::Date(match value {
            Value::Date(d) => date_of(i64::from(d.0))?,
            Value::Int32(d) => date_of(i64::from(*d))?,
            Value::Timestamp(_) => match instant(value)? {
                Some(t) => tz.local(&t).date(),
                None => return Err(mismatch(value, "DATE")),
            },
            Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))?,
            v => return Err(mismatch(v, "DATE")),
        }),
        BindKind::Time => SqlValue::Time(match value {
            Value::Time(t) => time_of(i64::from(t.0))?,
            Value::Int32(ms) => time_of(i64::from(*ms))?,
            Value::String(s) => ["%H:%M:%S%.f", "%H:%M"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(s.trim(), f).ok())
                .ok_or_else(|| format!("{s:?} is not a time of day (HH:MM:SS)"))?,
            v => return Err(mismatch(v, "TIME")),
        }),
        BindKind::Timestamp => match (value, instant(value)?) {
            (_, Some(t)) => SqlValue::Timestamp(tz.local(&t)),
            (Value::Date(d), None) => {
                SqlValue::Timestamp(date_of(i64::from(d.0))?.and_time(NaiveTime::MIN))
            }
            (Value::String(s), None) => SqlValue::Timestamp(
                naive_datetime(s).ok_or_else(|| format!("{s:?} is not a timestamp"))?,
            ),
            (v, None) => return Err(mismatch(v, "TIMESTAMP")),
        },
        BindKind::TimestampTz => match instant(value)? {
            Some(t) => SqlValue::TimestampTz(t),
            None => match value {
                Value::String(s) => match naive_datetime(s) {
                    // A wall time without zone is read in db.timezone.
                    Some(n) => SqlValue::TimestampTz(
                        wall_to_utc(tz, n)
                            .ok_or_else(|| format!("{s:?} does not exist in time zone {tz:?}"))?,
                    ),
                    None => return Err(format!("{s:?} is not a timestamp")),
                },
                v => return Err(mismatch(v, "TIMESTAMP WITH TIME ZONE")),
            },
        },
        BindKind::Text | BindKind::Other(_) => SqlValue::Text(text_of(value, tz)?),
        BindKind::Any => match value {
            Value::Boolean(b) => SqlValue::Bool(*b),
            Value::Float32(f) => SqlValue::F64(f64::from(*f)),
            Value::Float64(f) => SqlValue::F64(*f),
            Value::Bytes(b) => SqlValue::Bytes(b.clone()),
            Value::String(s) => SqlValue::Text(s.clone()),
            v => match v.as_i64() {
                Some(n) => SqlValue::I64(n),
                None => SqlValue::Text(text_of(v, tz)?),
            },
        },
    })
}

fn wall_to_utc(tz: &TimeZone, n: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz {
        TimeZone::Fixed(o) => o.from_local_datetime(&n).earliest().map(|t| t.with_timezone(&Utc)),
        TimeZone::Named(z) => z.from_local_datetime(&n).earliest().map(|t| t.with_timezone(&Utc)),
    }
}

/// The text form of a primitive value for a character (or unknown-type) column.
fn text_of(value: &Value, tz: &TimeZone) -> Result<String, String> {
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => v.to_string(),
        Value::Float64(v) => v.to_string(),
        Value::Boolean(v) => v.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => time_of(i64::from(t.0))?.format("%H:%M:%S%.3f").to_string(),
        Value::Timestamp(_) => match instant(value)? {
            Some(t) => tz.local(&t).format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            None => return Err(mismatch(value, "text")),
        },
        v => return Err(mismatch(v, "text")),
    })
}

/// Appends a value as one field of PostgreSQL's COPY text format (`\N` for NULL,
/// backslash escapes for the delimiter, newlines and backslashes). Writes straight
/// into `out`, without intermediate strings.
pub fn copy_text(value: &SqlValue, out: &mut Vec<u8>) {
    use std::io::Write as _;
    // Writing into a Vec cannot fail.
    let _ = match value {
        SqlValue::Null => out.write_all(b"\\N"),
        SqlValue::Bool(b) => out.write_all(if *b { b"t" } else { b"f" }),
        SqlValue::I8(v) => write!(out, "{v}"),
        SqlValue::I16(v) => write!(out, "{v}"),
        SqlValue::I32(v) => write!(out, "{v}"),
        SqlValue::I64(v) => write!(out, "{v}"),
        SqlValue::F32(v) => float_text(f64::from(*v), out),
        SqlValue::F64(v) => float_text(*v, out),
        SqlValue::Text(t) => {
            escape_copy(t.as_bytes(), out);
            Ok(())
        }
        SqlValue::Bytes(b) => {
            // bytea hex input, its backslash escaped for COPY: \\x0a0b…
            out.extend_from_slice(b"\\\\x");
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for byte in b {
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 15)]);
            }
            Ok(())
        }
        SqlValue::Decimal(d) => out.write_all(d.to_plain_string().as_bytes()),
        SqlValue::Date(d) => {
            date_text(d, out);
            Ok(())
        }
        SqlValue::Time(t) => {
            time_text(t, out);
            Ok(())
        }
        SqlValue::Timestamp(t) => {
            date_text(&t.date(), out);
            out.push(b' ');
            time_text(&t.time(), out);
            Ok(())
        }
        SqlValue::TimestampTz(t) => {
            let n = t.naive_utc();
            date_text(&n.date(), out);
            out.push(b' ');
            time_text(&n.time(), out);
            out.write_all(b"+00")
        }
    };
}

fn two(n: u32, out: &mut Vec<u8>) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn date_text(d: &NaiveDate, out: &mut Vec<u8>) {
    use chrono::Datelike;
    use std::io::Write as _;
    let y = d.year();
    if (0..=9999).contains(&y) {
        let y = y as u32;
        two(y / 100, out);
        two(y % 100, out);
    } else {
        // Outside 0000-9999 (PostgreSQL rejects negative years in this form, and the
        // record is reported as failing).
        let _ = write!(out, "{y}");
    }
    out.push(b'-');
    two(d.month(), out);
    out.push(b'-');
    two(d.day(), out);
}

fn time_text(t: &NaiveTime, out: &mut Vec<u8>) {
    use chrono::Timelike;
    two(t.hour(), out);
    out.push(b':');
    two(t.minute(), out);
    out.push(b':');
    two(t.second(), out);
    let micros = t.nanosecond() / 1000;
    if micros > 0 {
        out.push(b'.');
        let mut digits = [b'0'; 6];
        let mut m = micros.min(999_999);
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (m % 10) as u8;
            m /= 10;
        }
        out.extend_from_slice(&digits);
    }
}

fn float_text(v: f64, out: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Write as _;
    if v.is_nan() {
        out.write_all(b"NaN")
    } else if v.is_infinite() {
        out.write_all(if v > 0.0 { b"Infinity" } else { b"-Infinity" })
    } else {
        write!(out, "{v}")
    }
}

fn escape_copy(bytes: &[u8], out: &mut Vec<u8>) {
    if !bytes.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        out.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::data::{Date, Decimal, Time, Timestamp};

    fn utc() -> TimeZone {
        TimeZone::parse("UTC").unwrap()
    }

    #[test]
    fn time_zones_parse_offsets_and_names() {
        assert_eq!(
            TimeZone::parse("+02:00").unwrap(),
            TimeZone::Fixed(FixedOffset::east_opt(7200).unwrap())
        );
        assert_eq!(
            TimeZone::parse("UTC-0530").unwrap(),
            TimeZone::Fixed(FixedOffset::west_opt(19800).unwrap())
        );
        assert!(matches!(TimeZone::parse("Europe/Paris").unwrap(), TimeZone::Named(_)));
        assert!(TimeZone::parse("Nowhere/Land").is_err());
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let t = DateTime::from_timestamp_millis(1_719_835_200_000).unwrap(); // 2024-07-01 12:00Z
        assert_eq!(paris.local(&t).to_string(), "2024-07-01 14:00:00");
    }

    #[test]
    fn values_convert_by_column_kind() {
        let tz = utc();
        assert_eq!(convert(&Value::Int64(7), &BindKind::I16, &tz), Ok(SqlValue::I16(7)));
        assert!(
            convert(&Value::Int64(70_000), &BindKind::I16, &tz)
                .unwrap_err()
                .contains("out of range")
        );
        assert_eq!(convert(&Value::Boolean(true), &BindKind::I8, &tz), Ok(SqlValue::I8(1)));
        assert!(convert(&Value::from("x"), &BindKind::I32, &tz).unwrap_err().contains("STRING"));
        let d: Decimal = "-12.50".parse().unwrap();
        assert_eq!(
            convert(&Value::Decimal(d), &BindKind::Decimal, &tz),
            Ok(SqlValue::Decimal(BigDecimal::from_str("-12.50").unwrap()))
        );
        assert_eq!(
            convert(&Value::Date(Date::from_ymd(2024, 2, 29).unwrap()), &BindKind::Date, &tz),
            Ok(SqlValue::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()))
        );
        assert_eq!(
            convert(&Value::Time(Time(3_723_004)), &BindKind::Time, &tz),
            Ok(SqlValue::Time(NaiveTime::from_hms_milli_opt(1, 2, 3, 4).unwrap()))
        );
        let plus2 = TimeZone::parse("+02:00").unwrap();
        let SqlValue::Timestamp(local) =
            convert(&Value::Timestamp(Timestamp(0)), &BindKind::Timestamp, &plus2).unwrap()
        else {
            panic!()
        };
        assert_eq!(local.to_string(), "1970-01-01 02:00:00");
        assert_eq!(
            convert(&Value::from("2024-01-01T00:00:00Z"), &BindKind::TimestampTz, &tz),
            Ok(SqlValue::TimestampTz(DateTime::from_timestamp(1_704_067_200, 0).unwrap()))
        );
        assert_eq!(convert(&Value::Null, &BindKind::Bytes, &tz), Ok(SqlValue::Null));
        assert_eq!(convert(&Value::Int32(5), &BindKind::Text, &tz), Ok(SqlValue::Text("5".into())));
    }

    #[test]
    fn copy_text_escapes() {
        let mut out = Vec::new();
        copy_text(&SqlValue::Text("a\tb\\c\nd".into()), &mut out);
        assert_eq!(out, b"a\\tb\\\\c\\nd");
        out.clear();
        copy_text(&SqlValue::Bytes(vec![0, 255]), &mut out);
        assert_eq!(out, b"\\\\x00ff");
        out.clear();
        copy_text(&SqlValue::Null, &mut out);
        assert_eq!(out, b"\\N");
    }

    #[test]
    fn declared_types_per_dialect() {
        let dec = Decimal::schema(2);
        assert_eq!(sql_type(Dialect::MySql, &dec, false).unwrap(), "DECIMAL(65,2)");
        assert_eq!(sql_type(Dialect::Postgres, &dec, false).unwrap(), "NUMERIC");
        assert_eq!(sql_type(Dialect::MySql, &Schema::string(), true).unwrap(), "VARCHAR(256)");
        assert_eq!(sql_type(Dialect::Sqlite, &Timestamp::schema(), false).unwrap(), "DATETIME");
        let arr = connect_api::data::SchemaBuilder::array(Schema::int32()).build().unwrap();
        assert!(sql_type(Dialect::Postgres, &arr, false).unwrap_err().contains("ARRAY"));
        assert_eq!(BindKind::from_db(Dialect::Sqlite, "DATETIME", ""), BindKind::Timestamp);
        assert_eq!(BindKind::from_db(Dialect::Postgres, "", "timestamptz"), BindKind::TimestampTz);
        assert_eq!(
            default_literal(Dialect::MySql, &Value::from("it's \\")).unwrap(),
            "'it''s \\\\'"
        );
    }
}
