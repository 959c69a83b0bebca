//! Small tasks the kit's tests drive: a counting source (the one of connect-api's crate
//! docs), a broken variant of it, scripted and waiting sources, and an in-memory sink.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::{SinkTaskContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::record::{
    ConnectRecord, OffsetAndMetadata, OffsetMap, RecordMetadata, SinkRecord, SourceRecord,
    TopicPartition,
};
use connect_api::{ConnectError, Result, SinkTask, SourceTask};
use connect_testkit::Fault;

pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn counter_partition() -> OffsetMap {
    OffsetMap::new().with("counter", "main")
}

pub fn counter_offset(n: i64) -> OffsetMap {
    OffsetMap::new().with("n", n)
}

/// Counts from the committed offset onwards, one record per poll.
#[derive(Default)]
pub struct CounterTask {
    topic: String,
    next: i64,
}

#[async_trait]
impl SourceTask for CounterTask {
    async fn start(&mut self, ctx: SourceTaskContext, config: RawConfig) -> Result<()> {
        self.topic = config.get("topic").cloned().unwrap_or_else(|| "numbers".into());
        let committed = ctx.offset_storage_reader().offset(&counter_partition()).await?;
        self.next = match committed.and_then(|o| o.get_i64("n")) {
            Some(n) => n + 1,
            None => 0,
        };
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let n = self.next;
        self.next += 1;
        Ok(vec![
            SourceRecord::builder(self.topic.clone())
                .source_partition(counter_partition())
                .source_offset(counter_offset(n))
                .value(Some(Schema::int64()), Value::Int64(n))
                .build(),
        ])
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A broken counter: ignores its committed offset and always starts from zero.
#[derive(Default)]
pub struct RestartsFromZeroTask {
    next: i64,
}

#[async_trait]
impl SourceTask for RestartsFromZeroTask {
    async fn start(&mut self, _ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        self.next = 0;
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let n = self.next;
        self.next += 1;
        Ok(vec![
            SourceRecord::builder("numbers")
                .source_partition(counter_partition())
                .source_offset(counter_offset(n))
                .value(Some(Schema::int64()), Value::Int64(n))
                .build(),
        ])
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// What a [`ScriptedSource`] saw, shared with the test.
#[derive(Default)]
pub struct SourceLog {
    pub committed_records: Mutex<Vec<(SourceRecord, Option<RecordMetadata>)>>,
    pub commits: AtomicUsize,
    pub stops: AtomicUsize,
}

/// Returns the given batches in order, then empty batches.
pub struct ScriptedSource {
    batches: VecDeque<Vec<SourceRecord>>,
    log: Arc<SourceLog>,
}

impl ScriptedSource {
    pub fn new(batches: Vec<Vec<SourceRecord>>) -> (Self, Arc<SourceLog>) {
        let log = Arc::new(SourceLog::default());
        let task = ScriptedSource { batches: batches.into(), log: log.clone() };
        (task, log)
    }
}

#[async_trait]
impl SourceTask for ScriptedSource {
    async fn start(&mut self, _ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        Ok(self.batches.pop_front().unwrap_or_default())
    }

    async fn commit(&mut self) -> Result<()> {
        self.log.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> Result<()> {
        self.log.committed_records.lock().unwrap().push((record.clone(), metadata.cloned()));
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        self.log.stops.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A record of source partition `file` at `position`, bound for `topic`.
pub fn file_record(topic: &str, file: &str, position: i64) -> SourceRecord {
    SourceRecord::builder(topic)
        .source_partition(OffsetMap::new().with("filename", file))
        .source_offset(OffsetMap::new().with("position", position))
        .value(Some(Schema::string()), Value::from(format!("{file}@{position}")))
        .build()
}

/// Waits for input that never comes; `poll` returns (empty) once cancelled.
#[derive(Default)]
pub struct WaitingSource {
    cancel: Option<tokio_util::sync::CancellationToken>,
}

#[async_trait]
impl SourceTask for WaitingSource {
    async fn start(&mut self, ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        self.cancel = Some(ctx.cancellation().clone());
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if let Some(cancel) = &self.cancel {
            cancel.cancelled().await;
        }
        Ok(Vec::new())
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Polls slowly, ignores cancellation, and panics in `stop`.
#[derive(Default)]
pub struct PanickingStopSource;

#[async_trait]
impl SourceTask for PanickingStopSource {
    async fn start(&mut self, _ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(Vec::new())
    }

    async fn stop(&mut self) -> Result<()> {
        panic!("stop called while a poll was outstanding");
    }
}

/// Never returns from `stop`.
#[derive(Default)]
pub struct HangingStopSource;

#[async_trait]
impl SourceTask for HangingStopSource {
    async fn start(&mut self, _ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        Ok(Vec::new())
    }

    async fn stop(&mut self) -> Result<()> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

/// Stores of [`MemorySink`]s, by the `store` setting of their config.
/// Where a [`MemorySink`] writes: shared with whoever reads the store back.
pub type Store = Arc<Mutex<Vec<Value>>>;

static STORES: LazyLock<Mutex<HashMap<String, Store>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_STORE: AtomicUsize = AtomicUsize::new(0);
/// Stores that are down, and how: a [`MemorySink`] on one fails its `put` itself.
static OUTAGES: LazyLock<Mutex<HashMap<String, Fault>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Takes the store of `config` down with `fault`, or brings it back (`None`): the
/// `fault` hook of the sink checks.
pub fn set_outage(config: &RawConfig, fault: Option<Fault>) {
    let name = config.get("store").cloned().unwrap_or_default();
    let mut outages = OUTAGES.lock().unwrap();
    match fault {
        Some(fault) => outages.insert(name, fault),
        None => outages.remove(&name),
    };
}

/// The error a sink on the store of `config` gets now, if the store is down.
pub fn outage(config_store: &str) -> Option<ConnectError> {
    match OUTAGES.lock().unwrap().get(config_store) {
        Some(Fault::Retriable) => Some(ConnectError::retriable("store unreachable")),
        Some(Fault::Fatal) => Some(ConnectError::fatal("store is read-only")),
        None => None,
    }
}

/// A config naming a store no other config names.
pub fn fresh_sink_config() -> RawConfig {
    let n = NEXT_STORE.fetch_add(1, Ordering::SeqCst);
    raw(&[("store", &format!("store-{n}"))])
}

/// A fresh config whose sink buffers until flush.
pub fn fresh_buffered_sink_config() -> RawConfig {
    let mut config = fresh_sink_config();
    config.insert("buffered".into(), "true".into());
    config
}

pub fn store(config: &RawConfig) -> Store {
    let name = config.get("store").cloned().unwrap_or_default();
    STORES.lock().unwrap().entry(name).or_default().clone()
}

/// What the store of `config` holds now.
pub fn stored(config: &RawConfig) -> Vec<Value> {
    store(config).lock().unwrap().clone()
}

/// What a [`MemorySink`] was asked to do, shared with the test.
#[derive(Default)]
pub struct SinkLog {
    pub opened: Mutex<Vec<Vec<TopicPartition>>>,
    pub closed: Mutex<Vec<Vec<TopicPartition>>>,
    pub pre_commits: Mutex<Vec<BTreeMap<TopicPartition, i64>>>,
    pub stops: AtomicUsize,
}

/// Appends record values to the store its config names (`store`), at `put` or, with
/// `buffered=true`, at `flush`.
#[derive(Default)]
pub struct MemorySink {
    name: String,
    store: Arc<Mutex<Vec<Value>>>,
    buffered: bool,
    buffer: Vec<Value>,
    pub log: Arc<SinkLog>,
}

#[async_trait]
impl SinkTask for MemorySink {
    async fn start(&mut self, _ctx: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.store = store(&config);
        self.name = config.get("store").cloned().unwrap_or_default();
        self.buffered = config.get("buffered").is_some_and(|v| v == "true");
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.log.opened.lock().unwrap().push(partitions.to_vec());
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        // Buffered or not, the store is reached (a buffering sink probes it).
        if let Some(error) = outage(&self.name) {
            return Err(error);
        }
        let values = records.iter().map(|r| r.value().clone());
        if self.buffered {
            self.buffer.extend(values);
        } else {
            self.store.lock().unwrap().extend(values);
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        let buffered = std::mem::take(&mut self.buffer);
        self.store.lock().unwrap().extend(buffered);
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        self.log
            .pre_commits
            .lock()
            .unwrap()
            .push(offsets.iter().map(|(tp, o)| (tp.clone(), o.offset)).collect());
        self.flush(&offsets).await?;
        Ok(offsets)
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.log.closed.lock().unwrap().push(partitions.to_vec());
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        self.log.stops.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Writes each record once, keyed by its Kafka coordinates: redelivery is harmless.
#[derive(Default)]
pub struct UpsertSink {
    store: Arc<Mutex<Vec<Value>>>,
    seen: std::collections::BTreeSet<(TopicPartition, i64)>,
}

#[async_trait]
impl SinkTask for UpsertSink {
    async fn start(&mut self, _ctx: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.store = store(&config);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        for r in records {
            if self.seen.insert((r.original_topic_partition(), r.original_kafka_offset())) {
                self.store.lock().unwrap().push(r.value().clone());
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Fails `put` with a retriable error the first `failures` times, asking for `timeout`,
/// and records every batch it is given.
pub struct RetryingSink {
    pub failures: usize,
    pub timeout: Option<Duration>,
    pub batches: Arc<Mutex<Vec<Vec<i64>>>>,
    ctx: Option<SinkTaskContext>,
}

impl RetryingSink {
    pub fn new(failures: usize, timeout: Option<Duration>) -> Self {
        RetryingSink { failures, timeout, batches: Arc::default(), ctx: None }
    }
}

#[async_trait]
impl SinkTask for RetryingSink {
    async fn start(&mut self, ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        self.batches.lock().unwrap().push(records.iter().map(SinkRecord::kafka_offset).collect());
        if self.failures > 0 {
            self.failures -= 1;
            if let (Some(ctx), Some(timeout)) = (&self.ctx, self.timeout) {
                ctx.timeout(timeout);
            }
            return Err(ConnectError::retriable("backend busy"));
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A broken counter: resumes one past where it should, so the record after the
/// committed one is never polled.
#[derive(Default)]
pub struct SkipsOneAfterRestartTask {
    next: i64,
}

#[async_trait]
impl SourceTask for SkipsOneAfterRestartTask {
    async fn start(&mut self, ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        let committed = ctx.offset_storage_reader().offset(&counter_partition()).await?;
        self.next = committed.and_then(|o| o.get_i64("n")).map_or(0, |n| n + 2);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let n = self.next;
        self.next += 1;
        Ok(vec![
            SourceRecord::builder("numbers")
                .source_partition(counter_partition())
                .source_offset(counter_offset(n))
                .value(Some(Schema::int64()), Value::Int64(n))
                .build(),
        ])
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Waits for input that never comes; once cancelled, `poll` fails with an error of the
/// given kind.
pub struct FailsWhenCancelledSource {
    kind: connect_api::ErrorKind,
    cancel: Option<tokio_util::sync::CancellationToken>,
}

impl FailsWhenCancelledSource {
    pub fn new(kind: connect_api::ErrorKind) -> Self {
        FailsWhenCancelledSource { kind, cancel: None }
    }
}

#[async_trait]
impl SourceTask for FailsWhenCancelledSource {
    async fn start(&mut self, ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
        self.cancel = Some(ctx.cancellation().clone());
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if let Some(cancel) = &self.cancel {
            cancel.cancelled().await;
        }
        Err(ConnectError::new(self.kind, "interrupted by shutdown"))
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}
