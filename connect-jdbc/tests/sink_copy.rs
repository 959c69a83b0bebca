//! `insert.method=copy` on PostgreSQL: the binary COPY writes every Connect type the
//! sink supports exactly as the text COPY and the INSERT path do (read back as
//! PostgreSQL's own text of each column).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sink_support;

use std::sync::Arc;

use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Value};
use connect_api::record::SinkRecord;
use connect_jdbc::Dialect;
use connect_jdbc::sink::InsertMethod;
use connect_jdbc::sink::metadata::{TableId, describe};
use connect_jdbc::sink::plan::{Action, Column, Plan, Source};
use connect_jdbc::sink::types::TimeZone;
use connect_jdbc::sink::writer::{Op, write};
use sink_support::{Target, harness};

/// Every supported type, with the column types the sink binds them to.
const COLUMNS: &[(&str, &str)] = &[
    ("id", "BIGINT"),
    ("i8", "SMALLINT"),
    ("i16", "SMALLINT"),
    ("i32", "INT"),
    ("i64", "BIGINT"),
    ("f32", "REAL"),
    ("f64", "DOUBLE PRECISION"),
    ("flag", "BOOLEAN"),
    ("name", "TEXT"),
    ("code", "VARCHAR(40)"),
    ("payload", "BYTEA"),
    ("amount", "NUMERIC"),
    ("born", "DATE"),
    ("wakes", "TIME"),
    ("seen", "TIMESTAMP"),
    ("seen_tz", "TIMESTAMPTZ"),
];

fn schema() -> Schema {
    let opt = |s: Schema| s.to_builder().optional().build().unwrap();
    SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("i8", Schema::optional_int8())
        .field("i16", Schema::optional_int16())
        .field("i32", Schema::optional_int32())
        .field("i64", Schema::optional_int64())
        .field("f32", Schema::optional_float32())
        .field("f64", Schema::optional_float64())
        .field("flag", Schema::optional_boolean())
        .field("name", Schema::optional_string())
        .field("code", Schema::optional_string())
        .field("payload", Schema::optional_bytes())
        .field("amount", opt(Decimal::schema(4)))
        .field("born", opt(Date::schema()))
        .field("wakes", opt(Time::schema()))
        .field("seen", opt(Timestamp::schema()))
        .field("seen_tz", opt(Timestamp::schema()))
        .build()
        .unwrap()
}

/// Rows with edge values of every type, and one of nulls.
fn records(schema: &Schema) -> Vec<SinkRecord> {
    let dec = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
    let rows: Vec<Vec<(&str, Value)>> = vec![
        vec![
            ("i8", Value::Int8(-128)),
            ("i16", Value::Int16(i16::MAX)),
            ("i32", Value::Int32(i32::MIN)),
            ("i64", Value::Int64(i64::MAX)),
            ("f32", Value::Float32(-1.5e-7)),
            ("f64", Value::Float64(std::f64::consts::PI)),
            ("flag", Value::Boolean(true)),
            ("name", Value::from("tab\there, newline\nand \\ back, ünïcødé ✓")),
            ("code", Value::from("")),
            ("payload", Value::Bytes(vec![0, 1, 127, 128, 255, b'\\', b'\t'])),
            ("amount", dec("-12345678901234567890.1234")),
            ("born", Value::Date(Date::from_ymd(1969, 12, 31).unwrap())),
            ("wakes", Value::Time(Time(86_399_999))),
            ("seen", Value::Timestamp(Timestamp(-1))),
            ("seen_tz", Value::Timestamp(Timestamp(946_684_799_999))),
        ],
        vec![
            ("i8", Value::Int8(127)),
            ("i16", Value::Int16(i16::MIN)),
            ("i32", Value::Int32(0)),
            ("i64", Value::Int64(i64::MIN)),
            ("f32", Value::Float32(f32::INFINITY)),
            ("f64", Value::Float64(f64::NAN)),
            ("flag", Value::Boolean(false)),
            ("name", Value::from("plain")),
            ("code", Value::from("c")),
            ("payload", Value::Bytes(Vec::new())),
            ("amount", dec("0.0001")),
            ("born", Value::Date(Date::from_ymd(2000, 1, 1).unwrap())),
            ("wakes", Value::Time(Time(0))),
            ("seen", Value::Timestamp(Timestamp(1_700_000_000_123))),
            ("seen_tz", Value::Timestamp(Timestamp(4_102_444_800_000))),
        ],
        vec![
            ("i8", Value::Int8(0)),
            ("i16", Value::Int16(-1)),
            ("i32", Value::Int32(i32::MAX)),
            ("i64", Value::Int64(-1)),
            ("f32", Value::Float32(f32::NEG_INFINITY)),
            ("f64", Value::Float64(-0.0)),
            ("flag", Value::Boolean(true)),
            ("name", Value::from("x")),
            ("code", Value::from("varchar value")),
            ("payload", Value::Bytes(vec![7])),
            ("amount", dec("0.0000")),
            ("born", Value::Date(Date::from_ymd(2999, 12, 31).unwrap())),
            ("wakes", Value::Time(Time(45_296_789))),
            ("seen", Value::Timestamp(Timestamp(-2_208_988_800_500))),
            ("seen_tz", Value::Timestamp(Timestamp(0))),
        ],
        vec![("amount", dec("99999999.9999"))],
        vec![],
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, fields)| {
            let mut s = Struct::new(schema.clone()).unwrap().with("id", i as i64).unwrap();
            for (name, v) in fields {
                s = s.with(name, v).unwrap();
            }
            SinkRecord::builder("copy_types", 0, i as i64).value(Some(schema.clone()), s).build()
        })
        .collect()
}

async fn create(t: &Target, table: &str) {
    let cols: Vec<String> = COLUMNS.iter().map(|(n, ty)| format!("{} {ty}", t.q(n))).collect();
    t.exec(&format!("CREATE TABLE {} ({})", t.q(table), cols.join(", "))).await;
}

/// Every row as PostgreSQL's text of each column, in id order.
async fn read_back(t: &Target, table: &str) -> Vec<Vec<String>> {
    let cols: Vec<String> = COLUMNS.iter().map(|(n, _)| format!("{}::text", t.q(n))).collect();
    t.rows(&format!("SELECT {} FROM {} ORDER BY {}", cols.join(", "), t.q(table), t.q("id"))).await
}

/// Writes `records` with the writer directly, COPY in binary or text format.
async fn write_copy(t: &Target, table: &str, records: &[SinkRecord], binary: bool) {
    let id = TableId::parse(table);
    let info = describe(&t.db, &id, true).await.unwrap().unwrap();
    let schema = schema();
    let columns: Vec<Column> = schema
        .fields()
        .iter()
        .map(|f| Column {
            sql_name: Dialect::Postgres.quote_identifier(f.name()),
            source: Source::ValueField(f.index()),
            kind: info.column(f.name()).unwrap().kind.clone(),
        })
        .collect();
    let mut plan = Plan::new(id, Dialect::Postgres, true, columns, 0, 3000);
    assert!(plan.copy_binary, "every column of the table has a binary COPY form");
    plan.copy_binary = binary;
    let plan = Arc::new(plan);
    let tz = TimeZone::parse("UTC").unwrap();
    let ops: Vec<Op> = records
        .iter()
        .enumerate()
        .map(|(index, r)| Op {
            plan: Arc::clone(&plan),
            action: Action::Insert,
            row: plan.row(r, &tz).unwrap(),
            index,
        })
        .collect();
    write(&t.db, &ops, InsertMethod::Copy, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_writes_every_type_as_text_copy_and_insert_do() {
    let t = Target::new(Dialect::Postgres).await;
    let schema = schema();
    let records = records(&schema);
    let [binary, text, task_copy, task_insert] = ["binary", "text", "task_copy", "task_insert"]
        .map(|k| common::unique(&format!("copy_{k}")));
    for table in [&binary, &text, &task_copy, &task_insert] {
        create(&t, table).await;
    }
    write_copy(&t, &binary, &records, true).await;
    write_copy(&t, &text, &records, false).await;
    for (table, method) in [(&task_copy, "copy"), (&task_insert, "insert")] {
        let config = t.config(&[
            ("topics", "copy_types"),
            ("table.name.format", table),
            ("insert.method", method),
        ]);
        let mut h = harness(config, &records).await;
        h.put(&records).await.unwrap();
        h.stop().await.unwrap();
    }
    let expected = read_back(&t, &text).await;
    assert_eq!(expected.len(), records.len());
    // Spot checks that the text path itself wrote what the records say.
    assert_eq!(expected[0][1..5], ["-128", "32767", "-2147483648", "9223372036854775807"]);
    assert_eq!(expected[0][11], "-12345678901234567890.1234");
    assert_eq!(expected[0][12..15], ["1969-12-31", "23:59:59.999", "1969-12-31 23:59:59.999"]);
    assert_eq!(expected[1][5..7], ["Infinity", "NaN"]);
    assert_eq!(expected[2][14], "1899-12-31 23:59:59.5");
    assert!(expected[4][1..].iter().all(|v| v == "NULL"), "{:?}", expected[4]);
    assert_eq!(read_back(&t, &binary).await, expected, "binary COPY differs from text COPY");
    assert_eq!(read_back(&t, &task_copy).await, expected, "the task's COPY differs");
    assert_eq!(read_back(&t, &task_insert).await, expected, "INSERT differs from COPY");
    for table in [&binary, &text, &task_copy, &task_insert] {
        t.drop_table(table).await;
    }
}

/// A row the table refuses (a CHECK) fails the binary COPY; the writer bisects the
/// segment with INSERTs, commits the rows before it and names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_fails_mid_stream_is_bisected_with_inserts() {
    let t = Target::new(Dialect::Postgres).await;
    let table = common::unique("copy_check");
    t.exec(&format!(
        "CREATE TABLE {} ({} BIGINT, {} TEXT CHECK ({} <> 'bad'))",
        t.q(&table),
        t.q("id"),
        t.q("name"),
        t.q("name")
    ))
    .await;
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .build()
        .unwrap();
    let records: Vec<SinkRecord> = (0..50)
        .map(|i| {
            let name = if i == 30 { "bad".to_string() } else { format!("n{i}") };
            let v = Struct::new(schema.clone()).unwrap().with("id", i).unwrap().with("name", name);
            SinkRecord::builder("copy_check", 0, i).value(Some(schema.clone()), v.unwrap()).build()
        })
        .collect();
    let config = t.config(&[
        ("topics", "copy_check"),
        ("table.name.format", &table),
        ("insert.method", "copy"),
    ]);
    let mut h = harness(config, &records).await;
    let e = h.put(&records).await.unwrap_err();
    assert!(e.to_string().contains("offset=30"), "{e}");
    assert_eq!(t.count(&table).await, 30, "the rows before the bad one are committed");
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
