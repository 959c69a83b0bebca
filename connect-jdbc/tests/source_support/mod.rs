//! Helpers of the source connector's tests: a database of each dialect (shared, or
//! isolated in its own schema / database / file), the connector's task configs, and
//! a Kafka consumer for end-to-end checks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_api::{Connector, SourceConnector};
use connect_jdbc::{ConnectionSettings, Db, Dialect};

use crate::common::{mysql_url, postgres_url, unique};

/// A database the test writes to directly.
pub struct TestDb {
    /// The dialect.
    pub dialect: Dialect,
    /// The URL the connector gets.
    pub url: String,
    /// A pool for the test's own statements.
    pub db: Db,
    /// For isolated PostgreSQL databases: the schema to give as `schema.pattern`.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The shared database of `dialect` (SQLite: a new file).
    pub async fn shared(dialect: Dialect) -> TestDb {
        match dialect {
            Dialect::Postgres => Self::open(dialect, postgres_url(), None, None).await,
            Dialect::MySql => Self::open(dialect, mysql_url(), None, None).await,
            Dialect::Sqlite => Self::sqlite().await,
        }
    }

    /// A database of `dialect` where only this test creates tables: its own
    /// PostgreSQL schema, MariaDB database or SQLite file.
    pub async fn isolated(dialect: Dialect) -> TestDb {
        match dialect {
            Dialect::Postgres => {
                let schema = unique("src_schema");
                let base = Self::open(dialect, postgres_url(), None, None).await;
                base.exec(&format!("CREATE SCHEMA {schema}")).await;
                base.db.close().await;
                Self::open(dialect, postgres_url(), Some(schema), None).await
            }
            Dialect::MySql => {
                let name = unique("src_db");
                let base = Self::open(dialect, mysql_url(), None, None).await;
                base.exec(&format!("CREATE DATABASE {name}")).await;
                base.db.close().await;
                let root = mysql_url();
                let url = match root.rfind('/') {
                    Some(i) if i > "mysql://".len() => format!("{}/{name}", &root[..i]),
                    _ => panic!("cannot put a database name into {root}"),
                };
                Self::open(dialect, url, None, None).await
            }
            Dialect::Sqlite => Self::sqlite().await,
        }
    }

    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.db");
        let url = format!("jdbc:sqlite:{}", path.display());
        Self::open(Dialect::Sqlite, url, None, Some(dir)).await
    }

    async fn open(
        dialect: Dialect,
        url: String,
        schema: Option<String>,
        dir: Option<tempfile::TempDir>,
    ) -> TestDb {
        let db = ConnectionSettings::new(&url).unwrap().connect(4).await.unwrap();
        TestDb { dialect, url, db, schema, _dir: dir }
    }

    /// Runs statements separated by `;` (no `;` inside them).
    pub async fn exec(&self, sql: &str) {
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            self.db.execute(stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
    }

    /// A table name in this database's schema, as SQL.
    pub fn table(&self, name: &str) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{name}"),
            None => name.to_string(),
        }
    }

    /// `INTEGER PRIMARY KEY` that numbers rows itself.
    pub fn serial(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "SERIAL PRIMARY KEY",
            Dialect::MySql => "INT AUTO_INCREMENT PRIMARY KEY",
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        }
    }

    /// A timestamp type without time zone, with microseconds where the database has them.
    pub fn timestamp(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "TIMESTAMP(6)",
            Dialect::MySql => "DATETIME(6)",
            Dialect::Sqlite => "DATETIME",
        }
    }

    /// The database's current time, as SQL for a timestamp column without time zone
    /// (in UTC: the test connections and the connector's default db.timezone).
    pub fn now(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "CURRENT_TIMESTAMP",
            Dialect::MySql => "CURRENT_TIMESTAMP(6)",
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        }
    }

    /// The base source config for this database.
    pub fn config(&self, pairs: &[(&str, &str)]) -> RawConfig {
        let mut raw = raw(&[
            ("connection.url", &self.url),
            ("poll.interval.ms", "100"),
            ("connection.attempts", "1"),
        ]);
        if let Some(s) = &self.schema {
            raw.insert("schema.pattern".into(), s.clone());
        }
        raw.extend(self::raw(pairs));
        raw
    }
}

/// Builds a raw config from pairs.
pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Every dialect.
pub const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

/// Starts the connector on `config` and returns its task configs.
pub async fn task_configs(config: &RawConfig, max_tasks: usize) -> Vec<RawConfig> {
    let mut connector = connect_jdbc::source::JdbcSourceConnector::new();
    let ctx = connect_testkit::MockConnectorContext::new();
    connector.start(ctx.context(), config.clone()).await.unwrap();
    let tasks = connector.task_configs(max_tasks).await.unwrap();
    connector.stop().await.unwrap();
    tasks
}

/// A fresh source task.
pub fn new_task() -> Box<dyn connect_api::SourceTask> {
    let connector = connect_jdbc::source::JdbcSourceConnector::new();
    connector.create_task()
}

/// The value of a field of a record's struct value.
pub fn field<'a>(
    record: &'a connect_api::record::SourceRecord,
    name: &str,
) -> &'a connect_api::data::Value {
    use connect_api::record::ConnectRecord;
    record.value().as_struct().unwrap().get(name).unwrap()
}

/// The integer value of a field.
pub fn int_field(record: &connect_api::record::SourceRecord, name: &str) -> i64 {
    field(record, name).as_i64().unwrap_or_else(|| panic!("{name} is not an integer"))
}

/// The string value of a field.
pub fn str_field(record: &connect_api::record::SourceRecord, name: &str) -> String {
    field(record, name).as_str().unwrap_or_else(|| panic!("{name} is not a string")).to_string()
}

/// Reads JSON values from partition 0 of `topic` until `want` arrived (then waits
/// `settle` more for unexpected extras) or `timeout` passed.
pub async fn consume_json(
    bootstrap: &str,
    topic: &str,
    want: usize,
    timeout: Duration,
    settle: Duration,
) -> Vec<serde_json::Value> {
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", unique("source_test_reader"))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(&topic, 0, Offset::Beginning).unwrap();
            consumer.assign(&tpl).unwrap();
        }
        let mut out = Vec::new();
        let deadline = Instant::now() + timeout;
        let mut settle_until: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now > deadline || settle_until.is_some_and(|s| now > s) {
                break;
            }
            if let Some(result) = consumer.poll(Duration::from_millis(100)) {
                match result {
                    Ok(m) => {
                        let v = m
                            .payload()
                            .map(|p| serde_json::from_slice(p).unwrap())
                            .unwrap_or(serde_json::Value::Null);
                        out.push(v);
                    }
                    Err(e) => {
                        let text = e.to_string();
                        if !text.contains("UnknownTopicOrPartition") {
                            eprintln!("consumer error: {text}");
                        }
                    }
                }
            }
            if out.len() >= want && settle_until.is_none() {
                settle_until = Some(Instant::now() + settle);
            }
        }
        drop(consumer);
        out
    })
    .await
    .unwrap()
}

/// Waits until `check` holds, failing with `what` after `timeout`.
pub async fn wait_for<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
