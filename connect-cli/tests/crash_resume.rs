//! kill -9 of a worker at random points while a file source streams, several times,
//! restarting it each time. Every kill is checked: the committed source offset never
//! goes backwards and never points beyond what is in the topic; after each restart
//! the topic holds every input line at least once, in order, with no gap, and a line
//! is sent again only when the source resumes from its committed position (the file
//! source is at-least-once, so such duplicates are allowed and counted). Runs the
//! real `connect-standalone` binary against the real broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runtime's test helpers, shared rather than copied.
#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

/// How many times the worker is killed with SIGKILL.
const KILLS: usize = 5;
/// The input grows by this many lines every `APPEND_EVERY` while the test runs.
const APPEND_LINES: usize = 100;
const APPEND_EVERY: Duration = Duration::from_millis(20);
/// The longest any one wait of the test may take.
const WAIT: Duration = Duration::from_secs(60);

/// xorshift64: a tiny deterministic generator; the seed is printed so a failing run
/// can be replayed with `CRASH_RESUME_SEED`.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn spawn_worker(dir: &Path, properties: &str, run: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{run}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
        .arg(dir.join(properties))
        .arg(dir.join("source.properties"))
        .env("RUST_LOG", "info,rdkafka=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log_tail(dir: &Path, run: usize) -> String {
    let log = std::fs::read_to_string(dir.join(format!("worker-{run}.log"))).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The committed byte position of the file source (0 before its first commit).
fn committed_position(offsets: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(offsets) else { return 0 };
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the offsets file is not JSON ({e}): {text}"));
    v.as_object().and_then(|o| o.values().find_map(|o| o.get("position")?.as_u64())).unwrap_or(0)
}

/// The number of whole lines of the input before byte `position`, checking that the
/// position is a line boundary inside the input.
fn lines_before(input: &Path, position: u64) -> u64 {
    let bytes = std::fs::read(input).unwrap();
    let position = usize::try_from(position).unwrap();
    assert!(
        position <= bytes.len(),
        "committed position {position} is beyond the input ({} bytes)",
        bytes.len()
    );
    assert!(
        position == 0 || bytes[position - 1] == b'\n',
        "committed position {position} is not at the end of a line"
    );
    bytes[..position].iter().filter(|b| **b == b'\n').count() as u64
}

/// Whole lines in the input file now.
fn input_lines(input: &Path) -> u64 {
    line_count(input) as u64
}

/// The line number a record carries (`line 0000042 of the test input`).
fn line_number(value: &[u8]) -> u64 {
    let text = std::str::from_utf8(value).unwrap();
    text.strip_prefix("line ")
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected record {text:?}"))
}

/// Reads the topic (one partition) from the beginning without a consumer group and
/// checks each record as it comes: every record continues the previous one (line
/// n + 1 after line n), or starts a replay at a line sent before (a restart that
/// resumed from its committed position); never a line beyond the next new one (a gap).
struct TopicChecker {
    consumer: BaseConsumer,
    topic: String,
    /// The next offset to read.
    position: i64,
    /// The line before, if any.
    previous: Option<u64>,
    /// Lines `0..next_new` are all in the topic.
    next_new: u64,
    /// Lines sent a second (or later) time.
    duplicates: u64,
    /// Where each replay started, in topic order.
    replays: Vec<u64>,
}

impl TopicChecker {
    fn new(topic: &str) -> TopicChecker {
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", unique("reader"))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
        consumer.assign(&tpl).unwrap();
        drop(tpl);
        TopicChecker {
            consumer,
            topic: topic.to_string(),
            position: 0,
            previous: None,
            next_new: 0,
            duplicates: 0,
            replays: Vec::new(),
        }
    }

    /// Reads and checks every record up to the high watermark as it is now.
    fn catch_up(&mut self) {
        let high = match self.consumer.fetch_watermarks(&self.topic, 0, Duration::from_secs(10)) {
            Ok((_, high)) => high,
            // The worker has not created the topic yet.
            Err(_) => return,
        };
        let deadline = Instant::now() + WAIT;
        while self.position < high {
            assert!(Instant::now() < deadline, "read up to {} of {high}", self.position);
            let Some(m) = self.consumer.poll(Duration::from_millis(200)) else { continue };
            let m = m.unwrap_or_else(|e| panic!("consumer error: {e}"));
            let line = line_number(m.payload().unwrap_or_default());
            self.position = m.offset() + 1;
            self.check(line, m.offset());
        }
    }

    fn check(&mut self, line: u64, offset: i64) {
        let continues =
            self.previous.is_some_and(|p| line == p + 1) || (self.previous.is_none() && line == 0);
        if !continues {
            assert!(
                self.previous.is_some_and(|p| line <= p),
                "gap in the topic at offset {offset}: line {line} after line {:?} (lines 0..{} were sent)",
                self.previous,
                self.next_new
            );
            self.replays.push(line);
        }
        if line == self.next_new {
            self.next_new += 1;
        } else {
            self.duplicates += 1;
        }
        self.previous = Some(line);
    }

    /// Reads until lines `0..lines` are all in the topic.
    fn wait_for_lines(&mut self, lines: u64, what: &str, log: impl Fn() -> String) {
        let deadline = Instant::now() + WAIT;
        loop {
            self.catch_up();
            if self.next_new >= lines {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: only lines 0..{} of 0..{lines} reached the topic within {WAIT:?}; \
                 worker log:\n{}",
                self.next_new,
                log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Checks that every replay in the topic started at the line of a committed position
/// the source resumed from, in the order of the restarts.
fn check_replays(replays: &[u64], resumed_at: &[u64]) {
    let mut restarts = resumed_at.iter();
    for start in replays {
        assert!(
            restarts.any(|r| r == start),
            "a replay started at line {start}, not where a restart resumed; replays {replays:?}, \
             committed lines at the kills {resumed_at:?}"
        );
    }
}

#[test]
fn killed_worker_restarts_without_losing_lines_and_source_resumes_from_committed_position() {
    let seed =
        std::env::var("CRASH_RESUME_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
                as u64
        }) | 1;
    eprintln!("crash test seed {seed} (replay with CRASH_RESUME_SEED={seed})");
    let mut rng = XorShift(seed);

    let dir = tempfile::tempdir().unwrap();
    let input: PathBuf = dir.path().join("in.txt");
    let offsets = dir.path().join("connect.offsets");
    let topic = unique("crash");
    // The producer waits up to 50 ms to fill a batch, so records are often sent and not
    // yet acknowledged when an offset flush (every 100 ms) or a kill comes.
    let worker = format!(
        "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\noffset.storage.file.filename={}\n\
         offset.flush.interval.ms=100\nproducer.linger.ms=50\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n",
        bootstrap(),
        offsets.display(),
    );
    std::fs::write(dir.path().join("worker.properties"), &worker).unwrap();
    // The last run stops by itself once everything is read, acknowledged and committed.
    std::fs::write(
        dir.path().join("worker-final.properties"),
        format!("{worker}exit.on.source.eof=true\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name={}\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\nbatch.size=200\n",
            unique("src"),
            input.display()
        ),
    )
    .unwrap();

    // The input grows while the workers run, so every kill lands mid-stream.
    write_lines(&input, 0, 1000);
    let stop_writing = Arc::new(AtomicBool::new(false));
    let writer = {
        let (input, stop) = (input.clone(), stop_writing.clone());
        std::thread::spawn(move || {
            let mut next = 1000;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(APPEND_EVERY);
                write_lines(&input, next, APPEND_LINES);
                next += APPEND_LINES;
            }
        })
    };

    let mut topic_checker = TopicChecker::new(&topic);
    let mut committed = 0;
    // The line each restart resumes from: the committed position at each kill.
    let mut resumed_at = Vec::new();
    for run in 0..KILLS {
        let mut child = spawn_worker(dir.path(), "worker.properties", run);
        // Every line written before the (re)start must reach the topic.
        let lines = input_lines(&input);
        topic_checker.wait_for_lines(lines, &format!("run {run}"), || log_tail(dir.path(), run));
        // Then a random point while lines keep coming.
        let delay = rng.below(800);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL: no graceful shutdown, no final commit
        child.wait().unwrap();

        let position = committed_position(&offsets);
        assert!(
            position >= committed,
            "kill {run}: the committed position went back from {committed} to {position}"
        );
        committed = position;
        let committed_lines = lines_before(&input, position);
        topic_checker.catch_up();
        assert!(
            committed_lines <= topic_checker.next_new,
            "kill {run}: the committed position {position} is after line {committed_lines}, \
             but only lines 0..{} are in the topic",
            topic_checker.next_new
        );
        resumed_at.push(committed_lines);
        check_replays(&topic_checker.replays, &resumed_at);
        eprintln!(
            "kill {run}: {delay} ms after catching up with {lines} lines; committed position \
             {position} ({committed_lines} lines); lines 0..{} in the topic, {} duplicates so far",
            topic_checker.next_new, topic_checker.duplicates
        );
    }

    // The last run: the input stops growing; the worker reads it to the end and exits.
    stop_writing.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let total = input_lines(&input);
    let mut last = spawn_worker(dir.path(), "worker-final.properties", KILLS);
    topic_checker.wait_for_lines(total, "after the last restart", || log_tail(dir.path(), KILLS));
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = last.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            last.kill().unwrap();
            panic!(
                "the last worker did not stop at the end of its input; log:\n{}",
                log_tail(dir.path(), KILLS)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "the last worker failed: {status}; log:\n{}",
        log_tail(dir.path(), KILLS)
    );
    topic_checker.catch_up();
    let position = committed_position(&offsets);
    assert!(position >= committed, "the committed position went back to {position}");
    assert_eq!(
        lines_before(&input, position),
        total,
        "the last worker stopped without committing the whole input"
    );
    assert_eq!(topic_checker.next_new, total, "lines beyond the input in the topic");
    check_replays(&topic_checker.replays, &resumed_at);
    assert!(topic_checker.replays.len() <= KILLS);
    eprintln!(
        "crash test: {total} lines, {KILLS} kills; every line in the topic in order; {} \
         duplicates in {} replays starting at lines {:?} (committed lines at the kills {resumed_at:?})",
        topic_checker.duplicates,
        topic_checker.replays.len(),
        topic_checker.replays
    );
}
