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

/// Starts the binary with a FileStream pipeline on the embedded broker, `extra` worker
/// lines and `RUST_LOG` as given; returns it, its input, output and log paths.
fn start_pipeline(
    dir: &Path,
    extra: &str,
    rust_log: Option<&str>,
) -> (Worker, std::path::PathBuf, std::path::PathBuf, std::path::PathBuf, String) {
    let (input, output, log) = (dir.join("in.txt"), dir.join("out.txt"), dir.join("worker.log"));
    append(&input, &["a1", "a2", "a3"]);
    let port = free_port();
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "listeners=http://127.0.0.1:{port}\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\n\
             offset.flush.interval.ms=100\n{extra}",
            dir.join("offsets").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("source.properties"),
        format!(
            "name=src\nconnector.class=FileStreamSource\nfile={}\ntopic=lines\n",
            input.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("sink.properties"),
        format!(
            "name=sink\nconnector.class=FileStreamSink\nfile={}\ntopics=lines\n",
            output.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-standalone"));
    match rust_log {
        Some(v) => cmd.env("RUST_LOG", v),
        None => cmd.env_remove("RUST_LOG"),
    };
    let worker = Worker(
        cmd.arg(dir.join("worker.properties"))
            .arg(dir.join("source.properties"))
            .arg(dir.join("sink.properties"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap(),
    );
    (worker, input, output, log, format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_file_sets_the_filter_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "log.format=json\nlog.filter=warn,connect_runtime::task=debug\n";
    let (_worker, _input, output, log, _) = start_pipeline(dir.path(), extra, None);
    wait("3 lines in the sink file", Duration::from_secs(60), || lines(&output) >= 3).await;
    wait("a logged offset commit", Duration::from_secs(10), || commits_logged(&log) > 0).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let mut levels = std::collections::BTreeSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\nlog:\n{text}"));
        let (level, target) = (v["level"].as_str().unwrap(), v["target"].as_str().unwrap());
        assert!(v["timestamp"].is_string() && v["message"].is_string(), "{line}");
        // The file's filter: WARN and above everywhere, DEBUG for the task drivers only.
        assert!(
            matches!(level, "WARN" | "ERROR") || target.starts_with("connect_runtime::task"),
            "{level} from {target} passed the file's filter: {line}"
        );
        levels.insert(level.to_string());
    }
    assert!(levels.contains("DEBUG"), "no DEBUG line of the task drivers in\n{text}");
    let commit = text.lines().find(|l| l.contains("committed source offsets")).unwrap();
    let v: Value = serde_json::from_str(commit).unwrap();
    assert_eq!(v["task"], "src-0", "the event's fields are keys of the object: {commit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_wins_over_the_file_and_bad_log_settings_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "log.filter=debug\n";
    let (mut worker, _input, output, log, _) = start_pipeline(dir.path(), extra, Some("error"));
    wait("3 lines in the sink file", Duration::from_secs(60), || lines(&output) >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("INFO") && !text.contains("DEBUG"), "RUST_LOG=error, yet:\n{text}");
    let _ = worker.0.kill();
    let _ = worker.0.wait();

    let dir = tempfile::tempdir().unwrap();
    let (mut worker, ..) = start_pipeline(dir.path(), "log.format=xml\n", None);
    let status = worker.0.wait().unwrap();
    assert!(!status.success(), "a worker with log.format=xml started");
    let text = std::fs::read_to_string(dir.path().join("worker.log")).unwrap();
    assert!(text.contains("log.format") && text.contains("xml"), "{text}");
}
