//! Transformations configured on connectors run in the pipeline, and a bad one is refused
//! when the connector is created. Embedded broker (no durability needed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_records_are_routed_to_the_topic_the_transformation_names() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&input, "keep 1\ndrop 2\nkeep 3\n").unwrap();
    let worker = standalone(
        &[
            ("offset.flush.interval.ms", "200"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ],
        vec![
            raw(&[
                ("name", "src"),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", "lines-raw"),
                ("transforms", "route"),
                ("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter"),
                ("transforms.route.regex", "(.*)-raw"),
                ("transforms.route.replacement", "$1"),
            ]),
            raw(&[
                ("name", "sink"),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", "lines"),
            ]),
        ],
    )
    .await;
    wait_for(Duration::from_secs(60), "three routed lines in the sink file", || {
        line_count(&output) >= 3
    })
    .await;
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "keep 1\ndrop 2\nkeep 3\n");
    let topics = worker.herder().active_topics("src").await.unwrap();
    assert_eq!(topics, vec!["lines".to_string()]);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_with_an_unknown_transformation_is_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let worker = standalone(&[], vec![]).await;
    let err = worker
        .herder()
        .create_connector(raw(&[
            ("name", "bad"),
            ("connector.class", "FileStreamSource"),
            ("file", dir.path().join("x").to_str().unwrap()),
            ("topic", "t"),
            ("transforms", "r"),
            ("transforms.r.type", "com.example.NoSuchTransform"),
        ]))
        .await;
    let e = err.unwrap_err();
    assert!(
        e.message().contains("transforms.r.type") && e.message().contains("NoSuchTransform"),
        "{}",
        e.message()
    );
    worker.shutdown().await;
}
