//! What the source driver keeps of each record until Kafka acknowledges it: a task that
//! uses `commit_record` gets every record it returned (before the transformations), in
//! order, with where Kafka put it; a task that says it has no use for `commit_record`
//! (the driver then moves records through the transformations without copying them)
//! gets no call. Either way every record reaches the topic once, in order, and the
//! committed source offset is the last record's. Real broker, in-process worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::numbers::{self, Calls, N, calls, read_topic};
use common::*;

/// Runs the task with a topic-renaming transformation; returns the `commit_record` calls
/// seen, after checking the topic and the committed offset.
async fn run(uses_commit_record: bool) -> Vec<(String, String, String, i64)> {
    let key = unique("calls");
    let seen: Calls = Arc::default();
    calls().lock().unwrap().insert(key.clone(), seen.clone());
    let raw_topic = unique("numbers-raw");
    let topic = raw_topic.replace("-raw", "-routed");
    let mut registry = registry();
    registry.register(numbers::plugins()).unwrap();
    let worker = standalone_with(
        registry,
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.flush.interval.ms", "100"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ],
        vec![raw(&[
            ("name", "numbers"),
            (
                "connector.class",
                if uses_commit_record { "test.Numbers" } else { "test.NumbersWithoutCommitRecord" },
            ),
            ("topic", &raw_topic),
            ("calls", &key),
            ("transforms", "route"),
            ("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter"),
            ("transforms.route.regex", "(.*)-raw(.*)"),
            ("transforms.route.replacement", "$1-routed$2"),
        ])],
    )
    .await;
    let expected: Vec<String> = (0..N).map(|i| format!("v{i}")).collect();
    let values = tokio::task::spawn_blocking({
        let topic = topic.clone();
        move || read_topic(&topic, N as usize)
    })
    .await
    .unwrap();
    assert_eq!(values, expected, "the routed topic holds every record once, in order");
    let mut committed = serde_json::Value::Null;
    for _ in 0..100 {
        let offsets = worker.herder().connector_offsets("numbers").await.unwrap();
        committed = serde_json::to_value(&offsets).unwrap();
        if committed["offsets"][0]["offset"]["n"] == serde_json::json!(N - 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        committed,
        serde_json::json!({"offsets": [{"partition": {"numbers": "all"}, "offset": {"n": N - 1}}]}),
        "the committed source offset is the last record's"
    );
    worker.shutdown().await;
    let seen = seen.lock().unwrap().clone();
    assert!(!topic.is_empty());
    seen.into_iter()
        .map(|(t, v, mt, o)| (t.replace(&raw_topic, "RAW"), v, mt.replace(&topic, "ROUTED"), o))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_record_gets_each_original_record_with_where_kafka_put_it() {
    let seen = run(true).await;
    let expected: Vec<(String, String, String, i64)> =
        (0..N).map(|i| ("RAW".to_string(), format!("v{i}"), "ROUTED".to_string(), i)).collect();
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_without_commit_record_gets_no_calls_and_loses_nothing() {
    let seen = run(false).await;
    assert!(seen.is_empty(), "commit_record was called {} times", seen.len());
}
