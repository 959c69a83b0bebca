//! The JDBC connectors under faults, on PostgreSQL and MariaDB:
//! - a source in `timestamp+incrementing` mode while rows are inserted and updated, the
//!   worker killed again and again: the latest version of every row reaches the topic
//!   (an update may be seen only in its latest version, as with Kafka's connector);
//! - a sink in upsert mode, the worker killed again and again: the final table holds one
//!   row per key, with the key's last value;
//! - both at once while the database is stopped for 30 s: connections come back
//!   (`connection.attempts`, `connection.backoff.ms`), nothing is lost, no row doubles.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::common::{bootstrap, unique};
use crate::databases::{Db, Restarts};
use crate::faults::{
    Feeder, Row, SINK_CONSUMER, Suite, end_offset, kill_loop, read_topic_until, running,
};
use crate::support::Worker;

/// How long the database stays down.
const OUTAGE: Duration = Duration::from_secs(30);
const WAIT: Duration = Duration::from_secs(120);
/// Keys the sink's records cycle through.
const KEYS: u64 = 200;

/// A table rows are inserted into and updated in, from a feeder thread.
struct SourceTable {
    db: Db,
    table: String,
}

impl SourceTable {
    fn create(db: Db) -> SourceTable {
        let table = unique("rel_src").replace('-', "_");
        db.exec(&format!(
            "CREATE TABLE {table} (id {}, version INT NOT NULL, updated_at TIMESTAMP(6) NOT NULL)",
            db.serial_key()
        ));
        SourceTable { db, table }
    }

    /// Inserts 5 rows and updates 3 (picked with `seed`) every 100 ms.
    fn feed(&self, seed: u64) -> Feeder {
        let (db, table) = (self.db, self.table.clone());
        let mut rng = crate::faults::Rng::new(seed);
        let mut inserted = 0u64;
        Feeder::start(Duration::from_millis(100), move |_| {
            let now = db.now();
            let values: Vec<String> = (0..5).map(|_| format!("(0, {now})")).collect();
            let mut sql =
                format!("INSERT INTO {table} (version, updated_at) VALUES {};", values.join(","));
            if inserted > 0 {
                let ids: Vec<String> =
                    (0..3).map(|_| rng.between(1, inserted + 1).to_string()).collect();
                sql.push_str(&format!(
                    "UPDATE {table} SET version = version + 1, updated_at = {now} WHERE id IN ({});",
                    ids.join(",")
                ));
            }
            // While the database is down nothing is written; the feeder tries again.
            match db.query(&sql) {
                Some(_) => {
                    inserted += 5;
                    5
                }
                None => 0,
            }
        })
    }

    /// Every row's id and latest version.
    fn latest(&self) -> BTreeMap<u64, u64> {
        self.db
            .exec(&format!("SELECT id, version FROM {}", self.table))
            .iter()
            .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
            .collect()
    }

    fn connector(&self, name: &str, prefix: &str) -> String {
        format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\nconnection.url={}\nconnection.attempts=100\nconnection.backoff.ms=1000\nmode=timestamp+incrementing\nincrementing.column.name=id\ntimestamp.column.name=updated_at\ntable.whitelist={}\ntopic.prefix={prefix}\npoll.interval.ms=200\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n",
            self.db.url(),
            self.table
        )
    }

    /// Compares the topic with the table: the row for the table's scenario.
    fn tally(&self, scenario: String, faults: String, topic: &str, recovery: String) -> Row {
        let want = self.latest();
        let mut missing: HashSet<(u64, u64)> = want.iter().map(|(i, v)| (*i, *v)).collect();
        let values = read_topic_until(topic, WAIT, |v| {
            if let Some(pair) = id_version(v) {
                missing.remove(&pair);
            }
            missing.is_empty()
        });
        let mut seen: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        for v in &values {
            *seen.entry(id_version(v).unwrap_or((0, 0))).or_insert(0) += 1;
        }
        let lost = want.iter().filter(|(i, v)| !seen.contains_key(&(**i, **v))).count() as u64;
        Row {
            scenario,
            faults,
            sent: want.len() as u64,
            received: values.len() as u64,
            lost,
            duplicated: seen.values().map(|c| c - 1).sum(),
            duplicates_forbidden: false,
            recovery,
            verdict: String::new(),
        }
        .judge()
    }
}

fn id_version(json: &str) -> Option<(u64, u64)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    Some((v["id"].as_u64()?, v["version"].as_u64()?))
}

/// A topic the sink reads, fed with `{id: i % KEYS, v: i}` records from a feeder.
struct SinkTopic {
    topic: String,
    table: String,
}

impl SinkTopic {
    fn new() -> SinkTopic {
        SinkTopic { topic: unique("rel-upsert"), table: unique("rel_upsert").replace('-', "_") }
    }

    fn feed(&self) -> Feeder {
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let topic = self.topic.clone();
        let schema = r#"{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"v","type":"int64"}]}"#;
        Feeder::start(Duration::from_millis(50), move |from| {
            for i in from..from + 20 {
                let value =
                    format!(r#"{{"schema":{schema},"payload":{{"id":{},"v":{i}}}}}"#, i % KEYS);
                let mut r = BaseRecord::<(), str>::to(&topic).payload(&value);
                while let Err((_, back)) = producer.send(r) {
                    producer.poll(Duration::from_millis(20));
                    r = back;
                }
            }
            producer.flush(Duration::from_secs(30)).unwrap();
            20
        })
    }

    fn connector(&self, db: Db, name: &str) -> String {
        format!(
            "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\nconnection.url={}\nconnection.attempts=100\nconnection.backoff.ms=1000\ntopics={}\ntable.name.format={}\ninsert.mode=upsert\npk.mode=record_value\npk.fields=id\nauto.create=true\nmax.retries=0\nerrors.retry.timeout=-1\nerrors.retry.delay.max.ms=2000\nconsumer.override.max.poll.interval.ms=10000\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n{SINK_CONSUMER}",
            db.url(),
            self.topic,
            self.table
        )
    }

    /// The largest value in the table (0 before it exists or while it cannot be read):
    /// grows while the sink writes.
    fn top(&self, db: Db) -> u64 {
        db.query(&format!("SELECT max(v) FROM {}", self.table))
            .and_then(|r| r.first()?.first()?.parse().ok())
            .unwrap_or(0)
    }

    /// Waits until the table holds every key's last value (`n` records were made); the row.
    async fn tally(
        &self,
        db: Db,
        n: u64,
        scenario: String,
        faults: String,
        recovery: String,
    ) -> Row {
        // Record i carries key i % KEYS and value i: each key's last value.
        let want: BTreeMap<u64, u64> =
            (n.saturating_sub(KEYS).max(1)..=n).map(|i| (i % KEYS, i)).collect();
        let deadline = Instant::now() + WAIT;
        let (mut rows, mut stale) = (Vec::new(), want.len() as u64);
        while Instant::now() < deadline {
            rows = db.query(&format!("SELECT id, v FROM {}", self.table)).unwrap_or_default();
            let have: BTreeMap<u64, u64> = rows
                .iter()
                .map(|r| (r[0].parse().unwrap_or(u64::MAX), r[1].parse().unwrap_or(0)))
                .collect();
            stale = want.iter().filter(|(k, v)| have.get(k) != Some(v)).count() as u64;
            if stale == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let distinct: HashSet<&String> = rows.iter().map(|r| &r[0]).collect();
        Row {
            scenario,
            faults,
            sent: n,
            received: rows.len() as u64,
            lost: stale,
            duplicated: (rows.len() - distinct.len()) as u64,
            duplicates_forbidden: true,
            recovery,
            verdict: String::new(),
        }
        .judge()
    }
}

pub async fn source_kill_loop(suite: &Suite, db: Db) -> Vec<Row> {
    let _up = Restarts(db);
    let table = SourceTable::create(db);
    let dir = tempfile::tempdir().unwrap();
    let (name, prefix) = (unique("rel-jdbc-src"), format!("{}-", unique("rel")));
    let feed = table.feed(suite.seed);
    let topic = format!("{prefix}{}", table.table);
    let connectors = [table.connector(&name, &prefix)];
    let (worker, worst) =
        kill_loop(suite, &format!("jdbc-source-{db:?}"), dir.path(), "", &connectors, || {
            end_offset(&topic)
        })
        .await;
    feed.finish();
    let row = tokio::task::block_in_place(|| {
        table.tally(
            format!("kill loop: JDBC source ({}, timestamp+incrementing) → topic", db.name()),
            format!("{} SIGKILLs", suite.kills()),
            &topic,
            format!("{:.1} s to records flowing", worst.as_secs_f64()),
        )
    });
    if !row.ok() {
        eprintln!("{}: log:\n{}", row.scenario, worker.log_tail());
    }
    vec![row]
}

pub async fn sink_kill_loop(suite: &Suite, db: Db) -> Vec<Row> {
    let _up = Restarts(db);
    let sink = SinkTopic::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("rel-jdbc-sink");
    let feed = sink.feed();
    let top = || sink.top(db);
    let connectors = [sink.connector(db, &name)];
    let (worker, worst) =
        kill_loop(suite, &format!("jdbc-sink-{db:?}"), dir.path(), "", &connectors, top).await;
    let n = feed.finish();
    let row = sink
        .tally(
            db,
            n,
            format!("kill loop: topic → JDBC sink ({}, upsert)", db.name()),
            format!("{} SIGKILLs", suite.kills()),
            format!("{:.1} s to rows written", worst.as_secs_f64()),
        )
        .await;
    if !row.ok() {
        eprintln!("{}: log:\n{}", row.scenario, worker.log_tail());
    }
    vec![row]
}

/// The database stopped for 30 s under a JDBC source and a JDBC sink on one worker.
pub async fn outage(suite: &Suite, db: Db) -> Vec<Row> {
    let _up = Restarts(db);
    let (table, sink) = (SourceTable::create(db), SinkTopic::new());
    let dir = tempfile::tempdir().unwrap();
    let (src_name, sink_name, prefix) =
        (unique("rel-out-src"), unique("rel-out-sink"), format!("{}-", unique("rel")));
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "",
        &[table.connector(&src_name, &prefix), sink.connector(db, &sink_name)],
    );
    running(&worker, &src_name).await;
    running(&worker, &sink_name).await;
    let (rows_fed, records_fed) = (table.feed(suite.seed), sink.feed());
    tokio::time::sleep(Duration::from_secs(3)).await;
    db.stop();
    tokio::time::sleep(OUTAGE).await;
    db.start();
    // Recovery: from the database's return until each connector moves data again.
    let back = Instant::now();
    let topic = format!("{prefix}{}", table.table);
    let sink_top = || sink.top(db);
    let (src_at, sink_at) = (end_offset(&topic), sink_top());
    let (mut src_back, mut sink_back) = (None, None);
    while src_back.is_none() || sink_back.is_none() {
        assert!(
            back.elapsed() < WAIT,
            "no progress within {WAIT:?} of the database's return:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        if src_back.is_none() && end_offset(&topic) > src_at {
            src_back = Some(back.elapsed());
        }
        if sink_back.is_none() && sink_top() > sink_at {
            sink_back = Some(back.elapsed());
        }
    }
    let secs = |d: Option<Duration>| d.unwrap_or_default().as_secs_f64();
    rows_fed.finish();
    let n = records_fed.finish();
    let faults = format!("{} stopped {} s", db.name(), OUTAGE.as_secs());
    let source = tokio::task::block_in_place(|| {
        table.tally(
            format!("outage: JDBC source ({}) → topic", db.name()),
            faults.clone(),
            &topic,
            format!("{:.1} s from the database's return to records flowing", secs(src_back)),
        )
    });
    let sink_row = sink
        .tally(
            db,
            n,
            format!("outage: topic → JDBC sink ({}, upsert)", db.name()),
            faults,
            format!("{:.1} s from the database's return to rows written", secs(sink_back)),
        )
        .await;
    let states = (worker.task_state(&src_name).await, worker.task_state(&sink_name).await);
    // The outage reached both tasks, and they said so.
    let log = worker.log_text();
    let said = [log.contains("reading the table failed"), log.contains("retriable error from put")];
    let mut rows = vec![source, sink_row];
    for ((row, state), said) in rows.iter_mut().zip([&states.0, &states.1]).zip(said) {
        if row.ok() && state != "RUNNING" {
            row.verdict = format!("FAILED: task {state} after the outage");
        }
        if row.ok() && !said {
            row.verdict = "FAILED: the task's log does not show the outage".into();
        }
        // The sink pauses its partitions and keeps polling: it must not be evicted from
        // its group for exceeding max.poll.interval.ms while the database is down.
        let lower = log.to_lowercase();
        if row.ok()
            && row.duplicates_forbidden
            && ["poll interval", "maxpoll", "revoke"].iter().any(|p| lower.contains(p))
        {
            row.verdict = "FAILED: the sink left its group during the outage".into();
        }
        if !row.ok() {
            eprintln!("{}: log:\n{}", row.scenario, worker.log_tail());
        }
    }
    rows
}
