//! AvroConverter against the project's Confluent-compatible schema registry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connect_api::config::RawConfig;
use connect_api::convert::Converter;
use connect_api::data::{Decimal, Schema, SchemaBuilder, Struct, Value};
use connect_api::error::ErrorKind;
use connect_api::record::Headers;
use connect_avro::AvroConverter;
use connect_runtime::PluginRegistry;
use connect_schema_registry::RegistryServer;
use schema_registry_converter::async_impl::avro::AvroDecoder;
use schema_registry_converter::async_impl::schema_registry::SrSettings;

fn settings(url: &str, extra: &[(&str, &str)]) -> RawConfig {
    let mut c: RawConfig =
        [("schema.registry.url".to_string(), url.to_string())].into_iter().collect();
    for (k, v) in extra {
        c.insert(k.to_string(), v.to_string());
    }
    c
}

fn converter(url: &str, extra: &[(&str, &str)]) -> Box<dyn Converter> {
    // Built as a task builds it: from a registry the plugin was registered in.
    let mut registry = PluginRegistry::new();
    registry.register(connect_avro::plugins()).unwrap();
    let mut c = registry.converter("io.confluent.connect.avro.AvroConverter").unwrap();
    c.configure(&settings(url, extra), false).unwrap();
    c
}

fn v1() -> Schema {
    SchemaBuilder::struct_()
        .name("shop.Order")
        .field("id", Schema::int64())
        .field("item", Schema::string())
        .field("note", Schema::optional_string())
        .field("price", Decimal::schema(2))
        .build()
        .unwrap()
}

fn v2() -> Schema {
    SchemaBuilder::struct_()
        .name("shop.Order")
        .field("id", Schema::int64())
        .field("item", Schema::string())
        .field("note", Schema::optional_string())
        .field("price", Decimal::schema(2))
        .field("qty", SchemaBuilder::int32().default_value(1i32).build().unwrap())
        .build()
        .unwrap()
}

/// `schema` as the converter reads it back: with the version it has in the registry.
fn versioned(schema: &Schema, version: i32) -> Schema {
    schema.to_builder().version(version).build().unwrap()
}

fn order(schema: &Schema, id: i64) -> Value {
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("id", id).unwrap();
    s.put("item", format!("item-{id}")).unwrap();
    s.put("price", Decimal::new(1999 + id, 2)).unwrap();
    if schema.field("qty").is_some() {
        s.put("qty", 3i32).unwrap();
    }
    Value::Struct(s)
}

#[tokio::test]
async fn records_round_trip_through_the_registry() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let writer = converter(&server.url(), &[]);
    let reader = converter(&server.url(), &[]);
    let schema = v1();
    let mut headers = Headers::new();
    let mut all = Vec::new();
    for id in 0..50 {
        let v = order(&schema, id);
        let bytes = writer
            .from_connect_data("orders", &mut headers, Some(&schema), &v)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bytes[0], 0);
        all.push((bytes, v));
    }
    let first_id = &all[0].0[1..5];
    assert!(all.iter().all(|(b, _)| &b[1..5] == first_id), "one schema id for one schema");
    // Read back with the subject's version on the schema, as Confluent's converter does.
    let read_schema = versioned(&schema, 1);
    for (id, (bytes, _)) in all.iter().enumerate() {
        let back = reader.to_connect_data("orders", &headers, Some(bytes)).await.unwrap();
        assert_eq!(back.schema.as_ref(), Some(&read_schema));
        assert_eq!(back.value, order(&read_schema, id as i64));
    }
    assert!(
        writer
            .from_connect_data("orders", &mut headers, Some(&schema), &Value::Null)
            .await
            .unwrap()
            .is_none()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bytes_decode_with_schema_registry_converter_alone() {
    use apache_avro::types::Value as A;
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let writer = converter(&server.url(), &[]);
    let schema = v1();
    let bytes = writer
        .from_connect_data("orders", &mut Headers::new(), Some(&schema), &order(&schema, 7))
        .await
        .unwrap()
        .unwrap();
    let decoder = AvroDecoder::new(SrSettings::new(server.url()));
    let decoded = decoder.decode(Some(&bytes)).await.unwrap();
    let A::Record(fields) = decoded.value else { panic!("{:?}", decoded.value) };
    assert_eq!(fields[0], ("id".to_string(), A::Long(7)));
    assert_eq!(fields[1], ("item".to_string(), A::String("item-7".into())));
    assert_eq!(fields[2], ("note".to_string(), A::Union(0, Box::new(A::Null))));
    match &fields[3].1 {
        A::Decimal(d) => assert_eq!(Vec::<u8>::try_from(d).unwrap(), vec![0x07, 0xd6]),
        other => panic!("price read as {other:?}"),
    }
    assert_eq!(decoded.name.map(|n| n.fullname(None)), Some("shop.Order".to_string()));
    server.shutdown().await;
}

#[tokio::test]
async fn new_schema_versions_are_registered_as_they_appear() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let c = converter(&server.url(), &[]);
    let mut h = Headers::new();
    let b1 = c
        .from_connect_data("orders", &mut h, Some(&v1()), &order(&v1(), 1))
        .await
        .unwrap()
        .unwrap();
    let b2 = c
        .from_connect_data("orders", &mut h, Some(&v2()), &order(&v2(), 2))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(b1[1..5], b2[1..5], "v2 gets its own id");
    let http = reqwest::Client::new();
    let versions: Vec<u32> = http
        .get(format!("{}/subjects/orders-value/versions", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions, vec![1, 2]);
    let reader = converter(&server.url(), &[]);
    let back1 = reader.to_connect_data("orders", &h, Some(&b1)).await.unwrap();
    let back2 = reader.to_connect_data("orders", &h, Some(&b2)).await.unwrap();
    assert_eq!(back1.schema, Some(versioned(&v1(), 1)));
    assert_eq!(back2.schema, Some(versioned(&v2(), 2)));
    assert_eq!(back1.value, order(&versioned(&v1(), 1), 1));
    assert_eq!(back2.value, order(&versioned(&v2(), 2), 2));
    // The versions order the schemas in the order they were registered, whatever order
    // the reader meets them in (a fresh reader, v2 first).
    let fresh = converter(&server.url(), &[]);
    let again2 = fresh.to_connect_data("orders", &h, Some(&b2)).await.unwrap();
    let again1 = fresh.to_connect_data("orders", &h, Some(&b1)).await.unwrap();
    assert_eq!(again2.schema.unwrap().version(), Some(2));
    assert_eq!(again1.schema.unwrap().version(), Some(1));
    // The same schema id read from a topic whose subject does not hold it decodes, without
    // a version.
    let other = fresh.to_connect_data("elsewhere", &h, Some(&b1)).await.unwrap();
    assert_eq!(other.schema, Some(v1()));
    server.shutdown().await;
}

#[tokio::test]
async fn a_schema_that_names_its_own_connect_version_keeps_it() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let c = converter(&server.url(), &[]);
    let mut h = Headers::new();
    // connect.meta.data (on by default) writes connect.version 7 into the Avro schema;
    // the registry numbers it 1 under the subject, and the schema's own version wins.
    let own = versioned(&v1(), 7);
    let b = c.from_connect_data("orders", &mut h, Some(&own), &order(&own, 1)).await.unwrap();
    let back = converter(&server.url(), &[]).to_connect_data("orders", &h, b.as_deref()).await;
    assert_eq!(back.unwrap().schema, Some(own));
    server.shutdown().await;
}

#[tokio::test]
async fn incompatible_schema_is_an_error_naming_the_subject() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let c = converter(&server.url(), &[]);
    let mut h = Headers::new();
    c.from_connect_data("orders", &mut h, Some(&v1()), &order(&v1(), 1)).await.unwrap();
    // A new required field without default breaks BACKWARD compatibility.
    let bad = SchemaBuilder::struct_()
        .name("shop.Order")
        .field("id", Schema::int64())
        .field("must", Schema::string())
        .build()
        .unwrap();
    let v = Value::Struct(
        Struct::new(bad.clone()).unwrap().with("id", 1i64).unwrap().with("must", "x").unwrap(),
    );
    let e = c.from_connect_data("orders", &mut h, Some(&bad), &v).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Schema | ErrorKind::Data), "{e:?}");
    assert!(e.message().contains("orders-value"), "{e}");
    server.shutdown().await;
}

#[tokio::test]
async fn unreachable_registry_is_retriable_and_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = converter(&url, &[]);
    let e = c
        .from_connect_data("orders", &mut Headers::new(), Some(&v1()), &order(&v1(), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Retriable, "{e:?}");
    assert!(e.message().contains(&url), "{e}");
    let e =
        c.to_connect_data("orders", &Headers::new(), Some(&[0, 0, 0, 0, 1, 2])).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Retriable, "{e:?}");
}

#[tokio::test]
async fn unknown_ids_and_subject_strategies() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let c = converter(
        &server.url(),
        &[(
            "value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
        )],
    );
    let mut h = Headers::new();
    c.from_connect_data("orders", &mut h, Some(&v1()), &order(&v1(), 1)).await.unwrap();
    let subjects: Vec<String> =
        reqwest::get(format!("{}/subjects", server.url())).await.unwrap().json().await.unwrap();
    assert!(subjects.contains(&"orders-shop.Order".to_string()), "{subjects:?}");
    // Read back, the version is the one under the strategy's subject.
    let b = c.from_connect_data("orders", &mut h, Some(&v2()), &order(&v2(), 2)).await.unwrap();
    let back = c.to_connect_data("orders", &h, b.as_deref()).await.unwrap();
    assert_eq!(back.schema, Some(versioned(&v2(), 2)));
    let e = c.to_connect_data("orders", &h, Some(&[0, 0, 0, 0x7f, 0x7f, 2])).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Data, "{e:?}");
    // Without auto registration, an unregistered schema is an error.
    let strict = converter(&server.url(), &[("auto.register.schemas", "false")]);
    let e =
        strict.from_connect_data("other", &mut h, Some(&v1()), &order(&v1(), 1)).await.unwrap_err();
    assert!(e.message().contains("other-value"), "{e}");
    let _ = AvroConverter::definition();
    server.shutdown().await;
}
