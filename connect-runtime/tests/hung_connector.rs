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

/// Per test (the tests of this file run side by side in one process): lets go of every
/// `Hanging::<ID>::start` waiting.
static RELEASE: [Notify; 3] = [const { Notify::const_new() }; 3];
static RELEASED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

fn release(id: usize) {
    RELEASED[id].store(true, Ordering::SeqCst);
    RELEASE[id].notify_waiters();
}

/// A source connector whose `start` waits until its test lets it go (a JDBC connector
/// waiting on an unreachable database behaves the same); with ID 2, forever.
#[derive(Default)]
struct Hanging<const ID: usize>;

#[async_trait]
impl<const ID: usize> Connector for Hanging<ID> {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, _: RawConfig) -> Result<()> {
        while !RELEASED[ID].load(Ordering::SeqCst) {
            let notified = RELEASE[ID].notified();
            if RELEASED[ID].load(Ordering::SeqCst) {
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

impl<const ID: usize> SourceConnector for Hanging<ID> {
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
        .register([PluginDescriptor::source("test.Hanging", "1", || Box::new(Hanging::<0>))])
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
    release(0);
    let created = tokio::time::timeout(Duration::from_secs(30), creating).await.unwrap().unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    rest.wait_state("stuck", "RUNNING", 1).await;
    match std::sync::Arc::try_unwrap(rest) {
        Ok(rest) => rest.shutdown().await,
        Err(_) => panic!("the REST client is still shared"),
    }
}

/// A worker that knows `Hanging::<ID>` (as `test.Hanging<ID>`), and the config of a
/// connector `name` of that class.
async fn worker_with_hanging<const ID: usize>(name: &str) -> (Rest, RawConfig) {
    let class = format!("test.Hanging{ID}");
    let mut plugins = registry();
    plugins
        .register([PluginDescriptor::source(class.clone(), "1", || Box::new(Hanging::<ID>))])
        .unwrap();
    let config = raw(&[("connector.class", &class), ("name", name)]);
    (Rest::start_with(plugins, &[]).await, config)
}

/// A creation whose caller gave up (its future dropped: a REST request whose client went
/// away) while the connector was still starting still runs to its end: released, the
/// connector runs with its task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_caller_went_away_still_completes() {
    let (rest, config) = worker_with_hanging::<1>("left").await;
    let gave_up =
        tokio::time::timeout(Duration::from_secs(1), rest.herder().create_connector(config)).await;
    assert!(gave_up.is_err(), "the create returned while its connector hangs: {gave_up:?}");
    release(1);
    rest.wait_state("left", "RUNNING", 1).await;
    rest.shutdown().await;
}

/// Shutting down does not wait for ever on a connector stuck in its own start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_connector_stuck_in_start() {
    let (rest, config) = worker_with_hanging::<2>("forever").await;
    let herder = rest.herder().clone();
    // Stays pending: the connector never leaves its start.
    let _creating = tokio::spawn(async move { herder.create_connector(config).await });
    eventually(Duration::from_secs(10), "forever to be listed", || async {
        let a = rest.get("/connectors").await;
        a.body.as_array()?.contains(&json!("forever")).then_some(())
    })
    .await;
    tokio::time::timeout(Duration::from_secs(40), rest.shutdown())
        .await
        .expect("shutdown waited for the connector stuck in start");
}
