//! KIP-980 over real HTTP: `POST /connectors` with `initial_state` creates a connector
//! PAUSED or STOPPED, and a STOPPED one runs nothing until resumed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::path::Path;
use std::time::Duration;

use rest_util::*;
use serde_json::{Value, json};

fn source(name: &str, file: &Path, topic: &str, initial: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": file.to_str().unwrap(),
            "topic": topic,
        },
        "initial_state": initial,
    })
}

/// `path` still has no line after a while (what a paused or stopped source gives).
async fn stays_empty(path: &Path) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(line_count(path), 0, "{} received records", path.display());
}

async fn lines_arrive(path: &Path, n: usize) {
    eventually(Duration::from_secs(30), "the records to arrive", || async move {
        (line_count(path) >= n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_stopped_runs_nothing_until_resumed() {
    let rest = Rest::start().await;
    let (input, output) = (rest.path("in.txt"), rest.path("out.txt"));
    write_lines(&input, 0, 3);
    rest.create_sink("sink", &output, "kip980-stopped").await;
    rest.wait_state("sink", "RUNNING", 1).await;

    let a =
        rest.post("/connectors", Some(source("src", &input, "kip980-stopped", "Stopped"))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["tasks"], json!([]), "{}", a.text);
    let status = rest.wait_state("src", "STOPPED", 0).await;
    assert_eq!(status["tasks"], json!([]), "{status}");
    assert_eq!(rest.get("/connectors/src/tasks").await.body, json!([]));
    stays_empty(&output).await;
    // No task ran: no source offset was committed.
    let offsets = rest.get("/connectors/src/offsets").await;
    assert_eq!(offsets.body["offsets"], json!([]), "{}", offsets.text);
    // The config is stored as given, and the connector is there to be resumed.
    assert_eq!(rest.get("/connectors/src/config").await.body["topic"], "kip980-stopped");

    assert_eq!(rest.put("/connectors/src/resume", None).await.status, 202);
    rest.wait_state("src", "RUNNING", 1).await;
    lines_arrive(&output, 3).await;
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_paused_moves_no_data_until_resumed() {
    let rest = Rest::start().await;
    let (input, output) = (rest.path("in.txt"), rest.path("out.txt"));
    write_lines(&input, 0, 3);
    rest.create_sink("sink", &output, "kip980-paused").await;
    rest.wait_state("sink", "RUNNING", 1).await;

    let a = rest.post("/connectors", Some(source("src", &input, "kip980-paused", "paused"))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    rest.wait_state("src", "PAUSED", 1).await;
    stays_empty(&output).await;
    assert_eq!(rest.get("/connectors/src/status").await.body["connector"]["state"], "PAUSED");

    assert_eq!(rest.put("/connectors/src/resume", None).await.status, 202);
    rest.wait_state("src", "RUNNING", 1).await;
    lines_arrive(&output, 3).await;

    // RUNNING, in any case, is a plain creation.
    let a = rest.post("/connectors", Some(source("run", &input, "kip980-run", "running"))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    rest.wait_state("run", "RUNNING", 1).await;
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_initial_state_is_a_400_naming_the_field() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    for bad in [json!("RESTARTING"), json!(3)] {
        let mut body = source("src", &input, "t", "x");
        body["initial_state"] = bad;
        let a = rest.post("/connectors", Some(body)).await;
        Rest::assert_error(&a, 400);
        assert!(a.body["message"].as_str().unwrap().contains("initial_state"), "{}", a.text);
    }
    // Nothing was created.
    assert_eq!(rest.get("/connectors").await.body, json!([]));
    // An existing connector is a 409 whatever the initial state.
    assert_eq!(
        rest.post("/connectors", Some(source("src", &input, "t", "STOPPED"))).await.status,
        201
    );
    let a = rest.post("/connectors", Some(source("src", &input, "t", "PAUSED"))).await;
    Rest::assert_error(&a, 409);
    rest.wait_state("src", "STOPPED", 0).await;
    rest.shutdown().await;
}
