//! How the sink turns a record value into one line of text; see [`render_value`].

use std::io::Write as _;

use connect_api::data::Value;

/// Appends the line for `value` to `out`, with its `\n`.
pub(crate) fn render_line(value: &Value, out: &mut Vec<u8>) {
    render_plain(value, out);
    out.push(b'\n');
}

/// The text the sink writes for `value` (without the newline):
///
/// | value | line |
/// |---|---|
/// | null | `null` (as Java's `PrintStream.println(null)`) |
/// | string | the string as is |
/// | integers, booleans | Java's `toString`: `42`, `-7`, `true` |
/// | floats | Java's `Float`/`Double.toString`: `1.5`, `100.0`, `1.0E10`, `1.0E-4`, `NaN`, `Infinity` |
/// | bytes | the bytes as UTF-8, invalid sequences replaced by U+FFFD |
/// | decimal | plain notation: `-12.50` |
/// | date, time, timestamp | ISO 8601: `2024-02-29`, `12:00:00.000`, `2024-02-29T12:00:00.000Z` |
/// | struct, map, array | compact JSON: `{"name":"Barbara","age":75}`, `[1,2]`; struct fields in schema order with defaults applied; non-string map keys rendered as strings; non-finite floats inside as strings (`"NaN"`) |
///
/// ```
/// use connect_api::data::Value;
/// use connect_file::render_value;
///
/// assert_eq!(render_value(&Value::Null), "null");
/// assert_eq!(render_value(&Value::Float64(1e10)), "1.0E10");
/// assert_eq!(render_value(&Value::Array(vec![Value::from("a"), Value::Int32(1)])), r#"["a",1]"#);
/// ```
pub fn render_value(value: &Value) -> String {
    let mut out = Vec::new();
    render_plain(value, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Top-level form: strings and bytes raw, scalars in Java's `toString` form,
/// containers as JSON.
fn render_plain(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => out.extend_from_slice(String::from_utf8_lossy(b).as_bytes()),
        Value::Float32(f) => java_float(f64::from(*f), &format!("{f:e}"), out),
        Value::Float64(f) => java_float(*f, &format!("{f:e}"), out),
        Value::Date(d) => write_display(out, d),
        Value::Time(t) => write_display(out, t),
        Value::Timestamp(t) => write_display(out, t),
        other => render_json(other, out),
    }
}

/// The JSON form, used inside containers.
fn render_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int8(n) => write_display(out, n),
        Value::Int16(n) => write_display(out, n),
        Value::Int32(n) => write_display(out, n),
        Value::Int64(n) => write_display(out, n),
        Value::Float32(f) if f.is_finite() => java_float(f64::from(*f), &format!("{f:e}"), out),
        Value::Float64(f) if f.is_finite() => java_float(*f, &format!("{f:e}"), out),
        Value::Float32(_)
        | Value::Float64(_)
        | Value::Date(_)
        | Value::Time(_)
        | Value::Timestamp(_) => json_string(&render_value(value), out),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::String(s) => json_string(s, out),
        Value::Bytes(b) => json_string(&String::from_utf8_lossy(b), out),
        Value::Decimal(d) => write_display(out, d),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                render_json(item, out);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match k {
                    Value::String(s) => json_string(s, out),
                    other => json_string(&render_value(other), out),
                }
                out.push(b':');
                render_json(v, out);
            }
            out.push(b'}');
        }
        Value::Struct(s) => {
            out.push(b'{');
            for (i, (field, v)) in s.schema().fields().iter().zip(s.values()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_string(field.name(), out);
                out.push(b':');
                let v = match (v, field.schema().default_value()) {
                    (Value::Null, Some(default)) => default,
                    _ => v,
                };
                render_json(v, out);
            }
            out.push(b'}');
        }
    }
}

fn write_display(out: &mut Vec<u8>, value: &impl std::fmt::Display) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value}");
}

/// A JSON string literal.
fn json_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain_from..i]);
        plain_from = i + 1;
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// Java's `Double.toString` / `Float.toString`, from the shortest round-trip digits
/// that Rust's `{:e}` gives for the value's own type (`sci`, such as `1.5e-7`).
fn java_float(value: f64, sci: &str, out: &mut Vec<u8>) {
    if value.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 { b"Infinity" } else { b"-Infinity" });
        return;
    }
    if value.is_sign_negative() {
        out.push(b'-');
    }
    if value == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let sci = sci.trim_start_matches('-');
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp.unsigned_abs() as usize + 1;
            for i in 0..int_len {
                out.push(digits.get(i).copied().unwrap_or(b'0'));
            }
            out.push(b'.');
            match digits.get(int_len..) {
                Some(frac) if !frac.is_empty() => out.extend_from_slice(frac),
                _ => out.push(b'0'),
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(exp.unsigned_abs() - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits.first().copied().unwrap_or(b'0'));
        out.push(b'.');
        match digits.get(1..) {
            Some(rest) if !rest.is_empty() => out.extend_from_slice(rest),
            _ => out.push(b'0'),
        }
        let _ = write!(out, "E{exp}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Struct, Timestamp};

    fn line(v: impl Into<Value>) -> String {
        render_value(&v.into())
    }

    #[test]
    fn doubles_print_like_java() {
        let cases: [(f64, &str); 16] = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (-42.25, "-42.25"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.5e-10, "1.5E-10"),
            (1e300, "1.0E300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(line(v), want, "{v:e}");
        }
        assert_eq!(line(0.1f64), "0.1");
        assert_eq!(line(0.1f32), "0.1");
        assert_eq!(line(1.1f32), "1.1");
        assert_eq!(line(3.0e10f32), "3.0E10");
    }

    #[test]
    fn scalars_and_logical_types() {
        assert_eq!(line(Value::Null), "null");
        assert_eq!(line(-7i8), "-7");
        assert_eq!(line(i64::MIN), "-9223372036854775808");
        assert_eq!(line(true), "true");
        assert_eq!(line("as is \"quoted\""), "as is \"quoted\"");
        assert_eq!(line(vec![0x68u8, 0x69, 0xff]), "hi\u{fffd}");
        assert_eq!(line(Decimal::new(-1250, 2)), "-12.50");
        assert_eq!(line(Date(0)), "1970-01-01");
        assert_eq!(line(Timestamp(0)), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn containers_render_as_json() {
        let schema = SchemaBuilder::struct_()
            .field("name", Schema::string())
            .field("age", Schema::optional_int32())
            .field("admin", SchemaBuilder::boolean().default_value(false).build().unwrap())
            .build()
            .unwrap();
        let person = Struct::new(schema).unwrap().with("name", "B \"L\"\n").unwrap();
        assert_eq!(line(person), r#"{"name":"B \"L\"\n","age":null,"admin":false}"#);
        let arr = Value::Array(vec![Value::Int32(1), Value::Float64(f64::NAN), Value::Null]);
        assert_eq!(line(arr), r#"[1,"NaN",null]"#);
        let map = Value::Map(vec![
            (Value::Int32(1), Value::from("one")),
            (Value::from("t"), Value::Date(Date(1))),
            (Value::from("\u{1}"), Value::Float32(2.5)),
        ]);
        assert_eq!(line(map), r#"{"1":"one","t":"1970-01-02","\u0001":2.5}"#);
    }
}
