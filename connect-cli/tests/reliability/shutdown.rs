//! SIGTERM while the broker goes away: the broker is killed before, during and after the
//! signal, and once more with a sink stuck in a write that never returns (a FIFO nobody
//! reads). Whatever its tasks and Kafka clients are doing, the worker process ends within
//! its shutdown deadline (`connect_runtime::cli::exit_deadline`).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{bootstrap, unique};
use crate::faults::{Broker, Row, Suite, running, signal};
use crate::support::{Worker, file_sink, file_source};

/// `task.shutdown.graceful.timeout.ms` and `offset.flush.timeout.ms` of these workers.
const WORKER: &str = "value.converter=org.apache.kafka.connect.storage.StringConverter\ntask.shutdown.graceful.timeout.ms=2000\noffset.flush.timeout.ms=2000\n";

/// How long a worker with `WORKER`'s settings may take to end after SIGTERM, as the
/// runtime computes it (23 s: 3 × 2 s + 2 s + the REST drain + 10 s).
fn exit_deadline() -> Duration {
    let raw =
        connect_runtime::properties::parse(&format!("bootstrap.servers=x\n{WORKER}")).unwrap();
    let (config, _) = connect_runtime::config::worker::WorkerConfig::parse(&raw).unwrap();
    connect_runtime::cli::exit_deadline(&config)
}
/// Slack for the process to be reaped after its deadline.
const SLACK: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug)]
enum When {
    Before,
    During,
    After,
}

pub async fn sigterm_while_the_broker_goes_away(suite: &Suite) -> Vec<Row> {
    let broker = Broker::from_env();
    let _up = broker.kept_up();
    let mut rows = Vec::new();
    // (when the broker dies, whether the sink is stuck, whether a second SIGTERM follows)
    let cases = [
        (When::Before, false, false),
        (When::During, false, false),
        (When::After, false, false),
        (When::During, true, false),
        (When::During, true, true),
    ];
    for (when, stuck, twice) in cases {
        broker.ensure_up();
        rows.push(one(suite, &broker, when, stuck, twice).await);
    }
    broker.ensure_up();
    rows
}

async fn one(suite: &Suite, broker: &Broker, when: When, stuck: bool, twice: bool) -> Row {
    let mut rng = suite.rng(&format!("shutdown-{when:?}-{stuck}-{twice}"));
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    // 40,000 lines (≈230 KB): more than a pipe holds, so a stuck sink stays stuck.
    let text: String = (1..=40_000).map(|i| format!("{i}\n")).collect();
    std::fs::write(&input, text).unwrap();
    // The stuck sink: its output is a FIFO whose reader takes the first 10 KB, then holds
    // the pipe open without reading, so the sink's next writes block for good.
    let took_its_fill = Arc::new(AtomicBool::new(false));
    if stuck {
        let ok = std::process::Command::new("mkfifo").arg(&output).status().unwrap().success();
        assert!(ok, "mkfifo {}", output.display());
        let (fifo, full) = (output.clone(), took_its_fill.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::File::open(fifo).unwrap();
            let mut buf = [0u8; 10_240];
            f.read_exact(&mut buf).unwrap();
            full.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(300));
        });
    }
    let topic = unique("rel-stop");
    let connectors = [file_source("src", &input, &topic), file_sink("sink", &output, &topic)];
    let mut worker = Worker::start(dir.path(), &bootstrap(), WORKER, &connectors);
    running(&worker, "sink").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while stuck && !took_its_fill.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the sink wrote nothing to its FIFO:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(rng.millis(1000, 3000)).await;
    assert!(
        tokio::task::block_in_place(|| worker.wait_exit(Duration::ZERO)).is_none(),
        "the worker died before it was signalled:\n{}",
        worker.log_tail()
    );
    let pid = worker.pid();
    let term = || {
        signal(&pid, "TERM");
        eprintln!("fault: SIGTERM to the worker (pid {pid})");
        Instant::now()
    };
    let termed = match when {
        When::Before => {
            broker.kill();
            tokio::time::sleep(Duration::from_secs(3)).await;
            term()
        }
        When::During => {
            let t = term();
            tokio::time::sleep(Duration::from_millis(100)).await;
            broker.kill();
            t
        }
        When::After => {
            let t = term();
            tokio::time::sleep(Duration::from_secs(2)).await;
            broker.kill();
            t
        }
    };
    if twice {
        tokio::time::sleep(Duration::from_secs(1)).await;
        signal(&pid, "TERM");
        eprintln!("fault: a second SIGTERM to the worker (pid {pid})");
    }
    let status = tokio::task::block_in_place(|| {
        worker.wait_exit((exit_deadline() + SLACK).saturating_sub(termed.elapsed()))
    });
    let took = termed.elapsed();
    let case = format!(
        "SIGTERM{}, broker killed {}{}",
        if twice { " twice" } else { "" },
        format!("{when:?}").to_lowercase(),
        if stuck { ", sink stuck in write" } else { "" }
    );
    let log = worker.log_text();
    // How it ended must be one of the ways the runtime ends a stop: cleanly (0), cut
    // short by its deadline (1, saying so), or by a second signal (130, saying so).
    let how = match status.and_then(|s| s.code()) {
        Some(0) if log.contains("stopping: committing offsets") => Ok("stopped"),
        Some(1) if log.contains("did not finish stopping") => Ok("cut short by its deadline"),
        Some(130) if twice && log.contains("second stop signal") => Ok("second signal"),
        _ => Err(status),
    };
    let (verdict, recovery) = match how {
        Ok(how) if !twice || how == "second signal" => (
            String::new(),
            format!(
                "exited after {:.1} s ({how}, status {})",
                took.as_secs_f64(),
                status.and_then(|s| s.code()).unwrap_or(-1)
            ),
        ),
        Ok(how) => (format!("FAILED: a second SIGTERM did not end it at once ({how})"), "-".into()),
        Err(Some(s)) => {
            eprintln!("ended with {s}; log:\n{}", worker.log_tail());
            (format!("FAILED: ended with {s}"), "-".into())
        }
        Err(None) => {
            eprintln!(
                "still running {:.0} s after SIGTERM; log:\n{}",
                took.as_secs_f64(),
                worker.log_tail()
            );
            (format!("FAILED: still running {:.0} s after SIGTERM", took.as_secs_f64()), "-".into())
        }
    };
    Row {
        scenario: format!("shutdown: {case}"),
        faults: if twice { "2 SIGTERMs + broker SIGKILL" } else { "SIGTERM + broker SIGKILL" }
            .into(),
        sent: 0,
        received: 0,
        lost: 0,
        duplicated: 0,
        duplicates_forbidden: false,
        recovery,
        verdict,
    }
    .judge()
}
