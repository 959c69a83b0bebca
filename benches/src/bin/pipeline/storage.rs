//! B7: the HDFS sink (`connect-hdfs`) writing Avro and Parquet files into a local
//! directory, in-process, against raw writer loops writing the same records to the
//! same disk.
//!
//! Ours: the connector is made from its plugin descriptor
//! (`io.confluent.connect.hdfs.HdfsSinkConnector` in `connect_hdfs::plugins()`),
//! started, asked for one task config; the task is created, started with a
//! `SinkTaskContext` assigned one partition, opened, and given the pre-built
//! `SinkRecord`s in batches of [`BATCH`] (the runtime's `max.poll.records`), then
//! `pre_commit` until it reports every offset committed. `flush.size` is
//! [`FLUSH_SIZE`] and the record count a multiple of it, so every file is committed by
//! the `put` that fills it: data file fsync'd on close, write-ahead log entry (fsync),
//! rename, log end (fsync).
//!
//! Baselines: one loop per format writing files of [`FLUSH_SIZE`] records with the
//! format's reference Rust writer on a plain `File` in the same filesystem, converting
//! the Connect values inside the timed loop (apache-avro `Writer` on `Value`s with the
//! sink's Avro schema, codec and block size; parquet `ArrowWriter` on `RecordBatch`es
//! built with arrow builders, with the sink's Arrow schema, codec, row-group and batch
//! sizes), `sync_all` on every finished file.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use connect_api::ConnectError;
use connect_api::config::RawConfig;
use connect_api::context::{ConnectorContext, SinkTaskContext};
use connect_api::data::logical::LogicalType;
use connect_api::data::{Schema, SchemaBuilder, Struct, Timestamp, Type, Value};
use connect_api::plugin::PluginFactory;
use connect_api::record::{
    ConnectRecord as _, OffsetAndMetadata, SinkRecord, TimestampType, TopicPartition,
};
use connect_hdfs::format::{
    AVRO_BLOCK_BYTES, DEFAULT_BATCH_ROWS, DEFAULT_ROW_GROUP_ROWS, connect_to_arrow_schema,
    connect_to_avro_schema,
};
use connect_hdfs::layout::committed_offsets;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::*;

/// The connector class, as the runtime's registry finds it.
const SINK_CLASS: &str = "io.confluent.connect.hdfs.HdfsSinkConnector";
/// The topic the records claim to come from.
const TOPIC: &str = "b7";
/// Records per file (`flush.size`): a few MB per file.
const FLUSH_SIZE: u64 = 50_000;
/// Records per `put` (the runtime's default `max.poll.records`).
const BATCH: usize = 500;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Avro,
    Parquet,
}

impl Fmt {
    fn label(self) -> &'static str {
        match self {
            Fmt::Avro => "Avro",
            Fmt::Parquet => "Parquet",
        }
    }
    fn class(self) -> &'static str {
        match self {
            Fmt::Avro => "io.confluent.connect.hdfs.avro.AvroFormat",
            Fmt::Parquet => "io.confluent.connect.hdfs.parquet.ParquetFormat",
        }
    }
    fn ext(self) -> &'static str {
        match self {
            Fmt::Avro => ".avro",
            Fmt::Parquet => ".parquet",
        }
    }
}

fn ce(what: &'static str) -> impl Fn(ConnectError) -> String {
    move |e| format!("{what}: {e}")
}

/// The record schema: 10 fields (ints, long, doubles, strings of 20–40 characters,
/// boolean, timestamp, optional string).
fn record_schema() -> R<Schema> {
    SchemaBuilder::struct_()
        .name("bench.Order")
        .field("id", Schema::int64())
        .field("account", Schema::int32())
        .field("quantity", Schema::int32())
        .field("price", Schema::float64())
        .field("weight", Schema::float64())
        .field("customer", Schema::string())
        .field("email", Schema::string())
        .field("paid", Schema::boolean())
        .field("created", Timestamp::schema())
        .field("comment", Schema::optional_string())
        .build()
        .map_err(|e| format!("B7 schema: {e}"))
}

fn random_text(rng: &mut data::Rng) -> String {
    let len = 20 + (rng.next_u64() % 21) as usize;
    let mut buf = vec![0u8; len];
    rng.fill_printable(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `n` records of partition 0, offsets `0..n`, with a fixed seed.
fn build_records(schema: &Schema, n: u64) -> R<Vec<SinkRecord>> {
    let mut rng = data::Rng::new(data::SEED ^ 0xB7);
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as i64 {
        let r = rng.next_u64();
        let comment = if r & 1 == 0 { Value::Null } else { Value::String(random_text(&mut rng)) };
        let created = 1_700_000_000_000 + i * 13;
        let value = Struct::new(schema.clone())
            .and_then(|s| s.with("id", i))
            .and_then(|s| s.with("account", (r >> 8) as i32 & 0x00ff_ffff))
            .and_then(|s| s.with("quantity", ((r >> 40) % 1000) as i32))
            .and_then(|s| s.with("price", (r >> 11) as f64 / (1u64 << 43) as f64 * 1000.0))
            .and_then(|s| s.with("weight", ((r >> 20) % 100_000) as f64 / 100.0))
            .and_then(|s| s.with("customer", random_text(&mut rng)))
            .and_then(|s| s.with("email", random_text(&mut rng)))
            .and_then(|s| s.with("paid", r & 2 == 0))
            .and_then(|s| s.with("created", Timestamp(created)))
            .and_then(|s| s.with("comment", comment))
            .map_err(|e| format!("B7 record {i}: {e}"))?;
        out.push(
            SinkRecord::builder(TOPIC, 0, i)
                .value(Some(schema.clone()), Value::Struct(value))
                .timestamp(created, TimestampType::CreateTime)
                .build(),
        );
    }
    Ok(out)
}

pub(super) fn b7(ctx: &mut Ctx) -> R<()> {
    let n = ctx.scaled(1_000_000).div_ceil(FLUSH_SIZE) * FLUSH_SIZE;
    let files = n / FLUSH_SIZE;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let schema = record_schema()?;
    let records = build_records(&schema, n)?;
    for (fmt, target) in [(Fmt::Avro, 0.9), (Fmt::Parquet, 0.8)] {
        let mut f = Figure::new(
            "B7",
            format!("HDFS sink {} ({n} rec)", fmt.label()),
            "MB/s",
            Target::RatioAtLeast(target),
        );
        for pair in 0..ctx.opts.pairs {
            let mut run_base = |ctx: &mut Ctx| -> R<()> {
                let dir = ctx.run_dir("b7-raw")?;
                let (secs, bytes) = match fmt {
                    Fmt::Avro => raw_avro(&dir, &schema, &records)?,
                    Fmt::Parquet => raw_parquet(&dir, &schema, &records)?,
                };
                check_files(&format!("B7 {} baseline", fmt.label()), &dir, fmt, n, bytes)?;
                f.base.push(bytes as f64 / 1e6 / secs);
                let _ = std::fs::remove_dir_all(&dir);
                Ok(())
            };
            let mut run_ours = |ctx: &mut Ctx| -> R<()> {
                let dir = ctx.run_dir("b7-ours")?;
                let secs = rt.block_on(sink_run(&dir, fmt, &records))?;
                let committed = dir.join("topics").join(TOPIC);
                let bytes = dir_bytes(&committed)?;
                check_files(&format!("B7 {} ours", fmt.label()), &committed, fmt, n, bytes)?;
                f.ours.push(bytes as f64 / 1e6 / secs);
                let _ = std::fs::remove_dir_all(&dir);
                Ok(())
            };
            interleaved(ctx, pair, &mut run_base, &mut run_ours)?;
        }
        f.note = match fmt {
            Fmt::Avro => format!(
                "{n} pre-built SinkRecords (10 fields: long, 2 int, 2 double, 2 strings of 20–40 chars, boolean, timestamp, optional string), {files} files of {FLUSH_SIZE}; MB/s = bytes of the committed files / seconds. ours: HdfsSinkConnector from connect_hdfs::plugins(), one SinkTask started in-process (tokio multi-thread), store.url = a local directory, AvroFormat (avro.codec=null), flush.size={FLUSH_SIZE}, default partitioner; put in batches of {BATCH}, timed from the first put to pre_commit reporting offset {n} (each file: temp file, fsync on close, WAL entry fsync'd, rename, WAL end fsync'd). baseline: loop over the same records, per file apache-avro Writer (same Avro schema, null codec, {AVRO_BLOCK_BYTES}-byte blocks) on a BufWriter<File> in the same filesystem, each record borrowed into a typed row and written with Writer::append_ser (apache-avro's serde path: no Value tree, no clones, no validation pass) inside the timed loop, sync_all per file; timed start to last file synced. Both read back with apache-avro's Reader: exactly {n} records, file names cover offsets 0..{n}"
            ),
            Fmt::Parquet => format!(
                "same {n} records, {files} files of {FLUSH_SIZE}; MB/s = bytes of the committed files / seconds. ours: as the Avro figure with ParquetFormat (parquet.codec=snappy; the sink buffers {DEFAULT_BATCH_ROWS} rows per Arrow batch, row groups of ≤{DEFAULT_ROW_GROUP_ROWS} rows, so one batch and one row group per file). baseline: per file parquet ArrowWriter on a File in the same filesystem (same Arrow schema, snappy, same row-group limit), Connect values appended to arrow builders and turned into RecordBatches of ≤{DEFAULT_BATCH_ROWS} rows inside the timed loop, sync_all per file; timed start to last file synced. Both read back with parquet's Arrow reader: exactly {n} rows"
            ),
        };
        ctx.push(f);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Ours: the sink task, through the connect-api traits
// ---------------------------------------------------------------------------------------

/// Runs the sink over `records` into `dir`; returns the seconds from the first `put`
/// to the last file committed.
async fn sink_run(dir: &Path, fmt: Fmt, records: &[SinkRecord]) -> R<f64> {
    let n = records.len() as i64;
    let plugin = connect_hdfs::plugins()
        .into_iter()
        .find(|p| p.matches(SINK_CLASS))
        .ok_or_else(|| format!("connect_hdfs::plugins() has no {SINK_CLASS}"))?;
    let PluginFactory::Sink(make) = plugin.factory() else {
        return Err(format!("{SINK_CLASS} is not a sink plugin"));
    };
    let mut connector = make();
    let config: RawConfig = [
        ("name", "b7-hdfs".to_string()),
        ("connector.class", SINK_CLASS.to_string()),
        ("topics", TOPIC.to_string()),
        ("tasks.max", "1".to_string()),
        ("store.url", dir.display().to_string()),
        ("topics.dir", "topics".to_string()),
        ("logs.dir", "logs".to_string()),
        ("format.class", fmt.class().to_string()),
        ("flush.size", FLUSH_SIZE.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    connector.start(ConnectorContext::new(|_| {}), config).await.map_err(ce("connector start"))?;
    let task_config = connector
        .task_configs(1)
        .await
        .map_err(ce("task_configs"))?
        .into_iter()
        .next()
        .ok_or("the connector returned no task config")?;
    let mut task = connector.create_task();
    let context = SinkTaskContext::new(task_config.clone(), None, Default::default());
    let tp = TopicPartition::new(TOPIC, 0);
    context.set_assignment([tp.clone()]);
    task.start(context.clone(), task_config).await.map_err(ce("task start"))?;
    task.open(std::slice::from_ref(&tp)).await.map_err(ce("task open"))?;
    if let Some(seek) = context.take_offsets().get(&tp).filter(|o| **o != 0) {
        return Err(format!("the task asked to resume at {seek} in an empty directory"));
    }

    let t0 = Instant::now();
    for batch in records.chunks(BATCH) {
        task.put(batch).await.map_err(ce("put"))?;
        if let Some(seek) = context.take_offsets().get(&tp) {
            // The sink rewinds only after a storage error it absorbed.
            return Err(format!("the sink asked to rewind to offset {seek} (a storage error)"));
        }
    }
    let consumed = HashMap::from([(tp.clone(), OffsetAndMetadata::new(n))]);
    loop {
        task.flush(&consumed).await.map_err(ce("flush"))?;
        let committed = task.pre_commit(consumed.clone()).await.map_err(ce("pre_commit"))?;
        if committed.get(&tp).is_some_and(|o| o.offset >= n) {
            break;
        }
        if t0.elapsed() > Duration::from_secs(300) {
            return Err(format!(
                "the sink did not commit offset {n} within 300 s (committed: {:?})",
                committed.get(&tp).map(|o| o.offset)
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    task.close(std::slice::from_ref(&tp)).await.map_err(ce("close"))?;
    task.stop().await.map_err(ce("task stop"))?;
    connector.stop().await.map_err(ce("connector stop"))?;
    Ok(secs)
}

// ---------------------------------------------------------------------------------------
// Baselines: raw writer loops
// ---------------------------------------------------------------------------------------

fn file_name(start: i64, end: i64, fmt: Fmt) -> String {
    format!("{TOPIC}+0+{start:010}+{end:010}{}", fmt.ext())
}

fn offsets_of(chunk: &[SinkRecord]) -> (i64, i64) {
    let start = chunk.first().map_or(0, SinkRecord::kafka_offset);
    let end = chunk.last().map_or(0, SinkRecord::kafka_offset);
    (start, end)
}

/// One B7 record as a typed row borrowing from the Connect struct: what a Rust program
/// writing these records with apache-avro would hand to `Writer::append_ser`.
#[derive(serde::Serialize)]
struct OrderRow<'a> {
    id: i64,
    account: i32,
    quantity: i32,
    price: f64,
    weight: f64,
    customer: &'a str,
    email: &'a str,
    paid: bool,
    created: i64,
    comment: Option<&'a str>,
}

impl<'a> OrderRow<'a> {
    fn of(value: &'a Value) -> R<OrderRow<'a>> {
        let Value::Struct(s) = value else {
            return Err("B7 baseline: a record value is not a struct".into());
        };
        match s.values() {
            [
                Value::Int64(id),
                Value::Int32(account),
                Value::Int32(quantity),
                Value::Float64(price),
                Value::Float64(weight),
                Value::String(customer),
                Value::String(email),
                Value::Boolean(paid),
                Value::Timestamp(created),
                comment,
            ] => Ok(OrderRow {
                id: *id,
                account: *account,
                quantity: *quantity,
                price: *price,
                weight: *weight,
                customer,
                email,
                paid: *paid,
                created: created.0,
                comment: match comment {
                    Value::String(c) => Some(c.as_str()),
                    _ => None,
                },
            }),
            _ => Err("B7 baseline: a record does not have the B7 schema".into()),
        }
    }
}

/// Appends one record to the baseline's Avro writer.
///
/// The path is apache-avro's serde one, `Writer::append_ser` on a row that borrows the
/// Connect struct's strings ([`OrderRow`]): no per-record `Value` tree, no string clones,
/// no validation pass (the serializer writes straight from the schema). Chosen because it
/// measured fastest of apache-avro's paths here (`--only B7 --scale 0.1 --pairs 3`,
/// baseline MB/s): `append_ser` 154, a cloned `Value` tree with
/// `unvalidated_append_value_ref` 63, the same with the validating `append_value_ref` (the
/// previous baseline) 56.
fn append_avro<W: std::io::Write>(w: &mut apache_avro::Writer<'_, W>, value: &Value) -> R<()> {
    w.append_ser(OrderRow::of(value)?).map_err(|e| format!("Avro append: {e}"))?;
    Ok(())
}

fn io(what: &str, path: &Path) -> impl Fn(std::io::Error) -> String {
    let prefix = format!("{what} {}", path.display());
    move |e| format!("{prefix}: {e}")
}

/// The Avro baseline; returns (seconds, bytes written).
fn raw_avro(dir: &Path, schema: &Schema, records: &[SinkRecord]) -> R<(f64, u64)> {
    let json = connect_to_avro_schema(schema).map_err(ce("Avro schema"))?;
    let avro_schema = apache_avro::Schema::parse_str(&json.to_string())
        .map_err(|e| format!("Avro schema: {e}"))?;
    let t0 = Instant::now();
    let mut bytes = 0;
    for chunk in records.chunks(FLUSH_SIZE as usize) {
        let (start, end) = offsets_of(chunk);
        let path = dir.join(file_name(start, end, Fmt::Avro));
        let file = File::create(&path).map_err(io("create", &path))?;
        let mut w = apache_avro::Writer::builder()
            .schema(&avro_schema)
            .writer(BufWriter::with_capacity(1 << 20, file))
            .codec(apache_avro::Codec::Null)
            .block_size(AVRO_BLOCK_BYTES)
            .build()
            .map_err(|e| format!("Avro writer: {e}"))?;
        for r in chunk {
            append_avro(&mut w, r.value())?;
        }
        let file = w
            .into_inner()
            .map_err(|e| format!("Avro finish: {e}"))?
            .into_inner()
            .map_err(|e| format!("flush {}: {}", path.display(), e.error()))?;
        file.sync_all().map_err(io("fsync", &path))?;
        bytes += file.metadata().map_err(io("stat", &path))?.len();
    }
    Ok((t0.elapsed().as_secs_f64(), bytes))
}

/// One arrow builder per column.
enum Col {
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
    Ts(TimestampMillisecondBuilder),
}

impl Col {
    fn new(schema: &Schema, rows: usize) -> R<Col> {
        if LogicalType::of(schema) == Some(LogicalType::Timestamp) {
            return Ok(Col::Ts(
                TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            ));
        }
        Ok(match schema.schema_type() {
            Type::Int32 => Col::I32(Int32Builder::with_capacity(rows)),
            Type::Int64 => Col::I64(Int64Builder::with_capacity(rows)),
            Type::Float64 => Col::F64(Float64Builder::with_capacity(rows)),
            Type::Boolean => Col::Bool(BooleanBuilder::with_capacity(rows)),
            Type::String => Col::Str(StringBuilder::with_capacity(rows, rows * 32)),
            other => return Err(format!("B7 baseline: no Arrow builder for {other}")),
        })
    }

    fn append(&mut self, v: &Value) -> R<()> {
        match (self, v) {
            (Col::I32(b), Value::Int32(x)) => b.append_value(*x),
            (Col::I64(b), Value::Int64(x)) => b.append_value(*x),
            (Col::F64(b), Value::Float64(x)) => b.append_value(*x),
            (Col::Bool(b), Value::Boolean(x)) => b.append_value(*x),
            (Col::Str(b), Value::String(x)) => b.append_value(x),
            (Col::Ts(b), Value::Timestamp(t)) => b.append_value(t.0),
            (Col::I32(b), Value::Null) => b.append_null(),
            (Col::I64(b), Value::Null) => b.append_null(),
            (Col::F64(b), Value::Null) => b.append_null(),
            (Col::Bool(b), Value::Null) => b.append_null(),
            (Col::Str(b), Value::Null) => b.append_null(),
            (Col::Ts(b), Value::Null) => b.append_null(),
            (_, other) => return Err(format!("B7 baseline: unexpected {}", other.kind_name())),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::I32(b) => Arc::new(b.finish()),
            Col::I64(b) => Arc::new(b.finish()),
            Col::F64(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Str(b) => Arc::new(b.finish()),
            Col::Ts(b) => Arc::new(b.finish()),
        }
    }
}

/// The Parquet baseline; returns (seconds, bytes written).
fn raw_parquet(dir: &Path, schema: &Schema, records: &[SinkRecord]) -> R<(f64, u64)> {
    let arrow_schema = Arc::new(connect_to_arrow_schema(schema).map_err(ce("Arrow schema"))?);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(DEFAULT_ROW_GROUP_ROWS))
        .set_max_row_group_bytes(None)
        .build();
    let t0 = Instant::now();
    let mut bytes = 0;
    for chunk in records.chunks(FLUSH_SIZE as usize) {
        let (start, end) = offsets_of(chunk);
        let path = dir.join(file_name(start, end, Fmt::Parquet));
        let file = File::create(&path).map_err(io("create", &path))?;
        let mut w = ArrowWriter::try_new(file, arrow_schema.clone(), Some(props.clone()))
            .map_err(|e| format!("Parquet writer: {e}"))?;
        for rows in chunk.chunks(DEFAULT_BATCH_ROWS) {
            let mut cols = schema
                .fields()
                .iter()
                .map(|f| Col::new(f.schema(), rows.len()))
                .collect::<R<Vec<_>>>()?;
            for r in rows {
                let Value::Struct(s) = r.value() else {
                    return Err("B7 baseline: a record value is not a struct".into());
                };
                for (c, v) in cols.iter_mut().zip(s.values()) {
                    c.append(v)?;
                }
            }
            let arrays: Vec<ArrayRef> = cols.iter_mut().map(Col::finish).collect();
            let batch = RecordBatch::try_new(arrow_schema.clone(), arrays)
                .map_err(|e| format!("RecordBatch: {e}"))?;
            w.write(&batch).map_err(|e| format!("Parquet write: {e}"))?;
        }
        let file = w.into_inner().map_err(|e| format!("Parquet finish: {e}"))?;
        file.sync_all().map_err(io("fsync", &path))?;
        bytes += file.metadata().map_err(io("stat", &path))?.len();
    }
    Ok((t0.elapsed().as_secs_f64(), bytes))
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/// Every file under `dir` (any depth).
fn files_under(dir: &Path) -> R<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(io("list", &d))? {
            let entry = entry.map_err(io("list", &d))?;
            let ft = entry.file_type().map_err(io("stat", &entry.path()))?;
            if ft.is_dir() {
                todo.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn dir_bytes(dir: &Path) -> R<u64> {
    let mut sum = 0;
    for f in files_under(dir)? {
        sum += std::fs::metadata(&f).map_err(io("stat", &f))?.len();
    }
    Ok(sum)
}

/// Reads every file under `dir` back with the format's reader: the files are named
/// `<topic>+0+<start>+<end><ext>`, cover offsets `0..n` without gap or overlap, hold
/// `end - start + 1` records each, `n` in all, and `bytes` bytes.
fn check_files(what: &str, dir: &Path, fmt: Fmt, n: u64, bytes: u64) -> R<()> {
    let files = files_under(dir)?;
    let mut ranges = Vec::new();
    let mut total = 0u64;
    let mut size = 0u64;
    for path in &files {
        let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let (start, end) = committed_offsets(&name, TOPIC, 0)
            .filter(|_| name.ends_with(fmt.ext()))
            .ok_or_else(|| format!("{what}: unexpected file {}", path.display()))?;
        let data = std::fs::read(path).map_err(io("read", path))?;
        size += data.len() as u64;
        let count = match fmt {
            Fmt::Avro => {
                let reader = apache_avro::Reader::new(&data[..])
                    .map_err(|e| format!("{what}: {}: {e}", path.display()))?;
                let mut c = 0u64;
                for v in reader {
                    v.map_err(|e| format!("{what}: {}: {e}", path.display()))?;
                    c += 1;
                }
                c
            }
            Fmt::Parquet => connect_hdfs::format::read::parquet_batches(&data)
                .map_err(|e| format!("{what}: {}: {e}", path.display()))?
                .iter()
                .map(|b| b.num_rows() as u64)
                .sum(),
        };
        if count != (end - start + 1) as u64 {
            return Err(format!(
                "{what}: {} holds {count} records, its name says {}",
                path.display(),
                end - start + 1
            ));
        }
        total += count;
        ranges.push((start, end));
    }
    check_count(what, total as i64, n)?;
    ranges.sort_unstable();
    let mut next = 0;
    for (start, end) in ranges {
        if start != next {
            return Err(format!("{what}: offsets {next}..{start} missing or written twice"));
        }
        next = end + 1;
    }
    if size != bytes {
        return Err(format!("{what}: {size} bytes read back, {bytes} counted"));
    }
    Ok(())
}
