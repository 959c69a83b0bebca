//! One query run: the SQL of each mode, the safe watermark of the timestamp modes,
//! and the background task that streams a result, decodes it with a [`RowPlan`]
//! built once from its first row, and hands decoded rows over in chunks.

use std::sync::Arc;

use chrono::NaiveDateTime;
use connect_api::{ConnectError, Result};
use futures::TryStreamExt;
use tokio::sync::mpsc;

use super::config::Mode;
use super::decode::{DecodedRow, SourceRow, to_local};
use super::schema::{PlanInputs, RowPlan, plan, signature};
use super::tables::{ColumnMeta, TableId, columns};
use crate::connection::{Db, classify};
use crate::dialect::Dialect;

/// The margin kept below the visibility bound: covers timestamps truncated or rounded
/// to whole seconds by their column, and InnoDB's second-resolution `trx_started`.
pub const WATERMARK_MARGIN_NANOS: i64 = 1_000_000_000;

/// The fewest rows the background run decodes before handing them over, whatever
/// `batch.max.rows` is: `poll` takes `batch.max.rows` at a time from what was handed
/// over, so a small `batch.max.rows` costs no wake-up of the run per poll.
pub const FETCH_CHUNK_ROWS: usize = 1024;

/// Chunks handed over but not yet taken: how far the run reads ahead of `poll`.
const CHUNKS_AHEAD: usize = 4;

/// What a run reads, fixed for the connector's lifetime.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    /// The dialect.
    pub dialect: Dialect,
    /// The table (table mode) …
    pub table: Option<TableId>,
    /// … or the query (query mode).
    pub query: Option<String>,
    /// The mode.
    pub mode: Mode,
    /// Timestamp columns (COALESCE order).
    pub timestamp_columns: Vec<String>,
    /// Incrementing column.
    pub incrementing_column: Option<String>,
    /// `query.suffix`.
    pub suffix: String,
    /// `quote.sql.identifiers`.
    pub quote: bool,
    /// `db.timezone`.
    pub timezone: chrono_tz::Tz,
    /// `numeric.mapping`.
    pub mapping: super::config::NumericMapping,
    /// `timestamp.delay.interval.ms` in nanoseconds.
    pub delay_nanos: i64,
    /// Rows per chunk handed over (`batch.max.rows`, at least [`FETCH_CHUNK_ROWS`]).
    pub chunk: usize,
}

/// Where a timestamp run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lower {
    /// From the beginning.
    Beginning,
    /// From the database's current time (`timestamp.initial=-1` on a first run).
    Now,
    /// After this position, as Kafka Connect's offsets mean it: rows with a later
    /// timestamp (nanoseconds since the epoch), or with this timestamp and a larger
    /// incrementing value when one is given.
    After {
        /// The timestamp.
        ts: i64,
        /// The incrementing value at that timestamp.
        inc: Option<i64>,
    },
}

/// Rounds nanoseconds up to the next whole microsecond (the finest precision the
/// databases store), so a bound never falls between two storable values.
pub fn ceil_micros(nanos: i64) -> i64 {
    nanos
        .div_euclid(1_000)
        .saturating_add(i64::from(nanos.rem_euclid(1_000) != 0))
        .saturating_mul(1_000)
}

/// The bounds of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunBounds {
    /// Timestamp modes: where to start.
    pub lower: Lower,
    /// Incrementing mode: the last value already read.
    pub last_incrementing: Option<i64>,
    /// Whether timestamp bounds are compared as UTC (time-zone columns) rather than in
    /// `db.timezone`.
    pub bind_utc: bool,
}

/// What a run reports, in order: `Started` once (timestamp modes: with the new
/// watermark), any number of `Rows`, then `Done` or `Failed`.
#[derive(Debug)]
pub enum RunEvent {
    /// The run has its bounds: the watermark this run establishes (timestamp modes)
    /// and where it actually started reading.
    Started {
        /// Every row with a timestamp below this is visible to this run.
        watermark: Option<i64>,
        /// The lower bound used (resolves [`Lower::Now`]).
        lower: Option<i64>,
    },
    /// Decoded rows, in result order.
    Rows(Vec<DecodedRow>),
    /// The result was read to its end; the plan of its rows, if any.
    Done(Option<Arc<RowPlan>>),
    /// The run failed.
    Failed(ConnectError),
}

/// Starts a run in the background; events arrive on the returned receiver. Dropping
/// the receiver ends the run. `previous` is the plan of the query's last run: when the
/// result and the table's metadata are unchanged it is reused, so every run's records
/// share one value schema.
pub fn spawn_run(
    db: Db,
    spec: Arc<QuerySpec>,
    bounds: RunBounds,
    previous: Option<Arc<RowPlan>>,
) -> mpsc::Receiver<RunEvent> {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
    tokio::spawn(async move {
        let outcome = run(&db, &spec, bounds, previous, &tx).await;
        let last = match outcome {
            Ok(plan) => RunEvent::Done(plan),
            Err(e) => RunEvent::Failed(e),
        };
        let _ = tx.send(last).await;
    });
    rx
}

/// `(now, visibility bound)` in nanoseconds: every transaction that can still commit
/// rows started at or after the bound.
pub async fn visibility(db: &Db) -> Result<(i64, i64)> {
    const US: i64 = 1_000;
    match db {
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => {
            let (now, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8, \
                 (SELECT (extract(epoch FROM min(xact_start)) * 1000000)::int8 \
                  FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
                  AND xact_start IS NOT NULL AND backend_type = 'client backend' \
                  AND datname = current_database())",
            )
            .persistent(false)
            .fetch_one(pool)
            .await
            .map_err(|e| classify(e).context("reading PostgreSQL's oldest open transaction"))?;
            let now = now * US;
            Ok((now, oldest.map_or(now, |o| (o * US).min(now))))
        }
        #[cfg(feature = "mysql")]
        Db::MySql(pool) => {
            let (now, trx, busy): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED), \
                 (SELECT CAST(MIN(UNIX_TIMESTAMP(CONVERT_TZ(trx_started, 'SYSTEM', \
                  @@session.time_zone))) AS SIGNED) FROM information_schema.INNODB_TRX \
                  WHERE trx_mysql_thread_id <> CONNECTION_ID()), \
                 (SELECT CAST(MAX(TIME) AS SIGNED) FROM information_schema.PROCESSLIST \
                  WHERE ID <> CONNECTION_ID() AND COMMAND IN ('Query', 'Execute'))",
            )
            .persistent(false)
            .fetch_one(pool)
            .await
            .map_err(|e| classify(e).context("reading MySQL's oldest open transaction"))?;
            let now = now * US;
            let mut bound = now;
            if let Some(t) = trx {
                bound = bound.min(t.saturating_mul(1_000_000_000));
            }
            if let Some(secs) = busy {
                // A statement running for `secs` whole seconds started less than
                // `secs + 1` seconds ago; its timestamps may be that old.
                bound = bound.min(now - (secs + 1).saturating_mul(1_000_000_000));
            }
            Ok((now, bound))
        }
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => {
            // One writer at a time and no view of open transactions: the bound is the
            // current time, and `timestamp.delay.interval.ms` is the documented lag.
            let now_ms: i64 = sqlx::query_scalar(
                "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
            )
            .persistent(false)
            .fetch_one(pool)
            .await
            .map_err(|e| classify(e).context("reading SQLite's clock"))?;
            let now = now_ms * 1_000_000;
            Ok((now, now))
        }
    }
}

/// The SQL of a run, and whether it binds a lower timestamp bound, an upper one, or
/// the last incrementing value.
pub fn build_sql(spec: &QuerySpec, lower: bool, upper: bool) -> String {
    let d = spec.dialect;
    let q = |c: &str| d.identifier(c, spec.quote);
    let from = match (&spec.table, &spec.query) {
        (Some(t), _) => t.sql(d, spec.quote),
        (None, Some(query)) => format!("({query}) kc_query"),
        (None, None) => String::from("(SELECT 1) kc_query"),
    };
    let mut sql = match (spec.mode, &spec.query, &spec.table) {
        (Mode::Bulk, Some(query), None) => query.clone(),
        _ => format!("SELECT * FROM {from}"),
    };
    let mut n = 0;
    let mut ph = || {
        n += 1;
        d.placeholder(n)
    };
    match spec.mode {
        Mode::Bulk => {}
        Mode::Incrementing => {
            let inc = q(spec.incrementing_column.as_deref().unwrap_or_default());
            sql.push_str(&format!(" WHERE {inc} > {} ORDER BY {inc} ASC", ph()));
        }
        Mode::Timestamp | Mode::TimestampIncrementing => {
            let cols: Vec<String> = spec.timestamp_columns.iter().map(|c| q(c)).collect();
            let ts = if cols.len() == 1 {
                cols[0].clone()
            } else {
                format!("COALESCE({})", cols.join(", "))
            };
            let mut conds = Vec::new();
            if lower {
                conds.push(format!("{ts} >= {}", ph()));
            } else {
                conds.push(format!("{ts} IS NOT NULL"));
            }
            if upper {
                conds.push(format!("{ts} < {}", ph()));
            }
            sql.push_str(&format!(" WHERE {} ORDER BY {ts} ASC", conds.join(" AND ")));
            if spec.mode == Mode::TimestampIncrementing {
                let inc = q(spec.incrementing_column.as_deref().unwrap_or_default());
                sql.push_str(&format!(", {inc} ASC"));
            }
        }
    }
    if !spec.suffix.trim().is_empty() {
        sql.push(' ');
        sql.push_str(spec.suffix.trim());
    }
    sql
}

enum Bind {
    I64(i64),
    Ts(NaiveDateTime),
}

/// Collects decoded rows into chunks.
struct Collector<'a> {
    spec: &'a QuerySpec,
    metadata: &'a [ColumnMeta],
    plan: Option<Arc<RowPlan>>,
    previous: Option<Arc<RowPlan>>,
    chunk: Vec<DecodedRow>,
}

impl Collector<'_> {
    fn row<R: SourceRow>(&mut self, row: &R) -> Result<Option<Vec<DecodedRow>>> {
        let plan = match &self.plan {
            Some(p) => p.clone(),
            None => {
                let sig = signature(row);
                let reusable = self
                    .previous
                    .take()
                    .filter(|p| p.signature == sig && p.metadata.as_slice() == self.metadata);
                if let Some(p) = reusable {
                    self.plan = Some(p.clone());
                    return self.push(row, &p);
                }
                let schema_name = self.spec.table.as_ref().map(|t| t.name.as_str());
                let p = Arc::new(plan(
                    sig,
                    PlanInputs {
                        dialect: self.spec.dialect,
                        schema_name,
                        metadata: self.metadata,
                        mapping: self.spec.mapping,
                        timestamp_columns: &self.spec.timestamp_columns,
                        incrementing_column: self.spec.incrementing_column.as_deref(),
                    },
                )?);
                self.plan = Some(p.clone());
                p
            }
        };
        self.push(row, &plan)
    }

    fn push<R: SourceRow>(&mut self, row: &R, plan: &RowPlan) -> Result<Option<Vec<DecodedRow>>> {
        self.chunk.push(plan.decode(row, self.spec.timezone)?);
        if self.chunk.len() >= self.spec.chunk {
            Ok(Some(std::mem::replace(&mut self.chunk, Vec::with_capacity(self.spec.chunk))))
        } else {
            Ok(None)
        }
    }
}

macro_rules! stream_rows {
    ($pool:expr, $sql:expr, $binds:expr, $collector:expr, $tx:expr) => {{
        let mut query = sqlx::query($sql).persistent(false);
        for b in $binds {
            query = match b {
                Bind::I64(v) => query.bind(*v),
                Bind::Ts(v) => query.bind(*v),
            };
        }
        let mut rows = query.fetch($pool);
        while let Some(row) = rows.try_next().await.map_err(classify)? {
            if let Some(chunk) = $collector.row(&row)? {
                if $tx.send(RunEvent::Rows(chunk)).await.is_err() {
                    return Ok(None);
                }
            }
        }
    }};
}

async fn run(
    db: &Db,
    spec: &QuerySpec,
    bounds: RunBounds,
    previous: Option<Arc<RowPlan>>,
    tx: &mpsc::Sender<RunEvent>,
) -> Result<Option<Arc<RowPlan>>> {
    let mut binds = Vec::new();
    let (mut lower_bound, mut upper_bound) = (None, None);
    let mut watermark = None;
    match spec.mode {
        Mode::Bulk => {}
        Mode::Incrementing => binds.push(Bind::I64(bounds.last_incrementing.unwrap_or(-1))),
        Mode::Timestamp | Mode::TimestampIncrementing => {
            let (now, visible) = visibility(db).await?;
            let floor_us = |n: i64| n.div_euclid(1_000) * 1_000;
            // Rows newer than `hold` wait for a later run (the margin and the configured
            // delay); rows below `w` are final, so their offsets are exact positions.
            let hold = floor_us(now - spec.delay_nanos - WATERMARK_MARGIN_NANOS);
            let w = floor_us(visible - WATERMARK_MARGIN_NANOS).min(hold);
            watermark = Some(w);
            lower_bound = match bounds.lower {
                Lower::Beginning => None,
                Lower::Now => Some(now),
                Lower::After { ts, inc: Some(_) } => Some(ceil_micros(ts)),
                Lower::After { ts, inc: None } => Some(ceil_micros(ts.saturating_add(1))),
            };
            upper_bound = Some(hold);
            let bind = |n: i64| {
                Bind::Ts(if bounds.bind_utc {
                    to_local(n, chrono_tz::UTC)
                } else {
                    to_local(n, spec.timezone)
                })
            };
            if let Some(l) = lower_bound {
                binds.push(bind(l));
            }
            if let Some(u) = upper_bound {
                binds.push(bind(u));
            }
        }
    }
    if tx.send(RunEvent::Started { watermark, lower: lower_bound }).await.is_err() {
        return Ok(None);
    }
    let metadata = match &spec.table {
        Some(t) => columns(db, t).await?,
        None => Vec::new(),
    };
    let sql = build_sql(spec, lower_bound.is_some(), upper_bound.is_some());
    tracing::debug!(sql = %sql, "JDBC source query");
    let mut collector = Collector {
        spec,
        metadata: &metadata,
        plan: None,
        previous,
        chunk: Vec::with_capacity(spec.chunk),
    };
    let binds = &binds;
    match db {
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => stream_rows!(pool, &sql, binds, collector, tx),
        #[cfg(feature = "mysql")]
        Db::MySql(pool) => stream_rows!(pool, &sql, binds, collector, tx),
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => stream_rows!(pool, &sql, binds, collector, tx),
    }
    if !collector.chunk.is_empty() {
        let rest = std::mem::take(&mut collector.chunk);
        if tx.send(RunEvent::Rows(rest)).await.is_err() {
            return Ok(None);
        }
    }
    Ok(collector.plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::config::NumericMapping;

    fn spec(mode: Mode, query: Option<&str>) -> QuerySpec {
        QuerySpec {
            dialect: Dialect::Postgres,
            table: if query.is_none() { Some(TableId::new(Some("s"), "users")) } else { None },
            query: query.map(str::to_string),
            mode,
            timestamp_columns: vec!["modified".into(), "created".into()],
            incrementing_column: Some("id".into()),
            suffix: String::new(),
            quote: true,
            timezone: chrono_tz::UTC,
            mapping: NumericMapping::None,
            delay_nanos: 0,
            chunk: 10,
        }
    }

    #[test]
    fn sql_per_mode() {
        assert_eq!(
            build_sql(&spec(Mode::Bulk, None), false, false),
            r#"SELECT * FROM "s"."users""#
        );
        assert_eq!(
            build_sql(&spec(Mode::Incrementing, None), false, false),
            r#"SELECT * FROM "s"."users" WHERE "id" > $1 ORDER BY "id" ASC"#
        );
        assert_eq!(
            build_sql(&spec(Mode::TimestampIncrementing, None), true, true),
            r#"SELECT * FROM "s"."users" WHERE COALESCE("modified", "created") >= $1 AND COALESCE("modified", "created") < $2 ORDER BY COALESCE("modified", "created") ASC, "id" ASC"#
        );
        assert_eq!(
            build_sql(&spec(Mode::Bulk, Some("SELECT 1 AS a")), false, false),
            "SELECT 1 AS a"
        );
        assert!(
            build_sql(&spec(Mode::Incrementing, Some("SELECT * FROM t")), false, false)
                .starts_with("SELECT * FROM (SELECT * FROM t) kc_query WHERE \"id\" > $1")
        );
    }
}
