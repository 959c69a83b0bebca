//! `hdfs-cat <store dir> <topic> [--topics-dir DIR] [--ddl] [--count]`: what
//! `SELECT * FROM <topic>` shows in Hive over the files the HDFS sink committed to a local
//! store, read with the formats' own readers (apache-avro, parquet, serde_json).
//!
//! As a Hive table kept by the sink with `schema.compatibility=BACKWARD`, every file is
//! read through the newest file's schema: its columns, in its order, with NULL where an
//! older file has no such column and older columns left out. Rows come in the order Hive
//! lists them: by encoded partition directory, then Kafka partition and offset.
//! `--ddl` also prints the `CREATE EXTERNAL TABLE` statement for that schema (Avro files),
//! `--count` only the number of rows. Temporary (`+tmp`) files are not read.
//!
//! `cargo run -p connect-hdfs --example hdfs-cat -- /tmp/kafka-connect-demo test_jdbc_users --ddl`
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connect_api::data::Schema;
use connect_hdfs::format::read;
use connect_hdfs::hive::{HiveTableSpec, create_table_ddl};
use serde_json::Value as Json;

/// One committed file: where it is and what its name says.
struct Committed {
    path: PathBuf,
    /// The encoded partition (directories between the topic's and the file).
    encoded: String,
    partition: i32,
    start: i64,
}

/// The columns and rows of one file.
struct Contents {
    columns: Vec<String>,
    rows: Vec<Json>,
    /// The writer schema as JSON text (Avro files).
    avro_schema: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hdfs-cat: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut positional, mut topics_dir, mut ddl, mut count) =
        (Vec::new(), "topics".into(), false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--topics-dir" => topics_dir = args.next().ok_or("--topics-dir needs a value")?,
            "--ddl" => ddl = true,
            "--count" => count = true,
            "-h" | "--help" => {
                println!(
                    "usage: hdfs-cat <store dir> <topic> [--topics-dir DIR] [--ddl] [--count]"
                );
                return Ok(());
            }
            _ => positional.push(a),
        }
    }
    let [store, topic] = positional.as_slice() else {
        return Err(
            "usage: hdfs-cat <store dir> <topic> [--topics-dir DIR] [--ddl] [--count]".into()
        );
    };
    let store = store.strip_prefix("file://").unwrap_or(store);
    let topic_dir = Path::new(store).join(topics_dir.trim_start_matches('/')).join(topic);
    let mut files = Vec::new();
    if topic_dir.is_dir() {
        collect(&topic_dir, &topic_dir, topic, &mut files)?;
    }
    files.sort_by(|a, b| {
        (&a.encoded, a.partition, a.start).cmp(&(&b.encoded, b.partition, b.start))
    });
    let contents = files.iter().map(|f| read_file(&f.path)).collect::<Result<Vec<_>, _>>()?;
    let total: usize = contents.iter().map(|c| c.rows.len()).sum();
    if count {
        println!("{total}");
        return Ok(());
    }
    // The newest file: the highest start offset (of the highest Kafka partition on a tie).
    let newest = files
        .iter()
        .enumerate()
        .max_by_key(|(_, f)| (f.start, f.partition))
        .map(|(i, _)| &contents[i]);
    let Some(newest) = newest else {
        println!("(0 rows: no committed file under {})", topic_dir.display());
        return Ok(());
    };
    println!("{}", newest.columns.join("\t"));
    for c in &contents {
        for row in &c.rows {
            let cells: Vec<String> = newest.columns.iter().map(|col| cell(row.get(col))).collect();
            println!("{}", cells.join("\t"));
        }
    }
    println!("({total} rows in {} files)", files.len());
    if ddl {
        println!();
        match &newest.avro_schema {
            Some(text) => println!("{};", table_ddl(text, topic, &topic_dir, &files)?),
            None => println!("-- DDL is printed for Avro files only"),
        }
    }
    Ok(())
}

/// Committed files of `topic` below `dir`, skipping temporary directories.
fn collect(root: &Path, dir: &Path, topic: &str, out: &mut Vec<Committed>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(root, &path, topic, out)?;
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(partition) = name
            .strip_prefix(topic)
            .and_then(|r| r.strip_prefix('+'))
            .and_then(|r| r.split('+').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let Some((start, _end)) = connect_hdfs::layout::committed_offsets(name, topic, partition)
        else {
            continue;
        };
        let encoded = path
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(Committed { path, encoded, partition, start });
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Contents, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let what = |e: connect_api::ConnectError| format!("{}: {e}", path.display());
    match path.extension().and_then(|e| e.to_str()) {
        Some("avro") => {
            let header = read::avro_header(&data).map_err(what)?;
            let text =
                header
                    .get("avro.schema")
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .ok_or_else(|| format!("{}: no avro.schema in the header", path.display()))?;
            let (schema, rows) = read::avro_records(&data).map_err(what)?;
            let columns = match &schema {
                apache_avro::Schema::Record(r) => r.fields.iter().map(|f| f.name.clone()).collect(),
                _ => vec!["value".to_string()],
            };
            Ok(Contents { columns, rows, avro_schema: Some(text) })
        }
        Some("parquet") => {
            let batches = read::parquet_batches(&data).map_err(what)?;
            let columns = batches
                .first()
                .map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect())
                .unwrap_or_default();
            let rows = read::parquet_records(&data).map_err(what)?;
            Ok(Contents { columns, rows, avro_schema: None })
        }
        _ => {
            let rows = read::json_lines(&data).map_err(what)?;
            let columns = match rows.first() {
                Some(Json::Object(o)) => o.keys().cloned().collect(),
                _ => vec!["value".to_string()],
            };
            Ok(Contents { columns, rows, avro_schema: None })
        }
    }
}

/// A cell as Hive prints it: strings bare, NULL for a missing or null value.
fn cell(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "NULL".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `CREATE EXTERNAL TABLE` for the Avro schema `text`, partitioned by the names of the
/// encoded partition's `name=value` directories.
fn table_ddl(
    text: &str,
    topic: &str,
    topic_dir: &Path,
    files: &[Committed],
) -> Result<String, String> {
    let schema = connect_avro::avro_to_connect(text)
        .map_err(|e| format!("the newest file's schema: {e}"))?;
    let mut partition_fields: Vec<(String, Schema)> = Vec::new();
    if let Some(f) = files.first() {
        for part in f.encoded.split('/').filter(|p| !p.is_empty()) {
            let name = part.split_once('=').map_or(part, |(n, _)| n).to_string();
            let field_schema =
                schema.field(&name).map(|f| f.schema().clone()).unwrap_or_else(Schema::string);
            partition_fields.push((name, field_schema));
        }
    }
    let location = format!("file://{}", topic_dir.display());
    let mut spec =
        HiveTableSpec::new("default", topic, &location, &schema, &partition_fields, "avro")
            .map_err(|e| format!("no Hive table for that schema: {e}"))?;
    // HiveQL refuses a column that is also a partition column ("Column repeated in
    // partitioning columns"); the partition directory gives its value.
    spec.columns.retain(|(c, _)| !partition_fields.iter().any(|(p, _)| p == c));
    Ok(create_table_ddl(&spec))
}
