//! Kafka's transformations end to end, on the real `connect-standalone` binary and Apache
//! Kafka, configured as a user would in properties files. Orders go into a topic as JSON
//! with schemas (a nested customer struct, a Timestamp field, Kafka record timestamps and
//! headers); a sink connector shapes them with Flatten, Cast, MaskField,
//! TimestampConverter, DropHeaders (checked by a Filter on the HasHeaderKey predicate),
//! TimestampRouter and InsertField and writes them to a file. A source connector
//! publishes that file's lines to a second topic with HoistField, InsertField, HeaderFrom,
//! InsertHeader, ValueToKey and SetSchemaMetadata; the test reads that topic back and
//! checks every key, value, header and topic name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

const T: &str = "org.apache.kafka.connect.transforms";

/// The worker process, killed when the test ends, however it ends.
struct Worker {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Starts `connect-standalone` with the worker settings and one properties file per
    /// connector.
    fn start(dir: &Path, connectors: &[(&str, String)]) -> Worker {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let worker = dir.join("worker.properties");
        std::fs::write(
            &worker,
            format!(
                "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
                 offset.storage.file.filename={}\noffset.flush.interval.ms=500\n\
                 key.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter=org.apache.kafka.connect.storage.StringConverter\n",
                bootstrap(),
                dir.join("offsets").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-standalone"));
        cmd.arg(&worker);
        for (name, props) in connectors {
            let file = dir.join(format!("{name}.properties"));
            std::fs::write(&file, props).unwrap();
            cmd.arg(file);
        }
        let log = dir.join("worker.log");
        let child =
            cmd.stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap()).spawn().unwrap();
        Worker { child, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

async fn create_topics(names: &[&str]) {
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let new: Vec<NewTopic> =
        names.iter().map(|n| NewTopic::new(n, 1, TopicReplication::Fixed(1))).collect();
    for result in admin.create_topics(&new, &AdminOptions::new()).await.unwrap() {
        result.unwrap();
    }
}

/// An order as JsonConverter with `schemas.enable=true` writes it: a nested customer
/// with an address, an amount in cents, a quantity and a Timestamp.
fn order(
    id: i32,
    name: &str,
    email: &str,
    city: &str,
    cents: i32,
    qty: i16,
    created: i64,
) -> Value {
    let string = |f: &str| json!({"field": f, "type": "string", "optional": false});
    json!({
        "schema": {
            "type": "struct", "name": "shop.Order", "optional": false,
            "fields": [
                {"field": "id", "type": "int32", "optional": false},
                {"field": "customer", "type": "struct", "name": "shop.Customer", "optional": false, "fields": [
                    string("name"),
                    string("email"),
                    {"field": "address", "type": "struct", "optional": false, "fields": [string("city")]},
                ]},
                {"field": "amount", "type": "int32", "optional": false},
                {"field": "qty", "type": "int16", "optional": false},
                {"field": "created", "type": "int64", "optional": false,
                 "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
            ],
        },
        "payload": {
            "id": id,
            "customer": {"name": name, "email": email, "address": {"city": city}},
            "amount": cents,
            "qty": qty,
            "created": created,
        },
    })
}

/// A record to produce: value, record timestamp and headers.
type Input<'a> = (Value, i64, Vec<(&'a str, &'a str)>);

/// Produces records to partition 0 of `topic`.
fn produce(topic: &str, records: &[Input<'_>]) {
    let producer: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    for (value, timestamp, headers) in records {
        let payload = value.to_string();
        let mut hs = OwnedHeaders::new();
        for (k, v) in headers {
            hs = hs.insert(Header { key: k, value: Some(v.as_bytes()) });
        }
        let record = BaseRecord::<(), str>::to(topic)
            .payload(&payload)
            .partition(0)
            .timestamp(*timestamp)
            .headers(hs);
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// A record read back: topic, key, value and headers, as text.
#[derive(Debug, PartialEq)]
struct Out {
    topic: String,
    key: Value,
    value: Value,
    headers: Vec<(String, String)>,
}

/// Reads `topic` from the start until `n` records came or `timeout` passed, then one more
/// second to see that no more come.
fn consume(topic: &str, n: usize, timeout: Duration) -> Vec<Out> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("smt-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let text = |b: Option<&[u8]>| String::from_utf8(b.unwrap_or_default().to_vec()).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut settle: Option<Instant> = None;
    while Instant::now() < deadline && settle.is_none_or(|s| Instant::now() < s) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let headers = m
                .headers()
                .map(|hs| hs.iter().map(|h| (h.key.to_string(), text(h.value))).collect())
                .unwrap_or_default();
            out.push(Out {
                topic: m.topic().to_string(),
                key: serde_json::from_str(&text(m.key())).unwrap(),
                value: serde_json::from_str(&text(m.payload())).unwrap(),
                headers,
            });
        }
        if out.len() >= n && settle.is_none() {
            settle = Some(Instant::now() + Duration::from_secs(1));
        }
    }
    out
}

/// The sink connector: Kafka's JSON orders, shaped, into `file`.
fn shape_connector(topic: &str, file: &Path) -> String {
    format!(
        "name=shape\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile={}\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=true\n\
         transforms=flat,cast,mask,time,drop,untraced,route,stamp\n\
         transforms.flat.type={T}.Flatten$Value\n\
         transforms.flat.delimiter=_\n\
         transforms.cast.type={T}.Cast$Value\n\
         transforms.cast.spec=amount:float64,qty:string\n\
         transforms.mask.type={T}.MaskField$Value\n\
         transforms.mask.fields=customer_email\n\
         transforms.mask.replacement=***\n\
         transforms.time.type={T}.TimestampConverter$Value\n\
         transforms.time.field=created\n\
         transforms.time.target.type=string\n\
         transforms.time.format=yyyy-MM-dd HH:mm:ss\n\
         transforms.drop.type={T}.DropHeaders\n\
         transforms.drop.headers=trace\n\
         transforms.untraced.type={T}.Filter\n\
         transforms.untraced.predicate=traced\n\
         transforms.route.type={T}.TimestampRouter\n\
         transforms.route.topic.format=${{topic}}.${{timestamp}}\n\
         transforms.route.timestamp.format=yyyyMMdd\n\
         transforms.stamp.type={T}.InsertField$Value\n\
         transforms.stamp.topic.field=routed\n\
         predicates=traced\n\
         predicates.traced.type={T}.predicates.HasHeaderKey\n\
         predicates.traced.name=trace\n",
        file.display()
    )
}

/// The source connector: the lines of `file` to `topic`, keyed and with headers.
fn publish_connector(file: &Path, topic: &str) -> String {
    format!(
        "name=publish\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic={topic}\n\
         key.converter=org.apache.kafka.connect.json.JsonConverter\n\
         key.converter.schemas.enable=false\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=true\n\
         transforms=hoist,origin,header,pipeline,key,meta\n\
         transforms.hoist.type={T}.HoistField$Value\n\
         transforms.hoist.field=order\n\
         transforms.origin.type={T}.InsertField$Value\n\
         transforms.origin.static.field=origin\n\
         transforms.origin.static.value=shape\n\
         transforms.header.type={T}.HeaderFrom$Value\n\
         transforms.header.fields=origin\n\
         transforms.header.headers=origin\n\
         transforms.header.operation=move\n\
         transforms.pipeline.type={T}.InsertHeader\n\
         transforms.pipeline.header=pipeline\n\
         transforms.pipeline.value.literal=smt-e2e\n\
         transforms.key.type={T}.ValueToKey\n\
         transforms.key.fields=order\n\
         transforms.meta.type={T}.SetSchemaMetadata$Value\n\
         transforms.meta.schema.name=shop.PublishedOrder\n\
         transforms.meta.schema.version=3\n",
        file.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_of_kafka_transformations_shapes_keys_values_headers_and_topics() {
    let dir = tempfile::tempdir().unwrap();
    let orders = unique("smt-orders");
    let published = unique("smt-published");
    create_topics(&[&orders, &published]).await;
    // 2024-02-29T12:00:00Z and 2024-03-01T08:30:15Z, as order and record timestamps.
    let (feb29, mar1) = (1_709_208_000_000_i64, 1_709_281_815_000_i64);
    produce(
        &orders,
        &[
            (order(1, "Ada", "ada@example.com", "London", 1250, 3, feb29), feb29, vec![]),
            (
                order(2, "Linus", "linus@example.com", "Helsinki", 99, 1, mar1),
                mar1,
                vec![("trace", "t-2")],
            ),
        ],
    );
    let shaped = dir.path().join("shaped.jsonl");
    std::fs::write(&shaped, "").unwrap();
    let worker = Worker::start(
        dir.path(),
        &[
            ("shape", shape_connector(&orders, &shaped)),
            ("publish", publish_connector(&shaped, &published)),
        ],
    );

    // The sink's lines: flattened, cast, masked, the Timestamp as text, the topic the
    // router named. The traced order comes through: DropHeaders removed its header
    // before the Filter looked for it.
    let line = |id: i32, name: &str, city: &str, amount: &str, qty: &str, at: &str, day: &str| {
        format!(
            "{{\"id\":{id},\"customer_name\":\"{name}\",\"customer_email\":\"***\",\
             \"customer_address_city\":\"{city}\",\"amount\":{amount},\"qty\":\"{qty}\",\
             \"created\":\"{at}\",\"routed\":\"{orders}.{day}\"}}"
        )
    };
    let expected_lines = [
        line(1, "Ada", "London", "1250.0", "3", "2024-02-29 12:00:00", "20240229"),
        line(2, "Linus", "Helsinki", "99.0", "1", "2024-03-01 08:30:15", "20240301"),
    ];
    let t0 = Instant::now();
    while line_count(&shaped) < 2 && t0.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let written = std::fs::read_to_string(&shaped).unwrap();
    assert_eq!(
        written.lines().collect::<Vec<_>>(),
        expected_lines,
        "worker log:\n{}",
        worker.log_tail()
    );

    // What the source published: keyed by the line, the line hoisted into a struct with
    // the schema name and version set, the inserted field moved into a header.
    let out = consume(&published, 2, Duration::from_secs(90));
    let expected: Vec<Out> = expected_lines
        .iter()
        .map(|l| Out {
            topic: published.clone(),
            key: json!({"order": l}),
            value: json!({
                "schema": {
                    "type": "struct", "optional": false,
                    "name": "shop.PublishedOrder", "version": 3,
                    "fields": [{"field": "order", "type": "string", "optional": false}],
                },
                "payload": {"order": l},
            }),
            headers: vec![("origin".into(), "shape".into()), ("pipeline".into(), "smt-e2e".into())],
        })
        .collect();
    assert_eq!(out, expected, "worker log:\n{}", worker.log_tail());
    drop(worker);
}
