//! Checks of fuzzed input to the Avro converter, shared by `tests/fuzzed_inputs.rs` and
//! the `avro_converter` cargo-fuzz target (`fuzz/`, which includes this folder by path):
//! a converter against an in-memory schema registry, records in Confluent's wire format
//! (magic byte 0, the schema id, Avro binary) cut short, corrupted or made up, and
//! generated schemas and values written and read back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../connect-runtime/tests/fuzz_checks/cases.rs"]
pub mod cases;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use connect_api::config::RawConfig;
use connect_api::convert::Converter;
use connect_api::data::logical::{Decimal, Timestamp};
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::error::{ConnectError, ErrorKind};
use connect_avro::{AvroConverter, avro_to_connect};
use connect_schema_registry::RegistryServer;

/// A converter, the registry it writes to, and the schemas registered in it.
pub struct AvroFixture {
    /// The registry (kept running while the fixture lives).
    pub server: RegistryServer,
    /// The converter under test (value side, auto-registering).
    pub converter: AvroConverter,
    /// The registered schema ids, each with the topic it was written to.
    pub known: Vec<(u32, String)>,
    topics: AtomicU64,
}

fn known_schemas() -> Vec<(Schema, Value)> {
    let record = SchemaBuilder::struct_()
        .name("fuzz.Known")
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("price", Decimal::schema(2))
        .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
        .field(
            "attrs",
            SchemaBuilder::map(Schema::string(), Schema::optional_int32()).build().unwrap(),
        )
        .field("at", Timestamp::schema())
        .field("small", Schema::int8())
        .build()
        .unwrap();
    let mut s = Struct::new(record.clone()).unwrap();
    s.put("id", 7i64).unwrap();
    s.put("name", "seven").unwrap();
    s.put("price", Decimal::new(1999, 2)).unwrap();
    s.put("tags", Value::Array(vec![Value::String("a".into())])).unwrap();
    s.put("attrs", Value::Map(vec![(Value::String("k".into()), Value::Int32(1))])).unwrap();
    s.put("at", Timestamp(1_700_000_000_000)).unwrap();
    s.put("small", 3i8).unwrap();
    vec![
        (record, Value::Struct(s)),
        (Schema::string(), Value::String("text".into())),
        (Schema::int64(), Value::Int64(-5)),
        (Schema::optional_bytes(), Value::Bytes(vec![1, 2, 3])),
        (Schema::float64(), Value::Float64(1.5)),
    ]
}

impl AvroFixture {
    /// Starts a registry on a free port and registers [`known_schemas`] through the
    /// converter.
    pub async fn start() -> AvroFixture {
        let server = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
        let config: RawConfig = [("schema.registry.url".to_string(), server.url())].into();
        let mut converter = AvroConverter::new();
        Converter::configure(&mut converter, &config, false).unwrap();
        let mut known = Vec::new();
        for (i, (schema, value)) in known_schemas().into_iter().enumerate() {
            let topic = format!("fuzz-known-{i}");
            let bytes = converter.serialize(&topic, Some(&schema), &value).await.unwrap().unwrap();
            let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
            known.push((id, topic));
        }
        AvroFixture { server, converter, known, topics: AtomicU64::new(0) }
    }

    fn fresh_topic(&self) -> String {
        format!("fuzz-{}", self.topics.fetch_add(1, Ordering::Relaxed))
    }
}

/// One fixture for the whole process, with the runtime its registry and converter run
/// on (call its checks through `runtime.block_on`).
pub fn shared() -> &'static (tokio::runtime::Runtime, AvroFixture) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, AvroFixture)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let fix = rt.block_on(AvroFixture::start());
        (rt, fix)
    })
}

fn shown(data: &[u8]) -> String {
    format!("{data:02x?}")
}

fn assert_refusal(e: &ConnectError, data: &[u8]) {
    assert!(
        matches!(e.kind(), ErrorKind::Data | ErrorKind::Schema | ErrorKind::NotFound),
        "error of kind {:?} for {}: {}",
        e.kind(),
        shown(data),
        e.message()
    );
    assert!(!e.message().trim().is_empty(), "empty message for {}", shown(data));
}

/// Bytes as a record: as they are (not the wire format: refused for its magic byte), and
/// framed with the magic byte and a registered schema id (the first byte picks which).
/// Refused with a message, or read as a value that fits its schema and that, written
/// again, reads the same.
pub async fn check_avro_bytes(fix: &AvroFixture, data: &[u8]) {
    let c = &fix.converter;
    if data.len() < 5 || data[0] != 0 {
        let e = c.deserialize("fuzz-raw", Some(data)).await.unwrap_err();
        assert!(e.message().contains("Unknown magic byte"), "{}", e.message());
    }
    let (id, topic) = &fix.known[usize::from(data.first().copied().unwrap_or(0)) % fix.known.len()];
    let mut framed = vec![0];
    framed.extend_from_slice(&id.to_be_bytes());
    framed.extend_from_slice(data.get(1..).unwrap_or_default());
    check_avro_record(fix, topic, &framed).await;
}

/// A record of `topic` (whatever its bytes): refused with a message, or read as a value
/// that fits its schema and that, written again, reads the same.
pub async fn check_avro_record(fix: &AvroFixture, topic: &str, framed: &[u8]) {
    let c = &fix.converter;
    match c.deserialize(topic, Some(framed)).await {
        Err(e) => assert_refusal(&e, framed),
        Ok(read) => {
            let schema = read.schema.as_ref().expect("Avro records have a schema");
            schema.validate_value(&read.value).unwrap_or_else(|e| {
                panic!(
                    "{} read as {:?}, which does not fit {schema}: {}",
                    shown(framed),
                    read.value,
                    e.message()
                )
            });
            let bytes = c.serialize(topic, Some(schema), &read.value).await.unwrap_or_else(|e| {
                panic!("{:?} read from {} does not write: {}", read.value, shown(framed), e.trace())
            });
            let again = c.deserialize(topic, bytes.as_deref()).await.unwrap();
            assert!(
                cases::same_data(&again.value, &read.value),
                "{} reads as {:?}, rewritten as {:?}",
                shown(framed),
                read.value,
                again.value
            );
        }
    }
}

/// A valid record of each registered schema, with the topic it belongs to.
pub async fn valid_records(fix: &AvroFixture) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for ((schema, value), (_, topic)) in known_schemas().into_iter().zip(&fix.known) {
        let bytes = fix.converter.serialize(topic, Some(&schema), &value).await.unwrap();
        out.push((topic.clone(), bytes.unwrap_or_default()));
    }
    out
}

/// A generated schema and value (see [`cases`]) written to a fresh topic: refused with a
/// message, or read back with the same data.
pub async fn check_avro_round_trip(fix: &AvroFixture, data: &[u8]) {
    let (schema, value) = cases::schema_and_value(data);
    let topic = fix.fresh_topic();
    let c = &fix.converter;
    let bytes = match c.serialize(&topic, Some(&schema), &value).await {
        Ok(bytes) => bytes,
        Err(e) => panic!("{value:?} of {schema} does not write: {}", e.trace()),
    };
    let read = c.deserialize(&topic, bytes.as_deref()).await.unwrap_or_else(|e| {
        panic!("{value:?} of {schema}, written as {:?}, does not read: {}", bytes, e.trace())
    });
    assert!(
        cases::same_data(&read.value, &value),
        "{value:?} of {schema} reads as {:?}",
        read.value
    );
}

/// Text as an Avro schema: refused with a message, or mapped to a Connect schema.
pub fn check_avro_schema_text(text: &str) {
    if let Err(e) = avro_to_connect(text) {
        assert!(!e.message().trim().is_empty(), "empty message for {text:?}");
    }
}
