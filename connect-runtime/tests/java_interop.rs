//! Interop with Java Kafka Connect (the peer `scripts/test.sh` resolves from Maven Central):
//! the bytes our JsonConverter writes are read by Kafka's own `JsonConverter` and written back
//! by it byte for byte the same, and what it writes reads back with ours as the values we
//! started from. Runs Kafka's converter through our small tool
//! `scripts/lib/connect-java/src/JsonConverterCli.java` (one JVM for every record).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::Stdio;

use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_runtime::converters::{DecimalFormat, JsonConverter, JsonOptions};

/// Each line read and written back by Kafka's JsonConverter with `settings`.
fn java_round_trip(lines: &[Vec<u8>], settings: &[&str]) -> Vec<Vec<u8>> {
    let mut child = common::java_command()
        .arg("JsonConverterCli")
        .args(settings)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot run java");
    {
        let mut stdin = child.stdin.take().unwrap();
        for l in lines {
            stdin.write_all(l).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "JsonConverterCli exited with {}", out.status);
    let got: Vec<Vec<u8>> =
        out.stdout.split(|b| *b == b'\n').map(<[u8]>::to_vec).filter(|l| !l.is_empty()).collect();
    assert_eq!(got.len(), lines.len(), "one line out per line in");
    got
}

fn user_schema() -> Schema {
    let address = SchemaBuilder::struct_()
        .name("com.example.Address")
        .field("city", Schema::string())
        .field("zip", Schema::optional_int32())
        .build()
        .unwrap();
    SchemaBuilder::struct_()
        .name("com.example.User")
        .version(3)
        .doc("A user, with every Connect type")
        .parameter("owner", "tests")
        .field("i8", Schema::int8())
        .field("i16", Schema::int16())
        .field("i32", Schema::int32())
        .field("i64", Schema::int64())
        .field("f32", Schema::float32())
        .field("f64", Schema::float64())
        .field("ok", Schema::boolean())
        .field("name", Schema::string())
        .field("note", Schema::optional_string())
        .field("raw", Schema::bytes())
        .field("price", Decimal::schema(2))
        .field("born", Date::schema())
        .field("wakes", Time::schema())
        .field("seen", Timestamp::schema())
        .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
        .field("counts", SchemaBuilder::map(Schema::string(), Schema::int32()).build().unwrap())
        .field("by_id", SchemaBuilder::map(Schema::int64(), Schema::string()).build().unwrap())
        .field("address", address)
        .field(
            "level",
            SchemaBuilder::int32().default_value(Value::Int32(7)).optional().build().unwrap(),
        )
        .build()
        .unwrap()
}

fn user(schema: &Schema, i: i64) -> Value {
    let address = schema.field("address").unwrap().schema().clone();
    let mut a = Struct::new(address).unwrap();
    a.put("city", if i % 2 == 0 { "Zürich" } else { "東京" }).unwrap();
    if i % 3 != 0 {
        a.put("zip", Value::Int32(8000 + i as i32)).unwrap();
    }
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("i8", Value::Int8(-(i as i8))).unwrap();
    s.put("i16", Value::Int16(i as i16 * 300)).unwrap();
    s.put("i32", Value::Int32(i as i32 * -70_000)).unwrap();
    s.put("i64", Value::Int64(i * 1_000_000_007_331)).unwrap();
    s.put("f32", Value::Float32([i as f32 * 1.25 + 0.1, 3.0e-5, 1.0e9][i as usize % 3])).unwrap();
    // Not -0.0: Kafka reads JSON numbers as BigDecimal, which has no negative zero, so
    // it writes back 0.0 (it would write -0.0 for a -0.0 it was given, as we do).
    let doubles = [0.1, -2.5e-7, 1e21, 123456.789, 1e7, 0.000_5, 9_999_999.25, 1.5e300, 5e-324];
    s.put("f64", Value::Float64(doubles[i as usize % doubles.len()])).unwrap();
    s.put("ok", Value::Boolean(i % 2 == 1)).unwrap();
    s.put("name", format!("user \"{i}\"\n\tüñí")).unwrap();
    if i % 2 == 0 {
        s.put("note", "a note").unwrap();
    }
    s.put("raw", Value::Bytes(vec![0, 1, 2, 255, i as u8])).unwrap();
    s.put("price", Value::Decimal(Decimal::new(-12_345 * i + 7, 2))).unwrap();
    s.put("born", Value::Date(Date::from_ymd(1970 + i as i32, 2, 28).unwrap())).unwrap();
    s.put("wakes", Value::Time(Time::from_hms_milli(7, i as u32, 5, 250).unwrap())).unwrap();
    s.put("seen", Value::Timestamp(Timestamp(1_700_000_000_123 + i))).unwrap();
    s.put("tags", Value::Array((0..i).map(|t| Value::from(format!("t{t}"))).collect())).unwrap();
    s.put("counts", Value::Map(vec![(Value::from("a"), Value::Int32(i as i32))])).unwrap();
    // One entry: Kafka reads maps into a HashMap, so the order it writes several entries
    // back in is its hash order, not the order they were read in.
    s.put("by_id", Value::Map(vec![(Value::Int64(i - 5), Value::from("x"))])).unwrap();
    s.put("address", Value::Struct(a)).unwrap();
    if i % 2 == 1 {
        s.put("level", Value::Int32(i as i32)).unwrap();
    }
    Value::Struct(s)
}

/// Our bytes → Kafka's converter reads and writes them back → the same bytes; and those
/// bytes read back with ours as the value we started from.
fn check(ours: &JsonConverter, settings: &[&str], records: &[(Option<Schema>, Value)]) {
    let lines: Vec<Vec<u8>> = records
        .iter()
        .map(|(s, v)| ours.serialize(s.as_ref(), v).unwrap().expect("not null"))
        .collect();
    let java = java_round_trip(&lines, settings);
    let mut mismatches = Vec::new();
    for (i, (mine, theirs)) in lines.iter().zip(&java).enumerate() {
        if mine != theirs {
            mismatches.push(format!(
                "record {i}:\n  ours: {}\n  Java: {}",
                String::from_utf8_lossy(mine),
                String::from_utf8_lossy(theirs)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} records differ:\n{}",
        mismatches.len(),
        lines.len(),
        mismatches.join("\n")
    );
    // What Kafka wrote reads back with ours as what we wrote does (a null in a field with a
    // default is written as the default, by both: replace.null.with.default).
    for (((schema, value), mine), theirs) in records.iter().zip(&lines).zip(&java) {
        let back = ours.deserialize(Some(theirs)).unwrap();
        assert_eq!(back, ours.deserialize(Some(mine)).unwrap());
        if let Some(schema) = schema {
            assert_eq!(back.schema.as_ref(), Some(schema));
        }
        if !String::from_utf8_lossy(mine).contains("\"level\":7") {
            assert_eq!(&back.value, value, "{}", String::from_utf8_lossy(theirs));
        }
    }
}

#[test]
fn structs_with_every_type_are_byte_identical_with_kafkas_json_converter() {
    let schema = user_schema();
    let mut records: Vec<(Option<Schema>, Value)> =
        (0..12).map(|i| (Some(schema.clone()), user(&schema, i))).collect();
    records.push((Some(Schema::string()), Value::from("plain ✓")));
    records.push((Some(Schema::optional_int64()), Value::Null));
    records.push((Some(Decimal::schema(0)), Value::Decimal(Decimal::new(1, 0))));
    let ours = JsonConverter::new();
    check(&ours, &["schemas.enable=true"], &records);
    let numeric = JsonConverter::new().with_options(JsonOptions {
        decimal_format: DecimalFormat::Numeric,
        ..JsonOptions::default()
    });
    check(&numeric, &["schemas.enable=true", "decimal.format=NUMERIC"], &records);
}

#[test]
fn schemaless_values_are_byte_identical_with_kafkas_json_converter() {
    let records: Vec<(Option<Schema>, Value)> = vec![
        (None, Value::from("é and \u{1} and \"quotes\"")),
        (None, Value::Int64(-42)),
        (None, Value::Float64(0.5)),
        (None, Value::Boolean(true)),
        (None, Value::Array(vec![Value::Int64(1), Value::from("two"), Value::Null])),
        (
            None,
            Value::Map(vec![
                (Value::from("k"), Value::from("v")),
                (Value::from("nested"), Value::Map(vec![(Value::from("n"), Value::Int64(1))])),
            ]),
        ),
    ];
    let ours = JsonConverter::new().with_schemas_enable(false);
    check(&ours, &["schemas.enable=false"], &records);
}
