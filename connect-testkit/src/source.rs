//! [`SourceTaskHarness`]: drives a [`SourceTask`] as the runtime does, without Kafka.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::context::SourceTaskContext;
use connect_api::record::{ConnectRecord, OffsetMap, RecordMetadata, SourceRecord, TopicPartition};
use connect_api::{ConnectError, Result, SourceTask};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::call::{DEFAULT_CALL_TIMEOUT, bounded};
use crate::offsets::InMemoryOffsetReader;

/// How long `poll_until` pauses after an empty batch or a retriable error before
/// polling again.
const POLL_PAUSE: Duration = Duration::from_millis(2);

/// Configures a [`SourceTaskHarness`] before starting it.
#[derive(Debug, Clone)]
#[must_use = "call start() to start the task"]
pub struct SourceHarnessBuilder {
    config: RawConfig,
    offsets: InMemoryOffsetReader,
    call_timeout: Duration,
}

impl SourceHarnessBuilder {
    /// Starts the task on `offsets` instead of an empty reader; the harness commits
    /// into it, so clones of it see the task's progress.
    pub fn offsets(mut self, offsets: InMemoryOffsetReader) -> Self {
        self.offsets = offsets;
        self
    }

    /// How long one call into the task (`start`, `poll`, `commit_record`, `commit`,
    /// `stop`) may take before the harness gives up on it with an error (default 10 s).
    pub fn call_timeout(mut self, limit: Duration) -> Self {
        self.call_timeout = limit;
        self
    }

    /// Starts `task` with the configuration, as the runtime does.
    pub async fn start(self, task: Box<dyn SourceTask>) -> Result<SourceTaskHarness> {
        let mut harness = SourceTaskHarness {
            task: None,
            config: self.config,
            offsets: self.offsets,
            cancel: CancellationToken::new(),
            call_timeout: self.call_timeout,
            unacknowledged: Vec::new(),
            acknowledged: Vec::new(),
            next_kafka_offsets: BTreeMap::new(),
            poll_retries: 0,
        };
        harness.launch(task).await?;
        Ok(harness)
    }
}

/// Drives a [`SourceTask`] the way the runtime does, with an in-memory "Kafka" and an
/// [`InMemoryOffsetReader`] as offset store.
///
/// - [`poll`](Self::poll) / [`poll_until`](Self::poll_until) call the task's `poll`;
///   records polled are *unacknowledged* until the next [`commit`](Self::commit).
/// - [`commit`](Self::commit) acts as the runtime once Kafka acknowledged everything
///   polled: `commit_record` for each record, then the latest source offset of each
///   source partition stored in the offset reader, then the task's `commit`.
/// - [`restart`](Self::restart) and [`restart_after_crash`](Self::restart_after_crash)
///   replace the task with a fresh instance on the same committed offsets.
///
/// Every call into the task is bounded in time, so a hanging task fails the test with
/// an error naming the call. Errors the task returns are passed through unchanged.
///
/// ```
/// # use async_trait::async_trait;
/// # use connect_api::config::RawConfig;
/// # use connect_api::context::SourceTaskContext;
/// # use connect_api::data::{Schema, Value};
/// # use connect_api::record::{OffsetMap, SourceRecord};
/// # use connect_api::{Result, SourceTask};
/// # #[derive(Default)]
/// # struct Counter { next: i64 }
/// # #[async_trait]
/// # impl SourceTask for Counter {
/// #     async fn start(&mut self, ctx: SourceTaskContext, _c: RawConfig) -> Result<()> {
/// #         let p = OffsetMap::new().with("counter", "main");
/// #         let o = ctx.offset_storage_reader().offset(&p).await?;
/// #         self.next = o.and_then(|o| o.get_i64("n")).map_or(0, |n| n + 1);
/// #         Ok(())
/// #     }
/// #     async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
/// #         self.next += 1;
/// #         Ok(vec![SourceRecord::builder("numbers")
/// #             .source_partition(OffsetMap::new().with("counter", "main"))
/// #             .source_offset(OffsetMap::new().with("n", self.next - 1))
/// #             .value(Some(Schema::int64()), Value::Int64(self.next - 1))
/// #             .build()])
/// #     }
/// #     async fn stop(&mut self) -> Result<()> { Ok(()) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use connect_api::record::ConnectRecord;
/// use connect_testkit::SourceTaskHarness;
///
/// let mut harness = SourceTaskHarness::start(Box::new(Counter::default()), RawConfig::new()).await?;
/// harness.poll_until(3, Duration::from_secs(1)).await?; // n = 0, 1, 2
/// harness.commit().await?;                              // n = 2 is committed
/// harness.restart(Box::new(Counter::default())).await?; // a fresh task on the same offsets
/// let next = harness.poll_until(1, Duration::from_secs(1)).await?;
/// assert_eq!(next[0].value(), &Value::Int64(3));
/// harness.stop().await?;
/// # Ok::<(), connect_api::ConnectError>(())
/// # }).unwrap();
/// ```
pub struct SourceTaskHarness {
    task: Option<Box<dyn SourceTask>>,
    config: RawConfig,
    offsets: InMemoryOffsetReader,
    cancel: CancellationToken,
    call_timeout: Duration,
    unacknowledged: Vec<SourceRecord>,
    acknowledged: Vec<(SourceRecord, RecordMetadata)>,
    next_kafka_offsets: BTreeMap<TopicPartition, i64>,
    poll_retries: usize,
}

impl SourceTaskHarness {
    /// A builder, for a harness on given offsets or with another call timeout.
    pub fn builder(config: RawConfig) -> SourceHarnessBuilder {
        SourceHarnessBuilder {
            config,
            offsets: InMemoryOffsetReader::new(),
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// Starts `task` with `config` and no committed offsets.
    pub async fn start(task: Box<dyn SourceTask>, config: RawConfig) -> Result<Self> {
        Self::builder(config).start(task).await
    }

    /// Starts `task` with `config` on the committed offsets in `offsets`.
    pub async fn start_with_offsets(
        task: Box<dyn SourceTask>,
        config: RawConfig,
        offsets: InMemoryOffsetReader,
    ) -> Result<Self> {
        Self::builder(config).offsets(offsets).start(task).await
    }

    async fn launch(&mut self, mut task: Box<dyn SourceTask>) -> Result<()> {
        self.cancel = CancellationToken::new();
        let context = SourceTaskContext::new(
            self.config.clone(),
            self.offsets.as_reader(),
            self.cancel.clone(),
        );
        let started = task.start(context, self.config.clone());
        bounded(self.call_timeout, "SourceTask::start", started).await?;
        self.task = Some(task);
        Ok(())
    }

    fn running(&mut self) -> Result<&mut Box<dyn SourceTask>> {
        self.task.as_mut().ok_or_else(|| {
            ConnectError::conflict(
                "SourceTaskHarness: no task is running (it was stopped, or a restart failed)",
            )
        })
    }

    /// Calls the task's `poll` once and returns its batch (possibly empty); the
    /// records become unacknowledged. Errors, retriable ones included, are returned
    /// as the task gave them.
    pub async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let limit = self.call_timeout;
        let task = self.running()?;
        let batch = bounded(limit, "SourceTask::poll", task.poll()).await?;
        self.unacknowledged.extend(batch.iter().cloned());
        Ok(batch)
    }

    /// Polls as the runtime does until at least `count` records arrived, and returns
    /// all records polled by this call (the last batch may take it past `count`).
    ///
    /// Empty batches and retriable errors lead to another poll (see
    /// [`poll_retries`](Self::poll_retries)); any other error is returned at once.
    /// When `timeout` passes first, fails with an error saying how many records came;
    /// a `poll` still running then is dropped, as `poll` must be cancel-safe.
    pub async fn poll_until(
        &mut self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<SourceRecord>> {
        let deadline = Instant::now() + timeout;
        let mut got: Vec<SourceRecord> = Vec::new();
        let (mut polls, mut empty, mut retries) = (0usize, 0usize, 0usize);
        while got.len() < count {
            let now = Instant::now();
            let late = now >= deadline;
            let outcome = if late {
                None
            } else {
                let task = self.running()?;
                polls += 1;
                tokio::time::timeout(deadline - now, task.poll()).await.ok()
            };
            let Some(result) = outcome else {
                return Err(ConnectError::fatal(format!(
                    "SourceTaskHarness::poll_until: wanted {count} record(s) within {timeout:?} \
                     but got {} ({polls} poll call(s): {empty} empty batch(es), {retries} \
                     retriable error(s){})",
                    got.len(),
                    if late { "" } else { ", the last call was still running" }
                )));
            };
            match result {
                Ok(batch) if batch.is_empty() => {
                    empty += 1;
                    tokio::time::sleep(POLL_PAUSE).await;
                }
                Ok(batch) => {
                    self.unacknowledged.extend(batch.iter().cloned());
                    got.extend(batch);
                    tokio::task::yield_now().await;
                }
                Err(error) if error.is_retriable() => {
                    retries += 1;
                    self.poll_retries += 1;
                    tokio::time::sleep(POLL_PAUSE).await;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(got)
    }

    /// Acts as the runtime once Kafka acknowledged every record polled so far:
    ///
    /// 1. calls `commit_record` for each record (unless the task's `uses_commit_record`
    ///    says `false`), in poll order, with the metadata
    ///    Kafka would report: the record's topic, its Kafka partition (0 when the
    ///    record leaves the choice to the producer), the next offset of that topic
    ///    partition in the harness's log, and the record's timestamp;
    /// 2. stores in the offset reader, for each source partition, the source offset of
    ///    the latest acknowledged record of that partition;
    /// 3. calls the task's `commit`.
    ///
    /// Returns the offsets stored by this commit. Like the runtime, it goes on after a
    /// failing `commit_record` (the records are in Kafka whatever the task says) and
    /// returns the first error at the end.
    pub async fn commit(&mut self) -> Result<BTreeMap<OffsetMap, OffsetMap>> {
        let limit = self.call_timeout;
        let Some(task) = self.task.as_mut() else {
            return Err(ConnectError::conflict("SourceTaskHarness: no task is running to commit"));
        };
        let records = std::mem::take(&mut self.unacknowledged);
        let mut first_error = None;
        let mut latest = BTreeMap::new();
        for record in records {
            let tp = TopicPartition::new(record.topic(), record.kafka_partition().unwrap_or(0));
            let next = self.next_kafka_offsets.entry(tp.clone()).or_insert(0);
            let metadata = RecordMetadata {
                topic: tp.topic,
                partition: tp.partition,
                offset: *next,
                timestamp: record.timestamp(),
            };
            *next += 1;
            // As the runtime: no call for a task that says it has no use for them.
            if task.uses_commit_record() {
                let acked = task.commit_record(&record, Some(&metadata));
                if let Err(e) = bounded(limit, "SourceTask::commit_record", acked).await {
                    first_error.get_or_insert(e);
                }
            }
            latest.insert(record.source_partition().clone(), record.source_offset().clone());
            self.acknowledged.push((record, metadata));
        }
        for (partition, offset) in &latest {
            self.offsets.set_offset(partition.clone(), offset.clone());
        }
        let committed = bounded(limit, "SourceTask::commit", task.commit()).await;
        match (first_error, committed) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(latest),
        }
    }

    /// Every committed offset, by source partition.
    pub fn committed_offsets(&self) -> BTreeMap<OffsetMap, OffsetMap> {
        self.offsets.snapshot()
    }

    /// The offset reader the task reads from and the harness commits into.
    pub fn offset_reader(&self) -> &InMemoryOffsetReader {
        &self.offsets
    }

    /// The records polled since the last commit.
    pub fn unacknowledged(&self) -> &[SourceRecord] {
        &self.unacknowledged
    }

    /// Every record committed so far (across restarts), with the metadata passed to
    /// `commit_record`: what the topics now hold.
    pub fn acknowledged(&self) -> &[(SourceRecord, RecordMetadata)] {
        &self.acknowledged
    }

    /// How many retriable `poll` errors [`poll_until`](Self::poll_until) absorbed.
    pub fn poll_retries(&self) -> usize {
        self.poll_retries
    }

    /// The cancellation token of the running task's context.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether a task is running (started and not stopped).
    pub fn is_running(&self) -> bool {
        self.task.is_some()
    }

    /// Stops the task as the runtime does: fires its cancellation token, then calls
    /// `stop`. Records polled since the last [`commit`](Self::commit) count as never
    /// acknowledged; their offsets are not committed. Stopping twice is a no-op.
    pub async fn stop(&mut self) -> Result<()> {
        self.cancel.cancel();
        self.unacknowledged.clear();
        match self.task.take() {
            Some(mut task) => bounded(self.call_timeout, "SourceTask::stop", task.stop()).await,
            None => Ok(()),
        }
    }

    /// Stops the running task (if any) and starts `task`, a fresh instance, with the
    /// same configuration on the same committed offsets: what a task sees after a
    /// graceful restart.
    pub async fn restart(&mut self, task: Box<dyn SourceTask>) -> Result<()> {
        self.stop().await?;
        self.launch(task).await
    }

    /// Drops the running task without calling `stop` (its token fires, as its worker
    /// would be gone) and starts `task` on the same committed offsets: what a task sees
    /// after a crash. Unacknowledged records are lost, so a correct task polls them
    /// again.
    pub async fn restart_after_crash(&mut self, task: Box<dyn SourceTask>) -> Result<()> {
        self.cancel.cancel();
        self.unacknowledged.clear();
        drop(self.task.take());
        self.launch(task).await
    }
}

impl Drop for SourceTaskHarness {
    fn drop(&mut self) {
        // Background work the task spawned should end with the test.
        self.cancel.cancel();
    }
}

impl std::fmt::Debug for SourceTaskHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceTaskHarness")
            .field("running", &self.task.is_some())
            .field("unacknowledged", &self.unacknowledged.len())
            .field("acknowledged", &self.acknowledged.len())
            .field("offsets", &self.offsets)
            .finish()
    }
}
