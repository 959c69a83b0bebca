//! Source tasks share the worker's producer (`source.tasks.share.producer`, on by
//! default) unless they have `producer.override.*` settings: twelve source connectors
//! on one worker each get their own records into their own topic once and in order and
//! their own committed offset, one of them stopping midway loses nothing of the others,
//! and the worker adds a handful of Kafka client threads for them where twelve producers
//! of their own (the setting off) add two or three each. Real broker, in-process worker; one test
//! in its own binary, so the thread counts are this test's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::numbers::{self, read_topic_for};
use common::*;
use connect_runtime::standalone::Standalone;

const CONNECTORS: usize = 12;
const COUNT: i64 = 2_000;

/// The process's Kafka client threads (librdkafka names its own `rdk:…`): the count
/// that producers change, unlike the async runtime's blocking pool.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("rdk:"))
        .count()
}

/// The committed `n` of a connector, once it is `want` (or what it was after 30 s).
async fn committed(worker: &Standalone, name: &str, want: i64) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..300 {
        let offsets = worker.herder().connector_offsets(name).await.unwrap();
        last = serde_json::to_value(&offsets).unwrap()["offsets"][0]["offset"]["n"].clone();
        if last == serde_json::json!(want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// Runs the connectors on a worker with `share` as `source.tasks.share.producer`;
/// checks every topic and offset, and returns the threads the worker added while its
/// tasks ran.
async fn run(share: bool) -> usize {
    let before = threads();
    let mut registry = registry();
    registry.register(numbers::plugins()).unwrap();
    let topics: Vec<String> = (0..CONNECTORS).map(|i| unique(&format!("shared-{i}"))).collect();
    let connectors = topics
        .iter()
        .enumerate()
        .map(|(i, topic)| {
            let mut c = raw(&[
                ("name", &format!("numbers-{i}")),
                ("connector.class", "test.NumbersWithoutCommitRecord"),
                ("topic", topic),
                ("count", &COUNT.to_string()),
            ]);
            if i == 0 {
                // Its own producer whatever the worker says.
                c.insert("producer.override.linger.ms".into(), "1".into());
            }
            c
        })
        .collect();
    let worker = standalone_with(
        registry,
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.flush.interval.ms", "100"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
            ("source.tasks.share.producer", if share { "true" } else { "false" }),
        ],
        connectors,
    )
    .await;
    // One connector stops while the others may still be sending.
    worker.herder().delete_connector("numbers-5").await.unwrap();
    let expected: Vec<String> = (0..COUNT).map(|i| format!("v{i}")).collect();
    let mut added = 0;
    for (i, topic) in topics.iter().enumerate() {
        let topic = topic.clone();
        // The stopped connector's topic holds what it sent before it stopped.
        let wait = Duration::from_secs(if i == 5 { 5 } else { 60 });
        let values =
            tokio::task::spawn_blocking(move || read_topic_for(&topic, COUNT as usize, wait))
                .await
                .unwrap();
        added = added.max(threads().saturating_sub(before));
        if i == 5 {
            // Stopped midway: whatever it sent is a prefix, once, in order.
            assert_eq!(values[..], expected[..values.len()], "connector {i} (share={share})");
            continue;
        }
        assert_eq!(values, expected, "connector {i} (share={share})");
        let n = committed(&worker, &format!("numbers-{i}"), COUNT - 1).await;
        assert_eq!(
            n,
            serde_json::json!(COUNT - 1),
            "committed offset of connector {i} (share={share})"
        );
    }
    worker.shutdown().await;
    added
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_tasks_share_one_producer_and_keep_their_own_records_and_offsets() {
    let shared = run(true).await;
    let own = run(false).await;
    eprintln!(
        "Kafka client threads added: {shared} with the shared producer, {own} with one producer per task"
    );
    // Two producers (the shared one and the one with overrides) against twelve, each of
    // two or three librdkafka threads (the bootstrap broker's thread comes and goes).
    assert!(
        3 * shared <= own,
        "sharing saved too few threads: {shared} shared against {own} with producers of their own"
    );
}
