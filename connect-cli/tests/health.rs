//! `GET /health` while a worker starts (KIP-1017): the REST API answers at once, 503
//! `starting` for `/health` and 503 for everything else until the worker has started, then
//! 200 `healthy`. A distributed worker whose brokers cannot be reached stays starting
//! (it cannot read its internal topics); one on a real broker becomes healthy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Killed, free_port};

fn start_distributed(dir: &Path, bootstrap: &str, port: u16) -> Killed {
    let group = common::unique("health");
    let props = dir.join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{port}\ngroup.id={group}\n\
             config.storage.topic={group}-configs\noffset.storage.topic={group}-offsets\n\
             status.storage.topic={group}-status\nconfig.storage.replication.factor=1\n\
             offset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("worker.log")).unwrap();
    Killed(
        Command::new(env!("CARGO_BIN_EXE_connect-distributed"))
            .arg(&props)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// The first answer of `path` (status and JSON body), waiting for the listener.
async fn first_answer(port: u16, path: &str) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}{path}")).await {
            return (r.status().as_u16(), r.json().await.unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "no REST answer within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_cannot_read_its_topics_yet_answers_starting() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on the broker port: the worker cannot create or read its topics.
    let dead = format!("127.0.0.1:{}", free_port());
    let port = free_port();
    let _worker = start_distributed(dir.path(), &dead, port);
    let (code, body) = first_answer(port, "/health").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "starting", "{body}");
    assert_eq!(body["message"], "Worker is still starting up.", "{body}");
    let (code, body) = first_answer(port, "/connectors").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error_code"], 503, "{body}");
    // Still starting a few seconds later: the answer reflects the worker, not a timer.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (code, body) = first_answer(port, "/health").await;
    assert_eq!((code, body["status"].as_str()), (503, Some("starting")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_on_a_real_broker_goes_from_starting_to_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _worker = start_distributed(dir.path(), &common::bootstrap(), port);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let (code, body) = first_answer(port, "/health").await;
        let status = body["status"].as_str().unwrap_or_default().to_string();
        if seen.last() != Some(&(code, status.clone())) {
            seen.push((code, status.clone()));
        }
        if code == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "not healthy within 60 s: {seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every answer before the first 200 said starting; then healthy.
    let (last, before) = seen.split_last().unwrap();
    assert!(!before.is_empty(), "never seen starting: {seen:?}");
    assert_eq!(*last, (200, "healthy".to_string()), "{seen:?}");
    assert!(before.iter().all(|s| *s == (503, "starting".to_string())), "{seen:?}");
    let (code, _) = first_answer(port, "/connectors").await;
    assert_eq!(code, 200);
}
