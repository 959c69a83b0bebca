//! The worker, without a herder, runs exactly what it is told: a connector, the tasks it
//! is given configs for, and stops them; it keeps no config of its own and refuses what
//! it cannot do with an error that names the connector. This is the engine a herder
//! (standalone now, distributed next) drives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use connect_api::context::ConnectorContext;
use connect_runtime::Worker;
use connect_runtime::config::worker::WorkerConfig;
use connect_runtime::offsets::MemoryOffsetStore;
use connect_runtime::status::{State, StatusBackingStore, StatusBoard};
use connect_runtime::task::TargetState;

/// A worker with no herder, a file of `lines` lines, and the configs of a FileStream
/// source reading it and a sink writing `out.txt`, through a fresh topic.
struct Setup {
    _dir: tempfile::TempDir,
    input: std::path::PathBuf,
    output: std::path::PathBuf,
    status: Arc<StatusBoard>,
    worker: Worker,
    source: connect_api::config::RawConfig,
    sink: connect_api::config::RawConfig,
}

async fn setup(worker_id: &str, lines: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_lines(&input, 0, lines);
    let (config, _) = WorkerConfig::parse(&raw(&[
        ("bootstrap.servers", &bootstrap()),
        ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("offset.flush.interval.ms", "200"),
    ]))
    .unwrap();
    let status = Arc::new(StatusBoard::new());
    let worker = Worker::new(
        config,
        Arc::new(registry()),
        worker_id.into(),
        Arc::new(MemoryOffsetStore::new()),
        status.clone(),
    )
    .await
    .unwrap();
    let topic = unique("told");
    let source = raw(&[
        ("name", "src"),
        ("connector.class", "FileStreamSource"),
        ("file", input.to_str().unwrap()),
        ("topic", &topic),
    ]);
    let sink = raw(&[
        ("name", "sink"),
        ("connector.class", "FileStreamSink"),
        ("file", output.to_str().unwrap()),
        ("topics", &topic),
    ]);
    Setup { _dir: dir, input, output, status, worker, source, sink }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_the_connector_and_tasks_it_is_told_to_and_stops_them() {
    let Setup { _dir, input, output, status, worker, source, sink } =
        setup("test-worker:1", 1000).await;
    let topic = source["topic"].clone();
    let ctx = || ConnectorContext::new(|_| {});

    // Nothing runs until told; a task of a connector not running here is refused by name.
    let e = worker.start_task("src", 0, raw(&[])).await.unwrap_err();
    assert!(e.message().contains("src"), "{e}");
    assert!(worker.running_connectors().await.is_empty());

    for (name, config) in [("src", source.clone()), ("sink", sink)] {
        assert!(worker.start_connector(name, config, TargetState::Started, ctx()).await.unwrap());
        assert_eq!(status.connector(name).unwrap().state, State::Running);
        let tasks = worker.connector_task_configs(name, 1).await.unwrap();
        assert_eq!(tasks.len(), 1, "FileStream connectors plan one task");
        worker.start_task(name, 0, tasks[0].clone()).await.unwrap();
    }
    // Told twice, it refuses rather than run the connector twice.
    let e = worker.start_connector("src", source, TargetState::Started, ctx()).await.unwrap_err();
    assert!(e.message().contains("already running"), "{e}");

    wait_for(Duration::from_secs(60), "1000 lines through the worker", || {
        line_count(&output) >= 1000
    })
    .await;
    assert_eq!(status.task("src", 0).unwrap().state, State::Running);
    assert_eq!(status.task("src", 0).unwrap().worker_id, "test-worker:1");
    let topics = connect_runtime::status::lock_topics(&status.topics("src")).clone();
    assert!(topics.contains(&topic), "the task did not record its topic: {topics:?}");

    // Stopped, the source task reads nothing more.
    worker.stop_connector("src").await.unwrap();
    assert_eq!(worker.running_connectors().await, vec!["sink".to_string()]);
    write_lines(&input, 1000, 10);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(line_count(&output), 1000, "a stopped source task still moved lines");
    // Stopping what does not run is no error; a task of it can no longer be started.
    worker.stop_connector("src").await.unwrap();
    assert!(worker.start_task("src", 0, raw(&[])).await.is_err());
    worker.stop_all().await;
    assert!(worker.running_connectors().await.is_empty());
}

/// Distributed mode assigns a connector and its tasks apart: a worker runs tasks whose
/// connector runs elsewhere, and gives up a connector while keeping its tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_tasks_without_their_connector() {
    let Setup { _dir, output, status, worker, source, sink, .. } =
        setup("test-worker:2", 100).await;
    // The sink's connector runs here first, then leaves; its task stays.
    assert!(
        worker
            .start_connector("sink", sink, TargetState::Started, ConnectorContext::new(|_| {}))
            .await
            .unwrap()
    );
    let sink_task = worker.connector_task_configs("sink", 1).await.unwrap().remove(0);
    worker.start_task("sink", 0, sink_task).await.unwrap();
    worker.stop_connector_instance("sink").await.unwrap();
    assert_eq!(worker.running_parts("sink").await, (false, vec![0]));
    // The source's task runs here; its connector never did. The task config is what the
    // connector would give (FileStream's task config is its connector's).
    worker.start_task_of("src", source.clone(), TargetState::Started, 0, source).await.unwrap();
    assert_eq!(worker.running_parts("src").await, (false, vec![0]));
    assert!(worker.connector_task_configs("src", 1).await.is_err(), "no connector here to ask");
    wait_for(Duration::from_secs(60), "100 lines through tasks alone", || {
        line_count(&output) >= 100
    })
    .await;
    assert_eq!(status.task("src", 0).unwrap().state, State::Running);
    // The last task of a connector that does not run here takes its entry with it.
    worker.stop_tasks("src", None).await;
    assert_eq!(worker.running_connectors().await, vec!["sink".to_string()]);
    worker.stop_all().await;
}
