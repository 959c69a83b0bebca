//! The configurations of both connectors: key names, [`ConfigDef`]s and the typed
//! structs [`FileStreamSourceConfig`] and [`FileStreamSinkConfig`].
//!
//! Key names, defaults and documentation are those of Apache Kafka's
//! `FileStreamSourceConnector` and `FileStreamSinkConnector`, so their `.properties`
//! files work unchanged.

use std::path::PathBuf;

use connect_api::Result;
use connect_api::config::{
    CompositeValidator, ConfigDef, ConfigKey, ConfigValue, Importance, NonEmptyString, Range,
    RawConfig, Type, custom,
};
use serde::Deserialize;

/// `file`: the file to read (source) or append to (sink); absent or empty means
/// standard input (source) or standard output (sink).
pub const FILE_CONFIG: &str = "file";
/// `topic`: the single topic the source writes to.
pub const TOPIC_CONFIG: &str = "topic";
/// `batch.size`: the most records one source `poll` returns.
pub const BATCH_SIZE_CONFIG: &str = "batch.size";
/// The default of [`BATCH_SIZE_CONFIG`], as in Kafka.
pub const DEFAULT_BATCH_SIZE: i32 = 2000;

/// The source partition key naming the file (`{"filename": <file>}`).
pub const FILENAME_FIELD: &str = "filename";
/// The source offset key holding the byte position after a line (`{"position": <n>}`).
pub const POSITION_FIELD: &str = "position";

/// Kafka's message for a `topic` setting that names several topics.
pub(crate) const SINGLE_TOPIC_MESSAGE: &str =
    "'topic' in FileStreamSourceConnector configuration requires definition of a single topic";

/// The typed configuration of [`FileStreamSourceConnector`](crate::FileStreamSourceConnector)
/// and its task.
///
/// ```
/// use connect_api::config::RawConfig;
/// use connect_file::FileStreamSourceConfig;
///
/// let raw = RawConfig::from([
///     ("file".to_string(), "/var/log/app.log".to_string()),
///     ("topic".to_string(), "app-logs".to_string()),
/// ]);
/// let cfg = FileStreamSourceConfig::parse(&raw)?;
/// assert_eq!(cfg.batch_size, 2000);
/// assert_eq!(cfg.path().unwrap().to_str(), Some("/var/log/app.log"));
///
/// let bad = RawConfig::from([("topic".to_string(), "a,b".to_string())]);
/// let err = FileStreamSourceConfig::parse(&bad).unwrap_err();
/// assert!(err.message().contains("configuration topic"));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileStreamSourceConfig {
    /// The file to read; `None` (or empty) reads standard input.
    #[serde(default)]
    pub file: Option<String>,
    /// The topic every record goes to.
    pub topic: String,
    /// The most records one `poll` returns (at least 1).
    #[serde(rename = "batch.size")]
    pub batch_size: i32,
}

impl FileStreamSourceConfig {
    /// The definition of the source configuration: `file`, `topic`, `batch.size`.
    pub fn config_def() -> ConfigDef {
        let single_topic =
            custom(|_, value: Option<&ConfigValue>| match value.and_then(ConfigValue::as_str) {
                Some(topic) if topic.contains(',') => Err(SINGLE_TOPIC_MESSAGE.to_string()),
                _ => Ok(()),
            })
            .described_as("a single topic name");
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    FILE_CONFIG,
                    Type::String,
                    Importance::High,
                    "Source filename. If not specified, the standard input will be used",
                )
                .optional(),
            )
            .define(
                ConfigKey::new(
                    TOPIC_CONFIG,
                    Type::String,
                    Importance::High,
                    "The topic to publish data to",
                )
                .validator(CompositeValidator::new().and(NonEmptyString).and(single_topic)),
            )
            .define(
                ConfigKey::new(
                    BATCH_SIZE_CONFIG,
                    Type::Int,
                    Importance::Low,
                    "The maximum number of records the source task can read from the file each \
                     time it is polled",
                )
                .default_value(DEFAULT_BATCH_SIZE)
                .validator(Range::at_least(1)),
            )
    }

    /// Parses and validates a raw configuration; the error (kind config) names every
    /// bad key.
    pub fn parse(raw: &RawConfig) -> Result<Self> {
        Self::config_def().parse(raw)?.into_typed()
    }

    /// The file to read, or `None` for standard input.
    pub fn path(&self) -> Option<PathBuf> {
        non_empty(self.file.as_deref()).map(PathBuf::from)
    }

    /// [`batch_size`](Self::batch_size) as a count (at least 1).
    pub fn batch_size(&self) -> usize {
        usize::try_from(self.batch_size).unwrap_or(1).max(1)
    }

    /// The configuration a task gets: only this connector's keys, as Kafka's
    /// `taskConfigs` builds it (`file` left out when reading standard input).
    pub fn to_task_config(&self) -> RawConfig {
        let mut raw = RawConfig::new();
        if let Some(file) = non_empty(self.file.as_deref()) {
            raw.insert(FILE_CONFIG.to_string(), file.to_string());
        }
        raw.insert(TOPIC_CONFIG.to_string(), self.topic.clone());
        raw.insert(BATCH_SIZE_CONFIG.to_string(), self.batch_size.to_string());
        raw
    }
}

/// The typed configuration of [`FileStreamSinkConnector`](crate::FileStreamSinkConnector)
/// and its tasks. The runtime's own keys (`topics`, `topics.regex`, ...) are not part
/// of it and pass validation untouched.
///
/// ```
/// use connect_api::config::RawConfig;
/// use connect_file::FileStreamSinkConfig;
///
/// let raw = RawConfig::from([
///     ("file".to_string(), "/tmp/out.txt".to_string()),
///     ("topics".to_string(), "orders".to_string()),
/// ]);
/// let cfg = FileStreamSinkConfig::parse(&raw)?;
/// assert_eq!(cfg.path().unwrap().to_str(), Some("/tmp/out.txt"));
/// assert!(FileStreamSinkConfig::parse(&RawConfig::new())?.path().is_none()); // stdout
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileStreamSinkConfig {
    /// The file to append to; `None` (or empty) writes to standard output.
    #[serde(default)]
    pub file: Option<String>,
}

impl FileStreamSinkConfig {
    /// The definition of the sink configuration: `file`.
    pub fn config_def() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                FILE_CONFIG,
                Type::String,
                Importance::High,
                "Destination filename. If not specified, the standard output will be used",
            )
            .optional(),
        )
    }

    /// Parses and validates a raw configuration.
    pub fn parse(raw: &RawConfig) -> Result<Self> {
        Self::config_def().parse(raw)?.into_typed()
    }

    /// The file to append to, or `None` for standard output.
    pub fn path(&self) -> Option<PathBuf> {
        non_empty(self.file.as_deref()).map(PathBuf::from)
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_file_means_standard_input() {
        let cfg = FileStreamSourceConfig::parse(&raw(&[("file", ""), ("topic", "t")])).unwrap();
        assert!(cfg.path().is_none());
        assert_eq!(cfg.to_task_config(), raw(&[("topic", "t"), ("batch.size", "2000")]));
    }

    #[test]
    fn task_config_keeps_only_the_connector_keys() {
        let cfg = FileStreamSourceConfig::parse(&raw(&[
            ("file", "/f"),
            ("topic", "t"),
            ("batch.size", "7"),
            ("tasks.max", "3"),
        ]))
        .unwrap();
        assert_eq!(cfg.batch_size(), 7);
        assert_eq!(
            cfg.to_task_config(),
            raw(&[("file", "/f"), ("topic", "t"), ("batch.size", "7")])
        );
    }
}
