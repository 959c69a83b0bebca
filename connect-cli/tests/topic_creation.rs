//! Topics of source connectors, on the real `connect-standalone` binary: created as
//! `topic.creation.*` (KIP-158) says on Apache Kafka; on `connect-mock-broker`, which
//! answers no CreateTopics, left to the broker's auto-creation with a warning, so a file
//! source → file sink pipeline over a topic nobody created works at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use support::*;

/// A `connect-mock-broker` process, killed when the test ends, however it ends.
struct MockBroker(Child);

impl Drop for MockBroker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const STRINGS: &str = "value.converter=org.apache.kafka.connect.storage.StringConverter\n";

/// The partition count and the `cleanup.policy` and `retention.ms` of a topic, once it
/// exists.
async fn describe(topic: &str, worker: &Worker) -> (usize, String, String) {
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // All topics: asking for this one would have the broker auto-create it.
        let md = admin.inner().fetch_metadata(None, Duration::from_secs(5)).unwrap();
        let parts = md
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len());
        if let Some(parts) = parts.filter(|p| *p > 0) {
            let res = admin
                .describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new())
                .await
                .unwrap();
            let cfg = res.into_iter().next().unwrap().unwrap();
            let get = |k: &str| cfg.get(k).and_then(|e| e.value.clone()).unwrap_or_default();
            return (parts, get("cleanup.policy"), get("retention.ms"));
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic} never appeared; log:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_topics_are_created_with_the_settings_of_their_group() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    write_lines(&input, 0, 10);
    let (plain, compacted) = (unique("tc-clicks"), unique("tc-compacted"));
    let rules = "topic.creation.groups=compacted\ntopic.creation.default.replication.factor=1\ntopic.creation.default.partitions=3\ntopic.creation.default.retention.ms=3600000\ntopic.creation.compacted.include=tc-compacted.*\ntopic.creation.compacted.partitions=1\ntopic.creation.compacted.cleanup.policy=compact\n";
    let source = |name: &str, topic: &str| {
        format!(
            "name={name}\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n{rules}",
            input.display()
        )
    };
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        STRINGS,
        &[source(&unique("tc-a"), &plain), source(&unique("tc-b"), &compacted)],
    );
    assert_eq!(describe(&plain, &worker).await, (3, "delete".into(), "3600000".into()));
    let (parts, policy, _) = describe(&compacted, &worker).await;
    assert_eq!((parts, policy.as_str()), (1, "compact"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_broker_without_create_topics_the_topic_is_left_to_auto_creation() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Command::new(env!("CARGO_BIN_EXE_connect-mock-broker"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(broker.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let bootstrap = line.trim().to_string();
    let _broker = MockBroker(broker);
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    write_lines(&input, 0, 500);
    let topic = unique("kl");
    let started = Instant::now();
    let worker = Worker::start(
        dir.path(),
        &bootstrap,
        STRINGS,
        &[file_source("src", &input, &topic), file_sink("sink", &output, &topic)],
    );
    // Well before the 60 s a CreateTopics request used to wait for.
    while line_count(&output) < 500 {
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "{} of 500 lines; log:\n{}",
            line_count(&output),
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = worker.log_text();
    assert!(
        log.contains("answer no CreateTopics"),
        "the fallback is announced:\n{}",
        worker.log_tail()
    );
    eprintln!(
        "500 lines through an auto-created topic after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
