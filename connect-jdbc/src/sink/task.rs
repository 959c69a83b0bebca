//! [`JdbcSinkTask`]: turns each `put` batch into rows and writes them in one
//! transaction, committed before `put` returns.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::{ConnectRecord, OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result, SinkTask};
use tracing::{debug, info, warn};

use crate::connection::{Db, PacketLimit, classify};
use crate::dialect::Dialect;
use crate::sink::config::{InsertMethod, InsertMode, JdbcSinkConfig};
use crate::sink::metadata::{self, NewColumn, TableId, TableInfo};
use crate::sink::plan::{Action, Column, FieldSpec, Mapping, Plan, PlanKey};
use crate::sink::types::TimeZone;
use crate::sink::writer::{self, Op, WriteError};

/// Writes records to tables (Confluent's `JdbcSinkTask`).
///
/// Each `put` converts the batch to rows (one cached [`Plan`] per topic and
/// key/value schema, creating or evolving the table first when allowed) and writes
/// them in one transaction before returning, so `flush` has nothing left to do:
/// whatever `put` acknowledged is committed in the database.
///
/// - A transient database error (connection lost, deadlock, lock timeout, busy:
///   [`crate::connection::classify`]) rolls the transaction back and the whole batch is
///   tried again, `max.retries` times `retry.backoff.ms` apart; after that `put`
///   returns the error as retriable and the runtime redelivers the batch.
/// - A record that cannot be written (a value that does not convert, a NOT NULL or
///   length violation, a missing table without `auto.create`…) fails `put` with a
///   non-retriable error naming its topic, partition and offset; every record before it
///   in the batch is committed first (the failing statement is bisected to find it).
/// - Tombstones delete the row with the record key when `delete.enabled=true`, and are
///   skipped otherwise.
#[derive(Debug, Default)]
pub struct JdbcSinkTask {
    state: Option<State>,
}

impl JdbcSinkTask {
    /// A task that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug)]
struct State {
    config: JdbcSinkConfig,
    context: SinkTaskContext,
    db: Db,
    packet: PacketLimit,
    dialect: Dialect,
    mapping: Mapping,
    mode: InsertMode,
    method: InsertMethod,
    tz: TimeZone,
    quote: bool,
    tables: HashMap<TableId, TableInfo>,
    plans: HashMap<PlanKey, Arc<Plan>>,
    last: Option<(PlanKey, Arc<Plan>)>,
}

/// Why a record has no plan.
enum PlanError {
    /// A transient database error: retry the batch.
    Transient(ConnectError),
    /// The record cannot be written (the message says why).
    Record(String),
}

fn coordinates(r: &SinkRecord) -> String {
    format!(
        "topic={} partition={} offset={}",
        r.original_topic(),
        r.original_kafka_partition(),
        r.original_kafka_offset()
    )
}

fn ddl_error(e: ConnectError) -> PlanError {
    if e.is_retriable() { PlanError::Transient(e) } else { PlanError::Record(e.message().into()) }
}

impl State {
    fn forget_tables(&mut self) {
        self.tables.clear();
        self.plans.clear();
        self.last = None;
    }

    async fn plan(
        &mut self,
        key: PlanKey,
        record: &SinkRecord,
    ) -> std::result::Result<Option<Arc<Plan>>, PlanError> {
        if let Some((k, p)) = &self.last
            && *k == key
        {
            return Ok(Some(Arc::clone(p)));
        }
        if let Some(p) = self.plans.get(&key) {
            let p = Arc::clone(p);
            self.last = Some((key, Arc::clone(&p)));
            return Ok(Some(p));
        }
        let delete = key.delete;
        let fields = self.mapping.fields(record, delete).map_err(PlanError::Record)?;
        if fields.is_empty() {
            return Err(PlanError::Record("the record has no field to write".into()));
        }
        let table = TableId::parse(&self.config.table_name(record.topic()));
        let Some(info) = self.table_info(&table, &fields, delete).await? else {
            return Ok(None);
        };
        let mut columns = Vec::with_capacity(fields.len());
        for f in &fields {
            let col = info.column(&f.name).ok_or_else(|| {
                PlanError::Record(format!("table {table} has no column {}", f.name))
            })?;
            columns.push(Column {
                sql_name: self.dialect.identifier(&col.name, self.quote),
                source: f.source.clone(),
                kind: col.kind.clone(),
            });
        }
        let n_keys = fields.iter().filter(|f| f.key).count();
        let batch = usize::try_from(self.config.batch_size).unwrap_or(1);
        let plan = Arc::new(Plan::new(table, self.dialect, self.quote, columns, n_keys, batch));
        debug!(table = %plan.table, columns = plan.columns.len(), "new insert plan");
        self.plans.insert(key.clone(), Arc::clone(&plan));
        self.last = Some((key, Arc::clone(&plan)));
        Ok(Some(plan))
    }

    /// The table's columns after creating or evolving it as configured; `None` when
    /// the table does not exist and the record is a delete.
    async fn table_info(
        &mut self,
        table: &TableId,
        fields: &[FieldSpec],
        delete: bool,
    ) -> std::result::Result<Option<TableInfo>, PlanError> {
        let cached = self.tables.get(table).cloned();
        let mut info = match cached {
            Some(i) => Some(i),
            None => metadata::describe(&self.db, table, self.quote).await.map_err(ddl_error)?,
        };
        if info.is_none() {
            if delete {
                return Ok(None);
            }
            if !self.config.auto_create {
                return Err(PlanError::Record(format!(
                    "table {table} does not exist and auto.create is disabled"
                )));
            }
            if let Some(f) = fields.iter().find(|f| f.schema.is_none()) {
                return Err(PlanError::Record(format!(
                    "table {table} does not exist and the record carries no schema for field \
                     {:?}: a schema is needed to create it (send records with schemas, e.g. \
                     JsonConverter with schemas.enable=true, or create the table first)",
                    f.name
                )));
            }
            let cols: Vec<NewColumn<'_>> = fields
                .iter()
                .filter_map(|f| {
                    f.schema.as_ref().map(|s| NewColumn { name: &f.name, schema: s, key: f.key })
                })
                .collect();
            metadata::create_table(&self.db, table, &cols, self.quote).await.map_err(ddl_error)?;
            info = metadata::describe(&self.db, table, self.quote).await.map_err(ddl_error)?;
        }
        let Some(mut info) = info else {
            return Err(PlanError::Record(format!("table {table} is missing after CREATE TABLE")));
        };
        let missing: Vec<&FieldSpec> =
            fields.iter().filter(|f| info.column(&f.name).is_none()).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|f| f.name.as_str()).collect();
            if !self.config.auto_evolve {
                return Err(PlanError::Record(format!(
                    "table {table} has no column(s) {} and auto.evolve is disabled",
                    names.join(", ")
                )));
            }
            for f in &missing {
                let Some(schema) = &f.schema else {
                    return Err(PlanError::Record(format!(
                        "table {table} has no column {:?} and the record carries no schema for \
                         it: a schema is needed to add the column",
                        f.name
                    )));
                };
                if f.key {
                    return Err(PlanError::Record(format!(
                        "table {table} has no primary key column {:?}; auto.evolve does not \
                         change primary keys",
                        f.name
                    )));
                }
                if !schema.is_optional() && schema.default_value().is_none() {
                    return Err(PlanError::Record(format!(
                        "cannot add column {:?} to table {table}: the field is required and has \
                         no default (auto.evolve only adds nullable or defaulted columns)",
                        f.name
                    )));
                }
                let col = NewColumn { name: &f.name, schema, key: false };
                if let Err(e) = metadata::add_column(&self.db, table, &col, self.quote).await {
                    // Another task may have added it meanwhile.
                    let now = metadata::describe(&self.db, table, self.quote)
                        .await
                        .map_err(ddl_error)?
                        .unwrap_or_default();
                    if now.column(&f.name).is_none() {
                        return Err(ddl_error(e));
                    }
                }
            }
            info = metadata::describe(&self.db, table, self.quote)
                .await
                .map_err(ddl_error)?
                .unwrap_or_default();
        }
        self.tables.insert(table.clone(), info.clone());
        Ok(Some(info))
    }

    /// One attempt at the whole batch. A record the database (or the table's shape)
    /// refuses goes to the errant record reporter when the runtime gives one (the
    /// connector's dead letter queue or error log, as Kafka's JDBC sink does), and the
    /// rest of the batch is written; without a reporter the batch stops there, with the
    /// rows before it written, and the error names the record.
    async fn write_batch(&mut self, records: &[SinkRecord]) -> Result<()> {
        let reporter = self.context.errant_record_reporter().cloned();
        let mut ops: Vec<Op> = Vec::with_capacity(records.len());
        let mut bad: Option<ConnectError> = None;
        let action = Action::from(self.mode);
        for (index, record) in records.iter().enumerate() {
            let tombstone = record.value().is_null();
            if tombstone && !self.config.delete_enabled {
                debug!(record = %coordinates(record), "tombstone skipped (delete.enabled=false)");
                continue;
            }
            let key = self.mapping.plan_key(record, tombstone);
            let plan = match self.plan(key, record).await {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(PlanError::Transient(e)) => return Err(e),
                Err(PlanError::Record(msg)) => {
                    let e = record_error(record, &msg);
                    if let Some(r) = &reporter {
                        r.report(record, &e).await?;
                        continue;
                    }
                    bad = Some(e);
                    break;
                }
            };
            match plan.row(record, &self.tz) {
                Ok(row) => {
                    let action = if tombstone { Action::Delete } else { action };
                    ops.push(Op { plan, action, row, index });
                }
                Err(msg) => {
                    let e = record_error(
                        record,
                        &format!("cannot be written to table {}: {msg}", plan.table),
                    );
                    if let Some(r) = &reporter {
                        r.report(record, &e).await?;
                        continue;
                    }
                    bad = Some(e);
                    break;
                }
            }
        }
        // The rows from `from` on are still to write; each refused row is reported and
        // the write goes on after it.
        let mut from = 0;
        while from < ops.len() {
            let packet = self.packet.get();
            match writer::write(&self.db, &ops[from..], self.method, packet).await {
                Ok(()) => break,
                Err(WriteError::Db(e)) => {
                    return Err(classify(e).context(format!(
                        "writing {} records to {}",
                        ops.len() - from,
                        self.dialect.name()
                    )));
                }
                Err(WriteError::Op(i, e)) => {
                    let op = &ops[from + i];
                    let record = &records[op.index];
                    let msg = format!("cannot be written to table {}: {e}", op.plan.table);
                    // Only a row's own fault is reported; permissions, a missing table and
                    // the like fail the batch.
                    let own_fault = crate::connection::is_record_error(&e);
                    let err = record_error(record, &msg).with_source(e);
                    match &reporter {
                        Some(r) if own_fault => r.report(record, &err).await?,
                        _ => return Err(err),
                    }
                    from += i + 1;
                }
            }
        }
        match bad {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn record_error(record: &SinkRecord, msg: &str) -> ConnectError {
    ConnectError::data(format!("Record {} {msg}", coordinates(record)))
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    fn version(&self) -> String {
        crate::sink::VERSION.to_string()
    }

    async fn start(&mut self, context: SinkTaskContext, config: RawConfig) -> Result<()> {
        let config = JdbcSinkConfig::parse(&config)?;
        let settings = config.connection()?;
        let dialect = settings.dialect();
        let tz = TimeZone::parse(&config.db_timezone).map_err(ConnectError::config)?;
        let packet = PacketLimit::new();
        let db = settings.connect_observing(2, Some(&packet)).await?;
        info!(dialect = dialect.name(), "JdbcSinkTask started");
        self.state = Some(State {
            mapping: Mapping {
                pk_mode: config.pk_mode()?,
                pk_fields: config.pk_fields.clone(),
                whitelist: config.fields_whitelist.clone(),
            },
            mode: config.insert_mode()?,
            method: config.insert_method()?,
            quote: config.quote_identifiers(),
            tz,
            config,
            context,
            db,
            packet,
            dialect,
            tables: HashMap::new(),
            plans: HashMap::new(),
            last: None,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let state = self.state.as_mut().ok_or_else(|| {
            ConnectError::fatal("JdbcSinkTask received records while not started")
        })?;
        if records.is_empty() {
            return Ok(());
        }
        let retries = u32::try_from(state.config.max_retries).unwrap_or(0);
        let backoff = state.config.retry_backoff();
        let mut attempt = 0u32;
        loop {
            match state.write_batch(records).await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_retriable() && attempt < retries => {
                    attempt += 1;
                    warn!(attempt, retries, error = %e, "transient database error, retrying the batch");
                    let cancel = state.context.cancellation().clone();
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = cancel.cancelled() => {
                            return Err(ConnectError::cancelled("JdbcSinkTask stopping during a retry wait"));
                        }
                    }
                }
                Err(e) if e.is_retriable() => {
                    state.context.timeout(backoff);
                    return Err(e.context(format!("after {retries} retries")));
                }
                Err(e) => {
                    state.forget_tables();
                    return Err(e);
                }
            }
        }
    }

    /// Nothing is buffered: `put` commits before it returns.
    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(state) = self.state.take() {
            state.db.close().await;
        }
        Ok(())
    }
}
