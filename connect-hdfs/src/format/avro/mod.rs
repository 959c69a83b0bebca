//! Avro object container files (`.avro`), as Confluent's `AvroFormat` writes them.
//!
//! The Connect schema is mapped once per schema (cached by the format) to an Avro
//! schema and an encoding plan; records are encoded straight from Connect values to
//! Avro binary, without an intermediate Avro value, into blocks of about
//! [`AVRO_BLOCK_BYTES`] that are compressed with `avro.codec` (apache-avro's codecs)
//! and framed with the file's sync marker. The header carries `avro.schema` and
//! `avro.codec`, so any Avro reader reads the file.

mod schema;

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::{Arc, Mutex};

use apache_avro::{Codec, DeflateSettings, ZstandardSettings};
use connect_api::data::{Schema, Value};
use connect_api::{ConnectError, Result};

pub use schema::connect_to_avro_schema;
use schema::{Kind, Node};

use super::error::{EncResult, EncodeError, mismatch, null_required};
use super::{Format, FormatWriter};

/// Uncompressed bytes gathered before a block is closed (Java Avro's default sync
/// interval is 64 000 bytes).
pub const AVRO_BLOCK_BYTES: usize = 64_000;

/// The Avro schema text and plan of a Connect schema, compiled once.
#[derive(Debug)]
struct Compiled {
    schema_json: String,
    plan: Node,
}

/// Compiled Avro schemas by Connect schema, shared by every writer of a format.
#[derive(Debug, Default)]
pub struct AvroSchemaCache {
    map: Mutex<HashMap<Schema, Arc<Compiled>>>,
}

impl AvroSchemaCache {
    /// The Avro schema JSON text for `schema` (compiled on first use), checked by
    /// apache-avro's schema parser.
    pub fn avro_schema_text(&self, schema: &Schema) -> Result<String> {
        Ok(self.get(schema)?.schema_json.clone())
    }

    fn get(&self, schema: &Schema) -> Result<Arc<Compiled>> {
        if let Ok(map) = self.map.lock()
            && let Some(c) = map.get(schema)
        {
            return Ok(c.clone());
        }
        let (json, plan) = schema::compile(schema)?;
        let schema_json = json.to_string();
        apache_avro::Schema::parse_str(&schema_json).map_err(|e| {
            ConnectError::data(format!("the Avro schema made for {schema} is invalid: {e}"))
        })?;
        let compiled = Arc::new(Compiled { schema_json, plan });
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 1000 {
                map.clear();
            }
            map.insert(schema.clone(), compiled.clone());
        }
        Ok(compiled)
    }
}

/// The Avro format, with the codec of `avro.codec`.
#[derive(Debug)]
pub struct AvroFormat {
    codec: Codec,
    codec_name: &'static str,
    cache: AvroSchemaCache,
}

impl AvroFormat {
    /// The format for `avro.codec`: `null` (or empty), `deflate`, `snappy`,
    /// `zstandard` (or `zstd`); anything else is a config error naming the key.
    pub fn new(codec: &str) -> Result<Self> {
        let (codec, codec_name) = match codec.trim().to_ascii_lowercase().as_str() {
            "" | "null" | "none" => (Codec::Null, "null"),
            "deflate" => (Codec::Deflate(DeflateSettings::default()), "deflate"),
            "snappy" => (Codec::Snappy, "snappy"),
            "zstandard" | "zstd" => (Codec::Zstandard(ZstandardSettings::new(3)), "zstandard"),
            other => {
                return Err(ConnectError::config(format!(
                    "Invalid value {other:?} for configuration avro.codec: use null, deflate, snappy or zstandard (bzip2 and xz are not built in)"
                )));
            }
        };
        Ok(AvroFormat { codec, codec_name, cache: AvroSchemaCache::default() })
    }

    /// The codec's name as written in the file header.
    pub fn codec_name(&self) -> &'static str {
        self.codec_name
    }

    /// The cache of compiled schemas.
    pub fn schema_cache(&self) -> &AvroSchemaCache {
        &self.cache
    }
}

impl Format for AvroFormat {
    fn extension(&self) -> &'static str {
        ".avro"
    }

    fn new_writer(&self, schema: Option<&Schema>) -> Result<Box<dyn FormatWriter>> {
        let schema = schema.ok_or_else(|| {
            ConnectError::data(
                "AvroFormat needs records with a value schema; schemaless records can only be written with JsonFormat",
            )
        })?;
        let compiled = self.cache.get(schema)?;
        let mut sync = [0u8; 16];
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in sync.chunks_mut(8).enumerate() {
            let mut h = state.build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        let mut out = Vec::with_capacity(AVRO_BLOCK_BYTES + 1024);
        write_header(&mut out, &compiled.schema_json, self.codec_name, &sync);
        Ok(Box::new(AvroWriter {
            compiled,
            codec: self.codec,
            sync,
            out,
            block: Vec::with_capacity(AVRO_BLOCK_BYTES + 4096),
            block_count: 0,
            count: 0,
        }))
    }
}

fn write_header(out: &mut Vec<u8>, schema: &str, codec: &str, sync: &[u8; 16]) {
    out.extend_from_slice(b"Obj\x01");
    write_long(out, 2);
    write_bytes(out, b"avro.schema");
    write_bytes(out, schema.as_bytes());
    write_bytes(out, b"avro.codec");
    write_bytes(out, codec.as_bytes());
    write_long(out, 0);
    out.extend_from_slice(sync);
}

struct AvroWriter {
    compiled: Arc<Compiled>,
    codec: Codec,
    sync: [u8; 16],
    /// Finished bytes (header and closed blocks) not yet drained.
    out: Vec<u8>,
    /// Encoded records of the open block.
    block: Vec<u8>,
    block_count: i64,
    count: u64,
}

impl AvroWriter {
    fn close_block(&mut self) -> Result<()> {
        if self.block_count == 0 {
            return Ok(());
        }
        let mut data =
            std::mem::replace(&mut self.block, Vec::with_capacity(AVRO_BLOCK_BYTES + 4096));
        self.codec.compress(&mut data).map_err(|e| {
            ConnectError::fatal(format!("Avro {:?} compression failed: {e}", self.codec))
        })?;
        write_long(&mut self.out, self.block_count);
        write_long(&mut self.out, data.len() as i64);
        self.out.extend_from_slice(&data);
        self.out.extend_from_slice(&self.sync);
        self.block_count = 0;
        if matches!(self.codec, Codec::Null) {
            // Reuse the allocation for the next block.
            data.clear();
            self.block = data;
        }
        Ok(())
    }
}

impl FormatWriter for AvroWriter {
    fn write(&mut self, value: &Value) -> Result<()> {
        let start = self.block.len();
        if let Err(e) = encode(&self.compiled.plan, value, &mut self.block) {
            self.block.truncate(start);
            return Err(e.into_connect("Avro"));
        }
        self.block_count += 1;
        self.count += 1;
        if self.block.len() >= AVRO_BLOCK_BYTES {
            self.close_block()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<Vec<u8>> {
        Ok(std::mem::take(&mut self.out))
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        self.close_block()?;
        Ok(std::mem::take(&mut self.out))
    }

    fn record_count(&self) -> u64 {
        self.count
    }
}

#[inline]
fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn encode(node: &Node, value: &Value, out: &mut Vec<u8>) -> EncResult {
    let value = match value {
        Value::Null => match &node.default {
            Some(d) if !d.is_null() => d,
            _ => match node.union {
                Some((null_branch, _)) => {
                    out.push(null_branch << 1);
                    return Ok(());
                }
                None => return Err(null_required()),
            },
        },
        v => v,
    };
    if let Some((_, branch)) = node.union {
        out.push(branch << 1);
    }
    match (&node.kind, value) {
        (Kind::Int, Value::Int32(v)) => write_long(out, i64::from(*v)),
        (Kind::Int, Value::Int16(v)) => write_long(out, i64::from(*v)),
        (Kind::Int, Value::Int8(v)) => write_long(out, i64::from(*v)),
        (Kind::Long, Value::Int64(v)) => write_long(out, *v),
        (Kind::Float, Value::Float32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::Double, Value::Float64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::Boolean, Value::Boolean(v)) => out.push(u8::from(*v)),
        (Kind::String, Value::String(s)) => write_bytes(out, s.as_bytes()),
        (Kind::Bytes, Value::Bytes(b)) => write_bytes(out, b),
        (Kind::Decimal(scale), Value::Decimal(d)) => {
            let d = if d.scale() == *scale {
                std::borrow::Cow::Borrowed(d)
            } else {
                std::borrow::Cow::Owned(
                    d.rescale(*scale).map_err(|e| EncodeError::new(e.message()))?,
                )
            };
            write_bytes(out, &d.unscaled().to_signed_bytes_be());
        }
        (Kind::Date, Value::Date(d)) => write_long(out, i64::from(d.0)),
        (Kind::Time, Value::Time(t)) => write_long(out, i64::from(t.0)),
        (Kind::Timestamp, Value::Timestamp(t)) => write_long(out, t.0),
        (Kind::Array(elem), Value::Array(items)) => {
            if !items.is_empty() {
                write_long(out, items.len() as i64);
                for (i, item) in items.iter().enumerate() {
                    encode(elem, item, out).map_err(|e| e.at(format!("[{i}]")))?;
                }
            }
            out.push(0);
        }
        (Kind::Map(vnode), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    let key = k.as_str().ok_or_else(|| mismatch("STRING map key", k))?;
                    write_bytes(out, key.as_bytes());
                    encode(vnode, v, out).map_err(|e| e.at(format!("[{key:?}]")))?;
                }
            }
            out.push(0);
        }
        (Kind::MapEntries(knode, vnode), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (i, (k, v)) in entries.iter().enumerate() {
                    encode(knode, k, out).map_err(|e| e.at(format!("[{i}].key")))?;
                    encode(vnode, v, out).map_err(|e| e.at(format!("[{i}].value")))?;
                }
            }
            out.push(0);
        }
        (Kind::Record(fields), Value::Struct(s)) => {
            let values = s.values();
            if values.len() != fields.len() {
                return Err(EncodeError::new(format!(
                    "struct has {} fields but the file's schema has {}",
                    values.len(),
                    fields.len()
                )));
            }
            for ((name, fnode), v) in fields.iter().zip(values) {
                encode(fnode, v, out).map_err(|e| e.at(name.as_str()))?;
            }
        }
        (_, v) => return Err(mismatch(node.connect_type.as_str(), v)),
    }
    Ok(())
}
