#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Hive integration against a real Hive metastore (Apache Hive's standalone metastore
//! with embedded Derby, started by `scripts/test.sh` through `scripts/lib/services.sh`):
//! our Thrift client creates, evolves and partitions tables, and the sink keeps a table
//! in step with the files it commits. Every result is read back twice: with our client's
//! calls, and with Hive's own Java client (`HmsTool describe`), which shares no code
//! with ours.
//!
//! Needs `CONNECT_TEST_HIVE_METASTORE_URIS` and `CONNECT_TEST_HIVE_DESCRIBE`; the tests
//! fail without them.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use connect_api::SinkTask;
use connect_api::context::SinkTaskContext;
use connect_api::data::{Schema, SchemaBuilder};
use connect_api::record::TopicPartition;
use connect_hdfs::HdfsSinkTask;
use connect_hdfs::hive::thrift::TValue;
use connect_hdfs::hive::{HiveMetastore, ThriftMetastore, client::parse_uris};
use serde_json::{Value as Json, json};

fn metastore_uris() -> String {
    std::env::var("CONNECT_TEST_HIVE_METASTORE_URIS").unwrap_or_else(|_| {
        panic!(
            "CONNECT_TEST_HIVE_METASTORE_URIS is not set: these tests need a real Hive metastore. \
             Run them through scripts/test.sh, which starts one, or run \
             `. scripts/lib/services.sh && start_hive` in the shell that runs cargo test \
             (it exports CONNECT_TEST_HIVE_METASTORE_URIS and CONNECT_TEST_HIVE_DESCRIBE)"
        )
    })
}

fn client() -> ThriftMetastore {
    ThriftMetastore::new(parse_uris(&metastore_uris()).unwrap(), false)
}

/// A database name no other run uses (Hive folds names to lower case).
fn unique_db(prefix: &str) -> String {
    unique(prefix).replace('-', "_").to_lowercase()
}

/// The table and its partitions as Hive's own Java client reads them.
fn describe(db: &str, table: &str) -> Json {
    let tool = std::env::var("CONNECT_TEST_HIVE_DESCRIBE").unwrap_or_else(|_| {
        panic!(
            "CONNECT_TEST_HIVE_DESCRIBE is not set: run these tests through scripts/test.sh, \
             or `. scripts/lib/services.sh && start_hive` in the shell that runs cargo test"
        )
    });
    let out = Command::new(&tool).args([db, table]).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {db} {table} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().last().unwrap_or_else(|| panic!("{tool} printed nothing"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{tool}: {e}: {text}"))
}

fn names_and_types(columns: &Json) -> Vec<(String, String)> {
    columns
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().into(), c["type"].as_str().unwrap().into()))
        .collect()
}

fn cols(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

const V1_COLUMNS: &[(&str, &str)] = &[
    ("id", "bigint"),
    ("name", "string"),
    ("email", "string"),
    ("department", "string"),
    ("modified", "bigint"),
];
const V1_PHONE_COLUMNS: &[(&str, &str)] = &[
    ("id", "bigint"),
    ("name", "string"),
    ("email", "string"),
    ("department", "string"),
    ("modified", "bigint"),
    ("phone", "string"),
];

/// The (name, type) columns of a Thrift `StorageDescriptor`'s field 1 (or a table's
/// partition keys, field 8).
fn thrift_columns(list: Option<&TValue>) -> Vec<(String, String)> {
    list.and_then(TValue::as_list)
        .unwrap()
        .iter()
        .map(|c| {
            (
                c.field(1).and_then(TValue::as_str).unwrap().to_string(),
                c.field(2).and_then(TValue::as_str).unwrap().to_string(),
            )
        })
        .collect()
}

fn thrift_params(table: &TValue) -> std::collections::BTreeMap<String, String> {
    table
        .field(9)
        .and_then(TValue::as_map)
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.as_str().unwrap().to_string()))
        .collect()
}

/// `get_partitions(db, table, -1)` through our client: (values, location) of each.
async fn thrift_partitions(
    client: &ThriftMetastore,
    db: &str,
    table: &str,
) -> Vec<(Vec<String>, String)> {
    let args =
        TValue::Struct(vec![(1, TValue::str(db)), (2, TValue::str(table)), (3, TValue::I16(-1))]);
    let list = client.call("get_partitions", args).await.unwrap().unwrap().unwrap();
    let mut out: Vec<(Vec<String>, String)> = list
        .as_list()
        .unwrap()
        .iter()
        .map(|p| {
            let values = p
                .field(1)
                .and_then(TValue::as_list)
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let location =
                p.field(6).and_then(|sd| sd.field(2)).and_then(TValue::as_str).unwrap().to_string();
            (values, location)
        })
        .collect();
    out.sort();
    out
}

fn avro_literal_fields(literal: &str) -> Vec<String> {
    let v: Json = serde_json::from_str(literal).unwrap();
    v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

/// Users v1 with an optional `phone` appended.
fn users_v1_phone() -> Schema {
    SchemaBuilder::struct_()
        .name("users")
        .version(2)
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("email", Schema::string())
        .field("department", Schema::string())
        .field("modified", Schema::int64())
        .field("phone", Schema::optional_string())
        .build()
        .unwrap()
}

fn department() -> Vec<(String, Schema)> {
    vec![("department".to_string(), Schema::string())]
}

/// Hive qualifies a scheme-less location with its default file system (`file:` here).
fn same_location(got: &str, want: &str) -> bool {
    let strip = |s: &str| {
        s.strip_prefix("file://")
            .or_else(|| s.strip_prefix("file:"))
            .unwrap_or(s)
            .trim_end_matches('/')
            .to_string()
    };
    strip(got) == strip(want)
}

/// Creates the table for `format` in a new database, adds two partitions (one twice),
/// appends a column, then drops `name` (BACKWARD evolution to users v2, which the
/// metastore's default column-type check refuses), and checks each step with our client
/// and, at the end, with Hive's own.
async fn table_lifecycle(format: &str, serde: &str) {
    let client = client();
    let db = unique_db(format);
    let dir = tempfile::tempdir().unwrap();
    let location = format!("file://{}/topics/users", dir.path().display());

    client.ensure_table(&db, "users", &location, &users_v1(), &department(), format).await.unwrap();
    let t = client.get_table(&db, "users").await.unwrap().expect("the table was created");
    let sd = t.field(7).unwrap();
    assert_eq!(thrift_columns(sd.field(1)), cols(V1_COLUMNS));
    assert_eq!(thrift_columns(t.field(8)), cols(&[("department", "string")]));
    assert_eq!(t.field(12).and_then(TValue::as_str), Some("EXTERNAL_TABLE"));
    assert!(same_location(sd.field(2).and_then(TValue::as_str).unwrap(), &location));
    assert_eq!(sd.field(7).and_then(|s| s.field(2)).and_then(TValue::as_str), Some(serde));
    let params = thrift_params(&t);
    assert_eq!(params.get("EXTERNAL").map(String::as_str), Some("TRUE"));
    if format == "avro" {
        assert_eq!(
            avro_literal_fields(&params["avro.schema.literal"]),
            ["id", "name", "email", "department", "modified"]
        );
    }

    // The same schema again changes nothing.
    client.ensure_table(&db, "users", &location, &users_v1(), &department(), format).await.unwrap();

    for dept in ["engineering", "sales", "engineering"] {
        client
            .add_partition(
                &db,
                "users",
                &format!("department={dept}"),
                &format!("{location}/department={dept}"),
            )
            .await
            .unwrap();
    }
    let parts = thrift_partitions(&client, &db, "users").await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].0, ["engineering"]);
    assert!(same_location(&parts[0].1, &format!("{location}/department=engineering")), "{parts:?}");
    assert_eq!(parts[1].0, ["sales"]);

    // A compatible change: an optional column appended. The columns (and for Avro the
    // literal) become the new schema.
    client
        .ensure_table(&db, "users", &location, &users_v1_phone(), &department(), format)
        .await
        .unwrap();
    let t = client.get_table(&db, "users").await.unwrap().unwrap();
    assert_eq!(thrift_columns(t.field(7).unwrap().field(1)), cols(V1_PHONE_COLUMNS));
    if format == "avro" {
        assert_eq!(
            avro_literal_fields(&thrift_params(&t)["avro.schema.literal"]),
            ["id", "name", "email", "department", "modified", "phone"]
        );
    }

    // ALTER TABLE users DROP COLUMN name, seen as users v2 under BACKWARD. The columns
    // after `name` move one place to the left, and `modified` (bigint) lands where a
    // string was: Hive's metastore refuses that by default
    // (metastore.disallow.incompatible.col.type.changes=true), as the metastore of
    // scripts/test.sh is configured.
    let result =
        client.ensure_table(&db, "users", &location, &users_v2(), &department(), format).await;
    let t = client.get_table(&db, "users").await.unwrap().unwrap();
    // The stored columns stay as they were, in both formats.
    assert_eq!(thrift_columns(t.field(7).unwrap().field(1)), cols(V1_PHONE_COLUMNS));
    let d = describe(&db, "users");
    if format == "avro" {
        // Avro: Hive reads the table through avro.schema.literal, which becomes the
        // newest schema.
        result.unwrap();
        let v2_fields = ["id", "email", "department", "modified"];
        assert_eq!(avro_literal_fields(&thrift_params(&t)["avro.schema.literal"]), v2_fields);
        assert_eq!(
            avro_literal_fields(d["parameters"]["avro.schema.literal"].as_str().unwrap()),
            v2_fields,
            "{d}"
        );
    } else {
        // Parquet has no schema besides the columns: an error that says which metastore
        // setting allows the change (the sink logs it and tries again at the next commit).
        let err = result.unwrap_err();
        assert!(err.message().contains("incompatible"), "{}", err.message());
        assert!(
            err.message().contains("metastore.disallow.incompatible.col.type.changes"),
            "{}",
            err.message()
        );
    }

    // Hive's own client sees the same table.
    assert_eq!(d["exists"], true, "{d}");
    assert_eq!(d["tableType"], "EXTERNAL_TABLE");
    assert_eq!(names_and_types(&d["storage"]["columns"]), cols(V1_PHONE_COLUMNS), "{d}");
    assert_eq!(names_and_types(&d["partitionKeys"]), cols(&[("department", "string")]));
    assert_eq!(d["storage"]["serde"], serde);
    assert!(same_location(d["storage"]["location"].as_str().unwrap(), &location), "{d}");
    assert_eq!(d["parameters"]["EXTERNAL"], "TRUE");
    let parts: Vec<(&Json, &str)> = d["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["values"], p["location"].as_str().unwrap()))
        .collect();
    assert_eq!(parts.len(), 2, "{d}");
    assert_eq!(parts[0].0, &json!(["engineering"]), "{d}");
    assert!(same_location(parts[0].1, &format!("{location}/department=engineering")), "{d}");
    assert_eq!(parts[1].0, &json!(["sales"]), "{d}");
}

#[tokio::test]
async fn avro_table_is_created_partitioned_and_evolved_in_a_real_metastore() {
    table_lifecycle("avro", "org.apache.hadoop.hive.serde2.avro.AvroSerDe").await;
}

#[tokio::test]
async fn parquet_table_is_created_partitioned_and_evolved_in_a_real_metastore() {
    table_lifecycle("parquet", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe").await;
}

fn sink_config(dir: &Path, db: &str, format: &str) -> connect_api::config::RawConfig {
    let uris = metastore_uris();
    raw(&[
        ("store.url", &format!("file://{}", dir.display())),
        ("format.class", format),
        ("flush.size", "2"),
        ("hive.integration", "true"),
        ("hive.metastore.uris", &uris),
        ("hive.database", db),
        ("schema.compatibility", "BACKWARD"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "department"),
    ])
}

/// Runs the sink with `hive.integration=true` and `format`: users v1 records into
/// departments engineering and sales, then users v2 records (DROP COLUMN name) into sales
/// and marketing. Returns the store's directory and the table as Hive's client reads it.
async fn run_sink(format: &str) -> (tempfile::TempDir, Json) {
    let dir = tempfile::tempdir().unwrap();
    let db = unique_db(&format!("sink_{format}"));
    let topic = "test_jdbc_users";
    let tp = TopicPartition::new(topic, 0);
    let cfg = sink_config(dir.path(), &db, format);
    let ctx = SinkTaskContext::new(cfg.clone(), None, Default::default());
    ctx.set_assignment([tp.clone()]);
    let mut task = HdfsSinkTask::new();
    task.start(ctx, cfg).await.unwrap();
    task.open(std::slice::from_ref(&tp)).await.unwrap();
    let (v1, v2) = (users_v1(), users_v2());
    task.put(&[
        user_record(topic, 0, 0, &v1, 1, "engineering", 1_700_000_000_000),
        user_record(topic, 0, 1, &v1, 2, "sales", 1_700_000_000_001),
    ])
    .await
    .unwrap();
    // Commits (Hive included) finish in the background; the runtime's pre_commit waits.
    task.pre_commit(Default::default()).await.unwrap();
    let d = describe(&db, topic);
    assert_eq!(d["exists"], true, "{d}");
    assert_eq!(names_and_types(&d["storage"]["columns"]), cols(V1_COLUMNS), "{d}");

    task.put(&[
        user_record(topic, 0, 2, &v2, 3, "sales", 1_700_000_000_002),
        user_record(topic, 0, 3, &v2, 4, "marketing", 1_700_000_000_003),
    ])
    .await
    .unwrap();
    task.stop().await.unwrap();
    let d = describe(&db, topic);

    let topic_dir = dir.path().join("topics").join(topic);
    assert!(
        same_location(d["storage"]["location"].as_str().unwrap(), topic_dir.to_str().unwrap()),
        "{d}"
    );
    // Every committed file is in a partition the metastore lists, at its directory.
    let mut partitions: Vec<(String, String)> = d["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["values"][0].as_str().unwrap().to_string(),
                p["location"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    partitions.sort();
    let names: Vec<&str> = partitions.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(names, ["engineering", "marketing", "sales"], "{d}");
    for (value, location) in &partitions {
        let want = topic_dir.join(format!("department={value}"));
        assert!(
            same_location(location, want.to_str().unwrap()),
            "{location} vs {}",
            want.display()
        );
        assert!(!all_files(&want).is_empty(), "no files in {}", want.display());
    }
    (dir, d)
}

/// Avro: the table follows the newest committed schema through `avro.schema.literal`.
#[tokio::test]
async fn the_sink_keeps_a_real_metastore_in_step_with_committed_avro_files() {
    let (_dir, d) = run_sink("avro").await;
    assert_eq!(d["storage"]["serde"], "org.apache.hadoop.hive.serde2.avro.AvroSerDe");
    assert_eq!(
        avro_literal_fields(d["parameters"]["avro.schema.literal"].as_str().unwrap()),
        ["id", "email", "department", "modified"]
    );
    // The metastore refuses the new columns (see table_lifecycle); Hive reads the Avro
    // table through its literal, which is the newest schema.
    assert_eq!(names_and_types(&d["storage"]["columns"]), cols(V1_COLUMNS), "{d}");
}

/// Parquet: the metastore refuses the v2 columns (see table_lifecycle), so the table
/// keeps v1's; the task does not fail, and the partition first written with v2
/// (marketing) is still added, so every committed file stays visible (Hive reads Parquet
/// columns by name: `name` reads as null in v2 files).
#[tokio::test]
async fn the_sink_adds_parquet_partitions_when_the_metastore_refuses_a_schema_change() {
    let (_dir, d) = run_sink("parquet").await;
    assert_eq!(
        d["storage"]["serde"],
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );
    assert_eq!(names_and_types(&d["storage"]["columns"]), cols(V1_COLUMNS), "{d}");
}
