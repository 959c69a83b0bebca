//! A source connector for the runtime's tests: `test.Numbers` returns `count` (default
//! 300) records `v0`, `v1`… to `topic`, partition 0, with source partition
//! `{"numbers": "all"}` and offset `{"n": i}`, in batches of 64, then nothing. Its tasks
//! use `commit_record` (recorded under the `calls` key, see [`calls`]);
//! `test.NumbersWithoutCommitRecord` is the same without.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{ConnectRecord, OffsetMap, RecordMetadata, SourceRecord};
use connect_api::{Connector, Result, SourceConnector, SourceTask};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use super::{bootstrap, unique};

/// The default record count.
pub const N: i64 = 300;

/// What a run's tasks saw: `(record topic, record value, metadata topic, offset)`.
pub type Calls = Arc<Mutex<Vec<(String, String, String, i64)>>>;

/// Where tasks record their `commit_record` calls, by the connector's `calls` setting.
pub fn calls() -> &'static Mutex<HashMap<String, Calls>> {
    static C: OnceLock<Mutex<HashMap<String, Calls>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// The two plugins.
pub fn plugins() -> [PluginDescriptor; 2] {
    [
        PluginDescriptor::source("test.Numbers", "test", || {
            Box::new(Numbers(RawConfig::new(), true))
        }),
        PluginDescriptor::source("test.NumbersWithoutCommitRecord", "test", || {
            Box::new(Numbers(RawConfig::new(), false))
        }),
    ]
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

#[derive(Default)]
struct NumbersTask {
    topic: String,
    next: i64,
    count: i64,
    calls: Option<Calls>,
    uses_commit_record: bool,
}

#[async_trait]
impl SourceTask for NumbersTask {
    async fn start(&mut self, _: SourceTaskContext, config: RawConfig) -> Result<()> {
        self.topic = config["topic"].clone();
        self.count = config.get("count").map_or(N, |c| c.parse().unwrap());
        self.calls = config.get("calls").and_then(|k| calls().lock().unwrap().get(k).cloned());
        Ok(())
    }
    fn uses_commit_record(&self) -> bool {
        self.uses_commit_record
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.next >= self.count {
            tokio::time::sleep(Duration::from_millis(50)).await;
            return Ok(Vec::new());
        }
        let partition = Arc::new(OffsetMap::new().with("numbers", "all"));
        let end = (self.next + 64).min(self.count);
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
pub fn read_topic(topic: &str, expected: usize) -> Vec<String> {
    read_topic_for(topic, expected, Duration::from_secs(60))
}

/// As [`read_topic`], waiting at most `wait` for the `expected` values.
pub fn read_topic_for(topic: &str, expected: usize, wait: Duration) -> Vec<String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + wait;
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
