//! Hive integration: an external partitioned table per topic over the committed
//! files, kept in step with the latest schema, with partitions added as written.

pub mod client;
pub mod conf;
pub mod ddl;
pub mod recording;
pub mod thrift;

pub use client::ThriftMetastore;
pub use ddl::{HiveTableSpec, add_partition_ddl, alter_table_ddl, create_table_ddl, hive_type};
pub use recording::{MetastoreCall, RecordingMetastore};

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::Result;
use connect_api::data::Schema;

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
///
/// The addresses come from `hive.metastore.uris`, or, when that is empty, from
/// `hive.metastore.uris` in `<hive.conf.dir>/hive-site.xml` (whose
/// `hive.metastore.thrift.framed.transport.enabled` also selects the transport).
/// The client connects on its first call.
pub async fn connect(settings: &HiveSettings) -> Result<Option<Arc<dyn HiveMetastore>>> {
    if !settings.enabled {
        return Ok(None);
    }
    let (uris, framed) = resolve_uris(settings)?;
    let addresses = client::parse_uris(&uris)?;
    Ok(Some(Arc::new(ThriftMetastore::new(addresses, framed))))
}

/// The metastore URIs and whether to use the framed transport, from the settings or
/// `hive-site.xml`.
pub fn resolve_uris(settings: &HiveSettings) -> Result<(String, bool)> {
    let site = if settings.conf_dir.trim().is_empty() {
        None
    } else {
        Some(conf::read_hive_site(settings.conf_dir.trim())?)
    };
    let framed = site
        .as_ref()
        .and_then(|s| s.get("hive.metastore.thrift.framed.transport.enabled"))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !settings.metastore_uris.trim().is_empty() {
        return Ok((settings.metastore_uris.trim().to_string(), framed));
    }
    match site.as_ref().and_then(|s| s.get("hive.metastore.uris")).filter(|u| !u.trim().is_empty())
    {
        Some(uris) => Ok((uris.trim().to_string(), framed)),
        None => Err(connect_api::ConnectError::config(
            "Missing required configuration hive.metastore.uris (hive.integration=true): set it, or hive.conf.dir to a directory whose hive-site.xml sets it",
        )),
    }
}
