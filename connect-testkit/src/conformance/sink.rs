//! Conformance checks for sink tasks.

use std::fmt::Debug;
use std::ops::AsyncFn;

use connect_api::config::RawConfig;
use connect_api::record::SinkRecord;
use connect_api::{Result, SinkTask};

use super::ConformanceError;
use crate::flaky::FlakySinkTask;
use crate::records::partitions_of;
use crate::sink::SinkTaskHarness;

/// How many retriable failures the retry checks inject before the batch goes through.
const FAULTS: u32 = 2;

/// Delivers `records` to a started task in one batch, commits and stops.
async fn deliver(harness: &mut SinkTaskHarness, records: &[SinkRecord]) -> Result<()> {
    harness.assign(partitions_of(records)).await?;
    harness.put(records).await?;
    harness.commit().await?;
    harness.stop().await
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

/// The retry checks: a clean run, then a run whose first puts fail with retriable
/// errors (before or after reaching the task), compared.
async fn retried_run<W>(
    check: &str,
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: impl Fn() -> RawConfig,
    records: Vec<SinkRecord>,
    written: impl AsyncFn(&RawConfig) -> W,
    after_delegating: bool,
) -> Result<(), ConformanceError>
where
    W: PartialEq + Debug,
{
    let expected = clean_run(check, &make_task, &config, &records, &written).await?;
    let config = config();
    let mut flaky = FlakySinkTask::retriable(make_task(), FAULTS);
    if after_delegating {
        flaky = flaky.after_delegating();
    }
    let stats = flaky.stats();
    let mut harness = SinkTaskHarness::builder(config.clone())
        .max_attempts(FAULTS + 1)
        .start(Box::new(flaky))
        .await
        .map_err(|e| ConformanceError::caused_by(check, "the task did not start", e))?;
    deliver(&mut harness, &records).await.map_err(|e| {
        ConformanceError::caused_by(
            check,
            format!("the run with {FAULTS} retriable put failures and redelivery failed"),
            e,
        )
    })?;
    if harness.last_put_attempts() != FAULTS + 1 || stats.injected() != FAULTS {
        return Err(ConformanceError::new(
            check,
            format!(
                "the batch was delivered {} time(s) with {} injected fault(s); expected {} \
                 deliveries",
                harness.last_put_attempts(),
                stats.injected(),
                FAULTS + 1
            ),
        ));
    }
    let got = written(&config).await;
    if got != expected {
        return Err(ConformanceError::new(
            check,
            format!(
                "after {FAULTS} retriable put failures{} and redelivery of the same batch the \
                 sink holds {got:?}, but a clean run left {expected:?}",
                if after_delegating { " (each after the task had written the batch)" } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Checks that a sink recovers from retriable `put` errors: the records go through a
/// clean run first; then, on a fresh `config()`, through a task whose first two `put`
/// calls fail with retriable errors before reaching it ([`FlakySinkTask`]), with the
/// harness redelivering the same batch. The sink must end up holding exactly what the
/// clean run left.
///
/// `config` is called once per run and must give each run its own destination (a new
/// directory or table); `written` reads back what the run on that config left in the
/// external system, and must work before anything was written (an empty list, say).
/// Each run delivers `records` in one batch to freshly assigned partitions, commits
/// and stops.
pub async fn sink_retriable_errors_are_retried<W>(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: impl Fn() -> RawConfig,
    records: Vec<SinkRecord>,
    written: impl AsyncFn(&RawConfig) -> W,
) -> Result<(), ConformanceError>
where
    W: PartialEq + Debug,
{
    let check = "sink_retriable_errors_are_retried";
    retried_run(check, make_task, config, records, written, false).await
}

/// Like [`sink_retriable_errors_are_retried`], but each failing `put` first reaches the
/// task (the write happens, its acknowledgement is lost): passes only for sinks whose
/// writes are idempotent (upserts, deduplication by Kafka coordinates). Opt-in: an
/// at-least-once sink legitimately fails it with duplicates.
pub async fn sink_redelivery_is_idempotent<W>(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: impl Fn() -> RawConfig,
    records: Vec<SinkRecord>,
    written: impl AsyncFn(&RawConfig) -> W,
) -> Result<(), ConformanceError>
where
    W: PartialEq + Debug,
{
    let check = "sink_redelivery_is_idempotent";
    retried_run(check, make_task, config, records, written, true).await
}

/// Checks that a fatal `put` error is not retried: the first `put` fails with a fatal
/// error ([`FlakySinkTask`]); the harness must return it (not as retriable) after
/// exactly one delivery, and the task must then stop cleanly (revoke, `close`,
/// `stop`), as the runtime stops a failed task.
pub async fn sink_fatal_errors_are_not_retried(
    make_task: impl Fn() -> Box<dyn SinkTask>,
    config: RawConfig,
    records: Vec<SinkRecord>,
) -> Result<(), ConformanceError> {
    const CHECK: &str = "sink_fatal_errors_are_not_retried";
    let flaky = FlakySinkTask::fatal(make_task(), 1);
    let stats = flaky.stats();
    let mut harness = SinkTaskHarness::start(Box::new(flaky), config)
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "the task did not start", e))?;
    harness
        .assign(partitions_of(&records))
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "open failed", e))?;
    match harness.put(&records).await {
        Ok(()) => {
            return Err(ConformanceError::new(
                CHECK,
                "a fatal error from put was swallowed: the batch counted as delivered",
            ));
        }
        Err(e) if e.is_retriable() => {
            return Err(ConformanceError::caused_by(
                CHECK,
                "a fatal error from put came back as retriable",
                e,
            ));
        }
        Err(_) => {}
    }
    if harness.last_put_attempts() != 1 || stats.injected() != 1 {
        return Err(ConformanceError::new(
            CHECK,
            format!(
                "the batch was delivered {} time(s) ({} fault(s) injected); a fatal error \
                 must end delivery after one attempt",
                harness.last_put_attempts(),
                stats.injected()
            ),
        ));
    }
    harness
        .stop()
        .await
        .map_err(|e| ConformanceError::caused_by(CHECK, "stop after a fatal put failed", e))
}
