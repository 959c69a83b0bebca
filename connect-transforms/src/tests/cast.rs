//! `Cast$Key` / `Cast$Value`, after Kafka's `CastTest` and the OVERVIEW_DOC ("cast
//! fields or the entire key or value to a specific type … cast binary to string
//! (base64 encoded)").

use connect_api::data::{
    Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Type, Value,
};
use connect_api::record::{ConnectRecord, SourceRecord};

use super::{config_error, map, one};

fn cast_value(spec: &str, schema: Option<Schema>, value: impl Into<Value>) -> SourceRecord {
    let mut chain = one::<SourceRecord>("Cast$Value", &[("spec", spec)]);
    chain.apply(SourceRecord::builder("t").value(schema, value).build()).unwrap().unwrap()
}

#[test]
fn whole_value_with_schema_casts_to_every_target_type() {
    let cases: Vec<(&str, Type, Value)> = vec![
        ("int8", Type::Int8, Value::Int8(42)),
        ("int16", Type::Int16, Value::Int16(42)),
        ("int32", Type::Int32, Value::Int32(42)),
        ("INT64", Type::Int64, Value::Int64(42)),
        ("float32", Type::Float32, Value::Float32(42.0)),
        ("float64", Type::Float64, Value::Float64(42.0)),
        ("boolean", Type::Boolean, Value::Boolean(true)),
        ("string", Type::String, Value::from("42")),
    ];
    for (spec, ty, expected) in cases {
        let out = cast_value(spec, Some(Schema::int32()), 42i32);
        assert_eq!(out.value_schema().unwrap().schema_type(), ty, "{spec}");
        assert_eq!(out.value(), &expected, "{spec}");
    }
    let zero = cast_value("boolean", Some(Schema::int32()), 0i32);
    assert_eq!(zero.value(), &Value::Boolean(false));
}

#[test]
fn whole_key_casts_with_and_without_schema() {
    let mut chain = one::<SourceRecord>("Cast$Key", &[("spec", "int8")]);
    let r = SourceRecord::builder("t").key(Some(Schema::int32()), 42i32).build();
    let out = chain.apply(r).unwrap().unwrap();
    assert_eq!(out.key(), &Value::Int8(42));
    assert_eq!(out.key_schema(), Some(&Schema::int8()));
    let r = SourceRecord::builder("t").key(None, 42i32).value(None, "v").build();
    let out = chain.apply(r).unwrap().unwrap();
    assert_eq!(out.key(), &Value::Int8(42));
    assert_eq!(out.key_schema(), None);
    assert_eq!(out.value(), &Value::from("v"));
}

#[test]
fn whole_value_schemaless_casts_strings_and_numbers_as_java() {
    assert_eq!(cast_value("int16", None, "42").value(), &Value::Int16(42));
    assert_eq!(cast_value("float64", None, "1.5").value(), &Value::Float64(1.5));
    assert_eq!(cast_value("boolean", None, "TRUE").value(), &Value::Boolean(true));
    assert_eq!(cast_value("boolean", None, "yes").value(), &Value::Boolean(false));
    // Java's narrowing: integers wrap, floats truncate (through int for byte/short).
    assert_eq!(cast_value("int8", None, 300i32).value(), &Value::Int8(44));
    assert_eq!(cast_value("int8", None, 300.7f64).value(), &Value::Int8(44));
    assert_eq!(cast_value("int32", None, -2.9f64).value(), &Value::Int32(-2));
    assert_eq!(cast_value("string", None, 1.0e10f64).value(), &Value::from("1.0E10"));
    assert_eq!(cast_value("string", None, 0.5f32).value(), &Value::from("0.5"));
    assert_eq!(cast_value("string", None, true).value(), &Value::from("true"));
    // Binary can only become text, base64 encoded.
    let bytes = Value::Bytes(b"hello".to_vec());
    assert_eq!(
        cast_value("string", Some(Schema::bytes()), bytes).value(),
        &Value::from("aGVsbG8=")
    );
}

#[test]
fn bad_values_are_data_errors() {
    let mut chain = one::<SourceRecord>("Cast$Value", &[("spec", "int8")]);
    let err = chain
        .apply(SourceRecord::builder("t").value(Some(Schema::string()), "300").build())
        .unwrap_err();
    assert!(err.message().contains("Value (300) was out of range"), "{}", err.message());
    let err = chain
        .apply(SourceRecord::builder("t").value(Some(Schema::bytes()), vec![1u8]).build())
        .unwrap_err();
    assert!(err.message().contains("Unexpected type in Cast transformation"), "{}", err.message());
    let list = Value::Array(vec![Value::Int32(1)]);
    let err = chain.apply(SourceRecord::builder("t").value(None, list).build()).unwrap_err();
    assert!(err.message().contains("does not support casting from ARRAY"), "{}", err.message());
}

#[test]
fn whole_value_keeps_optionality_and_casts_the_default() {
    let schema = SchemaBuilder::int64().optional().default_value(-42i64).build().unwrap();
    let out = cast_value("int32", Some(schema), 42i64);
    let s = out.value_schema().unwrap();
    assert!(s.is_optional());
    assert_eq!(s.default_value(), Some(&Value::Int32(-42)));
    assert_eq!(out.value(), &Value::Int32(42));
}

#[test]
fn logical_values_cast_through_their_encoded_form_or_iso_text() {
    let ts = Timestamp(86_400_000 + 1_234);
    let out = cast_value("int64", Some(Timestamp::schema()), ts);
    assert_eq!(out.value(), &Value::Int64(86_401_234));
    assert_eq!(out.value_schema(), Some(&Schema::int64()));
    let out = cast_value("string", Some(Timestamp::schema()), ts);
    assert_eq!(out.value(), &Value::from("1970-01-02T00:00:01.234Z"));
    // As Kafka's Values.dateFormatFor: the instant picks the form.
    let midnight = cast_value("string", Some(Timestamp::schema()), Timestamp(86_400_000));
    assert_eq!(midnight.value(), &Value::from("1970-01-02"));
    let d = cast_value("string", Some(Date::schema()), Date::from_ymd(2024, 2, 29).unwrap());
    assert_eq!(d.value(), &Value::from("2024-02-29"));
    let price = Decimal::new(-1250, 2);
    let out = cast_value("string", Some(Decimal::schema(2)), price.clone());
    assert_eq!(out.value(), &Value::from("-12.50"));
    let out = cast_value("int32", Some(Decimal::schema(2)), price.clone());
    assert_eq!(out.value(), &Value::Int32(-12));
    let out = cast_value("float64", Some(Decimal::schema(2)), price);
    assert_eq!(out.value(), &Value::Float64(-12.5));
}

fn fields_schema() -> Schema {
    SchemaBuilder::struct_()
        .name("rec")
        .version(3)
        .field("int8", Schema::optional_int8())
        .field("int32", Schema::int32())
        .field("bigint", Schema::int64())
        .field("boolean", Schema::boolean())
        .field("string", Schema::string())
        .field("magic", SchemaBuilder::int32().optional().default_value(42i32).build().unwrap())
        .field("date_to_int32", Date::schema())
        .field("time_to_int64", Time::schema())
        .field("untouched", Schema::optional_string())
        .build()
        .unwrap()
}

#[test]
fn struct_fields_are_cast_and_the_rest_kept() {
    let value = Struct::new(fields_schema())
        .unwrap()
        .with("int8", 8i8)
        .unwrap()
        .with("int32", 32i32)
        .unwrap()
        .with("bigint", 42i64)
        .unwrap()
        .with("boolean", true)
        .unwrap()
        .with("string", "42")
        .unwrap()
        .with("date_to_int32", Date(1))
        .unwrap()
        .with("time_to_int64", Time(1))
        .unwrap()
        .with("untouched", "x")
        .unwrap();
    let spec = "int8:int16,int32:float64,bigint:int8,boolean:int32,string:int32,magic:string,\
                date_to_int32:int32,time_to_int64:int64";
    let out = cast_value(spec, Some(fields_schema()), value);
    let s = out.value().as_struct().unwrap();
    s.validate().unwrap();
    let schema = s.schema();
    assert_eq!(schema.name(), Some("rec"));
    assert_eq!(schema.version(), Some(3));
    assert_eq!(s.get("int8").unwrap(), &Value::Int16(8));
    assert!(schema.field("int8").unwrap().schema().is_optional());
    assert_eq!(s.get("int32").unwrap(), &Value::Float64(32.0));
    assert_eq!(s.get("bigint").unwrap(), &Value::Int8(42));
    assert_eq!(s.get("boolean").unwrap(), &Value::Int32(1));
    assert_eq!(s.get("string").unwrap(), &Value::Int32(42));
    // A null field with a default takes the default (replace.null.with.default=true),
    // and the default itself is cast.
    assert_eq!(s.get_without_default("magic").unwrap(), &Value::from("42"));
    assert_eq!(schema.field("magic").unwrap().schema().default_value(), Some(&Value::from("42")));
    assert_eq!(s.get("date_to_int32").unwrap(), &Value::Int32(1));
    assert_eq!(s.get("time_to_int64").unwrap(), &Value::Int64(1));
    assert_eq!(s.get("untouched").unwrap(), &Value::from("x"));
    assert_eq!(schema.field("untouched").unwrap().schema(), &Schema::optional_string());
    assert_eq!(out.value_schema(), Some(schema));
}

#[test]
fn replace_null_with_default_false_keeps_nulls() {
    let schema = SchemaBuilder::struct_()
        .field("magic", SchemaBuilder::int32().optional().default_value(42i32).build().unwrap())
        .build()
        .unwrap();
    let mut chain = one::<SourceRecord>(
        "Cast$Value",
        &[("spec", "magic:string"), ("replace.null.with.default", "false")],
    );
    let r = SourceRecord::builder("t")
        .value(Some(schema.clone()), Struct::new(schema).unwrap())
        .build();
    let out = chain.apply(r).unwrap().unwrap();
    let s = out.value().as_struct().unwrap();
    assert_eq!(s.get_without_default("magic").unwrap(), &Value::Null);
    assert_eq!(s.schema().field("magic").unwrap().schema().schema_type(), Type::String);
}

#[test]
fn schemaless_map_fields_are_cast() {
    let value = map(&[("a", Value::from("7")), ("b", Value::Int64(9)), ("c", Value::from("x"))]);
    let out = cast_value("a:int32,b:string", None, value);
    assert_eq!(out.value().map_get(&Value::from("a")), Some(&Value::Int32(7)));
    assert_eq!(out.value().map_get(&Value::from("b")), Some(&Value::from("9")));
    assert_eq!(out.value().map_get(&Value::from("c")), Some(&Value::from("x")));
    let mut chain = one::<SourceRecord>("Cast$Value", &[("spec", "a:int32")]);
    let err = chain.apply(SourceRecord::builder("t").value(None, "str").build()).unwrap_err();
    assert!(err.message().contains("Only Map objects supported"), "{}", err.message());
}

#[test]
fn null_values_pass_through() {
    for spec in ["foo:int64", "int64"] {
        let mut chain = one::<SourceRecord>("Cast$Value", &[("spec", spec)]);
        let r =
            SourceRecord::builder("t").value(Some(Schema::optional_int32()), Value::Null).build();
        assert_eq!(chain.apply(r.clone()).unwrap().unwrap(), r);
        let r = SourceRecord::builder("t").build();
        assert_eq!(chain.apply(r.clone()).unwrap().unwrap(), r);
    }
}

#[test]
fn bad_specs_fail_naming_the_key() {
    for (spec, why) in [
        ("", "Must specify at least one field to cast"),
        ("foo:faketype", "Invalid type found in casting spec: faketype"),
        ("foo:array", "does not support casting to ARRAY"),
        ("array", "does not support casting to ARRAY"),
        ("foo:bytes", "does not support casting to BYTES"),
        ("foo:int8:extra", "Invalid cast mapping"),
        ("foo:int8,int32", "may only specify a single cast"),
    ] {
        let m = config_error("Cast$Value", &[("spec", spec)]);
        assert!(m.contains("configuration transforms.t.spec") && m.contains(why), "{spec}: {m}");
    }
    let m = config_error("Cast$Key", &[]);
    assert!(m.contains("\"transforms.t.spec\""), "{m}");
    let m = config_error("Cast$Key", &[("spec", "int8"), ("replace.null.with.default", "maybe")]);
    assert!(m.contains("replace.null.with.default"), "{m}");
}
