//! `DropHeaders`, `InsertHeader` and `HeaderFrom$Key` / `HeaderFrom$Value`, after
//! Kafka's OVERVIEW_DOCs ("Removes one or more headers from each record", "Add a
//! header to each record", "Moves or copies fields in the key/value of a record into
//! that record's headers") and their tests.

use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{ConnectRecord, Headers, SinkRecord, SourceRecord};

use super::{config_error, map, one};

fn header_list(r: &impl ConnectRecord) -> Vec<(String, Option<Schema>, Value)> {
    r.headers()
        .iter()
        .map(|h| (h.key().to_string(), h.schema().cloned(), h.value().clone()))
        .collect()
}

#[test]
fn drop_headers_removes_every_header_of_the_listed_names() {
    let mut chain = one::<SinkRecord>("DropHeaders", &[("headers", "dummy, other")]);
    let mut h = Headers::new();
    h.add_string("dummy", "a")
        .add_string("keep", "b")
        .add_int32("dummy", 2)
        .add_bool("other", true);
    let out = chain.apply(SinkRecord::builder("t", 0, 1).headers(h).build()).unwrap().unwrap();
    assert_eq!(header_list(&out), vec![("keep".into(), Some(Schema::string()), Value::from("b"))]);
    let m = config_error("DropHeaders", &[("headers", "")]);
    assert!(m.contains("configuration transforms.t.headers") && m.contains("Empty list"), "{m}");
    assert!(config_error("DropHeaders", &[]).contains("\"transforms.t.headers\""));
}

#[test]
fn insert_header_adds_the_literal_with_an_inferred_schema() {
    let mut chain =
        one::<SourceRecord>("InsertHeader", &[("header", "source"), ("value.literal", "db1")]);
    let mut h = Headers::new();
    h.add_string("source", "old");
    let out = chain.apply(SourceRecord::builder("t").headers(h).build()).unwrap().unwrap();
    // Appended: the existing header stays, the new one is the last of its name.
    assert_eq!(out.headers().len(), 2);
    let last = out.headers().last_with_name("source").unwrap();
    assert_eq!((last.schema(), last.value()), (Some(&Schema::string()), &Value::from("db1")));
    let mut chain =
        one::<SourceRecord>("InsertHeader", &[("header", "n"), ("value.literal", "42")]);
    let out = chain.apply(SourceRecord::builder("t").build()).unwrap().unwrap();
    let n = out.headers().last_with_name("n").unwrap();
    assert_eq!((n.schema(), n.value()), (Some(&Schema::int8()), &Value::Int8(42)));
    let m = config_error("InsertHeader", &[("header", "x")]);
    assert!(m.contains("\"transforms.t.value.literal\""), "{m}");
    let m = config_error("InsertHeader", &[("value.literal", "x")]);
    assert!(m.contains("\"transforms.t.header\""), "{m}");
}

fn two_fields() -> Schema {
    SchemaBuilder::struct_()
        .name("rec")
        .field("field1", Schema::string())
        .field("field2", Schema::string())
        .field("opt", SchemaBuilder::int32().optional().default_value(7i32).build().unwrap())
        .build()
        .unwrap()
}

fn two_values() -> Struct {
    Struct::new(two_fields())
        .unwrap()
        .with("field1", "field1-value")
        .unwrap()
        .with("field2", "field2-value")
        .unwrap()
}

fn existing() -> Headers {
    let mut h = Headers::new();
    h.add_string("inserted1", "existing-value");
    h
}

#[test]
fn header_from_copy_keeps_the_field_and_appends_a_typed_header() {
    let mut chain = one::<SourceRecord>(
        "HeaderFrom$Value",
        &[("fields", "field1,opt"), ("headers", "inserted1,inserted2"), ("operation", "copy")],
    );
    let r = SourceRecord::builder("t")
        .value(Some(two_fields()), two_values())
        .headers(existing())
        .build();
    let out = chain.apply(r.clone()).unwrap().unwrap();
    assert_eq!(out.value(), r.value());
    assert_eq!(out.value_schema(), r.value_schema());
    let opt_schema = two_fields().field("opt").unwrap().schema().clone();
    assert_eq!(
        header_list(&out),
        vec![
            ("inserted1".into(), Some(Schema::string()), Value::from("existing-value")),
            ("inserted1".into(), Some(Schema::string()), Value::from("field1-value")),
            // The null field gives its default (replace.null.with.default=true).
            ("inserted2".into(), Some(opt_schema), Value::Int32(7)),
        ]
    );
}

#[test]
fn header_from_move_removes_the_field_from_key_struct() {
    let mut chain = one::<SourceRecord>(
        "HeaderFrom$Key",
        &[
            ("fields", "field1,opt"),
            ("headers", "inserted1,inserted2"),
            ("operation", "move"),
            ("replace.null.with.default", "false"),
        ],
    );
    let r = SourceRecord::builder("t").key(Some(two_fields()), two_values()).build();
    let out = chain.apply(r).unwrap().unwrap();
    let key = out.key().as_struct().unwrap();
    let names: Vec<&str> = key.schema().fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, vec!["field2"]);
    assert_eq!(key.schema().name(), Some("rec"));
    assert_eq!(out.key_schema(), Some(key.schema()));
    assert_eq!(key.get_string("field2").unwrap(), "field2-value");
    let h = header_list(&out);
    assert_eq!(h[0].2, Value::from("field1-value"));
    assert_eq!(h[1].2, Value::Null);
}

#[test]
fn header_from_schemaless_copies_and_moves_map_entries() {
    let value = map(&[("field1", Value::from("field1-value")), ("field2", Value::from("v2"))]);
    for (op, left) in [("copy", 2), ("move", 1)] {
        let mut chain = one::<SourceRecord>(
            "HeaderFrom$Value",
            &[("fields", "field1,missing"), ("headers", "h1,h2"), ("operation", op)],
        );
        let out = chain
            .apply(SourceRecord::builder("t").value(None, value.clone()).build())
            .unwrap()
            .unwrap();
        assert_eq!(out.value().as_map().unwrap().len(), left, "{op}");
        assert_eq!(
            header_list(&out),
            vec![
                ("h1".into(), None, Value::from("field1-value")),
                ("h2".into(), None, Value::Null)
            ],
            "{op}"
        );
    }
}

#[test]
fn header_from_needs_a_struct_or_map() {
    let mut chain = one::<SourceRecord>(
        "HeaderFrom$Value",
        &[("fields", "a"), ("headers", "b"), ("operation", "move")],
    );
    let err = chain.apply(SourceRecord::builder("t").value(None, 5i32).build()).unwrap_err();
    assert!(err.message().contains("[header move]"), "{}", err.message());
    let r = SourceRecord::builder("t").value(Some(two_fields()), two_values()).build();
    let err = chain.apply(r).unwrap_err();
    assert!(err.message().contains("Unknown field a"), "{}", err.message());
}

#[test]
fn header_from_bad_configs_name_the_key() {
    let m = config_error(
        "HeaderFrom$Value",
        &[("fields", "a,b"), ("headers", "x"), ("operation", "copy")],
    );
    assert!(m.contains("'fields'") && m.contains("'headers'"), "{m}");
    let m = config_error(
        "HeaderFrom$Value",
        &[("fields", "a"), ("headers", "x"), ("operation", "cut")],
    );
    assert!(m.contains("configuration transforms.t.operation") && m.contains("move, copy"), "{m}");
    let m = config_error("HeaderFrom$Key", &[("fields", "a"), ("operation", "copy")]);
    assert!(m.contains("\"transforms.t.headers\""), "{m}");
    let m =
        config_error("HeaderFrom$Key", &[("fields", ""), ("headers", "x"), ("operation", "copy")]);
    assert!(m.contains("configuration transforms.t.fields"), "{m}");
}
