//! Apache Parquet files (`.parquet`), written from Arrow column arrays.
//!
//! Records are appended to per-column buffers planned once per schema; every
//! [`ParquetFormat::batch_rows`] rows (or 64 MiB of variable-length data) the buffers
//! become one Arrow `RecordBatch` handed to parquet's `ArrowWriter`, which closes a
//! row group every `row_group_rows` rows or `row_group_bytes` of encoded data.
//! [`FormatWriter::drain`] hands out the row groups already closed; `finish` writes
//! the rest and the footer.

mod columns;
mod schema;

use std::sync::Arc;

use arrow_array::{Array as _, RecordBatch, StructArray};
use connect_api::data::{Schema, Value};
use connect_api::{ConnectError, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

pub use schema::{DEFAULT_DECIMAL_PRECISION, connect_to_arrow_schema};

use super::{Format, FormatWriter};
use columns::Column;

/// Rows buffered before they are turned into Arrow arrays.
pub const DEFAULT_BATCH_ROWS: usize = 64 * 1024;
/// Rows per row group by default (parquet's own default).
pub const DEFAULT_ROW_GROUP_ROWS: usize = 1024 * 1024;
/// Encoded bytes per row group when a byte limit is asked for without a value
/// (`parquet.block.size`'s default, 128 MiB). No byte limit applies by default:
/// checking one makes parquet's writer measure every batch, which costs throughput.
pub const DEFAULT_ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;
const MAX_VAR_BYTES: usize = 64 * 1024 * 1024;

/// The Parquet format, with the codec of `parquet.codec`.
#[derive(Debug, Clone)]
pub struct ParquetFormat {
    compression: Compression,
    codec_name: &'static str,
    batch_rows: usize,
    row_group_rows: usize,
    row_group_bytes: Option<usize>,
}

impl ParquetFormat {
    /// The format for `parquet.codec`: `none`/`uncompressed` (or empty), `snappy`
    /// (Confluent's default), `gzip`, `zstd`, `lz4` (Hadoop LZ4 framing), `lz4_raw`;
    /// anything else is a config error naming the key.
    pub fn new(codec: &str) -> Result<Self> {
        let (compression, codec_name) = match codec.trim().to_ascii_lowercase().as_str() {
            "" | "none" | "uncompressed" => (Compression::UNCOMPRESSED, "none"),
            "snappy" => (Compression::SNAPPY, "snappy"),
            "gzip" => (Compression::GZIP(GzipLevel::default()), "gzip"),
            "zstd" | "zstandard" => (Compression::ZSTD(ZstdLevel::default()), "zstd"),
            "lz4" => (Compression::LZ4, "lz4"),
            "lz4_raw" => (Compression::LZ4_RAW, "lz4_raw"),
            other => {
                return Err(ConnectError::config(format!(
                    "Invalid value {other:?} for configuration parquet.codec: use none, snappy, gzip, zstd, lz4 or lz4_raw"
                )));
            }
        };
        Ok(ParquetFormat {
            compression,
            codec_name,
            batch_rows: DEFAULT_BATCH_ROWS,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            row_group_bytes: None,
        })
    }

    /// Closes a row group every `rows` rows (at least 1); the Arrow batch size
    /// shrinks to match when smaller.
    pub fn with_row_group_rows(mut self, rows: usize) -> Self {
        self.row_group_rows = rows.max(1);
        self.batch_rows = self.batch_rows.min(self.row_group_rows);
        self
    }

    /// Closes a row group once its encoded size passes `bytes` (at least 1).
    pub fn with_row_group_bytes(mut self, bytes: usize) -> Self {
        self.row_group_bytes = Some(bytes.max(1));
        self
    }

    /// Rows per Arrow batch.
    pub fn batch_rows(&self) -> usize {
        self.batch_rows
    }

    /// The codec name.
    pub fn codec_name(&self) -> &'static str {
        self.codec_name
    }
}

impl Format for ParquetFormat {
    fn extension(&self) -> &'static str {
        ".parquet"
    }

    fn new_writer(&self, schema: Option<&Schema>) -> Result<Box<dyn FormatWriter>> {
        let schema = schema.ok_or_else(|| {
            ConnectError::data(
                "ParquetFormat needs records with a value schema; schemaless records can only be written with JsonFormat",
            )
        })?;
        let arrow_schema = Arc::new(connect_to_arrow_schema(schema)?);
        let root = Column::new(schema, "", self.batch_rows)?;
        let props = WriterProperties::builder()
            .set_compression(self.compression)
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .set_max_row_group_bytes(self.row_group_bytes)
            .set_created_by(format!("connect-hdfs {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            ArrowWriter::try_new(Vec::with_capacity(1 << 20), arrow_schema.clone(), Some(props))
                .map_err(|e| ConnectError::fatal(format!("cannot start a Parquet file: {e}")))?;
        Ok(Box::new(ParquetWriter {
            root,
            arrow_schema,
            writer: Some(writer),
            buffered: 0,
            batch_rows: self.batch_rows,
            count: 0,
        }))
    }
}

struct ParquetWriter {
    root: Column,
    arrow_schema: arrow_schema::SchemaRef,
    writer: Option<ArrowWriter<Vec<u8>>>,
    buffered: usize,
    batch_rows: usize,
    count: u64,
}

fn pq_err(e: parquet::errors::ParquetError) -> ConnectError {
    ConnectError::fatal(format!("Parquet write failed: {e}"))
}

impl ParquetWriter {
    fn flush_batch(&mut self) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let array = self.root.finish()?;
        let rows = self.buffered;
        self.buffered = 0;
        let Some(st) = array.as_any().downcast_ref::<StructArray>() else {
            return Err(ConnectError::fatal("Parquet root column is not a struct"));
        };
        let batch = RecordBatch::try_new(self.arrow_schema.clone(), st.columns().to_vec())
            .map_err(|e| {
                ConnectError::fatal(format!("cannot build a batch of {rows} rows: {e}"))
            })?;
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("Parquet writer used after finish"))?;
        writer.write(&batch).map_err(pq_err)
    }
}

impl FormatWriter for ParquetWriter {
    fn write(&mut self, value: &Value) -> Result<()> {
        if self.writer.is_none() {
            return Err(ConnectError::fatal("Parquet writer used after finish"));
        }
        let Value::Struct(_) = value else {
            return Err(ConnectError::data(format!(
                "Parquet writer cannot encode a {} value: records must be structs",
                value.kind_name()
            )));
        };
        if let Err(e) = self.root.append(value) {
            self.root.truncate(self.buffered);
            return Err(e.into_connect("Parquet"));
        }
        self.buffered += 1;
        self.count += 1;
        if self.buffered >= self.batch_rows
            || (self.buffered.is_multiple_of(1024) && self.root.var_bytes() >= MAX_VAR_BYTES)
        {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<Vec<u8>> {
        Ok(self.writer.as_mut().map(|w| std::mem::take(w.inner_mut())).unwrap_or_default())
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        self.flush_batch()?;
        let Some(mut writer) = self.writer.take() else {
            return Ok(Vec::new());
        };
        writer.finish().map_err(pq_err)?;
        Ok(std::mem::take(writer.inner_mut()))
    }

    fn record_count(&self) -> u64 {
        self.count
    }
}
