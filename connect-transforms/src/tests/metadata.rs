//! `SetSchemaMetadata$Key` / `$Value` ("Set the schema name, version or both on the
//! record's key or value schema") and `ValueToKey` ("Replace the record key with a new
//! key formed from a subset of fields in the record value"), after Kafka's tests.

use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{ConnectRecord, SinkRecord, SourceRecord};

use super::{config_error, map, one};

fn value_schema() -> Schema {
    SchemaBuilder::struct_()
        .name("old")
        .version(1)
        .doc("the doc")
        .field("a", Schema::int32())
        .field("b", Schema::int32())
        .field("c", SchemaBuilder::int32().optional().default_value(3i32).build().unwrap())
        .build()
        .unwrap()
}

fn value() -> Struct {
    Struct::new(value_schema()).unwrap().with("a", 1i32).unwrap().with("b", 2i32).unwrap()
}

#[test]
fn set_schema_metadata_sets_name_version_or_both() {
    for (settings, name, version) in [
        (vec![("schema.name", "foo")], "foo", 1),
        (vec![("schema.version", "42")], "old", 42),
        (vec![("schema.name", "foo"), ("schema.version", "42")], "foo", 42),
    ] {
        let mut chain = one::<SinkRecord>("SetSchemaMetadata$Value", &settings);
        let r = SinkRecord::builder("t", 0, 0).value(Some(value_schema()), value()).build();
        let out = chain.apply(r).unwrap().unwrap();
        let schema = out.value_schema().unwrap();
        assert_eq!((schema.name(), schema.version()), (Some(name), Some(version)), "{settings:?}");
        assert_eq!(schema.doc(), Some("the doc"));
        assert_eq!(schema.fields().len(), 3);
        // The struct now refers to the updated schema.
        let s = out.value().as_struct().unwrap();
        assert_eq!(s.schema(), schema);
        s.validate().unwrap();
        assert_eq!(s.get_int32("b").unwrap(), 2);
        assert_eq!(s.get_without_default("c").unwrap(), &Value::Int32(3));
    }
}

#[test]
fn set_schema_metadata_on_key_and_primitive_schemas() {
    let mut chain = one::<SourceRecord>(
        "SetSchemaMetadata$Key",
        &[("schema.name", "k"), ("replace.null.with.default", "false")],
    );
    let opt = SchemaBuilder::int64().optional().build().unwrap();
    let r = SourceRecord::builder("t").key(Some(opt), 5i64).build();
    let out = chain.apply(r).unwrap().unwrap();
    assert_eq!(out.key_schema().unwrap().name(), Some("k"));
    assert!(out.key_schema().unwrap().is_optional());
    assert_eq!(out.key(), &Value::Int64(5));
    let r = SourceRecord::builder("t").key(Some(value_schema()), value()).build();
    let out = chain.apply(r).unwrap().unwrap();
    let s = out.key().as_struct().unwrap();
    assert_eq!(s.get_without_default("c").unwrap(), &Value::Null);
}

#[test]
fn set_schema_metadata_needs_a_schema_unless_the_record_is_empty() {
    let mut chain = one::<SourceRecord>("SetSchemaMetadata$Value", &[("schema.name", "x")]);
    let empty = SourceRecord::builder("t").build();
    assert_eq!(chain.apply(empty.clone()).unwrap().unwrap(), empty);
    let err = chain.apply(SourceRecord::builder("t").value(None, "v").build()).unwrap_err();
    assert!(err.message().contains("Schema required for [updating schema metadata]"));
}

#[test]
fn set_schema_metadata_bad_configs_name_the_key() {
    let m = config_error("SetSchemaMetadata$Value", &[]);
    assert!(m.contains("schema.name") && m.contains("schema.version"), "{m}");
    let m = config_error("SetSchemaMetadata$Value", &[("schema.version", "one")]);
    assert!(m.contains("configuration transforms.t.schema.version"), "{m}");
}

#[test]
fn value_to_key_builds_a_struct_key_from_value_fields() {
    let mut chain = one::<SinkRecord>("ValueToKey", &[("fields", "a,c")]);
    let r = SinkRecord::builder("t", 0, 0)
        .key(Some(Schema::string()), "old")
        .value(Some(value_schema()), value())
        .build();
    let out = chain.apply(r.clone()).unwrap().unwrap();
    let key = out.key().as_struct().unwrap();
    let expected = SchemaBuilder::struct_()
        .field("a", Schema::int32())
        .field("c", SchemaBuilder::int32().optional().default_value(3i32).build().unwrap())
        .build()
        .unwrap();
    assert_eq!(out.key_schema(), Some(&expected));
    assert_eq!(key.get_int32("a").unwrap(), 1);
    assert_eq!(key.get_without_default("c").unwrap(), &Value::Int32(3));
    assert_eq!(out.value(), r.value());
    let mut chain =
        one::<SinkRecord>("ValueToKey", &[("fields", "c"), ("replace.null.with.default", "false")]);
    let out = chain.apply(r).unwrap().unwrap();
    assert_eq!(out.key().as_struct().unwrap().get_without_default("c").unwrap(), &Value::Null);
}

#[test]
fn value_to_key_schemaless_and_errors() {
    let mut chain = one::<SinkRecord>("ValueToKey", &[("fields", "a,b")]);
    let v = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2)), ("c", Value::Int32(3))]);
    let out = chain.apply(SinkRecord::builder("t", 0, 0).value(None, v).build()).unwrap().unwrap();
    assert_eq!(out.key(), &map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]));
    assert_eq!(out.key_schema(), None);
    let mut chain = one::<SinkRecord>("ValueToKey", &[("fields", "a,nope")]);
    let r = SinkRecord::builder("t", 0, 0).value(Some(value_schema()), value()).build();
    let err = chain.apply(r).unwrap_err();
    assert!(err.message().contains("Field does not exist: nope"), "{}", err.message());
    let m = config_error("ValueToKey", &[("fields", "")]);
    assert!(m.contains("configuration transforms.t.fields") && m.contains("Empty list"), "{m}");
}
