//! The source connector through the real runtime: a Standalone worker with its
//! embedded broker, topics read back with rdkafka as JSON.
//!
//! - the change-capture demo of the Confluent blog post on MariaDB
//!   (timestamp+incrementing): inserts, updates, then a dropped column;
//! - resume after a worker restart on the same offset file, per dialect and mode;
//! - table discovery: a table created while the worker runs gets its topic, a dropped
//!   table does not fail the connector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::path::Path;
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_jdbc::Dialect;
use connect_runtime::PluginRegistry;
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use serde_json::Value;
use source_support::*;

const WAIT: Duration = Duration::from_secs(40);

async fn worker(offsets: &Path, connector: RawConfig) -> Standalone {
    let worker_config = raw(&[
        ("listeners", "http://127.0.0.1:0"),
        ("offset.storage.file.filename", offsets.to_str().unwrap()),
        ("offset.flush.interval.ms", "200"),
    ]);
    Standalone::start(StandaloneOptions { worker_config, connectors: vec![connector] }, {
        let mut r = PluginRegistry::new();
        r.register(connect_jdbc::plugins()).unwrap();
        r
    })
    .await
    .unwrap()
}

fn bootstrap(w: &Standalone) -> String {
    w.worker().kafka().bootstrap_servers().to_string()
}

fn payload(v: &Value) -> &Value {
    &v["payload"]
}

async fn connector_status(w: &Standalone, name: &str) -> Value {
    serde_json::to_value(w.herder().status(name).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blog_demo_captures_inserts_updates_and_a_dropped_column_on_mariadb() {
    let db = TestDb::shared(Dialect::MySql).await;
    let table = common::unique("users");
    db.exec(&format!(
        "CREATE TABLE {table} ( \
           id serial NOT NULL PRIMARY KEY, \
           name varchar(100), \
           email varchar(200), \
           department varchar(200), \
           modified timestamp default CURRENT_TIMESTAMP NOT NULL, \
           INDEX `modified_index` (`modified`))"
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO {table} (name, email, department) VALUES ('alice', 'alice@abc.com', 'engineering'); \
         INSERT INTO {table} (name, email, department) VALUES ('bob', 'bob@abc.com', 'sales')"
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique("test-mysql-jdbc");
    let w = worker(
        &dir.path().join("offsets"),
        raw(&[
            ("name", &name),
            ("connector.class", "io.confluent.connect.jdbc.JdbcSourceConnector"),
            ("tasks.max", "1"),
            ("connection.url", &db.url),
            ("mode", "timestamp+incrementing"),
            ("incrementing.column.name", "id"),
            ("timestamp.column.name", "modified"),
            ("table.whitelist", &table),
            ("topic.prefix", "test_jdbc_"),
            ("poll.interval.ms", "200"),
        ]),
    )
    .await;
    let topic = format!("test_jdbc_{table}");
    let first = consume_json(&bootstrap(&w), &topic, 2, WAIT, Duration::ZERO).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(payload(&first[0])["name"], "alice");
    assert_eq!(payload(&first[0])["id"], 1);
    assert_eq!(payload(&first[1])["name"], "bob");
    assert_eq!(first[0]["schema"]["name"], Value::String(table.clone()));
    let modified_before = payload(&first[0])["modified"].as_i64().unwrap();

    // The column has whole seconds: update in a later second, as the demo's user would.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    db.exec(&format!(
        "UPDATE {table} SET email = 'alice@new.com', modified = CURRENT_TIMESTAMP WHERE name = 'alice'; \
         UPDATE {table} SET email = 'bob@new.com', modified = CURRENT_TIMESTAMP WHERE name = 'bob'"
    ))
    .await;
    let updated = consume_json(&bootstrap(&w), &topic, 4, WAIT, Duration::ZERO).await;
    assert_eq!(updated.len(), 4, "{updated:?}");
    assert_eq!(payload(&updated[2])["name"], "alice");
    assert_eq!(payload(&updated[2])["email"], "alice@new.com");
    assert_eq!(payload(&updated[3])["email"], "bob@new.com");
    assert!(payload(&updated[2])["modified"].as_i64().unwrap() > modified_before);

    // Schema migration: the column goes, and the next records no longer have it.
    db.exec(&format!(
        "ALTER TABLE {table} DROP COLUMN name; \
         INSERT INTO {table} (email, department) VALUES ('cathy@abc.com', 'sales'); \
         INSERT INTO {table} (email, department) VALUES ('doug@abc.com', 'engineering')"
    ))
    .await;
    // A definite end instead of a quiet window: a last row, read after everything before
    // it (the source reads in timestamp+id order), so a repeat would show before it.
    db.exec(&format!("INSERT INTO {table} (email, department) VALUES ('end@abc.com', 'end')"))
        .await;
    let mut all = consume_json(&bootstrap(&w), &topic, 7, WAIT, Duration::ZERO).await;
    assert_eq!(all.len(), 7, "six records and the last row: {all:?}");
    assert_eq!(payload(&all[6])["email"], "end@abc.com", "exactly six records before it: {all:?}");
    all.pop();
    for v in &all[4..] {
        assert!(payload(v).get("name").is_none(), "no name any more: {v}");
        let fields: Vec<&str> = v["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["id", "email", "department", "modified"]);
    }
    assert_eq!(payload(&all[4])["id"], 3);
    assert_eq!(payload(&all[5])["department"], "engineering");
    w.shutdown().await;
}

async fn resume_after_worker_restart(d: Dialect, mode: &str) {
    let db = TestDb::shared(d).await;
    let table = common::unique("resume");
    let now = db.now();
    db.exec(&format!(
        "CREATE TABLE {table} (id {}, name VARCHAR(50), modified {} NOT NULL)",
        db.serial(),
        db.timestamp()
    ))
    .await;
    let insert = |n: &str| format!("INSERT INTO {table} (name, modified) VALUES ('{n}', {now})");
    db.exec(&insert("a")).await;
    db.exec(&insert("b")).await;
    let dir = tempfile::tempdir().unwrap();
    let offsets = dir.path().join("offsets");
    let prefix = common::unique("resume_topic_");
    let name = common::unique("resume-connector");
    let connector = db.config(&[
        ("name", &name),
        ("connector.class", "JdbcSource"),
        ("mode", mode),
        ("incrementing.column.name", "id"),
        ("timestamp.column.name", "modified"),
        ("table.whitelist", &table),
        ("topic.prefix", &prefix),
    ]);
    let topic = format!("{prefix}{table}");
    let names = |vs: &[Value]| {
        vs.iter().map(|v| payload(v)["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };

    let w = worker(&offsets, connector.clone()).await;
    let first = consume_json(&bootstrap(&w), &topic, 2, WAIT, Duration::ZERO).await;
    assert_eq!(names(&first), ["a", "b"]);
    // A graceful stop commits the offsets of every acknowledged record.
    w.shutdown().await;

    db.exec(&insert("c")).await;
    db.exec(&insert("d")).await;
    let w = worker(&offsets, connector).await;
    // A new worker has a new (embedded) broker: everything on the topic is what the
    // restarted connector read.
    // The last row is a definite end: a repeat of a or b would come before it.
    db.exec(&insert("end")).await;
    let second = consume_json(&bootstrap(&w), &topic, 3, WAIT, Duration::ZERO).await;
    assert_eq!(names(&second), ["c", "d", "end"], "only the new rows after the restart");
    w.shutdown().await;
}

async fn discovery(d: Dialect) {
    let db = TestDb::isolated(d).await;
    let (first, second) = (common::unique("first"), common::unique("second"));
    db.exec(&format!(
        "CREATE TABLE {} (id {}, name VARCHAR(50)); INSERT INTO {} (name) VALUES ('one')",
        db.table(&first),
        db.serial(),
        db.table(&first)
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique("discovery-connector");
    let prefix = common::unique("disc_");
    let w = worker(
        &dir.path().join("offsets"),
        db.config(&[
            ("name", &name),
            ("connector.class", "JdbcSourceConnector"),
            ("tasks.max", "2"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("topic.prefix", &prefix),
            ("table.poll.interval.ms", "300"),
        ]),
    )
    .await;
    let got =
        consume_json(&bootstrap(&w), &format!("{prefix}{first}"), 1, WAIT, Duration::ZERO).await;
    assert_eq!(payload(&got[0])["name"], "one");

    // A table created while the worker runs gets its own topic.
    db.exec(&format!(
        "CREATE TABLE {} (id {}, name VARCHAR(50)); INSERT INTO {} (name) VALUES ('two')",
        db.table(&second),
        db.serial(),
        db.table(&second)
    ))
    .await;
    let got =
        consume_json(&bootstrap(&w), &format!("{prefix}{second}"), 1, WAIT, Duration::ZERO).await;
    assert_eq!(got.len(), 1, "the new table's topic has its row");
    assert_eq!(payload(&got[0])["name"], "two");

    // A dropped table does not fail the connector or its tasks.
    db.exec(&format!("DROP TABLE {}", db.table(&first))).await;
    // Until the table monitor saw it go and the tasks were planned again: one table, one task.
    let deadline = std::time::Instant::now() + WAIT;
    while connector_status(&w, &name).await["tasks"].as_array().map_or(0, Vec::len) != 1 {
        assert!(std::time::Instant::now() < deadline, "the tasks were not planned again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.exec(&format!("INSERT INTO {} (name) VALUES ('three')", db.table(&second))).await;
    let got =
        consume_json(&bootstrap(&w), &format!("{prefix}{second}"), 2, WAIT, Duration::ZERO).await;
    assert_eq!(got.len(), 2, "the remaining table is still copied: {got:?}");
    let status = connector_status(&w, &name).await;
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    for task in status["tasks"].as_array().unwrap() {
        assert_eq!(task["state"], "RUNNING", "{status}");
    }
    assert_eq!(status["tasks"].as_array().unwrap().len(), 1, "one table left, one task: {status}");
    w.shutdown().await;
}

macro_rules! per_dialect {
    ($($name:ident => $body:expr;)*) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let f = $body;
                    f(Dialect::Postgres).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mariadb() {
                    let f = $body;
                    f(Dialect::MySql).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let f = $body;
                    f(Dialect::Sqlite).await;
                }
            }
        )*
    };
}

per_dialect! {
    incrementing_resumes_after_a_worker_restart => |d| resume_after_worker_restart(d, "incrementing");
    timestamp_resumes_after_a_worker_restart => |d| resume_after_worker_restart(d, "timestamp");
    timestamp_incrementing_resumes_after_a_worker_restart =>
        |d| resume_after_worker_restart(d, "timestamp+incrementing");
    new_tables_get_topics_and_dropped_tables_do_not_fail_the_connector => discovery;
}
