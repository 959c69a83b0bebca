//! # connect-file
//!
//! The reference file connectors of Kafka Connect, for Kafka Connect for Rust:
//!
//! - [`FileStreamSourceConnector`] / [`FileStreamSourceTask`]: each line of a file (or
//!   of standard input) becomes a record with a string value, the byte position after
//!   the line as its source offset; the task resumes at the committed position and
//!   follows the file as it grows.
//! - [`FileStreamSinkConnector`] / [`FileStreamSinkTask`]: each record's value becomes
//!   a line appended to a file (or written to standard output), made durable before
//!   offsets are committed.
//!
//! Configuration keys are Kafka's (`file`, `topic`, `batch.size`; see [`config`]), and
//! [`plugins`] registers both connectors under Kafka's class names
//! (`org.apache.kafka.connect.file.FileStreamSourceConnector`, …), their short aliases
//! (`FileStreamSource`, `FileStreamSink`, …) and our Rust names. The crate's README
//! states the delivery guarantees.
//!
//! ## Example: a file through the source and sink tasks, without Kafka
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Arc;
//!
//! use async_trait::async_trait;
//! use connect_api::config::RawConfig;
//! use connect_api::context::{OffsetStorageReader, SinkTaskContext, SourceTaskContext};
//! use connect_api::record::{ConnectRecord, OffsetMap, SinkRecord};
//! use connect_api::{Result, SinkTask, SourceTask};
//! use connect_file::{FileStreamSinkTask, FileStreamSourceTask};
//!
//! struct NoOffsets; // nothing committed yet
//! #[async_trait]
//! impl OffsetStorageReader for NoOffsets {
//!     async fn offsets(&self, _: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>> {
//!         Ok(HashMap::new())
//!     }
//! }
//!
//! # let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let input = dir.path().join("in.txt");
//! let output = dir.path().join("out.txt");
//! std::fs::write(&input, "hello\r\nworld\n")?;
//!
//! // Source: lines → records with the byte position after each line.
//! let config = RawConfig::from([
//!     ("file".to_string(), input.display().to_string()),
//!     ("topic".to_string(), "lines".to_string()),
//! ]);
//! let mut source = FileStreamSourceTask::new();
//! let ctx = SourceTaskContext::new(config.clone(), Arc::new(NoOffsets), Default::default());
//! source.start(ctx, config).await?;
//! let records = source.poll().await?;
//! assert_eq!(records.len(), 2);
//! assert_eq!(records[0].value().as_str(), Some("hello"));
//! assert_eq!(records[1].source_offset().get_i64("position"), Some(13));
//! source.stop().await?;
//!
//! // Sink: records → lines, durable once flushed.
//! let config = RawConfig::from([("file".to_string(), output.display().to_string())]);
//! let mut sink = FileStreamSinkTask::new();
//! sink.start(SinkTaskContext::new(config.clone(), None, Default::default()), config).await?;
//! let delivered: Vec<SinkRecord> = records
//!     .iter()
//!     .enumerate()
//!     .map(|(i, r)| {
//!         SinkRecord::builder("lines", 0, i as i64)
//!             .value(r.value_schema().cloned(), r.value().clone())
//!             .build()
//!     })
//!     .collect();
//! sink.put(&delivered).await?;
//! sink.flush(&HashMap::new()).await?;
//! assert_eq!(std::fs::read_to_string(&output)?, "hello\nworld\n");
//! sink.stop().await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod config;
mod reader;
mod render;
mod sink;
mod source;

pub use config::{FileStreamSinkConfig, FileStreamSourceConfig};
pub use render::render_value;
pub use sink::{FileStreamSinkConnector, FileStreamSinkTask};
pub use source::{FileStreamSourceConnector, FileStreamSourceTask};

use connect_api::plugin::PluginDescriptor;

/// This crate's version, reported by its connectors and tasks.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Kafka's class name of the source connector.
pub const SOURCE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
/// Kafka's class name of the sink connector.
pub const SINK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

/// The plugins of this crate, for the runtime's plugin registry: the source and the
/// sink connector, each under Kafka's class name, its short aliases and our Rust name.
///
/// ```
/// use connect_api::plugin::PluginKind;
///
/// let plugins = connect_file::plugins();
/// let source = plugins.iter().find(|p| p.matches("FileStreamSource")).unwrap();
/// assert_eq!(source.kind(), PluginKind::Source);
/// assert_eq!(source.class_name(), "org.apache.kafka.connect.file.FileStreamSourceConnector");
/// assert!(plugins.iter().any(|p| p.matches("connect_file::FileStreamSinkConnector")));
/// ```
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::source(SOURCE_CLASS, VERSION, || {
            Box::new(FileStreamSourceConnector::new())
        })
        .with_aliases([
            "FileStreamSource",
            "FileStreamSourceConnector",
            "connect_file::FileStreamSourceConnector",
        ]),
        PluginDescriptor::sink(SINK_CLASS, VERSION, || Box::new(FileStreamSinkConnector::new()))
            .with_aliases([
                "FileStreamSink",
                "FileStreamSinkConnector",
                "connect_file::FileStreamSinkConnector",
            ]),
    ]
}

/// Compile-time checks that the tasks and their futures can move between threads.
#[cfg(test)]
mod send_checks {
    use super::*;
    use connect_api::{SinkTask, SourceTask};

    fn is_send<T: Send>() {}

    #[test]
    fn tasks_and_connectors_are_send() {
        is_send::<FileStreamSourceTask>();
        is_send::<FileStreamSinkTask>();
        is_send::<FileStreamSourceConnector>();
        is_send::<FileStreamSinkConnector>();
        fn poll_is_send(t: &mut FileStreamSourceTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&t.poll());
        }
        fn put_is_send(t: &mut FileStreamSinkTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&t.put(&[]));
        }
        let _ = (poll_is_send, put_is_send);
    }
}
