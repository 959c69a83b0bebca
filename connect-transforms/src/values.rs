//! Values as Java prints and parses them, for the transformations that turn values into
//! text or text into values (`Cast`, `MaskField`, `InsertHeader`): Java's
//! `Double.toString`, `BigDecimal.toString`, base64, and a literal parser after
//! Kafka's `Values.parseString`.

use connect_api::data::{Date, Decimal, Schema, SchemaAndValue, Time, Timestamp, Value};

/// Java's `Double.toString` / `Float.toString` of a finite non-zero number from its
/// shortest round-trip digits (`sci` is Rust's `{:e}` of the absolute value): plain
/// notation from 10⁻³ up to 10⁷, else `d.dddE±n`.
fn java_fp(v: f64, sci: &str) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v.is_infinite() {
        return format!("{sign}Infinity");
    }
    if v == 0.0 {
        return format!("{sign}0.0");
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&v.abs()) {
        let point = exp + 1;
        let n = digits.len() as i64;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
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
    java_fp(v, &format!("{:e}", v.abs()))
}

/// Java's `Float.toString` (the shortest digits of the `f32`, not of its widening).
pub(crate) fn java_float(v: f32) -> String {
    java_fp(f64::from(v), &format!("{:e}", v.abs()))
}

/// Java's `BigDecimal.toString`: plain notation unless the scale is negative or the
/// number is below 10⁻⁶, then `d.dddE±n`.
pub(crate) fn java_big_decimal(d: &Decimal) -> String {
    let unscaled = d.unscaled().to_string();
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", unscaled.as_str()),
    };
    let scale = i64::from(d.scale());
    let adjusted = digits.len() as i64 - 1 - scale;
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
        out.push_str(&format!("E{}{adjusted}", if adjusted > 0 { "+" } else { "" }));
    }
    out
}

/// The whole part of a decimal (truncated toward zero, as `BigDecimal.longValue`), if
/// it fits an `i128`.
pub(crate) fn decimal_whole_part(d: &Decimal) -> Option<i128> {
    let plain = d.to_string();
    let whole = plain.split('.').next().unwrap_or("0");
    match whole {
        "-0" | "" | "-" => Some(0),
        w => w.parse().ok(),
    }
}

/// Standard base64 with padding (Java's `Base64.getEncoder()`).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Java's `Float.parseFloat` / `Double.parseDouble`: surrounding whitespace allowed,
/// an optional `f`/`d` suffix, `NaN` and `Infinity`.
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let unsigned = t.trim_start_matches(['+', '-']);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        // Java spells it exactly "Infinity".
        if unsigned != "Infinity" {
            return None;
        }
    }
    if unsigned.eq_ignore_ascii_case("nan") && unsigned != "NaN" {
        return None;
    }
    t.parse().ok()
}

/// The text of a value as Java's `toString` gives it for the types `Cast` reads:
/// numbers as Java prints them, bytes as base64, dates in ISO 8601 (UTC).
pub(crate) fn java_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => java_float(*v),
        Value::Float64(v) => java_double(*v),
        Value::Boolean(v) => v.to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => base64(b),
        Value::Decimal(d) => java_big_decimal(d),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => format!("{t}Z"),
        Value::Timestamp(t) => t.to_string(),
        other => format!("{other:?}"),
    }
}

/// Reads a literal as Kafka's `Values.parseString` does for scalars: `true`/`false`
/// (any case) as BOOLEAN; whole numbers as the narrowest of INT8…INT64; other numbers
/// as FLOAT64; ISO `yyyy-MM-dd`, `HH:mm:ss.SSSZ` and `yyyy-MM-ddTHH:mm:ss.SSSZ` as
/// Date, Time and Timestamp; anything else as STRING. Unlike Kafka, `[…]` and `{…}`
/// are not parsed as arrays and maps but kept as strings.
pub(crate) fn parse_literal(s: &str) -> SchemaAndValue {
    let sv = |schema: Schema, value: Value| SchemaAndValue::new(Some(schema), value);
    if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
        return sv(Schema::boolean(), Value::Boolean(s.eq_ignore_ascii_case("true")));
    }
    if let Some(t) = parse_iso(s) {
        return t;
    }
    if s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        if let Ok(i) = s.parse::<i64>() {
            return if let Ok(v) = i8::try_from(i) {
                sv(Schema::int8(), Value::Int8(v))
            } else if let Ok(v) = i16::try_from(i) {
                sv(Schema::int16(), Value::Int16(v))
            } else if let Ok(v) = i32::try_from(i) {
                sv(Schema::int32(), Value::Int32(v))
            } else {
                sv(Schema::int64(), Value::Int64(i))
            };
        }
        let numeric = s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
        if numeric && let Ok(f) = s.parse::<f64>() {
            return sv(Schema::float64(), Value::Float64(f));
        }
    }
    sv(Schema::string(), Value::String(s.to_string()))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn iso_date(s: &str) -> Option<Date> {
    let (y, rest) = s.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    Date::from_ymd(i32::try_from(num(y)?).ok()?, num(m)?, num(d)?).ok()
}

fn iso_time(s: &str) -> Option<Time> {
    let body = s.strip_suffix('Z')?;
    let (hms, ms) = body.split_once('.')?;
    let mut parts = hms.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [h, m, sec].iter().any(|p| p.len() != 2) || ms.len() != 3 {
        return None;
    }
    Time::from_hms_milli(num(h)?, num(m)?, num(sec)?, num(ms)?).ok()
}

fn parse_iso(s: &str) -> Option<SchemaAndValue> {
    if let Some((d, t)) = s.split_once('T') {
        let millis = iso_date(d)?.to_epoch_millis() + i64::from(iso_time(t)?.0);
        return Some(SchemaAndValue::new(
            Some(Timestamp::schema()),
            Value::Timestamp(Timestamp(millis)),
        ));
    }
    if let Some(d) = iso_date(s) {
        return Some(SchemaAndValue::new(Some(Date::schema()), Value::Date(d)));
    }
    iso_time(s).map(|t| SchemaAndValue::new(Some(Time::schema()), Value::Time(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_java_does() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(-0.5), "-0.5");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.25e-4), "1.25E-4");
        assert_eq!(java_double(123456.789), "123456.789");
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(java_double(f64::NEG_INFINITY), "-Infinity");
        let d: Decimal = "0.0000001".parse().unwrap();
        assert_eq!(java_big_decimal(&d), "1E-7");
        assert_eq!(java_big_decimal(&Decimal::new(123, -2)), "1.23E+4");
        assert_eq!(java_big_decimal(&Decimal::new(-1250, 2)), "-12.50");
    }

    #[test]
    fn base64_pads_as_java_does() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd, 0xfc]), "//79/A==");
    }

    #[test]
    fn literals_get_the_narrowest_type() {
        assert_eq!(parse_literal("42").value, Value::Int8(42));
        assert_eq!(parse_literal("-300").value, Value::Int16(-300));
        assert_eq!(parse_literal("70000").value, Value::Int32(70000));
        assert_eq!(parse_literal("5000000000").value, Value::Int64(5_000_000_000));
        assert_eq!(parse_literal("1.5").value, Value::Float64(1.5));
        assert_eq!(parse_literal("TRUE").value, Value::Boolean(true));
        assert_eq!(parse_literal("2024-02-29").value, Value::Date(Date(19782)));
        let ts = parse_literal("1970-01-02T00:00:01.234Z");
        assert_eq!(ts.value, Value::Timestamp(Timestamp(86_401_234)));
        assert_eq!(parse_literal("12:00:00.000Z").value, Value::Time(Time(43_200_000)));
        assert_eq!(parse_literal("1-2").value, Value::from("1-2"));
        assert_eq!(parse_literal("nan").schema, Some(Schema::string()));
        assert_eq!(parse_literal("").value, Value::from(""));
    }

    #[test]
    fn java_double_parsing_accepts_java_spellings_only() {
        assert_eq!(parse_java_double(" 1.5f "), Some(1.5));
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double("inf"), None);
        assert!(parse_java_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_java_double("abc"), None);
        assert_eq!(decimal_whole_part(&"-12.9".parse().unwrap()), Some(-12));
        assert_eq!(decimal_whole_part(&"-0.9".parse().unwrap()), Some(0));
    }
}
