//! The source reads ahead in chunks larger than `batch.max.rows` while `poll` hands them
//! out: every poll still returns at most `batch.max.rows` records, every row arrives
//! once and in order, and each record's offset is exactly its own row's position, so a
//! restart after any committed poll resumes at the next row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::time::{Duration, Instant};

use connect_api::record::SourceRecord;
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
