//! `Flatten$Key` / `Flatten$Value`, after Kafka's OVERVIEW_DOC ("Flatten a nested data
//! structure, generating names for each field by concatenating the field names at each
//! level with a configurable delimiter character. Applies to Struct when schema
//! present, or a Map in the case of schemaless data. Array fields and their contents
//! are not modified. The default delimiter is '.'") and `FlattenTest`.

use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{ConnectRecord, SourceRecord};

use super::{config_error, map, one};

fn leaf_schema() -> Schema {
    SchemaBuilder::struct_()
        .field("int8", Schema::int8())
        .field("string", Schema::string())
        .field("opt_int32", Schema::optional_int32())
        .field("bytes", Schema::bytes())
        .field("list", SchemaBuilder::array(Schema::string()).build().unwrap())
        .build()
        .unwrap()
}

fn nested_schema(optional_middle: bool) -> Schema {
    let middle = SchemaBuilder::struct_().field("B", leaf_schema());
    let middle = if optional_middle { middle.optional() } else { middle };
    SchemaBuilder::struct_()
        .name("outer")
        .field("A", middle.build().unwrap())
        .field("top", Schema::int64())
        .build()
        .unwrap()
}

#[test]
fn nested_structs_become_one_level_with_dotted_names() {
    let leaf = Struct::new(leaf_schema())
        .unwrap()
        .with("int8", 8i8)
        .unwrap()
        .with("string", "stringy")
        .unwrap()
        .with("bytes", b"bytes".to_vec())
        .unwrap()
        .with("list", vec![Value::from("x")])
        .unwrap();
    let schema = nested_schema(false);
    let middle_schema = schema.field("A").unwrap().schema().clone();
    let middle = Struct::new(middle_schema).unwrap().with("B", leaf).unwrap();
    let value =
        Struct::new(schema.clone()).unwrap().with("A", middle).unwrap().with("top", 1i64).unwrap();
    let mut chain = one::<SourceRecord>("Flatten$Value", &[]);
    let out = chain
        .apply(SourceRecord::builder("t").value(Some(schema), value).build())
        .unwrap()
        .unwrap();
    let s = out.value().as_struct().unwrap();
    s.validate().unwrap();
    let names: Vec<&str> = s.schema().fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["A.B.int8", "A.B.string", "A.B.opt_int32", "A.B.bytes", "A.B.list", "top"]);
    assert_eq!(s.schema().name(), Some("outer"));
    assert_eq!(s.get_int8("A.B.int8").unwrap(), 8);
    assert_eq!(s.get_string("A.B.string").unwrap(), "stringy");
    assert!(s.get("A.B.opt_int32").unwrap().is_null());
    assert!(s.schema().field("A.B.opt_int32").unwrap().schema().is_optional());
    assert!(!s.schema().field("A.B.int8").unwrap().schema().is_optional());
    assert_eq!(s.get_array("A.B.list").unwrap(), &[Value::from("x")]);
    assert_eq!(s.get_int64("top").unwrap(), 1);
}

#[test]
fn fields_under_an_optional_struct_become_optional() {
    let schema = nested_schema(true);
    let value = Struct::new(schema.clone()).unwrap().with("top", 2i64).unwrap();
    let mut chain = one::<SourceRecord>("Flatten$Value", &[("delimiter", "_")]);
    let out = chain
        .apply(SourceRecord::builder("t").value(Some(schema), value).build())
        .unwrap()
        .unwrap();
    let s = out.value().as_struct().unwrap();
    s.validate().unwrap();
    let f = s.schema().field("A_B_int8").unwrap();
    assert!(f.schema().is_optional());
    assert!(s.get("A_B_int8").unwrap().is_null());
    assert!(!s.schema().field("top").unwrap().schema().is_optional());
}

#[test]
fn field_defaults_are_kept() {
    let inner = SchemaBuilder::struct_()
        .field(
            "opt_field",
            SchemaBuilder::string().optional().default_value("child_default").build().unwrap(),
        )
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_().field("c", inner.clone()).build().unwrap();
    let value =
        Struct::new(schema.clone()).unwrap().with("c", Struct::new(inner).unwrap()).unwrap();
    let mut chain = one::<SourceRecord>("Flatten$Value", &[]);
    let out = chain
        .apply(SourceRecord::builder("t").value(Some(schema), value).build())
        .unwrap()
        .unwrap();
    let s = out.value().as_struct().unwrap();
    let expected =
        SchemaBuilder::string().optional().default_value("child_default").build().unwrap();
    assert_eq!(s.schema().field("c.opt_field").unwrap().schema(), &expected);
    assert_eq!(s.get("c.opt_field").unwrap(), &Value::from("child_default"));
}

#[test]
fn nested_maps_flatten_with_the_delimiter() {
    let inner = map(&[
        ("int8", Value::Int8(8)),
        ("string", Value::from("stringy")),
        ("opt_int32", Value::Null),
        ("list", Value::Array(vec![map(&[("deep", Value::Int32(1))])])),
    ]);
    let value = map(&[("A", map(&[("B", inner)])), ("top", Value::Int32(1))]);
    let mut chain = one::<SourceRecord>("Flatten$Value", &[("delimiter", "#")]);
    let out = chain.apply(SourceRecord::builder("t").value(None, value).build()).unwrap().unwrap();
    assert_eq!(out.value_schema(), None);
    assert_eq!(
        out.value(),
        &map(&[
            ("A#B#int8", Value::Int8(8)),
            ("A#B#string", Value::from("stringy")),
            ("A#B#opt_int32", Value::Null),
            // Arrays and their contents are not modified.
            ("A#B#list", Value::Array(vec![map(&[("deep", Value::Int32(1))])])),
            ("top", Value::Int32(1)),
        ])
    );
}

#[test]
fn key_is_flattened_and_tombstones_pass() {
    let mut chain = one::<SourceRecord>("Flatten$Key", &[]);
    let key = map(&[("A", map(&[("B", Value::Int32(12))]))]);
    let out = chain.apply(SourceRecord::builder("t").key(None, key).build()).unwrap().unwrap();
    assert_eq!(out.key(), &map(&[("A.B", Value::Int32(12))]));
    let tombstone =
        SourceRecord::builder("t").value(Some(nested_schema(true)), Value::Null).build();
    let mut chain = one::<SourceRecord>("Flatten$Value", &[]);
    assert_eq!(chain.apply(tombstone.clone()).unwrap().unwrap(), tombstone);
}

#[test]
fn unsupported_shapes_are_data_errors() {
    let mut chain = one::<SourceRecord>("Flatten$Value", &[]);
    let err = chain.apply(SourceRecord::builder("t").value(None, 42i32).build()).unwrap_err();
    assert!(err.message().contains("Only Map objects supported"), "{}", err.message());
    let err = chain
        .apply(SourceRecord::builder("t").value(Some(Schema::int32()), 42i32).build())
        .unwrap_err();
    assert!(err.message().contains("Only Struct objects supported"), "{}", err.message());
    let with_map = SchemaBuilder::struct_()
        .field("m", SchemaBuilder::map(Schema::string(), Schema::string()).build().unwrap())
        .build()
        .unwrap();
    let v = Struct::new(with_map.clone()).unwrap().with("m", Value::Map(vec![])).unwrap();
    let err = chain.apply(SourceRecord::builder("t").value(Some(with_map), v).build()).unwrap_err();
    assert!(err.message().contains("does not support MAP for record with schemas (for field m)"));
    let s = Struct::new(leaf_schema()).unwrap();
    let err = chain
        .apply(SourceRecord::builder("t").value(None, map(&[("s", Value::Struct(s))])).build())
        .unwrap_err();
    assert!(err.message().contains("does not support STRUCT"), "{}", err.message());
}

#[test]
fn unknown_settings_are_ignored_and_the_class_must_exist() {
    // Flatten has one optional key; an unknown key is ignored, as Kafka does.
    let mut chain = one::<SourceRecord>("Flatten$Value", &[("delimeter", "_")]);
    let out = chain
        .apply(
            SourceRecord::builder("t")
                .value(None, map(&[("a", map(&[("b", Value::Int8(1))]))]))
                .build(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(out.value(), &map(&[("a.b", Value::Int8(1))]));
    // There is no invalid string, so the one bad config is a bad type/class line.
    assert!(config_error("Flatten$Nope", &[]).contains("transforms.t.type"));
}
