//! `errors.retry.timeout` on conversions, on the real `connect-standalone` binary with
//! Apache Kafka: a file source → AvroConverter → Kafka → file sink pipeline starts while
//! its schema registry is down. With a retry budget the tasks wait for the registry and
//! every line arrives once it is up; without one (the default, 0) the source task fails
//! at the first record, as in Kafka.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::*;
use connect_schema_registry::RegistryServer;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_wait_for_a_schema_registry_that_comes_up_late() {
    let dir = tempfile::tempdir().unwrap();
    let registry_port = free_port();
    let url = format!("http://127.0.0.1:{registry_port}");
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    write_lines(&input, 0, 200);
    let topic = unique("late-registry");
    let retrying = "errors.retry.timeout=60000\nerrors.retry.delay.max.ms=1000\n";
    let connectors = [
        format!(
            "name=src\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n{retrying}",
            input.display()
        ),
        format!(
            "name=sink\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{retrying}",
            output.display()
        ),
        // The control: no retry budget.
        format!(
            "name=impatient\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}-2\n",
            input.display()
        ),
    ];
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        &format!(
            "value.converter=io.confluent.connect.avro.AvroConverter\nvalue.converter.schema.registry.url={url}\n"
        ),
        &connectors,
    );
    let tail = || worker.log_tail();
    let state = |name: &'static str| worker.task_state(name);
    let deadline = Instant::now() + Duration::from_secs(60);
    while state("impatient").await != "FAILED" {
        assert!(
            Instant::now() < deadline,
            "the task without retries never failed; log:\n{}",
            tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(state("src").await, "RUNNING", "log:\n{}", tail());
    assert_eq!(line_count(&output), 0);
    let registry =
        RegistryServer::start_in_memory(&format!("127.0.0.1:{registry_port}")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while line_count(&output) < 200 {
        assert!(
            Instant::now() < deadline,
            "{} of 200 lines; log:\n{}",
            line_count(&output),
            tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(std::fs::read(&input).unwrap(), std::fs::read(&output).unwrap());
    assert_eq!(state("src").await, "RUNNING");
    assert!(worker.log_text().contains("retrying a conversion"), "{}", tail());
    drop(worker);
    registry.shutdown().await;
}
