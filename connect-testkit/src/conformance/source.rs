//! Conformance checks for source tasks.

use std::time::Duration;

use connect_api::SourceTask;
use connect_api::config::RawConfig;
use connect_api::error::ErrorKind;
use connect_api::record::{ConnectRecord, SourceRecord};

use super::ConformanceError;
use crate::offsets::InMemoryOffsetReader;
use crate::source::SourceTaskHarness;

/// How long the stop check lets the task poll before firing the cancellation token.
const BUSY_BEFORE_CANCEL: Duration = Duration::from_millis(50);
/// How long a `poll` in flight may take to notice the cancellation before it is dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// The default test of [`SourceConformance::same_record`]: the same source partition
/// and the same source offset.
pub fn same_source_position(a: &SourceRecord, b: &SourceRecord) -> bool {
    a.source_partition() == b.source_partition() && a.source_offset() == b.source_offset()
}

/// A test for [`SourceConformance::same_record`] for sources whose offsets do not tell
/// records apart (or are empty): the same key and the same value.
pub fn same_key_and_value(a: &SourceRecord, b: &SourceRecord) -> bool {
    a.key() == b.key() && a.value() == b.value()
}

fn describe(record: &SourceRecord) -> String {
    format!(
        "partition {} offset {} (value {:?})",
        record.source_partition().to_json_string(),
        record.source_offset().to_json_string(),
        record.value()
    )
}

/// The source checks, with their settings. Build one with [`new`](Self::new), adjust
/// it, then run the checks one by one or [`all`](Self::all) together.
///
/// `make_task` makes a fresh, unstarted task each time it is called; `config` is the
/// task configuration every check starts the task with. The task must produce records
/// on its own once started (point its config at a prepared input).
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
/// use std::time::Duration;
/// use connect_testkit::conformance::{self, SourceConformance};
///
/// conformance::block_on(async {
///     SourceConformance::new(|| Box::new(Counter::default()) as Box<dyn SourceTask>, RawConfig::new())
///         .records_before_restart(5)
///         .poll_timeout(Duration::from_secs(2))
///         .all()
///         .await
/// })?;
/// # Ok::<(), conformance::ConformanceError>(())
/// ```
pub struct SourceConformance<F> {
    make_task: F,
    config: RawConfig,
    records_before_restart: usize,
    records_after_commit: usize,
    records_after_restart: usize,
    poll_timeout: Duration,
    stop_timeout: Duration,
    same_record: Option<fn(&SourceRecord, &SourceRecord) -> bool>,
}

impl<F> SourceConformance<F>
where
    F: Fn() -> Box<dyn SourceTask>,
{
    /// The checks for tasks made by `make_task`, started with `config`.
    pub fn new(make_task: F, config: RawConfig) -> Self {
        SourceConformance {
            make_task,
            config,
            records_before_restart: 3,
            records_after_commit: 2,
            records_after_restart: 3,
            poll_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(5),
            same_record: None,
        }
    }

    /// How many records the resume check polls and commits first (default 3; at
    /// least 1).
    #[must_use]
    pub fn records_before_restart(mut self, count: usize) -> Self {
        self.records_before_restart = count.max(1);
        self
    }

    /// How many records the resume check polls after the commit and before the
    /// restart, without committing them (default 2; 0 restarts right after the
    /// commit).
    #[must_use]
    pub fn records_after_commit(mut self, count: usize) -> Self {
        self.records_after_commit = count;
        self
    }

    /// How many records the resume check wants after the restart beyond the
    /// uncommitted ones polled again (default 3; at least 1).
    #[must_use]
    pub fn records_after_restart(mut self, count: usize) -> Self {
        self.records_after_restart = count.max(1);
        self
    }

    /// How long a check waits for records before failing (default 10 s).
    #[must_use]
    pub fn poll_timeout(mut self, timeout: Duration) -> Self {
        self.poll_timeout = timeout;
        self
    }

    /// How long `start` and `stop` may take (default 5 s).
    #[must_use]
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// How the resume check tells that two records are the same record of the input;
    /// the default is [`same_source_position`].
    #[must_use]
    pub fn same_record(mut self, same: fn(&SourceRecord, &SourceRecord) -> bool) -> Self {
        self.same_record = Some(same);
        self
    }

    async fn harness(&self, check: &str) -> Result<SourceTaskHarness, ConformanceError> {
        SourceTaskHarness::builder(self.config.clone())
            .offsets(InMemoryOffsetReader::new())
            .call_timeout(self.stop_timeout)
            .start((self.make_task)())
            .await
            .map_err(|e| ConformanceError::caused_by(check, "the task did not start", e))
    }

    /// Starts a task with no committed offset and polls until it produced a record.
    pub async fn starts_without_committed_offset(&self) -> Result<(), ConformanceError> {
        const CHECK: &str = "source_starts_without_committed_offset";
        let mut harness = self.harness(CHECK).await?;
        harness.poll_until(1, self.poll_timeout).await.map_err(|e| {
            ConformanceError::caused_by(
                CHECK,
                "a task started without committed offsets produced no record",
                e,
            )
        })?;
        harness.stop().await.map_err(|e| ConformanceError::caused_by(CHECK, "stop failed", e))
    }

    /// Checks that a restarted task resumes exactly at its committed offset, by
    /// comparing the whole stream with an uninterrupted run.
    ///
    /// A task polls [`records_before_restart`](Self::records_before_restart) records,
    /// which are committed, then [`records_after_commit`](Self::records_after_commit)
    /// more, which are not; it is restarted gracefully (the uncommitted records were
    /// never acknowledged, so they are lost) and the fresh task polls the uncommitted
    /// count plus [`records_after_restart`](Self::records_after_restart) records. A
    /// reference task, started on no offsets, polls as many records as the committed and
    /// the restarted run together. The committed records followed by what the restarted
    /// task polled must be the reference stream record for record, in order (compared
    /// with [`same_record`](Self::same_record)): a record of the committed part polled
    /// again is a duplicate the offsets should have prevented, a record of the reference
    /// missing is a gap. The only records delivered twice are the uncommitted ones,
    /// which at-least-once delivery requires to be polled again; the error says how
    /// many.
    ///
    /// The input must hold enough records for both runs and read the same way twice
    /// (a file, a table; not a queue that a read consumes).
    pub async fn resumes_from_committed_offset(&self) -> Result<(), ConformanceError> {
        const CHECK: &str = "source_resumes_from_committed_offset";
        let same = self.same_record.unwrap_or(same_source_position);
        let mut harness = self.harness(CHECK).await?;
        let committed =
            harness.poll_until(self.records_before_restart, self.poll_timeout).await.map_err(
                |e| ConformanceError::caused_by(CHECK, "polling before the commit failed", e),
            )?;
        if self.same_record.is_none() && committed.iter().all(|r| r.source_offset().is_empty()) {
            return Err(ConformanceError::new(
                CHECK,
                "the records carry no source offset, so there is nothing to resume from; \
                 set source offsets, or compare records with `same_key_and_value`",
            ));
        }
        harness
            .commit()
            .await
            .map_err(|e| ConformanceError::caused_by(CHECK, "commit failed", e))?;
        let pending =
            harness.poll_until(self.records_after_commit, self.poll_timeout).await.map_err(
                |e| ConformanceError::caused_by(CHECK, "polling after the commit failed", e),
            )?;
        harness
            .restart((self.make_task)())
            .await
            .map_err(|e| ConformanceError::caused_by(CHECK, "the restart failed", e))?;
        let wanted = pending.len() + self.records_after_restart;
        let after = harness.poll_until(wanted, self.poll_timeout).await.map_err(|e| {
            ConformanceError::caused_by(CHECK, "polling after the restart failed", e)
        })?;
        harness.stop().await.map_err(|e| ConformanceError::caused_by(CHECK, "stop failed", e))?;

        let mut reference = self.harness(CHECK).await?;
        let expected = reference
            .poll_until(committed.len() + after.len(), self.poll_timeout)
            .await
            .map_err(|e| {
                ConformanceError::caused_by(
                    CHECK,
                    "a reference run from no offsets could not poll as many records as the \
                     interrupted run delivered",
                    e,
                )
            })?;
        reference.stop().await.map_err(|e| ConformanceError::caused_by(CHECK, "stop failed", e))?;
        let before = committed.iter().chain(&pending);
        if let Some((i, (got, want))) =
            before.zip(&expected).enumerate().find(|(_, (got, want))| !same(got, want))
        {
            return Err(ConformanceError::new(
                CHECK,
                format!(
                    "two runs from no offsets disagree at record #{i}: {} against {}; the check \
                     needs an input that reads the same way twice",
                    describe(got),
                    describe(want)
                ),
            ));
        }
        let resumed = &expected[committed.len()..];
        for (j, (got, want)) in after.iter().zip(resumed).enumerate() {
            if same(got, want) {
                continue;
            }
            let at = committed.len() + j;
            let message = if let Some(earlier) = committed.iter().find(|b| same(got, b)) {
                format!(
                    "after {} record(s) were committed and the task restarted, it polled \
                     again {}, which repeats the committed {}; a restarted task must \
                     resume after its committed offset",
                    committed.len(),
                    describe(got),
                    describe(earlier)
                )
            } else if let Some(k) = resumed.iter().position(|r| same(got, r)).filter(|k| *k > j) {
                format!(
                    "after the restart the task polled {} as record #{} of the stream, \
                     skipping {} record(s) from {}: a restarted task must lose nothing",
                    describe(got),
                    at,
                    k - j,
                    describe(want)
                )
            } else {
                format!(
                    "after the restart the task polled {} as record #{at} of the stream, where \
                     an uninterrupted run polled {}",
                    describe(got),
                    describe(want)
                )
            };
            return Err(ConformanceError::new(
                CHECK,
                format!(
                    "{message} ({} committed, {} polled after the commit and polled again \
                     after the restart as at-least-once delivery requires, {} polled after the \
                     restart)",
                    committed.len(),
                    pending.len(),
                    after.len()
                ),
            ));
        }
        Ok(())
    }

    /// Lets the task poll for a moment, fires its cancellation token while it polls,
    /// drops a `poll` that does not return soon after, then stops the task: `stop` must
    /// return within the stop timeout, without error, and nothing may panic.
    ///
    /// What `poll` returns is checked too. Before the token fires, `poll` may return
    /// records, an empty batch or a retriable error, as in normal running; any other
    /// error fails the check. A `poll` that returns after the token fired (one in
    /// flight when it fired) must return `Ok`, an empty batch or records that are
    /// simply not acknowledged (`poll` is cancel-safe, as `SourceTask::poll` says, and a
    /// task that waits for input returns an empty batch once cancelled, as
    /// `docs/AUTHORING.md` says), or an error of kind
    /// [`Cancelled`](connect_api::error::ErrorKind::Cancelled), the kind for an
    /// operation cut short by shutdown; any other error fails the check, because the
    /// runtime would report the stopping task as failed. A `poll` that does not return
    /// is dropped, which cancel-safety allows.
    pub async fn stop_while_polling_is_safe(&self) -> Result<(), ConformanceError> {
        const CHECK: &str = "source_stop_while_polling_is_safe";
        let mut harness = self.harness(CHECK).await?;
        let run = async move {
            let token = harness.cancellation().clone();
            let mut outcome: Result<(), ConformanceError> = Ok(());
            {
                let outcome = &mut outcome;
                let polling = async {
                    loop {
                        let cancelled_before = token.is_cancelled();
                        let polled = harness.poll().await;
                        let cancelled = token.is_cancelled();
                        match polled {
                            Ok(_) => {}
                            Err(e) if !cancelled && e.is_retriable() => {}
                            Err(e) if cancelled && e.kind() == ErrorKind::Cancelled => {}
                            Err(e) => {
                                let when = if cancelled_before {
                                    "a poll after the cancellation token fired"
                                } else if cancelled {
                                    "a poll in flight when the cancellation token fired"
                                } else {
                                    "a poll before the stop"
                                };
                                *outcome = Err(ConformanceError::caused_by(
                                    CHECK,
                                    format!(
                                        "{when} returned a {} error; a poll cut short by \
                                         shutdown must return Ok (an empty batch) or a \
                                         `cancelled` error",
                                        e.kind()
                                    ),
                                    e,
                                ));
                                break;
                            }
                        }
                        if cancelled {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                };
                let cancelling = async {
                    tokio::time::sleep(BUSY_BEFORE_CANCEL).await;
                    token.cancel();
                    tokio::time::sleep(CANCEL_GRACE).await;
                };
                tokio::select! {
                    () = polling => {}
                    () = cancelling => {}
                }
            }
            let stopped = harness.stop().await.map_err(|e| {
                ConformanceError::caused_by(CHECK, "stop after a cancelled poll failed", e)
            });
            outcome.and(stopped)
        };
        match tokio::spawn(run).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => {
                let panic = join.into_panic();
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string payload".to_string());
                Err(ConformanceError::new(
                    CHECK,
                    format!("the task panicked while being stopped during a poll: {text}"),
                ))
            }
            Err(join) => Err(ConformanceError::new(
                CHECK,
                format!("the check's own task was cancelled: {join}"),
            )),
        }
    }

    /// Runs every source check, stopping at the first failure.
    pub async fn all(&self) -> Result<(), ConformanceError> {
        self.starts_without_committed_offset().await?;
        self.resumes_from_committed_offset().await?;
        self.stop_while_polling_is_safe().await
    }
}

/// [`SourceConformance::starts_without_committed_offset`] with the default settings.
pub async fn source_starts_without_committed_offset<F>(
    make_task: F,
    config: RawConfig,
) -> Result<(), ConformanceError>
where
    F: Fn() -> Box<dyn SourceTask>,
{
    SourceConformance::new(make_task, config).starts_without_committed_offset().await
}

/// [`SourceConformance::resumes_from_committed_offset`] with the default settings.
pub async fn source_resumes_from_committed_offset<F>(
    make_task: F,
    config: RawConfig,
) -> Result<(), ConformanceError>
where
    F: Fn() -> Box<dyn SourceTask>,
{
    SourceConformance::new(make_task, config).resumes_from_committed_offset().await
}

/// [`SourceConformance::stop_while_polling_is_safe`] with the default settings.
pub async fn source_stop_while_polling_is_safe<F>(
    make_task: F,
    config: RawConfig,
) -> Result<(), ConformanceError>
where
    F: Fn() -> Box<dyn SourceTask>,
{
    SourceConformance::new(make_task, config).stop_while_polling_is_safe().await
}
