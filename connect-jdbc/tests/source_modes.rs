//! Every source mode on every dialect, through the connector's task configs and the
//! test kit's harness (which commits offsets as the runtime does and restarts tasks on
//! them): bulk, incrementing, timestamp, timestamp+incrementing and query mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::time::Duration;

use connect_api::record::{ConnectRecord, OffsetMap};
use connect_jdbc::Dialect;
use connect_testkit::SourceTaskHarness;
use source_support::*;

const WAIT: Duration = Duration::from_secs(20);

async fn harness(db: &TestDb, pairs: &[(&str, &str)]) -> SourceTaskHarness {
    let config = db.config(pairs);
    let mut tasks = task_configs(&config, 1).await;
    assert_eq!(tasks.len(), 1, "one table, one task");
    SourceTaskHarness::start(new_task(), tasks.remove(0)).await.unwrap()
}

/// Nothing more arrives before a last row inserted now (`sentinel`, named "end"): the
/// source reads in incrementing (or timestamp) order, so a repeat would come first. A
/// definite end, where waiting a while and seeing nothing would prove little.
async fn assert_quiet(h: &mut SourceTaskHarness, db: &TestDb, sentinel: &str) {
    db.exec(sentinel).await;
    let got = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(names(&got), ["end"], "records before the last row");
}

fn names(records: &[connect_api::record::SourceRecord]) -> Vec<String> {
    records.iter().map(|r| str_field(r, "name")).collect()
}

async fn bulk(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("bulk");
    db.exec(&format!(
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(50)); \
         INSERT INTO {t} (id, name) VALUES (1, 'a'); INSERT INTO {t} (id, name) VALUES (2, 'b')"
    ))
    .await;
    let mut h =
        harness(&db, &[("mode", "bulk"), ("table.whitelist", &t), ("topic.prefix", "p_")]).await;
    let first = h.poll_until(2, WAIT).await.unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first[0].topic(), format!("p_{t}"));
    assert_eq!(first[0].source_partition(), &OffsetMap::new().with("table", t.as_str()));
    assert_eq!(first[0].value_schema().unwrap().name(), Some(t.as_str()));
    db.exec(&format!("INSERT INTO {t} (id, name) VALUES (3, 'c')")).await;
    // Bulk mode reads the whole table again on every poll interval.
    let mut again = Vec::new();
    while !names(&again).ends_with(&["a".to_string(), "b".into(), "c".into()]) {
        again.extend(h.poll_until(1, WAIT).await.unwrap());
    }
    h.commit().await.unwrap();
    h.restart(new_task()).await.unwrap();
    let after = h.poll_until(3, WAIT).await.unwrap();
    assert_eq!(names(&after)[..3], ["a", "b", "c"], "a restarted bulk task reads everything");
    h.stop().await.unwrap();
}

async fn incrementing(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("inc");
    db.exec(&format!("CREATE TABLE {t} (id {}, name VARCHAR(50))", db.serial())).await;
    for n in ["a", "b", "c"] {
        db.exec(&format!("INSERT INTO {t} (name) VALUES ('{n}')")).await;
    }
    let mut h = harness(
        &db,
        &[
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("table.whitelist", &t),
            ("topic.prefix", "inc_"),
        ],
    )
    .await;
    let first = h.poll_until(3, WAIT).await.unwrap();
    assert_eq!(names(&first), ["a", "b", "c"]);
    assert_eq!(first[2].source_offset(), &OffsetMap::new().with("incrementing", 3i64));
    h.commit().await.unwrap();
    db.exec(&format!("INSERT INTO {t} (name) VALUES ('d'); INSERT INTO {t} (name) VALUES ('e')"))
        .await;
    assert_eq!(names(&h.poll_until(2, WAIT).await.unwrap()), ["d", "e"]);
    assert_quiet(&mut h, &db, &format!("INSERT INTO {t} (name) VALUES ('end')")).await;
    h.commit().await.unwrap();
    h.restart(new_task()).await.unwrap();
    db.exec(&format!("INSERT INTO {t} (name) VALUES ('f')")).await;
    let resumed = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(names(&resumed), ["f"], "only the new row after a restart");
    assert_eq!(int_field(&resumed[0], "id"), 7, "after a..e and the last row of the first run");
    assert_quiet(&mut h, &db, &format!("INSERT INTO {t} (name) VALUES ('end')")).await;
    h.stop().await.unwrap();
}

async fn timestamp_modes(d: Dialect, mode: &str) {
    let db = TestDb::shared(d).await;
    let t = common::unique("ts");
    db.exec(&format!(
        "CREATE TABLE {t} (id {}, name VARCHAR(50), modified {} NOT NULL)",
        db.serial(),
        db.timestamp()
    ))
    .await;
    let now = db.now();
    let insert = |name: &str| format!("INSERT INTO {t} (name, modified) VALUES ('{name}', {now})");
    // b and c share a timestamp (one statement): the tie must not lose either.
    db.exec(&insert("a")).await;
    db.exec(&format!("INSERT INTO {t} (name, modified) VALUES ('b', {now}), ('c', {now})")).await;
    let mut h = harness(
        &db,
        &[
            ("mode", mode),
            ("incrementing.column.name", "id"),
            ("timestamp.column.name", "modified"),
            ("table.whitelist", &t),
            ("topic.prefix", "ts_"),
            ("batch.max.rows", "2"),
        ],
    )
    .await;
    let first = h.poll_until(3, WAIT).await.unwrap();
    let mut got = names(&first);
    got.sort();
    assert_eq!(got, ["a", "b", "c"]);
    assert!(first.iter().all(|r| r.source_offset().get_i64("timestamp").is_some()));
    assert_quiet(&mut h, &db, &insert("end")).await;
    h.commit().await.unwrap();
    db.exec(&insert("d")).await;
    assert_eq!(names(&h.poll_until(1, WAIT).await.unwrap()), ["d"]);
    // An update that moves the timestamp is a new version of the row.
    db.exec(&format!("UPDATE {t} SET modified = {now} WHERE name = 'a'")).await;
    let updated = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(names(&updated), ["a"]);
    assert_quiet(&mut h, &db, &insert("end")).await;
    h.commit().await.unwrap();
    h.restart(new_task()).await.unwrap();
    db.exec(&insert("e")).await;
    let resumed = h.poll_until(1, WAIT).await.unwrap();
    assert_eq!(names(&resumed), ["e"], "only the new row after a restart");
    assert_quiet(&mut h, &db, &insert("end")).await;
    h.stop().await.unwrap();
}

async fn query_mode(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("q");
    db.exec(&format!(
        "CREATE TABLE {t} (id {}, name VARCHAR(50), secret VARCHAR(10))",
        db.serial()
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO {t} (name, secret) VALUES ('a', 'x'); INSERT INTO {t} (name, secret) VALUES ('b', 'y')"
    ))
    .await;
    let topic = common::unique("query_topic");
    let query = format!("SELECT id, name FROM {t}");
    let mut h = harness(
        &db,
        &[
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("query", &query),
            ("topic.prefix", &topic),
        ],
    )
    .await;
    let first = h.poll_until(2, WAIT).await.unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first[0].topic(), topic);
    assert_eq!(first[0].source_partition(), &OffsetMap::new().with("query", "query"));
    let schema = first[0].value_schema().unwrap();
    assert!(schema.field("secret").is_none(), "only the query's columns");
    assert_eq!(schema.name(), None, "query results have no table name");
    h.commit().await.unwrap();
    h.restart(new_task()).await.unwrap();
    db.exec(&format!("INSERT INTO {t} (name, secret) VALUES ('c', 'z')")).await;
    assert_eq!(names(&h.poll_until(1, WAIT).await.unwrap()), ["c"]);
    assert_quiet(&mut h, &db, &format!("INSERT INTO {t} (name, secret) VALUES ('end', 'z')")).await;
    h.stop().await.unwrap();

    // Bulk query mode runs the query as given.
    let mut b =
        harness(&db, &[("mode", "bulk"), ("query", &query), ("topic.prefix", &topic)]).await;
    assert_eq!(names(&b.poll_until(4, WAIT).await.unwrap()), ["a", "b", "c", "end"]);
    b.stop().await.unwrap();
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
    bulk_mode_reads_the_whole_table_each_time => bulk;
    incrementing_mode_reads_new_rows_and_resumes => incrementing;
    timestamp_mode_reads_new_and_updated_rows_and_resumes => |d| timestamp_modes(d, "timestamp");
    timestamp_incrementing_mode_reads_new_and_updated_rows_and_resumes =>
        |d| timestamp_modes(d, "timestamp+incrementing");
    query_mode_reads_the_query_and_resumes => query_mode;
}
