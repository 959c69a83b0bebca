//! Column types → Connect schemas and values, per dialect: integers, floats,
//! NUMERIC/DECIMAL under each numeric.mapping, text, binary, boolean, date, time,
//! timestamps with and without time zone (and db.timezone), JSON, NULLs and required
//! columns, and an ALTER TABLE showing in the next records' schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use std::time::Duration;

use connect_api::data::{Date, Decimal, Time, Type, Value};
use connect_api::record::{ConnectRecord, SourceRecord};
use connect_jdbc::Dialect;
use connect_testkit::SourceTaskHarness;
use source_support::*;

const WAIT: Duration = Duration::from_secs(20);

fn ddl(d: Dialect, t: &str) -> String {
    match d {
        Dialect::Postgres => format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INTEGER, \
             i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION, d NUMERIC(10,2), di NUMERIC(5,0), \
             t TEXT, v VARCHAR(10), bin BYTEA, dt DATE, tm TIME, ts TIMESTAMP, \
             tz TIMESTAMPTZ, j JSONB, nn INTEGER NOT NULL)"
        ),
        Dialect::MySql => format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INT, \
             i8 BIGINT, f4 FLOAT, f8 DOUBLE, d DECIMAL(10,2), di DECIMAL(5,0), t TEXT, \
             v VARCHAR(10), bin VARBINARY(10), dt DATE, tm TIME(3), ts DATETIME, \
             tz TIMESTAMP NULL, j JSON, nn INT NOT NULL)"
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INT, \
             i8 BIGINT, f4 FLOAT, f8 DOUBLE, d DECIMAL(10,2), di NUMERIC(5,0), t TEXT, \
             v VARCHAR(10), bin BLOB, dt DATE, tm TIME, ts DATETIME, tz DATETIME, \
             j TEXT, nn INTEGER NOT NULL)"
        ),
    }
}

fn rows(d: Dialect, t: &str) -> String {
    let (bin, tz) = match d {
        Dialect::Postgres => ("'\\x0102ff'::bytea", "'2024-02-29 13:14:15+00'"),
        Dialect::MySql => ("X'0102FF'", "'2024-02-29 13:14:15'"),
        Dialect::Sqlite => ("X'0102FF'", "'2024-02-29 13:14:15'"),
    };
    format!(
        "INSERT INTO {t} VALUES (1, TRUE, -7, 123456, 9000000000, 1.5, 2.25, 123.45, 42, \
         'text', 'short', {bin}, '2024-02-29', '13:14:15.5', '2024-02-29 13:14:15', {tz}, \
         '{{\"k\": 1}}', 5); \
         INSERT INTO {t} (id, nn) VALUES (2, 6)"
    )
}

async fn read(db: &TestDb, t: &str, extra: &[(&str, &str)]) -> Vec<SourceRecord> {
    let mut pairs = vec![("mode", "bulk"), ("table.whitelist", t), ("topic.prefix", "types_")];
    pairs.extend_from_slice(extra);
    let config = db.config(&pairs);
    let task = task_configs(&config, 1).await.remove(0);
    let mut h = SourceTaskHarness::start(new_task(), task).await.unwrap();
    let records = h.poll_until(2, WAIT).await.unwrap();
    h.stop().await.unwrap();
    records
}

fn schema_of<'a>(r: &'a SourceRecord, f: &str) -> &'a connect_api::data::Schema {
    r.value_schema().unwrap().field(f).unwrap_or_else(|| panic!("no field {f}")).schema()
}

async fn types(d: Dialect) {
    let db = TestDb::shared(d).await;
    let t = common::unique("types");
    db.exec(&ddl(d, &t)).await;
    db.exec(&rows(d, &t)).await;
    let records = read(&db, &t, &[]).await;
    let (full, nulls) = (&records[0], &records[1]);

    // Schemas: the struct is named after the table; nullable columns are optional.
    assert_eq!(full.value_schema().unwrap().name(), Some(t.as_str()));
    assert!(!schema_of(full, "nn").is_optional());
    assert!(schema_of(full, "b").is_optional());
    let ty = |f: &str| schema_of(full, f).schema_type();
    assert_eq!(ty("b"), Type::Boolean);
    assert_eq!(ty("i2"), Type::Int16);
    assert_eq!(ty("i4"), if d == Dialect::Sqlite { Type::Int64 } else { Type::Int32 });
    assert_eq!(ty("i8"), Type::Int64);
    assert_eq!(ty("f4"), if d == Dialect::Sqlite { Type::Float64 } else { Type::Float32 });
    assert_eq!(ty("f8"), Type::Float64);
    assert_eq!(ty("t"), Type::String);
    assert_eq!(ty("v"), Type::String);
    assert_eq!(ty("j"), Type::String);
    assert_eq!(ty("bin"), Type::Bytes);
    assert_eq!(schema_of(full, "d").name(), Some("org.apache.kafka.connect.data.Decimal"));
    assert_eq!(schema_of(full, "d").parameters().get("scale").map(String::as_str), Some("2"));
    assert_eq!(schema_of(full, "dt").name(), Some("org.apache.kafka.connect.data.Date"));
    assert_eq!(schema_of(full, "tm").name(), Some("org.apache.kafka.connect.data.Time"));
    assert_eq!(schema_of(full, "ts").name(), Some("org.apache.kafka.connect.data.Timestamp"));
    assert_eq!(schema_of(full, "tz").name(), Some("org.apache.kafka.connect.data.Timestamp"));

    // Values.
    assert_eq!(field(full, "b"), &Value::Boolean(true));
    assert_eq!(field(full, "i2").as_i64(), Some(-7));
    assert_eq!(field(full, "i4").as_i64(), Some(123456));
    assert_eq!(field(full, "i8"), &Value::Int64(9_000_000_000));
    assert_eq!(field(full, "f8"), &Value::Float64(2.25));
    assert_eq!(field(full, "d"), &Value::Decimal(Decimal::new(12345, 2)));
    assert_eq!(field(full, "di"), &Value::Decimal(Decimal::new(42, 0)));
    assert_eq!(field(full, "t"), &Value::from("text"));
    assert_eq!(field(full, "bin"), &Value::Bytes(vec![1, 2, 255]));
    assert_eq!(field(full, "dt"), &Value::Date(Date::from_ymd(2024, 2, 29).unwrap()));
    assert_eq!(field(full, "tm"), &Value::Time(Time::from_hms_milli(13, 14, 15, 500).unwrap()));
    let utc_millis = 1_709_212_455_000i64; // 2024-02-29T13:14:15Z
    assert_eq!(field(full, "ts"), &Value::Timestamp(connect_api::data::Timestamp(utc_millis)));
    assert_eq!(field(full, "tz"), &Value::Timestamp(connect_api::data::Timestamp(utc_millis)));
    let json: serde_json::Value = serde_json::from_str(field(full, "j").as_str().unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({"k": 1}));

    // NULLs.
    for f in ["b", "i2", "i4", "i8", "f4", "f8", "d", "di", "t", "v", "bin", "dt", "tm", "ts", "tz"]
    {
        assert_eq!(field(nulls, f), &Value::Null, "{f}");
    }
    assert_eq!(field(nulls, "nn").as_i64(), Some(6));

    // numeric.mapping.
    let precision_only = read(&db, &t, &[("numeric.mapping", "precision_only")]).await;
    assert_eq!(schema_of(&precision_only[0], "di").schema_type(), Type::Int32);
    assert_eq!(field(&precision_only[0], "di"), &Value::Int32(42));
    assert_eq!(
        schema_of(&precision_only[0], "d").name(),
        Some("org.apache.kafka.connect.data.Decimal")
    );
    let best_fit = read(&db, &t, &[("numeric.mapping", "best_fit")]).await;
    assert_eq!(field(&best_fit[0], "d"), &Value::Float64(123.45));
    assert_eq!(field(&best_fit[0], "di"), &Value::Int32(42));
    assert!(schema_of(&best_fit[0], "d").is_optional());
    let none = read(&db, &t, &[("numeric.mapping", "none")]).await;
    assert_eq!(field(&none[0], "di"), &Value::Decimal(Decimal::new(42, 0)));

    // db.timezone: local timestamps are read in that zone; zoned ones are not.
    let paris = read(&db, &t, &[("db.timezone", "Europe/Paris")]).await;
    assert_eq!(
        field(&paris[0], "ts"),
        &Value::Timestamp(connect_api::data::Timestamp(utc_millis - 3_600_000))
    );
    if d != Dialect::Sqlite {
        assert_eq!(
            field(&paris[0], "tz"),
            &Value::Timestamp(connect_api::data::Timestamp(utc_millis))
        );
    }

    // ALTER TABLE: the next records carry the new column.
    db.exec(&format!("ALTER TABLE {t} ADD COLUMN extra VARCHAR(5)")).await;
    db.exec(&format!("UPDATE {t} SET extra = 'new' WHERE id = 1")).await;
    let altered = read(&db, &t, &[]).await;
    let one = altered.iter().find(|r| int_field(r, "id") == 1).unwrap();
    assert_eq!(field(one, "extra"), &Value::from("new"));
    assert!(schema_of(one, "extra").is_optional());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_types_map_to_connect_schemas() {
    types(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_types_map_to_connect_schemas() {
    types(Dialect::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_types_map_to_connect_schemas() {
    types(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_column_leaves_the_schema_of_a_running_task() {
    let db = TestDb::shared(Dialect::Postgres).await;
    let t = common::unique("alter");
    db.exec(&format!(
        "CREATE TABLE {t} (id SERIAL PRIMARY KEY, name VARCHAR(10), gone VARCHAR(10)); \
         INSERT INTO {t} (name, gone) VALUES ('a', 'x')"
    ))
    .await;
    let config = db.config(&[
        ("mode", "incrementing"),
        ("incrementing.column.name", "id"),
        ("table.whitelist", &t),
        ("topic.prefix", "alter_"),
    ]);
    let task = task_configs(&config, 1).await.remove(0);
    let mut h = SourceTaskHarness::start(new_task(), task).await.unwrap();
    let first = h.poll_until(1, WAIT).await.unwrap();
    assert!(first[0].value_schema().unwrap().field("gone").is_some());
    db.exec(&format!("ALTER TABLE {t} DROP COLUMN gone; INSERT INTO {t} (name) VALUES ('b')"))
        .await;
    let second = h.poll_until(1, WAIT).await.unwrap();
    assert!(second[0].value_schema().unwrap().field("gone").is_none());
    assert_eq!(str_field(&second[0], "name"), "b");
    h.stop().await.unwrap();
}
