//! The conformance macros: each expands to a module of `#[test]`s that call the
//! functions of [`conformance`](crate::conformance).

/// Generates a module of tests that run the source conformance checks against a task.
///
/// ```
/// # use async_trait::async_trait;
/// # use connect_api::context::SourceTaskContext;
/// # use connect_api::data::{Schema, Value};
/// # use connect_api::record::{OffsetMap, SourceRecord};
/// # use connect_api::Result;
/// use connect_api::SourceTask;
/// use connect_api::config::RawConfig;
/// # #[derive(Default)]
/// # struct CounterTask { next: i64 }
/// # #[async_trait]
/// # impl SourceTask for CounterTask {
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
///
/// fn counter_config() -> RawConfig {
///     RawConfig::from([("topic".to_string(), "numbers".to_string())])
/// }
///
/// connect_testkit::source_task_conformance! {
///     name: counter_conformance,
///     task: || Box::new(CounterTask::default()) as Box<dyn SourceTask>,
///     config: counter_config,
///     // optional, in this order:
///     setup: || async { /* prepare the input the task reads */ },
///     same_record: connect_testkit::conformance::same_source_position,
/// }
/// # fn main() {}
/// ```
///
/// generates `mod counter_source_conformance` with the tests
/// `starts_without_committed_offset`, `resumes_from_committed_offset` and
/// `stop_while_polling_is_safe` (see [`SourceConformance`](crate::conformance::SourceConformance)).
///
/// - `task`: a closure making a fresh, unstarted `Box<dyn SourceTask>`.
/// - `config`: a closure returning the task's `RawConfig`; called once per test.
/// - `setup`: run at the start of each test, before `config`; a closure returning
///   `()` or `Result<(), E: Display>`, or a future of either.
/// - `same_record`: how to tell that a record repeats another (default: same source
///   partition and offset).
///
/// Invoke it at module level (a test file, or a `#[cfg(test)]` module): the generated
/// module does `use super::*;`, so the closures may name what the enclosing module
/// sees. Each test runs on its own multi-threaded tokio runtime through
/// [`conformance::block_on`](crate::conformance::block_on): the author's crate needs
/// `connect-testkit` as a dev-dependency and no tokio of its own.
#[macro_export]
macro_rules! source_task_conformance {
    (
        name: $name:ident,
        task: $task:expr,
        config: $config:expr
        $(, setup: $setup:expr)?
        $(, same_record: $same:expr)?
        $(,)?
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(dead_code)]
            async fn __checks() -> ::std::result::Result<
                $crate::conformance::SourceConformance<
                    impl Fn() -> ::std::boxed::Box<dyn $crate::__private::SourceTask>,
                >,
                $crate::conformance::ConformanceError,
            > {
                $(
                    #[allow(unused_imports)]
                    use $crate::__private::{SetupAsync as _, SetupSync as _};
                    $crate::conformance::SetupOutcome::into_setup_result(
                        $crate::__private::Wrap($setup).run_setup().await,
                    )?;
                )?
                let config: $crate::__private::RawConfig = ($config)();
                #[allow(unused_mut)]
                let mut checks = $crate::conformance::SourceConformance::new($task, config);
                $( checks = checks.same_record($same); )?
                Ok(checks)
            }

            #[test]
            fn starts_without_committed_offset(
            ) -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $crate::conformance::block_on(async {
                    __checks().await?.starts_without_committed_offset().await
                })
            }

            #[test]
            fn resumes_from_committed_offset(
            ) -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $crate::conformance::block_on(async {
                    __checks().await?.resumes_from_committed_offset().await
                })
            }

            #[test]
            fn stop_while_polling_is_safe(
            ) -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $crate::conformance::block_on(async {
                    __checks().await?.stop_while_polling_is_safe().await
                })
            }
        }
    };
}

/// Generates a module of tests that run the sink conformance checks against a task.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Mutex;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// use async_trait::async_trait;
/// use connect_api::config::RawConfig;
/// use connect_api::context::SinkTaskContext;
/// use connect_api::data::Value;
/// use connect_api::record::{ConnectRecord, SinkRecord};
/// use connect_api::{ConnectError, Result, SinkTask};
/// use connect_testkit::{Fault, SinkRecords};
///
/// /// The "external system": tables of values, and the tables that are down.
/// static TABLES: Mutex<BTreeMap<String, Vec<Value>>> = Mutex::new(BTreeMap::new());
/// static OUTAGES: Mutex<BTreeMap<String, Fault>> = Mutex::new(BTreeMap::new());
/// static NEXT_TABLE: AtomicUsize = AtomicUsize::new(0);
///
/// #[derive(Default)]
/// struct TableSink {
///     table: String,
/// }
///
/// #[async_trait]
/// impl SinkTask for TableSink {
///     async fn start(&mut self, _ctx: SinkTaskContext, config: RawConfig) -> Result<()> {
///         self.table = config["table"].clone();
///         Ok(())
///     }
///     async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
///         match OUTAGES.lock().unwrap().get(&self.table) {
///             Some(Fault::Retriable) => return Err(ConnectError::retriable("table busy")),
///             Some(Fault::Fatal) => return Err(ConnectError::fatal("table dropped")),
///             None => {}
///         }
///         let mut tables = TABLES.lock().unwrap();
///         let rows = tables.entry(self.table.clone()).or_default();
///         rows.extend(records.iter().map(|r| r.value().clone()));
///         Ok(())
///     }
///     async fn stop(&mut self) -> Result<()> {
///         Ok(())
///     }
/// }
///
/// /// Each call names a new table, so runs do not see each other's rows.
/// fn fresh_config() -> RawConfig {
///     let table = format!("orders_{}", NEXT_TABLE.fetch_add(1, Ordering::SeqCst));
///     RawConfig::from([("table".to_string(), table)])
/// }
///
/// fn rows(config: &RawConfig) -> Vec<Value> {
///     TABLES.lock().unwrap().get(&config["table"]).cloned().unwrap_or_default()
/// }
///
/// /// Takes the table of `config` down (`Some`) or brings it back (`None`).
/// fn set_outage(config: &RawConfig, fault: Option<Fault>) {
///     let mut outages = OUTAGES.lock().unwrap();
///     match fault {
///         Some(fault) => outages.insert(config["table"].clone(), fault),
///         None => outages.remove(&config["table"]),
///     };
/// }
///
/// connect_testkit::sink_task_conformance! {
///     name: table_sink_conformance,
///     task: || Box::new(TableSink::default()) as Box<dyn SinkTask>,
///     config: fresh_config,
///     records: || SinkRecords::new("orders", 0).strings(["a", "b", "c"]),
///     written: |config: &RawConfig| rows(config),
///     // or asynchronously: written: async |config: &RawConfig| read_table(config).await,
///     fault: async |config: &RawConfig, fault: Option<Fault>| set_outage(config, fault),
///     // optional: setup: || async { create_the_schema().await },
/// }
/// # fn main() {}
/// ```
///
/// generates `mod table_sink_conformance` with the tests
/// `retriable_errors_are_retried` and `fatal_errors_are_not_retried` (see
/// [`sink_retriable_errors_are_retried`](crate::conformance::sink_retriable_errors_are_retried)
/// and [`sink_fatal_errors_are_not_retried`](crate::conformance::sink_fatal_errors_are_not_retried)).
///
/// - `task`: a closure making a fresh, unstarted `Box<dyn SinkTask>`.
/// - `config`: a closure returning a `RawConfig`; called once per run, and each call
///   must point the sink at its own destination.
/// - `records`: a closure returning the `Vec<SinkRecord>` to deliver.
/// - `written`: given a run's config, what the external system holds for it: a value
///   (`Clone + PartialEq + Debug`) or a future of one.
/// - `fault`: an async closure `(&RawConfig, Option<Fault>)` that acts on the external
///   system of a run's config, never on the task: `Some(Fault::Retriable)` makes its
///   writes fail transiently (hold a lock, drop the connection), `Some(Fault::Fatal)`
///   makes them fail for good (a constraint no record meets, a read-only destination),
///   `None` ends the outage. The task's own `put` must then raise the error, with the
///   right kind; nothing is injected into the task.
/// - `setup`: as in [`source_task_conformance!`](crate::source_task_conformance).
///
/// Tests run as described for [`source_task_conformance!`](crate::source_task_conformance).
#[macro_export]
macro_rules! sink_task_conformance {
    (
        name: $name:ident,
        task: $task:expr,
        config: $config:expr,
        records: $records:expr,
        written: $written:expr,
        fault: $fault:expr
        $(, setup: $setup:expr)?
        $(,)?
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(dead_code)]
            async fn __setup() -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $(
                    #[allow(unused_imports)]
                    use $crate::__private::{SetupAsync as _, SetupSync as _};
                    $crate::conformance::SetupOutcome::into_setup_result(
                        $crate::__private::Wrap($setup).run_setup().await,
                    )?;
                )?
                Ok(())
            }

            #[allow(dead_code)]
            async fn __retriable() -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                __setup().await?;
                $crate::conformance::sink_retriable_errors_are_retried(
                    $task,
                    $config,
                    ($records)(),
                    async |config: &$crate::__private::RawConfig| {
                        #[allow(unused_imports)]
                        use $crate::__private::{WrittenAsync as _, WrittenSync as _};
                        $crate::__private::Wrap(($written)(config)).resolve().await
                    },
                    $fault,
                )
                .await
            }

            #[allow(dead_code)]
            async fn __fatal() -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                __setup().await?;
                $crate::conformance::sink_fatal_errors_are_not_retried(
                    $task,
                    ($config)(),
                    ($records)(),
                    $fault,
                )
                .await
            }

            #[test]
            fn retriable_errors_are_retried(
            ) -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $crate::conformance::block_on(__retriable())
            }

            #[test]
            fn fatal_errors_are_not_retried(
            ) -> ::std::result::Result<(), $crate::conformance::ConformanceError> {
                $crate::conformance::block_on(__fatal())
            }
        }
    };
}
