//! File formats the sink writes: Avro object container files, Parquet and JSON lines.
//!
//! A [`Format`] is chosen once per connector from `format.class`; for every file
//! the sink opens it asks the format for a [`FormatWriter`] bound to the schema
//! the file will hold. Writers encode into memory and hand out finished bytes
//! with [`FormatWriter::drain`], so the sink decides where and when bytes go
//! (a temporary file on the local filesystem or HDFS, or a multipart upload).

mod avro;
mod error;
mod json;
mod parquet;
pub mod read;

pub use avro::{AVRO_BLOCK_BYTES, AvroFormat, AvroSchemaCache, connect_to_avro_schema};
pub use json::{JsonDecimalFormat, JsonFormat};
pub use parquet::{
    DEFAULT_BATCH_ROWS, DEFAULT_DECIMAL_PRECISION, DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS,
    ParquetFormat, connect_to_arrow_schema,
};

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

impl Default for FormatSettings {
    /// Confluent's defaults: `format.class=io.confluent.connect.hdfs.avro.AvroFormat`,
    /// `avro.codec=null`, `parquet.codec=snappy`.
    fn default() -> Self {
        FormatSettings {
            class: "io.confluent.connect.hdfs.avro.AvroFormat".to_string(),
            avro_codec: "null".to_string(),
            parquet_codec: "snappy".to_string(),
        }
    }
}

/// The format `settings` select; an unknown class or codec is a config error
/// naming it and listing what is accepted.
pub fn from_settings(settings: &FormatSettings) -> Result<std::sync::Arc<dyn Format>> {
    match FormatKind::from_class(&settings.class)? {
        FormatKind::Json => Ok(std::sync::Arc::new(JsonFormat::new())),
        FormatKind::Avro => Ok(std::sync::Arc::new(AvroFormat::new(&settings.avro_codec)?)),
        FormatKind::Parquet => {
            Ok(std::sync::Arc::new(ParquetFormat::new(&settings.parquet_codec)?))
        }
    }
}

/// The three formats, as `format.class` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatKind {
    /// Avro object container files.
    Avro,
    /// Apache Parquet files.
    Parquet,
    /// JSON lines.
    Json,
}

/// Every `format.class` spelling accepted, with the format it selects.
pub const FORMAT_CLASSES: &[(&str, FormatKind)] = &[
    ("io.confluent.connect.hdfs.avro.AvroFormat", FormatKind::Avro),
    ("io.confluent.connect.hdfs.parquet.ParquetFormat", FormatKind::Parquet),
    ("io.confluent.connect.hdfs.json.JsonFormat", FormatKind::Json),
    ("io.confluent.connect.hdfs3.avro.AvroFormat", FormatKind::Avro),
    ("io.confluent.connect.hdfs3.parquet.ParquetFormat", FormatKind::Parquet),
    ("io.confluent.connect.hdfs3.json.JsonFormat", FormatKind::Json),
    ("io.confluent.connect.storage.format.avro.AvroFormat", FormatKind::Avro),
    ("io.confluent.connect.storage.format.parquet.ParquetFormat", FormatKind::Parquet),
    ("io.confluent.connect.storage.format.json.JsonFormat", FormatKind::Json),
    ("io.confluent.connect.s3.format.avro.AvroFormat", FormatKind::Avro),
    ("io.confluent.connect.s3.format.parquet.ParquetFormat", FormatKind::Parquet),
    ("io.confluent.connect.s3.format.json.JsonFormat", FormatKind::Json),
    ("AvroFormat", FormatKind::Avro),
    ("ParquetFormat", FormatKind::Parquet),
    ("JsonFormat", FormatKind::Json),
    ("avro", FormatKind::Avro),
    ("parquet", FormatKind::Parquet),
    ("json", FormatKind::Json),
];

impl FormatKind {
    /// The format a `format.class` value names (surrounding blanks ignored, short
    /// names case-insensitive); a config error listing the accepted names otherwise.
    pub fn from_class(class: &str) -> Result<FormatKind> {
        let class = class.trim();
        FORMAT_CLASSES
            .iter()
            .find(|(name, _)| {
                *name == class || (!name.contains('.') && name.eq_ignore_ascii_case(class))
            })
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = FORMAT_CLASSES.iter().map(|(n, _)| *n).collect();
                connect_api::ConnectError::config(format!(
                    "Invalid value {class:?} for configuration format.class: unknown format; accepted: {}",
                    names.join(", ")
                ))
            })
    }

    /// The short name: `avro`, `parquet` or `json` (what [`HiveMetastore::ensure_table`]
    /// takes as its `format`).
    ///
    /// [`HiveMetastore::ensure_table`]: crate::hive::HiveMetastore::ensure_table
    pub fn as_str(self) -> &'static str {
        match self {
            FormatKind::Avro => "avro",
            FormatKind::Parquet => "parquet",
            FormatKind::Json => "json",
        }
    }
}
