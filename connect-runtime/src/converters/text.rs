//! Values as text, the way Kafka Connect's Java code prints and parses them:
//! `Object.toString` (StringConverter) and `Values.convertToString` /
//! `Values.parseString` (SimpleHeaderConverter).

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{Schema, SchemaAndValue, Value};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Java's `Double.toString` / `Float.toString` from Rust's shortest round-trip digits:
/// plain notation from 10⁻³ up to 10⁷, else `d.dddE±n`.
fn java_fp(nan: bool, infinite: bool, negative: bool, zero: bool, abs: f64, sci: &str) -> String {
    if nan {
        return "NaN".into();
    }
    let sign = if negative { "-" } else { "" };
    if infinite {
        return format!("{sign}Infinity");
    }
    if zero {
        return format!("{sign}0.0");
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len() as i64;
    if (1e-3..1e7).contains(&abs) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point >= n {
            format!("{digits}{}.0", "0".repeat((point - n) as usize))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// Java's `Double.toString`.
pub(crate) fn java_double(v: f64) -> String {
    java_fp(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        v == 0.0,
        v.abs(),
        &format!("{:e}", v.abs()),
    )
}

/// Java's `Float.toString`.
pub(crate) fn java_float(v: f32) -> String {
    java_fp(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        v == 0.0,
        f64::from(v.abs()),
        &format!("{:e}", v.abs()),
    )
}

/// Java's `BigDecimal.toString`: plain unless the scale is negative or the number is
/// below 10⁻⁶, then scientific (`1.23E+5`).
pub(crate) fn java_big_decimal(d: &Decimal) -> String {
    let unscaled = d.unscaled().to_string();
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", unscaled.as_str()),
    };
    let scale = i64::from(d.scale());
    let adjusted = -scale + (digits.len() as i64 - 1);
    if scale >= 0 && adjusted >= -6 {
        return d.to_string();
    }
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let mut out = format!("{sign}{first}");
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    if adjusted != 0 {
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        let _ = write!(out, "{adjusted}");
    }
    out
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Java's `java.util.Date.toString` in UTC: `Thu Feb 29 12:00:00 UTC 2024`.
pub(crate) fn java_date(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let secs = millis.rem_euclid(MILLIS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {d:02} {:02}:{:02}:{:02} UTC {y}",
        DAYS[(days + 4).rem_euclid(7) as usize],
        MONTHS[(m as usize).saturating_sub(1) % 12],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A value as Java's `toString` prints it (Kafka's `StringConverter`): lists as
/// `[a, b]`, maps as `{k=v}`, structs as `Struct{a=1,b=x}` (null fields left out),
/// byte arrays inside containers as `[1, -2]`, dates in UTC.
pub(crate) fn java_to_string(value: &Value) -> String {
    let mut out = String::new();
    append_java(&mut out, value);
    out
}

fn append_java(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => push(out, v),
        Value::Int16(v) => push(out, v),
        Value::Int32(v) => push(out, v),
        Value::Int64(v) => push(out, v),
        Value::Float32(v) => out.push_str(&java_float(*v)),
        Value::Float64(v) => out.push_str(&java_double(*v)),
        Value::Boolean(v) => push(out, v),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            out.push('[');
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push(out, &(*byte as i8));
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append_java(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append_java(out, k);
                out.push('=');
                append_java(out, v);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push_str("Struct{");
            let mut first = true;
            for (field, v) in s.schema().fields().iter().zip(s.values()) {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(field.name());
                out.push('=');
                append_java(out, v);
            }
            out.push('}');
        }
        Value::Decimal(d) => out.push_str(&java_big_decimal(d)),
        Value::Date(d) => out.push_str(&java_date(d.to_epoch_millis())),
        Value::Time(t) => out.push_str(&java_date(i64::from(t.0))),
        Value::Timestamp(t) => out.push_str(&java_date(t.0)),
    }
}

fn push(out: &mut String, v: &impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// A value as Kafka's `Values.convertToString` writes it (SimpleHeaderConverter):
/// strings and base64 bytes bare at the top level and quoted inside containers,
/// `[a,b]`, `{k:v}`, structs as `{"field":value}`, ISO dates and times.
pub(crate) fn values_to_string(value: &Value) -> String {
    let mut out = String::new();
    append_values(&mut out, value, false);
    out
}

fn append_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn append_values(out: &mut String, value: &Value, embedded: bool) {
    match value {
        Value::String(s) if embedded => append_quoted(out, s),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) if embedded => append_quoted(out, &STANDARD.encode(b)),
        Value::Bytes(b) => out.push_str(&STANDARD.encode(b)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append_values(out, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append_values(out, k, true);
                out.push(':');
                append_values(out, v, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, field) in s.schema().fields().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append_quoted(out, field.name());
                out.push(':');
                let v = s.get_at(field.index()).unwrap_or(&Value::Null);
                append_values(out, v, true);
            }
            out.push('}');
        }
        Value::Date(d) => push(out, d),
        Value::Time(t) => {
            push(out, t);
            out.push('Z');
        }
        Value::Timestamp(t) => push(out, t),
        other => append_java(out, other),
    }
}

/// Reads header text as Kafka's `Values.parseString` does for the common cases:
/// `true`/`false` as BOOLEAN, ISO dates, times and timestamps as their logical types,
/// integers as the smallest of INT8, INT16, INT32, INT64 that holds them (larger ones
/// as a Decimal of scale 0), other numbers as FLOAT64, anything else as STRING.
pub(crate) fn parse_string(s: &str) -> SchemaAndValue {
    if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
        return SchemaAndValue::new(
            Some(Schema::boolean()),
            Value::Boolean(s.eq_ignore_ascii_case("true")),
        );
    }
    let first = s.bytes().next();
    if first.is_some_and(|b| b.is_ascii_digit())
        && let Some(temporal) = parse_temporal(s)
    {
        return temporal;
    }
    if matches!(first, Some(b'0'..=b'9' | b'+' | b'-'))
        && s.trim() == s
        && let Some(number) = parse_number(s)
    {
        return number;
    }
    SchemaAndValue::new(Some(Schema::string()), Value::String(s.to_string()))
}

fn parse_number(s: &str) -> Option<SchemaAndValue> {
    let d: Decimal = s.parse().ok()?;
    if let Some(i) = integral(&d) {
        return Some(match i {
            i if i8::try_from(i).is_ok() => {
                SchemaAndValue::new(Some(Schema::int8()), Value::Int8(i as i8))
            }
            i if i16::try_from(i).is_ok() => {
                SchemaAndValue::new(Some(Schema::int16()), Value::Int16(i as i16))
            }
            i if i32::try_from(i).is_ok() => {
                SchemaAndValue::new(Some(Schema::int32()), Value::Int32(i as i32))
            }
            i => SchemaAndValue::new(Some(Schema::int64()), Value::Int64(i)),
        });
    }
    let is_whole = d.scale() <= 0;
    let f: f64 = s.parse().ok()?;
    if f.is_finite() && !is_whole {
        return Some(SchemaAndValue::new(Some(Schema::float64()), Value::Float64(f)));
    }
    let scale = d.scale();
    Some(SchemaAndValue::new(Some(Decimal::schema(scale)), Value::Decimal(d)))
}

/// The `i64` of a decimal that is a whole number within range.
fn integral(d: &Decimal) -> Option<i64> {
    if d.unscaled().bits() == 0 {
        return Some(0);
    }
    if !(-19..=400).contains(&d.scale()) {
        return None;
    }
    let whole = d.rescale(0).ok()?;
    i64::try_from(whole.unscaled()).ok()
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&s[0..4])?).ok()?;
    Date::from_ymd(year, digits(&s[5..7])?, digits(&s[8..10])?).ok()
}

fn parse_time(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() != 13 || b[2] != b':' || b[5] != b':' || b[8] != b'.' || b[12] != b'Z' {
        return None;
    }
    Time::from_hms_milli(
        digits(&s[0..2])?,
        digits(&s[3..5])?,
        digits(&s[6..8])?,
        digits(&s[9..12])?,
    )
    .ok()
}

fn parse_temporal(s: &str) -> Option<SchemaAndValue> {
    match s.len() {
        10 => parse_date(s).map(|d| SchemaAndValue::new(Some(Date::schema()), Value::Date(d))),
        13 => parse_time(s).map(|t| SchemaAndValue::new(Some(Time::schema()), Value::Time(t))),
        24 if s.as_bytes()[10] == b'T' => {
            let date = parse_date(s.get(..10)?)?;
            let time = parse_time(s.get(11..)?)?;
            let millis = date.to_epoch_millis() + i64::from(time.0);
            Some(SchemaAndValue::new(
                Some(Timestamp::schema()),
                Value::Timestamp(Timestamp(millis)),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_does() {
        for (v, s) in [
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (1.5e10, "1.5E10"),
            (0.001, "0.001"),
            (1.0e-4, "1.0E-4"),
            (123.456, "123.456"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (0.1, "0.1"),
            (1.7976931348623157e308, "1.7976931348623157E308"),
        ] {
            assert_eq!(java_double(v), s, "{v}");
        }
        assert_eq!(java_float(1.1), "1.1");
        assert_eq!(java_float(3.0e10), "3.0E10");
    }

    #[test]
    fn big_decimals_print_as_java_does() {
        for (unscaled, scale, s) in [
            (12345i64, 2, "123.45"),
            (-1, 0, "-1"),
            (123, -2, "1.23E+4"),
            (0, -2, "0E+2"),
            (1, 7, "1E-7"),
            (12, 8, "1.2E-7"),
            (1, 6, "0.000001"),
        ] {
            assert_eq!(java_big_decimal(&Decimal::new(unscaled, scale)), s);
        }
    }

    #[test]
    fn dates_print_as_java_does_in_utc() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(java_date(1_709_208_000_123), "Thu Feb 29 12:00:00 UTC 2024");
        assert_eq!(java_date(-1), "Wed Dec 31 23:59:59 UTC 1969");
    }

    #[test]
    fn header_text_parses_to_the_narrowest_type() {
        let cases = [
            ("true", Value::Boolean(true)),
            ("FALSE", Value::Boolean(false)),
            ("12", Value::Int8(12)),
            ("-300", Value::Int16(-300)),
            ("100000", Value::Int32(100_000)),
            ("10000000000", Value::Int64(10_000_000_000)),
            ("1e3", Value::Int16(1000)),
            ("1.0", Value::Int8(1)),
            ("1.5", Value::Float64(1.5)),
            ("2024-02-29", Value::Date(Date(19782))),
            ("12:00:00.000Z", Value::Time(Time(43_200_000))),
            ("2024-02-29T12:00:00.123Z", Value::Timestamp(Timestamp(1_709_208_000_123))),
            ("12 apples", Value::from("12 apples")),
            ("12 ", Value::from("12 ")),
            ("-", Value::from("-")),
            ("2024-02-30", Value::from("2024-02-30")),
            ("abc", Value::from("abc")),
        ];
        for (text, value) in cases {
            assert_eq!(parse_string(text).value, value, "{text}");
        }
        let big = parse_string("123456789012345678901234567890");
        assert_eq!(big.schema, Some(Decimal::schema(0)));
    }

    #[test]
    fn values_text_round_trips_through_the_parser() {
        for v in [
            Value::Int32(100_000),
            Value::Float64(2.5),
            Value::Boolean(true),
            Value::Date(Date(19782)),
            Value::Time(Time(1234)),
            Value::Timestamp(Timestamp(1_709_208_000_123)),
            Value::from("plain"),
        ] {
            assert_eq!(parse_string(&values_to_string(&v)).value, v);
        }
        let list =
            Value::Array(vec![Value::from("a\"b"), Value::Int8(1), Value::Bytes(vec![1, 2])]);
        assert_eq!(values_to_string(&list), r#"["a\"b",1,"AQI="]"#);
        let map = Value::Map(vec![(Value::from("k"), Value::Int64(2))]);
        assert_eq!(values_to_string(&map), r#"{"k":2}"#);
    }
}
