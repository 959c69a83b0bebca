//! Record builders and accessors for tests: [`SinkRecords`] makes consecutive-offset
//! [`SinkRecord`]s of one topic partition; [`values_of`] and [`keys_of`] pull out what
//! assertions compare.

use connect_api::data::{Schema, Struct, Value};
use connect_api::record::{ConnectRecord, SinkRecord, TimestampType, TopicPartition};

/// Makes [`SinkRecord`]s of one topic partition at consecutive Kafka offsets, as a
/// consumer would deliver them.
///
/// Each call continues where the last one stopped, so batches built one after another
/// line up; timestamps are optional (see [`with_timestamps`](Self::with_timestamps)).
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
/// use connect_api::record::ConnectRecord;
/// use connect_testkit::SinkRecords;
///
/// let mut orders = SinkRecords::new("orders", 0).starting_at(40);
/// let first = orders.strings(["a", "b"]);
/// let next = orders.values(Some(Schema::int64()), [7i64]);
/// assert_eq!(first[1].kafka_offset(), 41);
/// assert_eq!(next[0].kafka_offset(), 42);
/// assert_eq!(next[0].value(), &Value::Int64(7));
///
/// let schema = SchemaBuilder::struct_().field("id", Schema::int32()).build()?;
/// let rows = orders.structs([Struct::new(schema.clone())?.with("id", 1)?]);
/// assert_eq!(rows[0].value_schema(), Some(&schema));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SinkRecords {
    topic: String,
    partition: i32,
    next_offset: i64,
    timestamps: Option<(i64, i64)>,
}

impl SinkRecords {
    /// Records of `topic`, `partition`, from offset 0, without timestamps.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        SinkRecords { topic: topic.into(), partition, next_offset: 0, timestamps: None }
    }

    /// Starts (or continues) at Kafka offset `offset`.
    #[must_use]
    pub fn starting_at(mut self, offset: i64) -> Self {
        self.next_offset = offset;
        self
    }

    /// Gives each record a CreateTime timestamp: `first_ms` for the next record, then
    /// `step_ms` more for each one after it.
    #[must_use]
    pub fn with_timestamps(mut self, first_ms: i64, step_ms: i64) -> Self {
        self.timestamps = Some((first_ms, step_ms));
        self
    }

    /// The topic partition the records belong to.
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(self.topic.clone(), self.partition)
    }

    /// The offset the next record will get.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    /// One record with a key and a value, at the next offset.
    pub fn keyed(
        &mut self,
        key_schema: Option<Schema>,
        key: impl Into<Value>,
        value_schema: Option<Schema>,
        value: impl Into<Value>,
    ) -> SinkRecord {
        let offset = self.next_offset;
        self.next_offset += 1;
        let mut builder = SinkRecord::builder(self.topic.clone(), self.partition, offset)
            .key(key_schema, key)
            .value(value_schema, value);
        if let Some((first, step)) = self.timestamps.as_mut() {
            builder = builder.timestamp(*first, TimestampType::CreateTime);
            *first += *step;
        }
        builder.build()
    }

    /// One record with a value and no key, at the next offset.
    pub fn record(&mut self, schema: Option<Schema>, value: impl Into<Value>) -> SinkRecord {
        self.keyed(None, Value::Null, schema, value)
    }

    /// One record per value, all with the same value schema.
    pub fn values<V: Into<Value>>(
        &mut self,
        schema: Option<Schema>,
        values: impl IntoIterator<Item = V>,
    ) -> Vec<SinkRecord> {
        values.into_iter().map(|v| self.record(schema.clone(), v)).collect()
    }

    /// One record per string, with the STRING schema.
    pub fn strings<S: Into<String>>(
        &mut self,
        values: impl IntoIterator<Item = S>,
    ) -> Vec<SinkRecord> {
        self.values(Some(Schema::string()), values.into_iter().map(|s| Value::String(s.into())))
    }

    /// One record per struct, each with its struct's schema as value schema.
    pub fn structs(&mut self, values: impl IntoIterator<Item = Struct>) -> Vec<SinkRecord> {
        values
            .into_iter()
            .map(|s| {
                let schema = s.schema().clone();
                self.record(Some(schema), Value::Struct(s))
            })
            .collect()
    }
}

/// The values of `records`, in order.
pub fn values_of<R: ConnectRecord>(records: &[R]) -> Vec<Value> {
    records.iter().map(|r| r.value().clone()).collect()
}

/// The keys of `records`, in order.
pub fn keys_of<R: ConnectRecord>(records: &[R]) -> Vec<Value> {
    records.iter().map(|r| r.key().clone()).collect()
}

/// The topic partitions `records` were consumed from, each once, in order of first
/// appearance (what to [`assign`](crate::SinkTaskHarness::assign) before delivering
/// them).
pub fn partitions_of(records: &[SinkRecord]) -> Vec<TopicPartition> {
    let mut out: Vec<TopicPartition> = Vec::new();
    for record in records {
        let tp = record.original_topic_partition();
        if !out.contains(&tp) {
            out.push(tp);
        }
    }
    out
}
