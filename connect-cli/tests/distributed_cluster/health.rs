//! `GET /health` while a worker starts (KIP-1017): the REST API answers at once, 503
//! `starting` for `/health` and 503 for everything else until the worker has started, then
//! 200 `healthy`. A distributed worker whose brokers cannot be reached stays starting
//! (it cannot read its internal topics); one on a real broker becomes healthy.
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;
use crate::harness::*;

/// The first answer of `path` (status and JSON body), waiting for the listener.
async fn first_answer(base: &str, path: &str) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}{path}")).await {
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
    let worker = start_on(&dead, dir.path(), &common::unique("health"), 0, 0, "");
    let base = worker.base.as_str();
    let (code, body) = first_answer(base, "/health").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "starting", "{body}");
    assert_eq!(body["message"], "Worker is still starting up.", "{body}");
    let (code, body) = first_answer(base, "/connectors").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error_code"], 503, "{body}");
    // Still starting a few seconds later: the answer reflects the worker, not a timer.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (code, body) = first_answer(base, "/health").await;
    assert_eq!((code, body["status"].as_str()), (503, Some("starting")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_on_a_real_broker_goes_from_starting_to_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let worker = start_with(dir.path(), &common::unique("health"), 0, 0, "");
    let base = worker.base.as_str();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let (code, body) = first_answer(base, "/health").await;
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
    let (code, _) = first_answer(base, "/connectors").await;
    assert_eq!(code, 200);
}
