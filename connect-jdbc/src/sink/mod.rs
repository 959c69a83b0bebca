//! The JDBC sink connector (`io.confluent.connect.jdbc.JdbcSinkConnector`): records
//! from Kafka topics into tables of PostgreSQL, MySQL/MariaDB or SQLite.
//!
//! - [`config`]: the keys (Confluent's, plus `insert.method`) and [`JdbcSinkConfig`].
//! - [`JdbcSinkConnector`] plans `tasks.max` identical tasks; each [`JdbcSinkTask`]
//!   writes every `put` batch in one transaction, committed before `put` returns.
//! - Inserts go as multi-row statements sized to the parameter limit, or as
//!   PostgreSQL `COPY` with `insert.method=copy`; upserts use each dialect's own form
//!   (`ON CONFLICT … DO UPDATE`, `ON DUPLICATE KEY UPDATE`).
//! - Tables are created (`auto.create`) and given new nullable or defaulted columns
//!   (`auto.evolve`) from the record schemas; schemaless maps (JsonConverter with
//!   `schemas.enable=false`) are written into existing tables.
//!
//! See `README-sink.md` for every key, its default, and the delivery guarantee.

pub mod config;
#[cfg(feature = "postgres")]
pub mod copy;
pub mod metadata;
pub mod plan;
mod task;
pub mod types;
pub mod writer;

use std::collections::HashMap;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigReport, RawConfig};
use connect_api::context::ConnectorContext;
use connect_api::plugin::PluginDescriptor;
use connect_api::record::TopicPartition;
use connect_api::{Connector, Result, SinkConnector, SinkTask};

pub use config::{InsertMethod, InsertMode, JdbcSinkConfig, PkMode};
pub use task::JdbcSinkTask;

/// The version the sink reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Confluent's class name of the sink connector.
pub const SINK_CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

/// The sink connector's plugin descriptor: Confluent's class name, the short aliases
/// and our Rust name.
///
/// ```
/// let p = connect_jdbc::sink::plugins();
/// assert!(p[0].matches("JdbcSink") && p[0].matches("io.confluent.connect.jdbc.JdbcSinkConnector"));
/// assert!(p[0].matches("connect_jdbc::JdbcSinkConnector"));
/// ```
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::sink(SINK_CLASS, VERSION, || Box::new(JdbcSinkConnector::new()))
            .with_task_class("io.confluent.connect.jdbc.sink.JdbcSinkTask")
            .with_aliases(["JdbcSinkConnector", "JdbcSink", "connect_jdbc::JdbcSinkConnector"]),
    ]
}

/// Writes records into database tables (Confluent's `JdbcSinkConnector`). Every task
/// gets the same configuration; the runtime spreads the topic partitions over them.
#[derive(Debug, Default)]
pub struct JdbcSinkConnector {
    config: Option<RawConfig>,
}

impl JdbcSinkConnector {
    /// A connector that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for JdbcSinkConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        JdbcSinkConfig::config_def()
    }

    fn validate(&self, config: &RawConfig) -> ConfigReport {
        let mut report = self.config_def().validate(config);
        JdbcSinkConfig::validate_into(config, &mut report);
        report
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        let parsed = JdbcSinkConfig::parse(&config)?;
        tracing::info!(
            url = %crate::connection::redact(&parsed.connection_url),
            insert_mode = %parsed.insert_mode,
            pk_mode = %parsed.pk_mode,
            "JdbcSinkConnector starting"
        );
        self.config = Some(config);
        Ok(())
    }

    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(
            self.config.as_ref(),
            max_tasks,
            "JdbcSinkConnector",
        )
    }

    async fn stop(&mut self) -> Result<()> {
        self.config = None;
        Ok(())
    }
}

#[async_trait]
impl SinkConnector for JdbcSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(JdbcSinkTask::new())
    }

    /// The sink keeps no offsets of its own: the consumer group's are the only ones.
    async fn alter_offsets(
        &mut self,
        _config: &RawConfig,
        _offsets: &HashMap<TopicPartition, Option<i64>>,
    ) -> Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod send_checks {
    use super::*;

    fn is_send<T: Send>() {}

    #[test]
    fn task_and_put_future_are_send() {
        is_send::<JdbcSinkTask>();
        is_send::<JdbcSinkConnector>();
        fn put_is_send(t: &mut JdbcSinkTask) {
            fn check<F: std::future::Future + Send>(_: &F) {}
            check(&t.put(&[]));
        }
        let _ = put_is_send;
    }
}
