//! What the source driver keeps of each record until Kafka acknowledges it: a task that
//! uses `commit_record` gets every record it returned (before the transformations), in
//! order, with where Kafka put it; a task that says it has no use for `commit_record`
//! (the driver then moves records through the transformations without copying them)
//! gets no call. Either way every record reaches the topic once, in order, and the
//! committed source offset is the last record's. Real broker, in-process worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{ConnectRecord, OffsetMap, RecordMetadata, SourceRecord};
use connect_api::{Connector, Result, SourceConnector, SourceTask};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

const N: i64 = 300;

/// What one run's task saw: `(record topic, record value, metadata topic, offset)`.
type Calls = Arc<Mutex<Vec<(String, String, String, i64)>>>;

fn calls() -> &'static Mutex<HashMap<String, Calls>> {
    static C: OnceLock<Mutex<HashMap<String, Calls>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// The source connector; its flag is what its tasks' `uses_commit_record` says.
struct Numbers(RawConfig, bool);

#[async_trait]
impl Connector for Numbers {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.0 = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(Some(&self.0), max, "Numbers")
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SourceConnector for Numbers {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(NumbersTask { uses_commit_record: self.1, ..NumbersTask::default() })
    }
}

/// Returns `N` records `v0`… in batches of 64, then nothing.
#[derive(Default)]
struct NumbersTask {
    topic: String,
    next: i64,
    calls: Option<Calls>,
    uses_commit_record: bool,
}

#[async_trait]
impl SourceTask for NumbersTask {
    async fn start(&mut self, _: SourceTaskContext, config: RawConfig) -> Result<()> {
        self.topic = config["topic"].clone();
        self.calls = calls().lock().unwrap().get(&config["calls"]).cloned();
        Ok(())
    }
    fn uses_commit_record(&self) -> bool {
        self.uses_commit_record
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.next >= N {
            tokio::time::sleep(Duration::from_millis(50)).await;
            return Ok(Vec::new());
        }
        let partition = Arc::new(OffsetMap::new().with("numbers", "all"));
        let end = (self.next + 64).min(N);
        let batch = (self.next..end)
            .map(|i| {
                SourceRecord::builder(&self.topic)
                    .partition(0)
                    .source_partition(partition.clone())
                    .source_offset(OffsetMap::new().with("n", i))
                    .value(Some(Schema::string()), Value::String(format!("v{i}")))
                    .build()
            })
            .collect();
        self.next = end;
        Ok(batch)
    }
    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> Result<()> {
        let value = match record.value() {
            Value::String(s) => s.clone(),
            other => format!("{other:?}"),
        };
        let (topic, offset) = metadata.map_or((String::new(), -1), |m| (m.topic.clone(), m.offset));
        if let Some(c) = &self.calls {
            c.lock().unwrap().push((record.topic().to_string(), value, topic, offset));
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Every value of `topic`'s partition 0, in order.
fn read_topic(topic: &str, expected: usize) -> Vec<String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while out.len() < expected && std::time::Instant::now() < deadline {
        // Until the worker creates the topic, the consumer reports it unknown.
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
        }
    }
    // Anything more would be a duplicate.
    if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
        out.push(String::from_utf8(m.payload().unwrap_or_default().to_vec()).unwrap());
    }
    out
}

/// Runs the task with a topic-renaming transformation; returns the `commit_record` calls
/// seen, after checking the topic and the committed offset.
async fn run(uses_commit_record: bool) -> Vec<(String, String, String, i64)> {
    let key = unique("calls");
    let seen: Calls = Arc::default();
    calls().lock().unwrap().insert(key.clone(), seen.clone());
    let raw_topic = unique("numbers-raw");
    let topic = raw_topic.replace("-raw", "-routed");
    let mut registry = registry();
    registry
        .register([
            PluginDescriptor::source("test.Numbers", "test", || {
                Box::new(Numbers(RawConfig::new(), true))
            }),
            PluginDescriptor::source("test.NumbersWithoutCommitRecord", "test", || {
                Box::new(Numbers(RawConfig::new(), false))
            }),
        ])
        .unwrap();
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
