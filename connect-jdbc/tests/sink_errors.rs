//! The JDBC sink's failures: a bad record names its topic/partition/offset and
//! everything before it is kept; schemaless maps need an existing table; a lost
//! connection is transient and retried; bad configurations are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sink_support;

use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::SinkRecord;
use connect_api::{Connector, ErrorKind, SinkTask};
use connect_jdbc::Dialect;
use connect_jdbc::sink::{JdbcSinkConnector, JdbcSinkTask};
use connect_testkit::sink_task_context;
use sink_support::{Target, harness};

fn schema() -> Schema {
    SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .build()
        .unwrap()
}

/// Record `i` of the batch, with a null (NOT NULL violating) name at `bad`.
fn batch(topic: &str, n: i64, bad: i64) -> Vec<SinkRecord> {
    let s = schema();
    (0..n)
        .map(|i| {
            let mut v = Struct::new(s.clone()).unwrap().with("id", i).unwrap();
            if i != bad {
                v.put("name", format!("n{i}")).unwrap();
            }
            SinkRecord::builder(topic, 3, 100 + i).value(Some(s.clone()), Value::Struct(v)).build()
        })
        .collect()
}

async fn ids(t: &Target, table: &str) -> Vec<i64> {
    t.rows(&format!("SELECT {} FROM {} ORDER BY {}", t.q("id"), t.q(table), t.q("id")))
        .await
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

/// A record the database refuses (NULL into NOT NULL) fails the put with its
/// coordinates; the records before it are committed, the ones after it are not.
async fn poison_record_is_named_and_earlier_rows_kept(d: Dialect, method: &str) {
    let t = Target::new(d).await;
    let table = common::unique("sink_poison");
    let recs = batch(&table, 10, 6);
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("insert.method", method),
            ("table.name.format", &table),
        ]),
        &recs,
    )
    .await;
    let err = h.put(&recs).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data, "{err}");
    assert!(
        err.message().contains(&format!("topic={table} partition=3 offset=106")),
        "the error names the record: {err}"
    );
    assert_eq!(ids(&t, &table).await, [0, 1, 2, 3, 4, 5]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}

async fn poison_insert(d: Dialect) {
    poison_record_is_named_and_earlier_rows_kept(d, "insert").await
}
per_dialect!(poison_record_is_named_and_earlier_rows_kept, poison_insert);

/// With an errant record reporter (the connector has a dead letter queue or an error
/// log), records the database refuses are reported and every other row is written.
async fn poison_records_are_reported_and_the_rest_written(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_report");
    // Two bad rows: NULL into NOT NULL at 3 and 7.
    let mut recs = batch(&table, 10, 3);
    recs[7] = batch(&table, 10, 7).swap_remove(7);
    let reporter = connect_testkit::RecordingErrantReporter::new();
    let builder = connect_testkit::SinkTaskHarness::builder(
        t.config(&[("auto.create", "true"), ("table.name.format", &table)]),
    )
    .errant_reporter(reporter.clone());
    let mut h = sink_support::harness_with(builder, &recs).await;
    h.put(&recs).await.unwrap();
    assert_eq!(ids(&t, &table).await, [0, 1, 2, 4, 5, 6, 8, 9]);
    let reported: Vec<i64> = reporter.records().iter().map(|r| r.kafka_offset() - 100).collect();
    assert_eq!(reported, [3, 7]);
    assert!(reporter.errors().iter().all(|e| e.kind == ErrorKind::Data), "{:?}", reporter.errors());
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(poison_reported_and_rest_written, poison_records_are_reported_and_the_rest_written);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_record_with_copy_is_found_by_bisection() {
    poison_record_is_named_and_earlier_rows_kept(Dialect::Postgres, "copy").await
}

/// A schemaless value that does not convert to the column type fails before reaching
/// the database, naming the record; the ones before it are written.
async fn unconvertible_value_is_named(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_convert");
    t.exec(&format!(
        "CREATE TABLE {} ({} BIGINT NOT NULL, {} INT)",
        t.q(&table),
        t.q("id"),
        t.q("n")
    ))
    .await;
    let recs: Vec<SinkRecord> = (0..5)
        .map(|i| {
            let n = if i == 3 { Value::from("three") } else { Value::Int64(i) };
            let map = Value::Map(vec![(Value::from("id"), Value::Int64(i)), (Value::from("n"), n)]);
            SinkRecord::builder(&table, 0, i).value(None, map).build()
        })
        .collect();
    let mut h = harness(t.config(&[("table.name.format", &table)]), &recs).await;
    let err = h.put(&recs).await.unwrap_err();
    assert!(err.message().contains("offset=3") && err.message().contains("STRING"), "{err}");
    assert_eq!(ids(&t, &table).await, [0, 1, 2]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(unconvertible_value_is_named, unconvertible_value_is_named);

/// Schemaless maps (JsonConverter with schemas.enable=false) go into an existing
/// table, its columns read from the database; without the table the error says a
/// schema is needed to create it.
async fn schemaless_maps_need_an_existing_table(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_schemaless");
    let map = |id: i64, name: &str| {
        Value::Map(vec![
            (Value::from("id"), Value::Int64(id)),
            (Value::from("name"), Value::from(name)),
        ])
    };
    let recs = vec![
        SinkRecord::builder(&table, 0, 0).value(None, map(1, "a")).build(),
        SinkRecord::builder(&table, 0, 1).value(None, map(2, "b")).build(),
    ];
    let cfg = t.config(&[
        ("auto.create", "true"),
        ("insert.mode", "upsert"),
        ("pk.mode", "record_value"),
        ("pk.fields", "id"),
        ("table.name.format", &table),
    ]);
    let mut h = harness(cfg.clone(), &recs).await;
    let err = h.put(&recs).await.unwrap_err();
    assert!(err.message().contains("a schema is needed to create it"), "{err}");
    assert!(err.message().contains("offset=0"), "{err}");
    h.stop().await.unwrap();

    t.exec(&format!(
        "CREATE TABLE {} ({} BIGINT PRIMARY KEY, {} VARCHAR(20) NOT NULL)",
        t.q(&table),
        t.q("id"),
        t.q("name")
    ))
    .await;
    let mut h = harness(cfg, &recs).await;
    h.put(&recs).await.unwrap();
    let again = vec![SinkRecord::builder(&table, 0, 2).value(None, map(2, "B")).build()];
    h.put(&again).await.unwrap();
    let rows = t
        .rows(&format!(
            "SELECT {}, {} FROM {} ORDER BY {}",
            t.q("id"),
            t.q("name"),
            t.q(&table),
            t.q("id")
        ))
        .await;
    assert_eq!(rows, [["1", "a"], ["2", "B"]]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(schemaless_maps_need_an_existing_table, schemaless_maps_need_an_existing_table);

/// A missing table without auto.create is an error naming the table and the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_table_without_auto_create_is_refused() {
    let t = Target::new(Dialect::Sqlite).await;
    let table = common::unique("sink_missing");
    let recs = batch(&table, 2, -1);
    let mut h = harness(t.config(&[("table.name.format", &table)]), &recs).await;
    let err = h.put(&recs).await.unwrap_err();
    assert!(
        err.message().contains("auto.create is disabled") && err.message().contains(&table),
        "{err}"
    );
    h.stop().await.unwrap();
}

/// The sink's connection is killed (pg_terminate_backend) while its INSERT waits on a
/// lock: the error is classified transient, the batch is retried on a new connection
/// and put succeeds with every row written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connection_is_retried() {
    let t = Target::new(Dialect::Postgres).await;
    let table = common::unique("sink_kill");
    let app = common::unique("sinkapp");
    t.exec(&format!("CREATE TABLE \"{table}\" (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")).await;
    let sep = if t.url.contains('?') { '&' } else { '?' };
    let mut cfg = t.config(&[("table.name.format", &table), ("retry.backoff.ms", "200")]);
    cfg.insert("connection.url".into(), format!("{}{sep}application_name={app}", t.url));
    let recs = batch(&table, 50, -1);
    let mut task = JdbcSinkTask::new();
    task.start(sink_task_context(cfg.clone()), cfg).await.unwrap();

    // Hold a lock the sink's INSERT must wait for.
    let connect_jdbc::Db::Postgres(pool) = &t.db else { unreachable!() };
    let mut locker = pool.begin().await.unwrap();
    sqlx::query(&format!("LOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE"))
        .execute(&mut *locker)
        .await
        .unwrap();
    let put = tokio::spawn(async move {
        let r = task.put(&recs).await;
        (task, r)
    });
    // Wait until the sink's backend waits on the lock, then kill it.
    let mut killed = 0i64;
    for _ in 0..200 {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind(&app)
        .fetch_all(pool)
        .await
        .unwrap();
        killed = rows[0].0;
        if killed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(killed, 1, "the sink's backend never waited on the lock");
    locker.commit().await.unwrap();
    let (mut task, result) =
        tokio::time::timeout(Duration::from_secs(60), put).await.unwrap().unwrap();
    result.expect("put succeeds after retrying the transient error");
    assert_eq!(ids(&t, &table).await, (0..50).collect::<Vec<i64>>());
    task.stop().await.unwrap();
    t.drop_table(&table).await;
}

/// When retries run out on a transient error, put returns it as retriable (the
/// runtime then redelivers the batch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_error_after_retries_is_retriable() {
    let t = Target::new(Dialect::Postgres).await;
    let table = common::unique("sink_locked");
    let app = common::unique("sinkapp");
    t.exec(&format!("CREATE TABLE \"{table}\" (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")).await;
    let sep = if t.url.contains('?') { '&' } else { '?' };
    let mut cfg = t.config(&[
        ("table.name.format", &table),
        ("max.retries", "1"),
        ("retry.backoff.ms", "10"),
    ]);
    cfg.insert("connection.url".into(), format!("{}{sep}application_name={app}", t.url));
    let recs = batch(&table, 5, -1);
    let mut task = JdbcSinkTask::new();
    task.start(sink_task_context(cfg.clone()), cfg).await.unwrap();
    let connect_jdbc::Db::Postgres(pool) = &t.db else { unreachable!() };
    let mut locker = pool.begin().await.unwrap();
    sqlx::query(&format!("LOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE"))
        .execute(&mut *locker)
        .await
        .unwrap();
    // Kill every attempt (the first and the one retry) while it waits.
    let pool2 = pool.clone();
    let app2 = app.clone();
    let killer = tokio::spawn(async move {
        let mut kills = 0;
        while kills < 2 {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name = $1 AND wait_event_type = 'Lock'",
            )
            .bind(&app2)
            .fetch_one(&pool2)
            .await
            .unwrap();
            kills += n;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let err =
        tokio::time::timeout(Duration::from_secs(60), task.put(&recs)).await.unwrap().unwrap_err();
    assert!(err.is_retriable(), "{err}");
    assert!(err.message().contains("after 1 retries"), "{err}");
    killer.await.unwrap();
    locker.rollback().await.unwrap();
    task.stop().await.unwrap();
    t.drop_table(&table).await;
}

/// Cross-key rules show up in the connector's validation, per key.
#[tokio::test]
async fn validation_names_the_conflicting_keys() {
    let c = JdbcSinkConnector::new();
    let raw: RawConfig = [
        ("connection.url", "jdbc:postgresql://127.0.0.1/test"),
        ("delete.enabled", "true"),
        ("pk.mode", "record_value"),
        ("insert.mode", "upsert"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let report = c.validate(&raw);
    let errors = &report.get("delete.enabled").unwrap().errors;
    assert!(errors.iter().any(|e| e.contains("pk.mode=record_key")), "{errors:?}");
    let mut ok = raw.clone();
    ok.insert("pk.mode".into(), "record_key".into());
    assert!(c.validate(&ok).is_valid());
}
