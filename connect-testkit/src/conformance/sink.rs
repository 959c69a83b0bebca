//! Conformance checks for sink tasks.
//!
//! The retry checks make the sink under test fail by itself: the author's `fault` hook
//! breaks the destination a config names, the task's own `put` must raise the error
//! with the right kind, and the harness then acts as the runtime's `WorkerSinkTask`
//! (redelivers the same batch after a retriable error, fails the task after any other).
//! The task is wrapped only to observe what it was given and what it answered.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::ops::AsyncFn;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::error::ErrorKind;
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{Result, SinkTask};

use super::ConformanceError;
use crate::call::lock;
use crate::flaky::{Fault, FlakySinkTask};
use crate::records::partitions_of;
use crate::sink::SinkTaskHarness;

/// How many retriable failures the idempotence check injects before the batch goes
/// through.
const FAULTS: u32 = 2;

/// How long `stop` of a failed task may take (less than the harness's own call limit,
/// so a hang is told apart from an error without reading messages).
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// Delivers `records` to a started task in one batch, commits and stops.
async fn deliver(harness: &mut SinkTaskHarness, records: &[SinkRecord]) -> Result<()> {
    harness.assign(partitions_of(records)).await?;
    harness.put(records).await?;
    harness.commit().await?;
    harness.stop().await
}

/// The Kafka coordinates of a batch, in order: what tells two deliveries apart.
fn coordinates(records: &[SinkRecord]) -> Vec<(TopicPartition, i64)> {
    records.iter().map(|r| (r.original_topic_partition(), r.original_kafka_offset())).collect()
}

/// What the observed task was asked, and what it answered, in order.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    /// A `put` of the batch with these coordinates, and the kind of its error.
    Put(Vec<(TopicPartition, i64)>, Option<ErrorKind>),
    /// A `pre_commit`, whose answer the runtime would commit.
    PreCommit,
}

/// Wraps the task under test without changing anything it does: records each `put`
/// (the batch and the outcome) and each `pre_commit`.
struct Observed {
    inner: Box<dyn SinkTask>,
    events: Arc<Mutex<Vec<Event>>>,
}

#[async_trait]
impl SinkTask for Observed {
    fn version(&self) -> String {
        self.inner.version()
    }

    async fn start(&mut self, context: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.inner.start(context, config).await
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.open(partitions).await
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let result = self.inner.put(records).await;
        let kind = result.as_ref().err().map(connect_api::ConnectError::kind);
        lock(&self.events).push(Event::Put(coordinates(records), kind));
        result
    }

    async fn flush(&mut self, offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        self.inner.flush(offsets).await
    }

    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        lock(&self.events).push(Event::PreCommit);
        self.inner.pre_commit(offsets).await
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.close(partitions).await
    }

    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}

fn observe(task: Box<dyn SinkTask>) -> (Box<dyn SinkTask>, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    (Box::new(Observed { inner: task, events: events.clone() }), events)
}

/// A clean run on a fresh config: what the sink holds afterwards, checked to differ
/// from what it held before (so the comparison proves something).
async fn clean_run<W>(
    check: &str,
    make_task: &impl Fn() -> Box<dyn SinkTask>,
    config: &impl Fn() -> RawConfig,
    records: &[SinkRecord],
    written: &impl AsyncFn(&RawConfig) -> W,
) -> Result<W, ConformanceError>
where
    W: PartialEq + Debug,
{
    let config = config();
    let empty = written(&config).await;
    let mut harness = SinkTaskHarness::start(make_task(), config.clone())
        .await
        .map_err(|e| ConformanceError::caused_by(check, "the task did not start", e))?;
    deliver(&mut harness, records)
        .await
        .map_err(|e| ConformanceError::caused_by(check, "a clean run (no faults) failed", e))?;
    let expected = written(&config).await;
    if expected == empty {
        return Err(ConformanceError::new(
            check,
            format!(
                "a clean run of {} record(s) left the sink as it was ({expected:?}), so the \
                 check would prove nothing: give records the sink writes, and a `written` \
                 that reads back what this config's run wrote",
                records.len()
            ),
        ));
    }
    Ok(expected)
}

/// Checks that a sink raises a retriable error from its own `put` when its destination
/// fails transiently, and that redelivery of the same batch then leaves exactly what a
/// clean run leaves.
///
/// The records first go through a clean run. Then, on a fresh `config()`, the task is
/// started and assigned, `fault(&config, Some(Fault::Retriable))` breaks the
/// destination, and the batch is delivered through [`SinkTaskHarness`]. The task's own
/// `put` must fail with a retriable error (not succeed, not fail otherwise); the
/// harness waits and, before redelivering, calls `fault(&config, None)` to end the
/// outage. The check then requires that the task was given the *same* batch again,
/// that nothing was committed (no `pre_commit`) between the failure and the successful
/// redelivery, and, after a commit and stop, that the sink holds what the clean run
/// left.
///
/// `config` is called once per run and must give each run its own destination (a new
/// directory or table); `written` reads back what the run on that config left in the
/// external system, and must work before anything was written (an empty list, say).
/// `fault` acts on the external system only (hold a lock, drop a connection, fill a
/// disk), never on the task.
pub async fn sink_retriable_errors_are_retried<W>(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: impl Fn() -> RawConfig,
    records: Vec<SinkRecord>,
    written: impl AsyncFn(&RawConfig) -> W,
    fault: impl AsyncFn(&RawConfig, Option<Fault>),
) -> Result<(), ConformanceError>
where
    W: PartialEq + Debug,
{
    const CHECK: &str = "sink_retriable_errors_are_retried";
    let expected = clean_run(CHECK, &make_task, &config, &records, &written).await?;
    let config = config();
    let (task, events) = observe(make_task());
    let mut harness = SinkTaskHarness::start(task, config.clone())
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "the task did not start", e))?;
    harness
        .assign(partitions_of(&records))
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "open failed", e))?;
    fault(&config, Some(Fault::Retriable)).await;
    let delivered = harness.put_with_hook(&records, async |_| fault(&config, None).await).await;
    // End the outage whatever happened, so the destination can be read back.
    fault(&config, None).await;
    let events = lock(&events).clone();
    let batch = coordinates(&records);
    match events.first() {
        Some(Event::Put(_, Some(ErrorKind::Retriable))) => {}
        Some(Event::Put(_, None)) => {
            return Err(ConformanceError::new(
                CHECK,
                "the destination was failing, yet put returned Ok: the sink swallowed a \
                 transient failure (or buffered past it), so the runtime would commit \
                 offsets of records that were never written",
            ));
        }
        Some(Event::Put(_, Some(kind))) => {
            return Err(ConformanceError::new(
                CHECK,
                format!(
                    "while the destination failed transiently, put returned a {kind} error; a \
                     transient failure must be raised as retriable so the runtime delivers \
                     the batch again instead of failing the task"
                ),
            ));
        }
        _ => return Err(ConformanceError::new(CHECK, "the task's put was never called")),
    }
    if let Err(e) = delivered {
        return Err(ConformanceError::caused_by(
            CHECK,
            "after the outage ended, redelivery of the batch failed",
            e,
        ));
    }
    let puts: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::Put(..))).collect();
    if let Some(Event::Put(other, _)) =
        puts.iter().find(|e| !matches!(e, Event::Put(b, _) if *b == batch))
    {
        return Err(ConformanceError::new(
            CHECK,
            format!(
                "after a retriable error the task was given the batch {other:?} instead of \
                 the same batch {batch:?}"
            ),
        ));
    }
    let retried = events.iter().skip(1).take_while(|e| !matches!(e, Event::Put(_, None)));
    if retried.clone().any(|e| *e == Event::PreCommit) {
        return Err(ConformanceError::new(
            CHECK,
            "offsets were committed (pre_commit) between the failed put and its successful \
             redelivery",
        ));
    }
    if !matches!(puts.last(), Some(Event::Put(_, None))) || puts.len() < 2 {
        return Err(ConformanceError::new(
            CHECK,
            format!("the batch was not redelivered after the retriable error: {events:?}"),
        ));
    }
    harness
        .commit()
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "commit after redelivery failed", e))?;
    harness.stop().await.map_err(|e| ConformanceError::caused_by(CHECK, "stop failed", e))?;
    let got = written(&config).await;
    if got != expected {
        return Err(ConformanceError::new(
            CHECK,
            format!(
                "after a retriable put failure and {} redelivery(ies) of the same batch the sink \
                 holds {got:?}, but a clean run left {expected:?}",
                puts.len() - 1
            ),
        ));
    }
    Ok(())
}

/// Checks that redelivery of a batch the sink had already written leaves no duplicates:
/// the records go through a clean run, then through a task whose first two `put` calls
/// reach it (the write happens) and are then reported failed with a retriable error
/// ([`FlakySinkTask::after_delegating`]), as when an acknowledgement is lost; the
/// harness redelivers the same batch. Passes only for sinks whose writes are idempotent
/// (upserts, deduplication by Kafka coordinates). Opt-in: an at-least-once sink
/// legitimately fails it with duplicates.
pub async fn sink_redelivery_is_idempotent<W>(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: impl Fn() -> RawConfig,
    records: Vec<SinkRecord>,
    written: impl AsyncFn(&RawConfig) -> W,
) -> Result<(), ConformanceError>
where
    W: PartialEq + Debug,
{
    const CHECK: &str = "sink_redelivery_is_idempotent";
    let expected = clean_run(CHECK, &make_task, &config, &records, &written).await?;
    let config = config();
    let flaky = FlakySinkTask::retriable(make_task(), FAULTS).after_delegating();
    let mut harness = SinkTaskHarness::builder(config.clone())
        .max_attempts(FAULTS + 1)
        .start(Box::new(flaky))
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "the task did not start", e))?;
    deliver(&mut harness, &records).await.map_err(|e| {
        ConformanceError::caused_by(
            CHECK,
            format!("the run with {FAULTS} lost acknowledgements and redelivery failed"),
            e,
        )
    })?;
    let got = written(&config).await;
    if got != expected {
        return Err(ConformanceError::new(
            CHECK,
            format!(
                "after {FAULTS} retriable put failures (each after the task had written the \
                 batch) and redelivery of the same batch the sink holds {got:?}, but a clean \
                 run left {expected:?}"
            ),
        ));
    }
    Ok(())
}

/// Checks that a sink raises a non-retriable error from its own `put` when its
/// destination fails for good, and that the task then fails as the runtime fails it. The
/// task gets no errant record reporter (as without `errors.*` settings).
///
/// `fault(&config, Some(Fault::Fatal))` breaks the destination after the task started
/// and its partitions were assigned; the batch is delivered once through
/// [`SinkTaskHarness`]. The task's `put` must fail, with an error that is not
/// retriable; the harness must not deliver it again and must mark the task failed;
/// stopping it must return in time (its error, if any, is what the runtime only logs)
/// and commit no offset of the failed batch. Finally
/// `fault(&config, None)` repairs the destination.
pub async fn sink_fatal_errors_are_not_retried(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: RawConfig,
    records: Vec<SinkRecord>,
    fault: impl AsyncFn(&RawConfig, Option<Fault>),
) -> Result<(), ConformanceError> {
    const CHECK: &str = "sink_fatal_errors_are_not_retried";
    let (task, events) = observe(make_task());
    // No errant record reporter, as a connector without `errors.*` settings runs: with
    // one, a sink may rightly report each refused record and go on.
    let mut harness = SinkTaskHarness::builder(config.clone())
        .without_errant_reporter()
        .start(task)
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "the task did not start", e))?;
    harness
        .assign(partitions_of(&records))
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "open failed", e))?;
    fault(&config, Some(Fault::Fatal)).await;
    let delivered = harness.put(&records).await;
    let stopped = tokio::time::timeout(STOP_LIMIT, harness.stop()).await;
    fault(&config, None).await;
    match delivered {
        Ok(()) => {
            return Err(ConformanceError::new(
                CHECK,
                "the destination was failing for good, yet put returned Ok: the batch counted \
                 as delivered",
            ));
        }
        Err(e) if e.is_retriable() => {
            return Err(ConformanceError::caused_by(
                CHECK,
                "a permanent failure of the destination came back from put as retriable, so \
                 the runtime would redeliver the batch forever",
                e,
            ));
        }
        Err(_) => {}
    }
    let events = lock(&events).clone();
    let puts = events.iter().filter(|e| matches!(e, Event::Put(..))).count();
    if puts != 1 || harness.failure().is_none() {
        return Err(ConformanceError::new(
            CHECK,
            format!(
                "after a non-retriable error the batch was delivered {puts} time(s) and the \
                 task {}; it must be delivered once and the task must fail",
                if harness.failure().is_some() { "failed" } else { "did not fail" }
            ),
        ));
    }
    if events.contains(&Event::PreCommit) {
        return Err(ConformanceError::new(
            CHECK,
            "the failed task was asked to pre_commit: nothing may be committed after a \
             non-retriable error",
        ));
    }
    let committed: BTreeMap<&TopicPartition, i64> =
        harness.committed_offsets().iter().map(|(tp, o)| (tp, o.offset)).collect();
    if let Some((tp, offset)) = coordinates(&records)
        .iter()
        .find(|(tp, offset)| committed.get(tp).is_some_and(|c| *c > *offset))
    {
        return Err(ConformanceError::new(
            CHECK,
            format!("the offset of the failed record {tp}@{offset} was committed"),
        ));
    }
    // The runtime reports the put error for a failed task and only logs what `stop`
    // says (a sink may fail again flushing what it buffered), so `stop` must return in
    // time but may return an error; it must not hang.
    match stopped {
        Ok(_) => Ok(()),
        Err(_) => Err(ConformanceError::new(
            CHECK,
            format!("stop after a failed put did not return within {STOP_LIMIT:?}"),
        )),
    }
}
