//! `task.restart.max.attempts`, on the real `connect-standalone` binary with Apache Kafka
//! and PostgreSQL: a JDBC sink task whose database does not exist yet goes FAILED, the
//! worker restarts it by itself with backoff, and once the database is there the rows
//! land without an operator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::*;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_task_is_restarted_by_the_worker_until_it_runs() {
    let base = postgres_url();
    let database = unique("restart").replace('-', "_");
    let url = format!("{}/{database}", &base[..base.rfind('/').unwrap()]);
    let (topic, name) = (unique("restart-in"), unique("restart-sink"));
    let producer: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let schema = r#"{"type":"struct","fields":[{"field":"id","type":"int64"}]}"#;
    for i in 0..100 {
        let v = format!(r#"{{"schema":{schema},"payload":{{"id":{i}}}}}"#);
        producer.send(BaseRecord::<str, str>::to(&topic).key("").payload(&v)).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n",
        &[format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\nconnection.url={url}\nconnection.attempts=1\ntopics={topic}\ntable.name.format=items\nauto.create=true\ntask.restart.max.attempts=-1\ntask.restart.backoff.ms=500\ntask.restart.backoff.max.ms=2000\n"
        )],
    );
    let tail = || worker.log_tail();
    let state = || worker.task_state(&name);
    // The database is missing: the task fails (and is restarted, failing again).
    let deadline = Instant::now() + Duration::from_secs(60);
    while state().await != "FAILED" {
        assert!(Instant::now() < deadline, "the task never failed; log:\n{}", tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    psql(&base, &format!("CREATE DATABASE {database}")).expect("PostgreSQL answers");
    let count = || psql(&url, "SELECT count(*) FROM items").and_then(|c| c.parse::<i64>().ok());
    let deadline = Instant::now() + Duration::from_secs(60);
    while count() != Some(100) {
        assert!(
            Instant::now() < deadline,
            "{:?} rows of 100; task {}; log:\n{}",
            count(),
            state().await,
            tail()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(state().await, "RUNNING");
    let text = worker.log_text();
    let restarts = text.matches("restarting the failed task").count();
    assert!(
        restarts >= 2,
        "restarted with backoff while the database was missing ({restarts}):\n{}",
        tail()
    );
    drop(worker);
    let _ = psql(&base, &format!("DROP DATABASE {database} WITH (FORCE)"));
}
