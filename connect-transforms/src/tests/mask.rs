//! `MaskField$Key` / `MaskField$Value`, after Kafka's OVERVIEW_DOC ("Mask specified
//! fields with a valid null value for the field type (i.e. 0, false, empty string, and
//! so on). For numeric and string fields, an optional replacement value can be
//! specified that is converted to the correct type") and `MaskFieldTest`.

use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Value};
use connect_api::record::{ConnectRecord, SinkRecord};

use super::{config_error, map, one};

const ALL: &str = "bool,byte,short,int,long,float,double,string,date,time,timestamp,decimal,\
                   array,map,withDefault";

fn schema() -> Schema {
    SchemaBuilder::struct_()
        .field("magic", Schema::int32())
        .field("bool", Schema::boolean())
        .field("byte", Schema::int8())
        .field("short", Schema::int16())
        .field("int", Schema::int32())
        .field("long", Schema::int64())
        .field("float", Schema::float32())
        .field("double", Schema::float64())
        .field("string", Schema::string())
        .field("date", Date::schema())
        .field("time", Time::schema())
        .field("timestamp", Timestamp::schema())
        .field("decimal", Decimal::schema(1))
        .field("array", SchemaBuilder::array(Schema::int32()).build().unwrap())
        .field("map", SchemaBuilder::map(Schema::string(), Schema::string()).build().unwrap())
        .field(
            "withDefault",
            SchemaBuilder::string().optional().default_value("default").build().unwrap(),
        )
        .build()
        .unwrap()
}

fn value() -> Struct {
    Struct::new(schema())
        .unwrap()
        .with("magic", 42i32)
        .unwrap()
        .with("bool", true)
        .unwrap()
        .with("byte", 42i8)
        .unwrap()
        .with("short", 42i16)
        .unwrap()
        .with("int", 42i32)
        .unwrap()
        .with("long", 42i64)
        .unwrap()
        .with("float", 42f32)
        .unwrap()
        .with("double", 42f64)
        .unwrap()
        .with("string", "hmm")
        .unwrap()
        .with("date", Date(19_000))
        .unwrap()
        .with("time", Time(1_000))
        .unwrap()
        .with("timestamp", Timestamp(1_700_000_000_000))
        .unwrap()
        .with("decimal", Decimal::new(420, 1))
        .unwrap()
        .with("array", vec![Value::Int32(1), Value::Int32(2)])
        .unwrap()
        .with("map", Value::Map(vec![(Value::from("what"), Value::from("what"))]))
        .unwrap()
}

fn mask(settings: &[(&str, &str)], schema: Option<Schema>, v: Value) -> SinkRecord {
    let mut chain = one::<SinkRecord>("MaskField$Value", settings);
    chain.apply(SinkRecord::builder("t", 0, 0).value(schema, v).build()).unwrap().unwrap()
}

#[test]
fn struct_fields_get_the_empty_value_of_their_type() {
    let out = mask(&[("fields", ALL)], Some(schema()), Value::Struct(value()));
    let s = out.value().as_struct().unwrap();
    s.validate().unwrap();
    assert_eq!(s.get("magic").unwrap(), &Value::Int32(42));
    let expected: Vec<(&str, Value)> = vec![
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("date", Value::Date(Date(0))),
        ("time", Value::Time(Time(0))),
        ("timestamp", Value::Timestamp(Timestamp(0))),
        ("decimal", Value::Decimal(Decimal::new(0, 1))),
        ("array", Value::Array(vec![])),
        ("map", Value::Map(vec![])),
        // The null field takes its default first (replace.null.with.default=true).
        ("withDefault", Value::from("")),
    ];
    for (name, v) in expected {
        assert_eq!(s.get(name).unwrap(), &v, "{name}");
    }
    assert_eq!(out.value_schema(), Some(&schema()));
}

#[test]
fn nulls_stay_null_without_replace_null_with_default() {
    let settings = [("fields", "withDefault"), ("replace.null.with.default", "false")];
    let out = mask(&settings, Some(schema()), Value::Struct(value()));
    let s = out.value().as_struct().unwrap();
    assert_eq!(s.get_without_default("withDefault").unwrap(), &Value::Null);
}

#[test]
fn numeric_and_string_fields_take_the_replacement_converted() {
    let settings =
        [("fields", "byte,short,int,long,float,double,string,decimal"), ("replacement", "123")];
    let out = mask(&settings, Some(schema()), Value::Struct(value()));
    let s = out.value().as_struct().unwrap();
    assert_eq!(s.get("byte").unwrap(), &Value::Int8(123));
    assert_eq!(s.get("short").unwrap(), &Value::Int16(123));
    assert_eq!(s.get("int").unwrap(), &Value::Int32(123));
    assert_eq!(s.get("long").unwrap(), &Value::Int64(123));
    assert_eq!(s.get("float").unwrap(), &Value::Float32(123.0));
    assert_eq!(s.get("double").unwrap(), &Value::Float64(123.0));
    assert_eq!(s.get("string").unwrap(), &Value::from("123"));
    assert_eq!(s.get("decimal").unwrap(), &Value::Decimal(Decimal::new(1230, 1)));
    let out =
        mask(&[("fields", "int"), ("replacement", "12.9")], Some(schema()), Value::Struct(value()));
    assert_eq!(out.value().as_struct().unwrap().get("int").unwrap(), &Value::Int32(12));
}

#[test]
fn replacement_errors_are_data_errors() {
    let mut chain =
        one::<SinkRecord>("MaskField$Value", &[("fields", "bool"), ("replacement", "x")]);
    let r = SinkRecord::builder("t", 0, 0).value(Some(schema()), value()).build();
    let err = chain.apply(r.clone()).unwrap_err();
    assert!(err.message().contains("Cannot mask value of type BOOLEAN with custom replacement"));
    let mut chain =
        one::<SinkRecord>("MaskField$Value", &[("fields", "int"), ("replacement", "abc")]);
    let err = chain.apply(r).unwrap_err();
    assert!(err.message().contains("Unable to convert abc"), "{}", err.message());
}

#[test]
fn schemaless_map_entries_are_masked() {
    let v = map(&[
        ("magic", Value::Int32(42)),
        ("string", Value::from("55.121.20.20")),
        ("long", Value::Int64(42)),
        ("list", Value::Array(vec![Value::Int32(42)])),
        ("nothing", Value::Null),
    ]);
    let out = mask(&[("fields", "string,long,list,nothing")], None, v.clone());
    assert_eq!(
        out.value(),
        &map(&[
            ("magic", Value::Int32(42)),
            ("string", Value::from("")),
            ("long", Value::Int64(0)),
            ("list", Value::Array(vec![])),
            ("nothing", Value::Null),
        ])
    );
    let out = mask(&[("fields", "string"), ("replacement", "****")], None, v);
    assert_eq!(out.value().map_get(&Value::from("string")), Some(&Value::from("****")));
    let mut chain = one::<SinkRecord>("MaskField$Key", &[("fields", "a")]);
    let err = chain.apply(SinkRecord::builder("t", 0, 0).key(None, 5i32).build()).unwrap_err();
    assert!(err.message().contains("[mask fields]"), "{}", err.message());
}

#[test]
fn bad_configs_name_the_key() {
    let m = config_error("MaskField$Value", &[("fields", "")]);
    assert!(m.contains("configuration transforms.t.fields") && m.contains("Empty list"), "{m}");
    let m = config_error("MaskField$Value", &[("fields", "a"), ("replacement", " ")]);
    assert!(
        m.contains("configuration transforms.t.replacement") && m.contains("may not be empty"),
        "{m}"
    );
    assert!(config_error("MaskField$Key", &[]).contains("\"transforms.t.fields\""));
}
