//! Helpers of the sink's integration tests: one database per dialect, the sink task
//! under the test kit's harness, and reading rows back as text.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use connect_api::config::RawConfig;
use connect_api::record::SinkRecord;
use connect_jdbc::sink::JdbcSinkTask;
use connect_jdbc::{ConnectionSettings, Db, Dialect};
use connect_testkit::{SinkTaskHarness, partitions_of};
use sqlx::{Column, Row};

/// A database of one dialect for one test (SQLite: a fresh file).
pub struct Target {
    pub dialect: Dialect,
    pub url: String,
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    pub async fn new(dialect: Dialect) -> Target {
        let (url, dir) = match dialect {
            Dialect::Postgres => (crate::common::postgres_url(), None),
            Dialect::MySql => (crate::common::mysql_url(), None),
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (format!("sqlite:{}", dir.path().join("sink.db").display()), Some(dir))
            }
        };
        let db = ConnectionSettings::new(&url).unwrap().connect(2).await.unwrap();
        Target { dialect, url, db, _dir: dir }
    }

    /// The sink config: this database's URL plus `pairs`.
    pub fn config(&self, pairs: &[(&str, &str)]) -> RawConfig {
        let mut raw: RawConfig =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        raw.insert("connection.url".into(), self.url.clone());
        raw.insert("retry.backoff.ms".into(), "100".into());
        raw
    }

    pub fn q(&self, ident: &str) -> String {
        self.dialect.quote_identifier(ident)
    }

    pub async fn exec(&self, sql: &str) {
        self.db.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Every row of a query, each value as text (`NULL` for null).
    pub async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        macro_rules! decode {
            ($row:expr, $i:expr, $($t:ty),*) => {{
                let mut out = None;
                $(
                    if out.is_none() {
                        if let Ok(v) = $row.try_get::<Option<$t>, _>($i) {
                            out = Some(v.map(|v| format!("{v}")).unwrap_or_else(|| "NULL".into()));
                        }
                    }
                )*
                if out.is_none() {
                    if let Ok(v) = $row.try_get::<Option<Vec<u8>>, _>($i) {
                        out = Some(v.map(|v| format!("{v:?}")).unwrap_or_else(|| "NULL".into()));
                    }
                }
                out.unwrap_or_else(|| format!("<undecodable {}>", $row.columns()[$i].name()))
            }};
        }
        macro_rules! all {
            ($rows:expr, $($t:ty),*) => {
                $rows
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| {
                        (0..r.columns().len())
                            .map(|i| {
                                decode!(r, i, $($t),*)
                            })
                            .collect::<Vec<String>>()
                    })
                    .collect()
            };
        }
        match &self.db {
            Db::Postgres(p) => all!(
                sqlx::query(sql).fetch_all(p).await,
                String,
                i64,
                i32,
                i16,
                f64,
                f32,
                bool,
                BigDecimal,
                NaiveDate,
                NaiveTime,
                NaiveDateTime,
                DateTime<Utc>
            ),
            Db::MySql(p) => all!(
                sqlx::query(sql).fetch_all(p).await,
                String,
                i64,
                i32,
                i16,
                i8,
                f64,
                f32,
                bool,
                BigDecimal,
                NaiveDate,
                NaiveTime,
                NaiveDateTime,
                DateTime<Utc>
            ),
            Db::Sqlite(p) => all!(sqlx::query(sql).fetch_all(p).await, String, i64, f64),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.rows(&format!("SELECT COUNT(*) FROM {}", self.q(table))).await[0][0].parse().unwrap()
    }

    pub async fn drop_table(&self, table: &str) {
        self.exec(&format!("DROP TABLE IF EXISTS {}", self.q(table))).await;
    }
}

/// A started sink task under the harness, with the records' partitions assigned and no
/// errant record reporter (a connector without a dead letter queue or error log).
pub async fn harness(config: RawConfig, records: &[SinkRecord]) -> SinkTaskHarness {
    harness_with(SinkTaskHarness::builder(config).without_errant_reporter(), records).await
}

/// [`harness`] from a builder (to give the task an errant record reporter, say).
pub async fn harness_with(
    builder: connect_testkit::SinkHarnessBuilder,
    records: &[SinkRecord],
) -> SinkTaskHarness {
    let mut h = builder.max_attempts(1).start(Box::new(JdbcSinkTask::new())).await.unwrap();
    h.assign(partitions_of(records)).await.unwrap();
    h
}

/// Generates one `#[tokio::test]` per dialect calling `$body(Dialect)`.
#[macro_export]
macro_rules! per_dialect {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body(connect_jdbc::Dialect::Postgres).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $body(connect_jdbc::Dialect::MySql).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(connect_jdbc::Dialect::Sqlite).await
            }
        }
    };
}
