#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The conformance checks: the macros run against well-behaved tasks, and the function
//! forms catch broken ones.

mod common;

use std::cell::Cell;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::data::Value;
use connect_api::record::SinkRecord;
use connect_api::{Result, SinkTask, SourceTask};
use connect_testkit::conformance::{self, SetupOutcome, SourceConformance, same_key_and_value};
use connect_testkit::{Fault, SinkRecords};

use common::{
    CounterTask, FailsWhenCancelledSource, HangingStopSource, MemorySink, PanickingStopSource,
    RestartsFromZeroTask, SkipsOneAfterRestartTask, UpsertSink, WaitingSource,
    fresh_buffered_sink_config, fresh_sink_config, outage, raw, set_outage, stored,
};

fn counter_config() -> RawConfig {
    raw(&[("topic", "numbers")])
}

fn order_records() -> Vec<SinkRecord> {
    let mut p0 = SinkRecords::new("orders", 0);
    let mut p1 = SinkRecords::new("orders", 1).starting_at(7);
    let mut records = p0.strings(["a", "b"]);
    records.extend(p1.strings(["c"]));
    records.extend(p0.strings(["d"]));
    records
}

connect_testkit::source_task_conformance! {
    name: counter_source,
    task: || Box::new(CounterTask::default()) as Box<dyn SourceTask>,
    config: counter_config,
}

thread_local! {
    /// Set by a check's `setup`, on the thread that runs the check.
    static SET_UP: Cell<bool> = const { Cell::new(false) };
}

/// A `config` that only works once `setup` ran: proves the macros run setup first.
fn config_after_setup() -> RawConfig {
    assert!(SET_UP.with(Cell::get), "setup must run before config");
    fresh_sink_config()
}

connect_testkit::source_task_conformance! {
    name: counter_source_with_options,
    task: || Box::new(CounterTask::default()),
    config: config_after_setup,
    setup: || SET_UP.with(|s| s.set(true)),
    same_record: same_key_and_value,
}

connect_testkit::source_task_conformance! {
    name: counter_source_with_async_setup,
    task: || Box::new(CounterTask::default()) as Box<dyn SourceTask>,
    config: counter_config,
    setup: || async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok::<(), std::io::Error>(())
    },
}

connect_testkit::sink_task_conformance! {
    name: memory_sink,
    task: || Box::new(MemorySink::default()) as Box<dyn SinkTask>,
    config: config_after_setup,
    records: order_records,
    written: |config: &RawConfig| stored(config),
    fault: async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    setup: || -> std::result::Result<(), String> {
        SET_UP.with(|s| s.set(true));
        Ok(())
    },
}

connect_testkit::sink_task_conformance! {
    name: buffered_memory_sink,
    task: || Box::new(MemorySink::default()),
    config: fresh_buffered_sink_config,
    records: || SinkRecords::new("orders", 0).strings(["x", "y"]),
    written: async |config: &RawConfig| {
        tokio::task::yield_now().await;
        stored(config)
    },
    fault: async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    setup: || async {},
}

#[test]
fn a_failing_setup_fails_the_check() {
    let err = SetupOutcome::into_setup_result(Err::<(), _>("database unreachable")).unwrap_err();
    assert_eq!(err.check(), "setup");
    assert_eq!(err.message(), "database unreachable");
    assert!(SetupOutcome::into_setup_result(()).is_ok());
}

#[tokio::test]
async fn a_source_that_restarts_from_zero_fails_the_resume_check() {
    let err = conformance::source_resumes_from_committed_offset(
        || Box::new(RestartsFromZeroTask::default()),
        raw(&[]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.check(), "source_resumes_from_committed_offset");
    assert!(err.message().contains("repeats the committed"), "{err}");
    assert!(err.message().contains(r#"{"n":0}"#), "{err}");
    // It still starts and stops well: only the resume contract is broken.
    conformance::source_starts_without_committed_offset(
        || Box::new(RestartsFromZeroTask::default()),
        raw(&[]),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_source_that_skips_a_record_after_the_restart_fails_the_resume_check() {
    let err = conformance::source_resumes_from_committed_offset(
        || Box::new(SkipsOneAfterRestartTask::default()),
        raw(&[]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.check(), "source_resumes_from_committed_offset");
    // 0, 1, 2 committed; 3, 4 polled and not committed; the restarted task starts at 4.
    assert!(err.message().contains("skipping 1 record(s)"), "{err}");
    assert!(err.message().contains(r#"{"n":3}"#), "{err}");
    assert!(err.message().contains("3 committed, 2 polled after the commit"), "{err}");
}

#[tokio::test]
async fn a_source_that_skips_fails_the_resume_check_even_right_after_the_commit() {
    let err = SourceConformance::new(
        || Box::new(SkipsOneAfterRestartTask::default()) as Box<dyn SourceTask>,
        raw(&[]),
    )
    .records_after_commit(0)
    .resumes_from_committed_offset()
    .await
    .unwrap_err();
    assert!(err.message().contains("skipping 1 record(s)"), "{err}");
}

#[tokio::test]
async fn a_poll_failing_fatally_when_cancelled_fails_the_stop_check() {
    let err = conformance::source_stop_while_polling_is_safe(
        || Box::new(FailsWhenCancelledSource::new(connect_api::ErrorKind::Fatal)),
        raw(&[]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.check(), "source_stop_while_polling_is_safe");
    assert!(
        err.message()
            .contains("a poll in flight when the cancellation token fired returned a fatal"),
        "{err}"
    );
}

#[tokio::test]
async fn a_poll_returning_a_cancelled_error_when_cancelled_passes_the_stop_check() {
    conformance::source_stop_while_polling_is_safe(
        || Box::new(FailsWhenCancelledSource::new(connect_api::ErrorKind::Cancelled)),
        raw(&[]),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_resume_check_passes_for_the_counter_with_any_comparison() {
    SourceConformance::new(|| Box::new(CounterTask::default()) as Box<dyn SourceTask>, raw(&[]))
        .records_before_restart(10)
        .same_record(same_key_and_value)
        .resumes_from_committed_offset()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_source_that_produces_nothing_fails_the_start_check_in_time() {
    let err = SourceConformance::new(
        || Box::new(WaitingSource::default()) as Box<dyn SourceTask>,
        raw(&[]),
    )
    .poll_timeout(Duration::from_millis(100))
    .starts_without_committed_offset()
    .await
    .unwrap_err();
    assert!(err.message().contains("produced no record"), "{err}");
    assert!(err.cause().unwrap().message().contains("wanted 1 record(s)"), "{err}");
}

#[tokio::test]
async fn a_source_waiting_on_its_cancellation_token_stops_safely() {
    conformance::source_stop_while_polling_is_safe(|| Box::new(WaitingSource::default()), raw(&[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_source_that_panics_in_stop_fails_the_stop_check() {
    let err =
        conformance::source_stop_while_polling_is_safe(|| Box::new(PanickingStopSource), raw(&[]))
            .await
            .unwrap_err();
    assert!(err.message().contains("panicked"), "{err}");
    assert!(err.message().contains("stop called while a poll was outstanding"), "{err}");
}

#[tokio::test]
async fn a_source_whose_stop_hangs_fails_the_stop_check() {
    let err =
        SourceConformance::new(|| Box::new(HangingStopSource) as Box<dyn SourceTask>, raw(&[]))
            .stop_timeout(Duration::from_millis(100))
            .stop_while_polling_is_safe()
            .await
            .unwrap_err();
    assert!(err.to_string().contains("SourceTask::stop did not return"), "{err}");
}

#[tokio::test]
async fn redelivery_after_a_written_batch_duplicates_in_an_appending_sink() {
    let err = conformance::sink_redelivery_is_idempotent(
        || Box::new(MemorySink::default()),
        fresh_sink_config,
        order_records(),
        async |config: &RawConfig| stored(config),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("but a clean run left"), "{err}");

    conformance::sink_redelivery_is_idempotent(
        || Box::new(UpsertSink::default()),
        fresh_sink_config,
        order_records(),
        async |config: &RawConfig| stored(config),
    )
    .await
    .unwrap();
}

/// Accepts everything and writes nothing.
struct BlackHole;

#[async_trait]
impl SinkTask for BlackHole {
    async fn start(&mut self, _ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
        Ok(())
    }
    async fn put(&mut self, _records: &[SinkRecord]) -> Result<()> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_retry_check_that_would_prove_nothing_fails() {
    let err = conformance::sink_retriable_errors_are_retried(
        || Box::new(BlackHole),
        fresh_sink_config,
        order_records(),
        async |config: &RawConfig| stored(config),
        async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("would prove nothing"), "{err}");
}

#[tokio::test]
async fn a_shared_destination_makes_the_retry_check_fail() {
    // A `config` that gives every run the same destination: the second run adds to what
    // the clean run left, and the check says so.
    let shared = fresh_sink_config();
    let err = conformance::sink_retriable_errors_are_retried(
        || Box::new(MemorySink::default()),
        || shared.clone(),
        order_records(),
        async |config: &RawConfig| stored(config),
        async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("but a clean run left"), "{err}");
    assert_eq!(stored(&shared).len(), 8);
    assert_eq!(stored(&shared)[0], Value::from("a"));
}

#[tokio::test]
async fn fatal_check_passes_for_a_sink_that_stops_cleanly() {
    conformance::sink_fatal_errors_are_not_retried(
        || Box::new(MemorySink::default()),
        fresh_sink_config(),
        order_records(),
        async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    )
    .await
    .unwrap();
}

/// How a [`Misclassifying`] sink gets its store's outages wrong.
#[derive(Clone, Copy)]
enum Mistake {
    /// Drops the batch and returns Ok.
    Swallows,
    /// Reports every failure as fatal.
    AllFatal,
    /// Reports every failure as retriable.
    AllRetriable,
    /// Writes the batch, then raises the store's error: redelivery duplicates it.
    WritesThenFails,
}

/// A [`MemorySink`] with a broken error path.
struct Misclassifying {
    inner: MemorySink,
    store: String,
    mistake: Mistake,
}

impl Misclassifying {
    fn boxed(mistake: Mistake) -> Box<dyn SinkTask> {
        Box::new(Misclassifying { inner: MemorySink::default(), store: String::new(), mistake })
    }
}

#[async_trait]
impl SinkTask for Misclassifying {
    async fn start(&mut self, ctx: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.store = config.get("store").cloned().unwrap_or_default();
        self.inner.start(ctx, config).await
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let Some(error) = outage(&self.store) else {
            return self.inner.put(records).await;
        };
        match self.mistake {
            Mistake::Swallows => Ok(()),
            Mistake::AllFatal => Err(connect_api::ConnectError::fatal(error.to_string())),
            Mistake::AllRetriable => Err(connect_api::ConnectError::retriable(error.to_string())),
            Mistake::WritesThenFails => {
                set_outage(&raw(&[("store", &self.store)]), None);
                let written = self.inner.put(records).await;
                let kind = if error.is_retriable() { Fault::Retriable } else { Fault::Fatal };
                set_outage(&raw(&[("store", &self.store)]), Some(kind));
                written.and(Err(error))
            }
        }
    }
    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}

async fn retry_check(mistake: Mistake) -> conformance::ConformanceError {
    conformance::sink_retriable_errors_are_retried(
        move || Misclassifying::boxed(mistake),
        fresh_sink_config,
        order_records(),
        async |config: &RawConfig| stored(config),
        async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    )
    .await
    .unwrap_err()
}

async fn fatal_check(mistake: Mistake) -> conformance::ConformanceError {
    conformance::sink_fatal_errors_are_not_retried(
        move || Misclassifying::boxed(mistake),
        fresh_sink_config(),
        order_records(),
        async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn a_sink_that_swallows_a_transient_outage_fails_the_retry_check() {
    let err = retry_check(Mistake::Swallows).await;
    assert_eq!(err.check(), "sink_retriable_errors_are_retried");
    assert!(err.message().contains("put returned Ok"), "{err}");
}

#[tokio::test]
async fn a_sink_that_calls_a_transient_outage_fatal_fails_the_retry_check() {
    let err = retry_check(Mistake::AllFatal).await;
    assert!(err.message().contains("put returned a fatal error"), "{err}");
}

#[tokio::test]
async fn a_sink_that_writes_before_failing_fails_the_retry_check_with_duplicates() {
    let err = retry_check(Mistake::WritesThenFails).await;
    assert!(err.message().contains("but a clean run left"), "{err}");
}

#[tokio::test]
async fn a_sink_that_calls_a_permanent_outage_retriable_fails_the_fatal_check() {
    let err = fatal_check(Mistake::AllRetriable).await;
    assert_eq!(err.check(), "sink_fatal_errors_are_not_retried");
    assert!(err.message().contains("came back from put as retriable"), "{err}");
}

#[tokio::test]
async fn a_sink_that_swallows_a_permanent_outage_fails_the_fatal_check() {
    let err = fatal_check(Mistake::Swallows).await;
    assert!(err.message().contains("put returned Ok"), "{err}");
}

#[test]
fn conformance_errors_print_check_message_and_cause() {
    let err = conformance::ConformanceError::caused_by(
        "source_resumes_from_committed_offset",
        "polling failed",
        connect_api::ConnectError::fatal("boom"),
    );
    let text = format!("{err:?}");
    assert!(text.starts_with(
        "conformance check `source_resumes_from_committed_offset` failed: polling failed"
    ));
    assert!(text.contains("Caused by: fatal error: boom"));
}
