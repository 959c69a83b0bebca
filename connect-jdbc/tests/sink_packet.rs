//! MySQL/MariaDB: multi-row INSERTs are sized by the server's `max_allowed_packet`, so a
//! batch much larger than the packet still lands whole.
//!
//! The session value of `max_allowed_packet` is read-only, so the test lowers the global
//! value (which a connection takes when it opens) for the task's start and put, a fraction
//! of a second, and restores it; it is the only test of this binary, so no other test of
//! this process connects in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sink_support;

use std::panic::AssertUnwindSafe;

use connect_api::data::{Schema, SchemaBuilder, Struct};
use connect_api::record::SinkRecord;
use connect_jdbc::Dialect;
use futures::FutureExt;
use sink_support::{Target, harness};

const PACKET: usize = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_larger_than_max_allowed_packet_lands_whole() {
    let t = Target::new(Dialect::MySql).await;
    let table = common::unique("sink_packet");
    t.exec(&format!(
        "CREATE TABLE {} ({} BIGINT PRIMARY KEY, {} TEXT)",
        t.q(&table),
        t.q("id"),
        t.q("body")
    ))
    .await;
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("body", Schema::string())
        .build()
        .unwrap();
    // 633 rows of 500 bytes: ~300 kB, several times the packet; and a few tiny rows.
    let records: Vec<SinkRecord> = (0..640i64)
        .map(|i| {
            let body = if i % 100 == 7 { "s".to_string() } else { format!("{i:>500}") };
            let v = Struct::new(schema.clone()).unwrap().with("id", i).unwrap().with("body", body);
            SinkRecord::builder("packet", 0, i).value(Some(schema.clone()), v.unwrap()).build()
        })
        .collect();
    let config = t.config(&[
        ("topics", "packet"),
        ("table.name.format", &table),
        // A packet error must not be hidden by a retry on a new connection.
        ("max.retries", "0"),
    ]);
    let old: i64 =
        t.rows("SELECT CAST(@@global.max_allowed_packet AS SIGNED)").await[0][0].parse().unwrap();
    t.exec(&format!("SET GLOBAL max_allowed_packet = {PACKET}")).await;
    // The whole put runs with the small packet (the pool may open another connection),
    // and the global value is restored whatever happens.
    let outcome = AssertUnwindSafe(async {
        let mut h = harness(config, &records).await;
        let put = h.put(&records).await;
        h.stop().await.unwrap();
        put
    })
    .catch_unwind()
    .await;
    t.exec(&format!("SET GLOBAL max_allowed_packet = {old}")).await;
    outcome.unwrap_or_else(|p| std::panic::resume_unwind(p)).unwrap();
    let got = t
        .rows(&format!("SELECT COUNT(*), SUM(LENGTH({})) FROM {}", t.q("body"), t.q(&table)))
        .await;
    let small = (0..640).filter(|i| i % 100 == 7).count();
    let want_bytes = (640 - small) * 500 + small;
    assert_eq!(got[0], ["640".to_string(), want_bytes.to_string()]);
    t.drop_table(&table).await;
}
