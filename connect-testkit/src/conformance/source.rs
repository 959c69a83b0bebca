//! Conformance checks for source tasks.

use std::time::Duration;

use connect_api::SourceTask;
use connect_api::config::RawConfig;
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
            poll_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(5),
            same_record: None,
        }
    }

    /// How many records the resume check polls and commits before restarting
    /// (default 3).
    #[must_use]
    pub fn records_before_restart(mut self, count: usize) -> Self {
        self.records_before_restart = count.max(1);
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

    /// How the resume check tells that a record polled after the restart repeats one
    /// committed before it; the default is [`same_source_position`].
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

    /// Polls some records, commits them, restarts a fresh task on the committed
    /// offsets and polls again: no record of the first batch of the new task may
    /// repeat a committed one (as told by [`same_record`](Self::same_record)).
    pub async fn resumes_from_committed_offset(&self) -> Result<(), ConformanceError> {
        const CHECK: &str = "source_resumes_from_committed_offset";
        let mut harness = self.harness(CHECK).await?;
        let before =
            harness.poll_until(self.records_before_restart, self.poll_timeout).await.map_err(
                |e| ConformanceError::caused_by(CHECK, "polling before the restart failed", e),
            )?;
        if self.same_record.is_none() && before.iter().all(|r| r.source_offset().is_empty()) {
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
        harness
            .restart((self.make_task)())
            .await
            .map_err(|e| ConformanceError::caused_by(CHECK, "the restart failed", e))?;
        let after = harness.poll_until(1, self.poll_timeout).await.map_err(|e| {
            ConformanceError::caused_by(CHECK, "polling after the restart failed", e)
        })?;
        let same = self.same_record.unwrap_or(same_source_position);
        for record in &after {
            if let Some(earlier) = before.iter().find(|b| same(record, b)) {
                return Err(ConformanceError::new(
                    CHECK,
                    format!(
                        "after {} record(s) were committed and the task restarted, it polled \
                         again {}, which repeats the committed {}; a restarted task must \
                         resume after its committed offset",
                        before.len(),
                        describe(record),
                        describe(earlier)
                    ),
                ));
            }
        }
        harness.stop().await.map_err(|e| ConformanceError::caused_by(CHECK, "stop failed", e))
    }

    /// Lets the task poll for a moment, fires its cancellation token while it polls,
    /// drops a `poll` that does not return soon after, then stops the task: `stop` must
    /// return within the stop timeout, without error, and nothing may panic.
    pub async fn stop_while_polling_is_safe(&self) -> Result<(), ConformanceError> {
        const CHECK: &str = "source_stop_while_polling_is_safe";
        let mut harness = self.harness(CHECK).await?;
        let run = async move {
            let token = harness.cancellation().clone();
            {
                let polling = async {
                    loop {
                        let _ = harness.poll().await;
                        if token.is_cancelled() {
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
            harness.stop().await.map_err(|e| {
                ConformanceError::caused_by(CHECK, "stop after a cancelled poll failed", e)
            })
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
