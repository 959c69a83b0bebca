//! `schema_registry_converter`, a Confluent client, against this registry: its async Avro
//! encoder registers the schema and writes Confluent's wire format; its decoder reads it
//! back by id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use apache_avro::types::Value;
use connect_schema_registry::RegistryServer;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};

const HEARTBEAT: &str = r#"{"type":"record","name":"Heartbeat","namespace":"nl.openweb.data","fields":[{"name":"beat","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#;

#[tokio::test]
async fn schema_registry_converter_encodes_and_decodes_through_the_registry() {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let settings = SrSettings::new(server.url());
    let encoder = AvroEncoder::new(settings.clone());
    let schema = SuppliedSchema::new(
        Some("nl.openweb.data.Heartbeat".into()),
        SchemaType::Avro,
        HEARTBEAT.to_string(),
    );
    let strategy =
        SubjectNameStrategy::TopicNameStrategyWithSchema("heartbeat".into(), false, schema);
    let values = vec![
        ("beat", Value::Long(3)),
        ("note", Value::Union(1, Box::new(Value::String("hi".into())))),
    ];
    let bytes = encoder.encode(values, strategy).await.unwrap();
    let registered = server
        .registry()
        .version("heartbeat-value", "latest".parse().unwrap(), false)
        .await
        .unwrap();
    assert_eq!(bytes[0], 0, "magic byte");
    assert_eq!(i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]), registered.id);

    let decoder = AvroDecoder::new(settings.clone());
    let decoded = decoder.decode(Some(&bytes)).await.unwrap();
    assert_eq!(
        decoded.value,
        Value::Record(vec![
            ("beat".into(), Value::Long(3)),
            ("note".into(), Value::Union(1, Box::new(Value::String("hi".into())))),
        ])
    );

    // The latest-version path of the encoder (no schema supplied) finds the same schema.
    let encoder = AvroEncoder::new(settings);
    let again = encoder
        .encode(
            vec![("beat", Value::Long(4)), ("note", Value::Union(0, Box::new(Value::Null)))],
            SubjectNameStrategy::TopicNameStrategy("heartbeat".into(), false),
        )
        .await
        .unwrap();
    assert_eq!(again[1..5], bytes[1..5]);
    server.shutdown().await;
}
