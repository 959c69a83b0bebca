//! kill -9 of the worker process at random points while records flow, a dozen
//! times, restarting it each time: in the end every record is in exactly one
//! committed file. Runs the real `connect-standalone` binary against a
//! `connect-mock-broker` process that outlives every worker.
//!
//! The workers run with the sink's test hook `CONNECT_HDFS_TEST_COMMIT_DELAY_MS`, which
//! makes each commit wait between its durable write-ahead log `begin` entry and its
//! renames, so that some kills land there: the test shows that at least one kill left
//! complete temporary files and a `begin` without `end` and without the committed
//! files, and that the restarted worker's recovery renamed exactly those files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use common::kafka::{UserMessage, produce, producer};
use common::process::{MockBroker, runtime_binary};
use common::*;

const PARTITIONS: i32 = 3;
const PER_PARTITION: i64 = 2400;
const KILLS: usize = 10;
/// The wait between a commit's log entry and its renames (the sink's test hook): long
/// enough that kills often land in it, short enough that the sink keeps up.
const COMMIT_DELAY_MS: &str = "100";

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

/// The worker binary, built by cargo for this test, checked to carry the sink's
/// commit-delay test hook (a binary built from another checkout would not).
fn worker_binary() -> PathBuf {
    let exe = runtime_binary("connect-standalone");
    let has_hook = Command::new("grep")
        .args(["-q", "-a", "-F", connect_hdfs::wal::TEST_COMMIT_DELAY_ENV])
        .arg(&exe)
        .status()
        .unwrap()
        .success();
    assert!(
        has_hook,
        "{} does not carry the HDFS sink's test hook {}: it was built from other sources",
        exe.display(),
        connect_hdfs::wal::TEST_COMMIT_DELAY_ENV
    );
    exe
}

fn spawn_worker(exe: &Path, dir: &Path, run: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{run}.log"))).unwrap();
    Command::new(exe)
        .arg(dir.join("worker.properties"))
        .arg(dir.join("sink.properties"))
        .env("RUST_LOG", "info,rdkafka=warn,connect_hdfs=debug")
        .env(connect_hdfs::wal::TEST_COMMIT_DELAY_ENV, COMMIT_DELAY_MS)
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

/// A group read from a write-ahead log: files announced, renames, ended.
type LoggedGroup = (u64, Vec<(String, String)>, bool);

/// The renames (temporary → committed) of every commit a killed worker logged and did
/// not rename: a complete `begin` group without `end` in a partition's write-ahead log
/// whose temporary files exist and whose committed files do not. Read with serde_json,
/// not the sink's parser.
fn interrupted_commits(store: &Path, topic: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in 0..PARTITIONS {
        let log = store.join("logs").join(topic).join(p.to_string()).join("log");
        let Ok(text) = std::fs::read_to_string(&log) else { continue };
        let mut groups: BTreeMap<u64, LoggedGroup> = BTreeMap::new();
        for line in text.lines() {
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { break };
            let id = entry["id"].as_u64().unwrap();
            match entry["op"].as_str().unwrap() {
                "begin" => {
                    groups.insert(id, (entry["files"].as_u64().unwrap(), Vec::new(), false));
                }
                "rename" => groups.get_mut(&id).unwrap().1.push((
                    entry["from"].as_str().unwrap().to_string(),
                    entry["to"].as_str().unwrap().to_string(),
                )),
                "end" => groups.get_mut(&id).unwrap().2 = true,
                other => panic!("unknown log entry {other} in {}", log.display()),
            }
        }
        for (files, renames, ended) in groups.into_values() {
            if ended || renames.len() as u64 != files {
                continue;
            }
            let pending: Vec<_> = renames
                .into_iter()
                .filter(|(from, to)| store.join(from).exists() && !store.join(to).exists())
                .collect();
            out.extend(pending);
        }
    }
    out
}

/// Files under the temporary directory of `topic`.
fn temporary_files(store: &Path, topic: &str) -> Vec<std::path::PathBuf> {
    all_files(&store.join("topics").join("+tmp").join(topic))
}

/// Waits until the worker of `run` says it recovered every partition.
async fn wait_recovered(dir: &Path, run: usize, child: &mut Child) {
    let log = dir.join(format!("worker-{run}.log"));
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.matches("recovered").count() >= PARTITIONS as usize {
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!(
                "worker {run} did not recover its partitions within 60 s; log:\n{}",
                log_tail(dir, run)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_leaves_every_record_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("crash_users");
    let broker = MockBroker::start(&[(&topic, PARTITIONS)], dir.path());
    let exe = worker_binary();
    let store = dir.path().join("store");
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
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name=hdfs-crash\nconnector.class=io.confluent.connect.hdfs.HdfsSinkConnector\n\
             tasks.max=1\ntopics={topic}\nstore.url={}\n\
             format.class=io.confluent.connect.hdfs.json.JsonFormat\nflush.size=13\n\
             partitioner.class=FieldPartitioner\npartition.field.name=department\n\
             rotate.schedule.interval.ms=500\ntimezone=UTC\nretry.backoff.ms=100\n",
            store.display()
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
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let mut kills = Vec::new();
    // Commits a kill interrupted between the log entry and the renames, to be finished
    // by the next worker's recovery.
    let mut interrupted: Vec<(String, String)> = Vec::new();
    let mut kills_between_log_and_rename = 0;
    for run in 0..KILLS {
        let started = Instant::now();
        let mut child = spawn_worker(&exe, dir.path(), run);
        // Kill at a random point after the task got its partitions (and recovered
        // them): while it writes, commits, or recovers.
        wait_recovered(dir.path(), run, &mut child).await;
        for (from, to) in interrupted.drain(..) {
            assert!(
                store.join(&to).exists() && !store.join(&from).exists(),
                "worker {run} recovered without finishing the interrupted rename {from} -> {to}"
            );
        }
        let assigned_after = started.elapsed();
        tokio::time::sleep(Duration::from_millis(rng.next(1500))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        interrupted = interrupted_commits(&store, &topic);
        if !interrupted.is_empty() {
            kills_between_log_and_rename += 1;
        }
        kills.push((
            assigned_after.as_millis(),
            started.elapsed().as_millis(),
            committed_lines(&store, &topic),
            produced.load(Ordering::Relaxed),
            interrupted.len(),
        ));
    }
    eprintln!(
        "kills (ms to assignment, ms to kill, committed lines, produced per partition, \
         files logged and not renamed): {kills:?}"
    );
    assert!(
        kills_between_log_and_rename > 0,
        "no kill landed between a commit's log entry and its renames: {kills:?}"
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

    let mut last = spawn_worker(&exe, dir.path(), KILLS);
    wait_recovered(dir.path(), KILLS, &mut last).await;
    for (from, to) in interrupted.drain(..) {
        assert!(
            store.join(&to).exists() && !store.join(&from).exists(),
            "the last worker recovered without finishing the interrupted rename {from} -> {to}"
        );
    }
    let total = (PARTITIONS as usize) * (PER_PARTITION as usize);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let have = committed_lines(&store, &topic);
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
    // A definite end: the worker stops cleanly (SIGTERM), so nothing can be written
    // after the files are checked.
    let term = Command::new("kill").arg("-TERM").arg(last.id().to_string()).status().unwrap();
    assert!(term.success());
    let stopping = Instant::now();
    while last.try_wait().unwrap().is_none() {
        if stopping.elapsed() > Duration::from_secs(60) {
            last.kill().unwrap();
            panic!(
                "the last worker did not stop within 60 s of SIGTERM; log:\n{}",
                log_tail(dir.path(), KILLS)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    producer_thread.join().unwrap();
    let left = temporary_files(&store, &topic);
    assert!(left.is_empty(), "temporary files left after a clean stop: {left:?}");

    let counts: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, PER_PARTITION)).collect();
    let rows = check_exactly_once(&store, "topics", &topic, &counts);
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
        "crash test: {total} records exactly once; {kills_between_log_and_rename} kills between a \
         commit's log entry and its renames; {recovered} interrupted commits finished from the log"
    );
}
