//! File formats the sink writes: Avro object container files, Parquet and JSON lines.
//!
//! A [`Format`] is chosen once per connector from `format.class`; for every file
//! the sink opens it asks the format for a [`FormatWriter`] bound to the schema
//! the file will hold. Writers encode into memory and hand out finished bytes
//! with [`FormatWriter::drain`], so the sink decides where and when bytes go
//! (a temporary file on the local filesystem or HDFS, or a multipart upload).

use connect_api::Result;
use connect_api::data::{Schema, Value};

/// A file format, selected by `format.class`.
pub trait Format: Send + Sync + std::fmt::Debug {
    /// The file extension, with its dot (`.avro`, `.parquet`, `.json`).
    fn extension(&self) -> &'static str;

    /// A writer for one new file whose records all carry `schema` (the value
    /// schema; `None` for schemaless records, which only JSON accepts).
    fn new_writer(&self, schema: Option<&Schema>) -> Result<Box<dyn FormatWriter>>;
}

/// Encodes the records of one file.
pub trait FormatWriter: Send {
    /// Appends one record value. The value fits the writer's schema (the sink
    /// projects it first); a value that cannot be encoded is a data error naming
    /// the field.
    fn write(&mut self, value: &Value) -> Result<()>;

    /// Bytes encoded so far that can already go to storage (may be empty: Parquet,
    /// for one, holds a row group until it is full).
    fn drain(&mut self) -> Result<Vec<u8>>;

    /// Ends the file: the remaining bytes, footer included. The writer is not used
    /// after this.
    fn finish(&mut self) -> Result<Vec<u8>>;

    /// Records written so far.
    fn record_count(&self) -> u64;
}

/// The format keys of the connector config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSettings {
    /// `format.class`: Confluent's class names (`io.confluent.connect.hdfs.avro.AvroFormat`,
    /// `io.confluent.connect.hdfs.parquet.ParquetFormat`,
    /// `io.confluent.connect.hdfs.json.JsonFormat`, and the `io.confluent.connect.storage`
    /// spellings) or the short names `avro`, `parquet`, `json`.
    pub class: String,
    /// `avro.codec`: null, deflate, snappy, zstandard (Avro container compression).
    pub avro_codec: String,
    /// `parquet.codec`: none/uncompressed, snappy, gzip, zstd, lz4.
    pub parquet_codec: String,
}

/// The format `settings` select; an unknown class or codec is a config error
/// naming it and listing what is accepted.
pub fn from_settings(settings: &FormatSettings) -> Result<std::sync::Arc<dyn Format>> {
    Err(connect_api::ConnectError::unsupported(format!(
        "format.class {} is not available yet",
        settings.class
    )))
}
