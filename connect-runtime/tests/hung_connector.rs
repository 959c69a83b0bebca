//! A connector stuck in its own `start` holds up nothing else: while it hangs, the REST
//! API answers (list, info, status, `/health`, `/`), other connectors are created, run and
//! deleted, and once it is let go it runs. Real HTTP against our REST server, a FileStream
//! pipeline beside the stuck connector, the embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::SourceRecord;
use connect_api::{Connector, Result, SourceConnector, SourceTask};
use rest_util::*;
use serde_json::json;
use tokio::sync::Notify;

/// Let go of every `Hanging::start` waiting.
static RELEASE: Notify = Notify::const_new();
static RELEASED: AtomicBool = AtomicBool::new(false);

/// A source connector whose `start` waits until the test lets it go (a JDBC connector
/// waiting on an unreachable database behaves the same).
#[derive(Default)]
struct Hanging;

#[async_trait]
impl Connector for Hanging {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, _: RawConfig) -> Result<()> {
        while !RELEASED.load(Ordering::SeqCst) {
            let notified = RELEASE.notified();
            if RELEASED.load(Ordering::SeqCst) {
                break;
            }
            notified.await;
        }
        Ok(())
    }
    async fn task_configs(&mut self, _: usize) -> Result<Vec<RawConfig>> {
        Ok(vec![RawConfig::new()])
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SourceConnector for Hanging {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(Idle)
    }
}

struct Idle;

#[async_trait]
impl SourceTask for Idle {
    async fn start(&mut self, _: SourceTaskContext, _: RawConfig) -> Result<()> {
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Fails the test if a REST call takes longer than this while the connector hangs.
const QUICK: Duration = Duration::from_secs(5);

async fn quick<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(QUICK, f).await.unwrap_or_else(|_| {
        panic!("{what} did not answer within {QUICK:?} while a connector hangs in start")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_hanging_in_start_leaves_the_worker_answering() {
    let mut registry = registry();
    registry
        .register([PluginDescriptor::source("test.Hanging", "1", || Box::new(Hanging))])
        .unwrap();
    let rest = std::sync::Arc::new(Rest::start_with(registry, &[]).await);

    // Create the hanging connector; its POST waits for the start, in the background.
    let creating = {
        let rest = rest.clone();
        tokio::spawn(async move {
            rest.post(
                "/connectors",
                Some(json!({"name": "stuck", "config": {"connector.class": "test.Hanging"}})),
            )
            .await
        })
    };
    eventually(Duration::from_secs(10), "stuck to be listed", || async {
        let a = rest.get("/connectors").await;
        a.body.as_array()?.contains(&json!("stuck")).then_some(())
    })
    .await;

    // While it hangs, the API answers...
    for path in ["/", "/connectors", "/connectors/stuck", "/connectors/stuck/status"] {
        let a = quick(path, rest.get(path)).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
    }
    let health = quick("/health", rest.get("/health")).await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.body["status"], "healthy", "{}", health.text);

    // ...and another connector pipeline is created, moves data and is deleted.
    let input = rest.path("in.txt");
    let output = rest.path("out.txt");
    std::fs::write(&input, "one\ntwo\nthree\n").unwrap();
    quick("creating a source", rest.create_source("src", &input, "lines")).await;
    quick("creating a sink", rest.create_sink("sink", &output, "lines")).await;
    eventually(Duration::from_secs(60), "three lines through the other pipeline", || async {
        (line_count(&output) >= 3).then_some(())
    })
    .await;
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "one\ntwo\nthree\n");
    for name in ["src", "sink"] {
        let a = quick("deleting a connector", rest.delete(&format!("/connectors/{name}"))).await;
        assert_eq!(a.status, 204, "{}", a.text);
    }
    assert!(!creating.is_finished(), "the hanging connector's POST returned before its start");

    // Let it go: its creation completes and it runs with its task.
    RELEASED.store(true, Ordering::SeqCst);
    RELEASE.notify_waiters();
    let created = tokio::time::timeout(Duration::from_secs(30), creating).await.unwrap().unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    rest.wait_state("stuck", "RUNNING", 1).await;
    match std::sync::Arc::try_unwrap(rest) {
        Ok(rest) => rest.shutdown().await,
        Err(_) => panic!("the REST client is still shared"),
    }
}
