//! The Kafka-topic store: state survives a restart on the same topic, ids and versions
//! unchanged. Needs a real broker: `CONNECT_TEST_BOOTSTRAP` (set by `scripts/test.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use connect_schema_registry::store::{KafkaStore, KafkaStoreConfig, SchemaStore};
use connect_schema_registry::{CompatibilityLevel, Registry, RegistryConfig, RegistryServer};
use serde_json::json;

fn bootstrap() -> String {
    match std::env::var("CONNECT_TEST_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => b,
        _ => panic!(
            "CONNECT_TEST_BOOTSTRAP is not set: these tests need a real Kafka broker; run scripts/test.sh, which starts Apache Kafka and sets it"
        ),
    }
}

/// A topic name no other test uses (tests share one broker).
fn unique_topic(tag: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("_schemas-test-{tag}-{}-{nanos}", std::process::id())
}

async fn open(bootstrap: &str, topic: &str) -> RegistryServer {
    let mut config = KafkaStoreConfig::new(bootstrap, topic);
    config.init_timeout = Duration::from_secs(30);
    let store: Arc<dyn SchemaStore> = Arc::new(KafkaStore::open(config).await.unwrap());
    let registry = Registry::open(store, CompatibilityLevel::Backward).await.unwrap();
    RegistryServer::start(registry, "127.0.0.1:0").await.unwrap()
}

/// Registers, configures and deletes through one registry, restarts on the same topic
/// and checks the second registry sees the same state.
async fn survives_restart(bootstrap: &str, topic: &str) {
    let first = open(bootstrap, topic).await;
    let api = Api::new(first.url());
    let a1 = api.register_ok("orders-value", &user(&[NAME])).await;
    let a2 = api.register_ok("orders-value", &user(&[NAME, AGE_DEFAULT])).await;
    let b1 = api.register_ok("people-value", &user(&[NAME, AGE_DEFAULT])).await;
    let c1 = api.register_ok("gone-value", r#""string""#).await;
    assert_eq!(b1, a2);
    api.set_level("orders-value", "FULL").await;
    api.put("/config", json!({"compatibility": "FORWARD"})).await;
    assert_eq!(api.delete("/subjects/gone-value").await, (200, json!([1])));
    let before_subjects = api.get("/subjects").await;
    let before_latest = api.get("/subjects/orders-value/versions/latest").await;
    first.shutdown().await;
    drop(first);

    let second = open(bootstrap, topic).await;
    let api = Api::new(second.url());
    assert_eq!(api.get("/subjects").await, before_subjects);
    assert_eq!(api.get("/subjects").await, (200, json!(["orders-value", "people-value"])));
    assert_eq!(api.get("/subjects/orders-value/versions").await, (200, json!([1, 2])));
    assert_eq!(api.get("/subjects/orders-value/versions/latest").await, before_latest);
    assert_eq!(api.get("/subjects/orders-value/versions/1").await.1["id"], json!(a1));
    assert_eq!(api.get("/subjects/people-value/versions/1").await.1["id"], json!(b1));
    assert_eq!(api.get("/subjects/gone-value/versions?deleted=true").await, (200, json!([1])));
    assert_eq!(
        api.get(&format!("/schemas/ids/{c1}")).await,
        (200, json!({"schema": "\"string\""}))
    );
    assert_eq!(api.get("/config/orders-value").await, (200, json!({"compatibilityLevel": "FULL"})));
    assert_eq!(api.get("/config").await, (200, json!({"compatibilityLevel": "FORWARD"})));
    // Same schema, same id; a new schema gets a new id, never a reused one.
    assert_eq!(api.register_ok("orders-value", &user(&[NAME])).await, a1);
    let next = api.register_ok("orders-value", &user(&[NAME, AGE_DEFAULT, EMAIL_DEFAULT])).await;
    assert!(next > c1, "id {next} reused");
    assert_eq!(api.get("/subjects/orders-value/versions").await, (200, json!([1, 2, 3])));
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_store_keeps_ids_and_versions_across_a_restart() {
    let bootstrap = bootstrap();
    survives_restart(&bootstrap, &unique_topic("restart")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_config_opens_the_kafka_store_from_properties() {
    let bootstrap = bootstrap();
    let topic = unique_topic("props");
    let props = [
        ("kafkastore.bootstrap.servers", bootstrap.as_str()),
        ("kafkastore.topic", topic.as_str()),
        ("schema.compatibility.level", "FULL"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = RegistryConfig::from_properties(&props).unwrap();
    let registry = config.open_registry().await.unwrap();
    assert!(registry.describe_store().contains(&topic));
    assert_eq!(registry.compatibility(None).await, CompatibilityLevel::Full);
    let id = registry.register("s", r#""long""#, None).await.unwrap();
    let again = config.open_registry().await.unwrap();
    assert_eq!(again.register("s", r#""long""#, None).await.unwrap(), id);
    assert_eq!(again.versions("s", false).await.unwrap(), vec![1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_store_works_on_the_embedded_mock_cluster_with_a_precreated_topic() {
    // librdkafka's mock cluster has no Admin API: the topic is created beforehand.
    let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
    let topic = unique_topic("mock");
    cluster.create_topic(&topic, 1, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    survives_restart(&bootstrap, &topic).await;
}
