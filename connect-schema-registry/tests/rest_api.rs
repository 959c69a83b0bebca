//! Every endpoint of the REST API and every error code, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::*;
use connect_schema_registry::store::{SchemaStore, StoreRecord};
use connect_schema_registry::{CompatibilityLevel, Registry, RegistryError, RegistryServer};
use serde_json::json;

async fn start() -> (RegistryServer, Api) {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let api = Api::new(server.url());
    (server, api)
}

#[tokio::test]
async fn root_and_schema_types() {
    let (_s, api) = start().await;
    assert_eq!(api.get("/").await, (200, json!({})));
    assert_eq!(api.get("/schemas/types").await, (200, json!(["AVRO"])));
    assert_eq!(api.get("/subjects").await, (200, json!([])));
}

#[tokio::test]
async fn registered_schema_reads_back_through_every_endpoint() {
    let (server, api) = start().await;
    let v1 = user(&[NAME]);
    let id = api.register_ok("users-value", &v1).await;
    assert_eq!(id, 1);
    assert_eq!(api.get("/subjects").await, (200, json!(["users-value"])));
    assert_eq!(api.get("/subjects/users-value/versions").await, (200, json!([1])));
    let expected = json!({"subject": "users-value", "version": 1, "id": 1, "schema": v1});
    assert_eq!(api.get("/subjects/users-value/versions/1").await, (200, expected.clone()));
    assert_eq!(api.get("/subjects/users-value/versions/latest").await, (200, expected.clone()));
    assert_eq!(api.get("/subjects/users-value/versions/-1").await, (200, expected));
    let (status, raw) =
        api.call_text(reqwest::Method::GET, "/subjects/users-value/versions/1/schema", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&raw).unwrap(),
        serde_json::from_str::<serde_json::Value>(&v1).unwrap()
    );
    assert_eq!(api.get("/schemas/ids/1").await, (200, json!({ "schema": v1 })));
    // schema_registry_converter asks with ?deleted=true.
    assert_eq!(api.get("/schemas/ids/1?deleted=true").await, (200, json!({ "schema": v1 })));
    assert_eq!(
        api.get("/schemas/ids/1/versions").await,
        (200, json!([{"subject": "users-value", "version": 1}]))
    );
    assert_eq!(api.get("/schemas/ids/1/subjects").await, (200, json!(["users-value"])));
    let resp = reqwest::get(format!("{}/subjects", server.url())).await.unwrap();
    assert_eq!(resp.headers()["content-type"], CT);
}

#[tokio::test]
async fn re_registering_the_same_schema_returns_the_same_id_and_no_new_version() {
    let (_s, api) = start().await;
    let v1 = user(&[NAME, AGE]);
    let id = api.register_ok("s", &v1).await;
    // The same schema with other whitespace and key order.
    let same = r#"{ "namespace": "test", "name": "User", "type": "record",
        "fields": [ {"type": {"type": "string"}, "name": "name"}, {"name": "age", "type": "int"} ] }"#;
    assert_eq!(api.register_ok("s", same).await, id);
    assert_eq!(api.register_ok("s", &v1).await, id);
    assert_eq!(api.get("/subjects/s/versions").await, (200, json!([1])));
}

#[tokio::test]
async fn the_same_schema_under_another_subject_keeps_its_id_with_a_new_version_there() {
    let (_s, api) = start().await;
    let a = api.register_ok("a", &user(&[NAME])).await;
    let other = api.register_ok("a", &user(&[NAME, AGE_DEFAULT])).await;
    assert_ne!(a, other);
    assert_eq!(api.register_ok("b", &user(&[NAME, AGE_DEFAULT])).await, other);
    let (_, v) = api.get("/subjects/b/versions/latest").await;
    assert_eq!((v["version"].as_i64(), v["id"].as_i64()), (Some(1), Some(other)));
    assert_eq!(api.get("/subjects").await, (200, json!(["a", "b"])));
    assert_eq!(api.get(&format!("/schemas/ids/{other}/subjects")).await, (200, json!(["a", "b"])));
}

#[tokio::test]
async fn lookup_answers_the_version_or_40403() {
    let (_s, api) = start().await;
    let v1 = user(&[NAME]);
    let id = api.register_ok("s", &v1).await;
    let (status, found) = api.post("/subjects/s", json!({ "schema": v1 })).await;
    assert_eq!(status, 200);
    assert_eq!(found, json!({"subject": "s", "version": 1, "id": id, "schema": v1}));
    assert_error(&api.post("/subjects/s", json!({ "schema": user(&[AGE]) })).await, 40403);
    assert_error(&api.post("/subjects/nope", json!({ "schema": v1 })).await, 40401);
}

#[tokio::test]
async fn deleting_a_subject_returns_its_versions_and_hides_them() {
    let (_s, api) = start().await;
    let v1 = user(&[NAME]);
    let id = api.register_ok("s", &v1).await;
    api.register_ok("s", &user(&[NAME, AGE_DEFAULT])).await;
    assert_eq!(api.delete("/subjects/s").await, (200, json!([1, 2])));
    assert_eq!(api.get("/subjects").await, (200, json!([])));
    assert_eq!(api.get("/subjects?deleted=true").await, (200, json!(["s"])));
    assert_error(&api.get("/subjects/s/versions").await, 40401);
    assert_eq!(api.get("/subjects/s/versions?deleted=true").await, (200, json!([1, 2])));
    // Ids stay readable; soft-deleted twice is 40404; versions are not reused.
    assert_eq!(api.get(&format!("/schemas/ids/{id}")).await.0, 200);
    assert_error(&api.delete("/subjects/s").await, 40404);
    assert_eq!(api.register_ok("s", &v1).await, id);
    assert_eq!(api.get("/subjects/s/versions").await, (200, json!([3])));
    // A permanent delete needs a soft delete first.
    assert_error(&api.delete("/subjects/s?permanent=true").await, 40405);
    assert_eq!(api.delete("/subjects/s").await, (200, json!([3])));
    assert_eq!(api.delete("/subjects/s?permanent=true").await, (200, json!([1, 2, 3])));
    assert_eq!(api.get("/subjects?deleted=true").await, (200, json!([])));
    assert_error(&api.delete("/subjects/s").await, 40401);
}

#[tokio::test]
async fn deleting_a_version_returns_it_and_latest_moves_back() {
    let (_s, api) = start().await;
    api.register_ok("s", &user(&[NAME])).await;
    let id2 = api.register_ok("s", &user(&[NAME, AGE_DEFAULT])).await;
    assert_eq!(api.delete("/subjects/s/versions/latest").await, (200, json!(2)));
    assert_eq!(api.get("/subjects/s/versions").await, (200, json!([1])));
    assert_eq!(api.get("/subjects/s/versions/latest").await.1["version"], json!(1));
    assert_error(&api.get("/subjects/s/versions/2").await, 40402);
    assert_eq!(api.get("/subjects/s/versions/2?deleted=true").await.1["id"], json!(id2));
    assert_error(&api.delete("/subjects/s/versions/2").await, 40402);
    assert_error(&api.delete("/subjects/s/versions/1?permanent=true").await, 40407);
    assert_eq!(api.delete("/subjects/s/versions/2?permanent=true").await, (200, json!(2)));
    assert_error(&api.delete("/subjects/s/versions/x").await, 42202);
}

#[tokio::test]
async fn every_error_code_has_its_status_and_body() {
    let (_s, api) = start().await;
    assert_error(&api.get("/subjects/nope/versions").await, 40401);
    assert_error(&api.get("/subjects/nope/versions/1").await, 40401);
    api.register_ok("s", &user(&[NAME])).await;
    assert_error(&api.get("/subjects/s/versions/9").await, 40402);
    assert_error(&api.get("/schemas/ids/999").await, 40403);
    assert_error(&api.get("/schemas/ids/abc").await, 40403);
    assert_error(&api.register("s", "{not json").await, 42201);
    assert_error(&api.register("s", r#"{"type":"record","name":"X"}"#).await, 42201);
    assert_error(&api.post("/subjects/s/versions", json!({})).await, 42201);
    assert_error(
        &api.post(
            "/subjects/s/versions",
            json!({"schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF"}),
        )
        .await,
        42201,
    );
    assert_error(&api.get("/subjects/s/versions/abc").await, 42202);
    assert_error(&api.get("/subjects/s/versions/0").await, 42202);
    assert_error(&api.get("/subjects/s/versions/99999999999").await, 42202);
    assert_error(&api.put("/config", json!({"compatibility": "SIDEWAYS"})).await, 42203);
    assert_error(&api.put("/config/s", json!({"compatibility": ""})).await, 42203);
    assert_error(&api.register("s", &user(&[NAME, EMAIL])).await, 409);
    assert_error(&api.get("/no/such/route").await, 404);
    assert_error(&api.call(reqwest::Method::PATCH, "/subjects", None).await, 405);
    let (status, body) = api.call_text(reqwest::Method::POST, "/subjects/s/versions", None).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn schema_type_avro_is_accepted_and_application_json_too() {
    let (server, api) = start().await;
    let (status, body) = api
        .post("/subjects/t/versions", json!({"schema": "\"string\"", "schemaType": "AVRO"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let resp = reqwest::Client::new()
        .post(format!("{}/subjects/t/versions", server.url()))
        .header("Content-Type", "application/json")
        .body(json!({"schema": "\"string\""}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v, body);
    assert_eq!(api.get("/subjects/t/versions/1").await.1.get("schemaType"), None);
}

#[tokio::test]
async fn config_is_global_with_subject_overrides_that_fall_back() {
    let (_s, api) = start().await;
    assert_eq!(api.get("/config").await, (200, json!({"compatibilityLevel": "BACKWARD"})));
    assert_eq!(api.get("/config/s").await, (200, json!({"compatibilityLevel": "BACKWARD"})));
    assert_eq!(
        api.put("/config", json!({"compatibility": "full"})).await,
        (200, json!({"compatibility": "FULL"}))
    );
    assert_eq!(api.get("/config/s").await, (200, json!({"compatibilityLevel": "FULL"})));
    assert_eq!(
        api.put("/config/s", json!({"compatibility": "NONE"})).await,
        (200, json!({"compatibility": "NONE"}))
    );
    assert_eq!(api.get("/config/s").await, (200, json!({"compatibilityLevel": "NONE"})));
    assert_eq!(api.get("/config").await, (200, json!({"compatibilityLevel": "FULL"})));
    assert_eq!(api.delete("/config/s").await, (200, json!({"compatibilityLevel": "NONE"})));
    assert_eq!(api.get("/config/s").await, (200, json!({"compatibilityLevel": "FULL"})));
    assert_error(&api.delete("/config/s").await, 40401);
}

#[tokio::test]
async fn compatibility_endpoint_answers_is_compatible_and_messages_when_verbose() {
    let (_s, api) = start().await;
    api.register_ok("s", &user(&[NAME])).await;
    let good = json!({ "schema": user(&[NAME, AGE_DEFAULT]) });
    let bad = json!({ "schema": user(&[NAME, AGE]) });
    assert_eq!(
        api.post("/compatibility/subjects/s/versions/latest", good.clone()).await,
        (200, json!({"is_compatible": true}))
    );
    assert_eq!(
        api.post("/compatibility/subjects/s/versions/1", bad.clone()).await,
        (200, json!({"is_compatible": false}))
    );
    let (status, verbose) =
        api.post("/compatibility/subjects/s/versions/latest?verbose=true", bad.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(verbose["is_compatible"], json!(false));
    let msg = verbose["messages"][0].as_str().unwrap();
    assert!(msg.contains("READER_FIELD_MISSING_DEFAULT_VALUE") && msg.contains("'age'"), "{msg}");
    assert_eq!(
        api.post("/compatibility/subjects/s/versions?verbose=true", good).await,
        (200, json!({"is_compatible": true, "messages": []}))
    );
    assert_error(&api.post("/compatibility/subjects/s/versions/7", bad.clone()).await, 40402);
    assert_error(
        &api.post("/compatibility/subjects/nope/versions/latest", bad.clone()).await,
        40401,
    );
    assert_error(&api.post("/compatibility/subjects/s/versions/x", bad).await, 42202);
    assert_error(
        &api.post("/compatibility/subjects/s/versions/latest", json!({"schema": "{"})).await,
        42201,
    );
}

/// A store whose writes always fail.
struct BrokenStore;

#[async_trait]
impl SchemaStore for BrokenStore {
    async fn load(&self) -> connect_schema_registry::Result<Vec<StoreRecord>> {
        Ok(Vec::new())
    }
    async fn append(&self, _: &StoreRecord) -> connect_schema_registry::Result<()> {
        Err(RegistryError::store("the disk is on fire"))
    }
    fn describe(&self) -> String {
        "broken".into()
    }
}

#[tokio::test]
async fn store_failures_are_50001_and_change_nothing() {
    let registry =
        Registry::open(Arc::new(BrokenStore), CompatibilityLevel::Backward).await.unwrap();
    let server = RegistryServer::start(registry, "127.0.0.1:0").await.unwrap();
    let api = Api::new(server.url());
    assert_error(&api.register("s", &user(&[NAME])).await, 50001);
    assert_error(&api.put("/config", json!({"compatibility": "FULL"})).await, 50001);
    assert_eq!(api.get("/subjects").await, (200, json!([])));
    assert_eq!(api.get("/config").await, (200, json!({"compatibilityLevel": "BACKWARD"})));
    server.shutdown().await;
    assert!(reqwest::get(format!("{}/subjects", server.url())).await.is_err());
}
