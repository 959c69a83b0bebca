//! End to end: JSON records with schema envelopes produced to a topic of the embedded
//! broker, sunk into PostgreSQL by a standalone worker running JdbcSinkConnector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sink_support;

use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_jdbc::Dialect;
use connect_runtime::PluginRegistry;
use connect_runtime::kafka::EmbeddedBroker;
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sink_support::Target;

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn envelope(i: u64) -> String {
    let schema = r#"{"type":"struct","name":"Order","optional":false,"fields":[
        {"field":"id","type":"int64","optional":false},
        {"field":"customer","type":"string","optional":false},
        {"field":"amount","type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},
        {"field":"placed","type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},
        {"field":"note","type":"string","optional":true}]}"#;
    // amount = i.05 as a base64 two's-complement unscaled integer (i*100 + 5).
    let unscaled = (i as i64) * 100 + 5;
    let bytes = unscaled.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(7).min(6);
    let trimmed = &bytes[first..];
    let b64 = base64_encode(trimmed);
    let note = if i.is_multiple_of(3) { "null".to_string() } else { format!("\"note {i}\"") };
    format!(
        r#"{{"schema":{schema},"payload":{{"id":{i},"customer":"c{}","amount":"{b64}","placed":{},"note":{note}}}}}"#,
        i % 7,
        1_704_067_200_000u64 + i * 1000
    )
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_topic_into_postgres_through_a_standalone_worker() {
    const N: u64 = 5_000;
    let t = Target::new(Dialect::Postgres).await;
    let topic = common::unique("sink_e2e");
    let broker = tokio::task::spawn_blocking(|| EmbeddedBroker::start(1)).await.unwrap().unwrap();
    broker.create_topic(&topic, 3).unwrap();
    let bootstrap = broker.bootstrap_servers().to_string();
    {
        let producer: BaseProducer =
            ClientConfig::new().set("bootstrap.servers", &bootstrap).create().unwrap();
        for i in 1..=N {
            let payload = envelope(i);
            let key = i.to_string();
            let mut record = BaseRecord::to(&topic).payload(&payload).key(&key);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        record = r;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let offsets = dir.path().join("offsets");
    let worker = Standalone::start(
        StandaloneOptions {
            worker_config: raw(&[
                ("listeners", "http://127.0.0.1:0"),
                ("bootstrap.servers", &bootstrap),
                ("offset.storage.file.filename", offsets.to_str().unwrap()),
                ("offset.flush.interval.ms", "500"),
                ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
                ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
            ]),
            connectors: vec![raw(&[
                ("name", &common::unique("jdbc-sink")),
                ("connector.class", "io.confluent.connect.jdbc.JdbcSinkConnector"),
                ("tasks.max", "1"),
                ("topics", &topic),
                ("connection.url", &format!("jdbc:{}", t.url)),
                ("auto.create", "true"),
                ("insert.mode", "upsert"),
                ("pk.mode", "record_value"),
                ("pk.fields", "id"),
            ])],
        },
        {
            let mut r = PluginRegistry::new();
            r.register(connect_jdbc::plugins()).unwrap();
            r
        },
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let count = t
            .rows(&format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = '{topic}'"
            ))
            .await[0][0]
            .clone();
        if count == "1" && t.count(&topic).await >= N as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {N} rows in {topic}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.shutdown().await;
    assert_eq!(t.count(&topic).await, N as i64);
    let rows = t
        .rows(&format!(
            "SELECT id, customer, amount::text, placed, note FROM \"{topic}\" WHERE id IN (3, 1234) ORDER BY id"
        ))
        .await;
    assert_eq!(
        rows,
        [
            ["3", "c3", "3.05", "2024-01-01 00:00:03", "NULL"],
            ["1234", "c2", "1234.05", "2024-01-01 00:20:34", "note 1234"],
        ]
    );
    t.drop_table(&topic).await;
}
