//! kill -9 of the worker process at random points while records flow, a dozen
//! times, restarting it each time, writing to a real HDFS (Hadoop's MiniDFSCluster, read
//! back through Hadoop's FsShell; see `common::store`): in the end every record is in
//! exactly one committed file. Runs the real `connect-standalone` binary against a
//! `connect-mock-broker` process that outlives every worker. `crash_kill9.rs` is the
//! local-filesystem run, which also shows kills landing inside commits (its test hook);
//! the two are to be one test over both stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use common::kafka::{UserMessage, produce, producer};
use common::process::{MockBroker, runtime_binary};
use common::store::{StoreKind, TestStore};
use common::*;

const PARTITIONS: i32 = 3;
const PER_PARTITION: i64 = 2400;
const KILLS: usize = 10;

/// A small deterministic generator, seeded from the clock (the seed is printed, so a
/// failing run can be told apart).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn spawn_worker(dir: &Path, run: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{run}.log"))).unwrap();
    Command::new(runtime_binary("connect-standalone"))
        .arg(dir.join("worker.properties"))
        .arg(dir.join("sink.properties"))
        .env("RUST_LOG", "info,rdkafka=warn,connect_hdfs=debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log_tail(dir: &Path, run: usize) -> String {
    let log = std::fs::read_to_string(dir.join(format!("worker-{run}.log"))).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

fn committed_lines(root: &Path, topic: &str) -> usize {
    committed(root, "topics", topic)
        .iter()
        .map(|f| {
            std::fs::read_to_string(root.join(&f.path)).map(|s| s.lines().count()).unwrap_or(0)
        })
        .sum()
}

/// The lines in the committed files of `topic` in the sink's directory of `store`.
fn store_lines(store: &TestStore, topic: &str) -> usize {
    committed_lines(&store.read().join(SINK_DIR), topic)
}

/// The sink's directory in the test's store.
const SINK_DIR: &str = "sink";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_leaves_every_record_exactly_once_on_hdfs() {
    kill_9_at_random_points(StoreKind::Hdfs).await;
}

async fn kill_9_at_random_points(kind: StoreKind) {
    let dir = tempfile::tempdir().unwrap();
    // Before the broker: fails at once when the test HDFS is missing.
    let store = TestStore::new(kind, dir.path(), "crash");
    let topic = unique("crash_users");
    let broker = MockBroker::start(&[(&topic, PARTITIONS)], dir.path());
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\noffset.storage.file.filename={}\n\
             offset.flush.interval.ms=200\nconsumer.session.timeout.ms=6000\n\
             consumer.heartbeat.interval.ms=500\nconsumer.group.instance.id={}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=true\n",
            broker.bootstrap(),
            dir.path().join("connect.offsets").display(),
            unique("static-member"),
        ),
    )
    .unwrap();
    // On HDFS a file's close often costs 0.5 s (the namenode completes the file only
    // once the datanode has reported the block, and hdfs-native waits 500 ms before it
    // asks again): a commit of two files and its two log appends take up to ~2 s. With
    // the local store's 13-record files and 500 ms schedule the sink would commit
    // slower than the producer writes (about 26 records/s against 60), so HDFS gets
    // bigger files and a slower schedule; commits still take a large share of the time,
    // so kills still land in them.
    let (flush_size, schedule_ms) = match kind {
        StoreKind::Local => (13, 500),
        StoreKind::Hdfs => (100, 3000),
    };
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name=hdfs-crash\nconnector.class=io.confluent.connect.hdfs.HdfsSinkConnector\n\
             tasks.max=1\ntopics={topic}\nstore.url={}\n\
             format.class=io.confluent.connect.hdfs.json.JsonFormat\nflush.size={flush_size}\n\
             partitioner.class=FieldPartitioner\npartition.field.name=department\n\
             rotate.schedule.interval.ms={schedule_ms}\ntimezone=UTC\nretry.backoff.ms=100\n",
            store.url(SINK_DIR)
        ),
    )
    .unwrap();

    // Records flow the whole time: a producer thread writes batches until done.
    let produced = Arc::new(AtomicI64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let producer_thread = {
        let (bootstrap, topic, produced, done) =
            (broker.bootstrap().to_string(), topic.clone(), produced.clone(), done.clone());
        std::thread::spawn(move || {
            let p = producer(&bootstrap);
            let mut offset = 0;
            while offset < PER_PARTITION {
                let to = (offset + 20).min(PER_PARTITION);
                let batch: Vec<UserMessage> = (offset..to)
                    .flat_map(|o| {
                        (0..PARTITIONS).map(move |partition| UserMessage {
                            partition,
                            offset: o,
                            version: 1,
                        })
                    })
                    .collect();
                produce(&p, &topic, &batch);
                offset = to;
                produced.store(offset, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1000));
            }
            done.store(true, Ordering::Relaxed);
        })
    };

    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;
    eprintln!("crash test ({kind:?}) seed {seed}");
    let mut rng = Lcg(seed);
    let mut kills = Vec::new();
    for run in 0..KILLS {
        let started = Instant::now();
        let mut child = spawn_worker(dir.path(), run);
        // Kill at a random point after the task got its partitions (and recovered
        // them): while it writes, commits, or recovers.
        let log = dir.path().join(format!("worker-{run}.log"));
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("recovered") {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!(
                    "worker {run} got no partition within 60 s; log:\n{}",
                    log_tail(dir.path(), run)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let assigned_after = started.elapsed();
        tokio::time::sleep(Duration::from_millis(rng.next(1500))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills.push((
            assigned_after.as_millis(),
            started.elapsed().as_millis(),
            store_lines(&store, &topic),
            produced.load(Ordering::Relaxed),
        ));
    }
    eprintln!(
        "kills (ms to assignment, ms to kill, committed lines, produced per partition): {kills:?}"
    );
    assert!(
        kills.iter().any(|k| k.2 > 0),
        "no kill happened after the sink had committed anything: {kills:?}; last worker log:\n{}",
        log_tail(dir.path(), KILLS - 1)
    );
    assert!(
        kills.windows(2).any(|w| w[1].2 > w[0].2),
        "the sink made no progress between kills: {kills:?}"
    );

    let mut last = spawn_worker(dir.path(), KILLS);
    let total = (PARTITIONS as usize) * (PER_PARTITION as usize);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let have = store_lines(&store, &topic);
        if done.load(Ordering::Relaxed) && have >= total {
            break;
        }
        if Instant::now() > deadline {
            last.kill().unwrap();
            panic!(
                "only {have} of {total} records committed after the last restart; worker log tail:\n{}",
                log_tail(dir.path(), KILLS)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let a late duplicate, if the sink were to write one, land before checking.
    tokio::time::sleep(Duration::from_secs(2)).await;
    last.kill().unwrap();
    last.wait().unwrap();
    producer_thread.join().unwrap();

    let counts: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, PER_PARTITION)).collect();
    let copy = store.read_verified();
    let rows = check_exactly_once(&copy.join(SINK_DIR), "topics", &topic, &counts);
    for (p, rows) in rows {
        for row in rows {
            let id = row["id"].as_i64().unwrap();
            let department =
                if (id - i64::from(p) * 1_000_000) % 2 == 0 { "engineering" } else { "sales" };
            assert_eq!(row["department"], department);
        }
    }
    let recovered = (0..=KILLS)
        .filter_map(|run| {
            std::fs::read_to_string(dir.path().join(format!("worker-{run}.log"))).ok()
        })
        .map(|log| log.matches("finished a commit a crash interrupted").count())
        .sum::<usize>();
    eprintln!(
        "crash test: {total} records exactly once; {recovered} interrupted commits finished from the log"
    );
}
