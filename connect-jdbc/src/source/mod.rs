//! The JDBC source connector (`io.confluent.connect.jdbc.JdbcSourceConnector`):
//! copies tables, or the result of a query, into Kafka in one of the modes `bulk`,
//! `incrementing`, `timestamp` or `timestamp+incrementing`.
//!
//! - [`config`]: every key with Confluent's name and default ([`JdbcSourceConfig`]).
//! - [`JdbcSourceConnector`]: lists the tables, divides them over the tasks, and
//!   re-plans the tasks when tables appear or disappear.
//! - [`JdbcSourceTask`]: polls each table, streaming rows and decoding them with a
//!   plan computed once per query; offsets in Kafka Connect's format
//!   (`{"table": "<name>"}` → `{"incrementing": n}` / `{"timestamp": ms,
//!   "timestamp_nanos": n}`), and, in the timestamp modes, a watermark that loses no
//!   row when transactions commit out of order (see the crate README).
//!
//! ```
//! use connect_api::plugin::PluginKind;
//!
//! let plugins = connect_jdbc::source::plugins();
//! let p = plugins.iter().find(|p| p.matches("JdbcSource")).unwrap();
//! assert_eq!(p.kind(), PluginKind::Source);
//! assert_eq!(p.class_name(), "io.confluent.connect.jdbc.JdbcSourceConnector");
//! ```

pub mod config;
mod connector;
pub mod decode;
mod query;
pub mod schema;
pub mod tables;
mod task;

pub use config::{JdbcSourceConfig, Mode, NumericMapping};
pub use connector::JdbcSourceConnector;
pub use query::WATERMARK_MARGIN_NANOS;
pub use task::{
    INCREMENTING_KEY, JdbcSourceTask, QUERY_KEY, TABLE_KEY, TIMESTAMP_KEY, TIMESTAMP_NANOS_KEY,
    offset_timestamp, query_partition, table_partition, timestamp_offset,
};

use connect_api::plugin::PluginDescriptor;

/// The version the source connector and its tasks report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Confluent's class name of the source connector.
pub const SOURCE_CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";

/// The source connector's plugin descriptors: Confluent's class name and the aliases
/// `JdbcSourceConnector`, `JdbcSource` and `connect_jdbc::JdbcSourceConnector`.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::source(SOURCE_CLASS, VERSION, || Box::new(JdbcSourceConnector::new()))
            .with_task_class("io.confluent.connect.jdbc.source.JdbcSourceTask")
            .with_aliases([
                "JdbcSourceConnector",
                "JdbcSource",
                "connect_jdbc::JdbcSourceConnector",
            ]),
    ]
}

/// Compile-time checks that the connector, the task and its futures are `Send`.
#[cfg(test)]
mod send_checks {
    use super::*;
    use connect_api::SourceTask;

    fn is_send<T: Send>() {}

    #[test]
    fn task_and_connector_are_send() {
        is_send::<JdbcSourceTask>();
        is_send::<JdbcSourceConnector>();
        fn poll_is_send(t: &mut JdbcSourceTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&t.poll());
        }
        let _ = poll_is_send;
    }
}
