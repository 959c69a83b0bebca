//! `task.restart.max.attempts`, on the real `connect-standalone` binary with Apache Kafka
//! and PostgreSQL: a JDBC sink task whose database does not exist yet goes FAILED, the
//! worker restarts it by itself with backoff, and once the database is there the rows
//! land without an operator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

fn psql(url: &str, sql: &str) -> Option<String> {
    let out = Command::new("psql")
        .args([url, "-tAqc", sql])
        .output()
        .unwrap_or_else(|e| panic!("psql is needed (scripts/test.sh installs PostgreSQL): {e}"));
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_task_is_restarted_by_the_worker_until_it_runs() {
    let base = std::env::var("CONNECT_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("CONNECT_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL and sets it")
    });
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
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\noffset.storage.file.filename={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n",
            bootstrap(),
            dir.path().join("offsets").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\nconnection.url={url}\nconnection.attempts=1\ntopics={topic}\ntable.name.format=items\nauto.create=true\ntask.restart.max.attempts=-1\ntask.restart.backoff.ms=500\ntask.restart.backoff.max.ms=2000\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("worker.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
        .arg(dir.path().join("worker.properties"))
        .arg(dir.path().join("sink.properties"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    };
    let state = || async {
        let url = format!("http://127.0.0.1:{port}/connectors/{name}/status");
        match reqwest::get(&url).await {
            Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default()["tasks"][0]["state"]
                .as_str()
                .unwrap_or("none")
                .to_string(),
            Err(_) => "unreachable".into(),
        }
    };
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
    let text = std::fs::read_to_string(&log).unwrap();
    let restarts = text.matches("restarting the failed task").count();
    assert!(
        restarts >= 2,
        "restarted with backoff while the database was missing ({restarts}):\n{}",
        tail()
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = psql(&base, &format!("DROP DATABASE {database} WITH (FORCE)"));
}
