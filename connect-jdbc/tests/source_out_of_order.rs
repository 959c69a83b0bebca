//! No row is lost in the timestamp modes when transactions commit out of order: a
//! transaction that took its timestamp first commits after a newer row was already
//! read (where Confluent's connector, whose offset has moved past the older
//! timestamp, skips it for good). PostgreSQL and MariaDB; SQLite's guarantee is the
//! documented lag.
//!
//! In its own test binary: the open transactions here hold back the watermark of
//! every timestamp-mode test sharing the servers at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::time::Duration;

use connect_api::record::SourceRecord;
use connect_jdbc::{Db, Dialect};
use connect_testkit::SourceTaskHarness;
use source_support::*;

const WAIT: Duration = Duration::from_secs(30);

/// A transaction held open on its own connection.
enum OpenTx {
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
    My(sqlx::pool::PoolConnection<sqlx::MySql>),
}

impl OpenTx {
    async fn begin(db: &Db) -> OpenTx {
        let mut tx = match db {
            Db::Postgres(p) => OpenTx::Pg(p.acquire().await.unwrap()),
            Db::MySql(p) => OpenTx::My(p.acquire().await.unwrap()),
            Db::Sqlite(_) => panic!("SQLite has no concurrent writers"),
        };
        tx.exec("BEGIN").await;
        tx
    }

    async fn exec(&mut self, sql: &str) {
        match self {
            OpenTx::Pg(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()).unwrap(),
            OpenTx::My(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()).unwrap(),
        }
    }
}

fn name(r: &SourceRecord) -> String {
    str_field(r, "name")
}

fn millis(r: &SourceRecord) -> i64 {
    match field(r, "modified") {
        connect_api::data::Value::Timestamp(t) => t.0,
        other => panic!("modified is {other:?}"),
    }
}

async fn older_timestamp_committed_after_newer_row_was_read(d: Dialect, mode: &str) {
    let db = TestDb::shared(d).await;
    let t = common::unique("ooo");
    let now = db.now();
    db.exec(&format!(
        "CREATE TABLE {t} (id {}, name VARCHAR(50), modified {} NOT NULL)",
        db.serial(),
        db.timestamp()
    ))
    .await;
    let config = db.config(&[
        ("mode", mode),
        ("incrementing.column.name", "id"),
        ("timestamp.column.name", "modified"),
        ("table.whitelist", &t),
        ("topic.prefix", "ooo_"),
    ]);
    let task = task_configs(&config, 1).await.remove(0);
    let mut h = SourceTaskHarness::start(new_task(), task).await.unwrap();

    // T1 takes its timestamp (and its id) first and stays open…
    let mut t1 = OpenTx::begin(&db.db).await;
    t1.exec(&format!("INSERT INTO {t} (name, modified) VALUES ('late', {now})")).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // …while T2, later in every respect, commits at once.
    db.exec(&format!("INSERT INTO {t} (name, modified) VALUES ('early', {now})")).await;

    // The newer row is read while T1 is still open.
    let first = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(first.iter().map(name).collect::<Vec<_>>(), ["early"]);
    h.commit().await.unwrap();

    // T1 commits a row older than everything read so far.
    t1.exec("COMMIT").await;
    let second = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(second.iter().map(name).collect::<Vec<_>>(), ["late"], "the older row arrives");
    assert!(
        millis(&second[0]) < millis(&first[0]),
        "the late row carries the older timestamp ({} vs {})",
        millis(&second[0]),
        millis(&first[0])
    );
    h.commit().await.unwrap();

    // Neither row comes again once both are below the watermark.
    if let Ok(extra) = h.poll_until(1, Duration::from_secs(3)).await {
        panic!("duplicates: {:?}", extra.iter().map(name).collect::<Vec<_>>());
    }

    // A restart on the committed offsets loses nothing. Rows read while an older
    // transaction was open carry the watermark as their offset, so they may come
    // again (the other tests of this binary keep transactions open meanwhile).
    h.restart(new_task()).await.unwrap();
    db.exec(&format!("INSERT INTO {t} (name, modified) VALUES ('next', {now})")).await;
    let mut after = Vec::new();
    while !after.iter().any(|r| name(r) == "next") {
        after.extend(h.poll_until(1, WAIT).await.unwrap());
    }
    for r in &after {
        assert!(["early", "late", "next"].contains(&name(r).as_str()), "{}", name(r));
    }
    h.stop().await.unwrap();
    drop(t1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_timestamp_mode_loses_no_out_of_order_commit() {
    older_timestamp_committed_after_newer_row_was_read(Dialect::Postgres, "timestamp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_timestamp_incrementing_mode_loses_no_out_of_order_commit() {
    older_timestamp_committed_after_newer_row_was_read(Dialect::Postgres, "timestamp+incrementing")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_timestamp_mode_loses_no_out_of_order_commit() {
    older_timestamp_committed_after_newer_row_was_read(Dialect::MySql, "timestamp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_timestamp_incrementing_mode_loses_no_out_of_order_commit() {
    older_timestamp_committed_after_newer_row_was_read(Dialect::MySql, "timestamp+incrementing")
        .await;
}
