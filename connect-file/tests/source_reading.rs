#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The source task turns lines into records: values, positions, batches, terminators.

mod common;

use common::*;
use connect_api::SourceTask;
use connect_api::data::Schema;
use connect_api::record::{ConnectRecord, OffsetMap};

#[tokio::test]
async fn reads_all_lines_with_byte_positions_after_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "one\ntwo\n\nthree\n").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;

    let records = poll_until(&mut task, 4).await;
    assert_eq!(values(&records), ["one", "two", "", "three"]);
    assert_eq!(positions(&records), [4, 8, 9, 15]);
    for r in &records {
        assert_eq!(r.topic(), "lines");
        assert_eq!(r.value_schema(), Some(&Schema::string()));
        assert!(r.key().is_null() && r.key_schema().is_none());
        assert_eq!(r.source_partition(), &partition(&file));
    }
    task.stop().await.unwrap();
}

#[tokio::test]
async fn each_poll_returns_at_most_batch_size_records() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    let text: String = (0..25).map(|i| format!("line {i}\n")).collect();
    std::fs::write(&file, &text).unwrap();
    let (mut task, _) =
        start_source(source_config(&file, &[("batch.size", "10")]), &MemoryOffsets::new()).await;

    let sizes =
        [task.poll().await.unwrap(), task.poll().await.unwrap(), task.poll().await.unwrap()]
            .map(|b| b.len());
    assert_eq!(sizes, [10, 10, 5]);
}

#[tokio::test]
async fn a_partial_last_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "first\nsec").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;

    let records = poll_until(&mut task, 1).await;
    assert_eq!(values(&records), ["first"]);
    assert!(task.poll().await.unwrap().is_empty(), "never emitted early");

    append(&file, b"ond");
    assert!(task.poll().await.unwrap().is_empty());
    append(&file, b"\nthird\n");
    let records = poll_until(&mut task, 2).await;
    assert_eq!(values(&records), ["second", "third"]);
    assert_eq!(positions(&records), [13, 19]);
}

#[tokio::test]
async fn follows_a_growing_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\n").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    assert_eq!(values(&poll_until(&mut task, 1).await), ["a"]);
    assert!(task.poll().await.unwrap().is_empty());
    for i in 0..3 {
        append(&file, format!("more {i}\n").as_bytes());
        assert_eq!(values(&poll_until(&mut task, 1).await), [format!("more {i}")]);
    }
}

#[tokio::test]
async fn crlf_and_lone_cr_end_lines_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "dos\r\nunix\nold mac\rlast\r").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;

    let records = poll_until(&mut task, 3).await;
    assert_eq!(values(&records), ["dos", "unix", "old mac"]);
    assert_eq!(positions(&records), [5, 10, 18]);
    // A trailing `\r` may be the start of `\r\n`: the line waits for the next byte.
    assert!(task.poll().await.unwrap().is_empty());
    append(&file, b"\n");
    let records = poll_until(&mut task, 1).await;
    assert_eq!(values(&records), ["last"]);
    assert_eq!(positions(&records), [24]);
}

#[tokio::test]
async fn invalid_utf8_is_replaced_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, b"caf\xc3\xa9\nbad \xff byte\n").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    let records = poll_until(&mut task, 2).await;
    assert_eq!(values(&records), ["café", "bad \u{fffd} byte"]);
    assert_eq!(positions(&records), [6, 17]);
}

#[tokio::test]
async fn lines_longer_than_the_read_buffer_arrive_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    let long = "x".repeat(1_000_000);
    std::fs::write(&file, format!("{long}\nshort\n")).unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    let records = poll_until(&mut task, 2).await;
    assert_eq!(records[0].value().as_str().map(str::len), Some(1_000_000));
    assert_eq!(values(&records)[1], "short");
    assert_eq!(positions(&records), [1_000_001, 1_000_007]);
}

#[tokio::test]
async fn poll_before_start_is_an_error() {
    let mut task = connect_file::FileStreamSourceTask::new();
    assert!(task.poll().await.unwrap_err().is_fatal());
    task.stop().await.unwrap();
}

#[tokio::test]
async fn the_partition_names_the_configured_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "x\n").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    let records = poll_until(&mut task, 1).await;
    assert_eq!(
        records[0].source_partition().to_json_string(),
        OffsetMap::new().with("filename", file.display().to_string()).to_json_string()
    );
    assert_eq!(records[0].source_offset().to_json_string(), r#"{"position":2}"#);
}
