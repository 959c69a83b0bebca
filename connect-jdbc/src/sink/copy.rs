//! PostgreSQL `COPY … FROM STDIN (FORMAT binary)`: the file header, one tuple per row
//! and the trailer, written straight from the bound values into the caller's buffer
//! (no text formatting on our side, no text parsing on the server's).
//!
//! Binary COPY needs each field in the exact binary form of its column's type, so it is
//! used only when every column of a plan has a [`BindKind`] encoded here
//! ([`binary_kind`]); a plan with another type (`uuid`, `jsonb`, … bound as text and
//! cast) is copied in text format instead.

use chrono::{NaiveDate, Timelike};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, Postgres};

use crate::sink::types::{BindKind, SqlValue};

/// The signature, the flags field (no OIDs) and an empty header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count -1 that ends the data.
const TRAILER: [u8; 2] = (-1i16).to_be_bytes();
/// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds after the Unix epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Whether values bound as `kind` have a binary COPY form here.
pub fn binary_kind(kind: &BindKind) -> bool {
    matches!(
        kind,
        BindKind::I16
            | BindKind::I32
            | BindKind::I64
            | BindKind::F32
            | BindKind::F64
            | BindKind::Bool
            | BindKind::Text
            | BindKind::Bytes
            | BindKind::Decimal
            | BindKind::Date
            | BindKind::Time
            | BindKind::Timestamp
            | BindKind::TimestampTz
    )
}

/// Appends the binary COPY header.
pub fn header(out: &mut Vec<u8>) {
    out.extend_from_slice(HEADER);
}

/// Appends the binary COPY trailer.
pub fn trailer(out: &mut Vec<u8>) {
    out.extend_from_slice(&TRAILER);
}

/// Encodes values of other types through sqlx's own encoders (NUMERIC).
#[derive(Debug, Default)]
pub struct Scratch(PgArgumentBuffer);

/// Appends one tuple: the field count, then each value of `row` (bound as the kind of
/// the same position in `kinds`) as its length and binary form. On an error nothing of
/// the tuple is left in `out`.
pub fn row(
    kinds: &[&BindKind],
    row: &[SqlValue],
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<(), BoxDynError> {
    let start = out.len();
    let result = row_inner(kinds, row, out, scratch);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn row_inner(
    kinds: &[&BindKind],
    row: &[SqlValue],
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<(), BoxDynError> {
    if kinds.len() != row.len() {
        return Err(format!("{} values for {} columns", row.len(), kinds.len()).into());
    }
    out.extend_from_slice(&i16::try_from(row.len())?.to_be_bytes());
    for (kind, value) in kinds.iter().zip(row) {
        field(kind, value, out, scratch)?;
    }
    Ok(())
}

fn fixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // Fixed-size types: 1, 2, 4 or 8 bytes.
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn var(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), BoxDynError> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| format!("a value of {} bytes is too large for COPY", bytes.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn field(
    kind: &BindKind,
    value: &SqlValue,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<(), BoxDynError> {
    match (kind, value) {
        (_, SqlValue::Null) => out.extend_from_slice(&(-1i32).to_be_bytes()),
        (BindKind::Bool, SqlValue::Bool(b)) => fixed(out, &[u8::from(*b)]),
        (BindKind::I16, SqlValue::I16(n)) => fixed(out, &n.to_be_bytes()),
        (BindKind::I32, SqlValue::I32(n)) => fixed(out, &n.to_be_bytes()),
        (BindKind::I64, SqlValue::I64(n)) => fixed(out, &n.to_be_bytes()),
        (BindKind::F32, SqlValue::F32(f)) => fixed(out, &f.to_bits().to_be_bytes()),
        (BindKind::F64, SqlValue::F64(f)) => fixed(out, &f.to_bits().to_be_bytes()),
        (BindKind::Text, SqlValue::Text(s)) => var(out, s.as_bytes())?,
        (BindKind::Bytes, SqlValue::Bytes(b)) => var(out, b)?,
        (BindKind::Decimal, SqlValue::Decimal(d)) => {
            scratch.0.clear();
            match sqlx::Encode::<Postgres>::encode_by_ref(d, &mut scratch.0)? {
                IsNull::Yes => out.extend_from_slice(&(-1i32).to_be_bytes()),
                IsNull::No => var(out, &scratch.0)?,
            }
        }
        (BindKind::Date, SqlValue::Date(d)) => {
            let days = d.signed_duration_since(pg_epoch_date()).num_days();
            let days = i32::try_from(days).map_err(|_| format!("date {d} is out of range"))?;
            fixed(out, &days.to_be_bytes());
        }
        (BindKind::Time, SqlValue::Time(t)) => {
            // As the text form: microseconds, a leap second's excess dropped.
            let micros = i64::from(t.num_seconds_from_midnight()) * 1_000_000
                + i64::from((t.nanosecond() / 1_000).min(999_999));
            fixed(out, &micros.to_be_bytes());
        }
        (BindKind::Timestamp, SqlValue::Timestamp(t)) => {
            let micros = t.and_utc().timestamp_micros() - PG_EPOCH_MICROS;
            fixed(out, &micros.to_be_bytes());
        }
        (BindKind::TimestampTz, SqlValue::TimestampTz(t)) => {
            let micros = t.timestamp_micros() - PG_EPOCH_MICROS;
            fixed(out, &micros.to_be_bytes());
        }
        (kind, value) => {
            return Err(format!("no binary COPY form for {value:?} in a {kind:?} column").into());
        }
    }
    Ok(())
}

fn pg_epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveTime};

    fn one(kind: BindKind, v: SqlValue) -> Vec<u8> {
        let mut out = Vec::new();
        row(&[&kind], &[v], &mut out, &mut Scratch::default()).unwrap();
        out[2..].to_vec()
    }

    #[test]
    fn fields_have_postgres_binary_forms() {
        assert_eq!(one(BindKind::I32, SqlValue::I32(-2)), [0, 0, 0, 4, 255, 255, 255, 254]);
        assert_eq!(one(BindKind::Bool, SqlValue::Null), [255, 255, 255, 255]);
        assert_eq!(one(BindKind::Text, SqlValue::Text("é".into())), [0, 0, 0, 2, 0xc3, 0xa9]);
        let d = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap();
        assert_eq!(one(BindKind::Date, SqlValue::Date(d)), [0, 0, 0, 4, 0, 0, 0, 1]);
        let t = NaiveTime::from_hms_micro_opt(0, 0, 1, 5).unwrap();
        let micros = 1_000_005i64.to_be_bytes();
        assert_eq!(one(BindKind::Time, SqlValue::Time(t))[4..], micros);
        let ts = DateTime::from_timestamp(946_684_799, 0).unwrap();
        let minus_one_s = (-1_000_000i64).to_be_bytes();
        assert_eq!(one(BindKind::TimestampTz, SqlValue::TimestampTz(ts))[4..], minus_one_s);
        assert_eq!(one(BindKind::Timestamp, SqlValue::Timestamp(ts.naive_utc()))[4..], minus_one_s);
        let mut out = Vec::new();
        let bad = row(
            &[&BindKind::I64],
            &[SqlValue::Text("x".into())],
            &mut out,
            &mut Scratch::default(),
        );
        assert!(bad.is_err() && out.is_empty());
    }
}
