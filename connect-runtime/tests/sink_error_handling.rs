//! Sink error handling on a worker embedded as a program would run it, on Apache Kafka:
//! under `errors.tolerance=all`, a batch that `put` rejects for bad data is bisected so
//! that only the records that fail alone reach the dead letter queue (the sink here is
//! the archetype: an atomic `put` that refuses the whole batch when one record is bad and
//! reports nothing itself); and a record skipped after one still in retry never moves
//! the committed offset past the one in retry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::data::Value;
use connect_api::record::{ConnectRecord, SinkRecord};
use connect_api::{ConnectError, Result, SinkTask};
use connect_runtime::metrics::Count;
use connect_runtime::status::State;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers as _, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// What one test's sink wrote, and how many times `put` was called.
#[derive(Default)]
struct Written {
    values: Vec<String>,
    puts: usize,
}

fn written() -> &'static Mutex<HashMap<String, Arc<Mutex<Written>>>> {
    static W: OnceLock<Mutex<HashMap<String, Arc<Mutex<Written>>>>> = OnceLock::new();
    W.get_or_init(Default::default)
}

/// Writes a batch only if no value in it starts with "poison".
#[derive(Default)]
struct AtomicTask(Option<Arc<Mutex<Written>>>);

#[async_trait]
impl SinkTask for AtomicTask {
    async fn start(&mut self, _: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.0 = written().lock().unwrap().get(&config["written"]).cloned();
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let Some(w) = &self.0 else { return Ok(()) };
        let mut w = w.lock().unwrap();
        w.puts += 1;
        let values: Vec<String> = records
            .iter()
            .map(|r| match r.value() {
                Value::String(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        if let Some(bad) = values.iter().find(|v| v.starts_with("poison")) {
            return Err(ConnectError::data(format!("refusing the batch: {bad}")));
        }
        w.values.extend(values);
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_records_that_fail_alone_are_dead_lettered() {
    const N: usize = 500;
    let poison = [100, 250, 400];
    let key = unique("written");
    let w: Arc<Mutex<Written>> = Arc::default();
    written().lock().unwrap().insert(key.clone(), w.clone());
    let mut registry = registry();
    registry
        .register([common::sinks::sink_plugin("test.Atomic", || Box::new(AtomicTask::default()))])
        .unwrap();
    let worker = standalone_with(registry, &[("bootstrap.servers", &bootstrap())], vec![]).await;
    let herder = worker.herder().clone();
    let (topic, dlq) = (unique("bisect-in"), unique("bisect-dlq"));
    herder.worker().kafka().create_topic(&topic, 1).await.unwrap();
    let value =
        |i: usize| if poison.contains(&i) { format!("poison-{i}") } else { format!("ok-{i}") };
    let p: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    for i in 0..N {
        p.send(BaseRecord::<str, str>::to(&topic).key(&i.to_string()).payload(&value(i))).unwrap();
    }
    p.flush(Duration::from_secs(30)).unwrap();
    let config = raw(&[
        ("connector.class", "test.Atomic"),
        ("topics", &topic),
        ("written", &key),
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("consumer.override.max.poll.records", "500"),
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", &dlq),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]);
    let name = unique("atomic");
    herder.put_connector(&name, config, true).await.unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while w.lock().unwrap().values.len() < N - poison.len() {
        if std::time::Instant::now() > until {
            let st = herder.status(&name).await.unwrap();
            let (n, puts) = {
                let w = w.lock().unwrap();
                (w.values.len(), w.puts)
            };
            panic!("{n} of {} written after {puts} puts; tasks {:?}", N - poison.len(), st.tasks);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: Vec<String> = (0..N).filter(|i| !poison.contains(i)).map(value).collect();
    assert_eq!(w.lock().unwrap().values, expected, "every good record once, in order");

    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[dlq.as_str()]).unwrap();
    let mut dead = Vec::new();
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < until && dead.len() <= poison.len() {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
            let stage = m
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == "__connect.errors.stage"))
                .and_then(|h| h.value.map(|v| String::from_utf8(v.to_vec()).unwrap()));
            dead.push((String::from_utf8(m.payload().unwrap().to_vec()).unwrap(), stage));
        }
        if dead.len() == poison.len() && std::time::Instant::now() + Duration::from_secs(27) > until
        {
            break;
        }
    }
    let expected_dead: Vec<(String, Option<String>)> =
        poison.iter().map(|i| (value(*i), Some("TASK_PUT".to_string()))).collect();
    assert_eq!(dead, expected_dead, "exactly the poison records, each once");
    let statuses = herder.status(&name).await.unwrap();
    assert_eq!(statuses.tasks[0].state, State::Running);
    // Kafka's task-error metrics: each poison record skipped once and dead-lettered once.
    let id = connect_runtime::task::TaskId { connector: name.clone(), task: 0 };
    let counts = herder.worker().task_error_counts(&id).unwrap();
    assert_eq!((counts.records_skipped, counts.dlq_produce_requests), (3, 3), "{counts:?}");
    assert_eq!(counts.record_failures, 3, "{counts:?}");
    assert!(counts.last_error_millis > 0, "{counts:?}");
    // The task's counters: every record read once, each good one put once; only the
    // puts that succeeded are timed, and none put more than a poll's 500.
    let m = herder.worker().metrics().task(&id).unwrap();
    assert_eq!(m.count(Count::Read), N as u64);
    assert_eq!(m.count(Count::Sent), (N - poison.len()) as u64);
    let failed_puts = w.lock().unwrap().puts as u64 - m.count(Count::Puts);
    assert!(failed_puts >= poison.len() as u64, "{failed_puts} failed puts timed apart");
    assert_eq!(m.count(Count::Batches), m.count(Count::Puts));
    assert_eq!(m.count(Count::BatchRecords), (N - poison.len()) as u64);
    eprintln!("{} puts for {N} records with {} poison", w.lock().unwrap().puts, poison.len());
    worker.shutdown().await;
}

/// Refuses every batch with a retriable error, as a sink whose system is down.
struct DownTask;

#[async_trait]
impl SinkTask for DownTask {
    async fn start(&mut self, _: SinkTaskContext, _: RawConfig) -> Result<()> {
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        if records.is_empty() { Ok(()) } else { Err(ConnectError::retriable("the system is down")) }
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A record skipped under `errors.tolerance=all` after one that is still in retry must
/// not move the committed offset past the one in retry, even when the task stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_in_retry_is_not_committed_past_when_the_task_stops() {
    let mut registry = registry();
    registry.register([common::sinks::sink_plugin("test.Down", || Box::new(DownTask))]).unwrap();
    let worker = standalone_with(registry, &[("bootstrap.servers", &bootstrap())], vec![]).await;
    let herder = worker.herder().clone();
    let topic = unique("in-retry");
    herder.worker().kafka().create_topic(&topic, 1).await.unwrap();
    let p: BaseProducer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    // Offset 0 converts and waits in retry; offset 1 is not JSON and is skipped.
    for v in ["\"good\"", "{not json"] {
        p.send(BaseRecord::<(), str>::to(&topic).payload(v)).unwrap();
    }
    p.flush(Duration::from_secs(30)).unwrap();
    let name = unique("down");
    let config = raw(&[
        ("connector.class", "test.Down"),
        ("topics", &topic),
        ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
        ("value.converter.schemas.enable", "false"),
        ("errors.tolerance", "all"),
    ]);
    herder.put_connector(&name, config, true).await.unwrap();
    let id = connect_runtime::task::TaskId { connector: name.clone(), task: 0 };
    let until = std::time::Instant::now() + Duration::from_secs(60);
    // The skip happened and put was refused at least twice.
    loop {
        let c = herder.worker().task_error_counts(&id).unwrap_or_default();
        if c.records_skipped == 1 && c.retries >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < until, "no retry seen: {c:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A put refused every time: nothing counts as sent, no put as timed.
    let m = herder.worker().metrics().task(&id).unwrap();
    assert_eq!((m.count(Count::Sent), m.count(Count::Puts)), (0, 0));
    assert_eq!(m.count(Count::Read), 2);
    herder.delete_connector(&name).await.unwrap();
    worker.shutdown().await;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", format!("connect-{name}"))
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition(&topic, 0);
    let committed = consumer.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    let offset = committed.elements()[0].offset();
    assert!(
        matches!(offset, rdkafka::Offset::Invalid | rdkafka::Offset::Offset(0)),
        "committed past the record in retry: {offset:?}"
    );
}
