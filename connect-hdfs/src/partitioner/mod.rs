//! Partitioners: where in `<topics.dir>/<topic>/` a record's file goes.
//!
//! Confluent's class names select them through `partitioner.class`; connector
//! authors plug their own in by implementing [`Partitioner`].

use connect_api::Result;
use connect_api::data::Schema;
use connect_api::record::SinkRecord;

/// Chooses the encoded partition (a relative directory such as `partition=3`,
/// `department=engineering` or `year=2024/month=05/day=17/hour=09`) for a record.
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// The encoded partition of `record`. `now_ms` is the wall clock, for
    /// `timestamp.extractor=Wallclock`. An error names the record and the field.
    fn encode_partition(&self, record: &SinkRecord, now_ms: i64) -> Result<String>;

    /// The Hive partition columns this partitioner produces, in order, each with
    /// its Connect schema (`partition` INT for the default partitioner, the
    /// field's schema for the field partitioner, strings for time-based ones).
    fn partition_fields(&self) -> Vec<(String, Schema)>;

    /// For time-based partitioners, the timestamp (ms) the record is placed by,
    /// so rotation by `rotate.interval.ms` can use record time; `None` otherwise.
    fn record_timestamp(&self, record: &SinkRecord, now_ms: i64) -> Option<i64> {
        let _ = (record, now_ms);
        None
    }
}

/// The partitioner keys of the connector config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionerSettings {
    /// `partitioner.class`: Confluent's class names (both the
    /// `io.confluent.connect.hdfs.partitioner.*` and `io.confluent.connect.storage.partitioner.*`
    /// spellings) of DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner,
    /// HourlyPartitioner, DailyPartitioner.
    pub class: String,
    /// `partition.field.name` (a list).
    pub field_names: Vec<String>,
    /// `path.format`, Joda-style (`'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`).
    pub path_format: String,
    /// `partition.duration.ms` (-1 when unset).
    pub partition_duration_ms: i64,
    /// `locale` (e.g. `en-US`).
    pub locale: String,
    /// `timezone` (e.g. `UTC`, `America/Los_Angeles`).
    pub timezone: String,
    /// `timestamp.extractor`: Wallclock, Record, RecordField.
    pub timestamp_extractor: String,
    /// `timestamp.field` for RecordField.
    pub timestamp_field: String,
}

/// The partitioner `settings` select; missing or bad settings are config errors
/// naming the key.
pub fn from_settings(settings: &PartitionerSettings) -> Result<std::sync::Arc<dyn Partitioner>> {
    Err(connect_api::ConnectError::unsupported(format!(
        "partitioner.class {} is not available yet",
        settings.class
    )))
}
