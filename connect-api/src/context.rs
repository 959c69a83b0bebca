//! The contexts the runtime hands to connectors and tasks: [`ConnectorContext`],
//! [`SourceTaskContext`] (with its [`OffsetStorageReader`]) and [`SinkTaskContext`].
//!
//! Contexts are concrete, cheaply cloned handles. The author-facing methods are what a
//! connector calls; the methods marked *for runtimes* are how the runtime (or the test
//! kit) feeds and reads them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::config::RawConfig;
use crate::error::{ConnectError, Result};
use crate::record::{OffsetMap, SinkRecord, TopicPartition};

/// What a connector asked of the runtime through its [`ConnectorContext`].
#[derive(Debug)]
pub enum ConnectorEvent {
    /// The connector's inputs changed; the runtime should ask for new task configs.
    TaskReconfigurationRequested,
    /// The connector hit an unrecoverable error in a background thread; the runtime
    /// marks it FAILED with this error's trace.
    ErrorRaised(ConnectError),
}

type EventSink = dyn Fn(ConnectorEvent) + Send + Sync;

/// The connector's handle on the runtime (Kafka's `ConnectorContext`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use connect_api::context::{ConnectorContext, ConnectorEvent};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let ctx = ConnectorContext::new(move |e| sink.lock().unwrap().push(format!("{e:?}")));
/// ctx.request_task_reconfiguration();
/// assert_eq!(seen.lock().unwrap().len(), 1);
/// ```
#[derive(Clone)]
pub struct ConnectorContext {
    events: Arc<EventSink>,
}

impl ConnectorContext {
    /// *For runtimes*: a context that hands each event to `on_event`.
    pub fn new(on_event: impl Fn(ConnectorEvent) + Send + Sync + 'static) -> Self {
        ConnectorContext { events: Arc::new(on_event) }
    }

    /// Asks the runtime to call `task_configs` again and restart the tasks with the
    /// result (for example when a table appeared or disappeared).
    pub fn request_task_reconfiguration(&self) {
        (self.events)(ConnectorEvent::TaskReconfigurationRequested);
    }

    /// Reports an unrecoverable error raised outside the runtime's calls into the
    /// connector; the runtime fails the connector with it.
    pub fn raise_error(&self, error: ConnectError) {
        (self.events)(ConnectorEvent::ErrorRaised(error));
    }
}

impl fmt::Debug for ConnectorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectorContext")
    }
}

/// Reads committed source offsets (Kafka's `OffsetStorageReader`).
///
/// Bulk reads are the primary operation; a store answers them in one round trip.
#[async_trait]
pub trait OffsetStorageReader: Send + Sync {
    /// The committed offsets of the given source partitions; partitions without an
    /// offset are absent from the result.
    async fn offsets(&self, partitions: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>>;

    /// The committed offset of one source partition.
    async fn offset(&self, partition: &OffsetMap) -> Result<Option<OffsetMap>> {
        let mut all = self.offsets(std::slice::from_ref(partition)).await?;
        Ok(all.remove(partition))
    }
}

/// What a source task gets from the runtime: its config, the offset reader, and the
/// cancellation token that fires when the task must stop.
#[derive(Clone)]
pub struct SourceTaskContext {
    config: RawConfig,
    offsets: Arc<dyn OffsetStorageReader>,
    cancel: CancellationToken,
    end_of_input: Arc<AtomicBool>,
}

impl SourceTaskContext {
    /// *For runtimes*: a context over a task config and an offset reader.
    pub fn new(
        config: RawConfig,
        offsets: Arc<dyn OffsetStorageReader>,
        cancel: CancellationToken,
    ) -> Self {
        SourceTaskContext {
            config,
            offsets,
            cancel,
            end_of_input: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The task's configuration.
    pub fn config(&self) -> &RawConfig {
        &self.config
    }

    /// The reader of committed offsets, to resume where the task left off.
    pub fn offset_storage_reader(&self) -> &Arc<dyn OffsetStorageReader> {
        &self.offsets
    }

    /// Fires when the task must stop; long waits in `poll` should select on it.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Says the task has returned everything its input holds (a file read to its
    /// end, a generator that produced its count, a table read once). A worker in
    /// bounded mode (`exit.on.source.eof=true`) stops once every source task said
    /// so and all their records were acknowledged and their offsets committed;
    /// otherwise this is informational, and a task may go on returning records if
    /// more input arrives.
    pub fn signal_end_of_input(&self) {
        self.end_of_input.store(true, Ordering::Release);
    }

    /// *For runtimes*: whether the task called [`signal_end_of_input`](Self::signal_end_of_input).
    pub fn is_end_of_input(&self) -> bool {
        self.end_of_input.load(Ordering::Acquire)
    }
}

impl fmt::Debug for SourceTaskContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceTaskContext")
            .field("keys", &self.config.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Sends records a sink task could not handle to the dead letter queue and error log
/// (Kafka's `ErrantRecordReporter`).
#[async_trait]
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record` as failed with `error`; completes once the report is durable.
    async fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<()>;
}

#[derive(Debug, Default)]
struct SinkState {
    assignment: BTreeSet<TopicPartition>,
    offsets: BTreeMap<TopicPartition, i64>,
    timeout: Option<Duration>,
    paused: BTreeSet<TopicPartition>,
    commit_requested: bool,
}

struct SinkShared {
    config: RawConfig,
    cancel: CancellationToken,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    state: Mutex<SinkState>,
}

/// What a sink task gets from the runtime (Kafka's `SinkTaskContext`): its config and
/// assignment, and the requests it can make: offset seeks, a redelivery timeout,
/// pausing partitions, an early commit, and the errant record reporter.
///
/// ```
/// use connect_api::context::SinkTaskContext;
/// use connect_api::record::TopicPartition;
///
/// let ctx = SinkTaskContext::new(Default::default(), None, Default::default());
/// let tp = TopicPartition::new("orders", 0);
/// ctx.set_assignment([tp.clone()]);
/// ctx.offset(tp.clone(), 42)?;          // the task asks to rewind
/// assert_eq!(ctx.take_offsets().get(&tp), Some(&42)); // the runtime seeks
/// assert!(ctx.pause(&[TopicPartition::new("other", 0)]).is_err());
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Clone)]
pub struct SinkTaskContext {
    inner: Arc<SinkShared>,
}

impl SinkTaskContext {
    /// *For runtimes*: a context over a task config.
    pub fn new(
        config: RawConfig,
        reporter: Option<Arc<dyn ErrantRecordReporter>>,
        cancel: CancellationToken,
    ) -> Self {
        SinkTaskContext {
            inner: Arc::new(SinkShared {
                config,
                cancel,
                reporter,
                state: Mutex::new(SinkState::default()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, SinkState> {
        // A poisoned lock only means another thread panicked mid-update of plain data;
        // the data is still usable.
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_assigned(&self, partitions: &[TopicPartition], verb: &str) -> Result<()> {
        let st = self.state();
        if let Some(tp) = partitions.iter().find(|tp| !st.assignment.contains(tp)) {
            return Err(ConnectError::conflict(format!(
                "SinkTasks may not {verb} partitions that are not currently assigned to them: {tp}"
            )));
        }
        Ok(())
    }

    /// The task's configuration.
    pub fn config(&self) -> &RawConfig {
        &self.inner.config
    }

    /// The partitions currently assigned to the task.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.state().assignment.iter().cloned().collect()
    }

    /// Asks the runtime to reset the consumer of `partition` to `offset` (the next
    /// offset to deliver) before the next batch.
    pub fn offset(&self, partition: TopicPartition, offset: i64) -> Result<()> {
        self.check_assigned(std::slice::from_ref(&partition), "reset offsets for")?;
        self.state().offsets.insert(partition, offset);
        Ok(())
    }

    /// Asks for several offset resets at once.
    pub fn offsets(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) -> Result<()> {
        let offsets: Vec<(TopicPartition, i64)> = offsets.into_iter().collect();
        let parts: Vec<TopicPartition> = offsets.iter().map(|(tp, _)| tp.clone()).collect();
        self.check_assigned(&parts, "reset offsets for")?;
        self.state().offsets.extend(offsets);
        Ok(())
    }

    /// After a retriable error from `put`, how long the runtime waits before
    /// delivering the same batch again.
    pub fn timeout(&self, timeout: Duration) {
        self.state().timeout = Some(timeout);
    }

    /// Stops delivery from these partitions until [`resume`](Self::resume).
    pub fn pause(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.check_assigned(partitions, "pause")?;
        self.state().paused.extend(partitions.iter().cloned());
        Ok(())
    }

    /// Resumes delivery from paused partitions.
    pub fn resume(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.check_assigned(partitions, "resume")?;
        let mut st = self.state();
        for tp in partitions {
            st.paused.remove(tp);
        }
        Ok(())
    }

    /// Asks the runtime to commit offsets as soon as possible.
    pub fn request_commit(&self) {
        self.state().commit_requested = true;
    }

    /// The reporter for records the task cannot handle, when the connector's
    /// `errors.*` settings enable one.
    pub fn errant_record_reporter(&self) -> Option<&Arc<dyn ErrantRecordReporter>> {
        self.inner.reporter.as_ref()
    }

    /// Fires when the task must stop.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    /// *For runtimes*: replaces the assignment (on rebalance); pause requests and
    /// pending seeks for partitions no longer assigned are dropped.
    pub fn set_assignment(&self, partitions: impl IntoIterator<Item = TopicPartition>) {
        let mut st = self.state();
        st.assignment = partitions.into_iter().collect();
        let SinkState { assignment, offsets, paused, .. } = &mut *st;
        offsets.retain(|tp, _| assignment.contains(tp));
        paused.retain(|tp| assignment.contains(tp));
    }

    /// *For runtimes*: the seeks requested since the last call.
    pub fn take_offsets(&self) -> BTreeMap<TopicPartition, i64> {
        std::mem::take(&mut self.state().offsets)
    }

    /// *For runtimes*: the redelivery timeout requested since the last call.
    pub fn take_timeout(&self) -> Option<Duration> {
        self.state().timeout.take()
    }

    /// *For runtimes*: the partitions the task wants paused now.
    pub fn paused_partitions(&self) -> BTreeSet<TopicPartition> {
        self.state().paused.clone()
    }

    /// *For runtimes*: whether a commit was requested since the last call.
    pub fn take_commit_request(&self) -> bool {
        std::mem::take(&mut self.state().commit_requested)
    }
}

impl fmt::Debug for SinkTaskContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinkTaskContext").field("assignment", &self.state().assignment).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassignment_drops_requests_for_revoked_partitions() {
        let ctx = SinkTaskContext::new(RawConfig::new(), None, CancellationToken::new());
        let a = TopicPartition::new("t", 0);
        let b = TopicPartition::new("t", 1);
        ctx.set_assignment([a.clone(), b.clone()]);
        ctx.offset(a.clone(), 3).unwrap();
        ctx.pause(&[a.clone(), b.clone()]).unwrap();
        ctx.resume(std::slice::from_ref(&b)).unwrap();
        ctx.set_assignment([b.clone()]);
        assert!(ctx.take_offsets().is_empty());
        assert!(ctx.paused_partitions().is_empty());
        ctx.request_commit();
        assert!(ctx.take_commit_request());
        assert!(!ctx.take_commit_request());
        ctx.timeout(Duration::from_millis(5));
        assert_eq!(ctx.take_timeout(), Some(Duration::from_millis(5)));
        assert!(ctx.offset(a, 1).unwrap_err().message().contains("not currently assigned"));
    }
}
