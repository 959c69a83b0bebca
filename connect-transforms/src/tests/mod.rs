use connect_api::config::RawConfig;
use connect_api::data::{Schema, SchemaBuilder, Struct, Timestamp, Value};
use connect_api::record::{ConnectRecord, Headers, SinkRecord, SourceRecord, TimestampType};

use connect_runtime::PluginRegistry;
use connect_runtime::transforms::TransformChain;

mod cast;
mod flatten;
mod headers;
mod mask;
mod metadata;
mod timestamp;

/// The runtime's registry with this crate's plugins.
fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    r.register(super::plugins()).unwrap();
    r
}

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The connector settings of a chain of one transformation, alias `t`, of `class`
/// (short or under `org.apache.kafka.connect.transforms.`) with `settings`.
fn one_config(class: &str, settings: &[(&str, &str)]) -> RawConfig {
    let mut c = raw(&[("transforms", "t")]);
    c.insert("transforms.t.type".into(), format!("org.apache.kafka.connect.transforms.{class}"));
    for (k, v) in settings {
        c.insert(format!("transforms.t.{k}"), v.to_string());
    }
    c
}

/// A chain of one transformation, as a task builds it.
fn one<R: connect_runtime::registry::PluginRecord>(
    class: &str,
    settings: &[(&str, &str)],
) -> TransformChain<R> {
    TransformChain::from_config(&registry(), &one_config(class, settings)).unwrap()
}

/// The message of the error a bad configuration gives when the chain is built.
fn config_error(class: &str, settings: &[(&str, &str)]) -> String {
    let err =
        TransformChain::<SourceRecord>::from_config(&registry(), &one_config(class, settings))
            .unwrap_err();
    assert_eq!(err.kind(), connect_api::ErrorKind::Config, "{}", err.message());
    err.message().to_string()
}

/// A schemaless map with string keys.
fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect())
}

fn user_schema() -> Schema {
    SchemaBuilder::struct_()
        .name("user")
        .field("id", Schema::int64())
        .field("email", Schema::string())
        .field("secret", Schema::optional_string())
        .build()
        .unwrap()
}

fn user(id: i64) -> Struct {
    Struct::new(user_schema())
        .unwrap()
        .with("id", id)
        .unwrap()
        .with("email", "a@b")
        .unwrap()
        .with("secret", "x")
        .unwrap()
}

#[test]
fn regex_router_renames_whole_matches_only() {
    let mut chain = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "route"),
            ("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter"),
            ("transforms.route.regex", "(.*)-raw"),
            ("transforms.route.replacement", "clean-$1"),
        ]),
    )
    .unwrap();
    let out = chain.apply(SourceRecord::builder("orders-raw").build()).unwrap().unwrap();
    assert_eq!(out.topic(), "clean-orders");
    let same = chain.apply(SourceRecord::builder("orders-raw-x").build()).unwrap().unwrap();
    assert_eq!(same.topic(), "orders-raw-x");
}

#[test]
fn filter_with_negated_predicate_keeps_only_matching_topics() {
    let mut chain = TransformChain::<SinkRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "only"),
            ("transforms.only.type", "Filter"),
            ("transforms.only.predicate", "isOrders"),
            ("transforms.only.negate", "true"),
            ("predicates", "isOrders"),
            (
                "predicates.isOrders.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.isOrders.pattern", "orders.*"),
        ]),
    )
    .unwrap();
    assert!(chain.apply(SinkRecord::builder("orders-eu", 0, 1).build()).unwrap().is_some());
    assert!(chain.apply(SinkRecord::builder("users", 0, 1).build()).unwrap().is_none());
}

#[test]
fn tombstone_and_header_predicates() {
    let mut chain = TransformChain::<SinkRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "dropTombstones,dropMarked"),
            ("transforms.dropTombstones.type", "Filter"),
            ("transforms.dropTombstones.predicate", "tomb"),
            ("transforms.dropMarked.type", "Filter"),
            ("transforms.dropMarked.predicate", "marked"),
            ("predicates", "tomb,marked"),
            ("predicates.tomb.type", "RecordIsTombstone"),
            ("predicates.marked.type", "HasHeaderKey"),
            ("predicates.marked.name", "skip"),
        ]),
    )
    .unwrap();
    assert!(chain.apply(SinkRecord::builder("t", 0, 1).build()).unwrap().is_none());
    let kept = SinkRecord::builder("t", 0, 2).value(Some(Schema::string()), "v").build();
    assert!(chain.apply(kept).unwrap().is_some());
    let mut h = Headers::new();
    h.add_string("skip", "yes");
    let marked =
        SinkRecord::builder("t", 0, 3).value(Some(Schema::string()), "v").headers(h).build();
    assert!(chain.apply(marked).unwrap().is_none());
}

#[test]
fn insert_field_adds_record_metadata_to_structs_and_maps() {
    let mut chain = TransformChain::<SinkRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "meta"),
            ("transforms.meta.type", "org.apache.kafka.connect.transforms.InsertField$Value"),
            ("transforms.meta.topic.field", "src_topic!"),
            ("transforms.meta.offset.field", "src_offset"),
            ("transforms.meta.timestamp.field", "ts"),
            ("transforms.meta.static.field", "origin"),
            ("transforms.meta.static.value", "db1"),
        ]),
    )
    .unwrap();
    let r = SinkRecord::builder("users", 2, 41)
        .value(Some(user_schema()), user(7))
        .timestamp(1_000, TimestampType::CreateTime)
        .build();
    let out = chain.apply(r).unwrap().unwrap();
    let s = out.value().as_struct().unwrap();
    s.validate().unwrap();
    assert_eq!(s.get_int64("id").unwrap(), 7);
    assert_eq!(s.get_string("src_topic").unwrap(), "users");
    assert!(!s.schema().field("src_topic").unwrap().schema().is_optional());
    assert_eq!(s.get_int64("src_offset").unwrap(), 41);
    assert_eq!(s.get_timestamp("ts").unwrap(), Timestamp(1_000));
    assert_eq!(s.get_string("origin").unwrap(), "db1");
    assert_eq!(out.value_schema(), Some(s.schema()));
    let map = SinkRecord::builder("users", 0, 5)
        .value(None, Value::Map(vec![(Value::from("a"), Value::from(1i32))]))
        .build();
    let out = chain.apply(map).unwrap().unwrap();
    assert_eq!(out.value().map_get(&Value::from("src_topic")), Some(&Value::from("users")));
    let bad = SinkRecord::builder("users", 0, 5).value(Some(Schema::string()), "x").build();
    assert!(chain.apply(bad).unwrap_err().message().contains("Only Struct objects supported"));
}

#[test]
fn replace_field_drops_keeps_and_renames() {
    let mut chain = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "clean"),
            ("transforms.clean.type", "ReplaceField$Value"),
            ("transforms.clean.exclude", "secret"),
            ("transforms.clean.renames", "email:mail"),
        ]),
    )
    .unwrap();
    let r = SourceRecord::builder("users").value(Some(user_schema()), user(1)).build();
    let out = chain.apply(r).unwrap().unwrap();
    let s = out.value().as_struct().unwrap();
    let names: Vec<&str> = s.schema().fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, vec!["id", "mail"]);
    assert_eq!(s.get_string("mail").unwrap(), "a@b");
}

#[test]
fn hoist_then_extract_is_the_identity() {
    let mut chain = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "hoist,extract"),
            ("transforms.hoist.type", "HoistField$Key"),
            ("transforms.hoist.field", "k"),
            ("transforms.extract.type", "ExtractField$Key"),
            ("transforms.extract.field", "k"),
        ]),
    )
    .unwrap();
    let r = SourceRecord::builder("t").key(Some(Schema::int32()), 5i32).build();
    let out = chain.apply(r.clone()).unwrap().unwrap();
    assert_eq!(out.key(), r.key());
    assert_eq!(out.key_schema(), r.key_schema());
}

#[test]
fn bad_chain_configs_name_the_problem() {
    let err =
        TransformChain::<SourceRecord>::from_config(&registry(), &raw(&[("transforms", "x")]))
            .unwrap_err();
    assert!(err.message().contains("transforms.x.type"), "{}", err.message());
    let err = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[("transforms", "x"), ("transforms.x.type", "com.example.Nope")]),
    )
    .unwrap_err();
    assert!(err.message().contains("could not be found"), "{}", err.message());
    let err = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "x"),
            ("transforms.x.type", "Filter"),
            ("transforms.x.predicate", "p"),
        ]),
    )
    .unwrap_err();
    assert!(err.message().contains("not listed in 'predicates'"), "{}", err.message());
    let err = TransformChain::<SourceRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "r"),
            ("transforms.r.type", "RegexRouter"),
            ("transforms.r.regex", "("),
            ("transforms.r.replacement", "x"),
        ]),
    )
    .unwrap_err();
    assert!(err.message().contains("configuration transforms.r.regex"), "{}", err.message());
    let err = TransformChain::<SinkRecord>::from_config(
        &registry(),
        &raw(&[
            ("transforms", "x"),
            ("transforms.x.type", "Filter"),
            ("transforms.x.predicate", "p"),
            ("predicates", "p"),
            ("predicates.p.type", "TopicNameMatches"),
            ("predicates.p.pattern", "orders-("),
        ]),
    )
    .unwrap_err();
    assert!(
        err.message().starts_with("Invalid value orders-( for configuration predicates.p.pattern"),
        "{}",
        err.message()
    );
}

#[test]
fn every_kafka_transformation_class_is_registered() {
    let r = registry();
    let classes = [
        "Cast$Key",
        "Cast$Value",
        "DropHeaders",
        "ExtractField$Key",
        "ExtractField$Value",
        "Filter",
        "Flatten$Key",
        "Flatten$Value",
        "HeaderFrom$Key",
        "HeaderFrom$Value",
        "HoistField$Key",
        "HoistField$Value",
        "InsertField$Key",
        "InsertField$Value",
        "InsertHeader",
        "MaskField$Key",
        "MaskField$Value",
        "RegexRouter",
        "ReplaceField$Key",
        "ReplaceField$Value",
        "SetSchemaMetadata$Key",
        "SetSchemaMetadata$Value",
        "TimestampConverter$Key",
        "TimestampConverter$Value",
        "TimestampRouter",
        "ValueToKey",
    ];
    for c in classes {
        let class = format!("org.apache.kafka.connect.transforms.{c}");
        assert!(r.transformation::<SourceRecord>(&class).is_ok(), "{class}");
    }
    assert_eq!(super::plugins().len(), classes.len() + 3);
}
