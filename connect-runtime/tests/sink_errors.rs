//! A record the sink's converter cannot read fails the task with a clear trace, and its
//! offset is not committed. Real broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use connect_runtime::status::State;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

fn produce(topic: &str, values: &[&str]) {
    let producer: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    for v in values {
        producer.send(BaseRecord::<(), str>::to(topic).payload(*v)).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

fn committed(group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let got = consumer.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    let off = got.elements().first().map(|e| e.offset());
    drop(got);
    match off {
        Some(Offset::Offset(o)) => Some(o),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_record_fails_the_sink_task_and_its_offset_is_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.txt");
    let topic = unique("badrecord");
    let name = unique("sink");
    let worker = standalone(
        &[("bootstrap.servers", &bootstrap()), ("offset.flush.interval.ms", "200")],
        vec![],
    )
    .await;
    // The topic must exist before the sink subscribes; the runtime creates it on a real broker.
    worker.worker().kafka().create_topic_admin(&topic, 1, 1).await.unwrap();
    let good = r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#;
    produce(&topic, &[good, good, good, "{not json", good]);
    worker
        .herder()
        .create_connector(raw(&[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
        ]))
        .await
        .unwrap();
    let w = worker.herder().clone();
    let n = name.clone();
    let mut trace = String::new();
    for _ in 0..600 {
        let status = w.status(&n).await.unwrap();
        if let Some(t) = status.tasks.first().filter(|t| t.state == State::Failed) {
            trace = t.trace.clone().unwrap_or_default();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!trace.is_empty(), "the sink task did not fail");
    assert!(trace.contains("offset 3"), "trace does not name the record: {trace}");
    assert!(trace.contains("value converter"), "trace does not name the converter: {trace}");
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "ok\nok\nok\n");
    let group = format!("connect-{name}");
    let t = topic.clone();
    let committed = tokio::task::spawn_blocking(move || committed(&group, &t)).await.unwrap();
    assert!(committed.unwrap_or(0) <= 3, "offset committed past the bad record: {committed:?}");
    worker.shutdown().await;
}

/// A sink task whose `put` panics (a bug in a plugin).
struct Panicking;

#[async_trait::async_trait]
impl connect_api::SinkTask for Panicking {
    fn version(&self) -> String {
        "test".into()
    }
    async fn start(
        &mut self,
        _: connect_api::context::SinkTaskContext,
        _: connect_api::config::RawConfig,
    ) -> connect_api::Result<()> {
        Ok(())
    }
    async fn put(
        &mut self,
        records: &[connect_api::record::SinkRecord],
    ) -> connect_api::Result<()> {
        if !records.is_empty() {
            panic!("put broke on {} records", records.len());
        }
        Ok(())
    }
    async fn stop(&mut self) -> connect_api::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_panics_is_failed_with_the_panic_message() {
    let (topic, name) = (unique("panics"), unique("panicking"));
    let mut plugins = registry();
    plugins
        .register([common::sinks::sink_plugin("test.Panicking", || Box::new(Panicking))])
        .unwrap();
    let worker = standalone_with(plugins, &[("bootstrap.servers", &bootstrap())], vec![]).await;
    worker.worker().kafka().create_topic_admin(&topic, 1, 1).await.unwrap();
    produce(&topic, &[r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#]);
    worker
        .herder()
        .create_connector(raw(&[
            ("name", &name),
            ("connector.class", "test.Panicking"),
            ("topics", &topic),
        ]))
        .await
        .unwrap();
    let mut trace = String::new();
    for _ in 0..600 {
        let status = worker.herder().status(&name).await.unwrap();
        if let Some(t) = status.tasks.first().filter(|t| t.state == State::Failed) {
            trace = t.trace.clone().unwrap_or_default();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        trace.contains("the task panicked: put broke on 1 records"),
        "task not FAILED with the panic: {trace:?}"
    );
    worker.shutdown().await;
}
