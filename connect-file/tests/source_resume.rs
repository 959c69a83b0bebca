#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Where the source task starts: committed positions, truncated and missing files.

mod common;

use common::*;
use connect_api::record::OffsetMap;
use connect_api::{ErrorKind, SourceTask};

fn lines(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("record number {i}")).collect()
}

#[tokio::test]
async fn resumes_from_the_committed_position_without_repeats_or_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    let all = lines(100);
    std::fs::write(&file, all.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let offsets = MemoryOffsets::new();
    let config = source_config(&file, &[("batch.size", "7")]);

    // First run: read 40 lines, Kafka acknowledges the first 33, then the task stops.
    let (mut first, _) = start_source(config.clone(), &offsets).await;
    let read = poll_until(&mut first, 40).await;
    offsets.commit_record(&read[32]);
    first.stop().await.unwrap();

    // Second run picks up right after line 33.
    let (mut second, _) = start_source(config, &offsets).await;
    let rest = poll_until(&mut second, 67).await;
    let mut seen = values(&read[..33]);
    seen.extend(values(&rest));
    assert_eq!(seen, all);
    assert_eq!(positions(&rest)[0], positions(&read)[33]);
    assert!(second.poll().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_file_shorter_than_the_committed_position_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "rotated\nfile\n").unwrap();
    let offsets = MemoryOffsets::new();
    offsets.commit(partition(&file), OffsetMap::new().with("position", 10_000i64));
    let (mut task, _) = start_source(source_config(&file, &[]), &offsets).await;
    let records = poll_until(&mut task, 2).await;
    assert_eq!(values(&records), ["rotated", "file"]);
    assert_eq!(positions(&records), [8, 13]);
}

#[tokio::test]
async fn a_file_truncated_while_followed_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a fairly long first line\nand a second one\n").unwrap();
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    assert_eq!(poll_until(&mut task, 2).await.len(), 2);

    // copytruncate-style rotation: the same file, emptied, then written again.
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(0).unwrap();
    append(&file, b"new\n");
    let records = poll_until(&mut task, 1).await;
    assert_eq!(values(&records), ["new"]);
    assert_eq!(positions(&records), [4]);
}

#[tokio::test]
async fn a_missing_file_is_waited_for_then_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("later.txt");
    let (mut task, _) = start_source(source_config(&file, &[]), &MemoryOffsets::new()).await;
    assert!(task.poll().await.unwrap().is_empty());
    assert!(task.poll().await.unwrap().is_empty());

    std::fs::write(&file, "finally\n").unwrap();
    let records = poll_until(&mut task, 1).await;
    assert_eq!(values(&records), ["finally"]);
    assert_eq!(positions(&records), [8]);
}

#[tokio::test]
async fn a_missing_file_resumes_at_its_committed_position_once_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("later.txt");
    let offsets = MemoryOffsets::new();
    offsets.commit(partition(&file), OffsetMap::new().with("position", 4i64));
    let (mut task, _) = start_source(source_config(&file, &[]), &offsets).await;
    assert!(task.poll().await.unwrap().is_empty());
    std::fs::write(&file, "old\nnew\n").unwrap();
    assert_eq!(values(&poll_until(&mut task, 1).await), ["new"]);
}

#[tokio::test]
async fn a_committed_position_of_the_wrong_type_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "x\n").unwrap();
    let offsets = MemoryOffsets::new();
    offsets.commit(partition(&file), OffsetMap::new().with("position", "12"));
    let config = source_config(&file, &[]);
    let ctx = connect_api::context::SourceTaskContext::new(
        config.clone(),
        std::sync::Arc::new(offsets),
        Default::default(),
    );
    let mut task = connect_file::FileStreamSourceTask::new();
    let err = task.start(ctx, config).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(err.message().contains("Offset position"), "{}", err.message());
}

#[tokio::test]
async fn an_unreadable_path_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    // A directory opens on Linux but cannot be read; either way start or poll fails.
    let config = source_config(dir.path(), &[]);
    let ctx = connect_api::context::SourceTaskContext::new(
        config.clone(),
        std::sync::Arc::new(MemoryOffsets::new()),
        Default::default(),
    );
    let mut task = connect_file::FileStreamSourceTask::new();
    let failed = match task.start(ctx, config).await {
        Err(_) => true,
        Ok(()) => task.poll().await.is_err(),
    };
    assert!(failed);
}
