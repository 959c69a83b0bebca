//! What the binary tests share: a `connect-standalone` process with its own directory,
//! REST port and log, and PostgreSQL through `psql`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `connect-standalone` process, killed when dropped however the test ends.
pub struct Worker {
    child: Child,
    /// Its REST port.
    pub port: u16,
    /// Its log (standard error).
    pub log: PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Starts the binary in `dir` on brokers `bootstrap` with `extra` worker lines (the
    /// REST listener, an offsets file in `dir` and StringConverter keys are set) and one
    /// properties file per entry of `connectors`.
    pub fn start(dir: &Path, bootstrap: &str, extra: &str, connectors: &[String]) -> Worker {
        let port = free_port();
        let worker = dir.join("worker.properties");
        std::fs::write(
            &worker,
            format!(
                "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{port}\noffset.storage.file.filename={}\noffset.flush.interval.ms=1000\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n{extra}",
                dir.join("offsets").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-standalone"));
        cmd.arg(&worker);
        for (i, c) in connectors.iter().enumerate() {
            let path = dir.join(format!("connector-{i}.properties"));
            std::fs::write(&path, c).unwrap();
            cmd.arg(path);
        }
        // Appended to, so that a worker restarted in the same directory keeps one log.
        let log = dir.join("worker.log");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = cmd.stdout(Stdio::null()).stderr(file).spawn().unwrap();
        Worker { child, port, log }
    }

    /// Its process id.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits at most `wait` for the process to end; its exit status, `None` while it runs.
    pub fn wait_exit(&mut self, wait: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// `GET /connectors/<name>/status` (null when the worker does not answer).
    pub async fn status(&self, name: &str) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/connectors/{name}/status", self.port);
        match reqwest::get(&url).await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    }

    /// The state of task 0 of connector `name` ("none" when there is none).
    pub async fn task_state(&self, name: &str) -> String {
        self.status(name).await["tasks"][0]["state"].as_str().unwrap_or("none").to_string()
    }

    /// The whole log.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 30 lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// The properties of a FileStream source `name` that reads `file` into `topic`.
pub fn file_source(name: &str, file: &Path, topic: &str) -> String {
    format!(
        "name={name}\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n",
        file.display()
    )
}

/// The properties of a FileStream sink `name` that writes `topics` to `file`.
pub fn file_sink(name: &str, file: &Path, topics: &str) -> String {
    format!(
        "name={name}\nconnector.class=FileStreamSink\nfile={}\ntopics={topics}\n",
        file.display()
    )
}

/// `sql` through `psql` on `url`; its output, or `None` when it failed (the database
/// down, say).
pub fn psql(url: &str, sql: &str) -> Option<String> {
    let out = Command::new("psql")
        .args([url, "-tAqc", sql])
        .output()
        .unwrap_or_else(|e| panic!("psql is needed (scripts/test.sh installs PostgreSQL): {e}"));
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// `CONNECT_TEST_POSTGRES_URL`; the test fails, saying what to start, without it.
pub fn postgres_url() -> String {
    std::env::var("CONNECT_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("CONNECT_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL and sets it")
    })
}
