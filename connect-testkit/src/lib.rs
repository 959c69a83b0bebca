//! # connect-testkit
//!
//! Tests for connectors without Kafka: what a connector author needs to check a
//! [`SourceTask`](connect_api::SourceTask) or [`SinkTask`](connect_api::SinkTask)
//! against the runtime's contract.
//!
//! - [`InMemoryOffsetReader`]: committed source offsets in memory, shared by clones.
//! - Mock contexts: [`MockConnectorContext`] records what a connector asks of the
//!   runtime; [`source_task_context`], [`sink_task_context`] and
//!   [`RecordingErrantReporter`] for calling a task by hand.
//! - Record builders: [`SinkRecords`] makes consecutive-offset sink records;
//!   [`values_of`], [`keys_of`] and [`partitions_of`] for assertions.
//! - Harnesses that act as the runtime does: [`SourceTaskHarness`] (poll, commit with
//!   the runtime's offset rule, restart on committed offsets) and [`SinkTaskHarness`]
//!   (assignment, redelivery after retriable errors, seeks, `pre_commit`).
//! - Fault injection: [`FlakySourceTask`] and [`FlakySinkTask`].
//! - [`check_typed_config`]: a typed config struct and its `ConfigDef` agree.
//! - [`conformance`] checks, and the [`source_task_conformance!`] and
//!   [`sink_task_conformance!`] macros that turn them into tests.
//!
//! Add the kit as a dev-dependency: `connect-testkit = { workspace = true }` (or a
//! version). The harness methods are async: run them in `#[tokio::test]`s (tokio as a
//! dev-dependency with the `macros` and `rt` features). The tests the macros generate
//! bring their own runtime and need no tokio in the author's crate.
//!
//! ## Example: a source task resumes where it left off
//!
//! The counting task of `connect-api`'s crate documentation, driven by the harness:
//! poll, commit as the runtime does once Kafka acknowledged the records, restart a
//! fresh task on the committed offsets, and check where it resumes. Then a sink that
//! fails twice with a retriable error gets its batch redelivered.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! use async_trait::async_trait;
//! use connect_api::config::RawConfig;
//! use connect_api::context::{SinkTaskContext, SourceTaskContext};
//! use connect_api::data::{Schema, Value};
//! use connect_api::record::{ConnectRecord, OffsetMap, SinkRecord, SourceRecord};
//! use connect_api::{Result, SinkTask, SourceTask};
//! use connect_testkit::{
//!     FlakySinkTask, SinkRecords, SinkTaskHarness, SourceTaskHarness, partitions_of, values_of,
//! };
//!
//! #[derive(Default)]
//! struct CounterTask {
//!     next: i64,
//! }
//!
//! fn partition() -> OffsetMap {
//!     OffsetMap::new().with("counter", "main")
//! }
//!
//! #[async_trait]
//! impl SourceTask for CounterTask {
//!     async fn start(&mut self, ctx: SourceTaskContext, _config: RawConfig) -> Result<()> {
//!         let committed = ctx.offset_storage_reader().offset(&partition()).await?;
//!         self.next = committed.and_then(|o| o.get_i64("n")).map_or(0, |n| n + 1);
//!         Ok(())
//!     }
//!     async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
//!         let n = self.next;
//!         self.next += 1;
//!         Ok(vec![SourceRecord::builder("numbers")
//!             .source_partition(partition())
//!             .source_offset(OffsetMap::new().with("n", n))
//!             .value(Some(Schema::int64()), Value::Int64(n))
//!             .build()])
//!     }
//!     async fn stop(&mut self) -> Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! /// Keeps the values it is given.
//! #[derive(Default)]
//! struct MemorySink {
//!     stored: Arc<Mutex<Vec<Value>>>,
//! }
//!
//! #[async_trait]
//! impl SinkTask for MemorySink {
//!     async fn start(&mut self, _ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
//!         Ok(())
//!     }
//!     async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
//!         self.stored.lock().unwrap().extend(records.iter().map(|r| r.value().clone()));
//!         Ok(())
//!     }
//!     async fn stop(&mut self) -> Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let config = RawConfig::new();
//! let mut source = SourceTaskHarness::start(Box::new(CounterTask::default()), config).await?;
//! source.poll_until(3, Duration::from_secs(1)).await?;
//! let committed = source.commit().await?;
//! assert_eq!(committed[&partition()], OffsetMap::new().with("n", 2i64));
//!
//! source.restart(Box::new(CounterTask::default())).await?;
//! let resumed = source.poll_until(1, Duration::from_secs(1)).await?;
//! assert_eq!(resumed[0].value(), &Value::Int64(3));
//! source.stop().await?;
//!
//! let stored = Arc::new(Mutex::new(Vec::new()));
//! let sink = MemorySink { stored: stored.clone() };
//! let records = SinkRecords::new("numbers", 0).values(Some(Schema::int64()), [1i64, 2, 3]);
//! let mut harness =
//!     SinkTaskHarness::start(Box::new(FlakySinkTask::retriable(Box::new(sink), 2)), RawConfig::new())
//!         .await?;
//! harness.assign(partitions_of(&records)).await?;
//! harness.put(&records).await?;
//! assert_eq!(harness.last_put_attempts(), 3);
//! assert_eq!(*stored.lock().unwrap(), values_of(&records));
//! harness.stop().await?;
//! # Ok::<(), connect_api::ConnectError>(())
//! # }).unwrap();
//! ```
//!
//! ## Conformance tests in one macro call
//!
//! [`source_task_conformance!`] and [`sink_task_conformance!`] turn the [`conformance`]
//! checks into `#[test]`s for an author's task (their documentation has complete
//! examples):
//!
//! ```text
//! connect_testkit::source_task_conformance! {
//!     name: counter_conformance,
//!     task: || Box::new(CounterTask::default()) as Box<dyn SourceTask>,
//!     config: counter_config,
//! }
//! ```
//!
//! expands to `counter_conformance::starts_without_committed_offset`,
//! `counter_conformance::resumes_from_committed_offset` and
//! `counter_conformance::stop_while_polling_is_safe`.

mod call;
mod config;
pub mod conformance;
mod context;
mod flaky;
mod macros;
mod offsets;
mod records;
mod sink;
mod source;

#[doc(hidden)]
pub mod __private;

pub use config::check_typed_config;
pub use context::{
    ErrantReport, MockConnectorContext, RecordedError, RecordingErrantReporter, sink_task_context,
    sink_task_context_with_reporter, source_task_context,
};
pub use flaky::{Fault, FaultStats, FlakySinkTask, FlakySourceTask};
pub use offsets::InMemoryOffsetReader;
pub use records::{SinkRecords, keys_of, partitions_of, values_of};
pub use sink::{SinkHarnessBuilder, SinkTaskHarness};
pub use source::{SourceHarnessBuilder, SourceTaskHarness};

/// Compile-time checks that harnesses and their futures can move between threads.
#[cfg(test)]
mod send_sync {
    use super::*;

    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}

    #[test]
    fn harnesses_and_their_futures_are_send() {
        is_send::<SourceTaskHarness>();
        is_send::<SinkTaskHarness>();
        is_sync::<InMemoryOffsetReader>();
        is_sync::<MockConnectorContext>();
        is_sync::<RecordingErrantReporter>();
        is_send::<FlakySinkTask>();
        is_send::<FlakySourceTask>();
        fn futures_are_send(source: &mut SourceTaskHarness, sink: &mut SinkTaskHarness) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&source.poll_until(1, std::time::Duration::ZERO));
            check(&source.commit());
            check(&sink.put(&[]));
            check(&sink.commit());
        }
        let _ = futures_are_send;
    }
}
