//! Shared helpers of the connect-hdfs integration tests: configs, the users schema
//! of the seed article (id, name, email, department, modified), records, and readers
//! of committed files that do not use the sink's own code.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod kafka;
pub mod process;
pub mod proxy;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::{SinkRecord, TimestampType};

/// Sends the logs of the workers a test starts through libtest's output capture: a
/// failing test shows what its worker did (each test's runtime threads, and the task
/// threads they start, inherit that test's capture), a passing one stays quiet.
/// librdkafka's own threads belong to no test, so its lines are left out. `RUST_LOG`
/// overrides the filter.
pub fn capture_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,librdkafka=off"));
    // A second call (the next test in this binary) finds the subscriber installed.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_test_writer()
        .try_init();
}

/// Builds a raw config from pairs.
pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// The users table of the seed article, version 1: id, name, email, department,
/// modified.
pub fn users_v1() -> Schema {
    SchemaBuilder::struct_()
        .name("users")
        .version(1)
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("email", Schema::string())
        .field("department", Schema::string())
        .field("modified", Schema::int64())
        .build()
        .unwrap()
}

/// Version 2: `ALTER TABLE users DROP COLUMN name`.
pub fn users_v2() -> Schema {
    SchemaBuilder::struct_()
        .name("users")
        .version(2)
        .field("id", Schema::int64())
        .field("email", Schema::string())
        .field("department", Schema::string())
        .field("modified", Schema::int64())
        .build()
        .unwrap()
}

/// A users value of `schema` (the name is left out when the schema has no name field).
pub fn user(schema: &Schema, id: i64, name: &str, department: &str, modified: i64) -> Value {
    let mut s = Struct::new(schema.clone()).unwrap().with("id", id).unwrap();
    if schema.field("name").is_some() {
        s = s.with("name", name).unwrap();
    }
    s = s
        .with("email", format!("{name}@example.com"))
        .unwrap()
        .with("department", department)
        .unwrap()
        .with("modified", modified)
        .unwrap();
    Value::Struct(s)
}

/// A sink record of a users value, with `modified` as its Kafka timestamp.
pub fn user_record(
    topic: &str,
    partition: i32,
    offset: i64,
    schema: &Schema,
    id: i64,
    department: &str,
    modified: i64,
) -> SinkRecord {
    let name = format!("user{id}");
    SinkRecord::builder(topic, partition, offset)
        .value(Some(schema.clone()), user(schema, id, &name, department, modified))
        .timestamp(modified, TimestampType::CreateTime)
        .build()
}

/// A committed file: its path relative to the store root, and the offsets its name
/// carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub path: PathBuf,
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file under `dir`, relative to it, sorted.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    let mut rel: Vec<PathBuf> =
        out.into_iter().map(|p| p.strip_prefix(dir).unwrap().to_path_buf()).collect();
    rel.sort();
    rel
}

/// The committed files of `topic` under `<root>/topics/<topic>`, parsed from their
/// names with a regular split (independent of the sink's parser), by start offset.
pub fn committed(root: &Path, topics_dir: &str, topic: &str) -> Vec<Committed> {
    let base = root.join(topics_dir).join(topic);
    let mut out = Vec::new();
    for rel in all_files(&base) {
        let name = rel.file_name().unwrap().to_str().unwrap().to_string();
        let stem = name.split('.').next().unwrap();
        let parts: Vec<&str> = stem.split('+').collect();
        assert_eq!(parts.len(), 4, "unexpected file {name} in {}", base.display());
        assert_eq!(parts[0], topic);
        out.push(Committed {
            path: Path::new(topics_dir).join(topic).join(&rel),
            partition: parts[1].parse().unwrap(),
            start: parts[2].parse().unwrap(),
            end: parts[3].parse().unwrap(),
        });
    }
    out.sort_by_key(|c| (c.partition, c.start));
    out
}

/// The JSON lines of a file, parsed with serde_json.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad JSON line {l:?}: {e}", path.display()))
        })
        .collect()
}

/// Checks that the committed JSON files of `topic` hold every offset of each
/// partition in `0..counts[p]` exactly once, each file exactly the offsets its name
/// says (records carry their offset in the `id` field as `p * 1_000_000 + offset`),
/// and returns the records by partition.
pub fn check_exactly_once(
    root: &Path,
    topics_dir: &str,
    topic: &str,
    counts: &BTreeMap<i32, i64>,
) -> BTreeMap<i32, Vec<serde_json::Value>> {
    let files = committed(root, topics_dir, topic);
    let mut by_partition: BTreeMap<i32, Vec<(i64, serde_json::Value)>> = BTreeMap::new();
    for f in &files {
        let rows = json_lines(&root.join(&f.path));
        let offsets: Vec<i64> = rows
            .iter()
            .map(|r| r["id"].as_i64().unwrap() - i64::from(f.partition) * 1_000_000)
            .collect();
        assert!(!offsets.is_empty(), "empty file {}", f.path.display());
        assert_eq!(
            offsets.first(),
            Some(&f.start),
            "first record of {} is not its start offset",
            f.path.display()
        );
        assert_eq!(
            offsets.last(),
            Some(&f.end),
            "last record of {} is not its end offset",
            f.path.display()
        );
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "offsets out of order in {}",
            f.path.display()
        );
        for (o, r) in offsets.into_iter().zip(rows) {
            by_partition.entry(f.partition).or_default().push((o, r));
        }
    }
    let mut out = BTreeMap::new();
    for (p, want) in counts {
        let mut got = by_partition.remove(p).unwrap_or_default();
        got.sort_by_key(|(o, _)| *o);
        let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
        let expected: Vec<i64> = (0..*want).collect();
        if offsets != expected {
            let mut seen = BTreeMap::new();
            for o in &offsets {
                *seen.entry(*o).or_insert(0) += 1;
            }
            let dups: Vec<_> =
                seen.iter().filter(|(_, c)| **c > 1).map(|(o, _)| *o).take(10).collect();
            let missing: Vec<_> =
                expected.iter().filter(|o| !seen.contains_key(o)).take(10).collect();
            panic!(
                "partition {p}: {} records committed for {want} offsets; duplicates {dups:?}, missing {missing:?}",
                offsets.len()
            );
        }
        out.insert(*p, got.into_iter().map(|(_, r)| r).collect());
    }
    assert!(by_partition.is_empty(), "files of unexpected partitions: {:?}", by_partition.keys());
    out
}

/// Waits until `check` holds, failing with `what` after `timeout`.
pub async fn wait_for(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
