//! Avro and Parquet files from the sink task, read back with apache-avro's and
//! parquet's own readers (not the sink's code), across a BACKWARD schema change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use connect_api::SinkTask;
use connect_api::context::SinkTaskContext;
use connect_api::record::{SinkRecord, TopicPartition};
use connect_hdfs::HdfsSinkTask;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// The seed's drop-column sequence: three version-1 rows, the column dropped, a late
/// version-1 row, then version-2 rows.
fn seed_records(topic: &str) -> Vec<SinkRecord> {
    let (v1, v2) = (users_v1(), users_v2());
    vec![
        user_record(topic, 0, 0, &v1, 0, "engineering", 1_450_305_345_000),
        user_record(topic, 0, 1, &v1, 1, "sales", 1_450_305_346_000),
        user_record(topic, 0, 2, &v1, 2, "engineering", 1_450_306_396_000),
        user_record(topic, 0, 3, &v2, 3, "sales", 1_450_306_766_000),
        user_record(topic, 0, 4, &v1, 4, "sales", 1_450_306_397_000),
        user_record(topic, 0, 5, &v2, 5, "engineering", 1_450_306_767_000),
    ]
}

async fn run_sink(dir: &Path, format: &str, topic: &str) {
    let tp = TopicPartition::new(topic, 0);
    let cfg = raw(&[
        ("store.url", dir.to_str().unwrap()),
        ("format.class", format),
        ("flush.size", "3"),
        ("schema.compatibility", "BACKWARD"),
    ]);
    let ctx = SinkTaskContext::new(cfg.clone(), None, Default::default());
    ctx.set_assignment([tp.clone()]);
    let mut task = HdfsSinkTask::new();
    task.start(ctx, cfg).await.unwrap();
    task.open(std::slice::from_ref(&tp)).await.unwrap();
    task.put(&seed_records(topic)).await.unwrap();
    let offsets = task.pre_commit(Default::default()).await.unwrap();
    assert_eq!(offsets[&tp].offset, 6);
    task.stop().await.unwrap();
}

fn spans(dir: &Path, topic: &str, ext: &str) -> Vec<Committed> {
    let files = committed(dir, "topics", topic);
    for f in &files {
        assert!(f.path.to_str().unwrap().ends_with(ext), "{f:?}");
    }
    assert_eq!(files.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(), [(0, 2), (3, 5)]);
    files
}

#[tokio::test]
async fn avro_files_read_back_with_apache_avro_and_drop_the_column_after_the_change() {
    let dir = tempfile::tempdir().unwrap();
    run_sink(dir.path(), "io.confluent.connect.hdfs.avro.AvroFormat", "users_avro").await;
    let files = spans(dir.path(), "users_avro", ".avro");
    let mut ids = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let reader =
            apache_avro::Reader::new(std::fs::File::open(dir.path().join(&f.path)).unwrap())
                .unwrap();
        let schema_json = reader.writer_schema().canonical_form();
        assert_eq!(
            schema_json.contains("\"name\",\"type\""),
            i == 0,
            "file {i} schema: {schema_json}"
        );
        for value in reader {
            let apache_avro::types::Value::Record(fields) = value.unwrap() else {
                panic!("not a record")
            };
            let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            assert_eq!(get("name").is_some(), i == 0);
            match get("id") {
                Some(apache_avro::types::Value::Long(id)) => ids.push(id),
                other => panic!("id is {other:?}"),
            }
            assert!(
                matches!(get("email"), Some(apache_avro::types::Value::String(e)) if e.ends_with("@example.com"))
            );
        }
    }
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn parquet_files_read_back_with_the_parquet_reader_and_drop_the_column_after_the_change() {
    let dir = tempfile::tempdir().unwrap();
    run_sink(dir.path(), "io.confluent.connect.hdfs.parquet.ParquetFormat", "users_parquet").await;
    let files = spans(dir.path(), "users_parquet", ".parquet");
    let mut ids = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let reader =
            SerializedFileReader::new(std::fs::File::open(dir.path().join(&f.path)).unwrap())
                .unwrap();
        let columns: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        assert_eq!(columns.contains(&"name".to_string()), i == 0, "file {i} columns {columns:?}");
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            let get = |n: &str| {
                row.get_column_iter().find(|(k, _)| k.as_str() == n).map(|(_, v)| v.clone())
            };
            assert_eq!(get("name").is_some(), i == 0, "{row}");
            match get("id") {
                Some(Field::Long(id)) => ids.push(id),
                other => panic!("id is {other:?}"),
            }
            assert!(
                matches!(get("department"), Some(Field::Str(d)) if d == "sales" || d == "engineering")
            );
        }
    }
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
}
