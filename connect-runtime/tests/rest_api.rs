//! Kafka Connect's REST API over real HTTP: a standalone worker on port 0 with the
//! embedded broker, FileStreamSource and FileStreamSink connectors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::time::Duration;

use reqwest::Method;
use rest_util::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_health_and_error_shapes() {
    let rest = Rest::start().await;

    let root = rest.get("/").await;
    assert_eq!(root.status, 200, "{}", root.text);
    assert_eq!(root.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(root.body["commit"].is_string(), "{}", root.text);
    // The embedded broker has a cluster id too; it is looked up in the background, so
    // `GET /` answers at once and shows the id once the brokers gave it.
    let mut root = root;
    for _ in 0..100 {
        if root.body["kafka_cluster_id"].as_str().is_some_and(|id| !id.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        root = rest.get("/").await;
    }
    assert!(
        root.body["kafka_cluster_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{}",
        root.text
    );

    let health = rest.get("/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        health.body,
        json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."})
    );

    // Unknown route, wrong method, unknown connector: all in the error shape.
    let a = rest.get("/no/such/route").await;
    Rest::assert_error(&a, 404);
    let a = rest.delete("/connector-plugins").await;
    Rest::assert_error(&a, 405);
    let a = rest.get("/connectors/missing").await;
    Rest::assert_error(&a, 404);
    assert!(a.body["message"].as_str().unwrap().contains("missing"), "{}", a.text);
    for (method, path) in [
        (Method::GET, "/connectors/missing/config"),
        (Method::GET, "/connectors/missing/status"),
        (Method::GET, "/connectors/missing/tasks"),
        (Method::GET, "/connectors/missing/topics"),
        (Method::GET, "/connectors/missing/offsets"),
        (Method::PUT, "/connectors/missing/pause"),
        (Method::PUT, "/connectors/missing/resume"),
        (Method::PUT, "/connectors/missing/stop"),
        (Method::POST, "/connectors/missing/restart"),
        (Method::POST, "/connectors/missing/tasks/0/restart"),
        (Method::DELETE, "/connectors/missing"),
        (Method::DELETE, "/connectors/missing/offsets"),
    ] {
        let a = rest.call(method.clone(), path, None).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.text);
        Rest::assert_error(&a, 404);
    }
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_invalid_requests_answer_400_409_415() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 1);

    let a = rest
        .call_raw(Method::POST, "/connectors", "{\"name\": \"x\", ", Some("application/json"))
        .await;
    Rest::assert_error(&a, 400);
    let a = rest.call_raw(Method::POST, "/connectors", "{\"name\": \"x\"}", None).await;
    Rest::assert_error(&a, 415);
    let a = rest.call_raw(Method::PUT, "/connectors/x/config", "name=x", Some("text/plain")).await;
    Rest::assert_error(&a, 415);
    let a = rest.put("/connectors/x/config", Some(json!(["not", "a", "map"]))).await;
    Rest::assert_error(&a, 400);

    let good = json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": "t"});
    let a = rest.post("/connectors", Some(json!({"config": good}))).await;
    Rest::assert_error(&a, 400);
    let a = rest.post("/connectors", Some(json!({"name": "   ", "config": good}))).await;
    Rest::assert_error(&a, 400);
    let a = rest.post("/connectors", Some(json!({"name": "x"}))).await;
    Rest::assert_error(&a, 400);
    let mut named = good.clone();
    named["name"] = json!("other");
    let a = rest.post("/connectors", Some(json!({"name": "x", "config": named}))).await;
    Rest::assert_error(&a, 400);
    assert!(a.body["message"].as_str().unwrap().contains("doesn't match"), "{}", a.text);
    let a = rest.put("/connectors/x/config", Some(named)).await;
    Rest::assert_error(&a, 400);

    // An invalid config: the worker's message names the bad keys.
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": "x", "config": {"connector.class": "FileStreamSource", "tasks.max": "0"}})),
        )
        .await;
    Rest::assert_error(&a, 400);
    let msg = a.body["message"].as_str().unwrap();
    assert!(msg.contains("topic") && msg.contains("tasks.max"), "{msg}");
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": "x", "config": {"connector.class": "NoSuchConnector"}})),
        )
        .await;
    Rest::assert_error(&a, 400);

    // Numbers are accepted as strings, as Jackson does.
    let mut numeric = good.clone();
    numeric["tasks.max"] = json!(1);
    let a = rest.post("/connectors", Some(json!({"name": "x", "config": numeric}))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["config"]["tasks.max"], "1");
    let a = rest.post("/connectors", Some(json!({"name": "x", "config": good}))).await;
    Rest::assert_error(&a, 409);

    // Task ids that are not numbers are unknown resources.
    let a = rest.get("/connectors/x/tasks/abc/status").await;
    Rest::assert_error(&a, 404);
    let a = rest.get("/connectors/x/tasks/7/status").await;
    Rest::assert_error(&a, 404);
    let a = rest.post("/connectors/x/tasks/7/restart", None).await;
    Rest::assert_error(&a, 404);
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_expand_info_status_and_tasks() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 3);

    let created = rest
        .post(
            "/connectors",
            Some(json!({"name": "src", "config": {
                "connector.class": "FileStreamSource", "tasks.max": "1",
                "file": input.to_str().unwrap(), "topic": "rest-src"}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let location = created.headers.get("location").unwrap().to_str().unwrap().to_string();
    assert!(location.ends_with("/connectors/src"), "{location}");
    assert_eq!(created.body["name"], "src");
    assert_eq!(created.body["type"], "source");
    assert_eq!(created.body["config"]["topic"], "rest-src");
    assert_eq!(created.body["config"]["name"], "src");

    let status = rest.wait_state("src", "RUNNING", 1).await;
    assert_eq!(status["name"], "src");
    assert_eq!(status["type"], "source");
    assert_eq!(status["tasks"][0]["id"], 0);
    let worker_id = status["connector"]["worker_id"].as_str().unwrap();
    assert!(
        worker_id.ends_with(&format!(":{}", rest.standalone.rest_addr().port())),
        "{worker_id}"
    );

    let list = rest.get("/connectors").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body, json!(["src"]));

    let a = rest.get("/connectors?expand=status").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["src"]["status"]["connector"]["state"], "RUNNING", "{}", a.text);
    assert!(a.body["src"].get("info").is_none(), "{}", a.text);
    let a = rest.get("/connectors?expand=info").await;
    assert_eq!(a.body["src"]["info"]["config"]["topic"], "rest-src", "{}", a.text);
    assert!(a.body["src"].get("status").is_none(), "{}", a.text);
    let a = rest.get("/connectors?expand=status&expand=info").await;
    assert_eq!(a.body["src"]["status"]["name"], "src", "{}", a.text);
    assert_eq!(a.body["src"]["info"]["name"], "src", "{}", a.text);
    assert_eq!(
        a.body["src"]["info"]["tasks"],
        json!([{"connector": "src", "task": 0}]),
        "{}",
        a.text
    );

    let info = rest.get("/connectors/src").await;
    assert_eq!(info.status, 200);
    assert_eq!(info.body["tasks"], json!([{"connector": "src", "task": 0}]));
    assert_eq!(info.body["type"], "source");

    let tasks = rest.get("/connectors/src/tasks").await;
    assert_eq!(tasks.status, 200);
    assert_eq!(tasks.body[0]["id"], json!({"connector": "src", "task": 0}));
    assert_eq!(tasks.body[0]["config"]["topic"], "rest-src", "{}", tasks.text);

    let ts = rest.get("/connectors/src/tasks/0/status").await;
    assert_eq!(ts.status, 200);
    assert_eq!(ts.body["id"], 0);
    assert_eq!(ts.body["state"], "RUNNING");
    assert_eq!(ts.body["worker_id"], worker_id);

    // The source copied the lines: its topic shows up, and a reset empties the set.
    let path = "/connectors/src/topics";
    let r = &rest;
    eventually(Duration::from_secs(30), "the source's active topic", || async move {
        let a = r.get(path).await;
        (a.body == json!({"src": {"topics": ["rest-src"]}})).then_some(())
    })
    .await;
    let a = rest.put("/connectors/src/topics/reset", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let a = rest.get(path).await;
    assert_eq!(a.body, json!({"src": {"topics": []}}));

    let a = rest.delete("/connectors/src").await;
    assert_eq!(a.status, 204, "{}", a.text);
    Rest::assert_error(&rest.get("/connectors/src").await, 404);
    assert_eq!(rest.get("/connectors").await.body, json!([]));
    assert_eq!(rest.get("/connectors?expand=status").await.body, json!({}));
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_get_put_and_patch() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 1);
    rest.create_source("src", &input, "cfg-topic").await;
    rest.wait_state("src", "RUNNING", 1).await;

    let a = rest.get("/connectors/src/config").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        json!({"connector.class": "FileStreamSource", "tasks.max": "1", "file": input.to_str().unwrap(),
               "topic": "cfg-topic", "name": "src"})
    );

    // PUT on an existing connector: 200 with the new info.
    let mut cfg = a.body.clone();
    cfg["batch.size"] = json!("10");
    let a = rest.put("/connectors/src/config", Some(cfg.clone())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["config"]["batch.size"], "10");
    assert_eq!(rest.get("/connectors/src/config").await.body["batch.size"], "10");
    rest.wait_state("src", "RUNNING", 1).await;

    // PUT on a new name: 201 Created with a Location.
    let out = rest.path("out.txt");
    let a = rest
        .put(
            "/connectors/sink/config",
            Some(json!({"connector.class": "FileStreamSink", "file": out.to_str().unwrap(), "topics": "cfg-topic"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["type"], "sink");
    assert!(a.headers.get("location").is_some());
    assert_eq!(rest.get("/connectors").await.body, json!(["sink", "src"]));

    // PUT with an invalid config keeps the old one.
    let mut bad = cfg.clone();
    bad["tasks.max"] = json!("0");
    let a = rest.put("/connectors/src/config", Some(bad)).await;
    Rest::assert_error(&a, 400);
    assert_eq!(rest.get("/connectors/src/config").await.body["tasks.max"], "1");

    // PATCH merges; null removes a key.
    let a = rest
        .patch("/connectors/src/config", json!({"batch.size": "5", "topic": "cfg-topic-2"}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["config"]["batch.size"], "5");
    assert_eq!(a.body["config"]["topic"], "cfg-topic-2");
    assert_eq!(a.body["config"]["file"], input.to_str().unwrap());
    let a = rest.patch("/connectors/src/config", json!({"batch.size": null})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let now = rest.get("/connectors/src/config").await.body;
    assert!(now.get("batch.size").is_none(), "{now}");
    assert_eq!(now["topic"], "cfg-topic-2");
    let a = rest.patch("/connectors/src/config", json!({"name": "other"})).await;
    Rest::assert_error(&a, 400);
    let a = rest.patch("/connectors/src/config", json!({"topic": null})).await;
    Rest::assert_error(&a, 400);
    let a = rest.patch("/connectors/nope/config", json!({"topic": "x"})).await;
    Rest::assert_error(&a, 404);
    rest.wait_state("src", "RUNNING", 1).await;
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_stop_and_restarts() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 2);
    rest.create_source("src", &input, "state-topic").await;
    rest.wait_state("src", "RUNNING", 1).await;

    let a = rest.put("/connectors/src/pause", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body, Value::Null);
    rest.wait_state("src", "PAUSED", 1).await;

    let a = rest.put("/connectors/src/resume", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    rest.wait_state("src", "RUNNING", 1).await;

    let a = rest.put("/connectors/src/stop", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    let status = rest.wait_state("src", "STOPPED", 0).await;
    assert_eq!(status["tasks"], json!([]), "{status}");
    assert_eq!(rest.get("/connectors/src").await.body["tasks"], json!([]));
    // Stopping again is a no-op.
    assert_eq!(rest.put("/connectors/src/stop", None).await.status, 204);

    let a = rest.put("/connectors/src/resume", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    rest.wait_state("src", "RUNNING", 1).await;

    // Plain restart: 204 without a body.
    let a = rest.post("/connectors/src/restart", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(a.text, "");
    rest.wait_state("src", "RUNNING", 1).await;
    let a = rest.post("/connectors/src/restart?includeTasks=false&onlyFailed=false", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    rest.wait_state("src", "RUNNING", 1).await;

    // With the tasks: 202 and the status marking what restarts.
    let a = rest.post("/connectors/src/restart?includeTasks=true&onlyFailed=false", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["name"], "src");
    assert_eq!(a.body["connector"]["state"], "RESTARTING", "{}", a.text);
    assert_eq!(a.body["tasks"][0]["state"], "RESTARTING", "{}", a.text);
    rest.wait_state("src", "RUNNING", 1).await;

    // Only failed ones: nothing failed, so nothing restarts.
    let a = rest.post("/connectors/src/restart?includeTasks=true&onlyFailed=true", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["connector"]["state"], "RUNNING", "{}", a.text);
    assert_eq!(a.body["tasks"][0]["state"], "RUNNING", "{}", a.text);
    let a = rest.post("/connectors/src/restart?onlyFailed=true", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["connector"]["state"], "RUNNING", "{}", a.text);

    // One task.
    let a = rest.post("/connectors/src/tasks/0/restart", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    rest.wait_state("src", "RUNNING", 1).await;
    Rest::assert_error(&rest.post("/connectors/src/tasks/3/restart", None).await, 404);
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_masked_everywhere() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 1);
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": "secret", "config": {
                "connector.class": "FileStreamSource", "file": input.to_str().unwrap(),
                "topic": "pw-topic", "db.password": "s3cret-value"}})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["config"]["db.password"], "[hidden]");
    assert!(!a.text.contains("s3cret-value"));
    for path in [
        "/connectors/secret",
        "/connectors/secret/config",
        "/connectors/secret/tasks",
        "/connectors?expand=info",
    ] {
        let a = rest.get(path).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        assert!(!a.text.contains("s3cret-value"), "{path} shows the password: {}", a.text);
    }
    assert_eq!(rest.get("/connectors/secret/config").await.body["db.password"], "[hidden]");
    // A PATCH of another key keeps the real secret.
    let a = rest.patch("/connectors/secret/config", json!({"batch.size": "7"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(!a.text.contains("s3cret-value"));
    let kept = rest.standalone.herder().connector_config("secret").await.unwrap();
    assert_eq!(kept["db.password"], "s3cret-value");
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_naming_the_brokers_when_they_cannot_be_reached() {
    // A port nothing listens on: the worker starts (Kafka clients connect lazily), but
    // cannot reach its brokers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let bootstrap = closed.to_string();
    let rest = Rest::start_with(rest_util::registry(), &[("bootstrap.servers", &bootstrap)]).await;
    let health = rest.get("/health").await;
    assert_eq!(health.status, 503, "{}", health.text);
    assert_eq!(health.body["status"], "unhealthy", "{}", health.text);
    let message = health.body["message"].as_str().unwrap();
    assert!(message.contains(&bootstrap), "{message}");
    rest.shutdown().await;
}
