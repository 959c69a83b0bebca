//! Kill loops for the FileStream connectors: the worker is killed with SIGKILL at seeded
//! random points while data flows, and restarted at once, many times; at the end every
//! line must have arrived (duplicates are counted: both connectors are at-least-once).

use std::path::Path;
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::common::{bootstrap, unique};
use crate::faults::{
    Feeder, Row, SINK_CONSUMER, Suite, count_lines, count_topic, end_offset, kill_loop, tally,
};
use crate::support::{file_sink, file_source};

/// Lines appended (or records produced) per step, and how often.
const STEP: u64 = 40;
const EVERY: Duration = Duration::from_millis(20);
/// The longest a worker may take to run its task again, or to catch up at the end.
const WAIT: Duration = Duration::from_secs(90);

/// Settings every worker of these loops has: text values, quick offset commits, a
/// consumer session a killed worker loses within seconds (its group waits for it
/// otherwise), quick restarts.
const WORKER: &str = "value.converter=org.apache.kafka.connect.storage.StringConverter\ntask.shutdown.graceful.timeout.ms=2000\n";

fn append(path: &Path, from: u64, n: u64) -> u64 {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    let text: String = (from..from + n).map(|i| format!("{i}\n")).collect();
    f.write_all(text.as_bytes()).unwrap();
    n
}

/// FileStream source → topic, the worker killed `suite.kills()` times while the file grows.
pub async fn source_loop(suite: &Suite) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let (input, topic, name) = (dir.path().join("in.txt"), unique("rel-src"), unique("rel-src"));
    std::fs::write(&input, "").unwrap();
    let connector = file_source(&name, &input, &topic);
    let feed = {
        let input = input.clone();
        Feeder::start(EVERY, move |from| append(&input, from, STEP))
    };
    let watched = topic.clone();
    let (worker, worst) = kill_loop(
        suite,
        "file-source",
        dir.path(),
        WORKER,
        std::slice::from_ref(&connector),
        || end_offset(&watched),
    )
    .await;
    let n = feed.finish();
    let counts = tokio::task::spawn_blocking(move || count_topic(&topic, n, WAIT)).await.unwrap();
    let row = Row::counted(
        "kill loop: FileStream source → topic",
        format!("{} SIGKILLs", suite.kills()),
        n,
        tally(&counts, n),
        format!("{:.1} s to records flowing", worst.as_secs_f64()),
    )
    .judge();
    if !row.ok() {
        eprintln!("{}: log:\n{}", row.scenario, worker.log_tail());
    }
    vec![row]
}

/// Topic → FileStream sink, the worker killed `suite.kills()` times while records arrive.
pub async fn sink_loop(suite: &Suite) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let (output, topic, name) =
        (dir.path().join("out.txt"), unique("rel-sink"), unique("rel-sink"));
    let connector = format!("{}{SINK_CONSUMER}", file_sink(&name, &output, &topic));
    let feed = {
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let topic = topic.clone();
        Feeder::start(EVERY, move |from| {
            for i in from..from + STEP {
                let v = i.to_string();
                let mut r = BaseRecord::<(), str>::to(&topic).payload(&v);
                while let Err((_, back)) = producer.send(r) {
                    producer.poll(Duration::from_millis(20));
                    r = back;
                }
            }
            producer.flush(Duration::from_secs(30)).unwrap();
            STEP
        })
    };
    let size = || std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    let (worker, worst) =
        kill_loop(suite, "file-sink", dir.path(), WORKER, std::slice::from_ref(&connector), size)
            .await;
    let n = feed.finish();
    let deadline = Instant::now() + WAIT;
    let mut counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    while tally(&counts, n).0 > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    }
    let garbled = counts.keys().filter(|k| **k == 0 || **k > n).count();
    let mut row = Row::counted(
        "kill loop: topic → FileStream sink",
        format!("{} SIGKILLs", suite.kills()),
        n,
        tally(&counts, n),
        format!("{:.1} s to lines written", worst.as_secs_f64()),
    );
    if garbled > 0 {
        row.verdict = format!("FAILED: {garbled} garbled lines");
    }
    let row = row.judge();
    if !row.ok() {
        eprintln!("{}: log:\n{}", row.scenario, worker.log_tail());
    }
    vec![row]
}
