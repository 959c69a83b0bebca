//! `errors.*` end to end, on the real `connect-standalone` binary and Apache Kafka: records
//! the converter rejects go to the dead letter queue with their original bytes and Kafka's
//! context headers while the task keeps RUNNING; rows PostgreSQL refuses are reported by
//! the JDBC sink through the errant record reporter, so exactly those reach the dead
//! letter queue and every other row is written once. (The runtime's bisection of batches
//! that a sink rejects whole is in connect-runtime/tests/sink_error_handling.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use support::*;

async fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let new = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
}

/// A record as it went in or came out: key, value, headers.
type Raw = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, Option<Vec<u8>>)>);

fn produce(topic: &str, records: &[Raw]) {
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "20")
        .create()
        .unwrap();
    for (k, v, hs) in records {
        let mut headers = OwnedHeaders::new();
        for (hk, hv) in hs {
            headers = headers.insert(Header { key: hk, value: hv.as_deref() });
        }
        let mut r = BaseRecord::<[u8], [u8]>::to(topic).headers(headers).partition(0);
        if let Some(k) = k {
            r = r.key(k);
        }
        if let Some(v) = v {
            r = r.payload(v);
        }
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(50));
                    r = back;
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Reads `topic` from the beginning until `n` records came (or `timeout` passed), then
/// a further second to see that no more come.
fn consume(topic: &str, n: usize, timeout: Duration) -> Vec<Raw> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut settle: Option<Instant> = None;
    while Instant::now() < deadline && settle.is_none_or(|s| Instant::now() < s) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let headers = m
                .headers()
                .map(|hs| {
                    hs.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect()
                })
                .unwrap_or_default();
            out.push((m.key().map(<[u8]>::to_vec), m.payload().map(<[u8]>::to_vec), headers));
        }
        if out.len() >= n && settle.is_none() {
            settle = Some(Instant::now() + Duration::from_secs(1));
        }
    }
    out
}

fn header<'a>(r: &'a Raw, key: &str) -> Option<&'a str> {
    r.2.iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_deref())
        .map(|v| std::str::from_utf8(v).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_records_go_to_the_dead_letter_queue_with_their_bytes_and_context() {
    const GOOD: usize = 10_000;
    const BAD: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let (input, dlq, name) = (unique("dlq-in"), unique("dlq-out"), unique("dlq-sink"));
    create_topic(&input, 1).await;
    // Every 11th record is not JSON; each has a key and a header of its own.
    let records: Vec<Raw> = (0..GOOD + BAD)
        .map(|i| {
            let value = if i % 11 == 5 {
                format!("{{\"broken\": {i}").into_bytes()
            } else {
                format!("\"line-{i}\"").into_bytes()
            };
            (
                Some(format!("k{i}").into_bytes()),
                Some(value),
                vec![("h".into(), Some(format!("v{i}").into_bytes()))],
            )
        })
        .collect();
    produce(&input, &records);
    let out = dir.path().join("out.txt");
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n",
        &[format!(
            "name={name}\nconnector.class=FileStreamSink\ntopics={input}\nfile={}\nerrors.tolerance=all\nerrors.log.enable=true\nerrors.log.include.messages=true\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.topic.replication.factor=1\nerrors.deadletterqueue.context.headers.enable=true\n",
            out.display()
        )],
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while line_count(&out) < GOOD {
        assert!(
            Instant::now() < deadline,
            "{} of {GOOD} lines in the sink file; task {}; log:\n{}",
            line_count(&out),
            worker.task_state(&name).await,
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let expected: Vec<String> =
        (0..GOOD + BAD).filter(|i| i % 11 != 5).map(|i| format!("line-{i}")).collect();
    let written: Vec<String> =
        std::fs::read_to_string(&out).unwrap().lines().map(String::from).collect();
    assert_eq!(written, expected, "the good records, in order, once each");

    let dead = consume(&dlq, BAD, Duration::from_secs(60));
    assert_eq!(dead.len(), BAD, "every malformed record once in the dead letter queue");
    let by_key: HashMap<Vec<u8>, (usize, &Raw)> =
        records.iter().enumerate().map(|(i, r)| (r.0.clone().unwrap(), (i, r))).collect();
    for d in &dead {
        let (i, original) = by_key[d.0.as_ref().unwrap()];
        assert_eq!(i % 11, 5, "only malformed records are dead-lettered");
        assert_eq!(d.1, original.1, "the original value bytes");
        assert_eq!(header(d, "h"), Some(format!("v{i}").as_str()), "the original header");
        assert_eq!(header(d, "__connect.errors.topic"), Some(input.as_str()));
        assert_eq!(header(d, "__connect.errors.partition"), Some("0"));
        assert_eq!(header(d, "__connect.errors.offset"), Some(i.to_string().as_str()));
        assert_eq!(header(d, "__connect.errors.connector.name"), Some(name.as_str()));
        assert_eq!(header(d, "__connect.errors.task.id"), Some("0"));
        assert_eq!(header(d, "__connect.errors.stage"), Some("VALUE_CONVERTER"));
        assert_eq!(
            header(d, "__connect.errors.class.name"),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert_eq!(
            header(d, "__connect.errors.exception.class.name"),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(!header(d, "__connect.errors.exception.message").unwrap().is_empty());
        assert!(header(d, "__connect.errors.exception.stacktrace").unwrap().contains("data error"));
    }
    assert_eq!(worker.task_state(&name).await, "RUNNING", "log:\n{}", worker.log_tail());
    let log = worker.log_text();
    assert_eq!(
        log.matches("executing stage VALUE_CONVERTER").count(),
        BAD,
        "errors.log.enable logs each failure"
    );
    // errors.log.include.messages: the record itself is in the log.
    assert!(log.contains(r#"value="{\"broken\": 5""#), "the record is logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_the_database_refuses_are_dead_lettered_by_the_jdbc_sink_and_the_rest_written_once() {
    const N: i64 = 500;
    let poison: BTreeSet<i64> = [100, 250, 400].into();
    let url = postgres_url();
    let table = unique("refused").replace('-', "_");
    psql(
        &url,
        &format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0))"),
    )
    .expect("PostgreSQL answers");
    let (input, dlq, name) = (unique("refused-in"), unique("refused-dlq"), unique("refused-sink"));
    create_topic(&input, 1).await;
    let schema = r#"{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"n","type":"int64"}]}"#;
    let records: Vec<Raw> = (0..N)
        .map(|i| {
            let n = if poison.contains(&i) { -1 } else { i };
            let value = format!(r#"{{"schema":{schema},"payload":{{"id":{i},"n":{n}}}}}"#);
            (Some(i.to_string().into_bytes()), Some(value.into_bytes()), vec![])
        })
        .collect();
    produce(&input, &records);
    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n",
        &[format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\nconnection.url={url}\ntopics={input}\ntable.name.format={table}\ninsert.mode=insert\npk.mode=record_value\npk.fields=id\nmax.retries=0\nconsumer.override.max.poll.records=500\nerrors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.topic.replication.factor=1\nerrors.deadletterqueue.context.headers.enable=true\n"
        )],
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let count =
        || psql(&url, &format!("SELECT count(*) FROM {table}")).unwrap().parse::<i64>().unwrap();
    while count() < N - poison.len() as i64 {
        assert!(
            Instant::now() < deadline,
            "{} rows of {}; task {}; log:\n{}",
            count(),
            N - poison.len() as i64,
            worker.task_state(&name).await,
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let dead = consume(&dlq, poison.len(), Duration::from_secs(60));
    let dead_ids: BTreeMap<i64, String> = dead
        .iter()
        .map(|d| {
            let id = String::from_utf8(d.0.clone().unwrap()).unwrap().parse().unwrap();
            (id, header(d, "__connect.errors.stage").unwrap_or_default().to_string())
        })
        .collect();
    assert_eq!(dead.len(), poison.len(), "each poison record once: {dead_ids:?}");
    assert_eq!(dead_ids.keys().copied().collect::<BTreeSet<_>>(), poison);
    assert!(dead_ids.values().all(|s| s == "TASK_PUT"), "{dead_ids:?}");
    let ids: BTreeSet<i64> = psql(&url, &format!("SELECT id FROM {table}"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(ids, (0..N).filter(|i| !poison.contains(i)).collect::<BTreeSet<_>>());
    assert_eq!(worker.task_state(&name).await, "RUNNING", "log:\n{}", worker.log_tail());
    let _ = psql(&url, &format!("DROP TABLE {table}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_queue_that_cannot_be_created_fails_the_task_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let (input, dlq, name) = (unique("dlq-rf-in"), unique("dlq-rf"), unique("dlq-rf-sink"));
    // The default replication factor, 3, on a one-broker cluster.
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "",
        &[format!(
            "name={name}\nconnector.class=FileStreamSink\ntopics={input}\nfile={}\nerrors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\n",
            dir.path().join("out.txt").display()
        )],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        let v = worker.status(&name).await;
        if v["tasks"][0]["state"] == "FAILED" {
            break v["tasks"][0]["trace"].as_str().unwrap_or_default().to_string();
        }
        assert!(Instant::now() < deadline, "the task never failed; log:\n{}", worker.log_tail());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        trace.contains(&format!("Could not initialize dead letter queue with topic={dlq}")),
        "{trace}"
    );
    assert!(trace.contains("replication factor 3"), "{trace}");
}
