//! File → Kafka → file through a standalone worker on the real broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_to_topic_to_file_copies_100k_lines_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_lines(&input, 0, 100_000);
    let topic = unique("pipeline");
    let offsets = dir.path().join("connect.offsets");
    let worker = standalone(
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.storage.file.filename", offsets.to_str().unwrap()),
            ("offset.flush.interval.ms", "500"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ],
        vec![
            raw(&[
                ("name", &unique("src")),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ]),
            raw(&[
                ("name", &unique("sink")),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .await;
    wait_for(Duration::from_secs(120), "100000 lines in the sink file", || {
        line_count(&output) >= 100_000
    })
    .await;
    worker.shutdown().await;
    let a = std::fs::read(&input).unwrap();
    let b = std::fs::read(&output).unwrap();
    assert_eq!(a.len(), b.len(), "sink file size differs from the source file");
    assert!(a == b, "sink file content differs from the source file");
    // The source's committed position is the end of the file.
    let text = std::fs::read_to_string(&offsets).unwrap();
    assert!(text.contains(&format!("\"position\": {}", a.len())), "offsets file: {text}");
}
