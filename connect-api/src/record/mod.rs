//! Records: [`SourceRecord`] (what a source task produces), [`SinkRecord`] (what a sink
//! task receives), their shared [`ConnectRecord`] view, headers and offsets.

mod headers;
mod offset;

pub use headers::{Header, Headers};
pub use offset::{OffsetAndMetadata, OffsetMap, OffsetValue, TopicPartition};

use std::sync::Arc;

use crate::data::{Schema, SchemaAndValue, Value};

/// A topic name for a record: `&str`, `String`, `&String`, or a shared `Arc<str>` (which
/// costs no allocation when a task gives every record a clone of the same one).
pub trait IntoTopic {
    /// The name as the shared string records hold.
    fn into_topic(self) -> Arc<str>;
}

impl IntoTopic for Arc<str> {
    fn into_topic(self) -> Arc<str> {
        self
    }
}

impl IntoTopic for &Arc<str> {
    fn into_topic(self) -> Arc<str> {
        self.clone()
    }
}

impl IntoTopic for &str {
    fn into_topic(self) -> Arc<str> {
        Arc::from(self)
    }
}

impl IntoTopic for String {
    fn into_topic(self) -> Arc<str> {
        Arc::from(self)
    }
}

impl IntoTopic for Box<str> {
    fn into_topic(self) -> Arc<str> {
        Arc::from(self)
    }
}

impl IntoTopic for std::borrow::Cow<'_, str> {
    fn into_topic(self) -> Arc<str> {
        Arc::from(self.as_ref())
    }
}

impl IntoTopic for &String {
    fn into_topic(self) -> Arc<str> {
        Arc::from(self.as_str())
    }
}

/// The fields every record has: topic, Kafka partition, key and value with their
/// schemas, timestamp and headers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordData {
    /// The topic. Shared: records of one topic can point at one allocation, so building,
    /// copying and dropping a record does not copy its topic name.
    pub topic: Arc<str>,
    /// The Kafka partition; `None` lets the producer's partitioner choose.
    pub kafka_partition: Option<i32>,
    /// The key's schema.
    pub key_schema: Option<Schema>,
    /// The key ([`Value::Null`] for none).
    pub key: Value,
    /// The value's schema.
    pub value_schema: Option<Schema>,
    /// The value ([`Value::Null`] for a tombstone).
    pub value: Value,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// The headers.
    pub headers: Headers,
}

/// The view of a record that transformations, predicates and converters work on,
/// shared by [`SourceRecord`] and [`SinkRecord`].
pub trait ConnectRecord: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The shared fields.
    fn data(&self) -> &RecordData;
    /// The shared fields, to change them.
    fn data_mut(&mut self) -> &mut RecordData;

    /// The topic.
    fn topic(&self) -> &str {
        &self.data().topic
    }
    /// The Kafka partition, if set.
    fn kafka_partition(&self) -> Option<i32> {
        self.data().kafka_partition
    }
    /// The key's schema.
    fn key_schema(&self) -> Option<&Schema> {
        self.data().key_schema.as_ref()
    }
    /// The key.
    fn key(&self) -> &Value {
        &self.data().key
    }
    /// The value's schema.
    fn value_schema(&self) -> Option<&Schema> {
        self.data().value_schema.as_ref()
    }
    /// The value.
    fn value(&self) -> &Value {
        &self.data().value
    }
    /// The record's Kafka offset, for records consumed from Kafka (`None` for source
    /// records).
    fn kafka_offset(&self) -> Option<i64> {
        None
    }
    /// The timestamp, in milliseconds since the epoch.
    fn timestamp(&self) -> Option<i64> {
        self.data().timestamp
    }
    /// The headers.
    fn headers(&self) -> &Headers {
        &self.data().headers
    }
    /// The headers, to change them.
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.data_mut().headers
    }
    /// Replaces the topic.
    fn set_topic(&mut self, topic: impl IntoTopic) {
        self.data_mut().topic = topic.into_topic();
    }
    /// Replaces the key and its schema.
    fn set_key(&mut self, key: SchemaAndValue) {
        let d = self.data_mut();
        d.key_schema = key.schema;
        d.key = key.value;
    }
    /// Replaces the value and its schema.
    fn set_value(&mut self, value: SchemaAndValue) {
        let d = self.data_mut();
        d.value_schema = value.schema;
        d.value = value.value;
    }
    /// Replaces the timestamp.
    fn set_timestamp(&mut self, timestamp: Option<i64>) {
        self.data_mut().timestamp = timestamp;
    }
}

/// The source partition of records built without one, shared (no allocation per record).
static EMPTY_PARTITION: std::sync::LazyLock<Arc<OffsetMap>> =
    std::sync::LazyLock::new(|| Arc::new(OffsetMap::new()));

/// A record produced by a [`SourceTask`](crate::SourceTask): the record fields plus the
/// source partition and source offset the runtime commits once Kafka has it.
///
/// ```
/// use connect_api::data::{Schema, Value};
/// use connect_api::record::{ConnectRecord, OffsetMap, SourceRecord};
///
/// let record = SourceRecord::builder("lines")
///     .source_partition(OffsetMap::new().with("filename", "/tmp/in.txt"))
///     .source_offset(OffsetMap::new().with("position", 6i64))
///     .value(Some(Schema::string()), Value::from("hello"))
///     .build();
/// assert_eq!(record.topic(), "lines");
/// assert_eq!(record.source_offset().get_i64("position"), Some(6));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    data: RecordData,
    source_partition: Arc<OffsetMap>,
    source_offset: OffsetMap,
}

impl SourceRecord {
    /// A builder for a record bound for `topic`. A task that sends many records to one
    /// topic can pass a clone of one `Arc<str>`, which costs no allocation per record.
    pub fn builder(topic: impl IntoTopic) -> SourceRecordBuilder {
        SourceRecordBuilder {
            record: SourceRecord {
                data: RecordData { topic: topic.into_topic(), ..RecordData::default() },
                source_partition: EMPTY_PARTITION.clone(),
                source_offset: OffsetMap::new(),
            },
        }
    }

    /// The source partition: which input stream this record came from.
    pub fn source_partition(&self) -> &OffsetMap {
        &self.source_partition
    }

    /// The source offset: the position in that stream after this record.
    pub fn source_offset(&self) -> &OffsetMap {
        &self.source_offset
    }

    /// The source partition as the shared handle the task gave, cheap to clone.
    pub fn shared_source_partition(&self) -> &Arc<OffsetMap> {
        &self.source_partition
    }

    /// Moves the source offset out of the record (leaving an empty one) and returns it
    /// with the shared partition: what the runtime keeps of a record it sends on
    /// without the record itself.
    pub fn take_source_position(&mut self) -> (Arc<OffsetMap>, OffsetMap) {
        (self.source_partition.clone(), std::mem::take(&mut self.source_offset))
    }

    /// Takes the record apart into its shared fields, partition and offset.
    pub fn into_parts(self) -> (RecordData, Arc<OffsetMap>, OffsetMap) {
        (self.data, self.source_partition, self.source_offset)
    }
}

impl ConnectRecord for SourceRecord {
    fn data(&self) -> &RecordData {
        &self.data
    }
    fn data_mut(&mut self) -> &mut RecordData {
        &mut self.data
    }
}

/// Builds a [`SourceRecord`].
#[derive(Debug, Clone)]
#[must_use = "call build() to get the record"]
pub struct SourceRecordBuilder {
    record: SourceRecord,
}

impl SourceRecordBuilder {
    /// Sets the Kafka partition (otherwise the producer chooses).
    pub fn partition(mut self, partition: i32) -> Self {
        self.record.data.kafka_partition = Some(partition);
        self
    }
    /// Sets the key and its schema.
    pub fn key(mut self, schema: Option<Schema>, key: impl Into<Value>) -> Self {
        self.record.data.key_schema = schema;
        self.record.data.key = key.into();
        self
    }
    /// Sets the value and its schema.
    pub fn value(mut self, schema: Option<Schema>, value: impl Into<Value>) -> Self {
        self.record.data.value_schema = schema;
        self.record.data.value = value.into();
        self
    }
    /// Sets the timestamp (milliseconds since the epoch).
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.record.data.timestamp = Some(timestamp);
        self
    }
    /// Sets all headers.
    pub fn headers(mut self, headers: Headers) -> Self {
        self.record.data.headers = headers;
        self
    }
    /// Appends one header.
    pub fn header(mut self, key: impl Into<String>, value: SchemaAndValue) -> Self {
        self.record.data.headers.add(key, value);
        self
    }
    /// Sets the source partition. Records of one partition can share one map: pass a
    /// clone of one `Arc<OffsetMap>` and no map is built or dropped per record.
    pub fn source_partition(mut self, partition: impl Into<Arc<OffsetMap>>) -> Self {
        self.record.source_partition = partition.into();
        self
    }
    /// Sets the source offset.
    pub fn source_offset(mut self, offset: OffsetMap) -> Self {
        self.record.source_offset = offset;
        self
    }
    /// The record.
    pub fn build(self) -> SourceRecord {
        self.record
    }
}

/// How a Kafka record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// No timestamp.
    #[default]
    NoTimestampType,
    /// Set by the producer.
    CreateTime,
    /// Set by the broker on append.
    LogAppendTime,
}

/// A record delivered to a [`SinkTask`](crate::SinkTask): the record fields plus its
/// Kafka offset and timestamp type, and where it was originally consumed from (which
/// transformations may have changed in the shared fields).
///
/// ```
/// use connect_api::data::{Schema, Value};
/// use connect_api::record::{ConnectRecord, SinkRecord};
///
/// let record = SinkRecord::builder("orders", 2, 41)
///     .value(Some(Schema::int64()), Value::Int64(7))
///     .build();
/// assert_eq!(record.kafka_offset(), 41);
/// assert_eq!(record.kafka_partition(), Some(2));
/// assert_eq!(record.original_topic(), "orders");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    data: RecordData,
    kafka_offset: i64,
    timestamp_type: TimestampType,
    original_topic: Arc<str>,
    original_partition: i32,
    original_offset: i64,
}

impl SinkRecord {
    /// A builder for a record consumed from `topic`, `partition` at `offset`. Records of
    /// one topic can share one `Arc<str>` (no allocation per record).
    pub fn builder(topic: impl IntoTopic, partition: i32, offset: i64) -> SinkRecordBuilder {
        let topic = topic.into_topic();
        SinkRecordBuilder {
            record: SinkRecord {
                data: RecordData {
                    topic: topic.clone(),
                    kafka_partition: Some(partition),
                    ..RecordData::default()
                },
                kafka_offset: offset,
                timestamp_type: TimestampType::NoTimestampType,
                original_topic: topic,
                original_partition: partition,
                original_offset: offset,
            },
        }
    }

    /// The record's offset in its Kafka partition.
    pub fn kafka_offset(&self) -> i64 {
        self.kafka_offset
    }

    /// How the timestamp was set.
    pub fn timestamp_type(&self) -> TimestampType {
        self.timestamp_type
    }

    /// The topic the record was consumed from, before any transformation.
    pub fn original_topic(&self) -> &str {
        &self.original_topic
    }

    /// The partition the record was consumed from.
    pub fn original_kafka_partition(&self) -> i32 {
        self.original_partition
    }

    /// The offset the record was consumed at.
    pub fn original_kafka_offset(&self) -> i64 {
        self.original_offset
    }

    /// The partition the record was consumed from, for offset bookkeeping.
    pub fn original_topic_partition(&self) -> TopicPartition {
        TopicPartition::new(&*self.original_topic, self.original_partition)
    }
}

impl ConnectRecord for SinkRecord {
    fn data(&self) -> &RecordData {
        &self.data
    }
    fn kafka_offset(&self) -> Option<i64> {
        Some(self.kafka_offset)
    }
    fn data_mut(&mut self) -> &mut RecordData {
        &mut self.data
    }
}

/// Builds a [`SinkRecord`].
#[derive(Debug, Clone)]
#[must_use = "call build() to get the record"]
pub struct SinkRecordBuilder {
    record: SinkRecord,
}

impl SinkRecordBuilder {
    /// Sets the key and its schema.
    pub fn key(mut self, schema: Option<Schema>, key: impl Into<Value>) -> Self {
        self.record.data.key_schema = schema;
        self.record.data.key = key.into();
        self
    }
    /// Sets the value and its schema.
    pub fn value(mut self, schema: Option<Schema>, value: impl Into<Value>) -> Self {
        self.record.data.value_schema = schema;
        self.record.data.value = value.into();
        self
    }
    /// Sets the timestamp and how it was set.
    pub fn timestamp(mut self, timestamp: i64, kind: TimestampType) -> Self {
        self.record.data.timestamp = Some(timestamp);
        self.record.timestamp_type = kind;
        self
    }
    /// Sets all headers.
    pub fn headers(mut self, headers: Headers) -> Self {
        self.record.data.headers = headers;
        self
    }
    /// Appends one header.
    pub fn header(mut self, key: impl Into<String>, value: SchemaAndValue) -> Self {
        self.record.data.headers.add(key, value);
        self
    }
    /// The record.
    pub fn build(self) -> SinkRecord {
        self.record
    }
}

/// What Kafka reported for an acknowledged source record, passed to
/// [`SourceTask::commit_record`](crate::SourceTask::commit_record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic written.
    pub topic: String,
    /// The partition written.
    pub partition: i32,
    /// The offset Kafka assigned.
    pub offset: i64,
    /// The record's timestamp.
    pub timestamp: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transformations_can_rewrite_the_shared_fields() {
        let mut r = SinkRecord::builder("a", 0, 5).key(Some(Schema::string()), "k").build();
        r.set_topic("b");
        r.set_value(SchemaAndValue::new(Some(Schema::int32()), Value::Int32(1)));
        assert_eq!(r.topic(), "b");
        assert_eq!(r.original_topic(), "a");
        assert_eq!(r.value(), &Value::Int32(1));
        assert_eq!(r.key(), &Value::from("k"));
        assert_eq!(r.original_topic_partition(), TopicPartition::new("a", 0));
    }
}
