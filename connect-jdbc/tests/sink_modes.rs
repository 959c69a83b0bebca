//! The JDBC sink against real PostgreSQL, MariaDB and SQLite: each insert mode, each
//! pk mode, auto.create, auto.evolve and deletes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sink_support;

use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Value};
use connect_api::record::SinkRecord;
use connect_jdbc::Dialect;
use sink_support::{Target, harness};

fn person() -> Schema {
    SchemaBuilder::struct_()
        .name("Person")
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .build()
        .unwrap()
}

fn person_value(schema: &Schema, id: i64, name: &str) -> Value {
    Value::Struct(
        Struct::new(schema.clone()).unwrap().with("id", id).unwrap().with("name", name).unwrap(),
    )
}

fn records(topic: &str, first_offset: i64, people: &[(i64, &str)]) -> Vec<SinkRecord> {
    let s = person();
    people
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            SinkRecord::builder(topic, 0, first_offset + i as i64)
                .value(Some(s.clone()), person_value(&s, *id, name))
                .build()
        })
        .collect()
}

async fn names(t: &Target, table: &str) -> Vec<(String, String)> {
    t.rows(&format!(
        "SELECT {}, {} FROM {} ORDER BY {}",
        t.q("id"),
        t.q("name"),
        t.q(table),
        t.q("id")
    ))
    .await
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect()
}

fn pairs(v: &[(i64, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(i, n)| (i.to_string(), n.to_string())).collect()
}

/// auto.create declares a column for every Connect type and insert mode writes them.
async fn insert_creates_the_table_and_writes_every_type(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_types");
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("tiny", Schema::int8())
        .field("small", Schema::int16())
        .field("num", Schema::int32())
        .field("ratio", Schema::float32())
        .field("score", Schema::float64())
        .field("flag", Schema::boolean())
        .field("name", Schema::string())
        .field("payload", Schema::optional_bytes())
        .field("amount", Decimal::schema(2))
        .field("born", Date::schema())
        .field("wakes", Time::schema())
        .field("seen", Timestamp::schema())
        .field("note", Schema::optional_string())
        .field("level", SchemaBuilder::int32().default_value(3i32).build().unwrap())
        .build()
        .unwrap();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("id", 1i64)
        .unwrap()
        .with("tiny", -8i8)
        .unwrap()
        .with("small", 300i16)
        .unwrap()
        .with("num", 70_000i32)
        .unwrap()
        .with("ratio", 0.5f32)
        .unwrap()
        .with("score", 2.25f64)
        .unwrap()
        .with("flag", true)
        .unwrap()
        .with("name", "tab\there 'quoted' \\ ünïcode")
        .unwrap()
        .with("payload", vec![0u8, 1, 255])
        .unwrap()
        .with("amount", "12.50".parse::<connect_api::data::Decimal>().unwrap())
        .unwrap()
        .with("born", Date::from_ymd(2024, 2, 29).unwrap())
        .unwrap()
        .with("wakes", Time::from_hms_milli(7, 30, 0, 0).unwrap())
        .unwrap()
        .with("seen", Timestamp(1_704_067_201_000))
        .unwrap();
    let recs =
        vec![SinkRecord::builder(&table, 0, 0).value(Some(schema), Value::Struct(value)).build()];
    let mut h =
        harness(t.config(&[("auto.create", "true"), ("table.name.format", &table)]), &recs).await;
    h.put(&recs).await.unwrap();
    let q = |c: &str| t.q(c);
    let rows = t
        .rows(&format!(
            "SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM {}",
            q("id"),
            q("tiny"),
            q("small"),
            q("num"),
            q("ratio"),
            q("score"),
            q("flag"),
            q("name"),
            q("amount"),
            q("born"),
            q("wakes"),
            q("seen"),
            q("note"),
            q("level"),
            q(&table)
        ))
        .await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(&r[..4], ["1", "-8", "300", "70000"], "{r:?}");
    assert_eq!(r[4].parse::<f64>().unwrap(), 0.5);
    assert_eq!(r[5].parse::<f64>().unwrap(), 2.25);
    assert!(r[6] == "true" || r[6] == "1", "{r:?}");
    assert_eq!(r[7], "tab\there 'quoted' \\ ünïcode");
    assert_eq!(r[8].parse::<f64>().unwrap(), 12.5);
    assert_eq!(r[9], "2024-02-29");
    assert!(r[10].starts_with("07:30:00"), "{r:?}");
    assert!(r[11].starts_with("2024-01-01 00:00:01"), "{r:?}");
    assert_eq!(r[12], "NULL");
    assert_eq!(r[13], "3", "the field default is written for a null value");
    let bytes = t.rows(&format!("SELECT {} FROM {}", q("payload"), q(&table))).await;
    assert_eq!(bytes[0][0], "[0, 1, 255]");
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(
    insert_creates_the_table_and_writes_every_type,
    insert_creates_the_table_and_writes_every_type
);

/// Upsert by value fields: redelivered and repeated keys update instead of duplicating,
/// also when one batch holds the same key twice.
async fn upsert_by_record_value_is_idempotent(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_upsert");
    let cfg = t.config(&[
        ("auto.create", "true"),
        ("insert.mode", "upsert"),
        ("pk.mode", "record_value"),
        ("pk.fields", "id"),
        ("table.name.format", &table),
    ]);
    let first = records(&table, 0, &[(1, "a"), (2, "b"), (3, "c")]);
    let mut h = harness(cfg, &first).await;
    h.put(&first).await.unwrap();
    h.put(&first).await.unwrap(); // redelivery
    let second = records(&table, 3, &[(2, "B"), (4, "d"), (2, "BB"), (1, "A")]);
    h.put(&second).await.unwrap();
    assert_eq!(names(&t, &table).await, pairs(&[(1, "A"), (2, "BB"), (3, "c"), (4, "d")]));
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(upsert_by_record_value_is_idempotent, upsert_by_record_value_is_idempotent);

/// Update mode changes rows that exist and inserts nothing.
async fn update_changes_existing_rows_only(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_update");
    let seed = records(&table, 0, &[(1, "a"), (2, "b")]);
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("pk.mode", "record_value"),
            ("pk.fields", "id"),
            ("table.name.format", &table),
        ]),
        &seed,
    )
    .await;
    h.put(&seed).await.unwrap();
    h.stop().await.unwrap();
    let updates = records(&table, 2, &[(2, "x"), (9, "nobody")]);
    let mut h = harness(
        t.config(&[
            ("insert.mode", "update"),
            ("pk.mode", "record_value"),
            ("pk.fields", "id"),
            ("table.name.format", &table),
        ]),
        &updates,
    )
    .await;
    h.put(&updates).await.unwrap();
    assert_eq!(names(&t, &table).await, pairs(&[(1, "a"), (2, "x")]));
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(update_changes_existing_rows_only, update_changes_existing_rows_only);

/// pk.mode=kafka keys rows by topic, partition and offset (Confluent's column names):
/// a redelivered batch in upsert mode writes each record once.
async fn kafka_coordinates_key_the_rows(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_kafka");
    let recs = records(&table, 40, &[(1, "a"), (1, "a-again"), (2, "b")]);
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("insert.mode", "upsert"),
            ("pk.mode", "kafka"),
            ("table.name.format", &table),
        ]),
        &recs,
    )
    .await;
    h.put(&recs).await.unwrap();
    h.put(&recs).await.unwrap();
    let rows = t
        .rows(&format!(
            "SELECT {}, {}, {}, {} FROM {} ORDER BY {}",
            t.q("__connect_topic"),
            t.q("__connect_partition"),
            t.q("__connect_offset"),
            t.q("name"),
            t.q(&table),
            t.q("__connect_offset")
        ))
        .await;
    let expected: Vec<Vec<String>> = [("40", "a"), ("41", "a-again"), ("42", "b")]
        .iter()
        .map(|(o, n)| vec![table.clone(), "0".into(), o.to_string(), n.to_string()])
        .collect();
    assert_eq!(rows, expected);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(kafka_coordinates_key_the_rows, kafka_coordinates_key_the_rows);

/// pk.mode=record_key with a primitive key (named by pk.fields) and with a struct key.
async fn record_key_primitive_and_struct(d: Dialect) {
    let t = Target::new(d).await;
    // Primitive key.
    let table = common::unique("sink_pkey");
    let s = person();
    let recs: Vec<SinkRecord> = [("k1", 1, "a"), ("k2", 2, "b"), ("k1", 3, "c")]
        .iter()
        .enumerate()
        .map(|(i, (k, id, n))| {
            SinkRecord::builder(&table, 0, i as i64)
                .key(Some(Schema::string()), *k)
                .value(Some(s.clone()), person_value(&s, *id, n))
                .build()
        })
        .collect();
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("pk.fields", "code"),
            ("table.name.format", &table),
        ]),
        &recs,
    )
    .await;
    h.put(&recs).await.unwrap();
    let rows = t
        .rows(&format!(
            "SELECT {}, {} FROM {} ORDER BY {}",
            t.q("code"),
            t.q("name"),
            t.q(&table),
            t.q("code")
        ))
        .await;
    assert_eq!(rows, [["k1", "c"], ["k2", "b"]]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;

    // Struct key: every key field is a key column.
    let table = common::unique("sink_skey");
    let ks = SchemaBuilder::struct_()
        .field("region", Schema::string())
        .field("seq", Schema::int32())
        .build()
        .unwrap();
    let key = |r: &str, n: i32| {
        Value::Struct(
            Struct::new(ks.clone()).unwrap().with("region", r).unwrap().with("seq", n).unwrap(),
        )
    };
    let recs: Vec<SinkRecord> = [("eu", 1, 10, "a"), ("us", 1, 11, "b"), ("eu", 1, 12, "c")]
        .iter()
        .enumerate()
        .map(|(i, (r, n, id, name))| {
            SinkRecord::builder(&table, 0, i as i64)
                .key(Some(ks.clone()), key(r, *n))
                .value(Some(s.clone()), person_value(&s, *id, name))
                .build()
        })
        .collect();
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("table.name.format", &table),
        ]),
        &recs,
    )
    .await;
    h.put(&recs).await.unwrap();
    let rows = t
        .rows(&format!(
            "SELECT {}, {}, {}, {} FROM {} ORDER BY {}",
            t.q("region"),
            t.q("seq"),
            t.q("id"),
            t.q("name"),
            t.q(&table),
            t.q("region")
        ))
        .await;
    assert_eq!(rows, [["eu", "1", "12", "c"], ["us", "1", "11", "b"]]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(record_key_primitive_and_struct, record_key_primitive_and_struct);

/// A record whose schema has a new optional field adds a nullable column; one with a
/// new required field without default is refused, naming the record.
async fn auto_evolve_adds_optional_columns(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_evolve");
    let v1 = person();
    let v2 = SchemaBuilder::struct_()
        .name("Person")
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .field("email", Schema::optional_string())
        .field("tier", SchemaBuilder::int32().default_value(1i32).build().unwrap())
        .build()
        .unwrap();
    let r1 = SinkRecord::builder(&table, 0, 0)
        .value(Some(v1.clone()), person_value(&v1, 1, "a"))
        .build();
    let v = Struct::new(v2.clone())
        .unwrap()
        .with("id", 2i64)
        .unwrap()
        .with("name", "b")
        .unwrap()
        .with("email", "b@x")
        .unwrap()
        .with("tier", 5i32)
        .unwrap();
    let r2 = SinkRecord::builder(&table, 0, 1).value(Some(v2.clone()), Value::Struct(v)).build();
    let batch = vec![r1, r2];
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("auto.evolve", "true"),
            ("table.name.format", &table),
        ]),
        &batch,
    )
    .await;
    h.put(&batch).await.unwrap();
    let rows = t
        .rows(&format!(
            "SELECT {}, {}, {}, {} FROM {} ORDER BY {}",
            t.q("id"),
            t.q("name"),
            t.q("email"),
            t.q("tier"),
            t.q(&table),
            t.q("id")
        ))
        .await;
    assert_eq!(rows, [["1", "a", "NULL", "1"], ["2", "b", "b@x", "5"]]);

    let v3 = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .field("age", Schema::int32())
        .build()
        .unwrap();
    let v = Struct::new(v3.clone())
        .unwrap()
        .with("id", 3i64)
        .unwrap()
        .with("name", "c")
        .unwrap()
        .with("age", 9i32)
        .unwrap();
    let r3 = SinkRecord::builder(&table, 0, 2).value(Some(v3), Value::Struct(v)).build();
    let err = h.put(&[r3]).await.unwrap_err();
    assert!(!err.is_retriable());
    assert!(err.message().contains("offset=2") && err.message().contains("\"age\""), "{err}");
    assert!(err.message().contains("required"), "{err}");
    h.stop().await.unwrap();

    // Without auto.evolve, a missing column is an error that says so.
    let r2 = SinkRecord::builder(&table, 0, 3)
        .value(
            Some(v2.clone()),
            Value::Struct(
                Struct::new(v2).unwrap().with("id", 4i64).unwrap().with("name", "d").unwrap(),
            ),
        )
        .build();
    t.exec(&format!("ALTER TABLE {} DROP COLUMN {}", t.q(&table), t.q("email"))).await;
    let mut h =
        harness(t.config(&[("table.name.format", &table)]), std::slice::from_ref(&r2)).await;
    let err = h.put(&[r2]).await.unwrap_err();
    assert!(
        err.message().contains("auto.evolve is disabled") && err.message().contains("email"),
        "{err}"
    );
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(auto_evolve_adds_optional_columns, auto_evolve_adds_optional_columns);

/// With delete.enabled, a tombstone deletes the row of its key, in batch order.
async fn tombstones_delete_by_key(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_delete");
    let s = person();
    let rec = |off: i64, id: i64, name: Option<&str>| {
        let b = SinkRecord::builder(&table, 0, off).key(Some(Schema::int64()), id);
        match name {
            Some(n) => b.value(Some(s.clone()), person_value(&s, id, n)).build(),
            None => b.value(None, Value::Null).build(),
        }
    };
    let cfg = t.config(&[
        ("auto.create", "true"),
        ("insert.mode", "upsert"),
        ("pk.mode", "record_key"),
        ("pk.fields", "id"),
        ("delete.enabled", "true"),
        ("table.name.format", &table),
    ]);
    // A tombstone for a table that does not exist yet deletes nothing.
    let first =
        vec![rec(0, 9, None), rec(1, 1, Some("a")), rec(2, 2, Some("b")), rec(3, 3, Some("c"))];
    let mut h = harness(cfg, &first).await;
    h.put(&first).await.unwrap();
    let second = vec![
        rec(4, 2, None),
        rec(5, 5, Some("e")),
        rec(6, 5, None),
        rec(7, 6, Some("f")),
        rec(8, 1, None),
        rec(9, 1, Some("A")),
    ];
    h.put(&second).await.unwrap();
    assert_eq!(names(&t, &table).await, pairs(&[(1, "A"), (3, "c"), (6, "f")]));
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(tombstones_delete_by_key, tombstones_delete_by_key);

/// Without delete.enabled, tombstones are skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_are_skipped_without_delete_enabled() {
    let t = Target::new(Dialect::Sqlite).await;
    let table = common::unique("sink_skip");
    let mut recs = records(&table, 0, &[(1, "a")]);
    recs.push(SinkRecord::builder(&table, 0, 1).value(None, Value::Null).build());
    let mut h =
        harness(t.config(&[("auto.create", "true"), ("table.name.format", &table)]), &recs).await;
    h.put(&recs).await.unwrap();
    assert_eq!(names(&t, &table).await, pairs(&[(1, "a")]));
    h.stop().await.unwrap();
}

/// COPY writes the same rows as INSERT, and table.name.format maps topics to tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_method_streams_rows_into_postgres() {
    let t = Target::new(Dialect::Postgres).await;
    let topic = common::unique("sink_copy");
    let table = format!("{topic}_copy");
    let people: Vec<(i64, String)> = (1..=25_000).map(|i| (i, format!("name\t{i}\n\\"))).collect();
    let refs: Vec<(i64, &str)> = people.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let recs = records(&topic, 0, &refs);
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("insert.method", "copy"),
            ("table.name.format", "${topic}_copy"),
        ]),
        &recs,
    )
    .await;
    h.put(&recs).await.unwrap();
    assert_eq!(t.count(&table).await, 25_000);
    let got = t.rows(&format!("SELECT name FROM \"{table}\" WHERE id = 777")).await;
    assert_eq!(got, [["name\t777\n\\"]]);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}

/// More rows than one statement can bind are split over several statements.
async fn large_batches_split_at_the_parameter_limit(d: Dialect) {
    let t = Target::new(d).await;
    let table = common::unique("sink_large");
    let people: Vec<(i64, String)> = (0..40_000).map(|i| (i, format!("n{i}"))).collect();
    let refs: Vec<(i64, &str)> = people.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let recs = records(&table, 0, &refs);
    let mut h = harness(
        t.config(&[
            ("auto.create", "true"),
            ("batch.size", "100000"),
            ("table.name.format", &table),
        ]),
        &recs,
    )
    .await;
    h.put(&recs).await.unwrap();
    assert_eq!(t.count(&table).await, 40_000);
    h.stop().await.unwrap();
    t.drop_table(&table).await;
}
per_dialect!(
    large_batches_split_at_the_parameter_limit,
    large_batches_split_at_the_parameter_limit
);
