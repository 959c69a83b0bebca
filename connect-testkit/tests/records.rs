#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The record builders and accessors.

use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{ConnectRecord, TimestampType, TopicPartition};
use connect_testkit::{SinkRecords, keys_of, partitions_of, values_of};

#[test]
fn sink_records_get_consecutive_offsets_across_calls() {
    let mut orders = SinkRecords::new("orders", 3);
    let a = orders.strings(["a", "b"]);
    let b = orders.values(Some(Schema::int32()), [1, 2, 3]);
    let offsets: Vec<i64> = a.iter().chain(&b).map(|r| r.kafka_offset()).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 4]);
    assert_eq!(orders.next_offset(), 5);
    assert!(a.iter().all(|r| r.topic() == "orders" && r.kafka_partition() == Some(3)));
    assert_eq!(a[0].value_schema(), Some(&Schema::string()));
    assert_eq!(values_of(&b), [Value::Int32(1), Value::Int32(2), Value::Int32(3)]);
    assert_eq!(orders.topic_partition(), TopicPartition::new("orders", 3));
}

#[test]
fn struct_records_carry_their_schema_and_keys() {
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .build()
        .unwrap();
    let row = Struct::new(schema.clone())
        .unwrap()
        .with("id", 7i64)
        .unwrap()
        .with("name", "seven")
        .unwrap();
    let mut people = SinkRecords::new("people", 0).starting_at(100);
    let records = people.structs([row.clone()]);
    assert_eq!(records[0].kafka_offset(), 100);
    assert_eq!(records[0].value_schema(), Some(&schema));
    assert_eq!(records[0].value(), &Value::Struct(row));

    let keyed = people.keyed(Some(Schema::string()), "k", None, Value::Null);
    assert_eq!(keys_of(std::slice::from_ref(&keyed)), [Value::from("k")]);
    assert!(keyed.value().is_null(), "a tombstone");
}

#[test]
fn timestamps_step_from_the_first() {
    let mut clicks = SinkRecords::new("clicks", 0).with_timestamps(1_000, 10);
    let records = clicks.strings(["a", "b", "c"]);
    let stamps: Vec<Option<i64>> = records.iter().map(|r| r.timestamp()).collect();
    assert_eq!(stamps, [Some(1_000), Some(1_010), Some(1_020)]);
    assert_eq!(records[0].timestamp_type(), TimestampType::CreateTime);
    assert_eq!(SinkRecords::new("x", 0).strings(["a"])[0].timestamp(), None);
}

#[test]
fn partitions_of_lists_each_partition_once_in_order() {
    let mut b = SinkRecords::new("t", 1);
    let mut a = SinkRecords::new("t", 0);
    let mut records = b.strings(["x"]);
    records.extend(a.strings(["y", "z"]));
    records.extend(b.strings(["w"]));
    assert_eq!(partitions_of(&records), [TopicPartition::new("t", 1), TopicPartition::new("t", 0)]);
}
