//! # connect-api
//!
//! The connector SDK of Kafka Connect for Rust: what a connector author implements and
//! the data a connector handles. Semantics follow Apache Kafka Connect's `connect/api`;
//! shapes follow Rust habits. This crate has no Kafka client, no Avro and no HTTP: the
//! runtime (`connect-runtime`) drives what is defined here.
//!
//! - [`data`]: [`Schema`](data::Schema), [`Struct`](data::Struct), [`Value`](data::Value),
//!   logical types, projection and compatibility.
//! - [`record`]: [`SourceRecord`](record::SourceRecord), [`SinkRecord`](record::SinkRecord),
//!   headers, source partitions and offsets.
//! - [`connector`] and [`task`]: the traits an author implements.
//! - [`context`]: what the runtime hands to connectors and tasks.
//! - [`config`]: [`ConfigDef`](config::ConfigDef), parsing, validation, typed configs.
//! - [`convert`] and [`transform`]: converter, transformation and predicate traits.
//! - [`plugin`]: how a connector crate lists what it provides.
//! - [`error`]: [`ConnectError`] and its [`ErrorKind`].
//!
//! ## A complete source connector
//!
//! A connector that counts from the committed offset onwards, one record per poll, into
//! the topic its `topic` setting names:
//!
//! ```
//! use async_trait::async_trait;
//! use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
//! use connect_api::context::{ConnectorContext, SourceTaskContext};
//! use connect_api::data::{Schema, Value};
//! use connect_api::record::{OffsetMap, SourceRecord};
//! use connect_api::{Connector, Result, SourceConnector, SourceTask};
//! use serde::Deserialize;
//!
//! /// The connector's typed configuration, tied to its ConfigDef.
//! #[derive(Debug, Deserialize)]
//! struct CounterConfig {
//!     topic: String,
//!     #[serde(rename = "start")]
//!     start: i64,
//! }
//!
//! fn config_def() -> ConfigDef {
//!     ConfigDef::new()
//!         .define(ConfigKey::new("topic", Type::String, Importance::High, "Topic to write to."))
//!         .define(
//!             ConfigKey::new("start", Type::Long, Importance::Low, "First number.")
//!                 .default_value("0"),
//!         )
//! }
//!
//! #[derive(Default)]
//! struct CounterConnector {
//!     config: RawConfig,
//! }
//!
//! #[async_trait]
//! impl Connector for CounterConnector {
//!     fn version(&self) -> String {
//!         "1.0.0".into()
//!     }
//!     fn config_def(&self) -> ConfigDef {
//!         config_def()
//!     }
//!     async fn start(&mut self, _ctx: ConnectorContext, config: RawConfig) -> Result<()> {
//!         config_def().parse(&config)?; // fail fast on a bad config
//!         self.config = config;
//!         Ok(())
//!     }
//!     async fn task_configs(&mut self, _max_tasks: usize) -> Result<Vec<RawConfig>> {
//!         Ok(vec![self.config.clone()]) // one stream: one task
//!     }
//!     async fn stop(&mut self) -> Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! impl SourceConnector for CounterConnector {
//!     fn create_task(&self) -> Box<dyn SourceTask> {
//!         Box::new(CounterTask::default())
//!     }
//! }
//!
//! #[derive(Default)]
//! struct CounterTask {
//!     topic: String,
//!     next: i64,
//! }
//!
//! fn partition() -> OffsetMap {
//!     OffsetMap::new().with("counter", "main")
//! }
//!
//! #[async_trait]
//! impl SourceTask for CounterTask {
//!     async fn start(&mut self, ctx: SourceTaskContext, config: RawConfig) -> Result<()> {
//!         let cfg: CounterConfig = config_def().parse(&config)?.into_typed()?;
//!         self.topic = cfg.topic;
//!         // Resume after the last committed number, or begin at `start`.
//!         let committed = ctx.offset_storage_reader().offset(&partition()).await?;
//!         self.next = match committed.and_then(|o| o.get_i64("n")) {
//!             Some(n) => n + 1,
//!             None => cfg.start,
//!         };
//!         Ok(())
//!     }
//!     async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
//!         let n = self.next;
//!         self.next += 1;
//!         Ok(vec![SourceRecord::builder(self.topic.clone())
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
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! // What the runtime does, by hand: start the connector, plan tasks, run one.
//! use std::collections::HashMap;
//! use std::sync::Arc;
//! use connect_api::context::OffsetStorageReader;
//!
//! struct Committed; // an offset store that remembers n = 41
//! #[async_trait]
//! impl OffsetStorageReader for Committed {
//!     async fn offsets(&self, parts: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>> {
//!         Ok(parts.iter().map(|p| (p.clone(), OffsetMap::new().with("n", 41i64))).collect())
//!     }
//! }
//!
//! let mut connector = CounterConnector::default();
//! let config = RawConfig::from([("topic".to_string(), "numbers".to_string())]);
//! connector.start(ConnectorContext::new(|_| {}), config).await?;
//! let task_config = connector.task_configs(4).await?.remove(0);
//! let mut task = connector.create_task();
//! let ctx = SourceTaskContext::new(task_config.clone(), Arc::new(Committed), Default::default());
//! task.start(ctx, task_config).await?;
//! let batch = task.poll().await?;
//! assert_eq!(batch[0].value(), &Value::Int64(42)); // resumed after 41
//! # use connect_api::record::ConnectRecord;
//! # Ok::<(), connect_api::ConnectError>(())
//! # }).unwrap();
//! ```
//!
//! Test connectors with the `connect-testkit` crate: mock contexts, harnesses and
//! conformance checks.

pub mod config;
pub mod connector;
pub mod context;
pub mod convert;
pub mod data;
pub mod error;
pub mod plugin;
pub mod record;
pub mod task;
pub mod transform;
pub mod util;

pub use connector::{Connector, SinkConnector, SourceConnector};
pub use error::{ConnectError, ErrorKind, Result};
pub use task::{SinkTask, SourceTask};

/// Compile-time checks that what crosses tasks and threads is `Send`/`Sync`.
#[cfg(test)]
mod send_sync {
    use super::*;

    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}

    #[test]
    fn records_contexts_and_task_futures_are_send() {
        is_send::<record::SourceRecord>();
        is_send::<record::SinkRecord>();
        is_sync::<record::SinkRecord>();
        is_send::<data::Schema>();
        is_sync::<data::Schema>();
        is_send::<context::SourceTaskContext>();
        is_sync::<context::SinkTaskContext>();
        is_send::<context::ConnectorContext>();
        is_send::<Box<dyn SourceTask>>();
        is_send::<Box<dyn SinkTask>>();
        is_send::<Box<dyn SourceConnector>>();
        is_send::<Box<dyn SinkConnector>>();
        is_send::<ConnectError>();
        is_sync::<ConnectError>();
        fn poll_future_is_send(t: &mut dyn SourceTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            let f = t.poll();
            check(&f);
        }
        let _ = poll_future_is_send;
    }
}
