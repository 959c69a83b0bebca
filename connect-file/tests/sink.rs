#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The sink task writes one line per record and makes it durable on flush.

mod common;

use std::collections::HashMap;

use common::*;
use connect_api::SinkTask;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn writes_one_line_per_record_and_flush_persists_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let mut task = start_sink(&file).await;
    assert!(file.exists(), "created at start");

    task.put(&[sink_record(0, "first"), sink_record(1, "second")]).await.unwrap();
    let offsets = HashMap::from([(TopicPartition::new("t", 0), OffsetAndMetadata::new(2))]);
    let committed = task.pre_commit(offsets.clone()).await.unwrap();
    assert_eq!(committed, offsets, "everything delivered is safe to commit");
    assert_eq!(read(&file), "first\nsecond\n");

    task.put(&[sink_record(2, "third")]).await.unwrap();
    task.flush(&HashMap::new()).await.unwrap();
    assert_eq!(read(&file), "first\nsecond\nthird\n");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn null_and_non_string_values_are_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let mut task = start_sink(&file).await;
    let schema = SchemaBuilder::struct_()
        .field("name", Schema::string())
        .field("age", Schema::int32())
        .build()
        .unwrap();
    let person = Struct::new(schema)
        .unwrap()
        .with("name", "Barbara Liskov")
        .unwrap()
        .with("age", 75)
        .unwrap();
    let values: Vec<Value> = vec![
        Value::Null,
        Value::Int32(42),
        Value::Int64(-7),
        Value::Float64(2.5),
        Value::Float64(1e10),
        Value::Float32(0.1),
        Value::Boolean(true),
        Value::Bytes(b"raw \xff".to_vec()),
        Value::Struct(person),
        Value::Array(vec![Value::from("a"), Value::Int8(1)]),
        Value::Map(vec![(Value::from("k"), Value::Null)]),
    ];
    let records: Vec<SinkRecord> =
        values.into_iter().enumerate().map(|(i, v)| sink_record(i as i64, v)).collect();
    task.put(&records).await.unwrap();
    task.stop().await.unwrap();
    assert_eq!(
        read(&file),
        "null\n42\n-7\n2.5\n1.0E10\n0.1\ntrue\nraw \u{fffd}\n\
         {\"name\":\"Barbara Liskov\",\"age\":75}\n[\"a\",1]\n{\"k\":null}\n"
    );
}

#[tokio::test]
async fn appends_to_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    std::fs::write(&file, "already here\n").unwrap();
    let mut task = start_sink(&file).await;
    task.put(&[sink_record(0, "appended")]).await.unwrap();
    task.stop().await.unwrap();
    assert_eq!(read(&file), "already here\nappended\n");
}

#[tokio::test]
async fn stop_flushes_what_was_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let mut task = start_sink(&file).await;
    task.put(&[sink_record(0, "buffered")]).await.unwrap();
    task.stop().await.unwrap();
    assert_eq!(read(&file), "buffered\n");
}

#[tokio::test]
async fn a_batch_delivered_again_is_not_written_twice() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let mut task = start_sink(&file).await;
    let batch = [sink_record(5, "five"), sink_record(6, "six")];
    task.put(&batch).await.unwrap();
    // Redelivered (after a retriable error or a rebalance back to this task), with one
    // new record.
    task.put(&[batch[0].clone(), batch[1].clone(), sink_record(7, "seven")]).await.unwrap();
    // Another partition with lower offsets is independent.
    let other = SinkRecord::builder("t", 1, 0).value(None, Value::from("p1")).build();
    task.put(&[other]).await.unwrap();
    task.stop().await.unwrap();
    assert_eq!(read(&file), "five\nsix\nseven\np1\n");
}

#[tokio::test]
async fn large_batches_are_written_in_pieces_and_all_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let mut task = start_sink(&file).await;
    let line = "y".repeat(999);
    let records: Vec<SinkRecord> = (0..2_000).map(|i| sink_record(i, line.as_str())).collect();
    task.put(&records).await.unwrap();
    // More than the write threshold went out before any flush.
    assert!(std::fs::metadata(&file).unwrap().len() >= 256 * 1024);
    task.flush(&HashMap::new()).await.unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 2_000 * 1_000);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_file_in_a_missing_directory_fails_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("no/such/dir/out.txt");
    let config = raw(&[("file", &file.display().to_string())]);
    let ctx = connect_api::context::SinkTaskContext::new(config.clone(), None, Default::default());
    let mut task = connect_file::FileStreamSinkTask::new();
    let err = task.start(ctx, config).await.unwrap_err();
    assert!(err.message().contains("out.txt"), "{}", err.message());
}

#[tokio::test]
async fn put_before_start_is_an_error() {
    let mut task = connect_file::FileStreamSinkTask::new();
    assert!(task.put(&[sink_record(0, "x")]).await.is_err());
    task.flush(&HashMap::new()).await.unwrap();
    task.stop().await.unwrap();
}
