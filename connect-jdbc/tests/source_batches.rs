//! The source reads ahead in chunks larger than `batch.max.rows` while `poll` hands them
//! out: every poll still returns at most `batch.max.rows` records, every row arrives
//! once and in order, and each record's offset is exactly its own row's position, so a
//! restart after any committed poll resumes at the next row. Runs of an unchanged table
//! share one plan and value schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::time::{Duration, Instant};

use connect_api::record::{ConnectRecord, SourceRecord};
use connect_jdbc::Dialect;
use connect_testkit::SourceTaskHarness;
use source_support::*;

const ROWS: i64 = 3_000;
const BATCH: usize = 7;

async fn poll_some(h: &mut SourceTaskHarness) -> Vec<SourceRecord> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let batch = h.poll().await.unwrap();
        assert!(batch.len() <= BATCH, "a poll returned {} > batch.max.rows", batch.len());
        if !batch.is_empty() {
            return batch;
        }
        assert!(Instant::now() < deadline, "no rows");
    }
}

async fn incrementing_batches_and_offsets(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("batches");
    db.exec(&format!("CREATE TABLE {t} (id BIGINT PRIMARY KEY, name VARCHAR(20))")).await;
    let values: Vec<String> = (1..=ROWS).map(|i| format!("({i}, 'n{i}')")).collect();
    db.exec(&format!("INSERT INTO {t} (id, name) VALUES {}", values.join(", "))).await;
    let config = db.config(&[
        ("mode", "incrementing"),
        ("incrementing.column.name", "id"),
        ("table.whitelist", &t),
        ("topic.prefix", "b_"),
        ("batch.max.rows", "7"),
    ]);
    let task_config = task_configs(&config, 1).await.remove(0);
    let mut h = SourceTaskHarness::start(new_task(), task_config).await.unwrap();
    let mut next = 1;
    // Half the table, committing as we go, then a restart from the committed offset.
    while next <= ROWS / 2 {
        for r in poll_some(&mut h).await {
            assert_eq!(int_field(&r, "id"), next, "rows in order, each once");
            assert_eq!(r.source_offset().get_i64("incrementing"), Some(next), "offset of row");
            next += 1;
        }
        h.commit().await.unwrap();
    }
    h.restart(new_task()).await.unwrap();
    while next <= ROWS {
        for r in poll_some(&mut h).await {
            assert_eq!(int_field(&r, "id"), next, "resumed at the next row, each once");
            assert_eq!(r.source_offset().get_i64("incrementing"), Some(next));
            next += 1;
        }
    }
    h.stop().await.unwrap();
}

mod incrementing_batches {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        incrementing_batches_and_offsets(Dialect::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        incrementing_batches_and_offsets(Dialect::MySql).await
    }
}

/// Bulk mode reads the table again every poll interval: while the table is unchanged the
/// runs share one value schema (one plan), and a new column gets a new one.
async fn bulk_runs_share_one_schema(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("plans");
    db.exec(&format!(
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(20)); \
         INSERT INTO {t} (id, name) VALUES (1, 'a'); INSERT INTO {t} (id, name) VALUES (2, 'b')"
    ))
    .await;
    let config = db.config(&[("mode", "bulk"), ("table.whitelist", &t), ("topic.prefix", "p_")]);
    let task_config = task_configs(&config, 1).await.remove(0);
    let mut h = SourceTaskHarness::start(new_task(), task_config).await.unwrap();
    let runs = h.poll_until(6, Duration::from_secs(20)).await.unwrap();
    let first = runs[0].value_schema().unwrap().clone();
    for r in &runs {
        assert!(r.value_schema().unwrap().ptr_eq(&first), "a run rebuilt the schema");
    }
    db.exec(&format!("ALTER TABLE {t} ADD COLUMN extra INTEGER")).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let batch = h.poll().await.unwrap();
        if let Some(r) = batch.iter().find(|r| r.value_schema().unwrap().field("extra").is_some()) {
            assert!(!r.value_schema().unwrap().ptr_eq(&first));
            break;
        }
        assert!(Instant::now() < deadline, "the new column never appeared");
    }
    h.stop().await.unwrap();
}

mod bulk_plans {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        bulk_runs_share_one_schema(Dialect::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        bulk_runs_share_one_schema(Dialect::MySql).await
    }
}
