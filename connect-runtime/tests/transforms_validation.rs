//! `PUT /connector-plugins/{class}/config/validate` and `POST /connectors` check the
//! settings of every transformation and predicate as Kafka's enriched connector
//! definition does, reporting each problem on its full key (`transforms.c.spec`), and a
//! source's `topic.creation.*` keys. A standalone worker with the embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use rest_util::*;
use serde_json::{Value, json};

const T: &str = "org.apache.kafka.connect.transforms.";

/// The `value` part of the entry of `key` in a validate answer.
fn entry<'a>(answer: &'a Answer, key: &str) -> &'a Value {
    let configs = answer.body["configs"].as_array().unwrap();
    let found = configs.iter().find(|c| c["value"]["name"] == key);
    &found.unwrap_or_else(|| panic!("no entry for {key} in {}", answer.text))["value"]
}

/// The errors of `key` in a validate answer.
fn errors(answer: &Answer, key: &str) -> Vec<String> {
    let errors = entry(answer, key)["errors"].as_array().unwrap();
    errors.iter().map(|e| e.as_str().unwrap().to_string()).collect()
}

/// A FileStreamSource config with `extra` settings.
fn source(rest: &Rest, extra: Value) -> Value {
    let mut config = json!({
        "name": "v",
        "connector.class": "FileStreamSource",
        "file": rest.path("in.txt").to_str().unwrap(),
        "topic": "t",
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_each_bad_transformation_predicate_and_topic_creation_key() {
    let rest = Rest::start().await;
    let config = source(
        &rest,
        json!({
            "transforms": "c,x,f",
            "transforms.c.type": format!("{T}Cast$Value"),
            "transforms.c.spec": "foo:faketype",
            "transforms.x.type": "com.example.NoSuchTransform",
            "transforms.f.type": format!("{T}Filter"),
            "transforms.f.predicate": "p",
            "predicates": "p",
            "predicates.p.type": format!("{T}predicates.TopicNameMatches"),
            "predicates.p.pattern": "orders-(",
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "0",
        }),
    );
    let a = rest.put("/connector-plugins/FileStreamSource/config/validate", Some(config)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        errors(&a, "transforms.c.spec"),
        [
            "Invalid value foo:faketype for configuration transforms.c.spec: Invalid type found in casting spec: faketype"
        ]
    );
    assert_eq!(
        errors(&a, "transforms.x.type"),
        [
            "Invalid value com.example.NoSuchTransform for configuration transforms.x.type: Class com.example.NoSuchTransform could not be found."
        ]
    );
    let pattern = errors(&a, "predicates.p.pattern");
    assert_eq!(pattern.len(), 1, "{}", a.text);
    assert!(
        pattern[0].starts_with("Invalid value orders-( for configuration predicates.p.pattern: "),
        "{}",
        a.text
    );
    let partitions = errors(&a, "topic.creation.default.partitions");
    assert_eq!(partitions.len(), 1, "{}", a.text);
    assert!(
        partitions[0]
            .starts_with("Invalid value 0 for configuration topic.creation.default.partitions"),
        "{}",
        a.text
    );
    assert_eq!(a.body["error_count"], 4, "{}", a.text);
    // Kafka's enriched definition: each alias's implicit keys and its plugin's own keys,
    // in a group of the alias; an unknown class gets only its type key.
    for key in [
        "transforms.c.type",
        "transforms.c.predicate",
        "transforms.c.negate",
        "transforms.c.replace.null.with.default",
        "transforms.f.predicate",
        "predicates.p.type",
    ] {
        assert!(errors(&a, key).is_empty(), "{key}: {}", a.text);
    }
    assert_eq!(entry(&a, "transforms.c.negate")["value"], "false", "{}", a.text);
    assert_eq!(entry(&a, "transforms.f.predicate")["value"], "p", "{}", a.text);
    let configs = a.body["configs"].as_array().unwrap();
    assert!(!configs.iter().any(|c| c["value"]["name"] == "transforms.x.predicate"), "{}", a.text);
    let spec = configs.iter().find(|c| c["value"]["name"] == "transforms.c.spec").unwrap();
    assert_eq!(spec["definition"]["group"], "Transforms: c", "{}", a.text);
    assert_eq!(spec["definition"]["type"], "LIST", "{}", a.text);
    let groups = a.body["groups"].as_array().unwrap();
    for group in ["Transforms: c", "Transforms: x", "Transforms: f", "Predicates: p"] {
        assert!(groups.contains(&json!(group)), "{group}: {}", a.text);
    }
    let classes = entry(&a, "transforms.x.type")["recommended_values"].as_array().unwrap();
    assert!(classes.contains(&json!(format!("{T}Cast$Value"))), "{}", a.text);

    // The same aliases set right validate clean.
    let good = source(
        &rest,
        json!({
            "transforms": "c",
            "transforms.c.type": "Cast$Value",
            "transforms.c.spec": "foo:int32",
            "transforms.c.predicate": "p",
            "transforms.c.negate": "true",
            "predicates": "p",
            "predicates.p.type": "TopicNameMatches",
            "predicates.p.pattern": "orders-.*",
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "3",
        }),
    );
    let a = rest.put("/connector-plugins/FileStreamSource/config/validate", Some(good)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["error_count"], 0, "{}", a.text);
    assert_eq!(entry(&a, "transforms.c.spec")["value"], "foo:int32", "{}", a.text);
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_is_refused_naming_the_full_key_of_a_bad_transformation_setting() {
    let rest = Rest::start().await;
    std::fs::write(rest.path("in.txt"), "").unwrap();
    let bad = source(
        &rest,
        json!({
            "transforms": "c",
            "transforms.c.type": format!("{T}Cast$Value"),
            "transforms.c.spec": "foo:faketype",
        }),
    );
    let a = rest.post("/connectors", Some(json!({"name": "v", "config": bad}))).await;
    Rest::assert_error(&a, 400);
    let message = a.body["message"].as_str().unwrap();
    assert!(
        message.contains(
            "transforms.c.spec: Invalid value foo:faketype for configuration transforms.c.spec: Invalid type found in casting spec: faketype"
        ),
        "{message}"
    );
    // A negate without a predicate is refused on the type key, as Kafka does.
    let negated = source(
        &rest,
        json!({"transforms": "f", "transforms.f.type": "Filter", "transforms.f.negate": "true"}),
    );
    let a = rest.post("/connectors", Some(json!({"name": "v", "config": negated}))).await;
    Rest::assert_error(&a, 400);
    let message = a.body["message"].as_str().unwrap();
    assert!(
        message.contains("transforms.f.type: ") && message.contains("'transforms.f.negate'"),
        "{message}"
    );
    assert_eq!(rest.get("/connectors").await.body, json!([]));
    rest.shutdown().await;
}
