//! Kafka → HDFS sink → files, through a Standalone worker and the embedded broker
//! (librdkafka's mock cluster, a real Kafka-protocol broker in process), on the local
//! filesystem and on a real HDFS (Hadoop's MiniDFSCluster, read back through Hadoop's
//! FsShell; see `common::store`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};
use common::kafka::{messages, produce, produce_at, producer};
use common::store::{StoreKind, TestStore};
use common::*;
use connect_api::config::RawConfig;
use connect_runtime::PluginRegistry;
use connect_runtime::kafka::EmbeddedBroker;
use connect_runtime::standalone::{Standalone, StandaloneOptions};

async fn worker(bootstrap: &str, dir: &Path, connectors: Vec<RawConfig>) -> Standalone {
    capture_logs();
    let offsets = dir.join("connect.offsets");
    let worker_config = raw(&[
        ("listeners", "http://127.0.0.1:0"),
        ("bootstrap.servers", bootstrap),
        ("offset.storage.file.filename", offsets.to_str().unwrap()),
        ("offset.flush.interval.ms", "300"),
        // librdkafka's mock broker holds a group's rebalance for the members' session
        // timeout less a second whenever a member joins a settled group (a real broker
        // ends it once every member has rejoined): with Kafka's 45 s, a second task
        // whose consumer joins late stalls its connector for 44 s, and a busy machine
        // makes that happen. The worker gives its own embedded broker's consumers 6 s.
        ("consumer.session.timeout.ms", "6000"),
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
        ("value.converter.schemas.enable", "true"),
    ]);
    Standalone::start(StandaloneOptions { worker_config, connectors }, {
        let mut r = PluginRegistry::new();
        r.register(connect_hdfs::plugins()).unwrap();
        r
    })
    .await
    .unwrap()
}

/// Lines in committed files of `topic` (0 while none).
fn committed_lines(root: &Path, topic: &str) -> usize {
    committed(root, "topics", topic)
        .iter()
        .map(|f| {
            std::fs::read_to_string(root.join(&f.path)).map(|s| s.lines().count()).unwrap_or(0)
        })
        .sum()
}

/// Waits until the committed files of `topic` under each of `subs` of `store` hold
/// `want` lines.
async fn wait_for_lines(
    worker: &Standalone,
    names: &[&str],
    store: &TestStore,
    subs: &[&str],
    topic: &str,
    want: usize,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let copy = store.read();
        let counts: Vec<usize> =
            subs.iter().map(|s| committed_lines(&copy.join(s), topic)).collect();
        if counts.iter().all(|c| *c >= want) {
            return;
        }
        if Instant::now() > deadline {
            let mut states = String::new();
            for n in names {
                states.push_str(&format!("{:?}\n", worker.herder().status(n).await));
            }
            panic!("committed lines {counts:?}, want {want} each; statuses:\n{states}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_partitions_reach_files_exactly_once_by_partition_field_and_time() {
    three_partitions_by_partition_field_and_time(StoreKind::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_partitions_reach_hdfs_files_exactly_once_by_partition_field_and_time() {
    three_partitions_by_partition_field_and_time(StoreKind::Hdfs).await;
}

async fn three_partitions_by_partition_field_and_time(kind: StoreKind) {
    const PER_PARTITION: i64 = 40;
    let dir = tempfile::tempdir().unwrap();
    // Before the broker: fails at once when the test HDFS is missing.
    let store = TestStore::new(kind, dir.path(), "e2e-three-partitions");
    let broker = EmbeddedBroker::start(1).unwrap();
    let topic = unique("test_jdbc_users");
    broker.create_topic(&topic, 3).unwrap();
    let default_url = store.url("default");
    // The field sink names its local store with a file:// URL, the others with a path.
    let field_url = match kind {
        StoreKind::Local => format!("file://{}", store.url("field")),
        StoreKind::Hdfs => store.url("field"),
    };
    let time_url = store.url("time");
    let json = "io.confluent.connect.hdfs.json.JsonFormat";
    let connectors = vec![
        raw(&[
            ("name", "hdfs-default"),
            ("connector.class", "io.confluent.connect.hdfs.HdfsSinkConnector"),
            ("tasks.max", "2"),
            ("topics", &topic),
            ("hdfs.url", &default_url),
            ("format.class", json),
            ("flush.size", "7"),
            // The last records of each partition are committed by the wall-clock
            // schedule, with no record after them.
            ("rotate.schedule.interval.ms", "1000"),
            ("timezone", "UTC"),
        ]),
        raw(&[
            ("name", "hdfs-field"),
            ("connector.class", "HdfsSinkConnector"),
            ("topics", &topic),
            ("store.url", &field_url),
            ("format.class", json),
            ("flush.size", "5"),
            ("partitioner.class", "io.confluent.connect.hdfs.partitioner.FieldPartitioner"),
            ("partition.field.name", "department"),
            ("rotate.schedule.interval.ms", "1000"),
            ("timezone", "UTC"),
        ]),
        raw(&[
            ("name", "hdfs-time"),
            ("connector.class", "connect_hdfs::HdfsSinkConnector"),
            ("topics", &topic),
            ("store.url", &time_url),
            ("format.class", json),
            ("flush.size", "1000"),
            ("partitioner.class", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"),
            ("path.format", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"),
            ("partition.duration.ms", "3600000"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
            // Record time: a file spans less than an hour of records.
            ("rotate.interval.ms", "3600000"),
        ]),
    ];
    let w = worker(broker.bootstrap_servers(), dir.path(), connectors).await;
    let p = producer(broker.bootstrap_servers());
    // Two waves, so records also arrive after the first commits.
    produce(&p, &topic, &messages(3, 0, PER_PARTITION / 2, 1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    produce(&p, &topic, &messages(3, PER_PARTITION / 2, PER_PARTITION, 1));
    let want = 3 * PER_PARTITION as usize;
    wait_for_lines(
        &w,
        &["hdfs-default", "hdfs-field", "hdfs-time"],
        &store,
        &["default", "field"],
        &topic,
        want,
    )
    .await;
    // The time-based sink commits its last hour only when the idle timer fires
    // (rotate.interval.ms of wall clock = 1 h), so check what it committed by record
    // time: every hour but the last one of each partition.
    let counts: BTreeMap<i32, i64> = (0..3).map(|p| (p, PER_PARTITION)).collect();
    w.shutdown().await;
    // Everything below reads a local copy made by Hadoop's own client for HDFS.
    let copy = store.read_verified();
    let (default_root, field_root, time_root) =
        (copy.join("default"), copy.join("field"), copy.join("time"));

    // Default partitioner: partition=<n> directories, exact offsets in names.
    let rows = check_exactly_once(&default_root, "topics", &topic, &counts);
    for f in committed(&default_root, "topics", &topic) {
        assert_eq!(
            f.path.parent().unwrap().file_name().unwrap().to_str().unwrap(),
            format!("partition={}", f.partition)
        );
        assert!(f.end - f.start < 7, "flush.size 7: {f:?}");
    }
    assert_eq!(rows[&2][39]["email"], "user2000039@example.com");
    assert_eq!(rows[&1][0]["name"], "user1000000");

    // Field partitioner: department=… directories holding only their department.
    check_exactly_once(&field_root, "topics", &topic, &counts);
    let mut dirs = std::collections::BTreeSet::new();
    for f in committed(&field_root, "topics", &topic) {
        let d = f.path.parent().unwrap().file_name().unwrap().to_str().unwrap().to_string();
        let department = d.strip_prefix("department=").unwrap().to_string();
        for row in json_lines(&field_root.join(&f.path)) {
            assert_eq!(row["department"], department.as_str());
        }
        dirs.insert(d);
    }
    assert_eq!(
        dirs.into_iter().collect::<Vec<_>>(),
        ["department=engineering", "department=sales"]
    );

    // Time-based: each record sits in the directory of its hour, per path.format.
    let files = committed(&time_root, "topics", &topic);
    assert!(!files.is_empty(), "the time-based sink committed nothing");
    let mut seen = 0;
    for f in &files {
        let dir = f.path.parent().unwrap().strip_prefix(Path::new("topics").join(&topic)).unwrap();
        for row in json_lines(&time_root.join(&f.path)) {
            let ts = Utc.timestamp_millis_opt(row["modified"].as_i64().unwrap()).unwrap();
            let expected = ts.format("year=%Y/month=%m/day=%d/hour=%H").to_string();
            assert_eq!(dir.to_str().unwrap(), expected, "record {row} in {}", f.path.display());
            seen += 1;
        }
        // Record time 3 minutes apart, rotate.interval.ms one hour: at most 20 records.
        assert!(f.end - f.start < 20, "{f:?}");
    }
    // 40 records × 3 min = 2 hours per partition: at least the first hour of each
    // partition is committed by record time.
    assert!(seen >= 3 * 20, "only {seen} records committed by the time-based sink");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_partitions_file_is_committed_by_the_timer_with_no_new_record() {
    idle_partition_committed_by_the_timer(StoreKind::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_partitions_hdfs_file_is_committed_by_the_timer_with_no_new_record() {
    idle_partition_committed_by_the_timer(StoreKind::Hdfs).await;
}

async fn idle_partition_committed_by_the_timer(kind: StoreKind) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(kind, dir.path(), "e2e-idle");
    let broker = EmbeddedBroker::start(1).unwrap();
    let topic = unique("idle_users");
    broker.create_topic(&topic, 3).unwrap();
    let url = store.url("sink");
    // offset.flush.interval.ms is a minute: the runtime's periodic pre_commit does not
    // come during the test, so only the task's own timer can commit the files.
    let offsets = dir.path().join("connect.offsets");
    let worker_config = raw(&[
        ("listeners", "http://127.0.0.1:0"),
        ("bootstrap.servers", broker.bootstrap_servers()),
        ("offset.storage.file.filename", offsets.to_str().unwrap()),
        ("offset.flush.interval.ms", "60000"),
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
    ]);
    let connector = raw(&[
        ("name", "hdfs-idle"),
        ("connector.class", "HdfsSink"),
        ("topics", &topic),
        ("store.url", &url),
        ("format.class", "json"),
        ("flush.size", "1000"),
        ("rotate.interval.ms", "1500"),
    ]);
    capture_logs();
    let w = Standalone::start(StandaloneOptions { worker_config, connectors: vec![connector] }, {
        let mut r = PluginRegistry::new();
        r.register(connect_hdfs::plugins()).unwrap();
        r
    })
    .await
    .unwrap();
    // Wait for the assignment before producing, so the timing below is the sink's.
    let temp_dir = Path::new("sink/topics/+tmp").join(&topic);
    let p = producer(broker.bootstrap_servers());
    // Partition 1 only gets records; 0 and 2 stay empty.
    let msgs: Vec<_> = (0..5)
        .map(|offset| common::kafka::UserMessage { partition: 1, offset, version: 1 })
        .collect();
    // Record times 10 ms apart: far below rotate.interval.ms, so only the wall clock
    // can end the file.
    produce_at(&p, &topic, &msgs, |m| common::kafka::BASE_TS + m.offset * 10);
    // On HDFS each look is a copy through FsShell (about 2 s, much more on a busy
    // machine), so a look may come after the timer already committed the temporary
    // file: either is the sink having written the records.
    wait_for(Duration::from_secs(30), "the records in a temporary or committed file", || {
        let copy = store.read();
        !all_files(&copy.join(&temp_dir)).is_empty()
            || committed_lines(&copy.join("sink"), &topic) > 0
    })
    .await;
    // No record comes after these and the runtime's own flush is a minute away: only
    // the task's timer can commit them (a bounded wait, no claim on how soon).
    wait_for(Duration::from_secs(30), "the timer's commit", || {
        committed_lines(&store.read().join("sink"), &topic) == 5
    })
    .await;
    w.shutdown().await;
    let root = store.read_verified().join("sink");
    let files = committed(&root, "topics", &topic);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!((files[0].partition, files[0].start, files[0].end), (1, 0, 4));
    assert!(files[0].path.ends_with(format!("partition=1/{topic}+1+0000000000+0000000004.json")));
    check_exactly_once(&root, "topics", &topic, &BTreeMap::from([(1, 5)]));
}

/// A namenode that goes silent mid-stream (a long pause, a network partition that
/// leaves connections half open) holds the HDFS sink up only while it is silent: each
/// store operation gives up after `store.operation.timeout.ms`, the task stays
/// RUNNING, the retries open new connections, and once the namenode answers again
/// every record is committed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namenode_gone_silent_delays_the_hdfs_sink_and_loses_nothing() {
    capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(StoreKind::Hdfs, dir.path(), "e2e-silent");
    let proxy = common::proxy::SilentProxy::start(&store.namenode_addr());
    let broker = EmbeddedBroker::start(1).unwrap();
    let topic = unique("silent_users");
    broker.create_topic(&topic, 2).unwrap();
    let connector = raw(&[
        ("name", "hdfs-silent"),
        ("connector.class", "HdfsSinkConnector"),
        ("topics", &topic),
        ("hdfs.url", &store.url_via("sink", proxy.addr())),
        ("format.class", "json"),
        ("flush.size", "5"),
        // Well above a loaded machine's namenode latency (a close can take seconds when
        // the namenode makes the client retry `complete`), so only the silence times out.
        ("store.operation.timeout.ms", "4000"),
        ("retry.backoff.ms", "500"),
    ]);
    let w = worker(broker.bootstrap_servers(), dir.path(), vec![connector]).await;
    let p = producer(broker.bootstrap_servers());
    produce(&p, &topic, &messages(2, 0, 10, 1));
    wait_for_lines(&w, &["hdfs-silent"], &store, &["sink"], &topic, 20).await;

    proxy.silence();
    produce(&p, &topic, &messages(2, 10, 20, 1));
    // Long enough for operations to time out and be retried.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let status = w.herder().status("hdfs-silent").await.unwrap();
    assert!(!status.tasks.is_empty(), "no task while the namenode is silent: {status:?}");
    assert!(
        status.tasks.iter().all(|t| format!("{:?}", t.state) == "Running"),
        "tasks not RUNNING while the namenode is silent: {status:?}"
    );
    assert!(proxy.swallowed() > 0, "the sink sent nothing to the silent namenode");
    let accepted = proxy.accepted();

    proxy.resume();
    wait_for_lines(&w, &["hdfs-silent"], &store, &["sink"], &topic, 40).await;
    assert!(proxy.accepted() > accepted, "no new connection once the namenode answered");
    w.shutdown().await;
    let root = store.read_verified().join("sink");
    check_exactly_once(&root, "topics", &topic, &BTreeMap::from([(0, 20), (1, 20)]));
}
