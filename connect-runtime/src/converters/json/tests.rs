//! Fixture tests: Kafka's JSON wire format, read and written back.

use super::*;
use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{SchemaBuilder, Struct};
use connect_api::error::ErrorKind;

fn read(c: &JsonConverter, text: &str) -> SchemaAndValue {
    match c.deserialize(Some(text.as_bytes())) {
        Ok(sv) => sv,
        Err(e) => panic!("cannot read {text}: {}", e.message()),
    }
}

fn read_err(c: &JsonConverter, text: &str) -> ConnectError {
    match c.deserialize(Some(text.as_bytes())) {
        Ok(sv) => panic!("{text} read as {sv:?}"),
        Err(e) => e,
    }
}

fn text(c: &JsonConverter, schema: Option<&Schema>, value: &Value) -> String {
    let bytes = c.serialize(schema, value).unwrap().unwrap();
    String::from_utf8(bytes).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// Reads a fixture, writes it back, and checks that the JSON is the same.
fn round_trip(c: &JsonConverter, fixture: &str) -> SchemaAndValue {
    let sv = read(c, fixture);
    let out = text(c, sv.schema.as_ref(), &sv.value);
    assert_eq!(json(&out), json(fixture), "written back as {out}");
    sv
}

fn numeric() -> JsonConverter {
    JsonConverter::new().with_options(JsonOptions {
        decimal_format: DecimalFormat::Numeric,
        ..JsonOptions::default()
    })
}

const USER: &str = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"user"},"payload":{"id":1,"name":"a"}}"#;

#[test]
fn user_struct_reads_and_writes_back_byte_for_byte() {
    let c = JsonConverter::new();
    let sv = read(&c, USER);
    let schema = SchemaBuilder::struct_()
        .name("user")
        .field("id", Schema::int32())
        .field("name", Schema::optional_string())
        .build()
        .unwrap();
    assert_eq!(sv.schema.as_ref(), Some(&schema));
    let expected =
        Struct::new(schema.clone()).unwrap().with("id", 1).unwrap().with("name", "a").unwrap();
    assert_eq!(sv.value, Value::Struct(expected.clone()));
    assert_eq!(text(&c, Some(&schema), &Value::Struct(expected)), USER);
}

#[test]
fn every_primitive_envelope_round_trips() {
    let c = JsonConverter::new();
    let cases = [
        (r#"{"schema":{"type":"int8","optional":false},"payload":12}"#, Value::Int8(12)),
        (r#"{"schema":{"type":"int16","optional":false},"payload":-12}"#, Value::Int16(-12)),
        (r#"{"schema":{"type":"int32","optional":false},"payload":12}"#, Value::Int32(12)),
        (
            r#"{"schema":{"type":"int64","optional":false},"payload":4398046511104}"#,
            Value::Int64(1 << 42),
        ),
        (r#"{"schema":{"type":"float","optional":false},"payload":12.34}"#, Value::Float32(12.34)),
        (r#"{"schema":{"type":"double","optional":false},"payload":12.34}"#, Value::Float64(12.34)),
        (r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#, Value::Boolean(true)),
        (
            r#"{"schema":{"type":"string","optional":false},"payload":"foo-bar-baz"}"#,
            Value::from("foo-bar-baz"),
        ),
        (
            r#"{"schema":{"type":"bytes","optional":false},"payload":"Zm9vLWJhci1iYXo="}"#,
            Value::Bytes(b"foo-bar-baz".to_vec()),
        ),
        (r#"{"schema":{"type":"string","optional":true},"payload":null}"#, Value::Null),
    ];
    for (fixture, value) in cases {
        let sv = read(&c, fixture);
        assert_eq!(sv.value, value, "{fixture}");
        assert_eq!(text(&c, sv.schema.as_ref(), &value), fixture);
    }
}

#[test]
fn schemas_without_optional_are_required_as_in_kafka_tests() {
    let c = JsonConverter::new();
    let sv = read(&c, r#"{ "schema": { "type": "boolean" }, "payload": true }"#);
    assert_eq!(sv, SchemaAndValue::new(Some(Schema::boolean()), Value::Boolean(true)));
    let sv = read(
        &c,
        r#"{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }"#,
    );
    assert_eq!(sv.schema, Some(SchemaBuilder::array(Schema::int32()).build().unwrap()));
    assert_eq!(sv.value, Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]));
    let sv = read(
        &c,
        r#"{ "schema": { "type": "struct", "fields": [{ "field":"optional", "type": "string", "optional": true }, {  "field": "required", "type": "string" }] }, "payload": { "required": "required" } }"#,
    );
    let s = sv.value.as_struct().unwrap();
    assert_eq!(s.get("optional").unwrap(), &Value::Null);
    assert_eq!(s.get_string("required").unwrap(), "required");
}

#[test]
fn decimal_is_base64_by_default_and_numeric_on_request() {
    let base64 = r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"MDk="}"#;
    let numeric_text = r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":123.45}"#;
    let price = Value::Decimal("123.45".parse().unwrap());
    let c = JsonConverter::new();
    let sv = read(&c, base64);
    assert_eq!(sv.schema, Some(Decimal::schema(2)));
    assert_eq!(sv.value, price);
    assert_eq!(text(&c, Some(&Decimal::schema(2)), &price), base64);
    // Either converter reads either form.
    assert_eq!(read(&c, numeric_text).value, price);
    let n = numeric();
    assert_eq!(read(&n, base64).value, price);
    assert_eq!(text(&n, Some(&Decimal::schema(2)), &price), numeric_text);
    // A NUMERIC value takes the schema's scale when it loses nothing.
    let short = numeric_text.replace("123.45", "123.4");
    assert_eq!(read(&n, &short).value, Value::Decimal(Decimal::new(12340, 2)));
}

#[test]
fn numeric_decimals_keep_every_digit() {
    let n = numeric();
    let schema = Decimal::schema(10);
    let big: Decimal = "-1234567890123456789012345678.0123456789".parse().unwrap();
    let out = text(&n, Some(&schema), &Value::Decimal(big.clone()));
    assert!(out.ends_with(r#""payload":-1234567890123456789012345678.0123456789}"#), "{out}");
    assert_eq!(read(&n, &out).value, Value::Decimal(big));
}

#[test]
fn decimal_default_applies_to_a_null_payload() {
    let c = JsonConverter::new();
    let sv = read(
        &c,
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"optional":true,"default":"AN3B","parameters":{"scale":"2"}},"payload":null}"#,
    );
    assert_eq!(sv.value, Value::Decimal(Decimal::new(56769, 2)));
    assert_eq!(sv.schema.unwrap().default_value(), Some(&Value::Decimal(Decimal::new(56769, 2))));
}

#[test]
fn date_time_and_timestamp_envelopes() {
    let c = JsonConverter::new();
    let date = r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19782}"#;
    let sv = round_trip(&c, date);
    assert_eq!(
        sv,
        SchemaAndValue::new(
            Some(Date::schema()),
            Value::Date(Date::from_ymd(2024, 2, 29).unwrap())
        )
    );
    let time = r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#;
    assert_eq!(round_trip(&c, time).value, Value::Time(Time(14_400_000)));
    let ts = r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#;
    assert_eq!(round_trip(&c, ts).value, Value::Timestamp(Timestamp(4_000_000_000)));
    let bad = time.replace("14400000", "86400000");
    assert_eq!(read_err(&c, &bad).kind(), ErrorKind::Data);
    let err = read_err(&c, &date.replace("19782", "\"2024-02-29\""));
    assert!(err.message().contains("Invalid type for Date"), "{}", err.message());
}

#[test]
fn maps_with_string_keys_are_objects_and_others_are_pairs() {
    let c = JsonConverter::new();
    let strings = r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}"#;
    let sv = round_trip(&c, strings);
    assert_eq!(sv.value.map_get(&Value::from("key2")), Some(&Value::Int32(15)));
    let ints = r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}"#;
    let sv = round_trip(&c, ints);
    assert_eq!(
        sv.value,
        Value::Map(vec![(Value::Int32(1), Value::Int32(12)), (Value::Int32(2), Value::Int32(15))])
    );
    let err = read_err(&c, &ints.replace("[[1,12],[2,15]]", "{\"1\":12}"));
    assert!(
        err.message()
            .starts_with("Maps with non-string fields should be encoded as JSON array of tuples")
    );
    let err = read_err(&c, &ints.replace("[[1,12],[2,15]]", "[[1,12,3]]"));
    assert!(err.message().contains("expected length 2"), "{}", err.message());
}

#[test]
fn arrays_and_nested_structs_round_trip() {
    let c = JsonConverter::new();
    let nested = r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"array","items":{"type":"int64","optional":false},"optional":false,"field":"zips"}],"optional":true,"name":"com.example.Address","doc":"where","field":"address"},{"type":"array","items":{"type":"string","optional":true},"optional":false,"field":"tags"}],"optional":false,"name":"com.example.Person","version":3,"parameters":{"a":"b"}},"payload":{"name":"Ada","address":{"city":"London","zips":[1,2]},"tags":["x",null]}}"#;
    let sv = round_trip(&c, nested);
    let schema = sv.schema.clone().unwrap();
    assert_eq!(schema.version(), Some(3));
    assert_eq!(schema.parameters().get("a").map(String::as_str), Some("b"));
    let person = sv.value.as_struct().unwrap();
    let address = person.get_struct("address").unwrap();
    assert_eq!(address.schema().doc(), Some("where"));
    assert_eq!(address.get_array("zips").unwrap(), &[Value::Int64(1), Value::Int64(2)]);
    // Written in Kafka's member order.
    assert_eq!(text(&c, sv.schema.as_ref(), &sv.value), nested);
}

fn with_default() -> Schema {
    SchemaBuilder::struct_()
        .field("id", Schema::int32())
        .field("level", SchemaBuilder::int32().optional().default_value(5i32).build().unwrap())
        .build()
        .unwrap()
}

#[test]
fn null_fields_take_their_default_unless_told_otherwise() {
    let schema = with_default();
    let fixture = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"int32","optional":true,"default":5,"field":"level"}],"optional":false},"payload":{"id":1}}"#;
    let c = JsonConverter::new();
    let sv = read(&c, fixture);
    assert_eq!(sv.schema.as_ref(), Some(&schema));
    assert_eq!(
        sv.value.as_struct().unwrap().get_without_default("level").unwrap(),
        &Value::Int32(5)
    );
    let null_level = Value::Struct(Struct::new(schema.clone()).unwrap().with("id", 1).unwrap());
    assert!(text(&c, Some(&schema), &null_level).ends_with(r#""payload":{"id":1,"level":5}}"#));

    let keep = JsonConverter::new()
        .with_options(JsonOptions { replace_null_with_default: false, ..JsonOptions::default() });
    let sv = read(&keep, fixture);
    assert_eq!(sv.value.as_struct().unwrap().get_without_default("level").unwrap(), &Value::Null);
    assert!(
        text(&keep, Some(&schema), &null_level).ends_with(r#""payload":{"id":1,"level":null}}"#)
    );
}

#[test]
fn missing_required_field_and_wrong_types_name_the_field() {
    let c = JsonConverter::new();
    let err = read_err(&c, &USER.replace(r#""id":1,"#, ""));
    assert_eq!(err.kind(), ErrorKind::Data);
    assert_eq!(err.message(), "Invalid null value for required INT32 field \"id\"");
    let err = read_err(&c, &USER.replace(r#""id":1"#, r#""id":"one""#));
    assert!(err.message().contains("field \"id\""), "{}", err.message());
    let err = read_err(&c, &USER.replace(r#""id":1"#, r#""id":1.5"#));
    assert!(err.message().contains("not an integer"), "{}", err.message());
    let err = read_err(&c, r#"{"schema":{"type":"int8","optional":false},"payload":300}"#);
    assert!(err.message().contains("out of range for INT8"), "{}", err.message());
    // Integral numbers written with a fraction or exponent are accepted.
    assert_eq!(
        read(&c, r#"{"schema":{"type":"int16","optional":false},"payload":1e2}"#).value,
        Value::Int16(100)
    );

    let schema = SchemaBuilder::struct_()
        .field("inner", SchemaBuilder::struct_().field("n", Schema::int64()).build().unwrap())
        .build()
        .unwrap();
    let err = c
        .serialize(Some(&schema), &Value::Struct(Struct::new(schema.clone()).unwrap()))
        .unwrap_err();
    assert!(err.message().contains("field \"inner\""), "{}", err.message());
    let err = c.serialize(Some(&Schema::int32()), &Value::from("x")).unwrap_err();
    assert_eq!(err.message(), "Invalid type for INT32: STRING");
}

#[test]
fn bytes_are_base64() {
    let c = JsonConverter::new();
    let out = text(&c, Some(&Schema::bytes()), &Value::Bytes(vec![0, 1, 2, 254, 255]));
    assert_eq!(out, r#"{"schema":{"type":"bytes","optional":false},"payload":"AAEC/v8="}"#);
    assert_eq!(read(&c, &out).value, Value::Bytes(vec![0, 1, 2, 254, 255]));
    let unpadded = out.replace("AAEC/v8=", "AAEC/v8");
    assert_eq!(read(&c, &unpadded).value, Value::Bytes(vec![0, 1, 2, 254, 255]));
    assert!(read_err(&c, &out.replace("AAEC/v8=", "!!")).message().contains("Invalid bytes"));
}

#[test]
fn schemaless_reading_infers_types() {
    let c = JsonConverter::new().with_schemas_enable(false);
    let sv = read(&c, r#"{"a":1,"b":[1.5,"x",null,true],"c":{"d":-2}}"#);
    assert_eq!(sv.schema, None);
    assert_eq!(
        sv.value,
        Value::Map(vec![
            (Value::from("a"), Value::Int64(1)),
            (
                Value::from("b"),
                Value::Array(vec![
                    Value::Float64(1.5),
                    Value::from("x"),
                    Value::Null,
                    Value::Boolean(true)
                ])
            ),
            (Value::from("c"), Value::Map(vec![(Value::from("d"), Value::Int64(-2))])),
        ])
    );
    assert_eq!(read(&c, "12"), SchemaAndValue::new(None, Value::Int64(12)));
    assert_eq!(read(&c, "null"), SchemaAndValue::null());
    assert_eq!(read(&c, ""), SchemaAndValue::null());
    // An envelope is plain data when schemas are disabled.
    assert!(read(&c, USER).value.map_get(&Value::from("schema")).is_some());
    // The null schema of an envelope means the same inference.
    let enveloped = JsonConverter::new();
    assert_eq!(
        read(&enveloped, r#"{"schema":null,"payload":[1,"2",3]}"#).value,
        Value::Array(vec![Value::Int64(1), Value::from("2"), Value::Int64(3)])
    );
    assert_eq!(read(&enveloped, r#"{ "schema": null, "payload": null }"#), SchemaAndValue::null());
}

#[test]
fn schemaless_writing_follows_the_value() {
    let c = JsonConverter::new().with_schemas_enable(false);
    let map = Value::Map(vec![
        (Value::from("a"), Value::Array(vec![Value::Int32(1), Value::Float64(2.5)])),
        (Value::from("b"), Value::Bytes(vec![1])),
    ]);
    assert_eq!(text(&c, None, &map), r#"{"a":[1,2.5],"b":"AQ=="}"#);
    let int_keys = Value::Map(vec![(Value::Int32(1), Value::from("x"))]);
    assert_eq!(text(&c, None, &int_keys), r#"[[1,"x"]]"#);
    let s = Struct::new(with_default()).unwrap().with("id", 1).unwrap();
    let err = c.serialize(None, &Value::Struct(s.clone())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(err.message().starts_with("Mismatching schema."));
    // With a schema but without the envelope.
    assert_eq!(text(&c, Some(&with_default()), &Value::Struct(s)), r#"{"id":1,"level":5}"#);
    assert_eq!(text(&c, Some(&Schema::optional_string()), &Value::Null), "null");
    let enveloped = JsonConverter::new();
    assert_eq!(text(&enveloped, None, &Value::Int64(3)), r#"{"schema":null,"payload":3}"#);
}

#[test]
fn nulls_are_tombstones_without_a_schema() {
    let c = JsonConverter::new();
    assert_eq!(c.serialize(None, &Value::Null).unwrap(), None);
    assert_eq!(c.deserialize(None).unwrap(), SchemaAndValue::null());
    assert_eq!(
        text(&c, Some(&Schema::optional_int32()), &Value::Null),
        r#"{"schema":{"type":"int32","optional":true},"payload":null}"#
    );
    let err = c.serialize(Some(&Schema::int32()), &Value::Null).unwrap_err();
    assert!(err.message().contains("null value for field that is required"));
}

#[test]
fn schemas_enable_requires_the_envelope() {
    let c = JsonConverter::new();
    for bad in [
        r#"{"a":1}"#,
        r#"{"schema":{"type":"int32"}}"#,
        r#"{"schema":{"type":"int32"},"payload":1,"extra":2}"#,
        "[1,2]",
        "12",
        "",
    ] {
        let err = read_err(&c, bad);
        assert_eq!(err.kind(), ErrorKind::Data);
        assert_eq!(err.message(), ENVELOPE_REQUIRED_MESSAGE, "{bad}");
    }
    assert!(ENVELOPE_REQUIRED_MESSAGE.starts_with(
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration."
    ));
}

#[test]
fn invalid_json_is_a_serialization_error() {
    for c in [JsonConverter::new(), JsonConverter::new().with_schemas_enable(false)] {
        let err = read_err(&c, r#"{"schema": "#);
        assert_eq!(err.kind(), ErrorKind::Data);
        assert!(
            err.message().starts_with(
                "Converting byte[] to Kafka Connect data failed due to serialization error: "
            ),
            "{}",
            err.message()
        );
    }
}

#[test]
fn bad_schemas_are_data_errors() {
    let c = JsonConverter::new();
    for (schema, message) in [
        (r#"{"optional":false}"#, "Schema must contain 'type' field"),
        (r#"{"type":"decimal"}"#, "Unknown schema type: decimal"),
        (r#"{"type":"array"}"#, "Array schema did not specify the element type"),
        (r#"{"type":"map","values":{"type":"int8"}}"#, "Map schema did not specify the key type"),
        (
            r#"{"type":"struct","fields":{}}"#,
            "Struct schema's \"fields\" argument is not an array.",
        ),
        (
            r#"{"type":"struct","fields":[{"type":"int8"}]}"#,
            "Struct schema's field name not specified properly",
        ),
        (r#"{"type":"int8","parameters":{"a":1}}"#, "Schema parameters must have string values."),
    ] {
        let err = read_err(&c, &format!(r#"{{"schema":{schema},"payload":null}}"#));
        assert_eq!(err.kind(), ErrorKind::Data);
        assert_eq!(err.message(), message);
    }
}

#[test]
fn floats_outside_json_are_written_as_jackson_does() {
    let c = JsonConverter::new();
    for (v, s) in [
        (f64::NAN, "\"NaN\""),
        (f64::INFINITY, "\"Infinity\""),
        (f64::NEG_INFINITY, "\"-Infinity\""),
    ] {
        let out = text(&c, Some(&Schema::float64()), &Value::Float64(v));
        assert!(out.ends_with(&format!(r#""payload":{s}}}"#)), "{out}");
        assert_eq!(read(&c, &out).value, Value::Float64(v));
    }
    let out = text(&c, Some(&Schema::float32()), &Value::Float32(1e-7));
    assert_eq!(read(&c, &out).value, Value::Float32(1e-7));
}

#[tokio::test]
async fn configure_reads_kafka_settings() {
    let mut c = JsonConverter::new();
    let mut raw = RawConfig::new();
    raw.insert("schemas.enable".into(), "false".into());
    raw.insert("decimal.format".into(), "numeric".into());
    raw.insert("schemas.cache.size".into(), "0".into());
    raw.insert("replace.null.with.default".into(), "false".into());
    Converter::configure(&mut c, &raw, true).unwrap();
    assert!(!c.schemas_enabled());
    assert_eq!(c.options().decimal_format, DecimalFormat::Numeric);
    assert!(!c.options().replace_null_with_default);
    let mut headers = Headers::new();
    let out = c
        .from_connect_data(
            "t",
            &mut headers,
            Some(&Decimal::schema(1)),
            &Value::Decimal(Decimal::new(15, 1)),
        )
        .await
        .unwrap();
    assert_eq!(out.as_deref(), Some(&b"1.5"[..]));
    let back = c.to_connect_data("t", &headers, Some(b"1.5")).await.unwrap();
    assert_eq!(back.value, Value::Float64(1.5));

    raw.insert("decimal.format".into(), "HEX".into());
    let err = Converter::configure(&mut c, &raw, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("decimal.format"), "{}", err.message());
    let def = Converter::config_def(&c);
    for key in
        ["schemas.enable", "schemas.cache.size", "decimal.format", "replace.null.with.default"]
    {
        assert!(def.contains(key), "{key}");
    }
}

#[test]
fn header_converter_is_the_same_converter() {
    let mut c = JsonConverter::new();
    HeaderConverter::configure(&mut c, &RawConfig::new()).unwrap();
    let bytes =
        c.from_connect_header("t", "h", Some(&Schema::string()), &Value::from("v")).unwrap();
    assert_eq!(
        bytes.as_deref(),
        Some(&br#"{"schema":{"type":"string","optional":false},"payload":"v"}"#[..])
    );
    let back = c.to_connect_header("t", "h", bytes.as_deref()).unwrap();
    assert_eq!(back, SchemaAndValue::new(Some(Schema::string()), Value::from("v")));
}

#[test]
fn schemas_are_cached_both_ways() {
    let c = JsonConverter::new();
    let first = read(&c, USER).schema.unwrap();
    let second = read(&c, USER).schema.unwrap();
    assert!(first.ptr_eq(&second));
    let a = text(&c, Some(&first), &read(&c, USER).value);
    let b = text(&c, Some(&first), &read(&c, USER).value);
    assert_eq!(a, b);
    let uncached = JsonConverter::new().with_cache_size(0);
    assert!(!read(&uncached, USER).schema.unwrap().ptr_eq(&read(&uncached, USER).schema.unwrap()));
    assert_eq!(text(&uncached, Some(&first), &read(&c, USER).value), a);
}

#[test]
fn pure_functions_match_the_converter() {
    let schema = with_default();
    let sj = schema_to_json(&schema);
    assert_eq!(
        sj,
        json(
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"int32","optional":true,"default":5,"field":"level"}],"optional":false}"#
        )
    );
    assert_eq!(schema_from_json(&sj).unwrap(), schema);
    assert!(schema_from_json(&serde_json::Value::Null).is_err());
    let options = JsonOptions::default();
    let value = Value::Struct(Struct::new(schema.clone()).unwrap().with("id", 7).unwrap());
    let vj = value_to_json(Some(&schema), &value, &options).unwrap();
    assert_eq!(vj, json(r#"{"id":7,"level":5}"#));
    let back = value_from_json(Some(&schema), &vj, &options).unwrap();
    assert_eq!(back.as_struct().unwrap().get_int32("id").unwrap(), 7);
    assert_eq!(
        value_from_json(None, &json("[1, 2.5]"), &options).unwrap(),
        Value::Array(vec![Value::Int64(1), Value::Float64(2.5)])
    );
    assert_eq!(value_to_json(None, &Value::Null, &options).unwrap(), serde_json::Value::Null);
    // A default that cannot be written is left out rather than failing.
    let odd = Decimal::builder(2).default_value(Decimal::new(1, 1)).build().unwrap();
    assert!(schema_to_json(&odd).get("default").is_none());
    assert!(
        JsonConverter::new().serialize(Some(&odd), &Value::Decimal(Decimal::new(100, 2))).is_err()
    );
}

#[test]
fn non_ascii_text_is_written_as_utf8_not_escaped_as_kafka_does() {
    // Kafka's JsonConverter (Jackson) writes UTF-8 as is; only quotes, backslashes and
    // control characters are escaped.
    let schema = SchemaBuilder::struct_()
        .name("café")
        .field("名前", Schema::string())
        .field("tags", SchemaBuilder::map(Schema::string(), Schema::string()).build().unwrap())
        .build()
        .unwrap();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("名前", "Zoë \"ü\" 😀\u{1}")
        .unwrap()
        .with("tags", Value::Map(vec![(Value::from("ключ"), Value::from("значение"))]))
        .unwrap();
    let value = Value::Struct(value);
    let c = JsonConverter::new();
    let out = text(&c, Some(&schema), &value);
    assert!(!out.contains("\\u00eb") && !out.contains("\\u043a"), "non-ASCII escaped in {out}");
    assert!(out.contains(r#""field":"名前""#), "{out}");
    assert!(out.contains(r#""name":"café""#), "{out}");
    assert!(out.contains(r#"{"名前":"Zoë \"ü\" 😀\u0001","tags":{"ключ":"значение"}}"#), "{out}");
    let schemaless = JsonConverter::new().with_schemas_enable(false);
    let out = text(&schemaless, None, &Value::from("é"));
    assert_eq!(out.as_bytes(), "\"é\"".as_bytes());
    assert_eq!(read(&c, &text(&c, Some(&schema), &value)).value, value);
}

#[test]
fn floats_are_written_as_javas_double_and_float_to_string() {
    use super::encode::java_float_text as t;
    for (v, java) in [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.000_999, "9.99E-4"),
        (123456.789, "123456.789"),
        (9_999_999.5, "9999999.5"),
        (10_000_000.0, "1.0E7"),
        (1e21, "1.0E21"),
        (-2.5e-7, "-2.5E-7"),
        (1.234_567_890_123e15, "1.234567890123E15"),
        (f64::MAX, "1.7976931348623157E308"),
        (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (5e-324, "4.9E-324"),
        (1e-323, "9.9E-324"),
        (2.0, "2.0"),
        (-1e-5, "-1.0E-5"),
    ] {
        assert_eq!(t(v), java, "{v:e}");
        assert_eq!(t(v).parse::<f64>().unwrap(), v);
    }
    // Java 19+ (shortest digits); Java 17's Double.toString is not always shortest.
    for (v, java) in [
        (1.35f32, "1.35"),
        (1e10f32, "1.0E10"),
        (3.4028235e38f32, "3.4028235E38"),
        (1e-45f32, "1.4E-45"),
    ] {
        assert_eq!(t(v), java);
    }
}
