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
