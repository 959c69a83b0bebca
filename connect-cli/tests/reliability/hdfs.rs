//! The HDFS sink under faults, against the real Kafka: kill loops writing Avro and Parquet
//! to the real HDFS (Hadoop's MiniDFSCluster), and a local store whose disk fills up.
//! The sink promises exactly-once: every record in exactly one committed file, every
//! committed file complete. What the sink committed is read back with readers that are
//! not the sink's writers (apache-avro's `Reader`, parquet's Arrow reader, through
//! `connect_hdfs::format::read`), from a copy Hadoop's own `FsShell` makes for HDFS.
//!
//! The records are the connect-hdfs tests' users (`hdfs_common::kafka`): JSON with
//! schemas, id `partition * 1_000_000 + n` for the n-th record of each of three partitions.

#[path = "../../../connect-hdfs/tests/common/mod.rs"]
mod hdfs_common;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use connect_hdfs::format::read;
use connect_hdfs::storage::Storage;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

use crate::common::{bootstrap, unique};
use crate::faults::{Row, Suite, tally};
use crate::support::Worker;
use hdfs_common::kafka::{messages, produce_at, producer};
use hdfs_common::store::{StoreKind, TestStore};

/// The scenarios of this module, as `main.rs` lists them: `CONNECT_RELIABILITY_ONLY`
/// selects among them by these names too.
pub const SCENARIOS: &str = "kill-loop hdfs-avro, kill-loop hdfs-parquet, disk-full hdfs-local-avro, \
     disk-full hdfs-local-parquet";

const PARTITIONS: i32 = 3;
/// The longest a worker may take to commit again after a restart, or to catch up.
const WAIT: Duration = Duration::from_secs(120);
/// The sink's directory under the store.
const SINK_DIR: &str = "sink";

const AVRO: &str = "io.confluent.connect.hdfs.avro.AvroFormat";
const PARQUET: &str = "io.confluent.connect.hdfs.parquet.ParquetFormat";

/// Runs the scenarios `suite` selects, one after another; a scenario that panics gives a
/// failed row, and the next one still runs.
pub async fn scenarios(suite: &Suite) -> Vec<Row> {
    let mut rows = Vec::new();
    for name in SCENARIOS.split(", ") {
        if !suite.selected(name) {
            continue;
        }
        eprintln!("== {name}");
        let started = Instant::now();
        let run: Pin<Box<dyn Future<Output = Row> + '_>> = match name {
            "kill-loop hdfs-avro" => Box::pin(kill_loop(suite, name, AVRO)),
            "kill-loop hdfs-parquet" => Box::pin(kill_loop(suite, name, PARQUET)),
            "disk-full hdfs-local-avro" => Box::pin(disk_full(suite, name, AVRO)),
            _ => Box::pin(disk_full(suite, name, PARQUET)),
        };
        rows.push(match CatchUnwind(run).await {
            Ok(row) => row,
            Err(e) => Row::failed(name, &crate::faults::panic_message(e.as_ref())),
        });
        eprintln!("== {name}: {:.0} s", started.elapsed().as_secs_f64());
    }
    rows
}

/// A future whose panic becomes an `Err`, as `std::panic::catch_unwind` does for closures.
struct CatchUnwind<'a, T>(Pin<Box<dyn Future<Output = T> + 'a>>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = std::thread::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

async fn create_topic(name: &str) {
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let new = NewTopic::new(name, PARTITIONS, TopicReplication::Fixed(1));
    let created = admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
    for r in created {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// A thread producing `batch` users to each partition every `every` until stopped, with
/// the wall clock as their Kafka timestamps (the broker's retention keeps them).
struct Feed {
    stop: Arc<AtomicBool>,
    /// Records produced (and acknowledged) per partition.
    made: Arc<AtomicI64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feed {
    fn start(topic: &str, batch: i64, every: Duration) -> Feed {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicI64::new(0));
        let (s, m, topic) = (stop.clone(), made.clone(), topic.to_string());
        let thread = std::thread::spawn(move || {
            let p = producer(&bootstrap());
            while !s.load(Ordering::SeqCst) {
                let from = m.load(Ordering::SeqCst);
                let now = wall_ms();
                produce_at(&p, &topic, &messages(PARTITIONS, from, from + batch, 1), |_| now);
                m.store(from + batch, Ordering::SeqCst);
                std::thread::sleep(every);
            }
        });
        Feed { stop, made, thread: Some(thread) }
    }

    fn made(&self) -> i64 {
        self.made.load(Ordering::SeqCst)
    }

    /// Stops it; the records made per partition.
    fn finish(mut self) -> i64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.made()
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The worker settings of these scenarios: JSON values with schemas, and a static group
/// member, so that the worker started after a SIGKILL takes over its partitions at once
/// rather than after the dead one's session times out.
fn worker_settings() -> String {
    format!(
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=true\ntask.shutdown.graceful.timeout.ms=2000\n\
         consumer.group.instance.id={}\nconsumer.session.timeout.ms=10000\n\
         consumer.heartbeat.interval.ms=1000\n",
        unique("rel-hdfs-member")
    )
}

/// The HDFS sink's properties.
fn sink(name: &str, topic: &str, url: &str, format: &str, tuning: &str) -> String {
    format!(
        "name={name}\nconnector.class=io.confluent.connect.hdfs.HdfsSinkConnector\ntasks.max=1\n\
         topics={topic}\nstore.url={url}\nformat.class={format}\ntimezone=UTC\n{tuning}"
    )
}

/// The committed files of `topic` in the store (names relative to the store's root),
/// listed through the sink's storage layer: cheap enough to poll, for timing only (the
/// counts come from [`count_committed`]).
async fn listing(store: &Storage, topic: &str) -> BTreeSet<String> {
    store.list_files(&format!("topics/{topic}")).await.unwrap_or_default().into_iter().collect()
}

/// The last offset committed per partition, from the file names
/// (`<topic>+<partition>+<start>+<end>.<ext>`).
fn last_committed(files: &BTreeSet<String>) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for f in files {
        let name = f.rsplit('/').next().unwrap_or(f);
        let parts: Vec<&str> = name.split('.').next().unwrap_or("").split('+').collect();
        if let [_, p, _, end] = parts[..]
            && let (Ok(p), Ok(end)) = (p.parse::<i32>(), end.parse::<i64>())
        {
            let e = out.entry(p).or_insert(end);
            *e = (*e).max(end);
        }
    }
    out
}

/// Waits until the store holds a committed file that is not in `before`; how long after
/// `since` that was.
async fn next_commit(
    store: &Storage,
    topic: &str,
    before: &BTreeSet<String>,
    since: Instant,
    worker: &Worker,
) -> Duration {
    loop {
        if listing(store, topic).await.difference(before).next().is_some() {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < WAIT,
            "no new file committed within {WAIT:?}:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every partition's records up to `made` are committed.
async fn caught_up(store: &Storage, topic: &str, made: i64, worker: &Worker) {
    let deadline = Instant::now() + WAIT;
    loop {
        let last = last_committed(&listing(store, topic).await);
        if (0..PARTITIONS).all(|p| last.get(&p) == Some(&(made - 1))) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the sink did not commit all {made} records per partition within {WAIT:?} \
             (last committed offsets {last:?}):\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the committed files hold.
struct Counted {
    files: usize,
    received: u64,
    lost: u64,
    duplicated: u64,
    /// Files that do not read back, or do not hold exactly the offsets their names say.
    bad: Vec<String>,
}

/// Reads every committed file of `topic` under `root` (a local directory, the sink's
/// root) and counts the users of `0..made` of each partition.
fn count_committed(root: &Path, topic: &str, made: i64) -> Counted {
    let files = hdfs_common::committed(root, "topics", topic);
    let mut arrivals = BTreeMap::new();
    let mut bad = Vec::new();
    for f in &files {
        let path = root.join(&f.path);
        let bytes = std::fs::read(&path).unwrap();
        let records = match path.extension().and_then(|e| e.to_str()) {
            Some("avro") => read::avro_records(&bytes).map(|(_, r)| r),
            Some("parquet") => read::parquet_records(&bytes),
            _ => panic!("unexpected file {}", path.display()),
        };
        let records = match records {
            Ok(r) => r,
            Err(e) => {
                bad.push(format!("{} does not read back: {}", f.path.display(), e.message()));
                continue;
            }
        };
        let base = i64::from(f.partition) * 1_000_000;
        let offsets: Vec<i64> =
            records.iter().map(|r| r["id"].as_i64().unwrap_or(-1) - base).collect();
        if offsets != (f.start..=f.end).collect::<Vec<_>>() {
            bad.push(format!(
                "{} holds {} records, not offsets {}..={}",
                f.path.display(),
                offsets.len(),
                f.start,
                f.end
            ));
        }
        for o in offsets {
            // Users 0..made of partition p are 1..=made of p's share of the tally.
            let key = if (0..made).contains(&o) {
                (f.partition as u64) * made as u64 + o as u64 + 1
            } else {
                u64::MAX
            };
            *arrivals.entry(key).or_insert(0) += 1;
        }
    }
    let (lost, duplicated, received) = tally(&arrivals, PARTITIONS as u64 * made as u64);
    Counted { files: files.len(), received, lost, duplicated, bad }
}

/// Topic → HDFS sink writing `format` to the real HDFS, the worker killed with SIGKILL
/// `suite.kills()` times at seeded random points while records flow into three
/// partitions; every record must end in exactly one committed file.
async fn kill_loop(suite: &Suite, scenario: &str, format: &str) -> Row {
    let mut rng = suite.rng(scenario);
    let dir = tempfile::tempdir().unwrap();
    // Before anything else: fails at once, saying what to start, without the test HDFS.
    let store = TestStore::new(StoreKind::Hdfs, dir.path(), "rel-hdfs");
    let url = store.url(SINK_DIR);
    let lister = Storage::open(&url).unwrap();
    let (topic, name) = (unique("rel-hdfs"), unique("rel-hdfs"));
    create_topic(&topic).await;
    // About 120 records a second per partition, files of 50 (or what 2 s gathered): a
    // commit on HDFS takes 0.5 to 2 s, so several files commit between two kills, and
    // kills land in writes, in commits and in recoveries.
    let connector = sink(
        &name,
        &topic,
        &url,
        format,
        "flush.size=50\nrotate.schedule.interval.ms=2000\nretry.backoff.ms=200\n",
    );
    let settings = worker_settings();
    let start =
        || Worker::start(dir.path(), &bootstrap(), &settings, std::slice::from_ref(&connector));
    let feed = Feed::start(&topic, 12, Duration::from_millis(100));
    let mut worker = start();
    let started = Instant::now();
    next_commit(&lister, &topic, &BTreeSet::new(), started, &worker).await;
    let mut worst = Duration::ZERO;
    let mut commits_between = Vec::new();
    for kill in 0..suite.kills() {
        let before = listing(&lister, &topic).await;
        tokio::time::sleep(rng.millis(300, 4000)).await;
        drop(worker); // SIGKILL, and waits until the process is gone
        let killed = Instant::now();
        let at_kill = listing(&lister, &topic).await;
        commits_between.push(at_kill.difference(&before).count());
        eprintln!(
            "fault: worker killed with SIGKILL ({}/{}), {} files committed, {} records per partition produced",
            kill + 1,
            suite.kills(),
            at_kill.len(),
            feed.made()
        );
        worker = start();
        worst = worst.max(next_commit(&lister, &topic, &at_kill, killed, &worker).await);
    }
    let made = feed.finish();
    caught_up(&lister, &topic, made, &worker).await;
    // A late duplicate, if the sink were to write one, lands before the count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let tail = worker.log_tail();
    drop(worker);
    let copy = tokio::task::block_in_place(|| store.read_verified());
    let counted = count_committed(&copy.join(SINK_DIR), &topic, made);
    if counted.lost + counted.duplicated > 0 || !counted.bad.is_empty() {
        eprintln!(
            "{scenario}: lost {}, duplicated {}, bad files {:?}; log:\n{tail}",
            counted.lost, counted.duplicated, counted.bad
        );
    }
    eprintln!(
        "{scenario}: {} files committed; files committed between kills: {commits_between:?}",
        counted.files
    );
    let kind = if format == AVRO { "Avro" } else { "Parquet" };
    Row {
        scenario: format!("kill loop: topic → HDFS sink ({kind}, real HDFS)"),
        faults: format!("{} SIGKILLs", suite.kills()),
        sent: PARTITIONS as u64 * made as u64,
        received: counted.received,
        lost: counted.lost,
        duplicated: counted.duplicated,
        duplicates_forbidden: true,
        recovery: format!("{:.1} s to a new committed file", worst.as_secs_f64()),
        verdict: match counted.bad.first() {
            Some(b) => format!("FAILED: {} bad files ({b})", counted.bad.len()),
            None => String::new(),
        },
    }
    .judge()
}

/// A tmpfs mounted on a directory for one scenario; unmounted when dropped, however the
/// scenario ends.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`4m`) on `dir` (which must exist); needs root.
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            out.status.success(),
            "mount -t tmpfs -o size={size} tmpfs {} failed (the disk-full scenario needs root): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir: dir.to_path_buf() }
    }

    /// Grows (or shrinks) it to `size`, keeping its files.
    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.dir)
            .status()
            .map(|s| s.success());
        assert!(matches!(ok, Ok(true)), "mount -o remount,size={size} {}", self.dir.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(&self.dir).status().is_ok_and(|s| s.success());
        if !ok {
            // Busy (a process still has a file open there): detach it now, free it later.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// Free bytes on the filesystem holding `dir` (`df`'s available column).
fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df").args(["-B1", "--output=avail"]).arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
}

/// How many log lines of `log` name a full disk, by the step that failed (the word after
/// "Cannot" in the storage error: close, write, append, create, …).
fn full_disk_errors(log: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("No space left on device")) {
        let step = line.split("Cannot ").nth(1).and_then(|r| r.split(' ').next()).unwrap_or("?");
        *out.entry(step.to_string()).or_insert(0) += 1;
    }
    out
}

/// The HDFS sink on a local store whose disk (a 4 MB tmpfs, mostly taken by a ballast
/// file) fills while records flow, and gets room again (the tmpfs grown to 64 MB and the
/// ballast deleted); `suite.kills() / 4` times (later rounds fill the grown disk with a
/// new ballast). The sink must say why it cannot write, commit no partial file, and, once
/// the disk has room again, go on by itself (the Kafka connector retries after
/// `retry.backoff.ms`; a failed task is restarted through REST instead, and the row says
/// so), with every record in exactly one committed file at the end.
async fn disk_full(suite: &Suite, scenario: &str, format: &str) -> Row {
    let mut rng = suite.rng(scenario);
    let rounds = (suite.kills() / 4).max(1);
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("store");
    std::fs::create_dir(&mnt).unwrap();
    // Declared before the worker: the worker is killed before the unmount.
    let disk = Tmpfs::mount(&mnt, "4m");
    let ballast = mnt.join("ballast");
    let room = 128 * 1024;
    let url = format!("file://{}", mnt.display());
    let lister = Storage::open(&url).unwrap();
    let (topic, name) = (unique("rel-full"), unique("rel-full"));
    create_topic(&topic).await;
    let connector = sink(
        &name,
        &topic,
        &url,
        format,
        "flush.size=100\nrotate.schedule.interval.ms=1000\nretry.backoff.ms=500\n",
    );
    let settings = worker_settings();
    let mut feed = Some(Feed::start(&topic, 20, Duration::from_millis(100)));
    let mut made = 0;
    let worker =
        Worker::start(dir.path(), &bootstrap(), &settings, std::slice::from_ref(&connector));
    let mut verdict = String::new();
    let (mut worst, mut full_for, mut states, mut restarted) =
        (Duration::ZERO, Duration::ZERO, BTreeSet::new(), false);
    for round in 0..rounds {
        std::fs::write(&ballast, vec![0u8; free_bytes(&mnt).saturating_sub(room) as usize])
            .unwrap();
        let before = full_disk_errors(&worker.log_text()).values().sum::<usize>();
        let started = Instant::now();
        // Until the disk is full: the sink says so in its log.
        while full_disk_errors(&worker.log_text()).values().sum::<usize>() == before {
            assert!(
                started.elapsed() < WAIT,
                "the sink wrote for {WAIT:?} without filling the disk ({} bytes free):\n{}",
                free_bytes(&mnt),
                worker.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!(
            "fault: the store's disk is full ({}/{rounds}: a ballast file left {} KB, filled after {:.1} s)",
            round + 1,
            room / 1024,
            started.elapsed().as_secs_f64()
        );
        // The disk stays full for a while: the task retries (or fails) meanwhile.
        let hold = rng.millis(2000, 5000);
        tokio::time::sleep(hold).await;
        full_for += hold;
        let state = worker.task_state(&name).await;
        let trace = worker.status(&name).await["tasks"][0]["trace"].as_str().map(str::to_string);
        states.insert(state.clone());
        let errors = full_disk_errors(&worker.log_text());
        eprintln!(
            "while full: task {state}, log lines naming the full disk by failing step {errors:?}"
        );
        if state == "FAILED" && !trace.as_deref().unwrap_or("").contains("No space left") {
            verdict =
                format!("FAILED: the task failed with a trace not naming the full disk: {trace:?}");
        }
        // Every file committed so far reads back completely while the disk is full.
        let during = count_committed(&mnt, &topic, feed.as_ref().map_or(made, Feed::made));
        if let Some(b) = during.bad.first() {
            verdict = format!("FAILED: bad committed file while the disk was full ({b})");
        }
        let at_full = listing(&lister, &topic).await;
        // The last round stops producing while the disk is full: what the sink could not
        // write must be committed without a further record to come.
        if round + 1 == rounds
            && let Some(f) = feed.take()
        {
            made = f.finish();
            eprintln!("records stop while the disk is full ({made} per partition)");
        }
        if round == 0 {
            disk.resize("64m");
        }
        std::fs::remove_file(&ballast).unwrap();
        let freed = Instant::now();
        eprintln!("fault: the store's disk has room again ({} KB free)", free_bytes(&mnt) / 1024);
        if state == "FAILED" {
            let url = format!("http://127.0.0.1:{}/connectors/{name}/tasks/0/restart", worker.port);
            let r = reqwest::Client::new().post(&url).send().await.unwrap();
            assert!(r.status().is_success(), "POST {url}: {}", r.status());
            restarted = true;
        }
        worst = worst.max(next_commit(&lister, &topic, &at_full, freed, &worker).await);
        tokio::time::sleep(rng.millis(1000, 3000)).await;
    }
    caught_up(&lister, &topic, made, &worker).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = worker.task_state(&name).await;
    let log = worker.log_text();
    let tail = worker.log_tail();
    drop(worker);
    let errors = full_disk_errors(&log);
    let clear = log.lines().any(|l| {
        l.contains("No space left on device") && (l.contains("WARN") || l.contains("ERROR"))
    });
    if !clear {
        verdict = "FAILED: no warning or error in the log names the full disk".into();
    }
    let counted = count_committed(&mnt, &topic, made);
    if counted.lost + counted.duplicated > 0 || !counted.bad.is_empty() {
        eprintln!(
            "{scenario}: lost {}, duplicated {}, bad files {:?}; log:\n{tail}",
            counted.lost, counted.duplicated, counted.bad
        );
    }
    if let Some(b) = counted.bad.first() {
        verdict = format!("FAILED: {} bad committed files ({b})", counted.bad.len());
    } else if still != "RUNNING" {
        verdict = format!("FAILED: the task is {still} after the disk got room");
    } else if restarted {
        // The sink retries storage errors by itself (retry.backoff.ms), as Kafka's does:
        // a task that had to be restarted through REST broke that promise.
        verdict = "FAILED: the task went FAILED while the disk was full".into();
    }
    eprintln!("{scenario}: {} files committed; full-disk errors logged: {errors:?}", counted.files);
    let kind = if format == AVRO { "Avro" } else { "Parquet" };
    let states: Vec<String> = states.into_iter().collect();
    Row {
        scenario: format!("disk full: topic → HDFS sink ({kind}, local store)"),
        faults: format!(
            "disk full {rounds}× ({:.0} s), {} write errors",
            full_for.as_secs_f64(),
            errors.values().sum::<usize>()
        ),
        sent: PARTITIONS as u64 * made as u64,
        received: counted.received,
        lost: counted.lost,
        duplicated: counted.duplicated,
        duplicates_forbidden: true,
        recovery: format!(
            "{:.1} s to a new committed file, {} (task {} while full)",
            worst.as_secs_f64(),
            if restarted { "after a REST restart" } else { "retrying by itself" },
            states.join("/")
        ),
        verdict,
    }
    .judge()
}
