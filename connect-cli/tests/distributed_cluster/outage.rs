//! Scenario 7, and a whole cluster on librdkafka's mock cluster: two workers on
//! `connect-mock-broker` (internal topics made with `--topic`, since the mock answers no
//! CreateTopics) move lines from a file source to a file sink; the broker goes down for
//! 20 s. The workers stop their tasks before their sessions can expire, `/health` says
//! they are unhealthy, and when the broker is back they rejoin, run the tasks again and
//! no line is lost.

use std::io::{BufRead, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::harness::*;

/// A `connect-mock-broker` process: `down`/`up` on its standard input.
pub(crate) struct MockBroker {
    child: Child,
    control: ChildStdin,
    pub(crate) bootstrap: String,
}

impl Drop for MockBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MockBroker {
    pub(crate) fn start(dir: &std::path::Path, topics: &[String]) -> MockBroker {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-mock-broker"));
        for t in topics {
            cmd.arg("--topic").arg(t);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("broker.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let control = child.stdin.take().unwrap();
        MockBroker { child, control, bootstrap: line.trim().to_string() }
    }

    fn set(&mut self, state: &str) {
        writeln!(self.control, "{state}").unwrap();
        self.control.flush().unwrap();
    }
}

/// `GET /health`'s status code and body `status`.
async fn health(base: &str) -> (u16, String) {
    let (code, v) = call(reqwest::Method::GET, format!("{base}/health"), None).await;
    (code, v["status"].as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_stop_their_tasks_while_the_broker_is_down_and_resume_after() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("outage");
    let topic = format!("{group}-lines");
    let mut broker = MockBroker::start(
        dir.path(),
        &[
            format!("{group}-configs:1"),
            format!("{group}-offsets:5"),
            format!("{group}-status:3"),
            topic.clone(),
        ],
    );
    let bootstrap = broker.bootstrap.clone();
    let workers: Vec<Worker> =
        (0..2).map(|n| start_on(&bootstrap, dir.path(), &group, n, 0, "")).collect();
    wait_for_rest(&workers).await;
    wait_for_group(&workers).await;
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    common::write_lines(&input, 0, 1000);
    create_file_pipeline(&workers[1].base, &input, &output, &topic).await;
    wait_until(&workers, "the first 1000 lines through", async || {
        (line_count(&output) >= 1000).then_some(())
    })
    .await;
    for w in &workers {
        assert_eq!(health(&w.base).await, (200, "healthy".into()), "{} before the outage", w.base);
    }
    let appender = Appender::start(&input, 1000, 20);
    let stops_before: Vec<usize> =
        workers.iter().map(|w| log_lines_with(&w.log, &[FENCED])).collect();

    broker.set("down");
    let down = Instant::now();
    let down_at = std::time::SystemTime::now();
    // The work stops first (before the 6 s session can expire), then /health, which
    // waits for the brokers, says so.
    for (w, before) in workers.iter().zip(&stops_before) {
        wait_until(&workers, &format!("{} stopping its work", w.base), async || {
            (log_lines_with(&w.log, &[FENCED]) > *before).then_some(())
        })
        .await;
    }
    let stopped = down.elapsed();
    // Each worker stopped its work before its 6 s session could expire (by its log's
    // clock, the same as ours).
    let mut fenced_after = Vec::new();
    for w in &workers {
        let log = std::fs::read_to_string(&w.log).unwrap();
        let at = log
            .lines()
            .filter(|l| l.contains(FENCED))
            .filter_map(log_time)
            .find(|t| *t >= down_at)
            .unwrap();
        let after = at.duration_since(down_at).unwrap();
        assert!(
            after < Duration::from_secs(6),
            "{} stopped its work {after:?} after the outage began",
            w.base
        );
        fenced_after.push(after);
    }
    for w in &workers {
        let base = w.base.clone();
        let (code, status) = wait_until(&workers, &format!("{base} unhealthy"), async || {
            let h = health(&base).await;
            (h.0 != 200).then_some(h)
        })
        .await;
        assert_eq!(status, "unhealthy", "{base}: {code}");
    }
    let unhealthy = down.elapsed();
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(down.elapsed())).await;

    broker.set("up");
    let up = Instant::now();
    for w in &workers {
        let base = w.base.clone();
        wait_until(&workers, &format!("{base} healthy again"), async || {
            (health(&base).await.0 == 200).then_some(())
        })
        .await;
    }
    for name in ["src", "dst"] {
        wait_until(&workers, &format!("{name} RUNNING again"), async || {
            placement_of(&workers[0].base, name, 1, "RUNNING").await
        })
        .await;
    }
    let resumed = up.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let total = appender.finish();
    wait_until(&workers, "every line in the sink file", async || {
        (line_count(&output) >= total).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (missing, duplicates) = missing_and_duplicates(&output, total);
    eprintln!(
        "broker down 20 s: work stopped after {fenced_after:?} (seen {stopped:?}), unhealthy after {unhealthy:?}; \
         back up: tasks RUNNING after {resumed:?}; {total} lines, {missing} missing, {duplicates} duplicates"
    );
    assert_eq!(missing, 0, "lines lost");
    for w in workers {
        w.stop();
    }
}

/// The line a worker logs when it stops its work because it lost the group.
const FENCED: &str = "stopping this worker's work";
