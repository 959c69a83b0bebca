//! Writing a batch of rows in one transaction: multi-row statements (or COPY), a
//! savepoint around each statement, and on a statement that fails for a reason other
//! than a transient one, a bisection that keeps every row before the bad one and
//! finds the bad one.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures::future::BoxFuture;
#[cfg(feature = "mysql")]
use sqlx::MySql;
#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::error::BoxDynError;
#[cfg(feature = "mysql")]
use sqlx::mysql::MySqlArguments;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgArguments;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Executor, Transaction};

use crate::connection::Db;
use crate::sink::config::InsertMethod;
#[cfg(feature = "postgres")]
use crate::sink::copy;
use crate::sink::plan::{Action, Plan};
use crate::sink::types::{BindKind, SqlValue, copy_text};

/// One record's row, ready to write.
#[derive(Debug)]
pub struct Op {
    /// The plan of its shape.
    pub plan: Arc<Plan>,
    /// What to do with it.
    pub action: Action,
    /// The bound values, in plan column order.
    pub row: Vec<SqlValue>,
    /// The record's position in the batch.
    pub index: usize,
}

/// Why writing stopped.
#[derive(Debug)]
pub enum WriteError {
    /// A database error; [`crate::connection::classify`] decides whether it is transient.
    Db(sqlx::Error),
    /// The op at this position of the slice failed on its own (everything before it
    /// was committed).
    Op(usize, sqlx::Error),
}

enum Tx {
    #[cfg(feature = "postgres")]
    Pg(Transaction<'static, Postgres>),
    /// With the smallest `max_allowed_packet` of the pool's connections, when known.
    #[cfg(feature = "mysql")]
    My(Transaction<'static, MySql>, Option<usize>),
    #[cfg(feature = "sqlite")]
    Lite(Transaction<'static, Sqlite>),
}

macro_rules! add {
    ($args:expr, $v:expr) => {
        $args.add($v)
    };
}

#[cfg(feature = "postgres")]
fn bind_pg(a: &mut PgArguments, kind: &BindKind, v: &SqlValue) -> Result<(), BoxDynError> {
    match v {
        SqlValue::Null => match kind {
            BindKind::I8 | BindKind::I16 => add!(a, None::<i16>),
            BindKind::I32 => add!(a, None::<i32>),
            BindKind::I64 => add!(a, None::<i64>),
            BindKind::F32 => add!(a, None::<f32>),
            BindKind::F64 => add!(a, None::<f64>),
            BindKind::Bool => add!(a, None::<bool>),
            BindKind::Bytes => add!(a, None::<Vec<u8>>),
            BindKind::Decimal => add!(a, None::<BigDecimal>),
            BindKind::Date => add!(a, None::<NaiveDate>),
            BindKind::Time => add!(a, None::<NaiveTime>),
            BindKind::Timestamp => add!(a, None::<NaiveDateTime>),
            BindKind::TimestampTz => add!(a, None::<DateTime<Utc>>),
            BindKind::Text | BindKind::Other(_) | BindKind::Any => add!(a, None::<String>),
        },
        SqlValue::Bool(b) => add!(a, *b),
        SqlValue::I8(n) => add!(a, i16::from(*n)),
        SqlValue::I16(n) => add!(a, *n),
        SqlValue::I32(n) => add!(a, *n),
        SqlValue::I64(n) => add!(a, *n),
        SqlValue::F32(f) => add!(a, *f),
        SqlValue::F64(f) => add!(a, *f),
        SqlValue::Text(s) => add!(a, s.as_str()),
        SqlValue::Bytes(b) => add!(a, b.as_slice()),
        SqlValue::Decimal(d) => add!(a, d),
        SqlValue::Date(d) => add!(a, *d),
        SqlValue::Time(t) => add!(a, *t),
        SqlValue::Timestamp(t) => add!(a, *t),
        SqlValue::TimestampTz(t) => add!(a, *t),
    }
}

#[cfg(feature = "mysql")]
fn bind_my(a: &mut MySqlArguments, kind: &BindKind, v: &SqlValue) -> Result<(), BoxDynError> {
    match v {
        SqlValue::Null => match kind {
            BindKind::I8 => add!(a, None::<i8>),
            BindKind::I16 => add!(a, None::<i16>),
            BindKind::I32 => add!(a, None::<i32>),
            BindKind::I64 => add!(a, None::<i64>),
            BindKind::F32 => add!(a, None::<f32>),
            BindKind::F64 => add!(a, None::<f64>),
            BindKind::Bool => add!(a, None::<bool>),
            BindKind::Bytes => add!(a, None::<Vec<u8>>),
            BindKind::Decimal => add!(a, None::<BigDecimal>),
            BindKind::Date => add!(a, None::<NaiveDate>),
            BindKind::Time => add!(a, None::<NaiveTime>),
            BindKind::Timestamp => add!(a, None::<NaiveDateTime>),
            BindKind::TimestampTz => add!(a, None::<DateTime<Utc>>),
            BindKind::Text | BindKind::Other(_) | BindKind::Any => add!(a, None::<String>),
        },
        SqlValue::Bool(b) => add!(a, *b),
        SqlValue::I8(n) => add!(a, *n),
        SqlValue::I16(n) => add!(a, *n),
        SqlValue::I32(n) => add!(a, *n),
        SqlValue::I64(n) => add!(a, *n),
        SqlValue::F32(f) => add!(a, *f),
        SqlValue::F64(f) => add!(a, *f),
        SqlValue::Text(s) => add!(a, s.as_str()),
        SqlValue::Bytes(b) => add!(a, b.as_slice()),
        SqlValue::Decimal(d) => add!(a, d),
        SqlValue::Date(d) => add!(a, *d),
        SqlValue::Time(t) => add!(a, *t),
        SqlValue::Timestamp(t) => add!(a, *t),
        SqlValue::TimestampTz(t) => add!(a, *t),
    }
}

#[cfg(feature = "sqlite")]
fn bind_lite<'q>(a: &mut SqliteArguments<'q>, v: &'q SqlValue) -> Result<(), BoxDynError> {
    match v {
        SqlValue::Null => add!(a, None::<i64>),
        SqlValue::Bool(b) => add!(a, *b),
        SqlValue::I8(n) => add!(a, i64::from(*n)),
        SqlValue::I16(n) => add!(a, i64::from(*n)),
        SqlValue::I32(n) => add!(a, i64::from(*n)),
        SqlValue::I64(n) => add!(a, *n),
        SqlValue::F32(f) => add!(a, f64::from(*f)),
        SqlValue::F64(f) => add!(a, *f),
        SqlValue::Text(s) => add!(a, s.as_str()),
        SqlValue::Bytes(b) => add!(a, b.as_slice()),
        SqlValue::Decimal(d) => add!(a, d.to_plain_string()),
        SqlValue::Date(d) => add!(a, *d),
        SqlValue::Time(t) => add!(a, *t),
        SqlValue::Timestamp(t) => add!(a, *t),
        SqlValue::TimestampTz(t) => add!(a, t.naive_utc()),
    }
}

fn encode_error(e: BoxDynError) -> sqlx::Error {
    sqlx::Error::Encode(e)
}

/// The parameters of a statement: for each op, the plan columns `cols` of its row.
struct Params<'a> {
    ops: &'a [Op],
    cols: &'a [usize],
}

impl Tx {
    async fn begin(db: &Db, max_packet: Option<usize>) -> Result<Tx, sqlx::Error> {
        // Only MySQL statements are sized by a packet.
        #[cfg(not(feature = "mysql"))]
        let _ = max_packet;
        Ok(match db {
            #[cfg(feature = "postgres")]
            Db::Postgres(p) => Tx::Pg(p.begin().await?),
            #[cfg(feature = "mysql")]
            Db::MySql(p) => Tx::My(p.begin().await?, max_packet),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(p) => Tx::Lite(p.begin().await?),
        })
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "postgres")]
            Tx::Pg(t) => t.commit().await,
            #[cfg(feature = "mysql")]
            Tx::My(t, _) => t.commit().await,
            #[cfg(feature = "sqlite")]
            Tx::Lite(t) => t.commit().await,
        }
    }

    /// The packet budget of MySQL statements, when known.
    fn max_packet(&self) -> Option<usize> {
        match self {
            #[cfg(feature = "mysql")]
            Tx::My(_, max) => *max,
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// A control statement (savepoints) through the simple protocol.
    fn raw<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            match self {
                #[cfg(feature = "postgres")]
                Tx::Pg(t) => (&mut **t).execute(sql).await.map(|_| ()),
                #[cfg(feature = "mysql")]
                Tx::My(t, _) => (&mut **t).execute(sql).await.map(|_| ()),
                #[cfg(feature = "sqlite")]
                Tx::Lite(t) => (&mut **t).execute(sql).await.map(|_| ()),
            }
        })
    }

    fn exec<'a>(
        &'a mut self,
        sql: &'a str,
        p: Params<'a>,
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            match self {
                #[cfg(feature = "postgres")]
                Tx::Pg(t) => {
                    let mut args = PgArguments::default();
                    for op in p.ops {
                        for &c in p.cols {
                            bind_pg(&mut args, &op.plan.columns[c].kind, &op.row[c])
                                .map_err(encode_error)?;
                        }
                    }
                    Ok(sqlx::query_with(sql, args).execute(&mut **t).await?.rows_affected())
                }
                #[cfg(feature = "mysql")]
                Tx::My(t, _) => {
                    let mut args = MySqlArguments::default();
                    for op in p.ops {
                        for &c in p.cols {
                            bind_my(&mut args, &op.plan.columns[c].kind, &op.row[c])
                                .map_err(encode_error)?;
                        }
                    }
                    Ok(sqlx::query_with(sql, args).execute(&mut **t).await?.rows_affected())
                }
                #[cfg(feature = "sqlite")]
                Tx::Lite(t) => {
                    let mut args = SqliteArguments::default();
                    for op in p.ops {
                        for &c in p.cols {
                            bind_lite(&mut args, &op.row[c]).map_err(encode_error)?;
                        }
                    }
                    Ok(sqlx::query_with(sql, args).execute(&mut **t).await?.rows_affected())
                }
            }
        })
    }

    /// Without PostgreSQL built in, there is no COPY.
    #[cfg(not(feature = "postgres"))]
    fn copy<'a>(
        &'a mut self,
        _plan: &'a Plan,
        _ops: &'a [Op],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move { Err(sqlx::Error::Protocol("COPY needs PostgreSQL".into())) })
    }

    /// Streams the rows of `ops` with COPY … FROM STDIN, in binary format when the plan
    /// allows it (else text), encoded into one buffer sent and reused every `CHUNK` bytes.
    #[cfg(feature = "postgres")]
    fn copy<'a>(
        &'a mut self,
        plan: &'a Plan,
        ops: &'a [Op],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let Tx::Pg(t) = self else {
                return Err(sqlx::Error::Protocol("COPY needs PostgreSQL".into()));
            };
            const CHUNK: usize = 1 << 20;
            let sql = plan.copy_sql();
            let mut copy = t.copy_in_raw(&sql).await?;
            let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
            let kinds: Vec<&BindKind> = plan.columns.iter().map(|c| &c.kind).collect();
            let mut scratch = copy::Scratch::default();
            if plan.copy_binary {
                copy::header(&mut buf);
            }
            for op in ops {
                if plan.copy_binary {
                    if let Err(e) = copy::row(&kinds, &op.row, &mut buf, &mut scratch) {
                        // Ends the COPY (the server rolls it back); the caller bisects.
                        copy.abort("a value has no binary COPY form").await?;
                        return Err(encode_error(e));
                    }
                } else {
                    for (i, v) in op.row.iter().enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        copy_text(v, &mut buf);
                    }
                    buf.push(b'\n');
                }
                if buf.len() >= CHUNK {
                    copy.send(buf.as_slice()).await?;
                    buf.clear();
                }
            }
            if plan.copy_binary {
                copy::trailer(&mut buf);
            }
            if !buf.is_empty() {
                copy.send(buf.as_slice()).await?;
            }
            copy.finish().await
        })
    }
}

/// Splits `ops` (one plan, one action) into statements: at most
/// `rows_per_statement` rows each, for PostgreSQL upserts no key twice in one
/// statement (`ON CONFLICT` cannot touch a row twice in one command), and with a MySQL
/// `max_allowed_packet` no statement (its SQL when prepared, its parameters when
/// executed) larger than the packet. Each statement then has one of a few row counts
/// ([`shapes`]), so batches of any size reuse the same prepared statements.
fn statements(ops: &[Op], action: Action, max_packet: Option<usize>) -> Vec<Range<usize>> {
    let Some(first) = ops.first() else { return Vec::new() };
    let plan = &first.plan;
    let per = plan.rows_per_statement.max(1);
    let split_dups = action == Action::Upsert && plan.dialect == crate::Dialect::Postgres;
    // A packet budget: the statement's fixed part, then each row's share.
    let budget = max_packet.map(|max| {
        let one = plan.insert_sql_cached(action, 1).len();
        let sql_per_row = plan.insert_sql_cached(action, 2).len().saturating_sub(one);
        (max.saturating_sub(PACKET_MARGIN + one), sql_per_row)
    });
    let mut out = Vec::new();
    let mut start = 0;
    let mut keys: HashSet<&[SqlValue]> = HashSet::new();
    while start < ops.len() {
        // The longest statement from `start`; `cut` when a limit (not a repeated key or
        // the end of the batch) ends it.
        let (mut end, mut cut, mut bytes) = (start, false, 0usize);
        keys.clear();
        while end < ops.len() {
            let row = &ops[end].row;
            if end - start >= per {
                cut = true;
                break;
            }
            if split_dups && !keys.insert(&row[..plan.n_keys]) {
                break;
            }
            if let Some((b, sql)) = budget {
                let row_bytes = sql.max(mysql_row_bytes(row));
                if end > start && bytes.saturating_add(row_bytes) > b {
                    cut = true;
                    break;
                }
                bytes = bytes.saturating_add(row_bytes);
            }
            end += 1;
        }
        if cut {
            // A full statement: the largest shape that fits, then go on after it.
            let n = shape(end - start, per);
            out.push(start..start + n);
            start += n;
        } else {
            shapes(start..end, per, &mut out);
            start = end;
        }
    }
    out
}

/// Bytes kept free below `max_allowed_packet` for the packet and command headers.
const PACKET_MARGIN: usize = 1024;

/// The largest statement shape of at most `rows` rows: `per`, or a power of two below
/// it (at most log2(`per`) + 2 shapes per plan and action).
fn shape(rows: usize, per: usize) -> usize {
    if rows >= per { per } else { 1 << rows.max(1).ilog2() }
}

/// Splits `range` into statements of the largest shapes, largest first.
fn shapes(range: Range<usize>, per: usize, out: &mut Vec<Range<usize>>) {
    let mut start = range.start;
    while start < range.end {
        let n = shape(range.end - start, per);
        out.push(start..start + n);
        start += n;
    }
}

/// An upper bound of the bytes a row's parameters take in a MySQL `COM_STMT_EXECUTE`:
/// per parameter its type (2 bytes) and value (a length prefix of up to 9 bytes for
/// variable-length ones), and the row's share of the NULL bitmap.
fn mysql_row_bytes(row: &[SqlValue]) -> usize {
    let values: usize = row
        .iter()
        .map(|v| match v {
            SqlValue::Null => 0,
            SqlValue::Bool(_) | SqlValue::I8(_) => 1,
            SqlValue::I16(_) => 2,
            SqlValue::I32(_) | SqlValue::F32(_) => 4,
            SqlValue::I64(_) | SqlValue::F64(_) => 8,
            SqlValue::Text(s) => s.len() + 9,
            SqlValue::Bytes(b) => b.len() + 9,
            // Sent as text: digits, sign, point and zeros of a negative exponent.
            SqlValue::Decimal(d) => {
                let digits = usize::try_from(d.digits()).unwrap_or(usize::MAX / 2);
                let scale = usize::try_from(d.fractional_digit_count().unsigned_abs())
                    .unwrap_or(usize::MAX / 2);
                digits.saturating_add(scale).saturating_add(12)
            }
            SqlValue::Date(_) => 5,
            SqlValue::Time(_) => 13,
            SqlValue::Timestamp(_) | SqlValue::TimestampTz(_) => 12,
        })
        .fold(0usize, usize::saturating_add);
    values.saturating_add(row.len() * 2 + row.len().div_ceil(8))
}

/// Writes `ops` (one plan, one action) as multi-row statements, or one per row for
/// updates and deletes. On failure returns the position (in `ops`) of the first row of
/// the failing statement and that statement's end.
fn write_rows<'a>(
    tx: &'a mut Tx,
    ops: &'a [Op],
    action: Action,
) -> BoxFuture<'a, Result<(), (Range<usize>, sqlx::Error)>> {
    Box::pin(async move {
        let Some(first) = ops.first() else { return Ok(()) };
        let plan = Arc::clone(&first.plan);
        let n = plan.columns.len();
        match action {
            Action::Insert | Action::Upsert => {
                let all: Vec<usize> = (0..n).collect();
                for range in statements(ops, action, tx.max_packet()) {
                    let sql = plan.insert_sql_cached(action, range.len());
                    let p = Params { ops: &ops[range.clone()], cols: &all };
                    tx.exec(&sql, p).await.map_err(|e| (range, e))?;
                }
            }
            Action::Update => {
                let Some(sql) = plan.update_sql() else { return Ok(()) };
                let order: Vec<usize> = (plan.n_keys..n).chain(0..plan.n_keys).collect();
                for i in 0..ops.len() {
                    let p = Params { ops: &ops[i..=i], cols: &order };
                    tx.exec(sql, p).await.map_err(|e| (i..i + 1, e))?;
                }
            }
            Action::Delete => {
                let keys: Vec<usize> = (0..plan.n_keys).collect();
                for i in 0..ops.len() {
                    let p = Params { ops: &ops[i..=i], cols: &keys };
                    tx.exec(plan.delete_sql(), p).await.map_err(|e| (i..i + 1, e))?;
                }
            }
        }
        Ok(())
    })
}

const SAVEPOINT: &str = "SAVEPOINT connect_jdbc_sink";
const RELEASE: &str = "RELEASE SAVEPOINT connect_jdbc_sink";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT connect_jdbc_sink";

/// Writes `ops` in one transaction and commits it. `max_packet` is MySQL's
/// `max_allowed_packet` (the smallest of the pool's connections, see
/// [`crate::connection::PacketLimit`]): no statement is larger.
///
/// Consecutive ops of the same plan and action form a segment, written with
/// multi-row statements (or one COPY with `insert.method=copy`), each behind a
/// savepoint. When a statement fails:
/// - with a transient error ([`crate::connection::is_transient`]), the transaction is
///   rolled back and the error returned (the caller retries the whole batch);
/// - otherwise the statement's rows are bisected (savepoints again) until the first row
///   that fails alone is found; the rows before it are kept, the transaction is
///   committed and [`WriteError::Op`] names that row.
pub fn write<'a>(
    db: &'a Db,
    ops: &'a [Op],
    method: InsertMethod,
    max_packet: Option<usize>,
) -> BoxFuture<'a, Result<(), WriteError>> {
    Box::pin(async move {
        if ops.is_empty() {
            return Ok(());
        }
        let mut tx = Tx::begin(db, max_packet).await.map_err(WriteError::Db)?;
        let mut start = 0;
        while start < ops.len() {
            let plan = &ops[start].plan;
            let action = ops[start].action;
            let mut end = start + 1;
            while end < ops.len() && Arc::ptr_eq(&ops[end].plan, plan) && ops[end].action == action
            {
                end += 1;
            }
            let segment = &ops[start..end];
            let copy = method == InsertMethod::Copy
                && action == Action::Insert
                && plan.dialect == crate::Dialect::Postgres;
            tx.raw(SAVEPOINT).await.map_err(WriteError::Db)?;
            let result = if copy {
                tx.copy(plan, segment).await.map(|_| ()).map_err(|e| (0..segment.len(), e))
            } else {
                write_rows(&mut tx, segment, action).await
            };
            match result {
                Ok(()) => tx.raw(RELEASE).await.map_err(WriteError::Db)?,
                Err((_, e)) if crate::connection::is_transient(&e) => {
                    return Err(WriteError::Db(e));
                }
                Err((range, e)) => {
                    tx.raw(ROLLBACK_TO).await.map_err(WriteError::Db)?;
                    // Everything before the failing statement, again (it succeeded once).
                    if range.start > 0
                        && let Err((_, e)) =
                            write_rows(&mut tx, &segment[..range.start], action).await
                    {
                        return Err(WriteError::Db(e));
                    }
                    let bad = bisect(&mut tx, &segment[range.clone()], action, e).await?;
                    match bad {
                        Some((i, e)) => {
                            tx.commit().await.map_err(WriteError::Db)?;
                            return Err(WriteError::Op(start + range.start + i, e));
                        }
                        // Every row went in on its own: go on after the statement.
                        None => {
                            if let Err((_, e)) =
                                write_rows(&mut tx, &segment[range.end..], action).await
                            {
                                return Err(WriteError::Db(e));
                            }
                        }
                    }
                }
            }
            start = end;
        }
        tx.commit().await.map_err(WriteError::Db)
    })
}

/// Finds the first op of `ops` that fails on its own, writing the ones before it.
/// `first_error` is the error of the whole range (returned when it is a single op).
fn bisect<'a>(
    tx: &'a mut Tx,
    ops: &'a [Op],
    action: Action,
    first_error: sqlx::Error,
) -> BoxFuture<'a, Result<Option<(usize, sqlx::Error)>, WriteError>> {
    Box::pin(async move {
        if ops.len() == 1 {
            return Ok(Some((0, first_error)));
        }
        let (mut lo, mut hi) = (0, ops.len() / 2);
        while lo < ops.len() {
            tx.raw(SAVEPOINT).await.map_err(WriteError::Db)?;
            match write_rows(tx, &ops[lo..hi], action).await {
                Ok(()) => {
                    tx.raw(RELEASE).await.map_err(WriteError::Db)?;
                    lo = hi;
                    hi = ops.len();
                }
                Err((_, e)) if crate::connection::is_transient(&e) => {
                    return Err(WriteError::Db(e));
                }
                Err((_, e)) => {
                    tx.raw(ROLLBACK_TO).await.map_err(WriteError::Db)?;
                    if hi - lo == 1 {
                        return Ok(Some((lo, e)));
                    }
                    hi = lo + (hi - lo) / 2;
                }
            }
        }
        Ok(None)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::Dialect;
    use crate::sink::metadata::TableId;
    use crate::sink::plan::{Column, Source};

    fn make_ops(dialect: Dialect, batch: usize, rows: Vec<Vec<SqlValue>>) -> Vec<Op> {
        let columns = [BindKind::I64, BindKind::Text]
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Column { sql_name: format!("c{i}"), source: Source::Topic, kind })
            .collect();
        let plan = Arc::new(Plan::new(TableId::parse("t"), dialect, false, columns, 1, batch));
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| Op { plan: Arc::clone(&plan), action: Action::Insert, row, index })
            .collect()
    }

    fn rows(n: usize, text: usize) -> Vec<Vec<SqlValue>> {
        (0..n).map(|i| vec![SqlValue::I64(i as i64), SqlValue::Text("x".repeat(text))]).collect()
    }

    fn covers(ranges: &[Range<usize>], n: usize) {
        let mut next = 0;
        for r in ranges {
            assert_eq!(r.start, next, "{ranges:?}");
            assert!(r.end > r.start, "{ranges:?}");
            next = r.end;
        }
        assert_eq!(next, n);
    }

    #[test]
    fn batches_of_any_size_use_a_few_statement_shapes() {
        let mut shapes = HashSet::new();
        for n in (1..700).chain([2999, 3000, 3001, 5000, 12_345]) {
            let ops = make_ops(Dialect::Postgres, 3000, rows(n, 1));
            let ranges = statements(&ops, Action::Insert, None);
            covers(&ranges, n);
            for r in &ranges {
                assert!(r.len() == 3000 || r.len().is_power_of_two(), "{n}: {ranges:?}");
                shapes.insert(r.len());
            }
            // Largest first: at most one statement of each smaller shape.
            let small: Vec<usize> = ranges.iter().map(|r| r.len()).filter(|&l| l < 3000).collect();
            assert!(small.windows(2).all(|w| w[0] > w[1]), "{n}: {small:?}");
        }
        assert!(shapes.len() <= 13, "{shapes:?}");
    }

    #[test]
    fn mysql_statements_fit_max_allowed_packet_and_pack_small_rows() {
        let max = 64 * 1024;
        let ops = make_ops(Dialect::MySql, 3000, rows(1000, 1000));
        let ranges = statements(&ops, Action::Insert, Some(max));
        covers(&ranges, 1000);
        for r in &ranges {
            let params: usize = ops[r.clone()].iter().map(|op| mysql_row_bytes(&op.row)).sum();
            let sql = ops[0].plan.insert_sql(Action::Insert, r.len()).len();
            assert!(params + PACKET_MARGIN <= max && sql <= max, "{r:?}: {params} bytes");
        }
        // Rows of ~1 kB: 32 to a statement (the power of two below the ~60 that fit).
        assert!(ranges.iter().take(30).all(|r| r.len() == 32), "{ranges:?}");
        // Small rows: batch.size rows to a statement, as without a packet limit.
        let small = make_ops(Dialect::MySql, 3000, rows(6000, 1));
        let ranges = statements(&small, Action::Insert, Some(1 << 20));
        assert_eq!(ranges, [0..3000, 3000..6000]);
        // One row larger than the packet still goes (alone): the server names the problem.
        let huge = make_ops(Dialect::MySql, 3000, rows(3, 100_000));
        assert_eq!(statements(&huge, Action::Insert, Some(max)), [0..1, 1..2, 2..3]);
    }
}
