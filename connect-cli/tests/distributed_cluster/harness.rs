//! What every cluster scenario uses: real `connect-distributed` processes on Apache Kafka,
//! their REST API, and waits that print the workers' logs when they time out.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

/// A `connect-distributed` process, killed when dropped.
pub struct Worker {
    /// The process.
    pub child: Child,
    /// Its REST base URL.
    pub base: String,
    /// Its log file (standard error).
    pub log: std::path::PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Stops the worker as an operator does (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("worker {} did not stop within 60 s", self.base);
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start(dir: &Path, group: &str, n: usize, run: usize) -> Worker {
    start_with(dir, group, n, run, "")
}

/// Starts worker `n` of `group` (its `run`th start), with `extra` properties lines.
pub fn start_with(dir: &Path, group: &str, n: usize, run: usize, extra: &str) -> Worker {
    start_on(&common::bootstrap(), dir, group, n, run, extra)
}

/// [`start_with`] on the broker at `bootstrap`.
pub fn start_on(
    bootstrap: &str,
    dir: &Path,
    group: &str,
    n: usize,
    run: usize,
    extra: &str,
) -> Worker {
    let port = free_port();
    let props = dir.join(format!("worker-{n}.properties"));
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{port}\ngroup.id={group}\n\
             config.storage.topic={group}-configs\noffset.storage.topic={group}-offsets\n\
             status.storage.topic={group}-status\nconfig.storage.replication.factor=1\n\
             offset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n\
             offset.storage.partitions=5\nstatus.storage.partitions=3\n\
             heartbeat.interval.ms=1000\nsession.timeout.ms=6000\n\
             scheduled.rebalance.max.delay.ms=10000\noffset.flush.interval.ms=1000\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n{extra}",
        ),
    )
    .unwrap();
    launch(dir, n, run, port)
}

/// Starts worker `n` again with the properties file (and so the REST port) of its first
/// start.
pub fn restart(dir: &Path, n: usize, run: usize) -> Worker {
    let props = std::fs::read_to_string(dir.join(format!("worker-{n}.properties"))).unwrap();
    let port = props
        .lines()
        .find_map(|l| l.strip_prefix("listeners=http://127.0.0.1:"))
        .and_then(|p| p.parse().ok())
        .unwrap();
    launch(dir, n, run, port)
}

fn launch(dir: &Path, n: usize, run: usize, port: u16) -> Worker {
    let props = dir.join(format!("worker-{n}.properties"));
    let log = dir.join(format!("worker-{n}-run-{run}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_connect-distributed"))
        .arg(&props)
        .env("RUST_LOG", "info,rdkafka=warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Worker { child, base: format!("http://127.0.0.1:{port}"), log }
}

pub async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url).timeout(Duration::from_secs(60));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub async fn wait_until<T>(
    workers: &[Worker],
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> =
                workers.iter().map(|w| format!("--- {} ---\n{}", w.base, w.log_tail())).collect();
            panic!("{what} not seen within 120 s\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub async fn wait_for_rest(workers: &[Worker]) {
    for w in workers {
        let base = w.base.clone();
        wait_until(workers, &format!("{base}'s REST API"), async || {
            let r = reqwest::get(format!("{base}/connectors")).await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
    }
}

/// Waits until every worker has joined the group and applied an assignment (its log
/// says so): REST writes made before then wait for the group, at most 30 s, then answer
/// 409, and a loaded machine can take longer than that to form a group.
pub async fn wait_for_group(workers: &[Worker]) {
    for w in workers {
        wait_until(workers, &format!("{} in the group", w.base), async || {
            let log = std::fs::read_to_string(&w.log).unwrap_or_default();
            log.contains("assignment applied").then_some(())
        })
        .await;
    }
}

/// Every connector's status, from one worker: connector state and worker, task states
/// and workers.
pub async fn statuses(base: &str, names: &[String]) -> Option<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for n in names {
        let (code, v) =
            call(reqwest::Method::GET, format!("{base}/connectors/{n}/status"), None).await;
        if code != 200 {
            return None;
        }
        out.insert(n.clone(), v);
    }
    Some(out)
}

/// When every connector and its 4 tasks are RUNNING: who runs what.
pub fn placement(
    all: &BTreeMap<String, Value>,
    want: &str,
) -> Option<(BTreeMap<String, usize>, BTreeMap<String, usize>)> {
    let mut connectors = BTreeMap::new();
    let mut tasks = BTreeMap::new();
    for s in all.values() {
        if s["connector"]["state"] != want {
            return None;
        }
        *connectors.entry(s["connector"]["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        let ts = s["tasks"].as_array()?;
        if ts.len() != 4 || ts.iter().any(|t| t["state"] != want) {
            return None;
        }
        for t in ts {
            *tasks.entry(t["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        }
    }
    Some((connectors, tasks))
}

pub fn line_count(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

/// The worker (REST host:port) that runs a task, from any live worker's answer.
pub async fn task_owner(workers: &[&Worker], name: &str) -> Option<String> {
    for w in workers {
        let (code, v) =
            call(reqwest::Method::GET, format!("{}/connectors/{name}/status", w.base), None).await;
        if code == 200 && v["tasks"][0]["state"] == "RUNNING" {
            return v["tasks"][0]["worker_id"].as_str().map(str::to_string);
        }
    }
    None
}

/// The worker that leads now, from the workers' logs: the last assignment each applied
/// says whether it led.
pub fn leader_of(workers: &[Worker]) -> Option<usize> {
    workers.iter().position(|w| {
        let log = std::fs::read_to_string(&w.log).unwrap_or_default();
        log.lines()
            .rev()
            .find(|l| l.contains("assignment applied"))
            .is_some_and(|l| l.contains("leader=true"))
    })
}

/// `Some(())` when `name`'s connector and its `tasks` tasks are all in `state`.
pub async fn placement_of(base: &str, name: &str, tasks: usize, state: &str) -> Option<()> {
    let (code, v) =
        call(reqwest::Method::GET, format!("{base}/connectors/{name}/status"), None).await;
    let ts = v["tasks"].as_array()?;
    (code == 200
        && v["connector"]["state"] == state
        && ts.len() == tasks
        && ts.iter().all(|t| t["state"] == state))
    .then_some(())
}

/// Every record of `topic` from its beginning, as (key, value as JSON or `None` for a
/// tombstone), read with a plain Kafka consumer: no code of ours decodes them.
pub fn read_raw(topic: &str) -> Vec<(String, Option<Value>)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Message, Offset, TopicPartitionList};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", common::bootstrap())
        .set("group.id", common::unique("raw-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let timeout = Duration::from_secs(20);
    let metadata = consumer.fetch_metadata(Some(topic), timeout).unwrap();
    let partitions = metadata.topics()[0].partitions().len() as i32;
    let mut assignment = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, timeout).unwrap();
        if high > low {
            assignment.add_partition_offset(topic, p, Offset::Beginning).unwrap();
            ends.insert(p, high);
        }
    }
    consumer.assign(&assignment).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ends.is_empty() {
        assert!(Instant::now() < deadline, "{topic} not read to its end within 60 s");
        let Some(m) = consumer.poll(Duration::from_millis(500)) else { continue };
        let m = m.unwrap();
        let key = String::from_utf8(m.key().unwrap_or_default().to_vec()).unwrap();
        let value = m.payload().map(|v| serde_json::from_slice(v).unwrap());
        out.push((key, value));
        if ends.get(&m.partition()).is_some_and(|end| m.offset() + 1 >= *end) {
            ends.remove(&m.partition());
        }
    }
    out
}

/// Lines of the test input missing from `file`, and extra copies.
pub fn missing_and_duplicates(file: &Path, total: usize) -> (usize, usize) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut seen = BTreeMap::new();
    for l in text.lines() {
        *seen.entry(l.to_string()).or_insert(0usize) += 1;
    }
    let missing = (0..total)
        .filter(|i| !seen.contains_key(&format!("line {i:07} of the test input")))
        .count();
    (missing, seen.values().map(|n| n - 1).sum())
}

/// A thread that appends `batch` test lines to a file every 50 ms, as a live input does.
pub struct Appender {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<usize>,
}

impl Appender {
    /// Starts appending to `input` from line `from`.
    pub fn start(input: &Path, from: usize, batch: usize) -> Appender {
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (input, flag) = (input.to_path_buf(), running.clone());
        let thread = std::thread::spawn(move || {
            let mut n = from;
            while flag.load(std::sync::atomic::Ordering::SeqCst) {
                common::write_lines(&input, n, batch);
                n += batch;
                std::thread::sleep(Duration::from_millis(50));
            }
            n
        });
        Appender { running, thread }
    }

    /// Stops appending; the number of lines the input now has.
    pub fn finish(self) -> usize {
        self.running.store(false, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// The time a log line starts with (`2026-12-05T03:39:51.522643Z`, UTC).
pub fn log_time(line: &str) -> Option<std::time::SystemTime> {
    let stamp = line.split_whitespace().next()?.strip_suffix('Z')?;
    let (date, time) = stamp.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<i64>());
    let (h, min, sec) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + min * 60 + sec;
    let nanos: u32 = format!("{frac:0<9}")[..9].parse().ok()?;
    Some(std::time::UNIX_EPOCH + Duration::new(u64::try_from(secs).ok()?, nanos))
}

/// Creates, through `base`, the file pipeline the failover scenarios run: `src`, a
/// FileStreamSource reading `input` into `topic`, and `dst`, a FileStreamSink writing
/// `topic` to `output`.
pub async fn create_file_pipeline(base: &str, input: &Path, output: &Path, topic: &str) {
    for (name, config) in [
        (
            "src",
            serde_json::json!({"connector.class": "FileStreamSource",
                "file": input.to_str().unwrap(), "topic": topic}),
        ),
        (
            "dst",
            serde_json::json!({"connector.class": "FileStreamSink",
                "file": output.to_str().unwrap(), "topics": topic}),
        ),
    ] {
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{base}/connectors"),
            Some(serde_json::json!({"name": name, "config": config})),
        )
        .await;
        assert_eq!(code, 201, "creating {name}: {body}");
    }
}

/// How many lines of a worker's log contain one of `needles`.
pub fn log_lines_with(log: &Path, needles: &[&str]) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().filter(|l| needles.iter().any(|n| l.contains(n))).count()
}
