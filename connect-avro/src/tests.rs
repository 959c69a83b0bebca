//! Unit tests of the Connect ↔ Avro mapping and the binary codec.

use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Value};
use serde_json::json;

use super::codec::{self, Reader};
use super::data::{AvroDataOptions, connect_to_avro};
use super::plan::{self, Node};
use super::{AvroConverter, AvroConverterConfig, SubjectNameStrategy, avro_to_connect};

fn to_avro(s: &Schema) -> serde_json::Value {
    connect_to_avro(s, &AvroDataOptions::default()).unwrap()
}

/// Connect → Avro → Connect gives the same schema, and apache-avro accepts the Avro.
fn round_trip_schema(s: &Schema) -> serde_json::Value {
    let avro = to_avro(s);
    apache_avro::Schema::parse_str(&avro.to_string()).unwrap();
    let back = avro_to_connect(&avro.to_string()).unwrap();
    assert_eq!(&back, s, "avro: {avro}");
    avro
}

fn bound_plan(s: &Schema) -> Node {
    let (_, mut node) = plan::avro_to_connect(&to_avro(s)).unwrap();
    plan::bind(&mut node, s);
    node
}

fn round_trip_value(s: &Schema, v: &Value) -> Vec<u8> {
    let node = bound_plan(s);
    let mut out = Vec::new();
    codec::encode(&node, v, &mut out).unwrap();
    let (read_schema, read_node) = plan::avro_to_connect(&to_avro(s)).unwrap();
    let mut r = Reader::new(&out);
    let back = r.decode(&read_node).unwrap();
    assert_eq!(r.remaining(), 0);
    assert_eq!(&read_schema, s);
    assert_eq!(&back, v);
    out
}

#[test]
fn primitives_map_like_confluent() {
    assert_eq!(round_trip_schema(&Schema::int8()), json!({"type": "int", "connect.type": "int8"}));
    assert_eq!(
        round_trip_schema(&Schema::int16()),
        json!({"type": "int", "connect.type": "int16"})
    );
    assert_eq!(round_trip_schema(&Schema::int32()), json!("int"));
    assert_eq!(round_trip_schema(&Schema::int64()), json!("long"));
    assert_eq!(round_trip_schema(&Schema::float32()), json!("float"));
    assert_eq!(round_trip_schema(&Schema::float64()), json!("double"));
    assert_eq!(round_trip_schema(&Schema::boolean()), json!("boolean"));
    assert_eq!(round_trip_schema(&Schema::string()), json!("string"));
    assert_eq!(round_trip_schema(&Schema::bytes()), json!("bytes"));
    assert_eq!(round_trip_schema(&Schema::optional_string()), json!(["null", "string"]));
}

#[test]
fn logical_types_map_to_avro_logical_types() {
    let d = round_trip_schema(&Decimal::schema(2));
    assert_eq!(d["type"], "bytes");
    assert_eq!(d["logicalType"], "decimal");
    assert_eq!(d["precision"], 64);
    assert_eq!(d["scale"], 2);
    assert_eq!(d["connect.name"], "org.apache.kafka.connect.data.Decimal");
    let p = Decimal::builder(3).parameter("connect.decimal.precision", "10").build().unwrap();
    assert_eq!(round_trip_schema(&p)["precision"], 10);
    assert_eq!(round_trip_schema(&Date::schema())["logicalType"], "date");
    assert_eq!(round_trip_schema(&Time::schema())["logicalType"], "time-millis");
    let ts = round_trip_schema(&Timestamp::schema());
    assert_eq!(
        (ts["type"].as_str(), ts["logicalType"].as_str()),
        (Some("long"), Some("timestamp-millis"))
    );
}

fn person() -> Schema {
    let address = SchemaBuilder::struct_()
        .field("street", Schema::string())
        .field("zip", Schema::optional_int32())
        .optional()
        .build()
        .unwrap();
    SchemaBuilder::struct_()
        .name("com.example.Person")
        .version(2)
        .doc("a person")
        .field("name", Schema::string())
        .field("age", SchemaBuilder::int8().default_value(18i8).build().unwrap())
        .field("score", SchemaBuilder::float64().optional().default_value(1.5f64).build().unwrap())
        .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
        .field(
            "attrs",
            SchemaBuilder::map(Schema::string(), Schema::optional_int64()).build().unwrap(),
        )
        .field("by_id", SchemaBuilder::map(Schema::int32(), Schema::string()).build().unwrap())
        .field("address", address)
        .field("price", Decimal::builder(2).optional().build().unwrap())
        .field("born", Date::schema())
        .build()
        .unwrap()
}

#[test]
fn structs_become_records_with_defaults_and_metadata() {
    let s = person();
    let avro = round_trip_schema(&s);
    assert_eq!(avro["type"], "record");
    assert_eq!(avro["name"], "Person");
    assert_eq!(avro["namespace"], "com.example");
    assert_eq!(avro["connect.version"], 2);
    assert_eq!(avro["connect.doc"], "a person");
    let fields = avro["fields"].as_array().unwrap();
    assert_eq!(fields[1]["default"], 18);
    assert_eq!(fields[2]["type"][0]["type"], "double");
    assert_eq!(fields[2]["type"][1], "null");
    assert_eq!(fields[2]["default"], 1.5);
    assert_eq!(fields[4]["type"]["type"], "map");
    assert_eq!(fields[5]["type"]["items"]["name"], "MapEntry");
    assert_eq!(fields[5]["type"]["items"]["namespace"], "io.confluent.connect.avro");
    assert_eq!(fields[6]["type"][1]["name"], "ConnectDefault");
    assert_eq!(fields[6]["default"], serde_json::Value::Null);
}

#[test]
fn values_round_trip_through_the_binary_codec() {
    let s = person();
    let addr_schema = s.field("address").unwrap().schema().clone();
    let addr = Struct::new(addr_schema).unwrap().with("street", "Main").unwrap();
    let v = Struct::new(s.clone())
        .unwrap()
        .with("name", "Ada")
        .unwrap()
        .with("age", 36i8)
        .unwrap()
        .with("tags", vec![Value::from("x"), Value::from("y")])
        .unwrap()
        .with("attrs", vec![(Value::from("a"), Value::Int64(-5)), (Value::from("b"), Value::Null)])
        .unwrap()
        .with("by_id", vec![(Value::Int32(7), Value::from("seven"))])
        .unwrap()
        .with("address", addr)
        .unwrap()
        .with("price", Decimal::new(-12345, 2))
        .unwrap()
        .with("score", 2.5f64)
        .unwrap()
        .with("born", Date(19000))
        .unwrap();
    let bytes = round_trip_value(&s, &Value::Struct(v.clone()));
    // apache-avro reads the same bytes with the same schema.
    let avro = apache_avro::Schema::parse_str(&to_avro(&s).to_string()).unwrap();
    let read = apache_avro::reader::datum::GenericDatumReader::builder(&avro)
        .build()
        .unwrap()
        .read_value(&mut &bytes[..])
        .unwrap();
    let apache_avro::types::Value::Record(fields) = read else { panic!("not a record: {read:?}") };
    // Every field, as apache-avro reads it: optional fields are unions whose null
    // branch comes first unless the default is not null (score).
    use apache_avro::types::Value as A;
    let string = |t: &str| A::String(t.to_string());
    let expected = vec![
        ("name", string("Ada")),
        ("age", A::Int(36)),
        ("score", A::Union(0, Box::new(A::Double(2.5)))),
        ("tags", A::Array(vec![string("x"), string("y")])),
        (
            "attrs",
            A::Map(
                [
                    ("a".to_string(), A::Union(1, Box::new(A::Long(-5)))),
                    ("b".to_string(), A::Union(0, Box::new(A::Null))),
                ]
                .into_iter()
                .collect(),
            ),
        ),
        (
            "by_id",
            A::Array(vec![A::Record(vec![
                ("key".into(), A::Int(7)),
                ("value".into(), string("seven")),
            ])]),
        ),
        (
            "address",
            A::Union(
                1,
                Box::new(A::Record(vec![
                    ("street".into(), string("Main")),
                    ("zip".into(), A::Union(0, Box::new(A::Null))),
                ])),
            ),
        ),
        // -12345 as big-endian two's complement.
        ("price", A::Union(1, Box::new(A::Decimal(apache_avro::Decimal::from(vec![0xCF, 0xC7]))))),
        ("born", A::Date(19000)),
    ];
    assert_eq!(fields.len(), expected.len(), "{fields:?}");
    for ((name, got), (want_name, want)) in fields.iter().zip(expected) {
        assert_eq!(name, want_name);
        assert_eq!(got, &want, "field {name}");
    }
}

#[test]
fn defaults_fill_null_fields_when_writing() {
    let s = person();
    let mut v = Struct::new(s.clone()).unwrap();
    v.put("name", "x").unwrap();
    v.put("tags", Vec::<Value>::new()).unwrap();
    v.put("attrs", Vec::<(Value, Value)>::new()).unwrap();
    v.put("by_id", Vec::<(Value, Value)>::new()).unwrap();
    v.put("born", Date(1)).unwrap();
    let node = bound_plan(&s);
    let mut out = Vec::new();
    codec::encode(&node, &Value::Struct(v), &mut out).unwrap();
    let back = Reader::new(&out).decode(&node).unwrap();
    let back = back.as_struct().unwrap();
    assert_eq!(back.get_without_default("age").unwrap(), &Value::Int8(18));
    assert_eq!(back.get_without_default("score").unwrap(), &Value::Float64(1.5));
}

#[test]
fn plain_avro_from_other_producers_maps_to_connect() {
    let avro = json!({
        "type": "record", "name": "Order", "namespace": "shop",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": null},
            {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "DONE"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
            {"name": "choice", "type": ["null", "int", "string"]},
            {"name": "again", "type": "Status"},
            {"name": "qty", "type": "int", "default": 1}
        ]
    });
    let s = avro_to_connect(&avro.to_string()).unwrap();
    assert_eq!(s.name(), Some("shop.Order"));
    assert_eq!(s.field("id").unwrap().schema(), &Schema::int64());
    assert_eq!(s.field("note").unwrap().schema(), &Schema::optional_string());
    let status = s.field("status").unwrap().schema();
    assert_eq!(
        status.parameters().get("io.confluent.connect.avro.Enum").map(String::as_str),
        Some("shop.Status")
    );
    let hash = s.field("hash").unwrap().schema();
    assert_eq!(hash.schema_type(), connect_api::data::Type::Bytes);
    let choice = s.field("choice").unwrap().schema();
    assert_eq!(choice.name(), Some("io.confluent.connect.avro.Union"));
    assert!(choice.is_optional());
    assert_eq!(choice.fields().len(), 2);
    assert_eq!(s.field("qty").unwrap().schema().default_value(), Some(&Value::Int32(1)));
    // Values written by apache-avro read back through the plan.
    let parsed = apache_avro::Schema::parse_str(&avro.to_string()).unwrap();
    use apache_avro::types::Value as A;
    let record = A::Record(vec![
        ("id".into(), A::Long(9)),
        ("note".into(), A::Union(1, Box::new(A::String("hi".into())))),
        ("status".into(), A::Enum(1, "DONE".into())),
        ("hash".into(), A::Fixed(4, vec![1, 2, 3, 4])),
        ("choice".into(), A::Union(2, Box::new(A::String("s".into())))),
        ("again".into(), A::Enum(0, "NEW".into())),
        ("qty".into(), A::Int(3)),
    ]);
    let bytes = apache_avro::writer::datum::GenericDatumWriter::builder(&parsed)
        .build()
        .unwrap()
        .write_value_to_vec(record)
        .unwrap();
    let (_, node) = plan::avro_to_connect(&avro).unwrap();
    let v = Reader::new(&bytes).decode(&node).unwrap();
    let v = v.as_struct().unwrap();
    assert_eq!(v.get("status").unwrap(), &Value::from("DONE"));
    assert_eq!(v.get("again").unwrap(), &Value::from("NEW"));
    assert_eq!(v.get("hash").unwrap(), &Value::Bytes(vec![1, 2, 3, 4]));
    assert_eq!(v.get_struct("choice").unwrap().get("string").unwrap(), &Value::from("s"));
    // Written back through the same plan, the bytes are identical.
    let mut out = Vec::new();
    codec::encode(&node, &Value::Struct(v.clone()), &mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn repeated_struct_names_become_references() {
    let inner = SchemaBuilder::struct_().name("a.B").field("x", Schema::int32()).build().unwrap();
    let outer = SchemaBuilder::struct_()
        .name("a.A")
        .field("one", inner.clone())
        .field("two", inner)
        .build()
        .unwrap();
    let avro = round_trip_schema(&outer);
    assert_eq!(avro["fields"][1]["type"], "a.B");
    let clash = SchemaBuilder::struct_()
        .name("a.A")
        .field(
            "one",
            SchemaBuilder::struct_().name("a.B").field("x", Schema::int32()).build().unwrap(),
        )
        .field(
            "two",
            SchemaBuilder::struct_().name("a.B").field("y", Schema::int32()).build().unwrap(),
        )
        .build()
        .unwrap();
    assert!(connect_to_avro(&clash, &AvroDataOptions::default()).is_err());
}

#[test]
fn bad_values_are_data_errors() {
    let node = bound_plan(&Schema::int32());
    let mut out = Vec::new();
    let e = codec::encode(&node, &Value::from("x"), &mut out).unwrap_err();
    assert_eq!(e.kind(), connect_api::error::ErrorKind::Data);
    assert!(Reader::new(&[0x80]).decode(&node).is_err());
}

#[test]
fn subject_strategies_name_subjects_like_confluent() {
    let t = SubjectNameStrategy::parse("io.confluent.kafka.serializers.subject.TopicNameStrategy")
        .unwrap();
    assert_eq!(t.subject("orders", false, None).unwrap(), "orders-value");
    assert_eq!(t.subject("orders", true, None).unwrap(), "orders-key");
    let r = SubjectNameStrategy::parse("RecordNameStrategy").unwrap();
    assert_eq!(r.subject("orders", false, Some("shop.Order")).unwrap(), "shop.Order");
    let tr = SubjectNameStrategy::parse(
        "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
    )
    .unwrap();
    assert_eq!(tr.subject("orders", false, Some("shop.Order")).unwrap(), "orders-shop.Order");
    assert!(r.subject("orders", false, None).is_err());
    assert!(SubjectNameStrategy::parse("Nope").is_err());
}

#[test]
fn settings_parse_and_hide_the_password() {
    let raw = [
        ("schema.registry.url", "http://a:1, http://b:2/"),
        ("basic.auth.credentials.source", "USER_INFO"),
        ("basic.auth.user.info", "me:s3cret"),
        (
            "value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.RecordNameStrategy",
        ),
        ("enhanced.avro.schema.support", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let c = AvroConverterConfig::parse(&raw, false).unwrap();
    assert_eq!(c.urls, vec!["http://a:1", "http://b:2"]);
    assert_eq!(c.subject_strategy, SubjectNameStrategy::RecordName);
    assert!(c.auto_register && !c.use_latest_version && c.data.connect_meta_data);
    assert_eq!(c.basic_auth.as_ref().map(|(u, p)| (u.as_str(), p.value())), Some(("me", "s3cret")));
    assert!(!format!("{c:?}").contains("s3cret"));
    assert!(AvroConverterConfig::parse(&Default::default(), false).is_err());
}

#[tokio::test]
async fn schemaless_values_and_bad_bytes_are_refused() {
    let raw = [("schema.registry.url".to_string(), "http://127.0.0.1:1".to_string())]
        .into_iter()
        .collect();
    let c = AvroConverter::with_config(AvroConverterConfig::parse(&raw, false).unwrap(), false)
        .unwrap();
    let e = c.serialize("t", None, &Value::from("x")).await.unwrap_err();
    assert!(e.message().contains("without a Connect schema"), "{e}");
    assert_eq!(c.serialize("t", None, &Value::Null).await.unwrap(), None);
    let e = c.deserialize("t", Some(&[1, 0, 0, 0, 1, 2])).await.unwrap_err();
    assert!(e.message().contains("Unknown magic byte"), "{e}");
    assert!(c.deserialize("t", None).await.unwrap().value.is_null());
}
