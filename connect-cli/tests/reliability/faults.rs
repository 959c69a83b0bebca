//! What the scenarios share: the mode and seed, the table's rows, the broker's kill and
//! restart, and counting what arrived.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::common::{bootstrap, unique};
use crate::support::Worker;

/// How hard the suite pushes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A few kills per loop: what the README's test command runs.
    Quick,
    /// 20 kills per loop: `scripts/reliability.sh`.
    Full,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
        }
    }
}

/// The run's settings, from the environment.
pub struct Suite {
    pub mode: Mode,
    pub seed: u64,
    only: Vec<String>,
}

impl Suite {
    pub fn from_env() -> Suite {
        let mode = match std::env::var("CONNECT_RELIABILITY").as_deref() {
            Ok("full") => Mode::Full,
            Ok("quick") | Err(_) => Mode::Quick,
            Ok(other) => panic!("CONNECT_RELIABILITY={other}: quick or full"),
        };
        let seed = match std::env::var("CONNECT_RELIABILITY_SEED") {
            Ok(s) => s.parse().unwrap_or_else(|_| panic!("CONNECT_RELIABILITY_SEED={s}: a number")),
            Err(_) => {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    % 1_000_000
            }
        };
        let only = std::env::var("CONNECT_RELIABILITY_ONLY")
            .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Suite { mode, seed, only }
    }

    pub fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }

    /// How many SIGKILLs a kill loop makes.
    pub fn kills(&self) -> usize {
        match self.mode {
            Mode::Quick => 4,
            Mode::Full => 20,
        }
    }

    /// A generator for the scenario `name`, from the run's seed.
    pub fn rng(&self, name: &str) -> Rng {
        let salt = name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        Rng(self.seed ^ salt | 1)
    }
}

/// xorshift64: small and deterministic, so a printed seed replays the kill points.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// A number in `lo..hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo).max(1)
    }

    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.between(lo, hi))
    }
}

/// A thread that feeds a scenario: every `every` it calls `emit` with the next number
/// (1, 2, …), which makes that many more and says how many it made, until stopped.
pub struct Feeder {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feeder {
    pub fn start(every: Duration, mut emit: impl FnMut(u64) -> u64 + Send + 'static) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicU64::new(0));
        let (s, m) = (stop.clone(), made.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let n = emit(m.load(Ordering::SeqCst) + 1);
                m.fetch_add(n, Ordering::SeqCst);
                std::thread::sleep(every);
            }
        });
        Feeder { stop, made, thread: Some(thread) }
    }

    /// Stops it; how many it made.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.made.load(Ordering::SeqCst)
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What a panic said (a scenario's failed assertion).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}

/// The consumer settings of the sinks under a kill loop: a killed worker's membership
/// ends within seconds (the group waits for it to rejoin otherwise).
pub const SINK_CONSUMER: &str =
    "consumer.override.session.timeout.ms=6000\nconsumer.override.heartbeat.interval.ms=1000\n";

/// One line of the table.
pub struct Row {
    pub scenario: String,
    /// The faults injected, as counted (kills, outages, signals).
    pub faults: String,
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Whether duplicates break this scenario's promise (exactly-once, upsert).
    pub duplicates_forbidden: bool,
    /// The longest recovery seen, with what was timed.
    pub recovery: String,
    /// "ok", or why not.
    pub verdict: String,
}

impl Row {
    pub fn failed(scenario: &str, why: &str) -> Row {
        Row {
            scenario: scenario.into(),
            faults: "-".into(),
            sent: 0,
            received: 0,
            lost: 0,
            duplicated: 0,
            duplicates_forbidden: false,
            recovery: "-".into(),
            verdict: format!("FAILED: {}", why.lines().next().unwrap_or(why)),
        }
    }

    /// A row for `sent` records whose `(lost, duplicated, received)` were counted
    /// ([`tally`]), duplicates allowed, not judged yet.
    pub fn counted(
        scenario: &str,
        faults: String,
        sent: u64,
        counts: (u64, u64, u64),
        recovery: String,
    ) -> Row {
        let (lost, duplicated, received) = counts;
        Row {
            scenario: scenario.into(),
            faults,
            sent,
            received,
            lost,
            duplicated,
            duplicates_forbidden: false,
            recovery,
            verdict: String::new(),
        }
    }

    pub fn ok(&self) -> bool {
        self.verdict == "ok"
    }

    /// Sets the verdict from the counts: loss is never allowed, duplicates only where
    /// nothing promises otherwise.
    pub fn judge(mut self) -> Row {
        if self.lost > 0 {
            self.verdict = format!("FAILED: {} lost", self.lost);
        } else if self.duplicates_forbidden && self.duplicated > 0 {
            self.verdict = format!("FAILED: {} duplicated", self.duplicated);
        } else if self.verdict.is_empty() {
            self.verdict = "ok".into();
        }
        self
    }
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | faults injected | sent | received | lost | duplicated | recovery (max) | result |\n|---|---|---:|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        let dup = if r.duplicates_forbidden {
            format!("{} (0 promised)", r.duplicated)
        } else {
            r.duplicated.to_string()
        };
        // A scenario about the process, not the data, counts no records.
        let n = |v: u64| if r.sent == 0 { "-".to_string() } else { v.to_string() };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.faults,
            n(r.sent),
            n(r.received),
            n(r.lost),
            if r.sent == 0 { "-".to_string() } else { dup },
            r.recovery,
            r.verdict
        ));
    }
    out
}

/// How many of `expected` (1..=n) arrived, from how many arrivals: (lost, duplicated,
/// received). Anything outside 1..=n counts as a lost line's garbled remains.
pub fn tally(arrivals: &BTreeMap<u64, u64>, n: u64) -> (u64, u64, u64) {
    let lost = (1..=n).filter(|i| !arrivals.contains_key(i)).count() as u64;
    let received: u64 = arrivals.values().sum();
    let duplicated: u64 = arrivals.values().map(|c| c.saturating_sub(1)).sum();
    (lost, duplicated, received)
}

/// Counts per value of the numbers in `text`, one per line.
pub fn count_lines(text: &str) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let n = line.trim().parse::<u64>().unwrap_or(u64::MAX);
        *counts.entry(n).or_insert(0) += 1;
    }
    counts
}

/// Kills the worker `suite.kills()` times with SIGKILL at seeded random points while a
/// feeder keeps data coming, restarting it at once each time with the same directory and
/// `connectors`; returns the last worker and the longest recovery: from a kill until
/// `progress` (a count that grows while data flows: a topic's end offset, a file's size,
/// a table's top value) grew again.
pub async fn kill_loop(
    suite: &Suite,
    rng_name: &str,
    dir: &std::path::Path,
    extra: &str,
    connectors: &[String],
    progress: impl Fn() -> u64,
) -> (Worker, Duration) {
    const WAIT: Duration = Duration::from_secs(90);
    let mut rng = suite.rng(rng_name);
    let mut worker = Worker::start(dir, &bootstrap(), extra, connectors);
    let mut worst = Duration::ZERO;
    for kill in 0..suite.kills() {
        tokio::time::sleep(rng.millis(300, 3000)).await;
        drop(worker); // SIGKILL, and reaped
        let killed = Instant::now();
        // What the killed worker had in flight lands within moments; only what comes
        // after that is the new worker's.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = tokio::task::block_in_place(&progress);
        eprintln!("fault: worker killed with SIGKILL ({}/{})", kill + 1, suite.kills());
        worker = Worker::start(dir, &bootstrap(), extra, connectors);
        while tokio::task::block_in_place(&progress) <= before {
            assert!(
                killed.elapsed() < WAIT,
                "no progress within {WAIT:?} of a restart:\n{}",
                worker.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worst = worst.max(killed.elapsed());
    }
    (worker, worst)
}

const RUNNING_WAIT: Duration = Duration::from_secs(90);

/// Waits (at most 90 s) until task 0 of `name` runs on `worker`.
pub async fn running(worker: &Worker, name: &str) {
    let deadline = Instant::now() + RUNNING_WAIT;
    while worker.task_state(name).await != "RUNNING" {
        assert!(
            Instant::now() < deadline,
            "task of {name} not RUNNING within {RUNNING_WAIT:?}:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The end offset of `topic`'s partition 0 (0 before it exists).
pub fn end_offset(topic: &str) -> u64 {
    let consumer: BaseConsumer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create().unwrap();
    let high =
        consumer.fetch_watermarks(topic, 0, Duration::from_secs(5)).map(|(_, h)| h.max(0) as u64);
    drop(consumer);
    high.unwrap_or(0)
}

/// Counts per value of `topic`'s records (numbers as text), reading until `n` distinct
/// values of 1..=n arrived or `wait` passed.
pub fn count_topic(topic: &str, n: u64, wait: Duration) -> BTreeMap<u64, u64> {
    let mut distinct = 0;
    let mut seen = std::collections::HashSet::new();
    let values = read_topic_until(topic, wait, |v| {
        let v = v.trim().parse::<u64>().unwrap_or(u64::MAX);
        if (1..=n).contains(&v) && seen.insert(v) {
            distinct += 1;
        }
        distinct == n
    });
    let mut counts = BTreeMap::new();
    for v in values {
        *counts.entry(v.trim().parse::<u64>().unwrap_or(u64::MAX)).or_insert(0) += 1;
    }
    counts
}

/// Every value of `topic` (as text), from the start, until `complete` (called with each
/// new value) says everything expected arrived, then 2 s more for trailing duplicates;
/// or until `wait` passed.
pub fn read_topic_until(
    topic: &str,
    wait: Duration,
    mut complete: impl FnMut(&str) -> bool,
) -> Vec<String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reliability-check"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut values = Vec::new();
    let deadline = Instant::now() + wait;
    let mut done_at = None;
    while Instant::now() < deadline
        && done_at.is_none_or(|t: Instant| t.elapsed() < Duration::from_secs(2))
    {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let v =
                m.payload().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
            if complete(&v) && done_at.is_none() {
                done_at = Some(Instant::now());
            }
            values.push(v);
        }
    }
    drop(consumer);
    values
}

/// The broker `scripts/test.sh` (or `scripts/reliability.sh`) started, which a scenario
/// may kill and restart on its data directory (`CONNECT_TEST_KAFKA_DIR`,
/// `CONNECT_TEST_KAFKA_CMD`).
pub struct Broker {
    dir: PathBuf,
    cmd: PathBuf,
}

impl Broker {
    pub fn from_env() -> Broker {
        let var = |k: &str| {
            std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
                panic!("{k} is not set: the reliability suite kills and restarts the broker; run scripts/test.sh or scripts/reliability.sh, which start Apache Kafka and set it")
            })
        };
        Broker {
            dir: PathBuf::from(var("CONNECT_TEST_KAFKA_DIR")),
            cmd: PathBuf::from(var("CONNECT_TEST_KAFKA_CMD")),
        }
    }

    fn pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.dir.join("kafka.pid")).ok()?.trim().to_string();
        (!gone(&pid)).then_some(pid)
    }

    /// SIGKILL: the broker dies as in a power cut (its data directory stays).
    pub fn kill(&self) {
        let pid = self.pid().expect("the broker runs");
        signal(&pid, "KILL");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !gone(&pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("fault: broker (pid {pid}) killed with SIGKILL");
    }

    /// Starts the broker again on the same data directory and ports, and waits until it
    /// serves metadata; how long that took.
    pub fn restart(&self) -> Duration {
        assert!(self.pid().is_none(), "the broker still runs");
        let started = Instant::now();
        let mut child = Command::new(&self.cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", self.cmd.display()));
        // Reaped when it dies, so that a killed broker leaves no zombie behind.
        std::thread::spawn(move || child.wait());
        let deadline = started + Duration::from_secs(120);
        loop {
            if self.pid().is_some() && metadata_ok() {
                eprintln!(
                    "fault: broker restarted on its data directory after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return started.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "the broker did not come back within 120 s; see {}/logs",
                self.dir.display()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Makes sure the broker runs (after a scenario that failed half-way).
    pub fn ensure_up(&self) {
        if self.pid().is_none() {
            self.restart();
        }
    }

    /// A guard that starts the broker again when dropped, however the scenario ended
    /// (never panicking itself: it may run while a failed assertion unwinds).
    pub fn kept_up(&self) -> KeptUp<'_> {
        KeptUp(self)
    }
}

/// See [`Broker::kept_up`].
pub struct KeptUp<'a>(&'a Broker);

impl Drop for KeptUp<'_> {
    fn drop(&mut self) {
        if self.0.pid().is_none()
            && std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.restart())).is_err()
        {
            eprintln!("the broker could not be started again; later tests will fail");
        }
    }
}

fn metadata_ok() -> bool {
    let Ok(c) =
        rdkafka::ClientConfig::new().set("bootstrap.servers", bootstrap()).create::<BaseConsumer>()
    else {
        return false;
    };
    let ok = c
        .fetch_metadata(None, Duration::from_secs(2))
        .map(|m| !m.brokers().is_empty())
        .unwrap_or(false);
    drop(c);
    ok
}

/// Whether `pid` is gone or a zombie.
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(true)
}

/// `kill -<sig> <pid>`.
pub fn signal(pid: &str, sig: &str) {
    let ok = Command::new("kill").args([&format!("-{sig}"), pid]).status().map(|s| s.success());
    assert!(matches!(ok, Ok(true)), "kill -{sig} {pid} failed");
}
