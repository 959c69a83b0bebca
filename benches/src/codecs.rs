//! B4: converter throughput in-process, single thread (per core), each against a
//! baseline doing the same encoding with the format's reference Rust library:
//! AvroConverter (Confluent wire format, schema registered once, cached) against
//! apache-avro on the same 10-field record (encoding: `GenericDatumWriter::write_ser` of a
//! serde struct, apache-avro's fastest path; decoding: `GenericDatumReader`), and
//! JsonConverter (schemas.enable=false) against serde_json on the same JSON object.

use std::time::Instant;

use connect_api::config::RawConfig;
use connect_api::convert::Converter;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::record::Headers;
use connect_avro::AvroConverter;
use connect_runtime::converters::JsonConverter;

/// Rates of one interleaved pair: (ours, baseline).
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// Ours, in the figure's unit.
    pub ours: f64,
    /// The baseline, in the same unit.
    pub baseline: f64,
}

/// One B4 pair of every figure: Avro encode rec/s, Avro decode rec/s, JSON encode MB/s,
/// JSON decode MB/s.
#[derive(Debug, Clone, Copy)]
pub struct CodecPairs {
    /// Avro encode, records per second.
    pub avro_encode: Pair,
    /// Avro decode, records per second.
    pub avro_decode: Pair,
    /// JSON encode, MB per second of JSON produced.
    pub json_encode: Pair,
    /// JSON decode, MB per second of JSON read.
    pub json_decode: Pair,
}

const AVRO_SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench","fields":[
 {"name":"id","type":"long"},{"name":"customer","type":"string"},{"name":"amount","type":"double"},
 {"name":"quantity","type":"int"},{"name":"paid","type":"boolean"},{"name":"country","type":"string"},
 {"name":"created","type":"long"},{"name":"sku","type":"string"},{"name":"discount","type":"float"},
 {"name":"note","type":"string"}]}"#;

fn connect_schema() -> Result<Schema, String> {
    SchemaBuilder::struct_()
        .name("bench.Order")
        .field("id", Schema::int64())
        .field("customer", Schema::string())
        .field("amount", Schema::float64())
        .field("quantity", Schema::int32())
        .field("paid", Schema::boolean())
        .field("country", Schema::string())
        .field("created", Schema::int64())
        .field("sku", Schema::string())
        .field("discount", Schema::float32())
        .field("note", Schema::string())
        .build()
        .map_err(|e| e.to_string())
}

fn connect_value(schema: &Schema, i: i64) -> Result<Value, String> {
    let s = Struct::new(schema.clone())
        .and_then(|s| s.with("id", i))
        .and_then(|s| s.with("customer", format!("customer-{}", i % 1000)))
        .and_then(|s| s.with("amount", i as f64 * 1.25))
        .and_then(|s| s.with("quantity", (i % 17) as i32))
        .and_then(|s| s.with("paid", i % 2 == 0))
        .and_then(|s| s.with("country", "NL"))
        .and_then(|s| s.with("created", 1_700_000_000_000 + i))
        .and_then(|s| s.with("sku", "SKU-12345"))
        .and_then(|s| s.with("discount", 0.5f32))
        .and_then(|s| s.with("note", "deliver to the back door"))
        .map_err(|e| e.to_string())?;
    Ok(Value::Struct(s))
}

/// The B4 record as a plain Rust struct: what a Rust program encoding these records with
/// apache-avro's serde path would hold.
#[derive(serde::Serialize)]
struct Order {
    id: i64,
    customer: String,
    amount: f64,
    quantity: i32,
    paid: bool,
    country: String,
    created: i64,
    sku: String,
    discount: f32,
    note: String,
}

fn order(i: i64) -> Order {
    Order {
        id: i,
        customer: format!("customer-{}", i % 1000),
        amount: i as f64 * 1.25,
        quantity: (i % 17) as i32,
        paid: i % 2 == 0,
        country: "NL".into(),
        created: 1_700_000_000_000 + i,
        sku: "SKU-12345".into(),
        discount: 0.5,
        note: "deliver to the back door".into(),
    }
}

fn rate(n: usize, started: Instant) -> f64 {
    n as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

/// Runs one pair of every B4 figure on `n` records, against a schema registry at
/// `registry_url` (the converter registers the schema on the first record; that call
/// happens before timing starts).
pub async fn run_pair(registry_url: &str, n: usize) -> Result<CodecPairs, String> {
    let schema = connect_schema()?;
    let values: Vec<Value> =
        (0..n as i64).map(|i| connect_value(&schema, i)).collect::<Result<_, _>>()?;
    let avro_schema = apache_avro::Schema::parse_str(AVRO_SCHEMA).map_err(|e| e.to_string())?;

    let mut avro = AvroConverter::new();
    let cfg: RawConfig = [("schema.registry.url".to_string(), registry_url.to_string())].into();
    Converter::configure(&mut avro, &cfg, false).map_err(|e| e.to_string())?;
    let mut headers = Headers::new();
    // Warm up: register the schema and fill the caches.
    avro.from_connect_data("b4", &mut headers, Some(&schema), &values[0])
        .await
        .map_err(|e| e.to_string())?;

    // Avro encode: ours vs apache-avro.
    let started = Instant::now();
    let mut encoded = Vec::with_capacity(n);
    for v in &values {
        let bytes = avro
            .from_connect_data("b4", &mut headers, Some(&schema), v)
            .await
            .map_err(|e| e.to_string())?;
        encoded.push(bytes.unwrap_or_default());
    }
    let ours_enc = rate(n, started);
    let orders: Vec<Order> = (0..n as i64).map(order).collect();
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&avro_schema)
        .build()
        .map_err(|e| e.to_string())?;
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&avro_schema)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut base_encoded = Vec::with_capacity(n);
    // The baseline encodes with apache-avro's serde path: `write_ser` of a plain
    // `#[derive(Serialize)]` struct into a new Vec per record (ours also returns one owned
    // payload per record). Chosen because it measured fastest of apache-avro's encoders
    // here (`--only B4 --scale 0.25 --pairs 3`, baseline rec/s): `write_ser` 2.21 M,
    // `write_value_ref` of a prebuilt `Value` with validation off 1.07 M, and the previous
    // baseline, `write_value_to_vec(value.clone())` with validation, 0.95 M. `write_ser`
    // builds no `Value` tree and runs no validation pass (the serializer follows the schema).
    for o in &orders {
        base_encoded.push(writer.write_ser_to_vec(o).map_err(|e| e.to_string())?);
    }
    let base_enc = rate(n, started);

    // Avro decode.
    let started = Instant::now();
    for b in &encoded {
        let back =
            avro.to_connect_data("b4", &headers, Some(b)).await.map_err(|e| e.to_string())?;
        if back.value.is_null() {
            return Err("Avro decode returned null".into());
        }
    }
    let ours_dec = rate(n, started);
    let started = Instant::now();
    for b in &base_encoded {
        let mut slice = b.as_slice();
        reader.read_value(&mut slice).map_err(|e| e.to_string())?;
    }
    let base_dec = rate(n, started);

    // JSON: ours (schemas.enable=false) vs serde_json on the same object.
    let json = JsonConverter::new().with_schemas_enable(false);
    let started = Instant::now();
    let mut json_bytes = 0usize;
    let mut json_encoded = Vec::with_capacity(n);
    for v in &values {
        let b = json.serialize(Some(&schema), v).map_err(|e| e.to_string())?.unwrap_or_default();
        json_bytes += b.len();
        json_encoded.push(b);
    }
    let ours_jenc = json_bytes as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-9);
    let objects: Vec<serde_json::Value> = json_encoded
        .iter()
        .map(|b| serde_json::from_slice(b))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut base_bytes = 0usize;
    for o in &objects {
        base_bytes += serde_json::to_vec(o).map_err(|e| e.to_string())?.len();
    }
    let base_jenc = base_bytes as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-9);
    let started = Instant::now();
    for b in &json_encoded {
        json.deserialize(Some(b)).map_err(|e| e.to_string())?;
    }
    let ours_jdec = json_bytes as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-9);
    let started = Instant::now();
    for b in &json_encoded {
        let _: serde_json::Value = serde_json::from_slice(b).map_err(|e| e.to_string())?;
    }
    let base_jdec = json_bytes as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-9);

    Ok(CodecPairs {
        avro_encode: Pair { ours: ours_enc, baseline: base_enc },
        avro_decode: Pair { ours: ours_dec, baseline: base_dec },
        json_encode: Pair { ours: ours_jenc, baseline: base_jenc },
        json_decode: Pair { ours: ours_jdec, baseline: base_jdec },
    })
}
