//! Helpers of the REST API tests: a standalone worker on port 0 with the embedded
//! broker, and a small JSON HTTP client over reqwest.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_runtime::PluginRegistry;
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use reqwest::Method;
use serde_json::{Value, json};

/// An HTTP answer: status, headers and the body as JSON (`Null` when empty, a string
/// when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

/// A standalone worker with its REST server, and a client for it.
pub struct Rest {
    pub standalone: Standalone,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// Builds a raw config from pairs.
pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Waits until `check` gives `Some`, failing with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes numbered lines to a file (appending).
pub fn write_lines(path: &Path, from: usize, n: usize) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for i in from..from + n {
        writeln!(f, "line {i}").unwrap();
    }
    f.flush().unwrap();
}

/// Number of lines in a file (0 when missing).
pub fn line_count(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

/// The runtime's converters, the FileStream connectors and Kafka's transformations.
pub fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    r.register(connect_file::plugins()).unwrap();
    r.register(connect_transforms::plugins()).unwrap();
    r
}

impl Rest {
    /// Starts a worker on `127.0.0.1:0` with the embedded broker and 1 s offset flushes.
    pub async fn start() -> Rest {
        Self::start_with(registry(), &[]).await
    }

    /// Like [`start`](Self::start), with another plugin registry and extra worker keys.
    pub async fn start_with(registry: PluginRegistry, extra: &[(&str, &str)]) -> Rest {
        let mut worker_config = raw(&[
            ("listeners", "http://127.0.0.1:0"),
            ("offset.flush.interval.ms", "1000"),
            ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
            ("task.shutdown.graceful.timeout.ms", "3000"),
            // The embedded (mock) broker makes a consumer joining a group wait out the
            // rebalance the last member's leave began, which lasts the leaver's session
            // timeout: keep it short, since altering sink offsets joins the group.
            ("consumer.session.timeout.ms", "6000"),
        ]);
        worker_config.extend(raw(extra));
        let options = StandaloneOptions { worker_config, connectors: Vec::new() };
        let standalone = Standalone::start(options, registry)
            .await
            .unwrap_or_else(|e| panic!("standalone did not start: {}", e.trace()));
        let base = standalone.rest_url();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        Rest { standalone, base, http, dir: tempfile::tempdir().unwrap() }
    }

    /// The herder itself, for calls a REST request cannot make deterministically.
    pub fn herder(&self) -> &connect_runtime::StandaloneHerder {
        self.standalone.herder()
    }

    /// The worker's REST base URL.
    pub fn standalone_url(&self) -> String {
        self.base.clone()
    }

    /// A path in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Sends a request with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::answer(req.send().await.unwrap()).await
    }

    /// Sends a raw body with the given content type (or none).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: &str,
        content_type: Option<&str>,
    ) -> Answer {
        let mut req =
            self.http.request(method, format!("{}{path}", self.base)).body(body.to_string());
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        Self::answer(req.send().await.unwrap()).await
    }

    async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Answer { status, headers, body, text }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> Answer {
        self.call(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Answer {
        self.call(Method::PUT, path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a FileStreamSource reading `file` into `topic`; asserts 201.
    pub async fn create_source(&self, name: &str, file: &Path, topic: &str) -> Value {
        let a = self
            .post(
                "/connectors",
                Some(json!({
                    "name": name,
                    "config": {
                        "connector.class": "FileStreamSource",
                        "tasks.max": "1",
                        "file": file.to_str().unwrap(),
                        "topic": topic,
                    }
                })),
            )
            .await;
        assert_eq!(a.status, 201, "create {name}: {}", a.text);
        a.body
    }

    /// Creates a FileStreamSink writing `topics` into `file`; asserts 201.
    pub async fn create_sink(&self, name: &str, file: &Path, topics: &str) -> Value {
        let a = self
            .post(
                "/connectors",
                Some(json!({
                    "name": name,
                    "config": {
                        "connector.class": "FileStreamSink",
                        "tasks.max": "1",
                        "file": file.to_str().unwrap(),
                        "topics": topics,
                    }
                })),
            )
            .await;
        assert_eq!(a.status, 201, "create {name}: {}", a.text);
        a.body
    }

    /// Waits until the connector and all of its (at least `min_tasks`) tasks are in
    /// `state`; returns the status body.
    pub async fn wait_state(&self, name: &str, state: &str, min_tasks: usize) -> Value {
        let path = &format!("/connectors/{name}/status");
        eventually(Duration::from_secs(30), &format!("{name} to be {state}"), || async move {
            let a = self.get(path).await;
            let tasks = a.body["tasks"].as_array()?;
            let all = tasks.iter().all(|t| t["state"] == state);
            (a.status == 200
                && a.body["connector"]["state"] == state
                && tasks.len() >= min_tasks
                && all)
                .then_some(a.body)
        })
        .await
    }

    /// Asserts an answer is an error of the API's shape with this status.
    pub fn assert_error(a: &Answer, status: u16) {
        assert_eq!(a.status, status, "{}", a.text);
        assert_eq!(a.body["error_code"], status, "{}", a.text);
        assert!(
            a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "no message: {}",
            a.text
        );
        let keys: Vec<&String> = a.body.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2, "{}", a.text);
    }

    /// Stops the worker.
    pub async fn shutdown(self) {
        tokio::time::timeout(Duration::from_secs(60), self.standalone.shutdown())
            .await
            .expect("the worker did not shut down within 60 s");
    }
}
