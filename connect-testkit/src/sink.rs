//! [`SinkTaskHarness`]: drives a [`SinkTask`] as the runtime does, without Kafka.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result, SinkTask};
use tokio_util::sync::CancellationToken;

use crate::call::{DEFAULT_CALL_TIMEOUT, bounded};
use crate::context::RecordingErrantReporter;

/// Configures a [`SinkTaskHarness`] before starting it.
#[derive(Debug, Clone)]
#[must_use = "call start() to start the task"]
pub struct SinkHarnessBuilder {
    config: RawConfig,
    max_attempts: u32,
    retry_wait: Duration,
    reporter: Option<RecordingErrantReporter>,
    call_timeout: Duration,
}

impl SinkHarnessBuilder {
    /// How many times [`put`](SinkTaskHarness::put) delivers a batch that keeps failing
    /// with retriable errors before it gives up (default 5; at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// How long to wait before redelivering a batch when the task did not ask for a
    /// timeout through its context (default 10 ms).
    pub fn default_retry_wait(mut self, wait: Duration) -> Self {
        self.retry_wait = wait;
        self
    }

    /// Uses `reporter` as the errant record reporter (by default the harness makes
    /// one; see [`SinkTaskHarness::errant_reporter`]).
    pub fn errant_reporter(mut self, reporter: RecordingErrantReporter) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// Gives the task no errant record reporter, as when the connector's `errors.*`
    /// settings enable none.
    pub fn without_errant_reporter(mut self) -> Self {
        self.reporter = None;
        self
    }

    /// How long one call into the task may take before the harness gives up on it
    /// with an error (default 10 s).
    pub fn call_timeout(mut self, limit: Duration) -> Self {
        self.call_timeout = limit;
        self
    }

    /// Starts `task` with the configuration, as the runtime does. No partition is
    /// assigned yet: call [`assign`](SinkTaskHarness::assign) next.
    pub async fn start(self, mut task: Box<dyn SinkTask>) -> Result<SinkTaskHarness> {
        let cancel = CancellationToken::new();
        let context = SinkTaskContext::new(
            self.config.clone(),
            self.reporter.as_ref().map(RecordingErrantReporter::as_reporter),
            cancel.clone(),
        );
        let started = task.start(context.clone(), self.config);
        bounded(self.call_timeout, "SinkTask::start", started).await?;
        let mut harness = SinkTaskHarness {
            task: Some(task),
            context,
            cancel,
            reporter: self.reporter,
            call_timeout: self.call_timeout,
            max_attempts: self.max_attempts,
            retry_wait: self.retry_wait,
            positions: BTreeMap::new(),
            committed: BTreeMap::new(),
            seeks: BTreeMap::new(),
            waits: Vec::new(),
            last_put_attempts: 0,
            put_attempts: 0,
            failed: None,
        };
        harness.absorb_seeks();
        Ok(harness)
    }
}

/// Drives a [`SinkTask`] the way the runtime does, standing in for the Kafka consumer.
///
/// - [`assign`](Self::assign) / [`revoke`](Self::revoke) change the assignment and call
///   `open` / `close` (revoking commits first, as a rebalance does).
/// - [`put`](Self::put) delivers a batch with the runtime's retry policy: after a
///   retriable error it waits the timeout the task asked for through its context (or a
///   short default) and delivers the *same* batch again, up to a number of attempts;
///   nothing is committed in between, and the batch's offsets count as delivered only
///   once a delivery succeeded. Any other error fails the task, as the runtime's
///   `WorkerSinkTask` does: it is returned at once, every later call but
///   [`stop`](Self::stop) is refused, and `stop` commits nothing (see
///   [`failure`](Self::failure)).
/// - Seeks the task asks for through `SinkTaskContext::offset` are taken after every
///   call, recorded ([`requested_seeks`](Self::requested_seeks)) and move the
///   consumer position, as the runtime's rewind does; the test delivers from there.
/// - [`commit`](Self::commit) calls `pre_commit` with the position of each assigned
///   partition (one past the last record delivered) and keeps what the task returned.
///
/// Errors the task returns are passed through unchanged; every call into the task is
/// bounded in time.
///
/// ```
/// # use async_trait::async_trait;
/// # use connect_api::config::RawConfig;
/// # use connect_api::context::SinkTaskContext;
/// # use connect_api::record::SinkRecord;
/// # use connect_api::{Result, SinkTask};
/// # struct Discard;
/// # #[async_trait]
/// # impl SinkTask for Discard {
/// #     async fn start(&mut self, _: SinkTaskContext, _: RawConfig) -> Result<()> { Ok(()) }
/// #     async fn put(&mut self, _: &[SinkRecord]) -> Result<()> { Ok(()) }
/// #     async fn stop(&mut self) -> Result<()> { Ok(()) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use connect_api::record::{OffsetAndMetadata, TopicPartition};
/// use connect_testkit::{SinkRecords, SinkTaskHarness};
///
/// let mut orders = SinkRecords::new("orders", 0);
/// let mut harness = SinkTaskHarness::start(Box::new(Discard), RawConfig::new()).await?;
/// harness.assign([orders.topic_partition()]).await?;
/// harness.put(&orders.strings(["a", "b", "c"])).await?;
/// let committed = harness.commit().await?;
/// assert_eq!(committed[&TopicPartition::new("orders", 0)], OffsetAndMetadata::new(3));
/// harness.stop().await?;
/// # Ok::<(), connect_api::ConnectError>(())
/// # }).unwrap();
/// ```
pub struct SinkTaskHarness {
    task: Option<Box<dyn SinkTask>>,
    context: SinkTaskContext,
    cancel: CancellationToken,
    reporter: Option<RecordingErrantReporter>,
    call_timeout: Duration,
    max_attempts: u32,
    retry_wait: Duration,
    positions: BTreeMap<TopicPartition, i64>,
    committed: BTreeMap<TopicPartition, OffsetAndMetadata>,
    seeks: BTreeMap<TopicPartition, i64>,
    waits: Vec<Duration>,
    last_put_attempts: u32,
    put_attempts: u32,
    /// The trace of the non-retriable error that failed the task, once one did.
    failed: Option<String>,
}

impl SinkTaskHarness {
    /// A builder, to set the retry policy, the errant reporter or the call timeout.
    pub fn builder(config: RawConfig) -> SinkHarnessBuilder {
        SinkHarnessBuilder {
            config,
            max_attempts: 5,
            retry_wait: Duration::from_millis(10),
            reporter: Some(RecordingErrantReporter::new()),
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// Starts `task` with `config` and the default policy.
    pub async fn start(task: Box<dyn SinkTask>, config: RawConfig) -> Result<Self> {
        Self::builder(config).start(task).await
    }

    fn running(&mut self) -> Result<&mut Box<dyn SinkTask>> {
        if let Some(trace) = &self.failed {
            return Err(ConnectError::conflict(format!(
                "SinkTaskHarness: the task failed and gets nothing more but `stop`: {trace}"
            )));
        }
        self.task
            .as_mut()
            .ok_or_else(|| ConnectError::conflict("SinkTaskHarness: the task was stopped"))
    }

    /// Takes the seeks the task asked for, recording them and moving the positions.
    fn absorb_seeks(&mut self) {
        for (tp, offset) in self.context.take_offsets() {
            self.positions.insert(tp.clone(), offset);
            self.seeks.insert(tp, offset);
        }
    }

    /// Adds `partitions` to the assignment and calls `open` with those not assigned
    /// before (the context shows the whole assignment during `open`).
    pub async fn assign(
        &mut self,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Result<()> {
        let mut assignment = self.context.assignment();
        let mut added = Vec::new();
        for tp in partitions {
            if !assignment.contains(&tp) && !added.contains(&tp) {
                added.push(tp);
            }
        }
        assignment.extend(added.iter().cloned());
        self.context.set_assignment(assignment);
        let limit = self.call_timeout;
        let task = self.running()?;
        let opened = bounded(limit, "SinkTask::open", task.open(&added)).await;
        self.absorb_seeks();
        opened
    }

    /// Takes `partitions` from the task as a rebalance does: commits their offsets
    /// (`pre_commit` with just those partitions), calls `close`, then removes them from
    /// the assignment. Partitions not assigned are ignored.
    pub async fn revoke(
        &mut self,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Result<()> {
        let assigned = self.context.assignment();
        let mut revoked: Vec<TopicPartition> = Vec::new();
        for tp in partitions {
            if assigned.contains(&tp) && !revoked.contains(&tp) {
                revoked.push(tp);
            }
        }
        if revoked.is_empty() {
            return Ok(());
        }
        let committed = self.commit_partitions(&revoked).await;
        let limit = self.call_timeout;
        let task = self.running()?;
        let closed = bounded(limit, "SinkTask::close", task.close(&revoked)).await;
        self.context.set_assignment(assigned.into_iter().filter(|tp| !revoked.contains(tp)));
        for tp in &revoked {
            self.positions.remove(tp);
        }
        committed.and(closed)
    }

    /// The partitions assigned now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.context.assignment()
    }

    /// Delivers `records` with the runtime's retry policy.
    ///
    /// On a retriable error the harness waits the timeout the task set with
    /// `SinkTaskContext::timeout` (or the default retry wait) and delivers the same
    /// batch again, until it succeeds or the attempts run out (then the last error is
    /// returned, its message saying how many attempts were made). A non-retriable error
    /// is returned at once and fails the task (see [`failure`](Self::failure)).
    /// [`last_put_attempts`](Self::last_put_attempts) tells how
    /// many deliveries were made.
    ///
    /// Every record must belong to an assigned partition (see
    /// [`partitions_of`](crate::partitions_of)); the runtime never delivers others.
    /// Pauses are not enforced: the test decides what to deliver, and can look at
    /// `context().paused_partitions()` to follow the task's wishes.
    pub async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        self.put_with_hook(records, async |_| {}).await
    }

    /// Like [`put`](Self::put), calling `before_redelivery(n)` before the `n`th
    /// redelivery of the batch (from 1), after the retry wait: where a test ends the
    /// outage that made the task's `put` fail, as a database that comes back does.
    pub async fn put_with_hook(
        &mut self,
        records: &[SinkRecord],
        mut before_redelivery: impl AsyncFnMut(u32),
    ) -> Result<()> {
        let assigned = self.context.assignment();
        if let Some(stray) =
            records.iter().find(|r| !assigned.contains(&r.original_topic_partition()))
        {
            return Err(ConnectError::conflict(format!(
                "SinkTaskHarness::put: the record at offset {} of {} belongs to a partition \
                 that is not assigned; call assign first",
                stray.original_kafka_offset(),
                stray.original_topic_partition()
            )));
        }
        self.last_put_attempts = 0;
        loop {
            let limit = self.call_timeout;
            let task = self.running()?;
            let result = bounded(limit, "SinkTask::put", task.put(records)).await;
            self.last_put_attempts += 1;
            self.put_attempts += 1;
            if result.is_ok() {
                for record in records {
                    self.positions.insert(
                        record.original_topic_partition(),
                        record.original_kafka_offset() + 1,
                    );
                }
            }
            // The runtime rewinds before the next delivery, so a seek asked for during
            // this put wins over the position the batch reached.
            let wait = self.context.take_timeout();
            self.absorb_seeks();
            match result {
                Ok(()) => return Ok(()),
                Err(error)
                    if error.is_retriable() && self.last_put_attempts < self.max_attempts =>
                {
                    let wait = wait.unwrap_or(self.retry_wait);
                    self.waits.push(wait);
                    tokio::time::sleep(wait).await;
                    before_redelivery(self.last_put_attempts).await;
                }
                Err(error) if error.is_retriable() => {
                    return Err(error.context(format!(
                        "SinkTaskHarness::put gave up after {} attempts",
                        self.last_put_attempts
                    )));
                }
                Err(error) => {
                    self.failed = Some(error.trace());
                    return Err(error);
                }
            }
        }
    }

    /// How many times the last [`put`](Self::put) delivered its batch.
    pub fn last_put_attempts(&self) -> u32 {
        self.last_put_attempts
    }

    /// How many deliveries all `put`s made in all.
    pub fn put_attempts(&self) -> u32 {
        self.put_attempts
    }

    /// How long the harness waited before each redelivery, in order.
    pub fn retry_waits(&self) -> &[Duration] {
        &self.waits
    }

    /// The seeks the task asked for so far, the latest per partition.
    pub fn requested_seeks(&self) -> &BTreeMap<TopicPartition, i64> {
        &self.seeks
    }

    /// Returns and forgets the seeks recorded so far.
    pub fn take_requested_seeks(&mut self) -> BTreeMap<TopicPartition, i64> {
        std::mem::take(&mut self.seeks)
    }

    /// The consumer position of a partition: one past the last record delivered, or
    /// where the task last seeked to. `None` before either happened.
    pub fn position(&self, partition: &TopicPartition) -> Option<i64> {
        self.positions.get(partition).copied()
    }

    /// Acts as the runtime's offset commit: calls `pre_commit` with the position of
    /// every assigned partition that has one, and keeps as committed what the task
    /// returned for assigned partitions (the runtime ignores the others). Returns what
    /// this commit committed.
    pub async fn commit(&mut self) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        let assigned = self.context.assignment();
        self.commit_partitions(&assigned).await
    }

    async fn commit_partitions(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        let offsets: HashMap<TopicPartition, OffsetAndMetadata> = partitions
            .iter()
            .filter_map(|tp| {
                self.positions.get(tp).map(|p| (tp.clone(), OffsetAndMetadata::new(*p)))
            })
            .collect();
        let limit = self.call_timeout;
        let task = self.running()?;
        let returned = bounded(limit, "SinkTask::pre_commit", task.pre_commit(offsets)).await;
        self.absorb_seeks();
        let done: BTreeMap<TopicPartition, OffsetAndMetadata> =
            returned?.into_iter().filter(|(tp, _)| partitions.contains(tp)).collect();
        self.committed.extend(done.iter().map(|(tp, o)| (tp.clone(), o.clone())));
        Ok(done)
    }

    /// Every offset committed so far, the latest per partition.
    pub fn committed_offsets(&self) -> &BTreeMap<TopicPartition, OffsetAndMetadata> {
        &self.committed
    }

    /// The task's context, to look at its assignment, pauses or commit requests.
    pub fn context(&self) -> &SinkTaskContext {
        &self.context
    }

    /// The errant record reporter the task was given, if any.
    pub fn errant_reporter(&self) -> Option<&RecordingErrantReporter> {
        self.reporter.as_ref()
    }

    /// Whether the task is running (started, not stopped and not failed).
    pub fn is_running(&self) -> bool {
        self.task.is_some() && self.failed.is_none()
    }

    /// The trace of the non-retriable error from `put` that failed the task, if one
    /// did. A failed task gets no more `put`, `pre_commit`, `open` or `close` from the
    /// harness until [`stop`](Self::stop), which commits nothing.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Closes the assigned partitions of a failed task, committing nothing.
    async fn close_failed(&mut self) -> Result<()> {
        let assigned = self.context.assignment();
        let limit = self.call_timeout;
        let Some(task) = self.task.as_mut() else {
            return Ok(());
        };
        let closed = bounded(limit, "SinkTask::close", task.close(&assigned)).await;
        self.context.set_assignment(Vec::new());
        self.positions.clear();
        closed
    }

    /// Stops the task as the runtime does: revokes every assigned partition (commit,
    /// then `close`), fires the cancellation token, then calls `stop`, even when the
    /// revoke failed. Returns the first error. Stopping twice is a no-op.
    ///
    /// A [failed](Self::failure) task is stopped as the runtime stops one: `close`
    /// with every assigned partition and `stop`, without `pre_commit` or any commit.
    pub async fn stop(&mut self) -> Result<()> {
        if self.task.is_none() {
            return Ok(());
        }
        let revoked = if self.failed.is_some() {
            self.close_failed().await
        } else {
            self.revoke(self.context.assignment()).await
        };
        self.cancel.cancel();
        let stopped = match self.task.take() {
            Some(mut task) => bounded(self.call_timeout, "SinkTask::stop", task.stop()).await,
            None => Ok(()),
        };
        revoked.and(stopped)
    }
}

impl Drop for SinkTaskHarness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl std::fmt::Debug for SinkTaskHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkTaskHarness")
            .field("running", &self.task.is_some())
            .field("assignment", &self.context.assignment())
            .field("positions", &self.positions)
            .field("committed", &self.committed)
            .finish()
    }
}
