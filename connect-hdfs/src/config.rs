//! The connector configuration: key names, the [`ConfigDef`] and the typed
//! [`HdfsSinkConfig`].
//!
//! Key names, defaults and meanings are those of Confluent's HDFS connector
//! (`io.confluent.connect.hdfs.HdfsSinkConnectorConfig` and the storage-common keys it
//! inherits), so its `.properties` files work unchanged. Keys of that connector that
//! do not apply here are accepted: `storage.class`, `hadoop.conf.dir` and
//! `hadoop.home` are ignored with a warning; Kerberos (`hdfs.authentication.kerberos=true`)
//! is refused with a config error, as this build has no Kerberos client.

use connect_api::config::{
    ConfigDef, ConfigKey, Importance, NonEmptyString, ParsedConfig, Range, RawConfig, Type,
    ValidString,
};
use connect_api::data::Compatibility;
use connect_api::{ConnectError, Result};
use serde::Deserialize;

use crate::format::{FormatKind, FormatSettings};
use crate::hive::HiveSettings;
use crate::partitioner::{DEFAULT_PARTITIONER_CLASS, PartitionerKind, PartitionerSettings};

/// `store.url`: where files go (a local path, `file://…`, `hdfs://namenode:port/…`).
pub const STORE_URL: &str = "store.url";
/// `hdfs.url`: the older name of [`STORE_URL`]; `store.url` wins when both are set.
pub const HDFS_URL: &str = "hdfs.url";
/// `topics.dir`: the directory, under the store URL, of committed and temporary files.
pub const TOPICS_DIR: &str = "topics.dir";
/// `logs.dir`: the directory, under the store URL, of the write-ahead logs.
pub const LOGS_DIR: &str = "logs.dir";
/// `format.class`: the file format.
pub const FORMAT_CLASS: &str = "format.class";
/// `flush.size`: records per topic partition before the open files are committed.
pub const FLUSH_SIZE: &str = "flush.size";
/// `rotate.interval.ms`: the record-time span after which open files are committed.
pub const ROTATE_INTERVAL_MS: &str = "rotate.interval.ms";
/// `rotate.schedule.interval.ms`: wall-clock commits, aligned in `timezone`.
pub const ROTATE_SCHEDULE_INTERVAL_MS: &str = "rotate.schedule.interval.ms";
/// `retry.backoff.ms`: the wait before a batch is delivered again after a storage error.
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
/// `shutdown.timeout.ms`: how long closing partitions and stopping may take.
pub const SHUTDOWN_TIMEOUT_MS: &str = "shutdown.timeout.ms";
/// `store.operation.timeout.ms`: how long one store operation may take (not a key of
/// Confluent's connector: Hadoop's client bounds its calls with its own timeouts).
pub const STORE_OPERATION_TIMEOUT_MS: &str = "store.operation.timeout.ms";
/// `filename.offset.zero.pad.width`: digits of the offsets in committed file names.
pub const ZERO_PAD_WIDTH: &str = "filename.offset.zero.pad.width";
/// `schema.compatibility`: NONE, BACKWARD, FORWARD or FULL.
pub const SCHEMA_COMPATIBILITY: &str = "schema.compatibility";
/// `partitioner.class`.
pub const PARTITIONER_CLASS: &str = "partitioner.class";
/// `partition.field.name`.
pub const PARTITION_FIELD_NAME: &str = "partition.field.name";
/// `path.format`.
pub const PATH_FORMAT: &str = "path.format";
/// `partition.duration.ms`.
pub const PARTITION_DURATION_MS: &str = "partition.duration.ms";
/// `locale`.
pub const LOCALE: &str = "locale";
/// `timezone`.
pub const TIMEZONE: &str = "timezone";
/// `timestamp.extractor`.
pub const TIMESTAMP_EXTRACTOR: &str = "timestamp.extractor";
/// `timestamp.field`.
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
/// `hive.integration`.
pub const HIVE_INTEGRATION: &str = "hive.integration";
/// `hive.metastore.uris`.
pub const HIVE_METASTORE_URIS: &str = "hive.metastore.uris";
/// `hive.database`.
pub const HIVE_DATABASE: &str = "hive.database";
/// `hive.conf.dir`.
pub const HIVE_CONF_DIR: &str = "hive.conf.dir";
/// `hive.home` (accepted; the metastore is reached over Thrift, no Hive install is used).
pub const HIVE_HOME: &str = "hive.home";
/// `hive.table.name`: the table of a topic, `${topic}` replaced by the topic name.
pub const HIVE_TABLE_NAME: &str = "hive.table.name";
/// `avro.codec`.
pub const AVRO_CODEC: &str = "avro.codec";
/// `parquet.codec`.
pub const PARQUET_CODEC: &str = "parquet.codec";
/// `storage.class`: accepted and ignored (the URL scheme selects the storage).
pub const STORAGE_CLASS: &str = "storage.class";
/// `hadoop.conf.dir`: accepted and ignored.
pub const HADOOP_CONF_DIR: &str = "hadoop.conf.dir";
/// `hadoop.home`: accepted and ignored.
pub const HADOOP_HOME: &str = "hadoop.home";
/// `hdfs.authentication.kerberos`: must stay false (no Kerberos client in this build).
pub const KERBEROS: &str = "hdfs.authentication.kerberos";
/// `connect.hdfs.principal` (Kerberos; unsupported).
pub const CONNECT_PRINCIPAL: &str = "connect.hdfs.principal";
/// `connect.hdfs.keytab` (Kerberos; unsupported).
pub const CONNECT_KEYTAB: &str = "connect.hdfs.keytab";
/// `hdfs.namenode.principal` (Kerberos; unsupported).
pub const NAMENODE_PRINCIPAL: &str = "hdfs.namenode.principal";
/// `kerberos.ticket.renew.period.ms` (Kerberos; unsupported).
pub const KERBEROS_RENEW_MS: &str = "kerberos.ticket.renew.period.ms";

/// `format.class`'s default (Confluent's).
pub const DEFAULT_FORMAT_CLASS: &str = "io.confluent.connect.hdfs.avro.AvroFormat";

/// The typed configuration of [`HdfsSinkConnector`](crate::HdfsSinkConnector) and its
/// tasks.
///
/// ```
/// use connect_api::config::RawConfig;
/// use connect_hdfs::config::HdfsSinkConfig;
///
/// let raw = RawConfig::from([
///     ("hdfs.url".to_string(), "/data/kafka".to_string()),
///     ("flush.size".to_string(), "1000".to_string()),
///     ("format.class".to_string(), "io.confluent.connect.hdfs.json.JsonFormat".to_string()),
/// ]);
/// let cfg = HdfsSinkConfig::parse(&raw)?;
/// assert_eq!(cfg.url(), "/data/kafka");
/// assert_eq!(cfg.topics_dir, "topics");
/// assert_eq!(cfg.zero_pad_width, 10);
///
/// let err = HdfsSinkConfig::parse(&RawConfig::from([
///     ("flush.size".to_string(), "10".to_string()),
/// ])).unwrap_err();
/// assert!(err.message().contains("store.url"));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HdfsSinkConfig {
    /// `store.url`.
    #[serde(rename = "store.url", default)]
    pub store_url: Option<String>,
    /// `hdfs.url`.
    #[serde(rename = "hdfs.url", default)]
    pub hdfs_url: Option<String>,
    /// `topics.dir`.
    #[serde(rename = "topics.dir")]
    pub topics_dir: String,
    /// `logs.dir`.
    #[serde(rename = "logs.dir")]
    pub logs_dir: String,
    /// `format.class`.
    #[serde(rename = "format.class")]
    pub format_class: String,
    /// `flush.size`.
    #[serde(rename = "flush.size")]
    pub flush_size: i32,
    /// `rotate.interval.ms` (-1: off).
    #[serde(rename = "rotate.interval.ms")]
    pub rotate_interval_ms: i64,
    /// `rotate.schedule.interval.ms` (-1: off).
    #[serde(rename = "rotate.schedule.interval.ms")]
    pub rotate_schedule_interval_ms: i64,
    /// `retry.backoff.ms`.
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: i64,
    /// `shutdown.timeout.ms`.
    #[serde(rename = "shutdown.timeout.ms")]
    pub shutdown_timeout_ms: i64,
    /// `store.operation.timeout.ms`.
    #[serde(rename = "store.operation.timeout.ms")]
    pub store_operation_timeout_ms: i64,
    /// `filename.offset.zero.pad.width`.
    #[serde(rename = "filename.offset.zero.pad.width")]
    pub zero_pad_width: i32,
    /// `schema.compatibility`, upper case.
    #[serde(rename = "schema.compatibility")]
    pub schema_compatibility: String,
    /// `partitioner.class`.
    #[serde(rename = "partitioner.class")]
    pub partitioner_class: String,
    /// `partition.field.name`.
    #[serde(rename = "partition.field.name")]
    pub partition_field_name: Vec<String>,
    /// `path.format`.
    #[serde(rename = "path.format")]
    pub path_format: String,
    /// `partition.duration.ms`.
    #[serde(rename = "partition.duration.ms")]
    pub partition_duration_ms: i64,
    /// `locale`.
    pub locale: String,
    /// `timezone`.
    pub timezone: String,
    /// `timestamp.extractor`.
    #[serde(rename = "timestamp.extractor")]
    pub timestamp_extractor: String,
    /// `timestamp.field`.
    #[serde(rename = "timestamp.field")]
    pub timestamp_field: String,
    /// `hive.integration`.
    #[serde(rename = "hive.integration")]
    pub hive_integration: bool,
    /// `hive.metastore.uris`.
    #[serde(rename = "hive.metastore.uris")]
    pub hive_metastore_uris: String,
    /// `hive.database`.
    #[serde(rename = "hive.database")]
    pub hive_database: String,
    /// `hive.conf.dir`.
    #[serde(rename = "hive.conf.dir")]
    pub hive_conf_dir: String,
    /// `hive.table.name`.
    #[serde(rename = "hive.table.name")]
    pub hive_table_name: String,
    /// `avro.codec`.
    #[serde(rename = "avro.codec")]
    pub avro_codec: String,
    /// `parquet.codec`.
    #[serde(rename = "parquet.codec")]
    pub parquet_codec: String,
    /// `storage.class` (ignored).
    #[serde(rename = "storage.class", default)]
    pub storage_class: Option<String>,
    /// `hadoop.conf.dir` (ignored).
    #[serde(rename = "hadoop.conf.dir", default)]
    pub hadoop_conf_dir: Option<String>,
    /// `hadoop.home` (ignored).
    #[serde(rename = "hadoop.home", default)]
    pub hadoop_home: Option<String>,
    /// `hdfs.authentication.kerberos` (must be false).
    #[serde(rename = "hdfs.authentication.kerberos")]
    pub kerberos: bool,
}

fn key(name: &str, ty: Type, importance: Importance, group: &str, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc).group(group)
}

impl HdfsSinkConfig {
    /// The definition of every key, with Confluent's defaults.
    pub fn config_def() -> ConfigDef {
        use Importance::{High, Low, Medium};
        const STORAGE: &str = "HDFS";
        const CONNECTOR: &str = "Connector";
        const PARTITIONER: &str = "Partitioner";
        const SCHEMA: &str = "Schema";
        const HIVE: &str = "Hive";
        const SECURITY: &str = "Security";
        let compat = ValidString::in_list_case_insensitive(Compatibility::ALL.map(|c| c.as_str()));
        ConfigDef::new()
            .define(
                key(
                    STORE_URL,
                    Type::String,
                    High,
                    STORAGE,
                    "The storage URL: a local path or file:///path (the local filesystem), or \
                 hdfs://namenode:port[/root] (HDFS through the pure-Rust hdfs-native client). \
                 Takes precedence over hdfs.url. One of the two is required.",
                )
                .optional(),
            )
            .define(
                key(
                    HDFS_URL,
                    Type::String,
                    High,
                    STORAGE,
                    "The older name of store.url, kept for Confluent configs.",
                )
                .optional(),
            )
            .define(
                key(
                    TOPICS_DIR,
                    Type::String,
                    High,
                    STORAGE,
                    "Top-level directory, under the store URL, of the committed files \
                 (<topics.dir>/<topic>/<encoded partition>/) and of the temporary files \
                 (<topics.dir>/+tmp/).",
                )
                .default_value("topics")
                .validator(NonEmptyString),
            )
            .define(
                key(
                    LOGS_DIR,
                    Type::String,
                    High,
                    STORAGE,
                    "Top-level directory, under the store URL, of the write-ahead logs \
                 (<logs.dir>/<topic>/<partition>/log).",
                )
                .default_value("logs")
                .validator(NonEmptyString),
            )
            .define(
                key(
                    FORMAT_CLASS,
                    Type::Class,
                    High,
                    CONNECTOR,
                    "The format of the files: Avro, Parquet or JSON lines (Confluent class names \
                 or avro, parquet, json).",
                )
                .default_value(DEFAULT_FORMAT_CLASS),
            )
            .define(
                key(
                    FLUSH_SIZE,
                    Type::Int,
                    High,
                    CONNECTOR,
                    "Records written per topic partition before the open files are committed.",
                )
                .validator(Range::at_least(1)),
            )
            .define(
                key(
                    ROTATE_INTERVAL_MS,
                    Type::Long,
                    High,
                    CONNECTOR,
                    "Commit the open files of a topic partition once the record time span in them \
                 reaches this many ms (record time: the partitioner's timestamp, else the \
                 Kafka timestamp). An idle partition's files are committed by a timer once \
                 they have been open this long. -1 disables.",
                )
                .default_value(-1i64),
            )
            .define(
                key(
                    ROTATE_SCHEDULE_INTERVAL_MS,
                    Type::Long,
                    Medium,
                    CONNECTOR,
                    "Commit open files on a wall-clock schedule: at every multiple of this \
                 interval since midnight in `timezone` (which must then be set), whether or \
                 not records arrive. -1 disables.",
                )
                .default_value(-1i64),
            )
            .define(
                key(
                    RETRY_BACKOFF_MS,
                    Type::Long,
                    Low,
                    CONNECTOR,
                    "How long to wait before a batch is delivered again after a retriable \
                 storage error.",
                )
                .default_value(5000i64)
                .validator(Range::at_least(0)),
            )
            .define(
                key(
                    SHUTDOWN_TIMEOUT_MS,
                    Type::Long,
                    Medium,
                    CONNECTOR,
                    "How long closing partitions and stopping the task may take.",
                )
                .default_value(3000i64)
                .validator(Range::at_least(0)),
            )
            .define(
                key(
                    STORE_OPERATION_TIMEOUT_MS,
                    Type::Long,
                    Low,
                    CONNECTOR,
                    "How long one operation on the store (a namenode call, a write, a \
                 close) may take before it fails as a retriable error and the store's \
                 connections are opened again; a write gets one second more per MiB it \
                 carries.",
                )
                .default_value(60000i64)
                .validator(Range::at_least(1)),
            )
            .define(
                key(
                    ZERO_PAD_WIDTH,
                    Type::Int,
                    Low,
                    CONNECTOR,
                    "Width to zero-pad the offsets in committed file names to (longer offsets \
                 are not truncated).",
                )
                .default_value(10)
                .validator(Range::at_least(0)),
            )
            .define(
                key(
                    SCHEMA_COMPATIBILITY,
                    Type::String,
                    High,
                    SCHEMA,
                    "How the sink reacts to schema changes: NONE commits on every change; \
                 BACKWARD and FULL commit on a newer version and project older records to \
                 the latest schema; FORWARD commits on an older version and projects newer \
                 records to the current schema.",
                )
                .default_value("NONE")
                .validator(compat),
            )
            .define(
                key(
                    PARTITIONER_CLASS,
                    Type::Class,
                    High,
                    PARTITIONER,
                    "The partitioner: DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, \
                 HourlyPartitioner or DailyPartitioner (Confluent class names).",
                )
                .default_value(DEFAULT_PARTITIONER_CLASS),
            )
            .define(
                key(
                    PARTITION_FIELD_NAME,
                    Type::List,
                    Medium,
                    PARTITIONER,
                    "The record fields FieldPartitioner partitions by.",
                )
                .default_value(""),
            )
            .define(
                key(
                    PATH_FORMAT,
                    Type::String,
                    Medium,
                    PARTITIONER,
                    "TimeBasedPartitioner's directory pattern, Joda-style \
                 ('year'=YYYY/'month'=MM/'day'=dd/'hour'=HH).",
                )
                .default_value(""),
            )
            .define(
                key(
                    PARTITION_DURATION_MS,
                    Type::Long,
                    Medium,
                    PARTITIONER,
                    "TimeBasedPartitioner's bucket length in ms.",
                )
                .default_value(-1i64),
            )
            .define(
                key(
                    LOCALE,
                    Type::String,
                    Medium,
                    PARTITIONER,
                    "Locale of TimeBasedPartitioner's path.format.",
                )
                .default_value(""),
            )
            .define(
                key(
                    TIMEZONE,
                    Type::String,
                    Medium,
                    PARTITIONER,
                    "Time zone of TimeBasedPartitioner and of rotate.schedule.interval.ms \
                 (e.g. UTC, America/Los_Angeles).",
                )
                .default_value(""),
            )
            .define(
                key(
                    TIMESTAMP_EXTRACTOR,
                    Type::String,
                    Medium,
                    PARTITIONER,
                    "Where TimeBasedPartitioner takes a record's time: Wallclock, Record or \
                 RecordField.",
                )
                .default_value("Wallclock"),
            )
            .define(
                key(
                    TIMESTAMP_FIELD,
                    Type::String,
                    Medium,
                    PARTITIONER,
                    "The record field RecordField reads.",
                )
                .default_value("timestamp"),
            )
            .define(
                key(
                    HIVE_INTEGRATION,
                    Type::Boolean,
                    High,
                    HIVE,
                    "Create a Hive external table per topic, alter it on schema change and add \
                 partitions as files are committed. Needs schema.compatibility BACKWARD, \
                 FORWARD or FULL.",
                )
                .default_value(false),
            )
            .define(
                key(
                    HIVE_METASTORE_URIS,
                    Type::String,
                    High,
                    HIVE,
                    "The Hive metastore Thrift URIs (thrift://host:9083).",
                )
                .default_value(""),
            )
            .define(
                key(HIVE_DATABASE, Type::String, High, HIVE, "The Hive database of the tables.")
                    .default_value("default"),
            )
            .define(
                key(
                    HIVE_CONF_DIR,
                    Type::String,
                    High,
                    HIVE,
                    "Directory of hive-site.xml, read for the metastore URIs when \
                 hive.metastore.uris is empty.",
                )
                .default_value(""),
            )
            .define(
                key(
                    HIVE_HOME,
                    Type::String,
                    High,
                    HIVE,
                    "Accepted for Confluent configs; not used.",
                )
                .default_value(""),
            )
            .define(
                key(
                    HIVE_TABLE_NAME,
                    Type::String,
                    Low,
                    HIVE,
                    "The Hive table of a topic; ${topic} is replaced by the topic name.",
                )
                .default_value("${topic}"),
            )
            .define(
                key(
                    AVRO_CODEC,
                    Type::String,
                    Low,
                    CONNECTOR,
                    "Avro container compression: null, deflate, snappy, zstandard.",
                )
                .default_value("null"),
            )
            .define(
                key(
                    PARQUET_CODEC,
                    Type::String,
                    Low,
                    CONNECTOR,
                    "Parquet compression: none, snappy, gzip, zstd, lz4.",
                )
                .default_value("snappy"),
            )
            .define(
                key(
                    STORAGE_CLASS,
                    Type::Class,
                    Low,
                    STORAGE,
                    "Accepted for Confluent configs and ignored: the scheme of store.url selects \
                 the storage.",
                )
                .optional(),
            )
            .define(
                key(
                    HADOOP_CONF_DIR,
                    Type::String,
                    Low,
                    STORAGE,
                    "Accepted for Confluent configs and ignored (no Hadoop configuration is read).",
                )
                .optional(),
            )
            .define(
                key(
                    HADOOP_HOME,
                    Type::String,
                    Low,
                    STORAGE,
                    "Accepted for Confluent configs and ignored.",
                )
                .optional(),
            )
            .define(
                key(
                    KERBEROS,
                    Type::Boolean,
                    High,
                    SECURITY,
                    "Kerberos authentication to HDFS. Not supported by this build: true is a \
                 config error.",
                )
                .default_value(false),
            )
            .define(
                key(
                    CONNECT_PRINCIPAL,
                    Type::String,
                    High,
                    SECURITY,
                    "Kerberos principal (unsupported).",
                )
                .default_value(""),
            )
            .define(
                key(CONNECT_KEYTAB, Type::String, High, SECURITY, "Kerberos keytab (unsupported).")
                    .default_value(""),
            )
            .define(
                key(
                    NAMENODE_PRINCIPAL,
                    Type::String,
                    High,
                    SECURITY,
                    "Namenode Kerberos principal (unsupported).",
                )
                .default_value(""),
            )
            .define(
                key(
                    KERBEROS_RENEW_MS,
                    Type::Long,
                    Low,
                    SECURITY,
                    "Kerberos ticket renewal period (unsupported).",
                )
                .default_value(3_600_000i64),
            )
    }

    /// Parses and validates a raw configuration, including the checks across keys
    /// (a store URL is set, Kerberos is off, Hive has a compatibility mode, the
    /// format, partitioner and compatibility names are known, a schedule has a time
    /// zone). The error (kind config) names the key.
    pub fn parse(raw: &RawConfig) -> Result<Self> {
        let parsed: ParsedConfig = Self::config_def().parse(raw)?;
        let mut cfg: HdfsSinkConfig = parsed.into_typed()?;
        cfg.schema_compatibility = cfg.schema_compatibility.trim().to_ascii_uppercase();
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<()> {
        if self.url().is_empty() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{STORE_URL}\" (or \"{HDFS_URL}\"): where the \
                 sink writes, a local path, file:///path or hdfs://namenode:port/path"
            )));
        }
        if self.kerberos {
            return Err(ConnectError::unsupported(format!(
                "{KERBEROS}=true is not supported: this build has no Kerberos client; use an \
                 HDFS cluster with simple authentication or set {KERBEROS}=false"
            )));
        }
        FormatKind::from_class(&self.format_class)?;
        PartitionerKind::from_class(&self.partitioner_class)?;
        let compat = self.compatibility()?;
        if self.hive_integration && compat == Compatibility::None {
            return Err(ConnectError::config(format!(
                "Invalid value NONE for configuration {SCHEMA_COMPATIBILITY}: \
                 {HIVE_INTEGRATION}=true needs BACKWARD, FORWARD or FULL, so that the \
                 table schema can read every file of a topic"
            )));
        }
        if self.rotate_schedule_interval_ms > 0 {
            if self.timezone.trim().is_empty() {
                return Err(ConnectError::config(format!(
                    "Missing configuration {TIMEZONE}: {ROTATE_SCHEDULE_INTERVAL_MS} is aligned \
                     to midnight in a time zone, so {TIMEZONE} must be set (e.g. UTC)"
                )));
            }
            crate::rotation::parse_timezone(&self.timezone)?;
        }
        if self.rotate_interval_ms == 0 || self.rotate_schedule_interval_ms == 0 {
            return Err(ConnectError::config(format!(
                "Invalid value 0 for {ROTATE_INTERVAL_MS} / {ROTATE_SCHEDULE_INTERVAL_MS}: use a \
                 positive interval in ms, or -1 to disable"
            )));
        }
        Ok(())
    }

    /// The store URL: `store.url`, else `hdfs.url`, trimmed ("" when neither is set).
    pub fn url(&self) -> &str {
        [&self.store_url, &self.hdfs_url]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or("")
    }

    /// `schema.compatibility` as a [`Compatibility`].
    pub fn compatibility(&self) -> Result<Compatibility> {
        self.schema_compatibility.parse()
    }

    /// The partitioner keys, for [`crate::partitioner::from_settings`].
    pub fn partitioner_settings(&self) -> PartitionerSettings {
        PartitionerSettings {
            class: self.partitioner_class.clone(),
            field_names: self.partition_field_name.clone(),
            path_format: self.path_format.clone(),
            partition_duration_ms: self.partition_duration_ms,
            locale: self.locale.clone(),
            timezone: self.timezone.clone(),
            timestamp_extractor: self.timestamp_extractor.clone(),
            timestamp_field: self.timestamp_field.clone(),
        }
    }

    /// The format keys, for [`crate::format::from_settings`].
    pub fn format_settings(&self) -> FormatSettings {
        FormatSettings {
            class: self.format_class.clone(),
            avro_codec: self.avro_codec.clone(),
            parquet_codec: self.parquet_codec.clone(),
        }
    }

    /// The Hive keys, for [`crate::hive::connect`].
    pub fn hive_settings(&self) -> HiveSettings {
        HiveSettings {
            enabled: self.hive_integration,
            metastore_uris: self.hive_metastore_uris.clone(),
            database: self.hive_database.clone(),
            conf_dir: self.hive_conf_dir.clone(),
        }
    }

    /// The Hive table of `topic` (`hive.table.name` with `${topic}` replaced).
    pub fn hive_table(&self, topic: &str) -> String {
        self.hive_table_name.replace("${topic}", topic)
    }

    /// Notes on keys that are accepted but have no effect, for the start-up log.
    pub fn ignored_key_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for (name, value) in [
            (STORAGE_CLASS, &self.storage_class),
            (HADOOP_CONF_DIR, &self.hadoop_conf_dir),
            (HADOOP_HOME, &self.hadoop_home),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                notes.push(format!(
                    "{name}={v} is ignored: the scheme of the store URL selects the storage and \
                     no Hadoop configuration is read"
                ));
            }
        }
        notes
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("store.url", "/tmp/x"), ("flush.size", "3"), ("format.class", "json")]
    }

    #[test]
    fn defaults_are_confluents() {
        let cfg = HdfsSinkConfig::parse(&raw(&base())).unwrap();
        assert_eq!(cfg.logs_dir, "logs");
        assert_eq!(cfg.rotate_interval_ms, -1);
        assert_eq!(cfg.rotate_schedule_interval_ms, -1);
        assert_eq!(cfg.retry_backoff_ms, 5000);
        assert_eq!(cfg.shutdown_timeout_ms, 3000);
        assert_eq!(cfg.store_operation_timeout_ms, 60000);
        assert_eq!(cfg.compatibility().unwrap(), Compatibility::None);
        assert_eq!(cfg.partitioner_settings().class, DEFAULT_PARTITIONER_CLASS);
        assert_eq!(cfg.hive_table("orders"), "orders");
        let defaults =
            HdfsSinkConfig::parse(&raw(&[("hdfs.url", "/a"), ("flush.size", "1")])).unwrap();
        assert_eq!(defaults.format_class, DEFAULT_FORMAT_CLASS);
    }

    #[test]
    fn store_url_wins_over_hdfs_url() {
        let mut pairs = base();
        pairs.push(("hdfs.url", "hdfs://nn:8020"));
        assert_eq!(HdfsSinkConfig::parse(&raw(&pairs)).unwrap().url(), "/tmp/x");
    }

    #[test]
    fn kerberos_is_refused_with_a_clear_error() {
        let mut pairs = base();
        pairs.push(("hdfs.authentication.kerberos", "true"));
        let err = HdfsSinkConfig::parse(&raw(&pairs)).unwrap_err();
        assert!(err.message().contains("hdfs.authentication.kerberos=true is not supported"));
    }

    #[test]
    fn hive_needs_a_compatibility_mode() {
        let mut pairs = base();
        pairs.push(("hive.integration", "true"));
        let err = HdfsSinkConfig::parse(&raw(&pairs)).unwrap_err();
        assert!(err.message().contains("schema.compatibility"), "{}", err.message());
        pairs.push(("schema.compatibility", "backward"));
        let cfg = HdfsSinkConfig::parse(&raw(&pairs)).unwrap();
        assert_eq!(cfg.compatibility().unwrap(), Compatibility::Backward);
        assert!(cfg.hive_settings().enabled);
    }

    #[test]
    fn bad_names_are_config_errors_naming_the_key() {
        for (k, v, needle) in [
            ("format.class", "xml", "format.class"),
            ("partitioner.class", "Nope", "partitioner.class"),
            ("schema.compatibility", "SIDEWAYS", "schema.compatibility"),
            ("flush.size", "0", "flush.size"),
            ("rotate.schedule.interval.ms", "1000", "timezone"),
        ] {
            let mut pairs = base();
            pairs.push((k, v));
            let err = HdfsSinkConfig::parse(&raw(&pairs)).unwrap_err();
            assert!(err.message().contains(needle), "{k}={v}: {}", err.message());
        }
    }

    #[test]
    fn ignored_keys_are_noted() {
        let mut pairs = base();
        pairs.push(("storage.class", "io.confluent.connect.hdfs.storage.HdfsStorage"));
        let cfg = HdfsSinkConfig::parse(&raw(&pairs)).unwrap();
        assert_eq!(cfg.ignored_key_notes().len(), 1);
        assert!(cfg.ignored_key_notes()[0].starts_with("storage.class="));
    }
}
