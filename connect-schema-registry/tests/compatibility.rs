//! Schema evolution under each compatibility level, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use connect_schema_registry::RegistryServer;
use serde_json::json;

async fn start() -> (RegistryServer, Api) {
    let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let api = Api::new(server.url());
    (server, api)
}

/// Asserts a 409 whose message names the subject and `what`.
fn assert_incompatible(answer: &(u16, serde_json::Value), subject: &str, what: &str) {
    assert_error(answer, 409);
    let msg = answer.1["message"].as_str().unwrap();
    assert!(msg.contains(&format!("\"{subject}\"")), "subject not named: {msg}");
    assert!(msg.contains(what), "{what} not named: {msg}");
}

#[tokio::test]
async fn backward_accepts_removed_fields_and_added_fields_with_defaults_only() {
    let (_s, api) = start().await;
    let v1 = api.register_ok("b", &user(&[NAME, AGE])).await;
    // v2: `age` removed, `email` added with a default.
    let v2 = api.register_ok("b", &user(&[NAME, EMAIL_DEFAULT])).await;
    assert_ne!(v1, v2);
    // v3: `city` added without a default: the new schema cannot read v2's data.
    let rejected = api.register("b", &user(&[NAME, EMAIL_DEFAULT, CITY])).await;
    assert_incompatible(&rejected, "b", "'city'");
    assert_eq!(api.get("/subjects/b/versions").await, (200, json!([1, 2])));
    // With a default it is accepted.
    api.register_ok("b", &user(&[NAME, EMAIL_DEFAULT, CITY_DEFAULT])).await;
    assert_eq!(api.get("/subjects/b/versions").await, (200, json!([1, 2, 3])));
}

#[tokio::test]
async fn forward_accepts_added_fields_and_removed_fields_that_had_defaults() {
    let (_s, api) = start().await;
    api.set_level("f", "FORWARD").await;
    api.register_ok("f", &user(&[NAME, AGE_DEFAULT])).await;
    // v2: `age` (which had a default) removed, `city` added without default.
    api.register_ok("f", &user(&[NAME, CITY])).await;
    // v3: `name` removed, though v2 has no default for it: v2 cannot read v3's data.
    let rejected = api.register("f", &user(&[CITY])).await;
    assert_incompatible(&rejected, "f", "'name'");
    // A type change the old schema cannot read is refused too.
    let narrowed = api.register("f", &user(&[NAME, r#"{"name":"city","type":"int"}"#])).await;
    assert_incompatible(&narrowed, "f", "TYPE_MISMATCH");
}

#[tokio::test]
async fn full_accepts_only_changes_to_fields_with_defaults() {
    let (_s, api) = start().await;
    api.put("/config", json!({"compatibility": "FULL"})).await;
    api.register_ok("full", &user(&[NAME, AGE_DEFAULT])).await;
    // v2: a field added with a default, and one with a default removed.
    api.register_ok("full", &user(&[NAME, EMAIL_DEFAULT])).await;
    // A field added without default breaks backward.
    assert_incompatible(
        &api.register("full", &user(&[NAME, EMAIL_DEFAULT, CITY])).await,
        "full",
        "'city'",
    );
    // A field without default removed breaks forward.
    assert_incompatible(&api.register("full", &user(&[EMAIL_DEFAULT])).await, "full", "'name'");
}

#[tokio::test]
async fn none_accepts_anything() {
    let (_s, api) = start().await;
    api.set_level("n", "NONE").await;
    api.register_ok("n", &user(&[NAME])).await;
    api.register_ok("n", r#""int""#).await;
    api.register_ok("n", &user(&[CITY])).await;
    assert_eq!(api.get("/subjects/n/versions").await, (200, json!([1, 2, 3])));
}

/// v1 has `age` as an int with a default, v2 drops it, v3 brings it back as a string:
/// v3 is fully compatible with v2 but not with v1.
async fn transitive_exercise(level: &str, transitive: bool) {
    let (_s, api) = start().await;
    api.set_level("t", level).await;
    api.register_ok("t", &user(&[NAME, AGE_DEFAULT])).await;
    api.register_ok("t", &user(&[NAME])).await;
    let v3 = user(&[NAME, r#"{"name":"age","type":"string","default":""}"#]);
    let answer = api.register("t", &v3).await;
    if transitive {
        assert_incompatible(&answer, "t", "version 1");
        assert_eq!(api.get("/subjects/t/versions").await, (200, json!([1, 2])));
    } else {
        assert_eq!(answer.0, 200, "{level}: {}", answer.1);
    }
}

#[tokio::test]
async fn backward_checks_the_latest_version_only() {
    transitive_exercise("BACKWARD", false).await;
}

#[tokio::test]
async fn backward_transitive_checks_every_version() {
    transitive_exercise("BACKWARD_TRANSITIVE", true).await;
}

#[tokio::test]
async fn forward_checks_the_latest_version_only() {
    transitive_exercise("FORWARD", false).await;
}

#[tokio::test]
async fn forward_transitive_checks_every_version() {
    transitive_exercise("FORWARD_TRANSITIVE", true).await;
}

#[tokio::test]
async fn full_checks_the_latest_version_only() {
    transitive_exercise("FULL", false).await;
}

#[tokio::test]
async fn full_transitive_checks_every_version() {
    transitive_exercise("FULL_TRANSITIVE", true).await;
}

#[tokio::test]
async fn forward_transitive_rejects_removing_a_field_an_old_version_needs() {
    let (_s, api) = start().await;
    api.set_level("ft", "FORWARD_TRANSITIVE").await;
    api.register_ok("ft", &user(&[NAME, AGE])).await;
    api.register_ok("ft", &user(&[NAME, AGE_DEFAULT])).await;
    // v2 reads data without `age` (it has a default), v1 cannot.
    assert_incompatible(&api.register("ft", &user(&[NAME])).await, "ft", "version 1");
    api.set_level("ft", "FORWARD").await;
    api.register_ok("ft", &user(&[NAME])).await;
}

#[tokio::test]
async fn deleted_versions_are_not_checked() {
    let (_s, api) = start().await;
    api.register_ok("d", &user(&[NAME])).await;
    api.delete("/subjects/d/versions/1").await;
    api.register_ok("d", &user(&[CITY])).await;
    assert_eq!(api.get("/subjects/d/versions").await, (200, json!([2])));
}

#[tokio::test]
async fn type_promotions_enums_and_unions_follow_avro_resolution() {
    let (_s, api) = start().await;
    api.register_ok("p", &user(&[r#"{"name":"n","type":"int"}"#])).await;
    // int → long is a promotion the reader may make.
    api.register_ok("p", &user(&[r#"{"name":"n","type":"long"}"#])).await;
    // long → int is not (v1 itself would be found as already registered, hence the doc).
    let narrowed = user(&[r#"{"name":"n","type":"int","doc":"narrowed"}"#]);
    assert_incompatible(&api.register("p", &narrowed).await, "p", "TYPE_MISMATCH");
    let e2 = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
    let e1 = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    api.register_ok("e", e2).await;
    assert_incompatible(&api.register("e", e1).await, "e", "MISSING_ENUM_SYMBOLS");
    api.register_ok("u", r#"["null","string"]"#).await;
    assert_incompatible(&api.register("u", r#""string""#).await, "u", "MISSING_UNION_BRANCH");
    api.register_ok("u", r#"["null","string","int"]"#).await;
}
