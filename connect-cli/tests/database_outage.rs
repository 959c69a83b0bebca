//! PostgreSQL stopped for 30 s under a JDBC sink with `errors.retry.timeout=-1`, on the
//! real `connect-standalone` binary and Apache Kafka: the task pauses its partitions and
//! keeps polling, so it is not evicted from its group (`max.poll.interval.ms` is 10 s
//! here); every row lands once after the restart. Alone in its test binary: it stops the
//! shared PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use support::*;

/// The Debian cluster `scripts/test.sh` runs, stopped and started with `pg_ctlcluster`;
/// started again when dropped, whatever happened in the test.
struct Cluster(String);

impl Cluster {
    fn find() -> Cluster {
        let version = std::fs::read_dir("/etc/postgresql")
            .unwrap_or_else(|e| {
                panic!("/etc/postgresql: {e}; run scripts/test.sh, which installs PostgreSQL")
            })
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
            .expect("a PostgreSQL cluster under /etc/postgresql");
        Cluster(version)
    }

    fn ctl(&self, action: &str) {
        let status = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.0, "main", action, "-m", "fast"])
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("pg_ctlcluster {action}: {e}"));
        assert!(status.success(), "pg_ctlcluster {} main {action} failed", self.0);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.0, "main", "start"])
            .status();
    }
}

fn produce(topic: &str, ids: std::ops::Range<i64>) {
    let producer: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let schema = r#"{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"name","type":"string"}]}"#;
    for i in ids {
        let v = format!(r#"{{"schema":{schema},"payload":{{"id":{i},"name":"n{i}"}}}}"#);
        let mut r = BaseRecord::<str, str>::to(topic).key("").payload(&v);
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(50));
                    r = back;
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_survives_a_30_s_database_outage_in_its_group_and_writes_every_row_once() {
    let url = postgres_url();
    let cluster = Cluster::find();
    let table = unique("outage").replace('-', "_");
    psql(&url, &format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"))
        .expect("PostgreSQL answers");
    let (topic, name) = (unique("outage-in"), unique("outage-sink"));
    let dir = tempfile::tempdir().unwrap();
    // Plain inserts into a primary key: a row written twice would fail the task.
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n",
        &[format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\nconnection.url={url}\ntopics={topic}\ntable.name.format={table}\ninsert.mode=insert\npk.mode=record_value\npk.fields=id\nmax.retries=0\nerrors.retry.timeout=-1\nerrors.retry.delay.max.ms=2000\nconsumer.override.session.timeout.ms=6000\nconsumer.override.max.poll.interval.ms=10000\n"
        )],
    );
    let tail = || worker.log_tail();
    let count =
        || psql(&url, &format!("SELECT count(*) FROM {table}")).and_then(|c| c.parse::<i64>().ok());
    let wait_rows = |n: i64, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while count() != Some(n) {
            assert!(Instant::now() < deadline, "{:?} rows of {n}; log:\n{}", count(), tail());
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    produce(&topic, 0..1000);
    wait_rows(1000, 90);

    cluster.ctl("stop");
    assert_eq!(count(), None, "PostgreSQL is down");
    let stopped = Instant::now();
    produce(&topic, 1000..2000);
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(stopped.elapsed())).await;
    cluster.ctl("start");
    wait_rows(2000, 90);
    let recovered = stopped.elapsed();

    let distinct = psql(&url, &format!("SELECT count(DISTINCT id) FROM {table}")).unwrap();
    assert_eq!(distinct, "2000");
    assert_eq!(worker.task_state(&name).await, "RUNNING", "{}", tail());
    let text = worker.log_text();
    let lower = text.to_lowercase();
    assert!(text.contains("retriable error from put"), "the outage reached the task:\n{}", tail());
    for eviction in ["poll interval", "maxpoll", "partitions revoked", "revoke"] {
        assert!(!lower.contains(eviction), "the task left its group ({eviction}):\n{}", tail());
    }
    eprintln!("outage 30 s; all 2000 rows once after {:.1} s", recovered.as_secs_f64());
    drop(worker);
    psql(&url, &format!("DROP TABLE {table}"));
}
