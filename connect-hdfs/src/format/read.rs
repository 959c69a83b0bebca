//! Reading the files back, with each format's own independent reader: apache-avro's
//! `Reader`, parquet's Arrow reader, and serde_json. For tests, tools and benchmarks.
//!
//! Every reader returns one `serde_json::Value` per record in one shape, so records
//! written in different formats compare alike:
//! integers and floats are numbers (non-finite floats the strings `"NaN"`,
//! `"Infinity"`, `"-Infinity"`), BYTES are base64 strings, decimals are strings in
//! plain notation (`"-12.50"`), dates are days since the epoch, times milliseconds of
//! the day, timestamps epoch milliseconds, structs objects, arrays arrays, maps with
//! string keys objects and other maps arrays of `{"key": …, "value": …}` objects.
//! (JSON-lines files are returned exactly as written.)
//!
//! ```
//! use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
//! use connect_hdfs::format::{Format, ParquetFormat, read};
//!
//! let schema = SchemaBuilder::struct_().field("id", Schema::int64()).build()?;
//! let mut w = ParquetFormat::new("snappy")?.new_writer(Some(&schema))?;
//! w.write(&Value::Struct(Struct::new(schema.clone())?.with("id", 7i64)?))?;
//! let mut file = w.drain()?;
//! file.extend(w.finish()?);
//! assert_eq!(read::parquet_records(&file)?, vec![serde_json::json!({"id": 7})]);
//! # Ok::<(), connect_api::ConnectError>(())
//! ```

use std::collections::HashMap;

use apache_avro::Schema as AvroSchema;
use apache_avro::types::Value as AvroValue;
use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use base64::Engine as _;
use connect_api::data::Decimal;
use connect_api::{ConnectError, Result};
use num_bigint::BigInt;
use serde_json::{Map, Value as Json, json};

fn b64(b: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(b))
}

fn float(v: f64) -> Json {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(v)
    }
}

fn float32(v: f32) -> Json {
    if v.is_finite() {
        // Through the shortest f32 text, so 1.1f32 reads back as 1.1.
        v.to_string().parse::<f64>().map(|d| json!(d)).unwrap_or(Json::Null)
    } else {
        float(f64::from(v))
    }
}

/// The records of a JSON-lines file.
pub fn json_lines(data: &[u8]) -> Result<Vec<Json>> {
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Json = serde_json::from_slice(line)
            .map_err(|e| ConnectError::data(format!("line {}: {e}", i + 1)))?;
        out.push(v);
    }
    Ok(out)
}

/// The writer schema (as JSON text in the file header) and records of an Avro
/// object container file, read with apache-avro's `Reader`.
pub fn avro_records(data: &[u8]) -> Result<(AvroSchema, Vec<Json>)> {
    let err = |e: apache_avro::Error| ConnectError::data(format!("Avro read failed: {e}"));
    let reader = apache_avro::Reader::new(data).map_err(err)?;
    let schema = reader.writer_schema().clone();
    let mut names = HashMap::new();
    collect_names(&schema, &mut names);
    let mut out = Vec::new();
    for v in reader {
        out.push(avro_json(&v.map_err(err)?, &schema, &names)?);
    }
    Ok((schema, out))
}

/// The metadata of an Avro file's header (`avro.schema`, `avro.codec`, …), decoded
/// by hand from the container format so tests can check what the header says.
pub fn avro_header(data: &[u8]) -> Result<HashMap<String, Vec<u8>>> {
    let bad = || ConnectError::data("not an Avro object container file header");
    if data.get(..4) != Some(b"Obj\x01".as_slice()) {
        return Err(bad());
    }
    let mut pos = 4;
    let long = |pos: &mut usize| -> Result<i64> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *data.get(*pos).ok_or_else(bad)?;
            *pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(bad());
            }
        }
        Ok(((value >> 1) as i64) ^ -((value & 1) as i64))
    };
    let mut meta = HashMap::new();
    loop {
        let mut count = long(&mut pos)?;
        if count == 0 {
            break;
        }
        if count < 0 {
            count = -count;
            long(&mut pos)?;
        }
        for _ in 0..count {
            let kl = usize::try_from(long(&mut pos)?).map_err(|_| bad())?;
            let key = data.get(pos..pos + kl).ok_or_else(bad)?;
            pos += kl;
            let vl = usize::try_from(long(&mut pos)?).map_err(|_| bad())?;
            let val = data.get(pos..pos + vl).ok_or_else(bad)?;
            pos += vl;
            meta.insert(String::from_utf8_lossy(key).into_owned(), val.to_vec());
        }
    }
    Ok(meta)
}

fn collect_names(schema: &AvroSchema, names: &mut HashMap<String, AvroSchema>) {
    match schema {
        AvroSchema::Record(r) => {
            names.insert(r.name.fullname(None), schema.clone());
            for f in &r.fields {
                collect_names(&f.schema, names);
            }
        }
        AvroSchema::Array(a) => collect_names(&a.items, names),
        AvroSchema::Map(m) => collect_names(&m.types, names),
        AvroSchema::Union(u) => u.variants().iter().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

fn avro_json(
    v: &AvroValue,
    schema: &AvroSchema,
    names: &HashMap<String, AvroSchema>,
) -> Result<Json> {
    let schema = match schema {
        AvroSchema::Ref { name } => names.get(&name.fullname(None)).unwrap_or(schema),
        s => s,
    };
    Ok(match v {
        AvroValue::Null => Json::Null,
        AvroValue::Boolean(b) => json!(b),
        AvroValue::Int(i) | AvroValue::Date(i) | AvroValue::TimeMillis(i) => json!(i),
        AvroValue::Long(i)
        | AvroValue::TimestampMillis(i)
        | AvroValue::TimeMicros(i)
        | AvroValue::TimestampMicros(i) => json!(i),
        AvroValue::Float(f) => float32(*f),
        AvroValue::Double(f) => float(*f),
        AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => b64(b),
        AvroValue::String(s) | AvroValue::Enum(_, s) => json!(s),
        AvroValue::Decimal(d) => {
            let AvroSchema::Decimal(ds) = schema else {
                return Err(ConnectError::data("Avro decimal value without a decimal schema"));
            };
            let bytes = <Vec<u8>>::try_from(d)
                .map_err(|e| ConnectError::data(format!("bad Avro decimal: {e}")))?;
            let scale = i32::try_from(ds.scale).unwrap_or(0);
            json!(Decimal::new(BigInt::from_signed_bytes_be(&bytes), scale).to_string())
        }
        AvroValue::Union(i, inner) => {
            let branch = match schema {
                AvroSchema::Union(u) => u.variants().get(*i as usize).unwrap_or(schema),
                s => s,
            };
            avro_json(inner, branch, names)?
        }
        AvroValue::Array(items) => {
            let elem = match schema {
                AvroSchema::Array(a) => &*a.items,
                s => s,
            };
            Json::Array(items.iter().map(|i| avro_json(i, elem, names)).collect::<Result<_>>()?)
        }
        AvroValue::Map(m) => {
            let vs = match schema {
                AvroSchema::Map(ms) => &*ms.types,
                s => s,
            };
            let mut obj = Map::new();
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                if let Some(v) = m.get(k) {
                    obj.insert(k.clone(), avro_json(v, vs, names)?);
                }
            }
            Json::Object(obj)
        }
        AvroValue::Record(fields) => {
            let mut obj = Map::new();
            for (i, (name, fv)) in fields.iter().enumerate() {
                let fs = match schema {
                    AvroSchema::Record(r) => r.fields.get(i).map(|f| &f.schema).unwrap_or(schema),
                    s => s,
                };
                obj.insert(name.clone(), avro_json(fv, fs, names)?);
            }
            Json::Object(obj)
        }
        other => json!(format!("{other:?}")),
    })
}

/// The records of a Parquet file, read with parquet's Arrow reader.
pub fn parquet_records(data: &[u8]) -> Result<Vec<Json>> {
    Ok(parquet_batches(data)?.iter().flat_map(batch_rows).collect())
}

/// The Arrow batches of a Parquet file (one per row group or 1024 rows).
pub fn parquet_batches(data: &[u8]) -> Result<Vec<RecordBatch>> {
    let err =
        |e: parquet::errors::ParquetError| ConnectError::data(format!("Parquet read failed: {e}"));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::copy_from_slice(data),
    )
    .map_err(err)?
    .build()
    .map_err(err)?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ConnectError::data(format!("Parquet read failed: {e}")))
}

/// The number of row groups and the codec of each column of the first row group.
pub fn parquet_layout(data: &[u8]) -> Result<(usize, Vec<String>)> {
    let err =
        |e: parquet::errors::ParquetError| ConnectError::data(format!("Parquet read failed: {e}"));
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::copy_from_slice(data),
    )
    .map_err(err)?;
    let md = builder.metadata();
    let codecs = md
        .row_groups()
        .first()
        .map(|rg| rg.columns().iter().map(|c| format!("{:?}", c.compression())).collect())
        .unwrap_or_default();
    Ok((md.num_row_groups(), codecs))
}

fn batch_rows(batch: &RecordBatch) -> Vec<Json> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut obj = Map::new();
            for (i, f) in schema.fields().iter().enumerate() {
                obj.insert(f.name().clone(), arrow_json(batch.column(i).as_ref(), row));
            }
            Json::Object(obj)
        })
        .collect()
}

/// One cell of an Arrow array as JSON (the shape the module docs describe).
pub fn arrow_json(array: &dyn Array, row: usize) -> Json {
    if array.is_null(row) {
        return Json::Null;
    }
    match array.data_type() {
        DataType::Int8 => json!(array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => json!(array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => json!(array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => json!(array.as_primitive::<Int64Type>().value(row)),
        DataType::Float32 => float32(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => json!(array.as_boolean().value(row)),
        DataType::Utf8 => json!(array.as_string::<i32>().value(row)),
        DataType::Binary => b64(array.as_binary::<i32>().value(row)),
        DataType::Date32 => json!(array.as_primitive::<Date32Type>().value(row)),
        DataType::Time32(TimeUnit::Millisecond) => {
            json!(array.as_primitive::<Time32MillisecondType>().value(row))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            json!(array.as_primitive::<TimestampMillisecondType>().value(row))
        }
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(row);
            json!(Decimal::new(BigInt::from(v), i32::from(*scale)).to_string())
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>().value(row);
            Json::Array((0..list.len()).map(|i| arrow_json(list.as_ref(), i)).collect())
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let keys = entries.column(0);
            let values = entries.column(1);
            if keys.data_type() == &DataType::Utf8 {
                let mut obj = Map::new();
                for i in 0..entries.len() {
                    let k = keys.as_string::<i32>().value(i).to_string();
                    obj.insert(k, arrow_json(values.as_ref(), i));
                }
                Json::Object(obj)
            } else {
                Json::Array(
                    (0..entries.len())
                        .map(|i| {
                            json!({"key": arrow_json(keys.as_ref(), i), "value": arrow_json(values.as_ref(), i)})
                        })
                        .collect(),
                )
            }
        }
        DataType::Struct(fields) => {
            let st = array.as_struct();
            let mut obj = Map::new();
            for (i, f) in fields.iter().enumerate() {
                obj.insert(f.name().clone(), arrow_json(st.column(i).as_ref(), row));
            }
            Json::Object(obj)
        }
        other => json!(format!("<unsupported {other}>")),
    }
}
