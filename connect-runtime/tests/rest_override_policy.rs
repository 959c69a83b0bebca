//! `connector.client.config.override.policy` over real HTTP: overrides the worker's
//! policy refuses fail creation, update and validation, naming the key in Kafka's words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use rest_util::*;
use serde_json::{Value, json};

const REFUSED: &str = "The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.";

fn config(file: &str, extra: &[(&str, &str)]) -> Value {
    let mut c = json!({
        "name": "src",
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": file,
        "topic": "policy-topic",
    });
    for (k, v) in extra {
        c[*k] = json!(v);
    }
    c
}

/// The validate answer's entry for `key`.
fn entry<'a>(infos: &'a Value, key: &str) -> &'a Value {
    infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == key)
        .unwrap_or_else(|| panic!("no entry for {key} in {infos}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principal_policy_refuses_other_overrides() {
    let rest = Rest::start_with(
        registry(),
        &[(
            "connector.client.config.override.policy",
            "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
        )],
    )
    .await;
    let file = rest.path("in.txt");
    let file = file.to_str().unwrap();
    let refused = [("producer.override.linger.ms", "5")];
    let allowed = [("producer.override.sasl.jaas.config", "x")];

    let a = rest
        .post("/connectors", Some(json!({"name": "src", "config": config(file, &refused)})))
        .await;
    Rest::assert_error(&a, 400);
    let message = a.body["message"].as_str().unwrap();
    assert!(
        message.contains("producer.override.linger.ms") && message.contains(REFUSED),
        "{message}"
    );
    assert_eq!(rest.get("/connectors").await.body, json!([]));

    let a = rest
        .put(
            "/connector-plugins/FileStreamSource/config/validate",
            Some(config(file, &[refused[0], allowed[0]])),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["error_count"], 1, "{}", a.text);
    assert_eq!(entry(&a.body, "producer.override.linger.ms")["value"]["errors"], json!([REFUSED]));
    let jaas = entry(&a.body, "producer.override.sasl.jaas.config");
    assert_eq!(jaas["value"]["errors"], json!([]), "{jaas}");
    assert_eq!(jaas["value"]["value"], "[hidden]", "{jaas}");

    // A sink's producer overrides are not checked: it has no producer without a DLQ.
    let mut sink = config(file, &refused);
    sink["connector.class"] = json!("FileStreamSink");
    sink["topics"] = json!("t");
    let a = rest.put("/connector-plugins/FileStreamSink/config/validate", Some(sink)).await;
    assert_eq!(a.body["error_count"], 0, "{}", a.text);

    // An update brings the same refusal; the stored config stays.
    let a = rest.put("/connectors/src/config", Some(config(file, &[]))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let a = rest.put("/connectors/src/config", Some(config(file, &refused))).await;
    Rest::assert_error(&a, 400);
    assert!(a.body["message"].as_str().unwrap().contains(REFUSED), "{}", a.text);
    let stored = rest.get("/connectors/src/config").await.body;
    assert!(stored.get("producer.override.linger.ms").is_none(), "{stored}");
    rest.shutdown().await;
}
