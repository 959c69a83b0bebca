//! Fault injection: [`FlakySinkTask`] and [`FlakySourceTask`] wrap a task and fail its
//! `put` / `poll` a given number of times before delegating, so tests can check how the
//! task and the runtime's policy cope with retriable and fatal errors.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::{SinkTaskContext, SourceTaskContext};
use connect_api::record::{
    OffsetAndMetadata, RecordMetadata, SinkRecord, SourceRecord, TopicPartition,
};
use connect_api::{ConnectError, Result, SinkTask, SourceTask};

/// The kind of error a flaky adapter injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A retriable error: the runtime delivers (or polls) again.
    Retriable,
    /// A fatal error: the runtime fails the task.
    Fatal,
}

impl Fault {
    fn error(self, call: &str, n: u32) -> ConnectError {
        let message = format!("injected fault #{n} in {call}");
        match self {
            Fault::Retriable => ConnectError::retriable(message),
            Fault::Fatal => ConnectError::fatal(message),
        }
    }
}

/// Counters of a flaky adapter, shared with it so a test can read them after the
/// adapter was boxed and handed to a harness.
#[derive(Debug, Clone, Default)]
pub struct FaultStats {
    injected: Arc<AtomicU32>,
    delegated: Arc<AtomicU32>,
}

impl FaultStats {
    /// How many faults were injected so far.
    pub fn injected(&self) -> u32 {
        self.injected.load(Ordering::SeqCst)
    }

    /// How many `put` / `poll` calls reached the wrapped task.
    pub fn delegated(&self) -> u32 {
        self.delegated.load(Ordering::SeqCst)
    }

    /// Counts an injection and returns its number (from 1).
    fn inject(&self) -> u32 {
        self.injected.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn delegate(&self) {
        self.delegated.fetch_add(1, Ordering::SeqCst);
    }
}

/// A [`SinkTask`] that fails `put` the first `times` calls, then behaves as the task it
/// wraps. Every other method is delegated unchanged.
///
/// By default a failing `put` does not reach the wrapped task (the write never
/// happened). With [`after_delegating`](Self::after_delegating) the wrapped task writes
/// the batch and the error comes after, as when a write succeeded but its
/// acknowledgement was lost: redelivery then shows whether the task's writes are
/// idempotent.
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
/// use connect_testkit::{FlakySinkTask, SinkRecords, SinkTaskHarness, partitions_of};
///
/// let flaky = FlakySinkTask::retriable(Box::new(Discard), 2);
/// let stats = flaky.stats();
/// let records = SinkRecords::new("orders", 0).strings(["a"]);
/// let mut harness = SinkTaskHarness::start(Box::new(flaky), RawConfig::new()).await?;
/// harness.assign(partitions_of(&records)).await?;
/// harness.put(&records).await?;
/// assert_eq!(harness.last_put_attempts(), 3);
/// assert_eq!((stats.injected(), stats.delegated()), (2, 1));
/// # Ok::<(), connect_api::ConnectError>(())
/// # }).unwrap();
/// ```
pub struct FlakySinkTask {
    inner: Box<dyn SinkTask>,
    fault: Fault,
    remaining: u32,
    after_delegating: bool,
    timeout: Option<Duration>,
    context: Option<SinkTaskContext>,
    stats: FaultStats,
}

impl FlakySinkTask {
    /// Wraps `inner`, failing its first `times` `put` calls with `fault`.
    pub fn new(inner: Box<dyn SinkTask>, fault: Fault, times: u32) -> Self {
        FlakySinkTask {
            inner,
            fault,
            remaining: times,
            after_delegating: false,
            timeout: None,
            context: None,
            stats: FaultStats::default(),
        }
    }

    /// Fails the first `times` `put` calls with a retriable error.
    pub fn retriable(inner: Box<dyn SinkTask>, times: u32) -> Self {
        Self::new(inner, Fault::Retriable, times)
    }

    /// Fails the first `times` `put` calls with a fatal error.
    pub fn fatal(inner: Box<dyn SinkTask>, times: u32) -> Self {
        Self::new(inner, Fault::Fatal, times)
    }

    /// Lets each failing `put` reach the wrapped task first, and fails after it.
    #[must_use]
    pub fn after_delegating(mut self) -> Self {
        self.after_delegating = true;
        self
    }

    /// Before each injected error, asks the runtime (through the context) to wait
    /// `timeout` before redelivering, as a task that knows its backend's back-off does.
    #[must_use]
    pub fn requesting_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The adapter's counters.
    pub fn stats(&self) -> FaultStats {
        self.stats.clone()
    }
}

#[async_trait]
impl SinkTask for FlakySinkTask {
    fn version(&self) -> String {
        self.inner.version()
    }

    async fn start(&mut self, context: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.context = Some(context.clone());
        self.inner.start(context, config).await
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.open(partitions).await
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        if self.remaining == 0 {
            self.stats.delegate();
            return self.inner.put(records).await;
        }
        if self.after_delegating {
            self.stats.delegate();
            self.inner.put(records).await?;
        }
        self.remaining -= 1;
        if let (Some(timeout), Some(context)) = (self.timeout, &self.context) {
            context.timeout(timeout);
        }
        Err(self.fault.error("SinkTask::put", self.stats.inject()))
    }

    async fn flush(&mut self, offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        self.inner.flush(offsets).await
    }

    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        self.inner.pre_commit(offsets).await
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.close(partitions).await
    }

    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}

/// A [`SourceTask`] that fails `poll` the first `times` calls (without reaching the
/// task it wraps), then behaves as the wrapped task. Every other method is delegated
/// unchanged.
///
/// ```
/// # use async_trait::async_trait;
/// # use connect_api::config::RawConfig;
/// # use connect_api::context::SourceTaskContext;
/// # use connect_api::record::SourceRecord;
/// # use connect_api::{Result, SourceTask};
/// # struct One;
/// # #[async_trait]
/// # impl SourceTask for One {
/// #     async fn start(&mut self, _: SourceTaskContext, _: RawConfig) -> Result<()> { Ok(()) }
/// #     async fn poll(&mut self) -> Result<Vec<SourceRecord>> { Ok(vec![SourceRecord::builder("t").build()]) }
/// #     async fn stop(&mut self) -> Result<()> { Ok(()) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use connect_testkit::{FlakySourceTask, SourceTaskHarness};
///
/// let mut harness = SourceTaskHarness::start(
///     Box::new(FlakySourceTask::retriable(Box::new(One), 2)),
///     RawConfig::new(),
/// ).await?;
/// harness.poll_until(1, Duration::from_secs(1)).await?;
/// assert_eq!(harness.poll_retries(), 2);
/// # Ok::<(), connect_api::ConnectError>(())
/// # }).unwrap();
/// ```
pub struct FlakySourceTask {
    inner: Box<dyn SourceTask>,
    fault: Fault,
    remaining: u32,
    stats: FaultStats,
}

impl FlakySourceTask {
    /// Wraps `inner`, failing its first `times` `poll` calls with `fault`.
    pub fn new(inner: Box<dyn SourceTask>, fault: Fault, times: u32) -> Self {
        FlakySourceTask { inner, fault, remaining: times, stats: FaultStats::default() }
    }

    /// Fails the first `times` `poll` calls with a retriable error.
    pub fn retriable(inner: Box<dyn SourceTask>, times: u32) -> Self {
        Self::new(inner, Fault::Retriable, times)
    }

    /// Fails the first `times` `poll` calls with a fatal error.
    pub fn fatal(inner: Box<dyn SourceTask>, times: u32) -> Self {
        Self::new(inner, Fault::Fatal, times)
    }

    /// The adapter's counters.
    pub fn stats(&self) -> FaultStats {
        self.stats.clone()
    }
}

#[async_trait]
impl SourceTask for FlakySourceTask {
    fn version(&self) -> String {
        self.inner.version()
    }

    async fn start(&mut self, context: SourceTaskContext, config: RawConfig) -> Result<()> {
        self.inner.start(context, config).await
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.remaining == 0 {
            self.stats.delegate();
            return self.inner.poll().await;
        }
        self.remaining -= 1;
        Err(self.fault.error("SourceTask::poll", self.stats.inject()))
    }

    async fn commit(&mut self) -> Result<()> {
        self.inner.commit().await
    }

    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> Result<()> {
        self.inner.commit_record(record, metadata).await
    }

    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}
