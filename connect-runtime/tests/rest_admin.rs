//! `/connector-plugins` and `/admin/loggers` over real HTTP, on a standalone worker on
//! port 0 with the embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use reqwest::Method;
use rest_util::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_list_config_and_validate() {
    let rest = Rest::start().await;

    let a = rest.get("/connector-plugins").await;
    assert_eq!(a.status, 200);
    let list = a.body.as_array().unwrap();
    let find = |class: &str| list.iter().find(|p| p["class"] == class).cloned();
    let src =
        find("org.apache.kafka.connect.file.FileStreamSourceConnector").expect("source listed");
    assert_eq!(src["type"], "source");
    assert!(src["version"].as_str().is_some_and(|v| !v.is_empty()));
    let sink = find("org.apache.kafka.connect.file.FileStreamSinkConnector").expect("sink listed");
    assert_eq!(sink["type"], "sink");
    assert!(list.iter().all(|p| p["type"] == "source" || p["type"] == "sink"), "{}", a.text);

    let all = rest.get("/connector-plugins?connectorsOnly=false").await;
    let all = all.body.as_array().unwrap();
    assert!(all.len() > list.len());
    assert!(
        all.iter().any(|p| p["class"] == "org.apache.kafka.connect.json.JsonConverter"
            && p["type"] == "converter")
    );
    assert!(all.iter().any(|p| p["type"] == "header_converter"));

    // A plugin's own config definition.
    let a = rest.get("/connector-plugins/FileStreamSource/config").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let names: Vec<&str> =
        a.body.as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"file") && names.contains(&"topic") && names.contains(&"batch.size"),
        "{names:?}"
    );
    let topic = a.body.as_array().unwrap().iter().find(|k| k["name"] == "topic").unwrap();
    assert_eq!(topic["type"], "STRING");
    assert_eq!(topic["importance"], "HIGH");
    let a = rest
        .get("/connector-plugins/org.apache.kafka.connect.storage.StringConverter/config")
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    Rest::assert_error(&rest.get("/connector-plugins/NoSuchPlugin/config").await, 404);

    // Validation with per-key errors.
    let a = rest
        .put(
            "/connector-plugins/FileStreamSource/config/validate",
            Some(
                json!({"connector.class": "FileStreamSource", "tasks.max": "0", "file": "/tmp/x"}),
            ),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["name"], "org.apache.kafka.connect.file.FileStreamSourceConnector");
    assert!(a.body["error_count"].as_u64().unwrap() >= 2, "{}", a.text);
    assert!(a.body["groups"].as_array().unwrap().contains(&json!("Common")), "{}", a.text);
    let errors_of = |key: &str| -> Vec<Value> {
        a.body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| c["value"]["errors"].as_array().unwrap().clone())
            .unwrap_or_default()
    };
    assert!(!errors_of("topic").is_empty(), "{}", a.text);
    assert!(!errors_of("tasks.max").is_empty(), "{}", a.text);
    assert!(errors_of("file").is_empty(), "{}", a.text);

    // A good config, connector.class filled from the path.
    let a = rest
        .put(
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({"name": "v", "topics": "t", "file": "/tmp/out"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["error_count"], 0, "{}", a.text);
    let class = a.body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "connector.class")
        .unwrap();
    assert_eq!(class["value"]["value"], "FileStreamSink");
    // The full class name and an alias of it name the same plugin.
    let a = rest
        .put(
            "/connector-plugins/FileStreamSinkConnector/config/validate",
            Some(json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "topics": "t"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // Another plugin in the body is refused, as Kafka does.
    let a = rest
        .put(
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({"connector.class": "FileStreamSink", "topics": "t"})),
        )
        .await;
    Rest::assert_error(&a, 400);
    let a = rest
        .put("/connector-plugins/NoSuchPlugin/config/validate", Some(json!({"topics": "t"})))
        .await;
    Rest::assert_error(&a, 404);
    let a = rest
        .call_raw(
            Method::PUT,
            "/connector-plugins/FileStreamSink/config/validate",
            "{",
            Some("application/json"),
        )
        .await;
    Rest::assert_error(&a, 400);
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_loggers_list_get_and_set() {
    let rest = Rest::start().await;
    let a = rest.get("/admin/loggers").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["root"]["level"], "INFO", "{}", a.text);

    let a = rest.put("/admin/loggers/connect_runtime::task", Some(json!({"level": "DEBUG"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body, json!(["connect_runtime::task"]));
    let a = rest.get("/admin/loggers/connect_runtime::task").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["level"], "DEBUG");
    assert!(a.body["last_modified"].is_i64(), "{}", a.text);

    // A parent takes its known children along.
    let a = rest.put("/admin/loggers/connect_runtime", Some(json!({"level": "warn"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let mut affected: Vec<String> = serde_json::from_value(a.body).unwrap();
    affected.sort();
    assert_eq!(affected, vec!["connect_runtime", "connect_runtime::task"]);
    let all = rest.get("/admin/loggers").await.body;
    assert_eq!(all["connect_runtime::task"]["level"], "WARN", "{all}");
    assert_eq!(all["root"]["level"], "INFO", "{all}");

    let a = rest
        .call(Method::PUT, "/admin/loggers/root?scope=cluster", Some(json!({"level": "ERROR"})))
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(rest.get("/admin/loggers/root").await.body["level"], "ERROR");

    Rest::assert_error(&rest.put("/admin/loggers/x", Some(json!({"level": "LOUD"}))).await, 404);
    Rest::assert_error(&rest.put("/admin/loggers/x", Some(json!({}))).await, 400);
    Rest::assert_error(&rest.get("/admin/loggers/never.set").await, 404);
    rest.shutdown().await;
}
