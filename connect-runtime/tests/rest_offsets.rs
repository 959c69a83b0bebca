//! `GET|PATCH|DELETE /connectors/{name}/offsets` over real HTTP, for a FileStreamSource
//! (offset store) and a FileStreamSink (consumer group `connect-<name>`), on the
//! embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::time::Duration;

use rest_util::*;
use serde_json::{Value, json};

const NOT_STOPPED: &str = "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{}/stop' endpoint";

fn not_stopped(name: &str) -> String {
    NOT_STOPPED.replace("{}", name)
}

/// Waits until `GET /connectors/{name}/offsets` satisfies `check`.
async fn wait_offsets(
    rest: &Rest,
    name: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let path = &format!("/connectors/{name}/offsets");
    let check = &check;
    eventually(Duration::from_secs(30), what, || async move {
        let a = rest.get(path).await;
        (a.status == 200 && check(&a.body)).then_some(a.body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_offsets_show_alter_and_reset() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    write_lines(&input, 0, 5);
    let size = std::fs::metadata(&input).unwrap().len();
    let file = input.to_str().unwrap().to_string();
    rest.create_source("src", &input, "offsets-src").await;
    rest.wait_state("src", "RUNNING", 1).await;

    // The committed position after the five lines shows.
    let body = wait_offsets(&rest, "src", "the source's committed position", |b| {
        b["offsets"][0]["offset"]["position"] == json!(size)
    })
    .await;
    assert_eq!(
        body,
        json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": size}}]})
    );

    // Refused while running.
    let patch = json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 3}}]});
    let a = rest.patch("/connectors/src/offsets", patch.clone()).await;
    Rest::assert_error(&a, 400);
    assert_eq!(a.body["message"], not_stopped("src"));
    let a = rest.delete("/connectors/src/offsets").await;
    Rest::assert_error(&a, 400);
    assert_eq!(a.body["message"], not_stopped("src"));
    rest.put("/connectors/src/pause", None).await;
    rest.wait_state("src", "PAUSED", 1).await;
    let a = rest.patch("/connectors/src/offsets", patch.clone()).await;
    assert_eq!(a.body["message"], not_stopped("src"), "{}", a.text);

    // Accepted when STOPPED.
    assert_eq!(rest.put("/connectors/src/stop", None).await.status, 204);
    rest.wait_state("src", "STOPPED", 0).await;
    let a = rest.patch("/connectors/src/offsets", patch).await;
    assert_eq!(a.status, 200, "{}", a.text);
    // FileStreamSource's hook says it handled the offsets itself.
    assert_eq!(
        a.body,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    let a = rest.get("/connectors/src/offsets").await;
    assert_eq!(
        a.body,
        json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 3}}]})
    );

    // Bad requests: no offsets, nested values, the connector's own validation.
    Rest::assert_error(&rest.patch("/connectors/src/offsets", json!({"offsets": []})).await, 400);
    Rest::assert_error(&rest.patch("/connectors/src/offsets", json!({"nothing": 1})).await, 400);
    let nested =
        json!({"offsets": [{"partition": {"filename": {"a": 1}}, "offset": {"position": 1}}]});
    Rest::assert_error(&rest.patch("/connectors/src/offsets", nested).await, 400);
    let wrong = json!({"offsets": [{"partition": {"filename": file}, "offset": {"line": 1}}]});
    let a = rest.patch("/connectors/src/offsets", wrong).await;
    Rest::assert_error(&a, 400);
    assert!(a.body["message"].as_str().unwrap().contains("position"), "{}", a.text);
    let a = rest.get("/connectors/src/offsets").await;
    assert_eq!(a.body["offsets"][0]["offset"]["position"], 3, "a refused alter changed nothing");

    // A null offset resets that partition.
    let a = rest
        .patch(
            "/connectors/src/offsets",
            json!({"offsets": [{"partition": {"filename": file}, "offset": null}]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(rest.get("/connectors/src/offsets").await.body, json!({"offsets": []}));

    // Back to running: the source starts over and commits the end position again.
    assert_eq!(rest.put("/connectors/src/resume", None).await.status, 202);
    rest.wait_state("src", "RUNNING", 1).await;
    wait_offsets(&rest, "src", "the position after a restart from 0", |b| {
        b["offsets"][0]["offset"]["position"] == json!(size)
    })
    .await;

    // DELETE resets everything.
    assert_eq!(rest.put("/connectors/src/stop", None).await.status, 204);
    let a = rest.delete("/connectors/src/offsets").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    assert_eq!(rest.get("/connectors/src/offsets").await.body, json!({"offsets": []}));
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_offsets_show_alter_and_reset() {
    let rest = Rest::start().await;
    let input = rest.path("in.txt");
    let output = rest.path("out.txt");
    write_lines(&input, 0, 5);
    rest.create_source("src", &input, "offsets-sink").await;
    rest.wait_state("src", "RUNNING", 1).await;
    // The topic exists once the source produced to it.
    let r = &rest;
    eventually(Duration::from_secs(30), "the source's topic", || async move {
        let a = r.get("/connectors/src/topics").await;
        (a.body["src"]["topics"] == json!(["offsets-sink"])).then_some(())
    })
    .await;
    rest.create_sink("sink", &output, "offsets-sink").await;
    rest.wait_state("sink", "RUNNING", 1).await;
    let out = &output;
    eventually(Duration::from_secs(30), "five lines in the sink file", || async move {
        (line_count(out) >= 5).then_some(())
    })
    .await;

    let partition = json!({"kafka_topic": "offsets-sink", "kafka_partition": 0});
    let body = wait_offsets(&rest, "sink", "the sink's committed offset", |b| {
        b["offsets"][0]["offset"]["kafka_offset"] == 5
    })
    .await;
    assert_eq!(body, json!({"offsets": [{"partition": partition, "offset": {"kafka_offset": 5}}]}));

    let patch = json!({"offsets": [{"partition": partition, "offset": {"kafka_offset": 2}}]});
    let a = rest.patch("/connectors/sink/offsets", patch.clone()).await;
    Rest::assert_error(&a, 400);
    assert_eq!(a.body["message"], not_stopped("sink"));

    assert_eq!(rest.put("/connectors/sink/stop", None).await.status, 204);
    rest.wait_state("sink", "STOPPED", 0).await;
    let a = rest.patch("/connectors/sink/offsets", patch).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    let a = rest.get("/connectors/sink/offsets").await;
    assert_eq!(
        a.body,
        json!({"offsets": [{"partition": partition, "offset": {"kafka_offset": 2}}]})
    );

    // Bad sink offsets.
    for bad in [
        json!({"offsets": [{"partition": {"kafka_topic": "offsets-sink"}, "offset": {"kafka_offset": 1}}]}),
        json!({"offsets": [{"partition": partition, "offset": {"kafka_offset": -1}}]}),
        json!({"offsets": [{"partition": partition, "offset": {"position": 1}}]}),
        json!({"offsets": [{"partition": {"kafka_topic": "offsets-sink", "kafka_partition": 9}, "offset": {"kafka_offset": 1}}]}),
    ] {
        let a = rest.patch("/connectors/sink/offsets", bad.clone()).await;
        Rest::assert_error(&a, 400);
    }

    // Resumed, the sink re-reads from offset 2: three more lines.
    assert_eq!(rest.put("/connectors/sink/resume", None).await.status, 202);
    rest.wait_state("sink", "RUNNING", 1).await;
    eventually(Duration::from_secs(30), "eight lines in the sink file", || async move {
        (line_count(out) >= 8).then_some(())
    })
    .await;
    wait_offsets(&rest, "sink", "the sink's offset back at the end", |b| {
        b["offsets"][0]["offset"]["kafka_offset"] == 5
    })
    .await;
    assert_eq!(line_count(&output), 8);

    // DELETE while stopped: the group restarts from the earliest offset.
    assert_eq!(rest.put("/connectors/sink/stop", None).await.status, 204);
    rest.wait_state("sink", "STOPPED", 0).await;
    let a = rest.delete("/connectors/sink/offsets").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    let a = rest.get("/connectors/sink/offsets").await;
    let offsets = a.body["offsets"].as_array().unwrap();
    assert!(
        offsets.is_empty() || offsets[0]["offset"]["kafka_offset"] == 0,
        "after a reset: {}",
        a.text
    );
    assert_eq!(rest.put("/connectors/sink/resume", None).await.status, 202);
    eventually(Duration::from_secs(30), "the five lines written again", || async move {
        (line_count(out) >= 13).then_some(())
    })
    .await;
    rest.shutdown().await;
}
