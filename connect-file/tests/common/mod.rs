//! Helpers shared by the integration tests: an in-memory offset store, configs and
//! polling loops.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::{OffsetStorageReader, SinkTaskContext, SourceTaskContext};
use connect_api::record::{ConnectRecord, OffsetMap, SinkRecord, SourceRecord};
use connect_api::{Result, SinkTask, SourceTask};
use connect_file::{FileStreamSinkTask, FileStreamSourceTask};
use tokio_util::sync::CancellationToken;

/// Committed source offsets, kept in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryOffsets(Arc<Mutex<HashMap<OffsetMap, OffsetMap>>>);

impl MemoryOffsets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits `offset` for `partition`, as the runtime does once Kafka has the record.
    pub fn commit(&self, partition: OffsetMap, offset: OffsetMap) {
        self.0.lock().unwrap().insert(partition, offset);
    }

    /// Commits the offset of `record`.
    pub fn commit_record(&self, record: &SourceRecord) {
        self.commit(record.source_partition().clone(), record.source_offset().clone());
    }
}

#[async_trait]
impl OffsetStorageReader for MemoryOffsets {
    async fn offsets(&self, partitions: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>> {
        let all = self.0.lock().unwrap();
        Ok(partitions.iter().filter_map(|p| all.get(p).map(|o| (p.clone(), o.clone()))).collect())
    }
}

pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A source config reading `file` into topic `lines`, plus `extra` settings.
pub fn source_config(file: &Path, extra: &[(&str, &str)]) -> RawConfig {
    let mut config = raw(extra);
    config.insert("file".into(), file.display().to_string());
    config.entry("topic".into()).or_insert_with(|| "lines".into());
    config
}

/// The source partition of `file`.
pub fn partition(file: &Path) -> OffsetMap {
    OffsetMap::new().with("filename", file.display().to_string())
}

/// A started source task over `config` with the given committed offsets.
pub async fn start_source(
    config: RawConfig,
    offsets: &MemoryOffsets,
) -> (FileStreamSourceTask, CancellationToken) {
    let cancel = CancellationToken::new();
    let ctx = SourceTaskContext::new(config.clone(), Arc::new(offsets.clone()), cancel.clone());
    let mut task = FileStreamSourceTask::new();
    task.start(ctx, config).await.unwrap();
    (task, cancel)
}

/// Polls until at least `n` records arrived (failing after 20 s).
pub async fn poll_until(task: &mut FileStreamSourceTask, n: usize) -> Vec<SourceRecord> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    while out.len() < n {
        assert!(Instant::now() < deadline, "only {} of {n} records arrived", out.len());
        out.extend(task.poll().await.unwrap());
    }
    out
}

pub fn values(records: &[SourceRecord]) -> Vec<String> {
    records.iter().map(|r| r.value().as_str().unwrap().to_string()).collect()
}

pub fn positions(records: &[SourceRecord]) -> Vec<i64> {
    records.iter().map(|r| r.source_offset().get_i64("position").unwrap()).collect()
}

/// Appends bytes to a file (creating it).
pub fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// A started sink task appending to `file`.
pub async fn start_sink(file: &Path) -> FileStreamSinkTask {
    let config = raw(&[("file", &file.display().to_string()), ("topics", "t")]);
    let ctx = SinkTaskContext::new(config.clone(), None, CancellationToken::new());
    let mut task = FileStreamSinkTask::new();
    task.start(ctx, config).await.unwrap();
    task
}

/// A sink record of topic `t`, partition 0, at `offset`.
pub fn sink_record(offset: i64, value: impl Into<connect_api::data::Value>) -> SinkRecord {
    SinkRecord::builder("t", 0, offset).value(None, value).build()
}
