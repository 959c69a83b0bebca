//! Kill loops for the FileStream connectors: the worker is killed with SIGKILL at seeded
//! random points while data flows, and restarted at once, many times; at the end every
//! line must have arrived (duplicates are counted: both connectors are at-least-once).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::common::{bootstrap, unique};
use crate::faults::{Row, Suite, count_lines, count_topic, tally};
use crate::support::Worker;

/// Lines appended (or records produced) per step, and how often.
const STEP: u64 = 40;
const EVERY: Duration = Duration::from_millis(20);
/// The longest a worker may take to run its task again, or to catch up at the end.
const WAIT: Duration = Duration::from_secs(90);

/// Settings every worker of these loops has: text values, quick offset commits, a
/// consumer session a killed worker loses within seconds (its group waits for it
/// otherwise), quick restarts.
const WORKER: &str = "value.converter=org.apache.kafka.connect.storage.StringConverter\ntask.shutdown.graceful.timeout.ms=2000\n";
const SINK_CONSUMER: &str =
    "consumer.override.session.timeout.ms=6000\nconsumer.override.heartbeat.interval.ms=1000\n";

/// A thread that produces numbers 1, 2, … with `emit` until stopped; how many it made.
struct Feeder {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feeder {
    fn start(mut emit: impl FnMut(u64, u64) + Send + 'static) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicU64::new(0));
        let (s, m) = (stop.clone(), made.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let from = m.load(Ordering::SeqCst) + 1;
                emit(from, STEP);
                m.fetch_add(STEP, Ordering::SeqCst);
                std::thread::sleep(EVERY);
            }
        });
        Feeder { stop, made, thread: Some(thread) }
    }

    /// Stops it; the last number made.
    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.made.load(Ordering::SeqCst)
    }
}

fn append(path: &Path, from: u64, n: u64) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    let text: String = (from..from + n).map(|i| format!("{i}\n")).collect();
    f.write_all(text.as_bytes()).unwrap();
}

/// Waits until task 0 of `name` runs on `worker`.
async fn running(worker: &Worker, name: &str) {
    let deadline = Instant::now() + WAIT;
    while worker.task_state(name).await != "RUNNING" {
        assert!(
            Instant::now() < deadline,
            "task of {name} not RUNNING within {WAIT:?}:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// FileStream source → topic, the worker killed `suite.kills()` times while the file grows.
pub async fn source_loop(suite: &Suite) -> Vec<Row> {
    let mut rng = suite.rng("file-source");
    let dir = tempfile::tempdir().unwrap();
    let (input, topic, name) = (dir.path().join("in.txt"), unique("rel-src"), unique("rel-src"));
    std::fs::write(&input, "").unwrap();
    let connector = format!(
        "name={name}\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n",
        input.display()
    );
    let feed = {
        let input = input.clone();
        Feeder::start(move |from, n| append(&input, from, n))
    };
    let mut worst = Duration::ZERO;
    let mut worker =
        Worker::start(dir.path(), &bootstrap(), WORKER, std::slice::from_ref(&connector));
    running(&worker, &name).await;
    for kill in 0..suite.kills() {
        tokio::time::sleep(rng.millis(300, 3000)).await;
        drop(worker); // SIGKILL
        let killed = Instant::now();
        eprintln!("fault: worker killed with SIGKILL ({}/{})", kill + 1, suite.kills());
        worker = Worker::start(dir.path(), &bootstrap(), WORKER, std::slice::from_ref(&connector));
        running(&worker, &name).await;
        worst = worst.max(killed.elapsed());
    }
    let n = feed.finish();
    let counts = tokio::task::spawn_blocking(move || count_topic(&topic, n, WAIT)).await.unwrap();
    let (lost, duplicated, received) = tally(&counts, n);
    if lost > 0 {
        eprintln!("file-source lost {lost} of {n}; log:\n{}", worker.log_tail());
    }
    vec![
        Row {
            scenario: "kill loop: FileStream source → topic".into(),
            faults: format!("{} SIGKILLs", suite.kills()),
            sent: n,
            received,
            lost,
            duplicated,
            duplicates_forbidden: false,
            recovery: format!("{:.1} s to RUNNING", worst.as_secs_f64()),
            verdict: String::new(),
        }
        .judge(),
    ]
}

/// Topic → FileStream sink, the worker killed `suite.kills()` times while records arrive.
pub async fn sink_loop(suite: &Suite) -> Vec<Row> {
    let mut rng = suite.rng("file-sink");
    let dir = tempfile::tempdir().unwrap();
    let (output, topic, name) =
        (dir.path().join("out.txt"), unique("rel-sink"), unique("rel-sink"));
    let connector = format!(
        "name={name}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{SINK_CONSUMER}",
        output.display()
    );
    let feed = {
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let topic = topic.clone();
        Feeder::start(move |from, n| {
            for i in from..from + n {
                let v = i.to_string();
                let mut r = BaseRecord::<(), str>::to(&topic).payload(&v);
                while let Err((_, back)) = producer.send(r) {
                    producer.poll(Duration::from_millis(20));
                    r = back;
                }
            }
            producer.flush(Duration::from_secs(30)).unwrap();
        })
    };
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut worst = Duration::ZERO;
    let mut worker =
        Worker::start(dir.path(), &bootstrap(), WORKER, std::slice::from_ref(&connector));
    running(&worker, &name).await;
    for kill in 0..suite.kills() {
        tokio::time::sleep(rng.millis(300, 3000)).await;
        let before = size(&output);
        drop(worker); // SIGKILL
        let killed = Instant::now();
        eprintln!("fault: worker killed with SIGKILL ({}/{})", kill + 1, suite.kills());
        // Recovery: until the next worker writes again (the feeder keeps producing).
        worker = Worker::start(dir.path(), &bootstrap(), WORKER, std::slice::from_ref(&connector));
        while size(&output) <= before {
            assert!(
                killed.elapsed() < WAIT,
                "the sink wrote nothing within {WAIT:?} of a restart:\n{}",
                worker.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worst = worst.max(killed.elapsed());
    }
    let n = feed.finish();
    let deadline = Instant::now() + WAIT;
    let mut counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    while tally(&counts, n).0 > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    }
    let garbled = counts.keys().filter(|k| **k == 0 || **k > n).count();
    let (lost, duplicated, received) = tally(&counts, n);
    if lost > 0 {
        eprintln!("file-sink lost {lost} of {n}; log:\n{}", worker.log_tail());
    }
    vec![
        Row {
            scenario: "kill loop: topic → FileStream sink".into(),
            faults: format!("{} SIGKILLs", suite.kills()),
            sent: n,
            received,
            lost,
            duplicated,
            duplicates_forbidden: false,
            recovery: format!("{:.1} s to writing", worst.as_secs_f64()),
            verdict: if garbled > 0 {
                format!("FAILED: {garbled} garbled lines")
            } else {
                String::new()
            },
        }
        .judge(),
    ]
}
