//! The same REST calls against Java Kafka Connect's standalone worker and ours, side by
//! side on the same Apache Kafka broker: status codes must be equal, and JSON bodies must
//! have the same shape (object keys, value types, and the values that are part of the
//! contract: states, error codes, connector types), so drift from Kafka shows up here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod rest_util;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

struct JavaWorker {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for JavaWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_java(dir: &Path) -> JavaWorker {
    let port = free_port();
    let worker = dir.join("java-worker.properties");
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=1000\n",
            common::bootstrap(),
            dir.join("java.offsets").display()
        ),
    )
    .unwrap();
    let log = dir.join("java-worker.log");
    let child = common::java_command()
        .arg("org.apache.kafka.connect.cli.ConnectStandalone")
        .arg(&worker)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::from(std::fs::File::options().append(true).open(&log).unwrap()))
        .spawn()
        .expect("cannot run java");
    let java = JavaWorker { child, base: format!("http://127.0.0.1:{port}"), log };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // The port was free when picked; make sure the answer is the Java worker's (its
        // version is Kafka's, not ours) and not another process's that took the port.
        if let Ok(r) = reqwest::get(format!("{}/", java.base)).await
            && r.status().is_success()
            && let Ok(info) = r.json::<Value>().await
        {
            let version = info["version"].as_str().unwrap_or_default().to_string();
            assert!(
                version.starts_with("4.") && version != env!("CARGO_PKG_VERSION"),
                "another server answers on {}: {info}",
                java.base
            );
            if reqwest::get(format!("{}/connectors", java.base))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return java;
            }
        }
        assert!(
            Instant::now() < deadline,
            "Java Kafka Connect did not answer within 90 s; its log:\n{}",
            std::fs::read_to_string(&java.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One answer: status and body (Null when empty, a string when not JSON).
async fn call(
    http: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let mut req = http.request(method, format!("{base}{path}"));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Values that are part of the contract and must be equal, by key.
const COMPARED: &[&str] =
    &["state", "error_code", "type", "name", "status", "connector", "task", "id"];

/// Objects whose keys the connector decides (task configs): only their type is compared.
fn connector_defined(path: &str) -> bool {
    path.ends_with("].config")
}

/// Differences in shape between `ours` and `java` under `path`.
fn shape_diff(path: &str, ours: &Value, java: &Value, out: &mut Vec<String>) {
    match (ours, java) {
        (Value::Object(_), Value::Object(_)) if connector_defined(path) => {}
        (Value::Object(o), Value::Object(j)) => {
            let (ok, jk): (Vec<_>, Vec<_>) = (o.keys().collect(), j.keys().collect());
            let mut ok_sorted = ok.clone();
            ok_sorted.sort();
            let mut jk_sorted = jk.clone();
            jk_sorted.sort();
            if ok_sorted != jk_sorted {
                out.push(format!("{path}: keys {ok_sorted:?} vs Java {jk_sorted:?}"));
            }
            for (k, v) in o {
                if let Some(jv) = j.get(k) {
                    let p = format!("{path}.{k}");
                    if COMPARED.contains(&k.as_str()) && !v.is_object() && !v.is_array() && v != jv
                    {
                        out.push(format!("{p}: {v} vs Java {jv}"));
                    }
                    shape_diff(&p, v, jv, out);
                }
            }
        }
        (Value::Array(o), Value::Array(j)) => {
            if o.len() != j.len() {
                out.push(format!("{path}: {} items vs Java {}", o.len(), j.len()));
            }
            for (i, (a, b)) in o.iter().zip(j).enumerate() {
                shape_diff(&format!("{path}[{i}]"), a, b, out);
            }
        }
        (a, b) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if kind(a) != kind(b) {
                out.push(format!("{path}: {} {a} vs Java {} {b}", kind(a), kind(b)));
            }
        }
    }
}

/// Keys Kafka 4 validates that we do not have: plugin versions (KIP-891, one version of
/// each plugin here) and `tasks.max.enforce` (deprecated in Kafka, never needed here).
/// Known gaps, each someone's open work: config providers' `config.action.reload`,
/// topic creation groups (KIP-158) and exactly-once source transaction boundaries (KIP-618)
/// belong to the errors/parity issue; remove a key here when it lands.
const NOT_OURS: &[&str] = &[
    "connector.plugin.version",
    "key.converter.plugin.version",
    "value.converter.plugin.version",
    "header.converter.plugin.version",
    "tasks.max.enforce",
    "config.action.reload",
    "topic.creation.groups",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
];

/// Keys we list that Kafka lists only once topic creation groups are configured, and our
/// own extension (restarting FAILED tasks; README "Using it like Kafka Connect").
const OURS_ONLY: &[&str] = &[
    "topic.creation.default.partitions",
    "topic.creation.default.replication.factor",
    "task.restart.max.attempts",
    "task.restart.backoff.ms",
    "task.restart.backoff.max.ms",
];

/// A validate answer compared config by config, by name: the same keys in each definition
/// and value, the same type, and every key of Kafka's that we are meant to have.
fn validate_diff(ours: &Value, java: &Value, out: &mut Vec<String>) {
    for k in ["name", "error_count", "groups"] {
        shape_diff(&format!("body.{k}"), &ours[k], &java[k], out);
    }
    let by_name = |v: &Value| -> std::collections::BTreeMap<String, Value> {
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["definition"]["name"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    };
    let (o, j) = (by_name(ours), by_name(java));
    for (name, jc) in &j {
        let Some(oc) = o.get(name) else {
            if !NOT_OURS.contains(&name.as_str()) {
                out.push(format!("config {name} missing (Java has it)"));
            }
            continue;
        };
        let mut d = Vec::new();
        shape_diff(&format!("{name}.definition"), &oc["definition"], &jc["definition"], &mut d);
        shape_diff(&format!("{name}.value"), &oc["value"], &jc["value"], &mut d);
        // Defaults and recommended values are the plugin's and the worker's, not shape.
        d.retain(|x| {
            !x.contains(".default_value")
                && !x.contains(".recommended_values")
                && !x.contains(".value.value")
        });
        out.extend(d);
    }
    for name in o.keys().filter(|n| !j.contains_key(*n) && !OURS_ONLY.contains(&n.as_str())) {
        out.push(format!("config {name} is ours only"));
    }
}

/// Waits until `name` and its tasks are `state` on the worker at `base`.
async fn wait_state(http: &reqwest::Client, base: &str, name: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, s) =
            call(http, base, Method::GET, &format!("/connectors/{name}/status"), None).await;
        let tasks = s["tasks"].as_array().cloned().unwrap_or_default();
        if s["connector"]["state"] == state
            && !tasks.is_empty()
            && tasks.iter().all(|t| t["state"] == state)
        {
            return;
        }
        assert!(Instant::now() < deadline, "{base}: {name} not {state}: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_answers_match_java_kafka_connect() {
    let dir = tempfile::tempdir().unwrap();
    let java = start_java(dir.path()).await;
    let bootstrap = common::bootstrap();
    let ours =
        rest_util::Rest::start_with(rest_util::registry(), &[("bootstrap.servers", &bootstrap)])
            .await;
    let ours_base = ours.standalone_url();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nb\n").unwrap();
    let topic = common::unique("parity");
    let source = |name: &str| {
        json!({"name": name, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "tasks.max": "1", "file": input.to_str().unwrap(), "topic": topic,
        }})
        .to_string()
    };
    let create = source("src");
    let bad_class =
        json!({"name": "bad", "config": {"connector.class": "no.such.Connector"}}).to_string();
    let no_name = json!({"config": {"connector.class": "FileStreamSource"}}).to_string();
    let validate =
        json!({"connector.class": "FileStreamSource", "name": "v", "topic": "t"}).to_string();
    // (method, path, body, wait for this state of "src" first)
    let calls: Vec<(Method, &str, Option<&str>, Option<&str>)> = vec![
        (Method::GET, "/connectors", None, None),
        (Method::POST, "/connectors", Some(&create), None),
        (Method::POST, "/connectors", Some(&create), Some("RUNNING")),
        (Method::GET, "/connectors/src", None, None),
        (Method::GET, "/connectors/src/config", None, None),
        (Method::GET, "/connectors/src/status", None, None),
        (Method::GET, "/connectors/src/tasks", None, None),
        (Method::GET, "/connectors/src/tasks/0/status", None, None),
        (Method::GET, "/connectors?expand=status&expand=info", None, None),
        (Method::GET, "/connectors/src/topics", None, Some("TOPIC")),
        (Method::PUT, "/connectors/src/pause", None, None),
        (Method::GET, "/connectors/src/status", None, Some("PAUSED")),
        (Method::PUT, "/connectors/src/resume", None, None),
        (Method::GET, "/connectors/src/status", None, Some("RUNNING")),
        (Method::GET, "/connectors/missing", None, None),
        (Method::GET, "/connectors/src/tasks/7/status", None, None),
        (Method::POST, "/connectors", Some("{not json"), None),
        (Method::POST, "/connectors", Some(&bad_class), None),
        (Method::POST, "/connectors", Some(&no_name), None),
        (Method::PUT, "/connector-plugins/FileStreamSource/config/validate", Some(&validate), None),
        (Method::GET, "/connectors/src/offsets", None, Some("OFFSETS")),
        (Method::GET, "/health", None, None),
        (Method::DELETE, "/connectors/src", None, None),
        (Method::GET, "/connectors/src", None, None),
        (Method::GET, "/no/such/path", None, None),
    ];
    let mut report = Vec::new();
    for (method, path, body, wait) in calls {
        match wait {
            // Both record the topic once the first record was sent, and the offsets once
            // they were flushed.
            Some(what @ ("TOPIC" | "OFFSETS")) => {
                for base in [&java.base, &ours_base] {
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while {
                        let b = call(&http, base, Method::GET, path, None).await.1;
                        let list =
                            if what == "TOPIC" { &b["src"]["topics"] } else { &b["offsets"] };
                        list.as_array().is_none_or(Vec::is_empty)
                    } {
                        assert!(Instant::now() < deadline, "{base}: {path} stays empty");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            Some(state) => {
                wait_state(&http, &java.base, "src", state).await;
                wait_state(&http, &ours_base, "src", state).await;
            }
            None => {}
        }
        let (js, jb) = call(&http, &java.base, method.clone(), path, body).await;
        let (os, ob) = call(&http, &ours_base, method.clone(), path, body).await;
        let mut diffs = Vec::new();
        if body == Some("{not json") {
            // Deliberately better than Kafka, which answers a malformed body with 500: a
            // client error is a 400, in the same error shape.
            assert_eq!((os, js), (400, 500), "{ob} / {jb}");
            assert_eq!(jb["error_code"], 500);
            shape_diff("body", &ob, &jb, &mut Vec::new());
            continue;
        }
        if os != js {
            diffs.push(format!("status {os} vs Java {js}"));
        }
        if path.ends_with("/config/validate") {
            validate_diff(&ob, &jb, &mut diffs);
        } else {
            shape_diff("body", &ob, &jb, &mut diffs);
        }
        if !diffs.is_empty() {
            report.push(format!(
                "{method} {path}:\n    {}\n    ours: {ob}\n    Java: {jb}",
                diffs.join("\n    ")
            ));
        }
    }
    ours.shutdown().await;
    assert!(
        report.is_empty(),
        "{} calls differ from Java Kafka Connect:\n{}",
        report.len(),
        report.join("\n")
    );
}
