//! Tasks: [`SourceTask`] and [`SinkTask`], the units that copy data.
//!
//! One runtime task drives each task instance, so every method takes `&mut self` and
//! none is called concurrently with another.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::config::RawConfig;
use crate::context::{SinkTaskContext, SourceTaskContext};
use crate::error::Result;
use crate::record::{OffsetAndMetadata, RecordMetadata, SinkRecord, SourceRecord, TopicPartition};

/// A task that reads from another system and returns [`SourceRecord`]s.
///
/// Delivery contract: the runtime commits a record's source offset only after Kafka
/// acknowledged that record and every earlier record of the same source partition, so
/// after a crash the task resumes from the last committed offset (at least once).
#[async_trait]
pub trait SourceTask: Send + 'static {
    /// The task's version.
    fn version(&self) -> String {
        String::from("unknown")
    }

    /// Starts the task: open resources and look up the committed offsets through
    /// [`SourceTaskContext::offset_storage_reader`] to resume.
    async fn start(&mut self, context: SourceTaskContext, config: RawConfig) -> Result<()>;

    /// Returns the next records, or an empty batch when nothing is available yet.
    ///
    /// Must be cancel-safe: the runtime may drop the future when the task stops, and a
    /// dropped `poll` must not lose input (records not returned are read again by the
    /// next call). Should not wait long without returning; a task that waits for input
    /// should also watch [`SourceTaskContext::cancellation`].
    /// A [retriable](crate::ConnectError::is_retriable) error makes the runtime call
    /// `poll` again; any other error fails the task.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>>;

    /// Called after the runtime committed the offsets of acknowledged records.
    async fn commit(&mut self) -> Result<()> {
        Ok(())
    }

    /// Whether the task wants [`commit_record`](SourceTask::commit_record) calls. When
    /// `false`, the runtime keeps only each record's source partition and offset until
    /// Kafka acknowledges it (not the record itself), hands the record to the
    /// transformations without copying it, and never calls `commit_record`: override it
    /// to return `false` when `commit_record` is not overridden. The transformations
    /// then see the record without its source offset (the runtime has taken it out).
    /// Asked once, when the
    /// task is created and before [`start`](SourceTask::start). Defaults to `true`, as
    /// Kafka calls `commitRecord` for every record.
    fn uses_commit_record(&self) -> bool {
        true
    }

    /// Called for each record once Kafka acknowledged it (`metadata` is `None` when a
    /// transformation dropped the record or it was tolerated as an error), unless
    /// [`uses_commit_record`](SourceTask::uses_commit_record) returns `false`. The record
    /// is the one `poll` returned, before any transformation.
    async fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> Result<()> {
        Ok(())
    }

    /// Stops the task and frees its resources.
    async fn stop(&mut self) -> Result<()>;
}

/// A task that writes [`SinkRecord`]s to another system.
///
/// Delivery contract: the runtime commits a partition's consumer offset only up to what
/// [`pre_commit`](SinkTask::pre_commit) returned, so records written but not flushed are
/// delivered again after a crash.
#[async_trait]
pub trait SinkTask: Send + 'static {
    /// The task's version.
    fn version(&self) -> String {
        String::from("unknown")
    }

    /// Starts the task.
    async fn start(&mut self, context: SinkTaskContext, config: RawConfig) -> Result<()>;

    /// Partitions newly assigned to this task (at start and after a rebalance).
    async fn open(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    /// Writes (or buffers) a batch. A [retriable](crate::ConnectError::is_retriable)
    /// error makes the runtime deliver the same batch again after the context's
    /// timeout; any other error fails the task.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()>;

    /// Writes everything buffered so far (Kafka's `flush`); called by the default
    /// [`pre_commit`](SinkTask::pre_commit).
    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        Ok(())
    }

    /// Before the runtime commits consumer offsets: given the offsets of everything
    /// delivered, returns the offsets that are safe to commit. The default flushes and
    /// returns them unchanged; a task that commits its own progress elsewhere returns
    /// less (or nothing).
    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        self.flush(&offsets).await?;
        Ok(offsets)
    }

    /// Partitions taken from this task (before a rebalance and at stop).
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    /// Stops the task and frees its resources.
    async fn stop(&mut self) -> Result<()>;
}
