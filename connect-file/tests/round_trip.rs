#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A file through the source task, into sink records, through the sink task: the copy
//! is byte for byte the original.

mod common;

use std::collections::HashMap;

use common::*;
use connect_api::record::{ConnectRecord, OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{SinkTask, SourceTask};

const LINES: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_thousand_lines_survive_source_and_sink() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let text: String = (0..LINES)
        .map(|i| match i % 5 {
            0 => String::new(),
            1 => format!("line {i} with unicode: café 😀 ünïcödé"),
            2 => format!("{i}\t{}", "x".repeat(i % 300)),
            3 => format!("  {i} \"quoted\" {{json-ish}} \\ "),
            _ => format!("{i}"),
        } + "\n")
        .collect();
    std::fs::write(&input, &text).unwrap();

    let (mut source, _) = start_source(source_config(&input, &[]), &MemoryOffsets::new()).await;
    let mut sink = start_sink(&output).await;
    let tp = TopicPartition::new("t", 0);
    let mut next_offset = 0i64;
    let mut last_position = 0;
    while next_offset < LINES as i64 {
        let batch = source.poll().await.unwrap();
        assert!(batch.len() <= 2000);
        let delivered: Vec<SinkRecord> = batch
            .iter()
            .map(|r| {
                let offset = next_offset;
                next_offset += 1;
                SinkRecord::builder("t", 0, offset)
                    .value(r.value_schema().cloned(), r.value().clone())
                    .build()
            })
            .collect();
        if let Some(last) = batch.last() {
            last_position = last.source_offset().get_i64("position").unwrap();
        }
        sink.put(&delivered).await.unwrap();
        if next_offset % 20_000 == 0 {
            let offsets = HashMap::from([(tp.clone(), OffsetAndMetadata::new(next_offset))]);
            sink.pre_commit(offsets).await.unwrap();
        }
    }
    assert_eq!(last_position, text.len() as i64);
    assert!(source.poll().await.unwrap().is_empty());
    source.stop().await.unwrap();
    sink.stop().await.unwrap();
    assert!(std::fs::read(&output).unwrap() == text.as_bytes(), "the copy differs");
}
