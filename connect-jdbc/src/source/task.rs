//! [`JdbcSourceTask`]: polls its tables (or the query) in turn, one background run at
//! a time, and turns decoded rows into records with Kafka Connect's offsets.
//!
//! ## Offsets and the no-loss rule of the timestamp modes
//!
//! Each timestamp run first asks the database for a *watermark* `W`: an instant such
//! that every transaction that may still commit rows started after it (PostgreSQL:
//! the oldest `xact_start` of the database's client sessions; MySQL: the oldest
//! InnoDB `trx_started` and the oldest running statement; SQLite: the current time),
//! less [`WATERMARK_MARGIN_NANOS`](super::query::WATERMARK_MARGIN_NANOS) and the
//! configured delay. The run reads every row from the previous watermark on, in
//! timestamp (and incrementing) order. Rows below `W` are final: their offset is their
//! own position (Kafka Connect's meaning: rows after it remain). Rows at or above `W`
//! are emitted too, remembered by `(timestamp, incrementing)` (or `(timestamp, whole
//! row)` in timestamp mode) and skipped when read again; their offset is the
//! watermark, so a restart reads them again: duplicates, never a gap.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SourceTaskContext;
use connect_api::data::Value;
use connect_api::record::{OffsetMap, SourceRecord};
use connect_api::{ConnectError, Result, SourceTask};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

use super::config::{JdbcSourceConfig, Mode, task_tables};
use super::decode::DecodedRow;
use super::query::{Lower, QuerySpec, RunBounds, RunEvent, spawn_run};
use super::schema::{Decoder, RowPlan};
use super::tables::{TableId, columns, exists};
use crate::connection::Db;

/// Source partition key naming the table.
pub const TABLE_KEY: &str = "table";
/// Source partition key of query mode (value `"query"`).
pub const QUERY_KEY: &str = "query";
/// Offset key: the last incrementing value read.
pub const INCREMENTING_KEY: &str = "incrementing";
/// Offset key: milliseconds of the timestamp watermark.
pub const TIMESTAMP_KEY: &str = "timestamp";
/// Offset key: nanoseconds within the second of the timestamp watermark.
pub const TIMESTAMP_NANOS_KEY: &str = "timestamp_nanos";

/// The source partition of a table: `{"table": "<name>"}` (Confluent's original
/// offset protocol: the table name without its schema).
pub fn table_partition(table: &TableId) -> OffsetMap {
    OffsetMap::new().with(TABLE_KEY, table.name.as_str())
}

/// The source partition of query mode: `{"query": "query"}`.
pub fn query_partition() -> OffsetMap {
    OffsetMap::new().with(QUERY_KEY, QUERY_KEY)
}

/// The offset of a timestamp position (nanoseconds since the epoch), with Kafka
/// Connect's meaning: rows after it (a later timestamp, or the same one and a larger
/// incrementing value) are still to be read.
pub fn timestamp_offset(nanos: i64, incrementing: Option<i64>) -> OffsetMap {
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    let offset = OffsetMap::new()
        .with(TIMESTAMP_KEY, secs * 1_000 + sub / 1_000_000)
        .with(TIMESTAMP_NANOS_KEY, sub);
    match incrementing {
        Some(i) => offset.with(INCREMENTING_KEY, i),
        None => offset,
    }
}

/// The watermark an offset records, if it has one.
pub fn offset_timestamp(offset: &OffsetMap) -> Option<i64> {
    let ms = offset.get_i64(TIMESTAMP_KEY)?;
    let secs = ms.div_euclid(1_000);
    let sub = match offset.get_i64(TIMESTAMP_NANOS_KEY) {
        Some(n) if (0..1_000_000_000).contains(&n) => n,
        _ => ms.rem_euclid(1_000) * 1_000_000,
    };
    Some(secs.saturating_mul(1_000_000_000).saturating_add(sub))
}

/// What identifies an emitted row version in the timestamp modes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RowKey {
    Incrementing(i64, i64),
    Row(i64, Value),
}

impl RowKey {
    fn timestamp(&self) -> i64 {
        match self {
            RowKey::Incrementing(t, _) | RowKey::Row(t, _) => *t,
        }
    }
}

#[derive(Debug)]
enum ModeState {
    Bulk,
    Incrementing { last: Option<i64> },
    Timestamp { lower: Lower, emitted: HashMap<RowKey, u32> },
}

#[derive(Debug)]
struct ActiveRun {
    events: mpsc::Receiver<RunEvent>,
    watermark: Option<i64>,
    lower: Option<i64>,
    seen: HashMap<RowKey, u32>,
    finished: Option<Result<Option<Arc<RowPlan>>>>,
}

#[derive(Debug)]
struct Querier {
    spec: Arc<QuerySpec>,
    /// Shared by the querier's records (no map or name copied per row).
    partition: Arc<OffsetMap>,
    topic: Arc<str>,
    state: ModeState,
    bind_utc: bool,
    next_due: Instant,
    run: Option<ActiveRun>,
    buffer: VecDeque<DecodedRow>,
    completed_runs: u64,
    /// The plan of the last run that read rows, offered to the next run.
    last_plan: Option<Arc<RowPlan>>,
}

impl Querier {
    fn label(&self) -> String {
        match (&self.spec.table, &self.spec.query) {
            (Some(t), _) => t.qualified(),
            _ => String::from("query"),
        }
    }

    fn bounds(&self) -> RunBounds {
        RunBounds {
            lower: match &self.state {
                ModeState::Timestamp { lower, .. } => *lower,
                _ => Lower::Beginning,
            },
            last_incrementing: match &self.state {
                ModeState::Incrementing { last } => *last,
                _ => None,
            },
            bind_utc: self.bind_utc,
        }
    }

    /// Turns up to `max` buffered rows into records.
    fn drain(&mut self, max: usize, out: &mut Vec<SourceRecord>) {
        let with_incrementing = self.spec.mode == Mode::TimestampIncrementing;
        while out.len() < max {
            let Some(row) = self.buffer.pop_front() else { break };
            let offset = match &mut self.state {
                ModeState::Bulk => Some(OffsetMap::new()),
                ModeState::Incrementing { last } => match row.incrementing {
                    Some(inc) => {
                        *last = Some(last.map_or(inc, |l| l.max(inc)));
                        Some(OffsetMap::new().with(INCREMENTING_KEY, inc))
                    }
                    None => None,
                },
                ModeState::Timestamp { lower, emitted } => {
                    let Some(run) = self.run.as_mut() else { break };
                    match row.timestamp {
                        None => None,
                        // Rows at or before the resume position of a restarted
                        // timestamp+incrementing query were emitted before.
                        Some(ts)
                            if matches!(*lower, Lower::After { ts: t0, inc: Some(i0) }
                                if with_incrementing && ts == t0
                                    && row.incrementing.is_some_and(|i| i <= i0)) =>
                        {
                            None
                        }
                        Some(ts) => {
                            let floor = run.lower.unwrap_or(i64::MIN);
                            let watermark = run.watermark.unwrap_or(ts).max(floor);
                            let key = match (with_incrementing, row.incrementing) {
                                (true, Some(inc)) => RowKey::Incrementing(ts, inc),
                                _ => RowKey::Row(ts, Value::Struct(row.value.clone())),
                            };
                            let emit = if ts < watermark && !emitted.contains_key(&key) {
                                true
                            } else {
                                let seen = run.seen.entry(key.clone()).or_insert(0);
                                *seen += 1;
                                let done = emitted.entry(key).or_insert(0);
                                if *seen > *done {
                                    *done = *seen;
                                    true
                                } else {
                                    false
                                }
                            };
                            // Below the watermark every row is final and read in order:
                            // the offset is this row's position. Above it, the
                            // watermark: a restart reads everything from there again.
                            let position = if ts >= watermark {
                                (watermark - 1, None)
                            } else if with_incrementing && row.incrementing.is_some() {
                                (ts, row.incrementing)
                            } else {
                                let last_of_its_timestamp = match self.buffer.front() {
                                    Some(next) => next.timestamp.is_none_or(|t| t > ts),
                                    None => run.finished.is_some(),
                                };
                                if last_of_its_timestamp { (ts, None) } else { (ts - 1, None) }
                            };
                            emit.then(|| timestamp_offset(position.0, position.1))
                        }
                    }
                }
            };
            let Some(offset) = offset else { continue };
            let schema = row.value.schema().clone();
            out.push(
                SourceRecord::builder(&self.topic)
                    .source_partition(self.partition.clone())
                    .source_offset(offset)
                    .value(Some(schema), Value::Struct(row.value))
                    .build(),
            );
        }
    }

    /// After a run read its whole result: move the bounds on and schedule the next.
    fn finish_run(&mut self, plan: Option<Arc<RowPlan>>, poll_interval: Duration) {
        let run = self.run.take();
        if let (ModeState::Timestamp { lower, emitted }, Some(run)) = (&mut self.state, run) {
            let floor = run.lower;
            let next = match (run.watermark, floor) {
                (Some(w), Some(f)) => Some(w.max(f)),
                (Some(w), None) => Some(w),
                (None, f) => f,
            };
            if let Some(n) = next {
                *lower = Lower::After { ts: n - 1, inc: None };
                emitted.retain(|k, _| k.timestamp() >= n);
            }
        }
        if let Some(plan) = plan {
            if let Some(&f) = plan.timestamp_fields.first() {
                self.bind_utc = plan.columns[f].decoder == Decoder::TimestampUtc;
            }
            self.last_plan = Some(plan);
        }
        self.completed_runs += 1;
        self.next_due = Instant::now() + poll_interval;
    }
}

/// Copies rows of its tables (or of the query) into records.
#[derive(Default)]
pub struct JdbcSourceTask {
    running: Option<Running>,
}

struct Running {
    db: Db,
    context: SourceTaskContext,
    config: JdbcSourceConfig,
    queriers: Vec<Querier>,
    order: VecDeque<usize>,
    eof_signalled: bool,
}

impl std::fmt::Debug for JdbcSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcSourceTask").field("running", &self.running.is_some()).finish()
    }
}

impl JdbcSourceTask {
    /// A task that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

async fn sleep_or_cancel(context: &SourceTaskContext, d: Duration) {
    tokio::select! {
        _ = context.cancellation().cancelled() => {}
        _ = tokio::time::sleep(d) => {}
    }
}

/// Checks `validate.non.null`: the incrementing column must be NOT NULL and at least
/// one timestamp column must be.
async fn check_non_null(db: &Db, config: &JdbcSourceConfig, table: &TableId) -> Result<bool> {
    let cols = columns(db, table).await?;
    if cols.is_empty() {
        return exists(db, table).await;
    }
    let nullable = |name: &str| cols.iter().find(|c| c.name == name).map(|c| c.nullable);
    if config.mode().uses_incrementing()
        && let Some(inc) = config.incrementing_column()
    {
        match nullable(inc) {
            None => {
                return Err(ConnectError::config(format!(
                    "incrementing.column.name {inc} is not a column of table {table}"
                )));
            }
            Some(true) => {
                return Err(ConnectError::config(format!(
                    "Cannot make incremental queries using incrementing column {inc} on {table} \
                     because this column is nullable (set validate.non.null=false to skip this check)"
                )));
            }
            Some(false) => {}
        }
    }
    if config.mode().uses_timestamp() {
        let ts = config.timestamp_columns();
        let states: Vec<Option<bool>> = ts.iter().map(|c| nullable(c)).collect();
        if let Some(i) = states.iter().position(Option::is_none) {
            return Err(ConnectError::config(format!(
                "timestamp.column.name {} is not a column of table {table}",
                ts[i]
            )));
        }
        if states.iter().all(|s| *s == Some(true)) {
            return Err(ConnectError::config(format!(
                "Cannot make incremental queries using timestamp columns [{}] on {table} because \
                 all of these columns are nullable (set validate.non.null=false to skip this check)",
                ts.join(", ")
            )));
        }
    }
    Ok(true)
}

#[async_trait]
impl SourceTask for JdbcSourceTask {
    fn version(&self) -> String {
        crate::source::VERSION.to_string()
    }

    /// Offsets say everything the task needs; it has no use for `commit_record`.
    fn uses_commit_record(&self) -> bool {
        false
    }

    async fn start(&mut self, context: SourceTaskContext, raw: RawConfig) -> Result<()> {
        let config = JdbcSourceConfig::parse(&raw)?;
        let tables = task_tables(&raw)?;
        let settings = config.connection_settings()?;
        let db = settings.connect(2).await?;
        let mode = config.mode();
        let base = QuerySpec {
            dialect: db.dialect(),
            table: None,
            query: config.query().map(str::to_string),
            mode,
            timestamp_columns: config.timestamp_columns(),
            incrementing_column: config.incrementing_column().map(str::to_string),
            suffix: config.query_suffix.clone(),
            quote: config.quote(),
            timezone: config.timezone(),
            mapping: config.numeric_mapping(),
            delay_nanos: i64::try_from(config.timestamp_delay().as_nanos()).unwrap_or(i64::MAX),
            chunk: config.batch_max_rows().clamp(super::query::FETCH_CHUNK_ROWS, 4096),
        };
        let mut sources: Vec<(Arc<QuerySpec>, OffsetMap, String, Vec<OffsetMap>)> = Vec::new();
        if config.query().is_some() {
            sources.push((
                Arc::new(base.clone()),
                query_partition(),
                config.topic_prefix.clone(),
                vec![query_partition()],
            ));
        } else {
            for t in &tables {
                if config.validate_non_null
                    && mode != Mode::Bulk
                    && !check_non_null(&db, &config, t).await?
                {
                    warn!(table = %t, "table no longer exists; skipping it");
                    continue;
                }
                let legacy = table_partition(t);
                let qualified =
                    OffsetMap::new().with("protocol", "1").with(TABLE_KEY, t.qualified());
                sources.push((
                    Arc::new(QuerySpec { table: Some(t.clone()), ..base.clone() }),
                    legacy.clone(),
                    format!("{}{}", config.topic_prefix, t.name),
                    vec![legacy, qualified],
                ));
            }
        }
        let lookups: Vec<OffsetMap> = sources.iter().flat_map(|s| s.3.iter().cloned()).collect();
        let committed = context.offset_storage_reader().offsets(&lookups).await?;
        let now = Instant::now();
        let mut queriers = Vec::with_capacity(sources.len());
        for (spec, partition, topic, keys) in sources {
            let offset = keys.iter().find_map(|k| committed.get(k));
            let state = match mode {
                Mode::Bulk => ModeState::Bulk,
                Mode::Incrementing => ModeState::Incrementing {
                    last: offset.and_then(|o| o.get_i64(INCREMENTING_KEY)),
                },
                Mode::Timestamp | Mode::TimestampIncrementing => {
                    let inc = match mode {
                        Mode::TimestampIncrementing => {
                            offset.and_then(|o| o.get_i64(INCREMENTING_KEY))
                        }
                        _ => None,
                    };
                    let lower = match (offset.and_then(offset_timestamp), config.timestamp_initial)
                    {
                        (Some(ts), _) => Lower::After { ts, inc },
                        (None, Some(-1)) => Lower::Now,
                        (None, Some(ms)) => {
                            Lower::After { ts: ms.saturating_mul(1_000_000), inc: None }
                        }
                        (None, None) => Lower::Beginning,
                    };
                    ModeState::Timestamp { lower, emitted: HashMap::new() }
                }
            };
            info!(source = ?spec.table.as_ref().map(TableId::qualified), %topic, ?state, "JDBC source querier ready");
            queriers.push(Querier {
                spec,
                partition: Arc::new(partition),
                topic: Arc::from(topic),
                state,
                bind_utc: false,
                next_due: now,
                run: None,
                buffer: VecDeque::new(),
                completed_runs: 0,
                last_plan: None,
            });
        }
        let order = (0..queriers.len()).collect();
        self.running = Some(Running { db, context, config, queriers, order, eof_signalled: false });
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let Some(r) = self.running.as_mut() else {
            return Err(ConnectError::fatal("JdbcSourceTask polled before start"));
        };
        r.poll().await
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(r) = self.running.take() {
            // Dropping the receivers ends the background runs.
            drop(r.queriers);
            r.db.close().await;
        }
        Ok(())
    }
}

impl Running {
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let batch = self.config.batch_max_rows();
        let poll_interval = self.config.poll_interval();
        loop {
            if self.context.cancellation().is_cancelled() {
                return Ok(Vec::new());
            }
            let Some(&idx) = self.order.front() else {
                sleep_or_cancel(&self.context, poll_interval.max(Duration::from_millis(100))).await;
                return Ok(Vec::new());
            };
            let q = &mut self.queriers[idx];
            if q.run.is_none() {
                let now = Instant::now();
                if now < q.next_due {
                    sleep_or_cancel(&self.context, q.next_due - now).await;
                    return Ok(Vec::new());
                }
                q.run = Some(ActiveRun {
                    events: spawn_run(
                        self.db.clone(),
                        q.spec.clone(),
                        q.bounds(),
                        q.last_plan.clone(),
                    ),
                    watermark: None,
                    lower: None,
                    seen: HashMap::new(),
                    finished: None,
                });
            }
            // Receive until a batch is buffered or the run ended (cancel-safe: every
            // event is moved into the querier as soon as it arrives). Bulk and
            // incrementing offsets need no look-ahead, so there the wait is only while
            // nothing is buffered: rows already read go out while the run reads on. The
            // timestamp modes wait, as the offset of a run's last rows depends on
            // knowing that the run ended.
            let eager = !matches!(q.state, ModeState::Timestamp { .. });
            while let Some(run) = q.run.as_mut()
                && run.finished.is_none()
                && q.buffer.len() < batch
            {
                let event = if q.buffer.is_empty() || !eager {
                    tokio::select! {
                        e = run.events.recv() => e,
                        _ = self.context.cancellation().cancelled() => return Ok(Vec::new()),
                    }
                } else {
                    match run.events.try_recv() {
                        Ok(e) => Some(e),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                    }
                };
                match event {
                    Some(RunEvent::Started { watermark, lower }) => {
                        run.watermark = watermark;
                        run.lower = lower;
                    }
                    Some(RunEvent::Rows(rows)) => q.buffer.extend(rows),
                    Some(RunEvent::Done(plan)) => run.finished = Some(Ok(plan)),
                    Some(RunEvent::Failed(e)) => run.finished = Some(Err(e)),
                    None => {
                        run.finished =
                            Some(Err(ConnectError::fatal("the query run stopped unexpectedly")))
                    }
                }
            }
            let failed = matches!(q.run.as_ref().and_then(|r| r.finished.as_ref()), Some(Err(_)));
            if failed {
                return self.handle_failure(idx).await;
            }
            let mut records = Vec::with_capacity(batch.min(q.buffer.len()));
            q.drain(batch, &mut records);
            if q.buffer.is_empty()
                && let Some(Ok(plan)) = q.run.as_mut().and_then(|r| r.finished.take())
            {
                q.finish_run(plan, poll_interval);
                self.order.rotate_left(1);
                self.maybe_signal_eof();
            }
            if !records.is_empty() {
                return Ok(records);
            }
        }
    }

    fn maybe_signal_eof(&mut self) {
        if !self.eof_signalled && self.queriers.iter().all(|q| q.completed_runs > 0) {
            self.eof_signalled = true;
            self.context.signal_end_of_input();
        }
    }

    /// A run failed: a table that was dropped is left out (the connector's monitor
    /// re-plans the tasks); any other error is returned, retriable ones to be retried.
    async fn handle_failure(&mut self, idx: usize) -> Result<Vec<SourceRecord>> {
        let q = &mut self.queriers[idx];
        let error = match q.run.take().and_then(|r| r.finished) {
            Some(Err(e)) => e,
            _ => return Ok(Vec::new()),
        };
        q.buffer.clear();
        q.next_due = Instant::now() + self.config.poll_interval();
        // Said now: the checks below wait on the database, and the worker may drop this
        // poll (to commit offsets) before they end; the next poll starts a new run.
        warn!(query = %q.label(), error = %error, "reading the table failed");
        if let Some(table) = q.spec.table.clone() {
            match exists(&self.db, &table).await {
                Ok(false) => {
                    warn!(table = %table, error = %error, "table disappeared; it is no longer polled");
                    self.order.retain(|&i| i != idx);
                    // Its place in the end-of-input accounting is settled.
                    self.queriers[idx].completed_runs = self.queriers[idx].completed_runs.max(1);
                    self.maybe_signal_eof();
                    return Ok(Vec::new());
                }
                Ok(true) => {}
                Err(e) => {
                    warn!(table = %table, error = %e, "could not check whether the table exists")
                }
            }
        }
        let label = self.queriers[idx].label();
        Err(error.context(format!("reading {label}")))
    }
}
