//! # connect-hdfs
//!
//! An exactly-once storage sink with the configuration names and behaviour of
//! Confluent's HDFS connector (`io.confluent.connect.hdfs.HdfsSinkConnector`): it
//! writes records into files under `<topics.dir>/<topic>/<partition>/` on the
//! local filesystem or HDFS (one storage layer, Apache OpenDAL), commits them with a
//! write-ahead log, and recovers its position from the committed file names. See the
//! crate README for every key, its default and the delivery guarantee.
//!
//! - [`HdfsSinkConnector`] / [`HdfsSinkTask`]: the connector and its task.
//! - [`config`]: the keys ([`config::HdfsSinkConfig`]).
//! - [`storage`]: the store behind `store.url` / `hdfs.url`.
//! - [`wal`]: the write-ahead log that makes a commit atomic.
//! - [`layout`]: file and directory names.
//! - [`format`], [`partitioner`], [`hive`]: file formats, partitioners, the Hive
//!   metastore.
//!
//! ## Example: records through the task, without Kafka
//!
//! ```
//! use connect_api::config::RawConfig;
//! use connect_api::context::SinkTaskContext;
//! use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
//! use connect_api::record::{SinkRecord, TopicPartition};
//! use connect_api::SinkTask;
//! use connect_hdfs::HdfsSinkTask;
//!
//! # let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let config = RawConfig::from([
//!     ("store.url".to_string(), dir.path().display().to_string()),
//!     ("format.class".to_string(), "io.confluent.connect.hdfs.json.JsonFormat".to_string()),
//!     ("flush.size".to_string(), "2".to_string()),
//! ]);
//! let ctx = SinkTaskContext::new(config.clone(), None, Default::default());
//! let tp = TopicPartition::new("users", 0);
//! ctx.set_assignment([tp.clone()]);
//! let mut task = HdfsSinkTask::new();
//! task.start(ctx, config).await?;
//! task.open(&[tp.clone()]).await?;
//! let schema = SchemaBuilder::struct_().field("id", Schema::int64()).build()?;
//! let records: Vec<SinkRecord> = (0..2)
//!     .map(|i| {
//!         let value = Struct::new(schema.clone())?.with("id", i)?;
//!         Ok(SinkRecord::builder("users", 0, i).value(Some(schema.clone()), Value::Struct(value)).build())
//!     })
//!     .collect::<connect_api::Result<_>>()?;
//! task.put(&records).await?;
//! // The file's commit runs in the background; pre_commit waits for it.
//! let offsets = task.pre_commit(Default::default()).await?;
//! assert_eq!(offsets[&tp].offset, 2); // the next offset after the committed file
//! let committed = dir.path().join("topics/users/partition=0/users+0+0000000000+0000000001.json");
//! assert_eq!(std::fs::read_to_string(committed)?.lines().count(), 2);
//! task.stop().await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod commit;
pub mod config;
mod connector;
pub mod format;
pub mod hive;
mod hive_sync;
pub mod layout;
pub mod partitioner;
pub mod rotation;
pub mod storage;
mod task;
pub mod wal;
mod writer;

pub use connector::HdfsSinkConnector;
pub use task::HdfsSinkTask;

use connect_api::plugin::PluginDescriptor;

/// This crate's version, reported by its connector and tasks.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Confluent's class name of the connector.
pub const SINK_CLASS: &str = "io.confluent.connect.hdfs.HdfsSinkConnector";

/// The connectors of this crate, for the runtime's plugin registry: the HDFS sink
/// under Confluent's class name, its short aliases and our Rust name.
///
/// ```
/// use connect_api::plugin::PluginKind;
///
/// let plugins = connect_hdfs::plugins();
/// let sink = plugins.iter().find(|p| p.matches("HdfsSink")).unwrap();
/// assert_eq!(sink.kind(), PluginKind::Sink);
/// assert_eq!(sink.class_name(), "io.confluent.connect.hdfs.HdfsSinkConnector");
/// assert!(sink.matches("connect_hdfs::HdfsSinkConnector"));
/// assert!(sink.matches("HdfsSinkConnector"));
/// ```
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::sink(SINK_CLASS, VERSION, || Box::new(HdfsSinkConnector::new()))
            .with_aliases(["HdfsSinkConnector", "HdfsSink", "connect_hdfs::HdfsSinkConnector"]),
    ]
}

/// Compile-time checks that the task, the connector and their futures can move
/// between threads.
#[cfg(test)]
mod send_checks {
    use super::*;
    use connect_api::SinkTask;

    fn is_send<T: Send>() {}

    #[test]
    fn task_and_connector_are_send() {
        is_send::<HdfsSinkTask>();
        is_send::<HdfsSinkConnector>();
        fn put_is_send(t: &mut HdfsSinkTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&t.put(&[]));
        }
        let _ = put_is_send;
    }
}
