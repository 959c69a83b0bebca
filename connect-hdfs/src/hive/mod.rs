//! Hive integration: an external partitioned table per topic over the committed
//! files, kept in step with the latest schema, with partitions added as written.

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::data::Schema;
use connect_api::Result;

/// The Hive keys of the connector config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HiveSettings {
    /// `hive.integration`.
    pub enabled: bool,
    /// `hive.metastore.uris` (`thrift://host:9083`, comma-separated).
    pub metastore_uris: String,
    /// `hive.database` (default `default`).
    pub database: String,
    /// `hive.conf.dir` (read for `hive.metastore.uris` when that key is empty).
    pub conf_dir: String,
}

/// What the sink needs from a Hive metastore. The real client speaks the metastore's
/// Thrift protocol; tests use a recording implementation.
#[async_trait]
pub trait HiveMetastore: Send + Sync + std::fmt::Debug {
    /// Creates the external table `database.table` at `location` (the topic's
    /// directory) for `schema`, partitioned by `partition_fields`, stored as `format`
    /// (`avro`, `parquet`, `json`), or alters an existing one to the new schema.
    async fn ensure_table(
        &self,
        database: &str,
        table: &str,
        location: &str,
        schema: &Schema,
        partition_fields: &[(String, Schema)],
        format: &str,
    ) -> Result<()>;

    /// Adds the partition whose encoded path (e.g. `year=2024/month=05`) is
    /// `encoded_partition` at `location`, if it is not there yet.
    async fn add_partition(
        &self,
        database: &str,
        table: &str,
        encoded_partition: &str,
        location: &str,
    ) -> Result<()>;
}

/// The metastore `settings` name, or `None` when `hive.integration` is off.
pub async fn connect(settings: &HiveSettings) -> Result<Option<Arc<dyn HiveMetastore>>> {
    if !settings.enabled {
        return Ok(None);
    }
    Err(connect_api::ConnectError::unsupported("hive.integration is not available yet"))
}
