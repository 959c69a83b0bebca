#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The testkit's conformance checks run against the shipped JDBC source and sink, on
//! SQLite files (`jdbc:sqlite:<path>`), so no server is needed.
//!
//! The source reads a table of 40 rows in incrementing mode, one row per batch. For the
//! sink, the faults are real database conditions the sink meets by itself: a transient
//! outage is another connection holding an exclusive lock (the sink's `put` waits out
//! its busy timeout and gets SQLITE_BUSY, which it must classify as retriable); a
//! permanent one is a table whose CHECK constraint refuses every row.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use connect_api::config::RawConfig;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::SinkRecord;
use connect_api::{SinkTask, SourceTask};
use connect_jdbc::sink::JdbcSinkTask;
use connect_jdbc::source::JdbcSourceTask;
use connect_testkit::Fault;
use sqlx::{Connection, Row, SqliteConnection};
use tempfile::TempDir;

/// Holds the database files of this test binary.
static DIR: LazyLock<TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

/// The connections holding a lock, by database file.
static LOCKS: LazyLock<Mutex<HashMap<String, SqliteConnection>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

const TABLE: &str = "orders";

/// A sink config writing to a new SQLite file; the sink retries nothing itself, so
/// that its `put` returns the busy error to the runtime.
fn fresh_config() -> RawConfig {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let path = DIR.path().join(format!("sink-{n}.db"));
    [
        ("connection.url", format!("jdbc:sqlite:{}", path.display())),
        ("topics", TABLE.to_string()),
        ("table.name.format", TABLE.to_string()),
        ("auto.create", "true".to_string()),
        ("insert.method", "insert".to_string()),
        ("max.retries", "0".to_string()),
        ("retry.backoff.ms", "10".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The native URL of the database of `config`.
fn native_url(config: &RawConfig) -> String {
    config["connection.url"].trim_start_matches("jdbc:").to_string()
}

async fn connect(config: &RawConfig) -> SqliteConnection {
    let url = format!("{}?mode=rwc", native_url(config));
    SqliteConnection::connect(&url).await.unwrap()
}

fn records() -> Vec<SinkRecord> {
    let schema: Schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .build()
        .unwrap();
    (0..4i64)
        .map(|i| {
            let value = Struct::new(schema.clone())
                .unwrap()
                .with("id", i)
                .unwrap()
                .with("name", format!("n{i}"))
                .unwrap();
            SinkRecord::builder(TABLE, 0, 10 + i)
                .value(Some(schema.clone()), Value::Struct(value))
                .build()
        })
        .collect()
}

/// The rows of the table, in id order; none while the table does not exist.
async fn rows(config: &RawConfig) -> Vec<(i64, String)> {
    let mut conn = connect(config).await;
    let exists = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind(TABLE)
        .fetch_optional(&mut conn)
        .await
        .unwrap()
        .is_some();
    if !exists {
        return Vec::new();
    }
    let found = sqlx::query(&format!("SELECT id, name FROM \"{TABLE}\" ORDER BY id"))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    found.iter().map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1))).collect()
}

/// Breaks or repairs the database of `config` (see the module documentation).
async fn fault(config: &RawConfig, fault: Option<Fault>) {
    let key = native_url(config);
    match fault {
        Some(Fault::Retriable) => {
            let mut conn = connect(config).await;
            sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.unwrap();
            LOCKS.lock().unwrap().insert(key, conn);
        }
        Some(Fault::Fatal) => {
            let mut conn = connect(config).await;
            let sql = format!(
                "CREATE TABLE \"{TABLE}\" (id INTEGER NOT NULL, name TEXT NOT NULL, \
                 CHECK (id < 0))"
            );
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        None => {
            let held = LOCKS.lock().unwrap().remove(&key);
            if let Some(mut conn) = held {
                sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}

connect_testkit::sink_task_conformance! {
    name: jdbc_sink_sqlite,
    task: || Box::new(JdbcSinkTask::new()) as Box<dyn SinkTask>,
    config: fresh_config,
    records: records,
    written: async |config: &RawConfig| rows(config).await,
    fault: async |config: &RawConfig, f: Option<Fault>| fault(config, f).await,
}

/// The source's database: a table of numbered items, filled once by `setup`.
fn source_config() -> RawConfig {
    let path = DIR.path().join("source.db");
    [
        ("connection.url", format!("jdbc:sqlite:{}", path.display())),
        ("query", "SELECT id, name FROM items".to_string()),
        ("mode", "incrementing".to_string()),
        ("incrementing.column.name", "id".to_string()),
        ("topic.prefix", "items".to_string()),
        ("batch.max.rows", "1".to_string()),
        ("poll.interval.ms", "10".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Creates and fills the source table unless a previous test did.
async fn fill_source() {
    static FILLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    FILLED
        .get_or_init(async || {
            let mut conn = connect(&source_config()).await;
            sqlx::query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
                .execute(&mut conn)
                .await
                .unwrap();
            for i in 1..=40i64 {
                sqlx::query("INSERT INTO items (id, name) VALUES (?, ?)")
                    .bind(i)
                    .bind(format!("item {i}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            conn.close().await.unwrap();
        })
        .await;
}

connect_testkit::source_task_conformance! {
    name: jdbc_source_sqlite,
    task: || Box::new(JdbcSourceTask::new()) as Box<dyn SourceTask>,
    config: source_config,
    setup: || async { fill_source().await },
}
