//! `/admin/loggers` on the shipped `connect-standalone` binary changes what the process
//! logs: a FileStreamSource → FileStreamSink pipeline on the embedded broker, its log file
//! read before and after `PUT /admin/loggers/connect_runtime::task`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Kills the worker when the test ends, however it ends.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn append(path: &Path, lines: &[&str]) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|s| s.lines().count()).unwrap_or(0)
}

/// How many offset commits the log shows (a DEBUG line of the source task driver).
fn commits_logged(log: &Path) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().matches("committed source offsets").count()
}

async fn wait(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn put_level(http: &reqwest::Client, base: &str, logger: &str, level: &str) -> Value {
    let a = http
        .put(format!("{base}/admin/loggers/{logger}"))
        .json(&json!({ "level": level }))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
    a.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_loggers_changes_what_the_binary_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output, log) =
        (dir.path().join("in.txt"), dir.path().join("out.txt"), dir.path().join("worker.log"));
    append(&input, &["a1", "a2", "a3"]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "listeners=http://127.0.0.1:{port}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\n\
             offset.flush.interval.ms=100\n",
            dir.path().join("offsets").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name=src\nconnector.class=FileStreamSource\nfile={}\ntopic=lines\n",
            input.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name=sink\nconnector.class=FileStreamSink\nfile={}\ntopics=lines\n",
            output.display()
        ),
    )
    .unwrap();
    let log_file = std::fs::File::create(&log).unwrap();
    let _worker = Worker(
        Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
            .env_remove("RUST_LOG")
            .arg(dir.path().join("worker.properties"))
            .arg(dir.path().join("source.properties"))
            .arg(dir.path().join("sink.properties"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // At the default level (INFO) the commits of the first lines are not logged.
    wait("the first 3 lines in the sink file", Duration::from_secs(60), || lines(&output) >= 3)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(commits_logged(&log), 0, "DEBUG lines at INFO level");

    // DEBUG for the task drivers: the next commits are logged.
    let changed = put_level(&http, &base, "connect_runtime::task", "DEBUG").await;
    assert!(changed.as_array().unwrap().contains(&json!("connect_runtime::task")), "{changed}");
    append(&input, &["b1", "b2", "b3"]);
    wait("6 lines in the sink file", Duration::from_secs(60), || lines(&output) >= 6).await;
    wait("a logged offset commit", Duration::from_secs(10), || commits_logged(&log) > 0).await;
    let level: Value = http
        .get(format!("{base}/admin/loggers/connect_runtime::task"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(level["level"], "DEBUG", "{level}");

    // Back to INFO: more data moves, no more commits are logged.
    put_level(&http, &base, "connect_runtime::task", "INFO").await;
    let before = commits_logged(&log);
    append(&input, &["c1", "c2", "c3"]);
    wait("9 lines in the sink file", Duration::from_secs(60), || lines(&output) >= 9).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(commits_logged(&log), before, "DEBUG lines after going back to INFO");
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "a1\na2\na3\nb1\nb2\nb3\nc1\nc2\nc3\n");
}
