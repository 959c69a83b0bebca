//! The broker killed mid-stream (SIGKILL) under a FileStream source → topic → FileStream
//! sink pipeline and started again from its data directory 20 s later: the worker, left
//! alone, carries on, and every line arrives.

use std::time::{Duration, Instant};

use crate::common::{bootstrap, unique};
use crate::faults::{Broker, Row, Suite, count_lines, tally};
use crate::support::{Worker, file_sink, file_source};

/// How long the broker stays down.
const DOWN: Duration = Duration::from_secs(20);
const WAIT: Duration = Duration::from_secs(120);

pub async fn file_pipeline(suite: &Suite) -> Vec<Row> {
    let broker = Broker::from_env();
    let _up = broker.kept_up();
    let mut rng = suite.rng("broker-restart");
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let (topic, src, sink) =
        (unique("rel-restart"), unique("rel-restart-src"), unique("rel-restart-sink"));
    std::fs::write(&input, "").unwrap();
    let connectors = [file_source(&src, &input, &topic), file_sink(&sink, &output, &topic)];
    let worker = Worker::start(
        dir.path(),
        &bootstrap(),
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n",
        &connectors,
    );
    let mut written = 0u64;
    let mut append = |n: u64| {
        use std::io::Write;
        let text: String = (written + 1..=written + n).map(|i| format!("{i}\n")).collect();
        let mut f = std::fs::OpenOptions::new().append(true).open(&input).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        written += n;
    };
    let lines = || count_lines(&std::fs::read_to_string(&output).unwrap_or_default()).len() as u64;
    // Streaming before the fault, until the pipeline carries lines end to end.
    let flowing = Instant::now() + rng.millis(2000, 5000);
    while Instant::now() < flowing || lines() == 0 {
        append(200);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(flowing.elapsed() < WAIT, "nothing reached the sink:\n{}", worker.log_tail());
    }
    broker.kill();
    let down = Instant::now();
    while down.elapsed() < DOWN {
        append(200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = lines();
    broker.restart();
    let restarted = Instant::now();
    while lines() <= before {
        assert!(
            restarted.elapsed() < WAIT,
            "the sink wrote nothing within {WAIT:?} of the broker's return:\n{}",
            worker.log_tail()
        );
        append(20);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovery = restarted.elapsed();
    let n = written;
    let mut counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    while tally(&counts, n).0 > 0 && restarted.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(500)).await;
        counts = count_lines(&std::fs::read_to_string(&output).unwrap_or_default());
    }
    let (lost, duplicated, received) = tally(&counts, n);
    let states = (worker.task_state(&src).await, worker.task_state(&sink).await);
    if lost > 0 || states != ("RUNNING".into(), "RUNNING".into()) {
        eprintln!(
            "broker restart: lost {lost} of {n}, tasks {states:?}; log:\n{}",
            worker.log_tail()
        );
    }
    let verdict = if states == ("RUNNING".into(), "RUNNING".into()) {
        String::new()
    } else {
        format!("FAILED: tasks {} / {} after the restart", states.0, states.1)
    };
    vec![
        Row {
            scenario: "broker restart: FileStream source → Kafka → FileStream sink".into(),
            faults: format!("broker SIGKILL, down {} s, restarted from its data", DOWN.as_secs()),
            sent: n,
            received,
            lost,
            duplicated,
            duplicates_forbidden: false,
            recovery: format!("{:.1} s from broker back to lines flowing", recovery.as_secs_f64()),
            verdict,
        }
        .judge(),
    ]
}
