//! Connectors: [`Connector`] (the shared lifecycle), [`SourceConnector`] and
//! [`SinkConnector`].
//!
//! A connector does not copy data itself: it reads its configuration, splits the job
//! into task configurations, and creates the tasks that do the copying. The runtime
//! keeps connectors as `Box<dyn SourceConnector>` / `Box<dyn SinkConnector>`.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigReport, RawConfig};
use crate::context::ConnectorContext;
use crate::error::Result;
use crate::record::{OffsetMap, TopicPartition};
use crate::task::{SinkTask, SourceTask};

/// The lifecycle shared by source and sink connectors.
#[async_trait]
pub trait Connector: Send + 'static {
    /// The connector's version, shown by `GET /connector-plugins`.
    fn version(&self) -> String;

    /// The definition of the connector's configuration (Kafka's `config()`), used for
    /// parsing, validation and `/connector-plugins/{type}/config`.
    fn config_def(&self) -> ConfigDef;

    /// Validates a raw configuration key by key; the default runs the
    /// [`ConfigDef`]'s validation. Override to add cross-key checks with
    /// [`ConfigReport::add_error`].
    fn validate(&self, config: &RawConfig) -> ConfigReport {
        self.config_def().validate(config)
    }

    /// Starts the connector with its configuration. Long-running monitoring (for new
    /// tables, say) runs in a task the connector spawns, reporting through `context`.
    async fn start(&mut self, context: ConnectorContext, config: RawConfig) -> Result<()>;

    /// The configurations of at most `max_tasks` tasks.
    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>>;

    /// Stops the connector and frees what `start` acquired.
    async fn stop(&mut self) -> Result<()>;
}

/// Whether a source connector can give exactly-once delivery (Kafka's
/// `ExactlyOnceSupport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    /// Exactly-once delivery is supported with this configuration.
    Supported,
    /// It is not.
    Unsupported,
}

/// Whether a source connector defines its own transaction boundaries (Kafka's
/// `ConnectorTransactionBoundaries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionBoundaries {
    /// The connector may define transaction boundaries.
    Supported,
    /// The runtime defines them (poll batches or intervals).
    Unsupported,
}

/// A connector that imports data into Kafka.
#[async_trait]
pub trait SourceConnector: Connector {
    /// A new, unstarted task of this connector. Called on instances that may never have
    /// been started (in distributed mode a task runs on a worker where its connector does
    /// not, as Kafka's `taskClass()` does), so it must not depend on `start`.
    fn create_task(&self) -> Box<dyn SourceTask>;

    /// Whether this configuration supports exactly-once delivery; `None` means the
    /// connector cannot tell (the default).
    fn exactly_once_support(&self, _config: &RawConfig) -> Option<ExactlyOnceSupport> {
        None
    }

    /// Whether the connector can define transaction boundaries with this configuration.
    fn transaction_boundaries(&self, _config: &RawConfig) -> TransactionBoundaries {
        TransactionBoundaries::Unsupported
    }

    /// Called before the runtime alters or resets offsets (`PATCH`/`DELETE
    /// /connectors/{name}/offsets`); a `None` value resets that partition. Return
    /// `Ok(true)` when the connector also moved offsets it keeps outside Kafka Connect,
    /// `Ok(false)` (the default) when it keeps none; return an error to refuse.
    async fn alter_offsets(
        &mut self,
        _config: &RawConfig,
        _offsets: &HashMap<OffsetMap, Option<OffsetMap>>,
    ) -> Result<bool> {
        Ok(false)
    }
}

/// A connector that exports data from Kafka.
#[async_trait]
pub trait SinkConnector: Connector {
    /// A new, unstarted task of this connector. Called on instances that may never have
    /// been started (in distributed mode a task runs on a worker where its connector does
    /// not, as Kafka's `taskClass()` does), so it must not depend on `start`.
    fn create_task(&self) -> Box<dyn SinkTask>;

    /// Called before the runtime alters or resets the consumer group's offsets; a
    /// `None` value resets that partition. Same contract as
    /// [`SourceConnector::alter_offsets`].
    async fn alter_offsets(
        &mut self,
        _config: &RawConfig,
        _offsets: &HashMap<TopicPartition, Option<i64>>,
    ) -> Result<bool> {
        Ok(false)
    }
}
